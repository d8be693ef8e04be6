"""Fuzz tests: the vector-file parser, ``poincare-q64 verify`` and the
argument checks of the public functions, on random and mutated input.

The properties are about robustness, not about one answer:

* a vector file (a real one from tests/data, mutated) either parses into
  vectors whose fields are in range and that write back to the same line,
  or raises VectorSyntaxError naming the line -- never another exception;
* ``poincare-q64 verify`` on such a file exits 0, 1 or 2 with a message,
  never a traceback, and exits 0 only when every result is right (the
  right results are the file's own before the mutation, made by the
  reference, or the reference's for inputs the mutation made);
* a public function called with arguments from a broad strategy (ints in
  and out of range, bools, floats, numpy scalars and arrays of every dtype
  and layout, strings, Decimal, Fraction, ...) raises TypeError, ValueError
  or OverflowError with a message exactly when the arguments break the
  documented contract, and otherwise returns the documented dtype and shape
  with values equal to poincare_q64.reference (a few elements checked);
  ``out`` is untouched when the call raises.

In the normal suite (hypothesis profile "ci") each target runs a few dozen
derandomized examples; ``HYPOTHESIS_PROFILE=fuzz`` (.ci/jobs/fuzz.sh) runs
many more, from a random seed.
"""
import datetime
import io
import os
import re
import tempfile
import warnings
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import (HealthCheck, event, example, given, settings,
                        strategies as st)

import poincare_q64 as pq
from poincare_q64 import cli, conformance, reference as ref, registry
from poincare_q64 import vectors as V
from poincare_q64.vector_files import default_worst_case_dir

from conftest import PROFILE

DATA = Path(__file__).parent / "data"
TWO64 = 1 << 64

#: Examples per target: (normal suite, fuzz job).  The fuzz figures are
#: calibrated so that .ci/jobs/fuzz.sh takes about 80 s on an idle core
#: (more on a loaded machine);
#: POINCARE_Q64_FUZZ_SCALE multiplies them (2: twice as long).
FUZZ_EXAMPLES = {
    "parse": (60, 3000),
    "worst": (30, 1200),
    "verify": (25, 750),
    "value": (80, 1750),
    "pack": (50, 700),
    "unpack": (50, 1000),
    "seed": (50, 800),
    "to_q64": (50, 1100),
    "turns": (40, 600),
    "seed64_from_float": (40, 720),
    "decode": (40, 1500),
    "phi_table": (30, 1000),
    "encode": (15, 430),
}


#: The parsers' targets fail an example that takes this long (a hang, or
#: work growing with a line's length beyond reason); typical is 1-30 ms.
PARSE_DEADLINE = datetime.timedelta(seconds=5)


def examples(target, suppress=(), deadline=None):
    """The settings of a target: its example count in the active profile."""
    ci, fuzz = FUZZ_EXAMPLES[target]
    if PROFILE == "fuzz":
        n = max(1, round(fuzz * float(os.environ.get(
            "POINCARE_Q64_FUZZ_SCALE", "1"))))
    elif PROFILE == "thorough":
        n = 10 * ci
    else:
        n = ci
    return settings(max_examples=n, deadline=deadline, suppress_health_check=[
        *settings.default.suppress_health_check, *suppress])


# --------------------------------------------------------------------------
# Mutated vector files
# --------------------------------------------------------------------------

VECTOR_FILES = {p.name: p.read_bytes()
                for p in sorted((DATA / "vectors").glob("*.txt"))}
WORST_FILES = {p.name: p.read_bytes()
               for p in sorted(Path(default_worst_case_dir()).glob("*.txt"))}
assert VECTOR_FILES and WORST_FILES, "the golden and worst-case files are missing"

#: Bytes inserted by the mutations: controls, separators the grammar does not
#: have, signs, hex digits, the arrow, and non-ASCII (UTF-8 of a Unicode
#: space, an Arabic-Indic digit, a fullwidth digit; a lone high byte).
NOISE = [b"\x00", b"\r", b"\r\n", b"\n", b"\t", b" ", b"\x0b", b"\x0c",
         b"\x1c", b"\x1f", b"\x7f", b"\x80", b"\xff", b"\xc2\xa0",
         b"\xe2\x80\x83", b"\xd9\xa0", b"\xef\xbc\x90", b"#", b"=>", b"=",
         b">", b"+", b"-", b"0", b"7", b"f", b"F", b"g", b"x", b"0x",
         b"overflow", b"_", b"1_0"]


def _lines(data):
    return data.split(b"\n")


def _join(lines):
    return b"\n".join(lines)


def _vector_lines(lines):
    return [k for k, line in enumerate(lines)
            if k and line.strip() and not line.strip().startswith(b"#")]


@st.composite
def mutations(draw, data):
    """``data`` with a few random mutations."""
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from([
            "flip", "delete", "insert", "truncate_line", "width", "dup_field",
            "swap_fields", "header", "huge_field", "long_line", "cut",
            "dup_line", "swap_lines", "case", "sep", "digit", "digit"]))
        lines = _lines(data)
        vec = _vector_lines(lines)
        if op == "flip" and data:
            k = draw(st.integers(0, len(data) - 1))
            data = (data[:k] + bytes([data[k] ^ draw(st.integers(1, 255))])
                    + data[k + 1:])
        elif op == "delete" and data:
            k = draw(st.integers(0, len(data) - 1))
            data = data[:k] + data[k + draw(st.integers(1, 40)):]
        elif op == "insert":
            k = draw(st.integers(0, len(data)))
            noise = b"".join(draw(st.lists(st.sampled_from(NOISE), min_size=1,
                                           max_size=4)))
            data = data[:k] + noise + data[k:]
        elif op == "truncate_line" and vec:
            k = draw(st.sampled_from(vec))
            lines[k] = lines[k][:draw(st.integers(0, len(lines[k])))]
            data = _join(lines)
        elif op in ("width", "dup_field", "swap_fields", "huge_field",
                    "case") and vec:
            k = draw(st.sampled_from(vec))
            fields = lines[k].split(b" ")
            f = draw(st.integers(0, len(fields) - 1))
            if op == "width":
                if draw(st.booleans()) or not fields[f]:
                    fields[f] += draw(st.sampled_from([b"0", b"a", b"F"]))
                else:
                    fields[f] = fields[f][1:]
            elif op == "dup_field":
                fields.insert(f, fields[f])
            elif op == "swap_fields":
                g = draw(st.integers(0, len(fields) - 1))
                fields[f], fields[g] = fields[g], fields[f]
            elif op == "huge_field":
                fields[f] = b"f" * draw(st.sampled_from([17, 65, 1000, 70000]))
            else:
                fields[f] = fields[f].upper()
            lines[k] = b" ".join(fields)
            data = _join(lines)
        elif op == "sep" and vec:
            k = draw(st.sampled_from(vec))
            sep = draw(st.sampled_from([b"\t", b"  ", b" \t ", b"\x0b",
                                        b"\x0c", b"\x1c", b"\xc2\xa0"]))
            lines[k] = lines[k].replace(b" ", sep)
            data = _join(lines)
        elif op == "header":
            head = draw(st.sampled_from([
                b"", b"# poincare_q64 test vectors:",
                b"# poincare_q64 test vectors: function=rbe format=int64/62",
                b"# poincare_q64 worst cases: function=rbe",
            ] + [b"# poincare_q64 test vectors: function=%s format=%s "
                 b"version=0.1.0" % (f.encode(), fmt) for f in
                 ("rbe", "spatial_hash", "decode_seed64", "seed64", "angular",
                  "nosuch")
                 for fmt in (b"int64/62", b"int64/64", b"object/0",
                             b"object/65", b"object/07", b"float32",
                             b"uint32", b"int64")]))
            data = _join([head] + lines[1:])
        elif op == "long_line":
            k = draw(st.integers(0, len(lines)))
            size = draw(st.sampled_from([100, 4096, (1 << 16) - 1, 1 << 16,
                                         (1 << 16) + 1, 200000]))
            lines.insert(k, draw(st.sampled_from([b"0", b" ", b"#"])) * size)
            data = _join(lines)
        elif op == "digit" and vec:
            # another hex digit: a valid line with other inputs or a wrong
            # result, the common case of a real bug
            k = draw(st.sampled_from(vec))
            spots = [p for p, c in enumerate(lines[k]) if chr(c) in
                     "0123456789abcdef"]
            if spots:
                p = draw(st.sampled_from(spots))
                lines[k] = (lines[k][:p]
                            + draw(st.sampled_from(b"0123456789abcdef"))
                            .to_bytes(1, "little") + lines[k][p + 1:])
                data = _join(lines)
        elif op == "cut" and data:
            data = data[:draw(st.integers(0, len(data)))]
        elif op == "dup_line" and lines:
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = _join(lines)
        elif op == "swap_lines" and len(lines) > 1:
            a = draw(st.integers(0, len(lines) - 1))
            b = draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            data = _join(lines)
    return data


