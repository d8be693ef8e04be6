"""The test-vector line grammar of ``poincare-q64 gen`` / ``verify``.

One job: turn a vector (a function's integer inputs and its correctly rounded
result) into one line of text and back, and refuse malformed text with an
error that names the line.  docs/vectors.md is the human description of the
same grammar; this module is its executable form.  Nothing here evaluates a
function (see :mod:`poincare_q64.conformance`).

A vector file is plain ASCII text::

    # poincare_q64 test vectors: function=radial format=float64 version=0.1.0
    # R log2_c eps d_r => X
    8000000000000000 +0 0000000000000000 0 => 3fe999999999999a

* Line 1 is the header: the function, the output format, the version of
  poincare_q64 that wrote the file and, optionally, ``count=N``: the number
  of vector lines (``gen`` writes it; ``verify`` checks it, so that a
  truncated file fails).  It is required, exactly in this shape.
* Every later line is a vector, a comment (first non-blank character ``#``)
  or blank.  Vectors are the input fields, the token ``=>`` and the result
  field, separated by spaces or tabs.
* Every field has a fixed width, so that a C program can read a line with
  one ``scanf`` and print it with one ``printf``.  Integers are hexadecimal
  (upper or lower case on input, lower case on output, no ``0x``), except
  ``log2_c``, which is a sign and one decimal digit (``-4`` .. ``+3``).
  Every option is always present: each line is self-contained.

Inputs, in the order of the public functions' arguments:

================  =============================================  ==========
function          inputs                                         result
================  =============================================  ==========
radial            R log2_c eps d_r                               X
angular           T rot d_theta                                  X
spatial_hash      i j                                            H
modulation        i j                                            X
rbe, rbe_pipeline R T i j log2_c eps d_r rot d_theta             X
seed64            word i j eps                                   X
decode_matrix     R T m n log2_c eps d_r rot d_theta             DIGEST
decode_seed64     word m n eps                                   DIGEST
================  =============================================  ==========

Field widths: ``R T eps word`` 16 hex digits; ``i j m n`` 8; ``rot`` 1;
``d_r`` and ``d_theta`` 1 (``0``/``1`` and ``0``..``3``); ``log2_c`` 2
characters.  ``seed64`` is :func:`poincare_q64.rbe_seed64` (its word's basis
field must be 0).

Formats (the header's ``format=``) and how a result ``X`` is written:

============  ======================  ======================================
format        meaning                 result field
============  ======================  ======================================
``int64/N``   dtype=int64, frac=N     16 hex digits, two's complement; or
                                      ``overflow`` when X does not fit int64
                                      (the contract's OverflowError)
``object/N``  dtype=object, frac=N    sign and 17 hex digits (|X| < 2^66,
                                      enough for Q64.64), ``+`` for zero
``float64``   dtype=float64           16 hex digits: the IEEE 754 bits
``float32``   dtype=float32           8 hex digits: the IEEE 754 bits
``uint32``    spatial_hash only       8 hex digits
============  ======================  ======================================

The matrix functions (``decode_matrix``, ``decode_seed64``) have one result
per vector too: the SHA-256 of the whole m x n matrix in the byte layout of
:func:`matrix_digest` (64 hex digits), or ``overflow`` (int64 formats) when
some element does not fit.  In this module a digest is its lower-case hex
string.

Float results are written as their bit patterns, not as decimal numbers:
the bits are exact (a decimal string must be long or round-tripped with
care to be exact), they show -0.0 and subnormals unambiguously, and they are
what a bit-for-bit comparison compares.  In this module a float result is
therefore an ``int`` (its bits); :func:`float_bits` and :func:`bits_float`
convert.

Errors: every parsing function raises :class:`VectorSyntaxError` (a
ValueError) whose message starts with ``line N:``.

Examples
--------
>>> fmt = parse_format("int64/62")
>>> line = format_line("radial", fmt, (1 << 63, 0, 0, 0), 3689348814741910323)
>>> line
'8000000000000000 +0 0000000000000000 0 => 3333333333333333'
>>> parse_line("radial", fmt, line, 2)
((9223372036854775808, 0, 0, 0), 3689348814741910323)
"""
import hashlib
import numbers
import re
import struct
from typing import NamedTuple

