"""Test vectors: the line grammar, the golden files, the worst cases, ``gen``.

The golden files (tests/data/vectors, written by tests/data/make_vectors.py)
hold results of the independent reference; the compiled kernels must agree
with every vector.  The worst-case files (poincare_q64/data/worst_cases, written by
tests/data/find_worst_cases.py) hold inputs whose exact value lies very close
to a rounding midpoint; the kernels must agree with the reference on each,
and each must really be that close (checked here with mpmath, independently
of both).  docs/vectors.md describes the grammar and the files.
"""
import importlib.util
import io
import itertools
import math
import os
import re
import struct
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
from hypothesis import given, strategies as st

from poincare_q64 import cli
from poincare_q64 import conformance as C
from poincare_q64 import inputs
from poincare_q64 import reference as ref
from poincare_q64 import vector_files
from poincare_q64 import vectors as V

DATA = Path(__file__).resolve().parent / "data"
VECTOR_DIR = DATA / "vectors"
# The worst-case files ship with the package (gen --level 2 reads them);
# this is the repository's copy, the one find_worst_cases.py writes.
WORST_DIR = DATA.parent.parent / "poincare_q64" / "data" / "worst_cases"
# A header names the version that wrote the file; a release that changes no
# value (CHANGELOG.md) does not invalidate the golden files.
_VERSION_FIELD = re.compile(r" version=\S+")


def unversioned(lines):
    return [_VERSION_FIELD.sub("", x) if x.startswith("#") else x
            for x in lines]


