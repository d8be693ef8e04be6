"""The version of poincare_q64, written once.

pyproject.toml reads it (``[tool.setuptools.dynamic]``) for the
distribution's metadata, and ``poincare_q64.__version__`` re-exports it.
"""
__version__ = "0.2.0"
