"""The ``poincare-q64`` command line.

``selfcheck`` is run for real in a subprocess (small ``-n``; the hard cases
always run) and must pass with the documented summary line.  That it can
fail is shown in-process by wrapping a public function so that it returns one
wrong element, or a number where the reference raises OverflowError: the
expected values still come from the reference, never from the C path.
"""
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import poincare_q64
from poincare_q64 import cli

SUMMARY = re.compile(r"^(\d+) tests passed, (\d+) failure\(s\)$")
# Run the CLI from the same copy of the package this test imported, whether
# it is installed, editable or built in place.
PACKAGE_PARENT = str(Path(poincare_q64.__file__).resolve().parent.parent)


def run_cli(*args, timeout=120):
    path = [PACKAGE_PARENT] + [p for p in os.environ.get(
        "PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    return subprocess.run(
        [sys.executable, "-m", "poincare_q64.cli", *args],
        capture_output=True, text=True, env=env, timeout=timeout)


def summary(text):
    """(passed, failed) from the last line, which must be the summary."""
    last = text.rstrip("\n").splitlines()[-1]
    m = SUMMARY.match(last)
    assert m, f"last line is not the summary: {last!r}"
    return int(m.group(1)), int(m.group(2))


def test_selfcheck_passes_with_summary_line():
    res = run_cli("selfcheck", "-n", "40", "--seed", "11", "--threads", "2",
                  "--no-progress")
    assert res.returncode == 0, res.stdout + res.stderr
    passed, failed = summary(res.stdout)
    assert failed == 0
    assert passed > 40  # the hard cases come on top of the random ones
    assert "seed 11" in res.stdout.splitlines()[0]
    group_lines = {line.split()[0] for line in res.stdout.splitlines()[1:-2]}
    assert group_lines == set(cli.GROUPS)


def test_selfcheck_counts_and_prints_a_wrong_element(monkeypatch):
    real = poincare_q64.rbe

    def one_ulp_off(*args, **kwargs):
        out = real(*args, **kwargs)
        if isinstance(out, np.ndarray) and out.dtype == np.float64:
            out = out.copy()
            out[0] = np.nextafter(out[0], np.inf)
        return out

    monkeypatch.setattr(poincare_q64, "rbe", one_ulp_off)
    buf = io.StringIO()
    status = cli.run_selfcheck(n=20, seed=3, only=["rbe"], progress=False,
                               max_errors=10**6, out=buf)
    text = buf.getvalue()
    assert status == 1
    assert summary(text)[1] == 1
    assert re.search(r"^rbe \[float64\] R=0x[0-9a-f]+ T=0x[0-9a-f]+ .* => "
                     r"\S+ \(.*\) expected: \S+ \(.*\)$", text, re.M)


def test_selfcheck_requires_overflow_where_the_reference_raises(monkeypatch):
    real = poincare_q64.radial

    def saturating(R, **kwargs):
        try:
            return real(R, **kwargs)
        except OverflowError:
            return np.full(np.shape(R), np.iinfo(np.int64).max, np.int64)

    monkeypatch.setattr(poincare_q64, "radial", saturating)
    buf = io.StringIO()
    status = cli.run_selfcheck(n=20, seed=3, only=["radial"], progress=False,
                               max_errors=10**6, out=buf)
    text = buf.getvalue()
    assert status == 1
    # R = 0 with d_r = 1 is a hard case: g' = 2 overflows int64 at frac 62.
    assert re.search(r"^radial \[int64/62\] R=0x0 .*d_r=1 => "
                     r"9223372036854775807 expected: OverflowError", text,
                     re.M)


@pytest.mark.parametrize("command", [[], ["selfcheck"], ["info"]])
def test_help_works_for_every_subcommand(command):
    res = run_cli(*command, "--help", timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: poincare-q64")
    if command == ["selfcheck"]:
        for option in ("-n N", "--seed S", "--threads K", "--only"):
            assert option in res.stdout


def test_info_reports_openmp_and_threads():
    res = run_cli("info", timeout=60)
    assert res.returncode == 0, res.stderr
    assert re.search(r"^OpenMP: (yes|no)$", res.stdout, re.M)
    assert re.search(r"^threads for threads=None: [1-9]\d*$", res.stdout,
                     re.M)
    from poincare_q64 import _kernels
    simd = {0: "none (scalar loop)", 1: "AVX2", 2: "AVX-512"}[_kernels.simd_level()]
    assert re.search(rf"^SIMD for rbe arrays: {re.escape(simd)}$", res.stdout, re.M)


@pytest.mark.parametrize("args", [["selfcheck", "--threads", "0"],
                                  ["selfcheck", "-n", "-1"],
                                  ["selfcheck", "--only", "sin"], []])
def test_bad_arguments_are_usage_errors(args):
    res = run_cli(*args, timeout=60)
    assert res.returncode == 2
    assert "usage: poincare-q64" in res.stderr


def test_console_script_is_installed_and_runs():
    script = shutil.which("poincare-q64",
                          path=os.pathsep.join([str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))
    if script is None:
        pytest.skip("package not installed with its console script "
                    "(an in-place build)")
    res = subprocess.run([script, "selfcheck", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: poincare-q64 selfcheck")


def test_rbe_seed64_is_the_cli_name_and_seed64_its_vector_file_alias(capsys):
    # the word of r = 1/2, a quarter turn: rbe_seed64 = rbe(2^63, 2^62, 5, 7)
    word = "0x8000040000000000"
    outs = []
    for name in ("rbe_seed64", "seed64"):
        assert cli.main(["eval", name, word, "5", "7", "--float64"]) == 0
        outs.append(capsys.readouterr().out)
    expected = poincare_q64.reference.rbe(2**63, 2**62, 5, 7, dtype=np.float64)
    assert outs[0] == outs[1]
    assert outs[0].split()[1] == repr(float(expected))
    files = []
    for name in ("rbe_seed64", "seed64"):
        assert cli.main(["gen", name, "-n", "3", "--seed", "4",
                         "--no-progress"]) == 0
        files.append(capsys.readouterr().out)
    assert files[0] == files[1]
    assert files[0].startswith("# poincare_q64 test vectors: function=seed64 ")
