"""The kernel tables: exactly what the generator produces from mpmath, and
linked once.

poincare_q64/src/pq_tables.c (definitions) and pq_tables.h (``extern const``
declarations) are regenerated and compared, as scipy.special's _precompute
checks do.  The built extension must hold one copy of each table: several
translation units read them (the scalar kernels and the AVX2 and AVX-512
lane files), and tables defined in a header would be duplicated in each.
"""
import os
import re
import shutil
import subprocess
import sys

from poincare_q64 import _kernels

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLES_H = os.path.join(ROOT, "poincare_q64", "src", "pq_tables.h")


def test_committed_tables_match_generator():
    res = subprocess.run([sys.executable, "-m", "poincare_q64._precompute.make_tables", "--check"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr


def _declared_tables():
    with open(TABLES_H, encoding="utf-8") as fh:
        names = re.findall(r"^extern const \w+ (PQ_\w+)\[", fh.read(), flags=re.M)
    assert names, f"no extern table declarations in {TABLES_H}"
    return names


def test_header_declares_tables_and_defines_none():
    with open(TABLES_H, encoding="utf-8") as fh:
        text = fh.read()
    assert "static const" not in text and " = {" not in text
    assert len(_declared_tables()) == 9


def test_extension_holds_one_copy_of_each_table():
    nm = shutil.which("nm")
    assert nm, "nm (GNU binutils) is needed to count the tables in the extension: install binutils"
    res = subprocess.run([nm, _kernels.__file__], capture_output=True, text=True, check=True)
    symbols = [line.split()[-1] for line in res.stdout.splitlines() if line.strip()]
    assert symbols, f"{_kernels.__file__} has no symbol table (stripped?): cannot count tables"
    counts = {name: symbols.count(name) for name in _declared_tables()}
    assert counts == {name: 1 for name in counts}, counts