def _load_script(name):
    """Import tests/data/<name>.py (the data scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(f"_data_{name}",
                                                  DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_vectors = _load_script("make_vectors")
GOLDEN = [pytest.param(f, fmt, id=f"{f}-{fmt}")
          for f, fmt in make_vectors.FILES]


def golden_path(function, fmt_name):
    return VECTOR_DIR / make_vectors.file_name(function, fmt_name)


def read_file(path):
    with open(path, encoding="ascii") as fh:
        header, vectors = V.read_vectors(fh)
        return header, list(vectors)


# --------------------------------------------------------------------------
# The grammar
# --------------------------------------------------------------------------

# Input ranges of docs/spec.md, written out here rather than taken from the
# module under test.
RANGES = {"R": (0, 2**64 - 1), "T": (0, 2**64 - 1), "eps": (0, 2**64 - 1),
          "i": (0, 2**32 - 1), "j": (0, 2**32 - 1), "m": (1, 2**32 - 1),
          "n": (1, 2**32 - 1), "log2_c": (-4, 3),
          "d_r": (0, 1), "rot": (0, 15), "d_theta": (0, 3)}
SEED_WORD = st.integers(0, 2**64 - 1).map(lambda w: w & ~(0xF << 16))
RESULTS = {
    "int64": st.integers(-2**63, 2**63 - 1) | st.just(V.OVERFLOW),
    "object": st.integers(-(2**66) + 1, 2**66 - 1),
    "float64": st.integers(0, 2**64 - 1),
    "float32": st.integers(0, 2**32 - 1),
    "uint32": st.integers(0, 2**32 - 1),
}
# A matrix function's result: a SHA-256 digest (or overflow in int64).
DIGEST = st.binary(min_size=32, max_size=32).map(bytes.hex)


def _result(function, kind):
    if function in V.MATRIX:
        return DIGEST | st.just(V.OVERFLOW) if kind == "int64" else DIGEST
    return RESULTS[kind]


def _inputs(draw, function):
    return tuple(draw(SEED_WORD) if name == "word" else
                 draw(st.integers(*RANGES[name]))
                 for name in V.INPUTS[function])


@st.composite
def vectors_(draw):
    function = draw(st.sampled_from(V.FUNCTIONS))
    kind = draw(st.sampled_from(V.formats_for(function)))
    frac = draw(st.integers(0, 64)) if kind in ("int64", "object") else None
    fmt = V.VectorFormat(kind, frac)
    return function, fmt, _inputs(draw, function), draw(_result(function, kind))


@given(vectors_())
def test_line_round_trip(vec):
    function, fmt, inputs, result = vec
    line = V.format_line(function, fmt, inputs, result)
    assert V.parse_line(function, fmt, line, 9) == (inputs, result)
    # Upper-case hex and tabs are accepted on input too.
    assert V.parse_line(function, fmt, line.upper().replace("OVERFLOW",
                                                             "overflow")
                        .replace(" ", "\t"), 9) == (inputs, result)


@given(vectors_(), st.data())
def test_fields_have_fixed_widths(vec, data):
    """Two lines of one function and format have the same column layout."""
    function, fmt, inputs, result = vec
    other = data.draw(st.tuples(st.builds(lambda: None),
                                _result(function, fmt.kind)))
    inputs2 = data.draw(st.composite(lambda d: _inputs(d, function))())
    line1 = V.format_line(function, fmt, inputs, result)
    line2 = V.format_line(function, fmt, inputs2, other[1])
    widths1 = [len(t) for t in line1.split()]
    widths2 = [len(t) for t in line2.split()]
    if V.OVERFLOW in (result, other[1]):  # the one result of another width
        widths1, widths2 = widths1[:-1], widths2[:-1]
    assert widths1 == widths2


@given(st.floats(allow_nan=False))
def test_float64_bits_round_trip(x):
    bits = V.float_bits(x, "float64")
    assert bits == struct.unpack("<Q", struct.pack("<d", x))[0]
    back = V.bits_float(bits, "float64")
    assert back == x and math.copysign(1, back) == math.copysign(1, x)


def test_float_results_show_the_sign_of_zero():
    assert V.format_result(V.VectorFormat("float64"), -0.0) == \
        "8000000000000000"
    assert V.format_result(V.VectorFormat("float32"), -0.0) == "80000000"


def test_header_round_trip():
    for function in V.FUNCTIONS:
        for kind in V.formats_for(function):
            fmt = V.VectorFormat(kind, 7 if kind in ("int64", "object")
                                 else None)
            line = V.header_line(function, fmt, "1.2.3")
            assert V.parse_header(line) == V.Header(function, fmt, "1.2.3")


GOOD_HEADER = ("# poincare_q64 test vectors: function=angular format=int64/62 "
               "version=0.1.0")
GOOD_LINE = "4000000000000000 0 0 => 4000000000000000"


@pytest.mark.parametrize("line, reason", [
    ("4000000000000000 0 0 4000000000000000", "found 0 '=>'"),
    ("4000000000000000 0 0 => => 4000000000000000", "found 2 '=>'"),
    ("4000000000000000 0 => 4000000000000000", "wrong field count"),
    ("4000000000000000 0 0 => 4000000000000000 1", "wrong field count"),
    ("400000000000000g 0 0 => 4000000000000000", "input T: expected 16 hex"),
    ("400000000000000 0 0 => 4000000000000000", "input T: expected 16 hex"),
    ("04000000000000000 0 0 => 4000000000000000", "input T: expected 16"),
    ("4000000000000000 0 4 => 4000000000000000", "input d_theta: 4 is out"),
    ("4000000000000000 00 0 => 4000000000000000", "input rot: expected 1"),
    ("4000000000000000 0 0 => 400000000000000", "result: expected 16 hex"),
    ("4000000000000000 0 0 => 0x40000000000000", "result: expected 16 hex"),
    ("4000000000000000 0 0 => Overflow", "result: expected 16 hex"),
])
def test_malformed_vector_line_names_its_line_number(line, reason):
    text = [GOOD_HEADER, "# comment", "", GOOD_LINE, line, GOOD_LINE]
    header, vectors = V.read_vectors(text)
    with pytest.raises(V.VectorSyntaxError) as info:
        list(vectors)
    assert info.value.lineno == 5
    assert str(info.value).startswith("line 5: ")
    assert reason in str(info.value)


@pytest.mark.parametrize("function, fmt, line, reason", [
    ("radial", "int64/62", "0000000000000001 +4 0000000000000000 0 => "
     "0000000000000000", "input log2_c: +4 is out of range"),
    ("radial", "int64/62", "0000000000000001 -0 0000000000000000 0 => "
     "0000000000000000", "input log2_c: -0 is out of range"),
    ("radial", "int64/62", "0000000000000001 0 0000000000000000 0 => "
     "0000000000000000", "input log2_c: expected a sign"),
    ("modulation", "object/64", "00000001 00000002 => +0000000000000000",
     "result: expected a sign and 17 hex digits"),
    ("modulation", "object/64", "00000001 00000002 => -00000000000000000",
     "zero is written with '+'"),
    ("modulation", "object/64", "00000001 00000002 => +40000000000000000",
     "out of range"),
    ("modulation", "float32", "00000001 00000002 => 3f800000 ",
     None),  # trailing blanks are fine
    ("seed64", "float64", "0000000000010000 00000000 00000000 "
     "0000000000000000 => 0000000000000000", "basis field is 1"),
])
def test_field_values_are_checked(function, fmt, line, reason):
    header = V.header_line(function, V.parse_format(fmt), "0.1.0")
    _, vectors = V.read_vectors([header, line])
    if reason is None:
        assert len(list(vectors)) == 1
        return
    with pytest.raises(V.VectorSyntaxError,
                       match=f"^line 2: .*{re.escape(reason)}"):
        list(vectors)


@pytest.mark.parametrize("header, reason", [
    ("", "not a vector file header"),
    ("# poincare_q64 vectors: function=rbe format=float64 version=0.1.0",
     "not a vector file header"),
    ("# poincare_q64 test vectors: function=rbe format=float64",
     "not a vector file header"),
    ("# poincare_q64 test vectors: function=sinh format=float64 version=1",
     "unknown function 'sinh'"),
    ("# poincare_q64 test vectors: function=rbe format=float16 version=1",
     "unknown format 'float16'"),
    ("# poincare_q64 test vectors: function=rbe format=int64/65 version=1",
     "frac must be an integer in 0..64"),
    ("# poincare_q64 test vectors: function=rbe format=int64/07 version=1",
     "frac must be an integer in 0..64"),
    ("# poincare_q64 test vectors: function=rbe format=int64/062 version=1",
     "unknown format 'int64/062'"),
    ("# poincare_q64 test vectors: function=rbe format=uint32 version=1",
     "rbe has no format 'uint32'"),
    ("# poincare_q64 test vectors: function=spatial_hash format=float64 "
     "version=1", "spatial_hash has no format 'float64'"),
])
def test_malformed_header_is_line_1(header, reason):
    with pytest.raises(V.VectorSyntaxError,
                       match=f"^line 1: .*{re.escape(reason)}"):
        V.read_vectors([header, GOOD_LINE])


def test_empty_file_is_refused():
    with pytest.raises(V.VectorSyntaxError, match="^line 1: empty file"):
        V.read_vectors([])


def test_format_line_refuses_out_of_range_values():
    fmt = V.VectorFormat("int64", 62)
    with pytest.raises(ValueError, match="rot=16 is out of range"):
        V.format_line("angular", fmt, (0, 16, 0), 0)
    with pytest.raises(ValueError, match="does not fit int64"):
        V.format_line("angular", fmt, (0, 0, 0), 2**63)
    with pytest.raises(ValueError, match="overflow is a result of int64"):
        V.format_line("angular", V.VectorFormat("float64"), (0, 0, 0),
                      V.OVERFLOW)


# --------------------------------------------------------------------------
# Golden vectors
# --------------------------------------------------------------------------

def test_golden_files_are_those_make_vectors_writes():
    on_disk = {p.name for p in VECTOR_DIR.glob("*.txt")}
    assert on_disk == {make_vectors.file_name(f, fmt)
                       for f, fmt in make_vectors.FILES}
    functions = {f for f, _ in make_vectors.FILES}
    assert functions == set(V.FUNCTIONS)
    for function in V.FUNCTIONS:
        if function != "spatial_hash":
            fmts = {fmt for f, fmt in make_vectors.FILES if f == function}
            assert {"int64/62", "object/64", "float64", "float32"} <= fmts


@pytest.mark.parametrize("function, fmt_name", GOLDEN)
def test_kernels_agree_with_every_golden_vector(function, fmt_name):
    path = golden_path(function, fmt_name)
    header, vecs = read_file(path)
    assert (header.function, header.format.name) == (function, fmt_name)
    out = io.StringIO()
    with open(path, encoding="ascii") as fh:
        report = C.verify(fh, max_errors=0, out=out)
    assert out.getvalue() == ""
    assert (report.passed, report.failed) == (len(vecs), 0)
    # The same comparison without verify's machinery: the public API called
    # one vector at a time with the file's own numbers.
    fmt = header.format
    for v in vecs[::25]:
        assert C.evaluate_one(function, fmt, v.inputs) == v.result, v


@pytest.mark.parametrize("function, fmt_name", GOLDEN)
def test_golden_inputs_and_header_are_current(function, fmt_name):
    """The files are what make_vectors.py writes now (bar the results)."""
    path = golden_path(function, fmt_name)
    with open(path, encoding="ascii") as fh:
        text = fh.read().splitlines()
    # The header and comments come before any evaluation.
    head = list(itertools.islice(make_vectors.lines(function, fmt_name), 4))
    assert unversioned(text[:4]) == unversioned(head)
    _, vecs = read_file(path)
    inputs = C.VectorInputs(function, make_vectors.count(function),
                            make_vectors.SEED)
    assert [v.inputs for v in vecs] == list(inputs)


@pytest.mark.parametrize("function, fmt_name", GOLDEN)
def test_golden_results_come_from_the_reference(function, fmt_name):
    _, vecs = read_file(golden_path(function, fmt_name))
    sample = vecs[::12]
    fmt = V.parse_format(fmt_name)
    assert C.evaluate_reference(function, fmt, [v.inputs for v in sample]) \
        == [v.result for v in sample]


def test_golden_files_cover_overflow_ties_and_signed_zeros():
    """The cases the contract singles out appear in the files."""
    def results(function, fmt_name):
        return [v.result for v in read_file(golden_path(function,
                                                        fmt_name))[1]]

    for function in ("radial", "rbe", "rbe_pipeline", "seed64"):
        assert V.OVERFLOW in results(function, "int64/62")
    assert V.OVERFLOW in results("angular", "int64/64")
    # f = +-1/2 exactly rounds to even (0) at frac 0; the rbe hard cases
    # with c = 4, R = 2^63, T = 2^62, phi = 1 are such ties.
    _, vecs = read_file(golden_path("rbe", "int64/0"))
    ties = [v for v in vecs if v.inputs[0] == 1 << 63
            and v.inputs[1] in (1 << 62, 3 << 62)
            and v.inputs[4:] == (2, 0, 0, 0, 0)
            and ref.spatial_hash(*v.inputs[2:4]) % (1 << 31) == 0]
    assert ties and all(v.result == 0 for v in ties)
    assert 0x80000000 in results("rbe", "float32")  # -0.0: underflow
    assert 0 in results("rbe", "float32")


@pytest.mark.parametrize("function, fmt_name", GOLDEN[::3])
def test_gen_reproduces_the_golden_vectors(tmp_path, function, fmt_name):
    """``gen`` (the kernels) writes the golden file's lines, bar comments."""
    out = tmp_path / "gen.txt"
    fmt = V.parse_format(fmt_name)
    assert C.run_gen(function, fmt, make_vectors.count(function),
                     make_vectors.SEED, output=out, progress=False) == 0

    def content(path):
        with open(path, encoding="ascii") as fh:
            lines = fh.read().splitlines()
        return [lines[0]] + [x for x in lines if not x.startswith("#")]

    assert unversioned(content(out)) \
        == unversioned(content(golden_path(function, fmt_name)))