def mutated(files):
    return st.sampled_from(sorted(files)).flatmap(
        lambda name: st.tuples(st.just(name), mutations(files[name])))


def _text_lines(data):
    """The lines as a text file opened with newline=None gives them (CR and
    CRLF end a line too); bytes beyond ASCII decoded as UTF-8 where they are
    (the parser must refuse every non-grammar character, whatever it is)."""
    text = data.decode("utf-8", errors="surrogateescape")
    return io.StringIO(text, newline=None).readlines()


_HEX = re.compile(r"[0-9a-f]+")


def _canonical(raw):
    """A vector line as the grammar allows it to be written: fields
    separated by spaces or tabs, lower-case hex."""
    return " ".join(re.split(r"[ \t]+", raw.rstrip("\n").strip(" \t"))).lower()


def _check_result_value(function, fmt, result):
    if function in V.MATRIX:
        if result == V.OVERFLOW:
            assert fmt.kind == "int64"
        else:
            assert isinstance(result, str) and len(result) == 64
            assert _HEX.fullmatch(result)
        return
    if result == V.OVERFLOW:
        assert fmt.kind == "int64"
        return
    assert type(result) is int
    lo, hi = {"int64": (-(1 << 63), 1 << 63),
              "object": (-(1 << 66) + 1, 1 << 66),
              "float64": (0, 1 << 64), "float32": (0, 1 << 32),
              "uint32": (0, 1 << 32)}[fmt.kind]
    assert lo <= result < hi, (fmt, result)


def _check_syntax_error(exc, nlines):
    assert isinstance(exc, V.VectorSyntaxError)
    assert str(exc).startswith(f"line {exc.lineno}: ")
    assert exc.reason
    assert 1 <= exc.lineno <= max(nlines, 1)


def _check_vector(header, vec, raw):
    function, fmt = header.function, header.format
    names = V.INPUTS[function]
    assert len(vec.inputs) == len(names)
    for name, value in zip(names, vec.inputs):
        x = registry.INPUTS[name]
        assert type(value) is int and x.lo <= value < x.hi, (name, value)
    if "word" in names:
        assert (vec.inputs[names.index("word")] >> 16) & 0xF == 0
    _check_result_value(function, fmt, vec.result)
    line = V.format_line(function, fmt, vec.inputs, vec.result)
    assert V.parse_line(function, fmt, line, vec.lineno) == (vec.inputs,
                                                              vec.result)
    # an accepted line is the canonical one up to case and spaces or tabs
    assert _canonical(raw) == line, (raw, line)


def parse_vector_file(lines):
    """(header, the vectors before the first malformed line (checked), the
    VectorSyntaxError or None)."""
    header, out = None, []
    try:
        header, vecs = V.read_vectors(lines)
        for vec in vecs:
            _check_vector(header, vec, lines[vec.lineno - 1])
            out.append(vec)
        return header, out, None
    except V.VectorSyntaxError as exc:
        _check_syntax_error(exc, len(lines))
        return header, out, exc


def _with_separator(name, sep):
    """A real file whose first vector line separates its fields by sep."""
    lines = _lines(VECTOR_FILES[name])
    k = _vector_lines(lines)[0]
    lines[k] = lines[k].replace(b" ", sep)
    return name, _join(lines)


@examples("parse", deadline=PARSE_DEADLINE)
@given(mutated(VECTOR_FILES))
@example(_with_separator("angular_float32.txt", b"\x0b")).via(
    "a vertical tab is not a field separator")
@example(_with_separator("rbe_int64_62.txt", b"\x1c")).via(
    "nor is a file separator, which str.split() takes")
@example(_with_separator("spatial_hash_uint32.txt", b"\xc2\xa0")).via(
    "nor a no-break space")
@example(_with_separator("radial_float64.txt", b" \t ")).via(
    "spaces and tabs are")
def test_fuzz_vector_parser_refuses_or_round_trips(case):
    """A mutated vector file parses into in-range, canonical vectors or is
    refused with a VectorSyntaxError naming the line."""
    _, data = case
    parse_vector_file(_text_lines(data))


@examples("worst", deadline=PARSE_DEADLINE)
@given(mutated(WORST_FILES))
def test_fuzz_worst_case_parser_refuses_or_round_trips(case):
    """The same for the worst-case files."""
    _, data = case
    lines = _text_lines(data)
    try:
        function, cases = V.read_worst_cases(lines)
    except V.VectorSyntaxError as exc:
        _check_syntax_error(exc, len(lines))
        return
    names = V.INPUTS[function]
    for wc in cases:
        assert wc.format.kind in V.formats_for(function)
        if wc.format.frac is not None:
            assert 0 <= wc.format.frac <= 64
        for name, value in zip(names, wc.inputs, strict=True):
            x = registry.INPUTS[name]
            assert type(value) is int and x.lo <= value < x.hi
        line = V.format_worst_case(function, wc.format, wc.inputs)
        raw = lines[wc.lineno - 1].split("#")[0]
        assert _canonical(raw) == line.lower(), (raw, line)


# --------------------------------------------------------------------------
# verify, through the CLI's main function
# --------------------------------------------------------------------------

# The right results: the unmutated files' own, made by the reference.
_KNOWN = {}
for _name, _data in VECTOR_FILES.items():
    _header, _vecs = V.read_vectors(_data.decode("ascii").splitlines())
    for _v in _vecs:
        _KNOWN[(_header.function, _header.format, _v.inputs)] = _v.result

#: Matrices larger than this are not decoded by the reference here (its
#: decode is a Python loop); verify itself is run on them up to
#: VERIFY_MAX_ELEMENTS, for time, and beyond what it decodes
#: (conformance.MAX_MATRIX_ELEMENTS: it must refuse them), but not between
#: (see test_fuzz_verify_exits_0_1_or_2).
REFERENCE_MAX_ELEMENTS = 64
VERIFY_MAX_ELEMENTS = 1 << 16


def _expected(function, fmt, inputs):
    key = (function, fmt, inputs)
    if key not in _KNOWN:
        if function in V.MATRIX:
            names = V.INPUTS[function]
            m, n = inputs[names.index("m")], inputs[names.index("n")]
            if m * n > REFERENCE_MAX_ELEMENTS:
                return None
        _KNOWN[key] = conformance.evaluate_reference(function, fmt,
                                                     [inputs])[0]
    return _KNOWN[key]


def _matrix_elements(header, vecs):
    if header is None or header.function not in V.MATRIX:
        return 0
    names = V.INPUTS[header.function]
    return max((v.inputs[names.index("m")] * v.inputs[names.index("n")]
                for v in vecs), default=0)


