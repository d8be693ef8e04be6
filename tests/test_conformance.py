"""The conformance use case end to end: another implementation is verified.

docs/conformance.md shows it: ``poincare-q64 gen`` writes vectors, another
implementation reads their inputs and writes its own results in the same
grammar, ``poincare-q64 verify`` compares.  Here the other implementations
are

* the float64 numpy script of docs/conformance.md (``my_rbe.py``, taken
  from the document itself, so the copy-paste example is what is tested);
* an implementation that evaluates the exact value (Fractions and mpmath at
  200 bits) but truncates it toward zero instead of rounding it.

verify must report mismatches for both, with their worst errors in ulps, and
none for our own results.  The inputs are the committed golden files
tests/data/vectors/rbe_float64.txt and rbe_int64_62.txt, so the counts are
those docs/conformance.md quotes.
"""
import io
import os
import re
import runpy
import struct
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mmh3
import mpmath
import pytest
from mpmath import libmp

import poincare_q64
from poincare_q64 import cli
from poincare_q64 import conformance as C
from poincare_q64 import inputs
from poincare_q64 import vector_files
from poincare_q64 import vectors as V

ROOT = Path(__file__).resolve().parent.parent
VECTOR_DIR = ROOT / "tests" / "data" / "vectors"
DOC = ROOT / "docs" / "conformance.md"
SUMMARY = re.compile(r"^(\d+) tests passed, (\d+) failure\(s\)$")
MISMATCH = re.compile(r"^(?P<inputs>[0-9a-f +-]+) => (?P<got>\S+) "
                      r"expected: (?P<exp>\S+)$")
PACKAGE_PARENT = str(Path(poincare_q64.__file__).resolve().parent.parent)