# --------------------------------------------------------------------------
# Worst cases (level 2)
# --------------------------------------------------------------------------

def worst_cases():
    out = []
    for path in sorted(WORST_DIR.glob("*.txt")):
        with open(path, encoding="ascii") as fh:
            function, cases = V.read_worst_cases(fh)
        assert function == path.stem
        out += [(function, c) for c in cases]
    return out


WORST = worst_cases()


def test_worst_case_files_cover_every_rounding_function():
    names = {p.stem for p in WORST_DIR.glob("*.txt")}
    # matrix functions have no worst cases of their own (docs/vectors.md)
    assert names == set(V.FUNCTIONS) - {"spatial_hash"} - V.MATRIX
    for function in names:
        fmts = {c.format.name for f, c in WORST if f == function}
        assert {"int64/62", "float64", "float32"} <= fmts, function
    assert sum(os.path.getsize(p) for p in WORST_DIR.glob("*.txt")) < 60_000


def test_kernels_agree_with_reference_on_every_worst_case():
    for function in set(f for f, _ in WORST):
        cases = [c for f, c in WORST if f == function]
        for fmt in {c.format for c in cases}:
            inputs = [c.inputs for c in cases if c.format == fmt]
            assert C.evaluate(function, fmt, inputs) == \
                C.evaluate_reference(function, fmt, inputs), (function, fmt)