@examples("verify", suppress=[HealthCheck.function_scoped_fixture],
          deadline=PARSE_DEADLINE)
@given(mutated(VECTOR_FILES))
def test_fuzz_verify_exits_0_1_or_2(capsys, case):
    """verify exits 0 (every result right), 1 (a wrong result) or 2 (a
    message naming the problem), never with a traceback."""
    name, data = case
    lines = _text_lines(data)
    header, vecs, syntax_error = parse_vector_file(lines)
    if VERIFY_MAX_ELEMENTS < _matrix_elements(header, vecs) \
            <= conformance.MAX_MATRIX_ELEMENTS:
        # decoded whole: up to 2^24 elements, too slow for many examples
        event("skipped: a matrix too large to decode quickly")
        return
    capsys.readouterr()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        with open(path, "wb") as fh:
            fh.write(data)
        status = cli.main(["verify", path, "--no-progress", "--errors", "0",
                           "--threads", "1"])
    out, err = capsys.readouterr()
    assert status in (0, 1, 2), status
    event(f"exit status {status}")
    assert "Traceback" not in out + err
    if status == 2:
        assert err.startswith("poincare-q64 verify: ") and err.strip(), err
        return
    assert err == ""
    # the file was read whole: it is valid ASCII and parses
    assert header is not None and syntax_error is None, (err, syntax_error)
    data.decode("ascii")
    m = re.search(r"^(\d+) tests passed, (\d+) failure\(s\)$", out, re.M)
    assert m, out
    passed, failed = int(m.group(1)), int(m.group(2))
    assert passed + failed == len(vecs)
    assert (status == 1) == (failed > 0)
    wrong, unknown = 0, 0
    for v in vecs:
        exp = _expected(header.function, header.format, v.inputs)
        if exp is None:
            unknown += 1
            continue
        wrong += exp != v.result
        if status == 0:
            assert exp == v.result, (v, exp)
    assert wrong <= failed <= wrong + unknown, (wrong, failed, unknown)