from poincare_q64 import registry

__all__ = [
    "FUNCTIONS", "INPUTS", "OVERFLOW", "VectorFormat", "VectorSyntaxError",
    "Header", "Vector", "WorstCase", "parse_format", "formats_for",
    "header_line", "parse_header", "column_line", "format_inputs",
    "parse_inputs", "format_result", "parse_result", "format_line",
    "parse_line", "read_vectors", "worst_case_header", "format_worst_case",
    "read_worst_cases", "float_bits", "bits_float", "MATRIX",
    "matrix_digest",
]

TWO64 = 1 << 64
TWO66 = 1 << 66

# The header's fixed text; a change of the grammar changes this text.
HEADER_PREFIX = "# poincare_q64 test vectors:"
WORST_PREFIX = "# poincare_q64 worst cases:"
ARROW = "=>"


class VectorSyntaxError(ValueError):
    """A malformed vector line; ``str()`` starts with ``line N:``.

    Attributes
    ----------
    lineno : int
        1-based line number.
    reason : str
        What is wrong, without the line number.
    """

    def __init__(self, lineno, reason):
        super().__init__(f"line {lineno}: {reason}")
        self.lineno = lineno
        self.reason = reason


#: The result of an int64-format vector whose X does not fit int64 (the
#: contract's OverflowError), as parsed and as written.  Every other result
#: is an int, so ``result == OVERFLOW`` is unambiguous.
OVERFLOW = "overflow"


# --------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------

class _Field(NamedTuple):
    name: str
    width: int       # characters
    lo: int          # lowest value
    hi: int          # highest value
    signed: bool     # sign + decimal digit (log2_c) instead of hex

    def format(self, value):
        if self.signed:
            return f"{value:+d}"
        return f"{value:0{self.width}x}"

    def parse(self, token, lineno, where):
        pattern = _SIGNED_RE if self.signed else _HEX_RE[self.width]
        if not pattern.fullmatch(token):
            what = ("a sign and one decimal digit" if self.signed
                    else f"{self.width} hex digit{'s' * (self.width > 1)}")
            raise VectorSyntaxError(
                lineno, f"{where} {self.name}: expected {what}, got {token!r}")
        value = int(token, 10 if self.signed else 16)
        if not self.lo <= value <= self.hi or token == "-0":
            raise VectorSyntaxError(
                lineno, f"{where} {self.name}: {token} is out of range "
                f"[{self.format(self.lo)}, {self.format(self.hi)}]")
        return value


_SIGNED_RE = re.compile(r"[+-][0-9]")

_HEX_RE = {w: re.compile(f"[0-9a-fA-F]{{{w}}}") for w in (1, 8, 16, 17, 64)}

# Fields are separated by spaces or tabs only: str.split() would also take
# vertical tabs, form feeds, \x1c-\x1f and Unicode spaces, which C readers
# (scanf) do not all treat alike.  A line may end with CR LF.
_BLANK = " \t\r\n"
_SEPARATOR = re.compile(r"[ \t]+")


def _fields(text):
    text = text.strip(_BLANK)
    return _SEPARATOR.split(text) if text else []


_FIELDS = {x.name: _Field(x.name, x.width, x.lo, x.hi - 1, x.signed)
           for x in registry.INPUTS.values()}

#: function (vector name) -> names of its input fields, in line order (the
#: registry's canonical order).
INPUTS = {f.vector_name: f.inputs for f in registry.FUNCTIONS.values()}

#: The functions a vector file can hold.
FUNCTIONS = tuple(INPUTS)

