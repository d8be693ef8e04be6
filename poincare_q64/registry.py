"""What each public function of poincare_q64 *is*, written once.

Every other part of the package reads this module instead of keeping its own
list: the argument checks of the Python API (:mod:`poincare_q64._api`), the
vector grammar (:mod:`poincare_q64.vectors`), the conformance engine and the
CLI (``gen``, ``verify``, ``eval``, ``selfcheck``), the input generators
(:mod:`poincare_q64.inputs`) and the tests.  Adding a function is one
:class:`Function` row here, its C kernel (with its entry in the header, the
capsule table and the ``.pxd``), its case in the kernel dispatch, its public
wrapper and its reference function; ``tests/test_registry.py`` walks the rows
and fails, naming the place, for anything forgotten.

The C kernels keep their own range checks (they must stand alone for C
callers); the same test holds them to the ranges written here.

The canonical input order
-------------------------
Every list of inputs -- the public functions' arguments, the columns of a
vector file, the kernels' input slots, the reference's arguments -- follows
one order, :data:`ORDER`::

    R  T  word  i  j  m  n  log2_c  eps  d_r  rot  d_theta

(the seed word stands where R and T would: it carries both; the shape m, n
of a matrix function stands where the indices i, j would: no function takes
both, the matrix's elements are the value function at every (i, j) of the
m x n grid).  Only the C
structs ``pq_params`` and ``pq_columns`` lay out their members differently
(``eps`` first, by alignment); C code names their members, never their
positions.

This module imports nothing from the package (and nothing compiled), so the
pure-Python tools can read it anywhere.

Matrix functions
----------------
``decode_matrix`` and ``decode_seed64`` are rows too, with
``shape_inputs = ("m", "n")``: they take one seed (scalars only) and a
shape, and their result is the m x n matrix of the value function named by
``element`` (``rbe``, ``rbe_seed64``) at every (i, j) of the grid.  Their
vector lines carry a SHA-256 digest of the matrix as the result
(docs/vectors.md).

Examples
--------
>>> FUNCTIONS["rbe_seed64"].inputs
('word', 'i', 'j', 'eps')
>>> FUNCTIONS["decode_seed64"].inputs, FUNCTIONS["decode_seed64"].element
(('word', 'm', 'n', 'eps'), 'rbe_seed64')
>>> FUNCTIONS["rbe_seed64"].vector_name
'seed64'
>>> INPUTS["log2_c"].lo, INPUTS["log2_c"].hi
(-4, 4)
"""
from typing import NamedTuple

__all__ = ["Input", "Function", "SeedField", "INPUTS", "ORDER", "FUNCTIONS",
           "VALUE_FORMATS", "SEED64_FIELDS", "function"]

TWO32 = 1 << 32
TWO64 = 1 << 64


class Input(NamedTuple):
    """One integer input of the value functions.

    Attributes
    ----------
    name : str
        The argument name, the same in Python, C, vector files and the docs.
    lo, hi : int
        The valid values are ``lo <= x < hi``.
    dtype : str
        The numpy dtype the kernels take it in (``uint64``, ``uint32`` or
        ``int32``).
    width : int
        Characters of its field in a vector line.
    signed : bool
        The vector field is a sign and one decimal digit, not hexadecimal.
    default : int or None
        The keyword's default; None for a positional (required) input.
    doc : str
        What the input means and its range, as ``poincare-q64 eval --help``
        shows it.
    """
    name: str
    lo: int
    hi: int
    dtype: str
    width: int
    signed: bool
    default: object
    doc: str


#: Every input, in the canonical order.
INPUTS = {x.name: x for x in (
    Input("R", 0, TWO64, "uint64", 16, False, None,
          "radius R / 2^64, 0..2^64-1"),
    Input("T", 0, TWO64, "uint64", 16, False, None,
          "angle in turns T / 2^64, 0..2^64-1"),
    Input("word", 0, TWO64, "uint64", 16, False, None,
          "64-bit seed word"),
    Input("i", 0, TWO32, "uint32", 8, False, None, "row index, 0..2^32-1"),
    Input("j", 0, TWO32, "uint32", 8, False, None, "column index, 0..2^32-1"),
    Input("m", 1, TWO32, "uint32", 8, False, None,
          "rows of the matrix, 1..2^32-1"),
    Input("n", 1, TWO32, "uint32", 8, False, None,
          "columns of the matrix, 1..2^32-1"),
    Input("log2_c", -4, 4, "int32", 2, True, 0,
          "curvature c = 2^log2_c, -4..3"),
    Input("eps", 0, TWO64, "uint64", 16, False, 0,
          "regularisation eps / 2^64, 0..2^64-1"),
    Input("d_r", 0, 2, "int32", 1, False, 0, "radial derivative order, 0 or 1"),
    Input("rot", 0, 16, "int32", 1, False, 0,
          "rotation in sixteenths of a turn, 0..15"),
    Input("d_theta", 0, 4, "int32", 1, False, 0,
          "angular derivative order, 0..3"),
)}

#: The canonical input order.
ORDER = tuple(INPUTS)

#: The output formats of a value function (dtype names; int64 and object
#: take ``frac``).
VALUE_FORMATS = ("int64", "object", "float64", "float32")