def test_verify_refuses_a_matrix_too_large_to_decode(tmp_path, capsys):
    """A decode_seed64 vector of shape (2**32 - 1) x (2**32 - 1) is valid
    grammar but cannot be decoded: verify exits 2 naming the line."""
    path = tmp_path / "big.txt"
    path.write_text(
        "# poincare_q64 test vectors: function=decode_seed64 format=float64 "
        "version=0.1.0\n8000040000000000 ffffffff ffffffff 0000000000000000 "
        "=> " + "0" * 64 + "\n", encoding="ascii")
    status = cli.main(["verify", str(path), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2 and "line 2" in err, (status, err)


# --------------------------------------------------------------------------
# Arguments: strategies
# --------------------------------------------------------------------------

INT_DTYPES = [np.dtype(t) for t in ("i1", "i2", "i4", "i8", "u1", "u2", "u4",
                                    "u8", ">i8", ">u8", ">i4", "<u2")]
#: Array dtypes that are never integer arguments.
NON_INT_DTYPES = [np.dtype(t) for t in (
    "?", "f2", "f4", "f8", ">f8", "g", "c8", "c16", "U3", "S3", "M8[s]",
    "m8[s]", "m8[ns]")] + [np.dtype([("a", "i8")]), np.dtype([("a", "u4"),
                                                          ("b", "i2")])]
SHAPES = [(), (0,), (1,), (2,), (3,), (1, 3), (2, 1), (2, 3), (3, 2), (0, 3),
          (1, 1, 2)]

#: Scalars that are never integers (bool, real and complex numbers, text,
#: dates, durations, None, other objects).
NON_INT_SCALARS = [
    True, False, np.bool_(True), 0.0, -0.0, 1.0, 2.0, float("nan"),
    float("inf"), -float("inf"), 2.0 ** 64, np.float16(1), np.float32(2),
    np.float64(3), np.longdouble(4), 1j, np.complex64(1), "5", b"5",
    np.str_("5"), np.bytes_(b"5"), None, Decimal(5), Decimal("NaN"),
    Fraction(5), Fraction(1, 2), np.datetime64(5, "s"),
    np.timedelta64(5, "ns"), np.timedelta64(5, "s"), object(), {}, set(),
    range(3), slice(1), Ellipsis, np.void(b"\x01")]


def int_in(lo, hi):
    """Ints in [lo, hi), the ends often."""
    return st.one_of(st.integers(lo, hi - 1), st.sampled_from([lo, hi - 1]))


def int_near(lo, hi):
    """Ints in and just out of [lo, hi), and huge ones."""
    return st.one_of(int_in(lo, hi), st.sampled_from(
        [lo - 1, hi, hi + 1, -1, 1 << 63, 1 << 64, -(1 << 63) - 1, 1 << 200,
         -(1 << 200), 1 << 20000, -(1 << 20000)]))


@st.composite
def int_arrays(draw, lo, hi, valid=False):
    """Arrays of an integer dtype (native or not), any shape and layout,
    values mostly in [lo, hi) (only, if ``valid``)."""
    dtypes = INT_DTYPES
    if valid:
        dtypes = [d for d in INT_DTYPES if max(lo, int(np.iinfo(d).min))
                  < min(hi, int(np.iinfo(d).max) + 1)]
    dt = draw(st.sampled_from(dtypes))
    info = np.iinfo(dt)
    a_lo, a_hi = max(lo, int(info.min)), min(hi, int(info.max) + 1)
    shape = draw(st.sampled_from(SHAPES))
    n = int(np.prod(shape, dtype=np.int64))
    if a_lo < a_hi and (valid or draw(st.integers(0, 3))):
        vals = draw(st.lists(int_in(a_lo, a_hi), min_size=n, max_size=n))
    else:
        vals = draw(st.lists(st.integers(int(info.min), int(info.max)),
                             min_size=n, max_size=n))
    a = np.array(vals, dtype=dt).reshape(shape)
    return draw(layouts(a, masked=not valid))


@st.composite
def layouts(draw, a, masked=True):
    """The same values as ``a`` in another memory layout or wrapper."""
    how = draw(st.sampled_from(["plain", "reversed", "strided", "fortran",
                                "readonly"] + ["masked", "masked0"] * masked))
    if how == "reversed" and a.ndim:
        return np.ascontiguousarray(a[::-1])[::-1]
    if how == "strided" and a.ndim:
        big = np.repeat(a, 2, axis=-1)
        return big[..., ::2]
    if how == "fortran":
        return np.asfortranarray(a)
    if how == "readonly":
        a = a.copy()
        a.flags.writeable = False
        return a
    if how == "masked":
        return np.ma.masked_array(a, mask=np.ones(a.shape, bool))
    if how == "masked0":
        return np.ma.masked_array(a)
    return a


@st.composite
def other_arrays(draw, lo, hi):
    """Arrays that are not integer arguments, or object arrays that may be."""
    shape = draw(st.sampled_from([s for s in SHAPES]))
    n = int(np.prod(shape, dtype=np.int64))
    kind = draw(st.sampled_from(["object", "object_bad", "other"]))
    if kind == "other":
        dt = draw(st.sampled_from(NON_INT_DTYPES))
        return draw(layouts(np.zeros(shape, dtype=dt)))
    elems = int_near(lo, hi)
    if kind == "object_bad":
        elems = st.one_of(elems, st.sampled_from(NON_INT_SCALARS[:30]))
    vals = draw(st.lists(st.one_of(elems, st.builds(np.int64, int_in(0, 2)),
                                   st.builds(np.uint8, int_in(0, 2))),
                         min_size=n, max_size=n))
    a = np.empty(n, dtype=object)
    a[:] = vals
    return a.reshape(shape)


@st.composite
def nested_lists(draw, lo, hi):
    shape = draw(st.sampled_from([(0,), (1,), (3,), (2, 2), (1, 3)]))
    n = int(np.prod(shape))
    vals = draw(st.lists(st.one_of(int_near(lo, hi),
                                   st.sampled_from([True, 1.0, None, [1]])),
                         min_size=n, max_size=n))
    out = np.empty(n, dtype=object)
    out[:] = vals
    res = out.reshape(shape).tolist()
    if draw(st.booleans()) and len(shape) == 1:
        res = tuple(res)
    if draw(st.integers(0, 7)) == 0 and len(shape) == 2:
        res[0] = res[0][:1]        # ragged
    return res


@st.composite
def numpy_int_scalars(draw, lo, hi, valid=False):
    dtypes = INT_DTYPES
    if valid:
        dtypes = [d for d in INT_DTYPES if max(lo, int(np.iinfo(d).min))
                  < min(hi, int(np.iinfo(d).max) + 1)]
    dt = draw(st.sampled_from(dtypes))
    info = np.iinfo(dt)
    a_lo, a_hi = max(lo, int(info.min)), min(hi, int(info.max) + 1)
    if a_lo < a_hi and (valid or draw(st.booleans())):
        v = draw(int_in(a_lo, a_hi))
    else:
        v = draw(st.integers(int(info.min), int(info.max)))
    return np.array(v, dtype=dt)[()]


def valid_int_args(lo, hi):
    """Arguments within the contract, of every accepted type and layout."""
    return st.one_of(int_in(lo, hi), numpy_int_scalars(lo, hi, valid=True),
                     int_arrays(lo, hi, valid=True),
                     st.lists(int_in(lo, hi), max_size=3))


def int_args(lo, hi, valid=False):
    """Any argument, weighted toward valid ones so that calls also return
    (only valid ones if ``valid``)."""
    if valid:
        return valid_int_args(lo, hi)
    return st.one_of(
        int_in(lo, hi), int_in(lo, hi), int_near(lo, hi),
        numpy_int_scalars(lo, hi), int_arrays(lo, hi), int_arrays(lo, hi),
        other_arrays(lo, hi), nested_lists(lo, hi),
        st.sampled_from(NON_INT_SCALARS))


# --------------------------------------------------------------------------
# Arguments: the contract, written independently of the package's checks
# --------------------------------------------------------------------------

class Invalid(Exception):
    """The arguments break the documented contract: the call must raise."""

    def __init__(self, what):
        super().__init__(type(what).__name__)


def _is_int(x):
    return (isinstance(x, (int, np.integer))
            and not isinstance(x, (bool, np.bool_, np.timedelta64)))


def model_int(value, lo, hi):
    """(object array of Python ints, is_scalar), or Invalid."""
    if isinstance(value, np.ma.MaskedArray):
        raise Invalid("masked")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu":
            flat = [int(x) for x in value.ravel()]
        elif value.dtype.kind == "O":
            flat = list(value.ravel())
        else:
            raise Invalid(value.dtype)
        arr = np.empty(len(flat), dtype=object)
        arr[:] = flat
        arr = arr.reshape(value.shape)
        scalar = False
    elif isinstance(value, (list, tuple, range)):
        try:
            arr = np.array(list(value) if isinstance(value, range) else value,
                           dtype=object)
        except ValueError:
            raise Invalid("ragged") from None
        scalar = False
    elif _is_int(value):
        arr = np.array(int(value), dtype=object)
        scalar = True
    else:
        raise Invalid(type(value))
    for x in arr.ravel():
        if not _is_int(x) or not lo <= int(x) < hi:
            raise Invalid(x)
    out = np.empty(arr.shape, dtype=object)
    out.ravel()[:] = [int(x) for x in arr.ravel()] if arr.size else []
    return out.reshape(arr.shape), scalar


_FORMAT_DTYPES = {np.dtype("int64"): "int64", np.dtype(object): "object",
                  np.dtype("float64"): "float64",
                  np.dtype("float32"): "float32"}


def model_format(dtype, frac):
    """(kind, frac) of a valid format, or Invalid."""
    if dtype is None:
        raise Invalid("dtype None")
    try:
        kind = _FORMAT_DTYPES.get(np.dtype(dtype))
    except (TypeError, ValueError):
        raise Invalid(dtype) from None
    if kind is None:
        raise Invalid(dtype)
    if kind in ("float64", "float32"):
        if frac is not None:
            raise Invalid("frac with a float")
        return kind, None
    if frac is None:
        return kind, 62
    if not _is_int(frac) or not 0 <= int(frac) <= 64:
        raise Invalid(frac)
    return kind, int(frac)


def model_threads(threads):
    if threads is not None and (not _is_int(threads) or threads < 1):
        raise Invalid(threads)


OMIT = object()

DTYPE_CHOICES = [np.int64, "int64", "i8", np.dtype("int64"), int, object,
                 "object", "O", np.float64, "float64", "f8", float,
                 np.float32, "float32", "f4", None, np.int32, "int32", ">f8",
                 ">i8", "float16", np.uint64, "u8", "bogus", 5, 1 << 20000,
                 np.dtype([("a", "i8")]), "S8", np.longdouble, complex]
FRAC_CHOICES = [None, 0, 1, 31, 61, 62, 63, 64, np.int8(3), np.uint64(64),
                -1, 65, 1 << 64, 1 << 20000, True, 62.0, "62", Fraction(62),
                Decimal(62),
                np.timedelta64(3, "ns")]
THREAD_CHOICES = [None, 1, 2, 1 << 70, np.int64(2), np.uint8(1), 0, -1,
                  -(1 << 20000),
                  True, 2.0, "2", np.timedelta64(2, "ns")]


@st.composite
def valid_format_args(draw):
    out = {}
    if draw(st.booleans()):
        out["dtype"] = draw(st.sampled_from(DTYPE_CHOICES[:15]))
    kind = _FORMAT_DTYPES[np.dtype(out.get("dtype", np.int64))]
    if kind in ("int64", "object") and draw(st.booleans()):
        out["frac"] = draw(st.sampled_from(FRAC_CHOICES[:10]))
    return out


def format_args():
    return st.fixed_dictionaries({}, optional={
        "dtype": st.sampled_from(DTYPE_CHOICES),
        "frac": st.sampled_from(FRAC_CHOICES)})


def _bits(kind, x):
    if kind == "float64":
        return V.float_bits(float(x), "float64")
    if kind == "float32":
        return int(np.float32(x).view(np.uint32))
    return int(x)


_SCALAR_TYPE = {"int64": np.int64, "object": int, "float64": np.float64,
                "float32": np.float32}


def _sample_indices(draw, shape):
    """A few indices of a result of ``shape``: the first, the last, one
    drawn."""
    n = int(np.prod(shape, dtype=np.int64))
    event("returned" if n else "returned (empty)")
    if n == 0:
        return []
    # draw is None in an explicit @example: the first and last only
    picks = {0, n - 1} | ({draw(st.integers(0, n - 1))} if draw else set())
    return [np.unravel_index(k, shape) for k in sorted(picks)]


def _check_raises(name, call, out=None):
    """call() must raise TypeError/ValueError/OverflowError with a message
    that starts with the function's name, leaving out (if any) untouched."""
    before = None if not isinstance(out, np.ndarray) else out.copy()
    with pytest.raises((TypeError, ValueError, OverflowError)) as info:
        call()
    assert str(info.value).startswith(f"{name}: "), repr(info.value)
    event(f"refused: {type(info.value).__name__}")
    if before is not None:
        assert out.tobytes() == before.tobytes() if out.dtype != object \
            else list(out.ravel()) == list(before.ravel())
    return info.value


def _out_choices(draw, dt, shape):
    """An out argument: right, or wrong in one way (dtype, shape, type,
    read-only), filled with a sentinel."""
    how = draw(st.sampled_from(["right", "right", "strided", "dtype",
                                "shape", "list", "readonly"]))
    if dt is None or shape is None:
        how = "list" if how in ("right", "strided") else how
        dt = dt or np.dtype("int64")
        shape = shape if shape is not None else (2,)
    fill = 7
    if how == "dtype":
        dt = np.dtype("int32") if dt != np.dtype("int32") else np.dtype("i8")
    if how == "shape":
        shape = tuple(shape) + (2,)
    if np.prod([max(d, 1) for d in shape], dtype=object) > 1 << 20:
        how = "list"                      # a right out cannot be made
    if how == "list":
        return [fill] * 2, False
    if how == "strided":
        big = np.full(tuple(shape[:-1]) + (2 * shape[-1],), fill, dtype=dt) \
            if shape else None
        if big is None:
            return np.full(shape, fill, dtype=dt), True
        return big[..., ::2], True
    out = np.full(shape, fill, dtype=dt)
    if how == "readonly":
        out.flags.writeable = False
        return out, False
    return out, how == "right"


# --------------------------------------------------------------------------
# The value functions of the registry
# --------------------------------------------------------------------------

VALUE_FUNCTIONS = [f for f in registry.FUNCTIONS.values() if not f.is_matrix]


@st.composite
def value_calls(draw):
    fn = draw(st.sampled_from(VALUE_FUNCTIONS))
    # half of the calls keep to the contract, so that results are checked
    # as often as refusals
    clean = draw(st.booleans())
    args = {}
    for k, name in enumerate(fn.inputs):
        x = registry.INPUTS[name]
        if k >= fn.positional and draw(st.integers(0, 2)) == 0:
            continue                      # the keyword's default
        args[name] = draw(int_args(x.lo, x.hi, valid=clean))
    fmt = draw(valid_format_args() if clean else format_args()) \
        if fn.rounds else {}
    extra = {}
    if fn.threads:
        if draw(st.booleans()):
            extra["threads"] = draw(st.sampled_from(THREAD_CHOICES))
    return fn, args, fmt, extra


def _model_value_call(fn, args, fmt):
    """(kind, frac, shape, scalar, columns) of a valid call, or Invalid."""
    cols, scalar = {}, True
    for name in fn.inputs:
        x = registry.INPUTS[name]
        value = args.get(name, x.default)
        cols[name], is_scalar = model_int(value, x.lo, x.hi)
        scalar = scalar and is_scalar
    if fn.rounds:
        kind, frac = model_format(fmt.get("dtype", np.int64),
                                  fmt.get("frac", None))
    else:
        kind, frac = "uint32", None
    try:
        shape = np.broadcast_shapes(*(c.shape for c in cols.values()))
    except ValueError:
        raise Invalid("broadcast") from None
    if "word" in cols and any((w >> 16) & 0xF for w in cols["word"].ravel()):
        raise Invalid("basis")
    return kind, frac, shape, scalar, cols


def _element(c, idx):
    if c.ndim == 0:
        return c[()]
    sub = idx[len(idx) - c.ndim:]
    sub = tuple(0 if d == 1 else i for d, i in zip(c.shape, sub))
    return c[sub]


@examples("value")
@given(value_calls(), st.data())
@example((registry.FUNCTIONS["rbe"], {"R": 1, "T": 2, "i": 3,
                                      "j": np.timedelta64(4, "s")}, {}, {}),
         None).via("int() of a duration in seconds is a datetime.timedelta")
@example((registry.FUNCTIONS["radial"], {"R": [1 << 20000]}, {}, {}),
         None).via("an int too long for str()")
@example((registry.FUNCTIONS["radial"], {"R": 0},
          {"dtype": np.float64, "frac": 1 << 20000}, {}), None
         ).via("a frac too long for str() with a float dtype")
@example((registry.FUNCTIONS["radial"], {"R": 0}, {"dtype": 1 << 20000}, {}),
         None).via("a dtype too long for str()")
@example((registry.FUNCTIONS["radial"], {"R": np.timedelta64(5, "ns")}, {},
          {}), None).via("a duration is not an integer")
@example((registry.FUNCTIONS["angular"], {"T": np.timedelta64(5, "s")}, {},
          {}), None).via("a duration is not an integer")
def test_fuzz_value_functions(call, data):
    """Every value function of the registry: an error exactly for arguments
    outside the contract, else the documented dtype, shape and values."""
    fn, args, fmt, extra = call
    func = getattr(pq, fn.name)
    pos = [args[n] for n in fn.positional_inputs]
    kw = {n: args[n] for n in fn.keyword_inputs if n in args}
    try:
        model_threads(extra.get("threads"))
        kind, frac, shape, scalar, cols = _model_value_call(fn, args, fmt)
    except Invalid:
        kind = None
    out, out_ok = None, True
    if fn.threads and data is not None and data.draw(st.booleans()):
        dt = np.dtype(kind) if kind else None
        out, out_ok = _out_choices(data.draw, dt, shape if kind else None)
        extra["out"] = out
    if kind is None or not out_ok:
        _check_raises(fn.name, lambda: func(*pos, **kw, **fmt, **extra), out)
        return
    try:
        res = func(*pos, **kw, **fmt, **extra)
    except OverflowError as exc:
        # only int64 can overflow, and only where |f| 2**frac can reach 2**63
        assert kind == "int64" and frac >= 62, exc
        assert str(exc)
        if out is not None:
            assert (out == 7).all()
        return
    if out is not None:
        assert res is out
    elif scalar:
        expected_type = np.uint32 if kind == "uint32" else _SCALAR_TYPE[kind]
        assert type(res) is expected_type, (type(res), kind)
        res = np.array(res, dtype=object if kind == "object" else None)
    else:
        assert isinstance(res, np.ndarray) and res.shape == shape
        assert res.dtype == (np.dtype(np.uint32) if kind == "uint32"
                             else np.dtype(kind)), res.dtype
    if kind == "object":
        assert all(type(x) is int for x in res.ravel())
    draw = data.draw if data is not None else (lambda s: 0)
    for idx in _sample_indices(draw, shape):
        vals = {n: int(_element(c, idx)) for n, c in cols.items()}
        pos_v = [vals[n] for n in fn.positional_inputs]
        kw_v = {n: vals[n] for n in fn.keyword_inputs}
        rfunc = getattr(ref, fn.name)
        if fn.rounds:
            expect = rfunc(*pos_v, **kw_v, dtype=np.dtype(kind),
                           **({"frac": frac} if frac is not None else {}))
        else:
            expect = rfunc(*pos_v)
        k = kind if kind != "uint32" else "object"
        assert _bits(k, res[idx]) == _bits(k, expect), (idx, vals)


# --------------------------------------------------------------------------
# pack_seed64, unpack_seed64, Seed
# --------------------------------------------------------------------------

SEED_FIELDS = [(f.name, f.lo, f.hi) for f in registry.SEED64_FIELDS]


@st.composite
def pack_calls(draw):
    clean = draw(st.booleans())
    args = {}
    for k, (name, lo, hi) in enumerate(SEED_FIELDS):
        if k >= 2 and draw(st.integers(0, 2)) == 0:
            continue
        args[name] = draw(int_args(lo, hi, valid=clean))
    return args


@examples("pack")
@given(pack_calls(), st.data())
def test_fuzz_pack_seed64(args, data):
    """pack_seed64: an error exactly outside the field ranges, else the
    reference's words."""
    try:
        cols = {name: model_int(args.get(name, 0), lo, hi)
                for name, lo, hi in SEED_FIELDS}
        shape = np.broadcast_shapes(*(c.shape for c, _ in cols.values()))
    except (Invalid, ValueError):
        _check_raises("pack_seed64", lambda: pq.pack_seed64(**args))
        return
    res = pq.pack_seed64(**args)
    if all(s for _, s in cols.values()):
        assert type(res) is int
        res = np.array(res, dtype=object)
    else:
        assert res.dtype == np.uint64 and res.shape == shape
    for idx in _sample_indices(data.draw, shape):
        vals = {name: int(_element(c, idx)) for name, (c, _) in cols.items()}
        assert int(res[idx]) == ref.pack_seed64(**vals), (idx, vals)


@examples("unpack")
@given(int_args(0, 1 << 64), st.data())
@example(np.array(np.timedelta64(5, "s"), dtype=object), None).via(
    "a duration in an object array")
def test_fuzz_unpack_seed64(word, data):
    """unpack_seed64: an error exactly for a non-word, else the reference's
    fields (Python ints for a scalar, int64 arrays of the word's shape)."""
    try:
        words, scalar = model_int(word, 0, 1 << 64)
    except Invalid:
        _check_raises("unpack_seed64", lambda: pq.unpack_seed64(word))
        return
    res = pq.unpack_seed64(word)
    assert type(res) is pq.Seed64Fields
    for field in res:
        if scalar:
            assert type(field) is int
        else:
            assert field.dtype == np.int64 and field.shape == words.shape
    for idx in _sample_indices(data.draw, words.shape):
        expect = ref.unpack_seed64(int(words[idx]))
        got = tuple(int(f if scalar else f[idx]) for f in res)
        assert got == tuple(expect), (idx, int(words[idx]))


SEED_ARGS = ["R", "T", "log2_c", "eps", "d_r", "rot", "d_theta"]


def _scalar_args(lo, hi):
    return st.one_of(int_in(lo, hi), int_near(lo, hi),
                     numpy_int_scalars(lo, hi),
                     st.sampled_from(NON_INT_SCALARS))


@examples("seed")
@given(st.fixed_dictionaries({n: _scalar_args(registry.INPUTS[n].lo,
                                              registry.INPUTS[n].hi)
                              for n in SEED_ARGS[:2]},
                             optional={n: _scalar_args(registry.INPUTS[n].lo,
                                                       registry.INPUTS[n].hi)
                                       for n in SEED_ARGS[2:]}))
def test_fuzz_seed(args):
    """Seed: an error exactly for a field that is not an integer in its
    range, else the fields as Python ints."""
    try:
        expect = {n: model_int(args.get(n, 0), registry.INPUTS[n].lo,
                               registry.INPUTS[n].hi)[0][()]
                  for n in SEED_ARGS}
        if not all(_is_int(args.get(n, 0)) for n in SEED_ARGS):
            raise Invalid("not a scalar")
    except Invalid:
        _check_raises("Seed", lambda: pq.Seed(**args))
        return
    seed = pq.Seed(**args)
    event("returned")
    for n in SEED_ARGS:
        assert type(getattr(seed, n)) is int and getattr(seed, n) == expect[n]


# --------------------------------------------------------------------------
# to_q64, turns, seed64_from_float
# --------------------------------------------------------------------------

REAL_SCALARS = [0, 1, -1, 0.0, -0.0, 0.5, 1.0, 1 - 2.0 ** -53, 1 - 2.0 ** -65,
                2.0 ** -65, 2.0 ** -1074, 3.141592653589793, -2.5, 1e300,
                Fraction(1 << 20000, 3), 1 << 20000,
                -1e300, float("nan"), float("inf"), -float("inf"),
                np.float16(0.25), np.float32(0.1), np.float64(0.7),
                np.longdouble(1) / 3, np.longdouble("1e4000"),
                np.int8(-3), np.uint64(1 << 63), 1 << 2000, -(1 << 20000),
                Fraction(1, 3), Fraction(-7, 2),
                Fraction(2 ** 64 - 1, 2 ** 64),
                Decimal("0.1"), Decimal("-0"), Decimal("1e-100000"),
                Decimal("1e-100001"), Decimal("1e100001"), Decimal("NaN"),
                Decimal("sNaN"), Decimal("-Infinity"), Decimal(7)]


def reals():
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(0, 1, exclude_max=True),
        st.fractions(max_denominator=1 << 70),
        st.integers(-(1 << 70), 1 << 70),
        st.sampled_from(REAL_SCALARS), st.sampled_from(NON_INT_SCALARS))


@st.composite
def real_args(draw):
    kind = draw(st.sampled_from(["scalar", "scalar", "list", "array"]))
    if kind == "scalar":
        return draw(reals())
    shape = draw(st.sampled_from([(0,), (1,), (3,), (2, 2)]))
    n = int(np.prod(shape))
    vals = draw(st.lists(reals(), min_size=n, max_size=n))
    if kind == "list":
        flat = np.empty(n, dtype=object)
        flat[:] = vals
        return flat.reshape(shape).tolist()
    dt = draw(st.sampled_from(["f2", "f4", "f8", ">f8", "g", "i8", "u1",
                               "O", "?", "c16", "U4", "m8[s]"]))
    a = np.empty(n, dtype=object)
    a[:] = vals
    if dt != "O":
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = a.astype(dt)
        except (TypeError, ValueError, OverflowError):
            pass
    return draw(layouts(a.reshape(shape)))


def _model_real(x, name_bound):
    """x as an exact Fraction, or Invalid (the documented refusals)."""
    if isinstance(x, (bool, np.bool_, np.timedelta64, np.datetime64)):
        raise Invalid(x)
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            raise Invalid(x)
        return Fraction(*x.as_integer_ratio())
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if isinstance(x, Fraction):
        return x
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise Invalid(x)
        if x and abs(x.as_tuple().exponent) > 100000:
            raise Invalid(x)
        return Fraction(x)
    raise Invalid(type(x))


def _model_reals(x):
    """(object array of Fractions, is_scalar) or Invalid."""
    if isinstance(x, np.ma.MaskedArray):
        raise Invalid("masked")
    if isinstance(x, (list, tuple, np.ndarray)):
        a = np.asarray(x) if isinstance(x, np.ndarray) else None
        if a is None:
            a = np.empty(0, dtype=object)
            try:
                a = np.array(x, dtype=object)
            except ValueError:
                raise Invalid("ragged") from None
        flat = np.empty(a.size, dtype=object)
        flat[:] = [_model_real(v, None) for v in a.ravel()]
        return flat.reshape(a.shape), False
    return np.array(_model_real(x, None), dtype=object), True


def _rhe(q):
    n, rem = divmod(q.numerator, q.denominator)
    if 2 * rem > q.denominator or (2 * rem == q.denominator and n & 1):
        n += 1
    return n


def _check_real_to_words(name, x, data, in_contract):
    """A conversion of reals to Q0.64 words (to_q64, turns): an error
    exactly when x is not real and finite or an element is outside the
    contract, else a Python int for a scalar or a uint64 array of x's
    shape, with the reference's words."""
    func, ref_func = getattr(pq, name), getattr(ref, name)
    try:
        qs, scalar = _model_reals(x)
        for q in qs.ravel():
            if not in_contract(q):
                raise Invalid(q)
    except Invalid:
        _check_raises(name, lambda: func(x))
        return
    res = func(x)
    if scalar:
        assert type(res) is int
        res = np.array(res, dtype=object)
    else:
        assert res.dtype == np.uint64 and res.shape == qs.shape
    for idx in _sample_indices(data and data.draw, qs.shape):
        assert int(res[idx]) == ref_func(qs[idx])


@examples("to_q64")
@given(real_args(), st.data())
@example(np.array([5], dtype="m8[s]"), None).via("an array of durations")
@example(np.timedelta64(0, "ns"), None).via("a duration")
@example(1 << 20000, None).via("an int too long for str()")
def test_fuzz_to_q64(x, data):
    """to_q64: an error exactly for a non-real, non-finite or out-of-range
    x, else the reference's words."""
    _check_real_to_words("to_q64", x, data,
                         lambda q: 0 <= q < 1 and _rhe(q * 2 ** 64) < 2 ** 64)


@examples("turns")
@given(real_args(), st.data())
@example(-(1 << 16384) + 1, None).via("the largest magnitude taken")
@example(1 << 16384, None).via("the smallest magnitude refused")
def test_fuzz_turns(theta, data):
    """turns: an error exactly for a non-real, non-finite or too large
    theta, else the reference's words."""
    _check_real_to_words("turns", theta, data, lambda q: abs(q) < 2 ** 16384)


@examples("seed64_from_float")
@given(real_args(), real_args(), pack_calls(), st.data())
def test_fuzz_seed64_from_float(r, theta, fields, data):
    """seed64_from_float: an error exactly for arguments outside the
    contract, else the word of the rounded r and theta fields."""
    fields = {k: v for k, v in fields.items() if k not in ("r", "theta")}
    try:
        rs, r_scalar = _model_reals(r)
        ts, t_scalar = _model_reals(theta)
        for q in rs.ravel():
            if q < 0:
                raise Invalid(q)
        for q in ts.ravel():
            if abs(q) >= 2 ** 16384:
                raise Invalid(q)
        cols = {name: model_int(fields.get(name, 0), lo, hi)
                for name, lo, hi in SEED_FIELDS[2:]}
        shape = np.broadcast_shapes(rs.shape, ts.shape,
                                    *(c.shape for c, _ in cols.values()))
    except (Invalid, ValueError):
        _check_raises("seed64_from_float",
                      lambda: pq.seed64_from_float(r, theta, **fields))
        return
    res = pq.seed64_from_float(r, theta, **fields)
    if r_scalar and t_scalar and all(s for _, s in cols.values()):
        assert type(res) is int
        res = np.array(res, dtype=object)
    else:
        assert res.dtype == np.uint64 and res.shape == shape
    for idx in _sample_indices(data.draw, shape):
        rq, tq = _element(rs, idx), _element(ts, idx)
        vals = {name: int(_element(c, idx)) for name, (c, _) in cols.items()}
        # round(theta 2**23 / pi) mod 2**24 = turns(theta / 2**40) mod 2**24
        expect = ref.pack_seed64(min(_rhe(rq * 2 ** 20), 2 ** 20 - 1),
                                 ref.turns(tq / 2 ** 40) % 2 ** 24, **vals)
        assert int(res[idx]) == expect, (idx, rq, tq, vals)


# --------------------------------------------------------------------------
# decode_matrix, decode_seed64, decode_batch, phi_table
# --------------------------------------------------------------------------

SHAPE_CHOICES = [1, 2, 3, 4, 5, np.int32(3), np.uint64(2), 0, -1, 1 << 32,
                 1 << 20000,
                 True, 2.0, np.array(2), None, "3", np.timedelta64(2, "ns")]
_TABLE = pq.phi_table(4, 4)


def shape_args():
    return st.one_of(st.integers(1, 5), st.sampled_from(SHAPE_CHOICES))


def model_shape(v):
    if not _is_int(v) or not 1 <= int(v) < 1 << 32:
        raise Invalid(v)
    return int(v)


@st.composite
def decode_calls(draw):
    func = draw(st.sampled_from(["decode_matrix", "decode_seed64",
                                 "decode_batch"]))
    fn = registry.FUNCTIONS.get(func, registry.FUNCTIONS["decode_matrix"])
    clean = draw(st.booleans())
    args = {}
    for k, name in enumerate(fn.inputs):
        if name in ("m", "n"):
            args[name] = draw(st.integers(1, 5) if clean else shape_args())
            continue
        if k >= fn.positional and draw(st.integers(0, 2)) == 0:
            continue
        x = registry.INPUTS[name]
        if clean:
            args[name] = draw(int_in(x.lo, x.hi) if func != "decode_batch"
                              else st.one_of(int_in(x.lo, x.hi),
                                             st.lists(int_in(x.lo, x.hi),
                                                      min_size=2, max_size=2)))
        elif func == "decode_batch":
            args[name] = draw(st.one_of(
                int_in(x.lo, x.hi), st.lists(int_in(x.lo, x.hi), max_size=3),
                int_args(x.lo, x.hi)))
        else:
            args[name] = draw(st.one_of(int_in(x.lo, x.hi),
                                        int_args(x.lo, x.hi)))
    if not clean and draw(st.integers(0, 9)) == 0:
        args["m"], args["n"] = 1 << 31, 1 << 31      # beyond any array
    extra = draw(valid_format_args() if clean else format_args())
    if draw(st.booleans()):
        extra["threads"] = draw(st.sampled_from(THREAD_CHOICES[:5] if clean
                                                else THREAD_CHOICES))
    if draw(st.integers(0, 3)) == 0:
        extra["phi_table"] = draw(st.sampled_from([None, _TABLE, "table",
                                                   np.zeros(16)]))
    return func, fn, args, extra


def _model_decode(func, fn, args, extra):
    m, n = model_shape(args["m"]), model_shape(args["n"])
    kind, frac = model_format(extra.get("dtype", np.int64),
                              extra.get("frac", None))
    model_threads(extra.get("threads"))
    table = extra.get("phi_table")
    if table is not None and (table is not _TABLE or m > 4 or n > 4):
        raise Invalid("phi_table")
    cols = {}
    for name in fn.inputs:
        if name in ("m", "n"):
            continue
        x = registry.INPUTS[name]
        cols[name], _ = model_int(args.get(name, x.default or 0), x.lo, x.hi)
    if func == "decode_batch":
        if any(c.ndim > 1 for c in cols.values()):
            raise Invalid("ndim")
        lengths = {c.shape[0] for c in cols.values() if c.ndim}
        if len(lengths) > 1:
            raise Invalid("lengths")
        K = lengths.pop() if lengths else 1
        shape = (K, m, n)
    else:
        if any(c.ndim for c in cols.values()):
            raise Invalid("not a scalar")
        K, shape = 1, (m, n)
    if "word" in cols and any((w >> 16) & 0xF for w in cols["word"].ravel()):
        raise Invalid("basis")
    # numpy's limit: the nonzero extents of an array, times its itemsize,
    # below 2**63; the kernel's buffer holds 16 bytes per object element
    itemsize = np.dtype(kind).itemsize
    if max(K, 1) * m * n * (16 if kind == "object" and K else itemsize) \
            >= 1 << 63:
        raise Invalid("too large")
    return kind, frac, shape, cols


@examples("decode")
@given(decode_calls(), st.data())
@example(("decode_batch", registry.FUNCTIONS["decode_matrix"],
          {"R": 0, "T": [], "m": 1 << 31, "n": 1 << 31}, {}), None
         ).via("no seeds, but a matrix shape beyond any array")
@example(("decode_batch", registry.FUNCTIONS["decode_matrix"],
          {"R": [1, 2], "T": 0, "m": 1, "n": 1, "rot": [3]}, {}), None
         ).via("a length-1 array among seeds of length 2")
def test_fuzz_decoders(call, data):
    """The matrix functions: an error exactly outside the contract, else a
    matrix of the documented dtype and shape whose elements are the
    reference's rbe (rbe_seed64) on the grid."""
    func_name, fn, args, extra = call
    func = getattr(pq, func_name)
    pos = [args[k] for k in fn.positional_inputs]
    kw = {k: v for k, v in args.items() if k not in fn.positional_inputs}
    try:
        kind, frac, shape, cols = _model_decode(func_name, fn, args, extra)
    except Invalid:
        kind = None
    out, out_ok = None, True
    draw = data.draw if data is not None else (lambda s: 0)
    if data is not None and data.draw(st.integers(0, 2)) == 0:
        out, out_ok = _out_choices(data.draw, np.dtype(kind) if kind else None,
                                   shape if kind else None)
        extra = dict(extra, out=out)
    if kind is None or not out_ok:
        _check_raises(func_name, lambda: func(*pos, **kw, **extra), out)
        return
    try:
        res = func(*pos, **kw, **extra)
    except OverflowError as exc:
        assert kind == "int64" and frac >= 62 and str(exc)
        if out is not None:
            assert (out == 7).all()
        return
    if out is not None:
        assert res is out
    assert isinstance(res, np.ndarray) and res.shape == shape
    assert res.dtype == np.dtype(kind)
    for idx in _sample_indices(draw, shape):
        k, i, j = idx if len(idx) == 3 else (0,) + tuple(idx)
        vals = {name: int(c[k] if c.ndim and c.shape[0] > 1 else c.ravel()[0])
                for name, c in cols.items()}
        fmt = {"frac": frac} if frac is not None else {}
        if "word" in vals:
            expect = ref.rbe_seed64(vals["word"], int(i), int(j),
                                    eps=vals["eps"], dtype=np.dtype(kind),
                                    **fmt)
        else:
            opts = {o: vals[o] for o in ("log2_c", "eps", "d_r", "rot",
                                         "d_theta")}
            expect = ref.rbe(vals["R"], vals["T"], int(i), int(j), **opts,
                             dtype=np.dtype(kind), **fmt)
        assert _bits(kind, res[idx]) == _bits(kind, expect), (idx, vals)


@pytest.mark.parametrize("T, d_theta", [(1, 1), (TWO64 - 1, 1),
                                        ((1 << 62) + 1, 0),
                                        ((1 << 62) - 1, 0)])
def test_decode_matrix_overflow_leaves_out_untouched(T, d_theta):
    """|g s| just below 2 (g' = 2 at R = 0, s within 2**-100 of 1): some
    element overflows int64 at frac 62, so the call raises and out keeps
    its values, even though out is a C-contiguous int64 array the decoder
    could have written directly."""
    with pytest.raises(OverflowError):
        ref.rbe(0, T, 0, 0, d_r=1, d_theta=d_theta, frac=62)
    out = np.full((1, 1), 7, dtype=np.int64)
    with pytest.raises(OverflowError, match="^decode_matrix: "):
        pq.decode_matrix(0, T, 1, 1, d_r=1, d_theta=d_theta, out=out)
    assert out[0, 0] == 7


@examples("phi_table")
@given(shape_args(), shape_args(), st.sampled_from(THREAD_CHOICES))
def test_fuzz_phi_table(m, n, threads):
    """phi_table: an error exactly outside the contract, else a table of
    shape (m, n)."""
    try:
        mm, nn = model_shape(m), model_shape(n)
        model_threads(threads)
    except Invalid:
        _check_raises("phi_table", lambda: pq.phi_table(m, n, threads=threads))
        return
    t = pq.phi_table(m, n, threads=threads)
    event("returned")
    assert t.shape == (mm, nn) and t.nbytes == 16 * mm * nn


# --------------------------------------------------------------------------
# encode_matrix
# --------------------------------------------------------------------------

@st.composite
def weight_matrices(draw):
    shape = draw(st.sampled_from([(1, 1), (2, 3), (3, 2), (0, 2), (4,),
                                  (2, 2, 1), ()]))
    n = int(np.prod(shape))
    dt = draw(st.sampled_from(["f8", "f4", "f2", ">f8", "g", "i8", "u8",
                               "i1", "?", "c16", "O", "U3", "m8[s]"]))
    if dt[-1] in "8421gO" and dt[0] != "U" and dt != "u8":
        vals = draw(st.lists(st.one_of(
            st.floats(-4, 4), st.sampled_from([0.0, -0.0, float("nan"),
                                               float("inf"), 1e200, 2.0 ** 480,
                                               -(2.0 ** 479)])),
            min_size=n, max_size=n))
    else:
        vals = draw(st.lists(st.integers(0, 3) if dt != "u8" else
                             st.sampled_from([0, 1, 1 << 53, (1 << 53) + 1,
                                              (1 << 64) - 1]),
                             min_size=n, max_size=n))
    with np.errstate(all="ignore"):
        try:
            a = np.array(vals, dtype=dt).reshape(shape)
        except (TypeError, ValueError, OverflowError):
            a = np.zeros(shape, dtype=dt)
    how = draw(st.sampled_from(["array", "array", "list", "masked"]))
    if how == "list":
        return a.tolist()
    if how == "masked":
        return np.ma.masked_array(a, mask=np.ones(a.shape, bool))
    return draw(layouts(a)) if a.ndim else a


def _model_matrix(W):
    if isinstance(W, np.ma.MaskedArray):
        raise Invalid("masked")
    a = np.asarray(W)
    if a.dtype.kind not in "iuf" or (a.dtype.kind == "f"
                                     and a.dtype.itemsize > 8):
        raise Invalid(a.dtype)
    if a.ndim != 2 or a.size == 0:
        raise Invalid(a.shape)
    vals = [int(x) if a.dtype.kind in "iu" else float(x) for x in a.ravel()]
    for v in vals:
        if isinstance(v, int) and abs(v) > 1 << 53:
            raise Invalid(v)
        if not np.isfinite(v) or abs(v) >= 2.0 ** 480:
            raise Invalid(v)
    return a.astype(np.float64)


@examples("encode")
@given(weight_matrices(),
       st.sampled_from(["seed64", "q64", "Seed64", None, 5, 1 << 20000]),
       st.sampled_from(["optimal", "optimal", "source", "best", None,
                        1 << 20000]),
       st.fixed_dictionaries({}, optional={
           "log2_c": st.sampled_from([0, 1, -4, "all", [0, 1], 4, 1.0, True]),
           "eps": st.sampled_from([0, 1, -1, "all", 1 << 64]),
           "threads": st.sampled_from(THREAD_CHOICES)}))
@example(np.ma.masked_array([[1.0, 2.0], [3.0, 4.0]],
                            mask=[[0, 0], [0, 1]]), "seed64", "optimal",
         {}).via("a masked W: its hidden value would be encoded")
def test_fuzz_encode_matrix(W, seed_format, method, opts):
    """encode_matrix: an error exactly for an invalid W, format or method,
    else a result of W's shape that decodes to its W_hat."""
    try:
        a = _model_matrix(W)
        if seed_format not in ("seed64", "q64") or method not in (
                "optimal", "source"):
            raise Invalid("format or method")
        model_threads(opts.get("threads"))
    except Invalid:
        _check_raises("encode_matrix", lambda: pq.encode_matrix(
            W, seed_format=seed_format, method=method, **opts))
        return
    kwargs = dict(seed_format=seed_format, method=method, **opts)
    if method == "source":
        kwargs.update(levels=0, starts=1, max_iter=2)
    try:
        res = pq.encode_matrix(W, **kwargs)
    except (TypeError, ValueError) as exc:
        # the options have their own rules (eps != 0 needs q64, "all" is
        # not for eps, ranges): only their refusals may remain
        assert opts.keys() & {"log2_c", "eps"} and str(exc)
        return
    event("returned")
    assert res.shape == a.shape
    s = res.seed
    W_hat = ref.decode_matrix(s.R, s.T, *a.shape, dtype=np.float64,
                              **s.options())
    err = a - W_hat.astype(np.float64)
    assert res.loss == pytest.approx(float(np.mean(err * err)), rel=1e-9,
                                     abs=1e-300)