_FORMATS = {f.vector_name: f.formats for f in registry.FUNCTIONS.values()}

#: The matrix functions (vector names): their result is a digest.
MATRIX = frozenset(f.vector_name for f in registry.FUNCTIONS.values()
                   if f.is_matrix)


# --------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------

class VectorFormat(NamedTuple):
    """An output format: ``kind`` and, for the integer kinds, ``frac``.

    ``kind`` is ``"int64"``, ``"object"``, ``"float64"``, ``"float32"``,
    or ``"uint32"`` (spatial_hash only); ``frac`` is
    an int in [0, 64] for ``int64`` and ``object``, else None.

    Examples
    --------
    >>> VectorFormat("object", 64).name
    'object/64'
    """
    kind: str
    frac: object = None

    @property
    def name(self):
        """The format as written in a header (``int64/62``, ``float64``)."""
        return self.kind if self.frac is None else f"{self.kind}/{self.frac}"


def formats_for(function):
    """Kinds of format a function's vectors can have.

    Examples
    --------
    >>> formats_for("spatial_hash"), formats_for("rbe")
    (('uint32',), ('int64', 'object', 'float64', 'float32'))
    """
    return _FORMATS[function]


def parse_format(text, function=None, lineno=None):
    """Parse a format name (``int64/62``, ``object/64``, ``float64``, ...).

    Parameters
    ----------
    text : str
        The format's name.
    function : str, optional
        If given, the format must be one the function's vectors can have.
    lineno : int, optional
        Line number for the error (None: a plain ValueError).

    Returns
    -------
    VectorFormat

    Raises
    ------
    ValueError
        Unknown format, frac outside [0, 64], or a format the function does
        not have (VectorSyntaxError if ``lineno`` is given).

    Examples
    --------
    >>> parse_format("int64/62")
    VectorFormat(kind='int64', frac=62)
    >>> parse_format("float32")
    VectorFormat(kind='float32', frac=None)
    """
    def fail(reason):
        if lineno is None:
            raise ValueError(reason)
        raise VectorSyntaxError(lineno, reason)

    m = re.fullmatch(r"(int64|object)/([0-9]{1,2})|(float64|float32|uint32)",
                     text)
    if not m:
        fail(f"unknown format {text!r} (expected int64/N, object/N with N in "
             "0..64, float64, float32 or uint32)")
    if m.group(1):
        frac = int(m.group(2))
        if frac > 64 or m.group(2) != str(frac):
            fail(f"format {text!r}: frac must be an integer in 0..64")
        fmt = VectorFormat(m.group(1), frac)
    else:
        fmt = VectorFormat(m.group(3))
    if function is not None and fmt.kind not in formats_for(function):
        fail(f"{function} has no format {text!r} (its formats: "
             + ", ".join(k + "/N" if k in ("int64", "object") else k
                         for k in formats_for(function)) + ")")
    return fmt


# --------------------------------------------------------------------------
# Header
# --------------------------------------------------------------------------

class Header(NamedTuple):
    """The header line's contents.

    ``count`` is the number of vectors the file holds, or None for a file
    whose header does not say (it is optional: files written before it
    existed stay readable).
    """
    function: str
    format: VectorFormat
    version: str
    count: object = None


_HEADER_RE = re.compile(re.escape(HEADER_PREFIX)
                        + r" function=(\S+) format=(\S+) version=(\S+)"
                        r"(?: count=(\S+))?")


def header_line(function, fmt, version, count=None):
    """The header line of a vector file.

    Parameters
    ----------
    function : str
    fmt : VectorFormat
    version : str
    count : int, optional
        The number of vector lines that follow; ``verify`` checks it, so
        that a truncated file is not taken for a passing one.

    Examples
    --------
    >>> header_line("rbe", VectorFormat("float64"), "0.1.0")
    '# poincare_q64 test vectors: function=rbe format=float64 version=0.1.0'
    >>> header_line("rbe", VectorFormat("float64"), "0.1.0", 172)
    '# poincare_q64 test vectors: function=rbe format=float64 version=0.1.0 count=172'
    """
    _check_function(function)
    line = (f"{HEADER_PREFIX} function={function} format={fmt.name} "
            f"version={version}")
    if count is None:
        return line
    if not isinstance(count, numbers.Integral) or count < 0:
        raise ValueError(f"count must be an integer >= 0, got {count!r}")
    return f"{line} count={int(count)}"