class Function(NamedTuple):
    """One public value function, or a matrix function built on one.

    Attributes
    ----------
    name : str
        Its name in Python (``poincare_q64.<name>``, ``reference.<name>``),
        in the capsule table (``pq_capi.<name>``), in ``selfcheck`` and on
        the command line.
    vector_name : str
        Its name in vector files (``function=`` of the header) and the
        ``gen`` / ``eval`` argument that also selects it.
    inputs : tuple of str
        Its inputs, a subsequence of :data:`ORDER`.
    positional : int
        How many leading inputs are positional arguments; the rest are
        keyword-only, with the defaults of :data:`INPUTS`.
    formats : tuple of str
        Its output formats.
    kernel : int or None
        The function code of ``_kernels.evaluate``'s dispatch (None: a
        function with a loop of its own, spatial_hash and the matrix
        functions).
    threads : bool
        Whether the Python function takes ``threads`` and ``out``.
    c_name : str
        The C entry point of ``poincare_q64.h``.
    weight : int
        Its share of selfcheck's random inputs (value functions).
    shape_inputs : tuple of str
        The inputs that give the shape of a matrix result (``("m", "n")``);
        empty for a value function, whose inputs broadcast.  A matrix
        function takes scalars only and also ``phi_table``.
    element : str or None
        A matrix function's element: the value function (a row of
        :data:`FUNCTIONS`) that element (i, j) of the matrix is, with the
        shape inputs replaced by the indices i, j.
    """
    name: str
    vector_name: str
    inputs: tuple
    positional: int
    formats: tuple
    kernel: object
    threads: bool
    c_name: str
    weight: int
    shape_inputs: tuple = ()
    element: object = None

    @property
    def is_matrix(self):
        """True for a matrix function (an m x n result per seed)."""
        return bool(self.shape_inputs)

    @property
    def positional_inputs(self):
        return self.inputs[:self.positional]

    @property
    def keyword_inputs(self):
        return self.inputs[self.positional:]

    @property
    def rounds(self):
        """True for the functions with a rounded (frac/dtype) result."""
        return self.formats == VALUE_FORMATS


_RBE_INPUTS = ("R", "T", "i", "j", "log2_c", "eps", "d_r", "rot", "d_theta")

#: Every public function of the registry, in report order: the value
#: functions, then the matrix functions.
FUNCTIONS = {f.name: f for f in (
    Function("radial", "radial", ("R", "log2_c", "eps", "d_r"), 1,
             VALUE_FORMATS, 0, False, "pq_radial", 1),
    Function("angular", "angular", ("T", "rot", "d_theta"), 1,
             VALUE_FORMATS, 1, False, "pq_angular", 1),
    Function("spatial_hash", "spatial_hash", ("i", "j"), 2, ("uint32",),
             None, False, "pq_spatial_hash", 0),
    Function("modulation", "modulation", ("i", "j"), 2, VALUE_FORMATS, 2,
             False, "pq_modulation", 1),
    Function("rbe", "rbe", _RBE_INPUTS, 4, VALUE_FORMATS, 3, True, "pq_rbe",
             2),
    Function("rbe_pipeline", "rbe_pipeline", _RBE_INPUTS, 4, VALUE_FORMATS,
             4, True, "pq_rbe_pipeline", 1),
    Function("rbe_seed64", "seed64", ("word", "i", "j", "eps"), 3,
             VALUE_FORMATS, 5, True, "pq_rbe_seed64", 1),
    Function("decode_matrix", "decode_matrix",
             ("R", "T", "m", "n", "log2_c", "eps", "d_r", "rot", "d_theta"), 4,
             VALUE_FORMATS, None, True, "pq_decode_matrix", 0, ("m", "n"),
             "rbe"),
    Function("decode_seed64", "decode_seed64", ("word", "m", "n", "eps"), 3,
             VALUE_FORMATS, None, True, "pq_decode_seed64", 0, ("m", "n"),
             "rbe_seed64"),
)}


def function(name):
    """The :class:`Function` called ``name`` (or with that vector name).

    Raises
    ------
    ValueError
        No such function.

    Examples
    --------
    >>> function("seed64").name
    'rbe_seed64'
    """
    f = FUNCTIONS.get(name) or _BY_VECTOR_NAME.get(name)
    if f is None:
        raise ValueError(f"unknown function {name!r}")
    return f


_BY_VECTOR_NAME = {f.vector_name: f for f in FUNCTIONS.values()}


class SeedField(NamedTuple):
    """A field of the 64-bit seed word (source 002)."""
    name: str
    width: int   # bits
    lo: int      # lowest value; log2_c is two's complement in its bits

    @property
    def hi(self):
        """One past the highest value."""
        return self.lo + (1 << self.width)


#: The seed word's fields, most significant first.
SEED64_FIELDS = (SeedField("r", 20, 0), SeedField("theta", 24, 0),
                 SeedField("basis", 4, 0), SeedField("d_theta", 2, 0),
                 SeedField("d_r", 1, 0), SeedField("rot", 4, 0),
                 SeedField("log2_c", 3, -4), SeedField("reserved", 6, 0))