# Exact values at 300 bits with mpmath, independent of the kernels and of
# the reference's rounding loop (radial exact: it is rational).

def _sin_turns(t, bits):
    """sin(2 pi t / 2^bits), reduced exactly to the first quadrant."""
    q, v = divmod(t % (1 << bits), 1 << (bits - 2))
    if v == 0:
        return mpmath.mpf((0, 1, 0, -1)[q])
    if q % 2:
        v = (1 << (bits - 2)) - v
    s = mpmath.sin(mpmath.pi * v / (1 << (bits - 1)))
    return s if q < 2 else -s


def _mpf(q):
    q = Fraction(q)
    return mpmath.mpf(q.numerator) / q.denominator


def _value(function, inputs):
    if function == "radial":
        return _mpf(ref.radial_exact(inputs[0], log2_c=inputs[1],
                                     eps=inputs[2], d_r=inputs[3]))
    if function == "angular":
        T, rot, d_theta = inputs
        return _sin_turns(T + (rot << 60) + (d_theta << 62), 64)
    if function == "modulation":
        return 1 + _sin_turns(ref.spatial_hash(*inputs), 32) / 10
    if function == "seed64":
        word, i, j, eps = inputs
        f = ref.unpack_seed64(word)
        inputs = (f.r << 44, f.theta << 40, i, j, f.log2_c, eps, f.d_r,
                  f.rot, f.d_theta)
    R, T, i, j, log2_c, eps, d_r, rot, d_theta = inputs
    g = ref.radial_exact(R, log2_c=log2_c, eps=eps, d_r=d_r)
    return (_mpf(g) * _value("angular", (T, rot, d_theta))
            * _value("modulation", (i, j)))