def parse_header(line, lineno=1):
    """Parse a header line.

    Raises
    ------
    VectorSyntaxError
        Not a header, unknown function, unknown format or a format the
        function does not have.

    Examples
    --------
    >>> parse_header("# poincare_q64 test vectors: function=angular "
    ...              "format=object/64 version=0.1.0")
    Header(function='angular', format=VectorFormat(kind='object', frac=64), version='0.1.0', count=None)
    >>> parse_header("# poincare_q64 test vectors: function=angular "
    ...              "format=float64 version=0.2.0 count=96").count
    96
    """
    m = _HEADER_RE.fullmatch(line.strip(_BLANK))
    if not m:
        raise VectorSyntaxError(
            lineno, "not a vector file header (expected '" + HEADER_PREFIX
            + " function=F format=FMT version=V', optionally followed by "
            "' count=N')")
    function, fmt, version, count = m.groups()
    if function not in INPUTS:
        raise VectorSyntaxError(
            lineno, f"unknown function {function!r} (expected one of "
            + ", ".join(FUNCTIONS) + ")")
    if count is not None:
        if not re.fullmatch(r"0|[1-9][0-9]{0,18}", count):
            raise VectorSyntaxError(
                lineno, f"count must be a decimal integer >= 0 without "
                f"leading zeros, got {count!r:.40}")
        count = int(count)
    return Header(function, parse_format(fmt, function, lineno), version,
                  count)


def column_line(function, fmt):
    """A comment line naming the columns (written after the header).

    Examples
    --------
    >>> column_line("seed64", VectorFormat("float64"))
    '# word i j eps => X'
    >>> column_line("decode_seed64", VectorFormat("float64"))
    '# word m n eps => DIGEST'
    """
    result = ("DIGEST" if function in MATRIX
              else "H" if fmt.kind == "uint32" else "X")
    return f"# {' '.join(INPUTS[function])} {ARROW} {result}"


def _check_function(function):
    if function not in INPUTS:
        raise ValueError(f"unknown function {function!r} (expected one of "
                         + ", ".join(FUNCTIONS) + ")")


# --------------------------------------------------------------------------
# Inputs and results
# --------------------------------------------------------------------------

def format_inputs(function, inputs):
    """The input fields of a vector, as text.

    Parameters
    ----------
    function : str
    inputs : sequence of int
        In the order of ``INPUTS[function]``.

    Examples
    --------
    >>> format_inputs("angular", (1 << 62, 15, 3))
    '4000000000000000 f 3'
    """
    names = INPUTS[function]
    if len(inputs) != len(names):
        raise ValueError(f"{function} takes {len(names)} inputs "
                         f"({' '.join(names)}), got {len(inputs)}")
    parts = []
    for name, value in zip(names, inputs):
        f = _FIELDS[name]
        value = int(value)
        if not f.lo <= value <= f.hi:
            raise ValueError(f"{function}: {name}={value} is out of range "
                             f"[{f.lo}, {f.hi}]")
        parts.append(f.format(value))
    return " ".join(parts)