def run_cli(*args):
    path = [PACKAGE_PARENT] + [p for p in os.environ.get(
        "PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    return subprocess.run([sys.executable, "-m", "poincare_q64.cli", *args],
                          capture_output=True, text=True, env=env,
                          timeout=120)


def verify_file(path, max_errors=0):
    """(report, printed text) of verify on a file."""
    out = io.StringIO()
    with open(path, encoding="ascii") as fh:
        report = C.verify(fh, max_errors=max_errors, out=out)
    return report, out.getvalue()


# --------------------------------------------------------------------------
# The other implementations
# --------------------------------------------------------------------------

def doc_script(tmp_path):
    """my_rbe.py, extracted from docs/conformance.md."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(# my_rbe\.py.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/conformance.md must hold one my_rbe.py"
    path = tmp_path / "my_rbe.py"
    path.write_text(blocks[0])
    return path


def run_doc_script(tmp_path, src, dst, monkeypatch):
    script = doc_script(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), str(src), str(dst)])
    runpy.run_path(str(script), run_name="__main__")


def _sin_turn(t, bits):
    """sin(2 pi t / 2^bits): a Fraction at quarter turns, else an mpf."""
    t %= 1 << bits
    if t % (1 << (bits - 2)) == 0:
        return Fraction((0, 1, 0, -1)[t >> (bits - 2)])
    return mpmath.sinpi(mpmath.mpf(t) / (1 << (bits - 1)))


def exact_rbe(R, T, i, j, log2_c, eps, d_r, rot, d_theta):
    """f as a Fraction where it is rational, else an mpf (200 bits)."""
    r, e = Fraction(R, 1 << 64), Fraction(eps, 1 << 64)
    c = Fraction(2) ** log2_c
    q = 1 + e * r
    rt = r / q
    den = 1 + c * rt * rt
    if d_r == 0:
        g = 2 * rt / den
    else:
        g = 2 * (1 - c * rt * rt) / (den * den * q * q)
    s = _sin_turn(T + (rot << 60) + (d_theta << 62), 64)
    H = mmh3.hash(struct.pack("<II", i, j), 0, signed=False)
    sh = _sin_turn(H, 32)
    phi = 1 + sh / 10
    if g == 0 or s == 0:
        return Fraction(0)
    if isinstance(s, Fraction) and isinstance(phi, Fraction):
        return g * s * phi
    return mpmath.mpf(g.numerator) / g.denominator * s * phi


def truncated(v, fmt):
    """v truncated toward zero into fmt (the bug this implementation has)."""
    if fmt.kind == "int64":
        X = int(v * (1 << fmt.frac))  # int() truncates Fractions and mpfs
        return X if -(1 << 63) <= X < 1 << 63 else V.OVERFLOW
    if isinstance(v, Fraction):
        m = libmp.from_rational(v.numerator, v.denominator, 53, "d")
    else:
        m = libmp.mpf_pos(v._mpf_, 53, "d")  # "d": toward zero
    return V.float_bits(libmp.to_float(m), "float64")


def write_truncating(src, dst):
    with open(src, encoding="ascii") as fh:
        header, vecs = V.read_vectors(fh)
        vecs = list(vecs)
    fmt = header.format
    lines = [V.header_line(header.function, fmt, "my-truncating-1.0")]
    with mpmath.workprec(200):
        for v in vecs:
            lines.append(V.format_line(header.function, fmt, v.inputs,
                                       truncated(exact_rbe(*v.inputs), fmt)))
    vector_files.write_atomic(dst, lines)


# --------------------------------------------------------------------------
# The use case
# --------------------------------------------------------------------------

GOLDEN_F64 = VECTOR_DIR / "rbe_float64.txt"
GOLDEN_I62 = VECTOR_DIR / "rbe_int64_62.txt"
N_VECTORS = 172  # hard cases and 64 random inputs (make_vectors.py)


@pytest.mark.parametrize("golden", [GOLDEN_F64, GOLDEN_I62],
                         ids=["float64", "int64_62"])
def test_float64_numpy_implementation_is_caught(tmp_path, monkeypatch,
                                                golden):
    mine = tmp_path / "mine.txt"
    run_doc_script(tmp_path, golden, mine, monkeypatch)
    report, text = verify_file(mine)
    assert report.passed + report.failed == N_VECTORS
    # Plausible: float64 arithmetic gets the easy cases (zeros, exact
    # values) right and most others wrong in the last bits.
    assert 0 < report.failed < N_VECTORS
    assert report.passed > 0
    assert report.worst[0] >= 1
    if golden == GOLDEN_I62:
        # 53 bits cannot give 62: errors of hundreds of units of 2^-62.
        assert report.worst[0] >= 2**8
    lines = text.splitlines()
    assert len(lines) == report.failed
    for line in lines:
        m = MISMATCH.match(line)
        assert m, line
        assert m["got"] != m["exp"]
    print(f"float64 numpy, {golden.name}: {report.failed} failure(s) of "
          f"{N_VECTORS}, worst {report.worst[0]} ulp")


@pytest.mark.parametrize("golden, failures", [(GOLDEN_F64, 69),
                                               (GOLDEN_I62, 56)],
                         ids=["float64", "int64_62"])
def test_truncating_implementation_is_caught(tmp_path, golden, failures):
    mine = tmp_path / "mine.txt"
    write_truncating(golden, mine)
    report, text = verify_file(mine)
    assert report.passed + report.failed == N_VECTORS
    # Truncation is off by at most one unit, and only where rounding goes
    # away from zero: about half of the inexact results.  Exact arithmetic
    # makes the count the same everywhere; docs/conformance.md quotes it.
    assert report.worst[0] == 1
    assert report.failed == failures
    # Every mismatch is a result one step closer to zero than expected.
    fmt = report.format
    for line in text.splitlines():
        m = MISMATCH.match(line)
        got, exp = (V.parse_result(fmt, [m[k]], 0) for k in ("got", "exp"))
        if fmt.kind == "int64":
            assert abs(got) == abs(exp) - 1 and got * exp >= 0
        else:
            assert C.ulp_error(fmt, got, exp) == 1
            assert abs(V.bits_float(got, "float64")) < \
                abs(V.bits_float(exp, "float64"))
    print(f"truncating, {golden.name}: {report.failed} failure(s) of "
          f"{N_VECTORS}, worst {report.worst[0]} ulp")


def test_our_own_results_pass(tmp_path):
    """The golden file (the reference's results) and gen's own output."""
    for path in (GOLDEN_F64, GOLDEN_I62):
        res = run_cli("verify", str(path))
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout == f"{N_VECTORS} tests passed, 0 failure(s)\n"
        assert res.stderr == ""  # no progress bar when stderr is not a tty
    mine = tmp_path / "ours.txt"
    assert cli.main(["gen", "rbe", "--float32", "-n", "500", "--seed", "9",
                     "-o", str(mine), "--no-progress"]) == 0
    report, text = verify_file(mine)
    assert (report.failed, text) == (0, "")
    assert report.passed == 500 + len(inputs.hard_inputs("rbe"))


def test_verify_cli_reports_mismatches_testfloat_style(tmp_path):
    mine = tmp_path / "mine.txt"
    write_truncating(GOLDEN_F64, mine)
    full, _ = verify_file(mine)
    assert full.failed > 20

    res = run_cli("verify", str(mine))  # --errors 20 by default
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    assert all(MISMATCH.match(x) for x in lines[:20])
    assert lines[20].startswith("worst error: 1 ulp (ulp of float64) at line")
    assert lines[21] == "mismatches by error in ulp: 1: 20"
    assert lines[22].startswith("stopped after 20 failure(s)")
    passed, failed = map(int, SUMMARY.match(lines[-1]).groups())
    assert failed == 20 and passed < full.passed

    res = run_cli("verify", "--errors", "0", str(mine))
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    assert sum(bool(MISMATCH.match(x)) for x in lines) == full.failed
    assert lines[-1] == (f"{full.passed} tests passed, {full.failed} "
                         "failure(s)")

    res = run_cli("verify", "--errors", "3", str(mine))
    assert res.returncode == 1
    assert sum(bool(MISMATCH.match(x))
               for x in res.stdout.splitlines()) == 3


def test_mismatch_line_shows_inputs_got_and_expected(tmp_path, capsys):
    text = GOLDEN_I62.read_text().splitlines()
    k = next(n for n, x in enumerate(text) if not x.startswith("#")
             and not x.endswith(("overflow", "0000000000000000")))
    inputs, exp = text[k].split(" => ")
    got = f"{(int(exp, 16) + 3) % 2**64:016x}"
    text[k] = f"{inputs} => {got}"
    path = tmp_path / "one.txt"
    path.write_text("\n".join(text) + "\n")
    assert cli.main(["verify", str(path), "--no-progress"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{inputs} => {got} expected: {exp}"
    assert out[1] == f"worst error: 3 ulp (ulp = 2^-62) at line {k + 1}"
    assert out[2] == "mismatches by error in ulp: 2-3: 1"
    assert out[-1] == f"{N_VECTORS - 1} tests passed, 1 failure(s)"


def test_overflow_mismatch_has_no_ulp_distance(tmp_path, capsys):
    text = GOLDEN_I62.read_text().splitlines()
    k = text.index(next(x for x in text if x.endswith("overflow")))
    text[k] = text[k].replace("overflow", "7fffffffffffffff")
    path = tmp_path / "sat.txt"
    path.write_text("\n".join(text) + "\n")
    assert cli.main(["verify", str(path), "--no-progress"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("=> 7fffffffffffffff expected: overflow")
    assert "1 mismatch(es) without an ulp distance" in out[1]


def test_malformed_line_is_reported_with_its_number(tmp_path, capsys):
    text = GOLDEN_I62.read_text().splitlines()
    # A wrong result on line 10, then a malformed line 30: the mismatch is
    # still printed, then the error names line 30; exit status 2.
    inputs, exp = text[9].split(" => ")
    text[9] = f"{inputs} => {(int(exp, 16) ^ 1):016x}"
    text[29] = text[29].replace(" => ", " ")
    path = tmp_path / "bad.txt"
    path.write_text("\n".join(text) + "\n")
    assert cli.main(["verify", str(path), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{inputs} => ")
    assert f"{path}: line 30: expected" in captured.err
    assert "found 0 '=>'" in captured.err


def test_verify_unreadable_files(tmp_path, capsys):
    assert cli.main(["verify", str(tmp_path / "none.txt")]) == 2
    assert "No such file" in capsys.readouterr().err
    path = tmp_path / "bin.txt"
    path.write_bytes(GOLDEN_I62.read_bytes()[:200] + b"\xff\n")
    assert cli.main(["verify", str(path), "--no-progress"]) == 2
    assert "not an ASCII text file" in capsys.readouterr().err


# --------------------------------------------------------------------------
# --help on every subcommand
# --------------------------------------------------------------------------

# (test_cli.py covers the top level, selfcheck and info.)
@pytest.mark.parametrize("argv", [["gen"], ["verify"], ["eval"]]
                         + [["eval", f] for f in V.FUNCTIONS])
def test_every_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv + ["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: poincare-q64")
    assert len(out.splitlines()) > 3
