"""The benchmark suite (benchmarks/suite.py) runs, and its correctness column
tells a wrong implementation from a correctly rounded one.  Nothing here
looks at a timing: the suite runs in its smallest mode on tiny inputs."""
import importlib
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def suite():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        yield importlib.import_module("suite")
    finally:
        sys.path.remove(os.path.join(ROOT, "benchmarks"))


def _off_by_one_ulp(suite, inp, mode):
    """rbe as float64, every other result moved one ulp away from the correct one."""
    import poincare_q64 as pq

    def wrong(k):
        f = pq.rbe(inp.R[:k], inp.T[:k], inp.i[:k], inp.j[:k], dtype=np.float64)
        f[::2] = np.nextafter(f[::2], np.inf)
        return f

    n, m = len(inp.R), mode["check"]
    return [suite.Impl("rbe", "deliberately wrong", "float64",
                       lambda: ((lambda: wrong(n)), n), lambda: wrong(m))]


@pytest.fixture(scope="module")
def run(suite, tmp_path_factory):
    out = tmp_path_factory.mktemp("perf")
    rows = suite.main(["--tiny", "--no-c", "--out", str(out)],
                      extra=lambda inp, mode: _off_by_one_ulp(suite, inp, mode),
                      progress=lambda *a: None)
    return rows, out


def _row(rows, function, impl, fmt, threads=1):
    found = [r for r in rows if r["function"] == function and r["impl"] == impl
             and r["fmt"] == fmt and r["threads"] == threads
             and (r["simd"] == "-" or r["simd"].endswith("(best)"))]
    assert found, (function, impl, fmt)
    return found[0]


def test_wrong_implementation_is_listed_as_wrong(run):
    rows, _ = run
    r = _row(rows, "rbe", "deliberately wrong", "float64")
    checked = r["checked"]
    assert checked > 0
    assert r["bad"] == (checked + 1) // 2
    assert r["correct"].startswith("wrong: ") and "up to 1 ulp" in r["correct"]


def test_package_rows_match_the_reference(run):
    rows, _ = run
    for fmt in ("int64/62", "float64", "float32", "object/62"):
        r = _row(rows, "rbe", "ours, array", fmt)
        assert r["bad"] == 0 and r["checked"] > 0 and r["correct"].startswith("yes (0/")
    for function in ("pack_seed64", "unpack_seed64", "spatial_hash"):
        ours = [r for r in rows if r["function"] == function and r["impl"].startswith("ours")]
        assert ours and all(r["bad"] == 0 and r["checked"] > 0 for r in ours), function


def test_every_row_ran(run):
    rows, _ = run
    failed = [(r["function"], r["impl"], r["fmt"], r["notes"]) for r in rows
              if r["ns"] != r["ns"] and "not installed" not in r["notes"]]
    assert not failed


def test_document_and_chart_are_written(run):
    _, out = run
    text = (out / "performance.md").read_text()
    assert "## Targets" in text and "## Table" in text
    assert "| rbe | deliberately wrong | float64 |" in text
    assert "numpy" in text and "load average" in text
    assert (out / "performance.png").stat().st_size > 1000


def test_compare_counts_ulps(suite):
    want = [1.0, 0.5, -2.0]
    got = [np.nextafter(1.0, 2.0), 0.5, np.nextafter(np.nextafter(-2.0, 0), 0)]
    assert suite.compare(got, want, "float64") == (2, 3, 2)
    assert suite.compare([5, 7], [5, 9], "int64/62") == (1, 2, 2)
    assert suite.correct_text(0, 3, 0, "float64") == "yes (0/3)"