def parse_inputs(function, tokens, lineno):
    """Parse a vector's input tokens into a tuple of ints.

    A seed64 word must have basis field 0 (only sin is defined).
    """
    names = INPUTS[function]
    if len(tokens) != len(names):
        raise VectorSyntaxError(
            lineno, f"{function} has {len(names)} input fields "
            f"({' '.join(names)}), got {len(tokens)}")
    values = tuple(_FIELDS[name].parse(tok, lineno, "input")
                   for name, tok in zip(names, tokens))
    # a seed word's basis field must be 0: only sin is defined
    basis = (values[names.index("word")] >> 16) & 0xF if "word" in names else 0
    if basis:
        raise VectorSyntaxError(
            lineno, f"input word: basis field is {basis}; "
            f"{function} vectors need basis 0 (only sin is defined)")
    return values


def float_bits(x, kind):
    """IEEE 754 bits of a float as an int (kind ``float64`` or ``float32``).

    Examples
    --------
    >>> hex(float_bits(-0.0, "float64")), hex(float_bits(1.0, "float32"))
    ('0x8000000000000000', '0x3f800000')
    """
    if kind == "float64":
        return struct.unpack("<Q", struct.pack("<d", float(x)))[0]
    if kind == "float32":
        # float(x) of a float32 is exact; packing as "<f" then rounds
        # nothing.  A float64 argument that is not a float32 value is refused
        # rather than silently rounded.
        b = struct.unpack("<I", struct.pack("<f", float(x)))[0]
        back = struct.unpack("<f", struct.pack("<I", b))[0]
        if back != float(x) and back == back:
            raise ValueError(f"{x!r} is not a float32 value")
        return b
    raise ValueError(f"kind must be float64 or float32, got {kind!r}")


def bits_float(bits, kind):
    """The float whose IEEE 754 bits are ``bits`` (a Python float).

    Examples
    --------
    >>> bits_float(0x3fe999999999999a, "float64")
    0.8
    """
    if kind == "float64":
        return struct.unpack("<d", struct.pack("<Q", bits))[0]
    if kind == "float32":
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    raise ValueError(f"kind must be float64 or float32, got {kind!r}")


def format_result(fmt, value, function=None):
    """The result field(s) of a vector, as text.

    Parameters
    ----------
    fmt : VectorFormat
    value : int, str or OVERFLOW
        The integer X (int64, object), the float's bits (float64, float32;
        a float is accepted too), H (uint32), a matrix function's digest
        (64 hex digits) or ``OVERFLOW`` (int64 only).
    function : str, optional
        The vector's function; a matrix function's result is a digest.

    Examples
    --------
    >>> format_result(VectorFormat("int64", 62), -1)
    'ffffffffffffffff'
    >>> format_result(VectorFormat("object", 64), -(1 << 64))
    '-10000000000000000'
    >>> format_result(VectorFormat("float64"), 0.8)
    '3fe999999999999a'
    >>> format_result(VectorFormat("int64", 64), OVERFLOW)
    'overflow'
    """
    kind = fmt.kind
    if isinstance(value, str) and value == OVERFLOW:
        if kind != "int64":
            raise ValueError(f"overflow is a result of int64 formats only, "
                             f"not {fmt.name}")
        return "overflow"
    if function in MATRIX:
        if not (isinstance(value, str) and _HEX_RE[64].fullmatch(value)):
            raise ValueError(f"a {function} result is a SHA-256 digest (64 "
                             f"hex digits) or overflow, got {value!r:.80}")
        return value.lower()
    if kind in ("float64", "float32"):
        if not isinstance(value, numbers.Integral):  # a float: its bits
            value = float_bits(value, kind)
        width = 16 if kind == "float64" else 8
        value = int(value)
        if not 0 <= value < 1 << (4 * width):
            raise ValueError(f"{kind} bits out of range: {value:#x}")
        return f"{value:0{width}x}"
    value = int(value)
    if kind == "int64":
        if not -(1 << 63) <= value < 1 << 63:
            raise ValueError(f"{value} does not fit int64 (use OVERFLOW)")
        return f"{value % TWO64:016x}"
    if kind == "object":
        if not -TWO66 < value < TWO66:
            raise ValueError(f"|{value}| >= 2^66: out of range for object")
        return f"{'-' if value < 0 else '+'}{abs(value):017x}"
    if kind == "uint32":
        if not 0 <= value < 1 << 32:
            raise ValueError(f"{value} is not a uint32")
        return f"{value:08x}"
    raise ValueError(f"unknown format kind {kind!r}")