def _distance_to_midpoint(v, fmt):
    """|v * scale - nearest midpoint| in ulps of fmt (v nonzero)."""
    if fmt.kind in ("int64", "object"):
        y = abs(v) * mpmath.mpf(2) ** fmt.frac
    else:
        p, emin = (53, -1022) if fmt.kind == "float64" else (24, -126)
        e = max(int(mpmath.floor(mpmath.log(abs(v), 2))), emin)
        y = abs(v) / mpmath.mpf(2) ** (e - p + 1)
    return abs(y - mpmath.floor(y) - mpmath.mpf(1) / 2)


def test_worst_cases_lie_close_to_a_midpoint():
    with mpmath.workprec(300):
        for function, case in WORST:
            if function == "rbe_pipeline":
                continue  # exact ties: the next test
            d = _distance_to_midpoint(_value(function, case.inputs),
                                      case.format)
            # Random search alone reaches about 2^-15 ulp; 2^-8 leaves room
            # while still failing any input that is not hard to round.
            assert d < mpmath.mpf(2) ** -8, (function, case)
            if case.note == "tie":
                assert d == 0, case
            elif case.note.startswith(("+2^", "-2^")):
                noted = float(case.note[3:].split()[0])
                assert abs(float(mpmath.log(d, 2)) - noted) < 0.06, case


def test_rbe_pipeline_worst_cases_are_exact_ties():
    """P2 / 2^64 (the reference at object/64) sits on a midpoint."""
    cases = [c for f, c in WORST if f == "rbe_pipeline"]
    assert cases
    for case in cases:
        P2 = C.evaluate_reference("rbe_pipeline", V.VectorFormat("object", 64),
                                  [case.inputs])[0]
        a = abs(P2)
        if case.format.kind == "int64":
            shift = 64 - case.format.frac
        else:
            shift = a.bit_length() - (53 if case.format.kind == "float64"
                                      else 24)
        assert shift > 0 and a % (1 << shift) == 1 << (shift - 1), case


