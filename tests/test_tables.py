"""The committed kernel tables (poincare_q64/src/pq_tables.h) are exactly
what the generator produces from mpmath: regenerate and compare, as
scipy.special's _precompute checks do."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_committed_tables_match_generator():
    res = subprocess.run([sys.executable, "-m", "poincare_q64._precompute.make_tables", "--check"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