def parse_result(fmt, tokens, lineno, function=None):
    """Parse a vector's result field(s); the inverse of :func:`format_result`.

    Returns
    -------
    int, str (a matrix function's digest, lower case) or OVERFLOW
    """
    kind = fmt.kind
    if len(tokens) != 1:
        raise VectorSyntaxError(
            lineno, f"expected 1 result field after {ARROW!r}, got "
            f"{len(tokens)}")
    tok = tokens[0]
    if function in MATRIX:
        if tok == "overflow" and kind == "int64":
            return OVERFLOW
        if not _HEX_RE[64].fullmatch(tok):
            alt = " or 'overflow'" if kind == "int64" else ""
            raise VectorSyntaxError(
                lineno, f"result: expected 64 hex digits (the SHA-256 of "
                f"the matrix){alt}, got {tok!r:.80}")
        return tok.lower()
    if kind == "int64":
        if tok == "overflow":
            return OVERFLOW
        if not _HEX_RE[16].fullmatch(tok):
            raise VectorSyntaxError(
                lineno, f"result: expected 16 hex digits (int64, two's "
                f"complement) or 'overflow', got {tok!r}")
        v = int(tok, 16)
        return v - TWO64 if v >> 63 else v
    if kind == "object":
        if not (len(tok) == 18 and tok[0] in "+-"
                and _HEX_RE[17].fullmatch(tok[1:])):
            raise VectorSyntaxError(
                lineno, f"result: expected a sign and 17 hex digits "
                f"(object), got {tok!r}")
        v = int(tok[1:], 16)
        if v >= TWO66:
            raise VectorSyntaxError(
                lineno, f"result: {tok} is out of range (|X| < 2^66)")
        if v == 0 and tok[0] == "-":
            raise VectorSyntaxError(
                lineno, "result: zero is written with '+' (no -0 in object)")
        return -v if tok[0] == "-" else v
    width = {"float64": 16, "float32": 8, "uint32": 8}[kind]
    if not _HEX_RE[width].fullmatch(tok):
        raise VectorSyntaxError(
            lineno, f"result: expected {width} hex digits ({kind}), got "
            f"{tok!r}")
    return int(tok, 16)