def test_level_2_adds_the_worst_cases():
    level1 = list(C.VectorInputs("rbe", 3, seed=5))
    level2 = list(C.VectorInputs("rbe", 3, seed=5, level=2,
                                 worst_dir=WORST_DIR))
    worst = [c.inputs for f, c in WORST if f == "rbe"]
    assert level2 == level1[:-3] + worst + level1[-3:]
    assert list(C.VectorInputs("spatial_hash", 0, 1, level=2,
                               worst_dir=WORST_DIR)) == \
        inputs.hard_inputs("spatial_hash")


def test_level_2_needs_the_worst_case_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="--worst-cases"):
        C.VectorInputs("rbe", 1, 1, level=2, worst_dir=tmp_path / "none")
    (tmp_path / "rbe.txt").write_text("# poincare_q64 worst cases: "
                                      "function=rbe\nfloat64 00 0\n")
    with pytest.raises(V.VectorSyntaxError, match="rbe.txt"):
        C.VectorInputs("rbe", 1, 1, level=2, worst_dir=tmp_path)


# --------------------------------------------------------------------------
# gen: determinism and atomic writes
# --------------------------------------------------------------------------

def _gen(path, seed, function="rbe", fmt=V.VectorFormat("float64"), n=300,
         level=1):
    return C.run_gen(function, fmt, n, seed, level=level, output=path,
                     worst_dir=WORST_DIR, progress=False)


