"""poincare_q64: bit-exact, correctly rounded golden reference for the RBE function.

This first increment ships the C kernels (poincare_q64/src), their array loops
(poincare_q64._kernels) and the independent reference (poincare_q64.reference);
the public Python API layer lands next.
"""
import os

from poincare_q64 import reference  # noqa: F401

__version__ = "0.1.0"


def get_include():
    """Directory holding poincare_q64.h and the C kernel sources."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