def matrix_digest(W, fmt):
    """SHA-256 (hex) of a matrix in the byte layout of the vector files.

    The layout: the elements in row-major order (``W[0, 0], W[0, 1], ...,
    W[1, 0], ...``), each in little-endian byte order as

    * ``int64/N``: the 8-byte two's complement of X;
    * ``object/N``: the 16-byte two's complement of X (|X| < 2^66);
    * ``float64``, ``float32``: the IEEE 754 bits, 8 or 4 bytes.

    Nothing else is hashed (no shape, no header): the line's m and n give
    the shape.  For a numpy array of the format's dtype this is
    ``hashlib.sha256(W.astype("<i8").tobytes()).hexdigest()`` (``"<f8"``,
    ``"<f4"`` for the floats): ``tobytes`` is row-major whatever the
    array's memory layout.

    Parameters
    ----------
    W : array_like
        The matrix (2-d), of ints (int64, object) or floats.
    fmt : VectorFormat
        Its format; ``uint32`` has no matrix.

    Returns
    -------
    str
        64 lower-case hex digits.

    Raises
    ------
    ValueError
        A format without matrices, W not 2-d, an int64 element that does not
        fit, an object element outside (-2^66, 2^66), a float64 / float32
        array of another float width.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1, -1]], dtype=np.int64)
    >>> matrix_digest(W, VectorFormat("int64", 62)) == hashlib.sha256(
    ...     bytes([1, 0, 0, 0, 0, 0, 0, 0] + [255] * 8)).hexdigest()
    True
    >>> matrix_digest(np.array([[0.5]]), VectorFormat("float64"))[:16]
    '4cfa5b42ca669328'
    """
    import numpy as np

    if fmt.kind not in ("int64", "object", "float64", "float32"):
        raise ValueError(f"no matrices in format {fmt.name}")
    if np.ndim(W) != 2:
        raise ValueError(f"a matrix must be 2-d, got shape {np.shape(W)}")
    if fmt.kind == "object":
        flat = np.asarray(W, dtype=object).ravel()
        data = bytearray()
        for x in flat:
            x = int(x)
            if not -TWO66 < x < TWO66:
                raise ValueError(f"|{x}| >= 2^66: out of range for object")
            data += x.to_bytes(16, "little", signed=True)
        return hashlib.sha256(bytes(data)).hexdigest()
    if fmt.kind == "int64":
        A = np.asarray(W)
        if A.dtype.kind not in "iuO" or (
                A.size and not -(1 << 63) <= int(A.min()) <= int(A.max())
                < 1 << 63):
            raise ValueError("int64 matrix: the elements must be integers "
                             "that fit int64")
        data = A.astype("<i8").tobytes()
    else:
        A = np.asarray(W)
        want = np.dtype(fmt.kind)
        if A.dtype != want:
            raise ValueError(f"a {fmt.kind} matrix must have dtype "
                             f"{fmt.kind}, got {A.dtype}")
        data = A.astype(want.newbyteorder("<")).tobytes()
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------

def format_line(function, fmt, inputs, result):
    """One vector line: ``<inputs> => <result>``.

    Examples
    --------
    >>> format_line("spatial_hash", VectorFormat("uint32"), (5, 7),
    ...             3260195672)
    '00000005 00000007 => c252a358'
    """
    return (f"{format_inputs(function, inputs)} {ARROW} "
            f"{format_result(fmt, result, function)}")


def parse_line(function, fmt, line, lineno):
    """Parse one vector line into ``(inputs, result)``.

    Raises
    ------
    VectorSyntaxError
        Wrong field count, a missing ``=>``, a field that is not of its
        fixed width, bad hex, or a value out of range.

    Examples
    --------
    >>> parse_line("angular", VectorFormat("float64"),
    ...            "4000000000000000 0 0 => 3ff0000000000000", 7)
    ((4611686018427387904, 0, 0), 4607182418800017408)
    >>> parse_line("angular", VectorFormat("float64"), "4000 0 0 => 0", 7)
    Traceback (most recent call last):
    ...
    poincare_q64.vectors.VectorSyntaxError: line 7: input T: expected 16 hex digits, got '4000'
    """
    tokens = _fields(line)
    names = " ".join(INPUTS[function])
    result = "DIGEST" if function in MATRIX else "X"
    if tokens.count(ARROW) != 1:
        raise VectorSyntaxError(
            lineno, f"expected '{names} {ARROW} {result}' ({function}, "
            f"{fmt.name}); found {tokens.count(ARROW)} {ARROW!r} in "
            f"{len(tokens)} fields")
    k = tokens.index(ARROW)
    if k != len(INPUTS[function]) or len(tokens) != k + 2:
        raise VectorSyntaxError(
            lineno, f"wrong field count: {function} vectors are '{names} "
            f"{ARROW} {result}'; got {k} fields before {ARROW!r} and "
            f"{len(tokens) - k - 1} after")
    return (parse_inputs(function, tokens[:k], lineno),
            parse_result(fmt, tokens[k + 1:], lineno, function))


class Vector(NamedTuple):
    """One parsed vector line."""
    lineno: int
    inputs: tuple
    result: object


def _content(lines):
    """(lineno, text) of the lines that are neither blank nor comments."""
    for lineno, line in lines:
        text = line.strip(_BLANK)
        if text and not text.startswith("#"):
            yield lineno, text