def test_gen_same_seed_same_bytes(tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    _gen(a, 7, level=2)
    _gen(b, 7, level=2)
    _gen(c, 8, level=2)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    header, vecs = read_file(a)
    n_fixed = len(inputs.hard_inputs("rbe")) + sum(f == "rbe" for f, _ in WORST)
    assert len(vecs) == n_fixed + 300


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_goes_to_stderr(tmp_path, monkeypatch):
    """On a terminal, gen and verify show a tqdm bar on stderr only."""
    err = _Terminal()
    monkeypatch.setattr("sys.stderr", err)
    path = tmp_path / "v.txt"
    assert C.run_gen("angular", V.VectorFormat("float32"), 100, 1,
                     output=path, progress=True) == 0
    assert "gen angular" in err.getvalue()
    assert "vec/s" not in path.read_text()
    err.seek(0)
    err.truncate()
    out = io.StringIO()
    assert C.run_verify(str(path), progress=True, out=out) == 0
    assert "verify" in err.getvalue()
    assert out.getvalue() == f"{len(inputs.hard_inputs('angular')) + 100} tests " \
        "passed, 0 failure(s)\n"


def test_gen_cli_writes_the_same_file_as_stdout(tmp_path, capsys):
    path = tmp_path / "v.txt"
    assert cli.main(["gen", "angular", "--frac", "64", "-n", "20", "--seed",
                     "3", "-o", str(path), "--no-progress"]) == 0
    assert capsys.readouterr().out == ""
    assert cli.main(["gen", "angular", "--frac", "64", "-n", "20", "--seed",
                     "3", "--no-progress"]) == 0
    assert capsys.readouterr().out == path.read_text()
    header, vecs = read_file(path)
    assert header.format == V.VectorFormat("int64", 64)
    assert len(vecs) == len(inputs.hard_inputs("angular")) + 20


def _failing(lines_before_failure, exc):
    def lines():
        for k in range(lines_before_failure):
            yield f"line {k}"
        raise exc
    return lines()


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_write_leaves_no_file(tmp_path, exc):
    path = tmp_path / "v.txt"
    with pytest.raises(type(exc)):
        vector_files.write_atomic(path, _failing(1000, exc))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_write_keeps_the_old_file(tmp_path, exc):
    path = tmp_path / "v.txt"
    path.write_text("old contents\n")
    with pytest.raises(type(exc)):
        vector_files.write_atomic(path, _failing(1000, exc))
    assert list(tmp_path.iterdir()) == [path]
    assert path.read_text() == "old contents\n"


def test_written_file_has_ordinary_permissions(tmp_path):
    path = tmp_path / "v.txt"
    vector_files.write_atomic(path, ["x"])
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_gen_failing_midway_keeps_the_old_file(tmp_path, monkeypatch,
                                               capsys):
    path = tmp_path / "v.txt"
    path.write_text("old contents\n")
    calls = []

    def evaluate(function, fmt, inputs, threads=None):
        calls.append(len(inputs))
        if len(calls) == 2:
            raise ValueError("evaluation failed")
        return [0] * len(inputs)

    monkeypatch.setattr(C, "CHUNK", 50)
    monkeypatch.setattr(C, "evaluate", evaluate)
    monkeypatch.setattr(C.generate_lines, "__defaults__",
                        (C.evaluate, (), None, 50))
    status = cli.main(["gen", "rbe", "-n", "200", "-o", str(path),
                       "--no-progress"])
    assert status == 2
    assert "evaluation failed" in capsys.readouterr().err
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == [path]
    assert path.read_text() == "old contents\n"


def test_gen_to_a_missing_directory_is_an_error(tmp_path, capsys):
    status = cli.main(["gen", "rbe", "-n", "1", "-o",
                       str(tmp_path / "no" / "v.txt"), "--no-progress"])
    assert status == 2
    assert "No such file or directory" in capsys.readouterr().err


# --------------------------------------------------------------------------
# eval
# --------------------------------------------------------------------------

def _eval(capsys, *argv):
    assert cli.main(["eval", *argv]) == 0
    return capsys.readouterr().out.strip()


def test_eval_prints_hex_and_decimal(capsys):
    args = ["rbe", "0x8000000000000000", "0x4000000000000000", "5", "7",
            "--log2_c", "-1", "--eps", "3", "--d_r", "1", "--rot", "2"]
    expected = ref.rbe(1 << 63, 1 << 62, 5, 7, log2_c=-1, eps=3, d_r=1,
                       rot=2, dtype=float)
    bits = struct.unpack("<Q", struct.pack("<d", expected))[0]
    assert _eval(capsys, *args, "--float64") == f"{bits:016x} {expected!r}"
    assert _eval(capsys, *args, "--float64", "--reference") == \
        f"{bits:016x} {expected!r}"
    X = ref.rbe(1 << 63, 1 << 62, 5, 7, log2_c=-1, eps=3, d_r=1, rot=2,
                frac=64, dtype=object)
    sign = "-" if X < 0 else "+"
    assert _eval(capsys, *args, "--object", "--frac", "64") == \
        f"{sign}{abs(X):017x} {X} (X / 2^64 = {X / 2**64:.17g})"
    X = ref.rbe(1 << 63, 1 << 62, 5, 7, log2_c=-1, eps=3, d_r=1, rot=2)
    assert _eval(capsys, *args) == \
        f"{X % 2**64:016x} {X} (X / 2^62 = {X / 2**62:.17g})"


def test_eval_other_functions(capsys):
    H = ref.spatial_hash(5, 7)
    assert _eval(capsys, "spatial_hash", "5", "7") == f"{H:08x} {H}"
    word = ref.pack_seed64(0x7FFFF, 0x400000, 0, 3, 1, 13, -3, 42)
    x = ref.rbe_seed64(word, 1, 2, eps=9, dtype="float32")
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    assert _eval(capsys, "seed64", hex(word), "1", "2", "--eps", "9",
                 "--float32").split()[0] == f"{bits:08x}"


def test_eval_overflow_is_reported_not_wrapped(capsys):
    out = _eval(capsys, "radial", "0", "--d_r", "1")
    assert out.startswith("overflow")
    assert "--object" in out
    assert _eval(capsys, "radial", "0", "--d_r", "1", "--object") == \
        f"+{1 << 63:017x} {1 << 63} (X / 2^62 = 2)"


@pytest.mark.parametrize("argv, message", [
    (["rbe", "1", "2", "3", "4", "--rot", "16"], "rot=16 is out of range"),
    (["radial", "0x1" + "0" * 16], "R=18446744073709551616 is out of range"),
    (["radial", "1.5"], "not an integer: '1.5'"),
    (["spatial_hash", "1", "2", "--float64"], "always uint32"),
    (["seed64", "0x10000", "1", "2"], "basis"),
])
def test_eval_bad_input_is_a_usage_error(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        cli.main(["eval", *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
