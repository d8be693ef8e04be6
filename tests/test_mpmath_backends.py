"""mpmath runs on Python ints or, when gmpy2 is installed, on gmpy2's mpz.
The package must give the same values, as Python ints, under either
backend: an mpz leaking out of ``turns`` or the reference (as it once did
through mpmath's mantissas) breaks ``type(x) is int`` checks downstream and
pickles differently.  Each backend runs in a subprocess
(``MPMATH_NOGMPY=1`` selects the pure-Python one)."""
import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, mpmath
import poincare_q64 as pq
from poincare_q64 import reference as ref
vals = {
    "backend": mpmath.libmp.BACKEND,
    "turns": [pq.turns(x) for x in (1.0, -2.5, 3.141592653589793)],
    "ref_turns": [ref.turns(x) for x in (1.0, -2.5)],
    "angular": [ref.angular(2**64 // 7, dtype="int64"), ref.angular(12345, frac=64, dtype=object)],
    "radial": [ref.radial(2**63 + 5, eps=3, log2_c=-2, dtype="int64")],
    "rbe": [ref.rbe(2**63, 2**61 + 1, 5, 7, dtype=object, frac=64)],
    "modulation": [ref.modulation(5, 7, dtype="int64")],
}
types = sorted({type(x).__name__ for k, v in vals.items() if k != "backend" for x in v})
print(json.dumps({"types": types, "values": {k: (v if k == "backend" else [int(x) for x in v])
                                             for k, v in vals.items()}}))
"""


def _run(env_extra):
    env = dict(os.environ, **env_extra)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return json.loads(out)


def test_results_are_python_ints_under_both_mpmath_backends():
    try:
        import gmpy2  # noqa: F401
    except ImportError:
        if os.environ.get("POINCARE_Q64_CI"):
            pytest.fail("gmpy2 is missing: the test extra installs it")
        pytest.skip("gmpy2 is not installed (pip install gmpy2): only one mpmath backend here")
    plain = _run({"MPMATH_NOGMPY": "1"})
    gmpy = _run({})
    assert plain["values"]["backend"] == "python"
    assert gmpy["values"]["backend"] == "gmpy"
    assert plain["types"] == ["int"], plain
    assert gmpy["types"] == ["int"], gmpy
    assert plain["values"] == {**gmpy["values"], "backend": "python"}