def read_vectors(lines):
    """Parse a vector file.

    Parameters
    ----------
    lines : iterable of str
        The file's lines (a file object works), header first.

    Returns
    -------
    header : Header
    vectors : iterator of Vector
        Parsed lazily: a malformed line raises VectorSyntaxError when the
        iteration reaches it.

    Raises
    ------
    VectorSyntaxError
        A missing or malformed header (at once); a malformed vector line
        (during the iteration).

    Examples
    --------
    >>> text = ['# poincare_q64 test vectors: function=spatial_hash '
    ...         'format=uint32 version=0.1.0', '# i j => H', '',
    ...         '00000005 00000007 => c252a358']
    >>> header, vectors = read_vectors(text)
    >>> header.function, list(vectors)
    ('spatial_hash', [Vector(lineno=4, inputs=(5, 7), result=3260195672)])
    """
    numbered = enumerate(lines, 1)
    first = next(numbered, None)
    if first is None:
        raise VectorSyntaxError(1, "empty file: the header line is missing")
    header = parse_header(first[1], first[0])

    def vectors():
        for lineno, text in _content(numbered):
            yield Vector(lineno, *parse_line(header.function, header.format,
                                             text, lineno))

    return header, vectors()


# --------------------------------------------------------------------------
# Worst-case files (poincare_q64/data/worst_cases/<function>.txt)
# --------------------------------------------------------------------------

class WorstCase(NamedTuple):
    """One line of a worst-case file: inputs hard to round in ``format``."""
    lineno: int
    format: VectorFormat
    inputs: tuple
    note: str


_WORST_RE = re.compile(re.escape(WORST_PREFIX) + r" function=(\S+)")


def worst_case_header(function):
    """The header line of a worst-case file.

    Examples
    --------
    >>> worst_case_header("angular")
    '# poincare_q64 worst cases: function=angular'
    """
    _check_function(function)
    return f"{WORST_PREFIX} function={function}"


def format_worst_case(function, fmt, inputs, note=""):
    """One worst-case line: ``<format> <inputs>`` and an optional ``# note``.

    Examples
    --------
    >>> format_worst_case("angular", VectorFormat("object", 64),
    ...                   (0x1d2c5, 0, 0), "-2^-19.9 ulp")
    'object/64 000000000001d2c5 0 0  # -2^-19.9 ulp'
    """
    line = f"{fmt.name} {format_inputs(function, inputs)}"
    return f"{line}  # {note}" if note else line


def read_worst_cases(lines):
    """Parse a worst-case file: ``(function, list of WorstCase)``.

    The file is the header :func:`worst_case_header`, then lines
    ``<format> <inputs of the vector grammar>`` with an optional trailing
    ``# note`` (the signed distance to the rounding midpoint, for a person
    reading the file); comments and blank lines are ignored.

    Examples
    --------
    >>> read_worst_cases(["# poincare_q64 worst cases: function=angular",
    ...                   "float64 0000000000000003 0 0  # note"])
    ('angular', [WorstCase(lineno=2, format=VectorFormat(kind='float64', frac=None), inputs=(3, 0, 0), note='note')])
    """
    numbered = enumerate(lines, 1)
    first = next(numbered, None)
    m = _WORST_RE.fullmatch(first[1].strip(_BLANK)) if first else None
    if not m:
        raise VectorSyntaxError(1, "not a worst-case file header (expected '"
                                + WORST_PREFIX + " function=F')")
    function = m.group(1)
    if function not in INPUTS:
        raise VectorSyntaxError(1, f"unknown function {function!r}")
    out = []
    for lineno, text in _content(numbered):
        body, _, note = text.partition("#")
        tokens = _fields(body)
        fmt = parse_format(tokens[0], function, lineno)
        out.append(WorstCase(lineno, fmt,
                             parse_inputs(function, tokens[1:], lineno),
                             note.strip()))
    return function, out
