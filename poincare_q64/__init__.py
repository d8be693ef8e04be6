"""poincare_q64: bit-exact, correctly rounded evaluation of the RBE function.

    f(R, T, i, j) = g(r) * sin(theta) * phi(i, j)

Inputs are integers (docs/spec.md is the normative contract): the radius
``R`` (``r = R / 2**64``) and angle ``T`` (``theta = 2 pi T / 2**64``) in
Q0.64, indices ``i, j`` in ``[0, 2**32)``, and the options ``log2_c``,
``eps``, ``d_r``, ``rot``, ``d_theta``.  Every result is the exact real value
rounded once, to nearest with ties to even, into the requested format:

* ``dtype=numpy.int64`` (default) with ``frac`` (``None`` means 62, else
  0..64): ``X = round(value * 2**frac)``; OverflowError if X does not fit;
* ``dtype=object``: the same X as exact Python ints;
* ``dtype=numpy.float64`` / ``numpy.float32``: the value correctly rounded to
  that format (``frac`` must stay ``None``).

Functions
---------
radial, angular, spatial_hash, modulation, rbe, rbe_pipeline
    The RBE function and its factors.
decode_matrix, decode_seed64, decode_batch, phi_table, PhiTable
    Seeds to weight matrices, bit-identical to rbe on the grid.
pack_seed64, unpack_seed64, rbe_seed64, Seed64Fields
    The 64-bit seed of source 002.
to_q64, turns, seed64_from_float
    Correctly rounded conversions from real numbers to the integer inputs.
reference
    The independent pure-Python reference (imported on first access).
decode_matrix, decode_seed64, decode_batch, phi_table, encode_matrix,
encode_blocks, encode_multires, compress, decompress, metrics, ...
    The transform (every public name of :mod:`poincare_q64.transform`):
    seeds to weight matrices and back, blocks, multi-resolution, compressed
    files, and the quality and cost of a result (docs/transform.md).
get_include
    Directory of the C headers and kernels, for C and Cython users.
capi
    The kernels as a PyCapsule of function pointers, with ctypes and cffi
    views (imported on first access; docs/embedding.md).

Scalars in give scalars out (a numpy scalar of the dtype, a Python int for
``object``); if any numeric argument is an array-like (a 0-d array included)
the result is an ndarray of the broadcast shape.  Bad input raises
TypeError/ValueError naming the argument; ``out`` is never written when an
exception is raised.
"""
import importlib
import os

from poincare_q64 import _api, packing, registry
from poincare_q64.transform import decode as _decode

from poincare_q64._version import __version__

# The registry's functions (value functions from _api, matrix functions from
# the transform's decoder) and the seed and conversion functions, shown as
# poincare_q64.<name> (help(), repr, pickling), where users find them,
# rather than as members of the modules that define them.
_PUBLIC = {f.name: getattr(_decode if f.is_matrix else _api, f.name)
           for f in registry.FUNCTIONS.values()}
_PUBLIC.update((name, getattr(packing, name)) for name in packing.__all__)
globals().update(_PUBLIC)
for _obj in _PUBLIC.values():
    _obj.__module__ = __name__
del _obj

__all__ = [*_PUBLIC, "reference", "get_include", "capi", "__version__"]

# The rest of the transform (docs/transform.md): every public name of
# poincare_q64.transform is here too.
from poincare_q64 import transform as _transform  # noqa: E402

_REST = [name for name in _transform.__all__ if name not in _PUBLIC]
globals().update((name, getattr(_transform, name)) for name in _REST)
__all__ += _REST


def __getattr__(name):
    # The reference is imported on first use only: the C path never needs
    # it, and keeping it out of the import keeps the two independent.
    # capi (the C API capsule) is loaded on first use too: plain Python
    # users need neither it nor ctypes.
    if name in ("reference", "capi"):
        return importlib.import_module("poincare_q64." + name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"reference", "capi"})


def get_include():
    """Directory holding the C headers and the C sources of the kernels.

    Pass it to the compiler (``-I``) to build C or Cython code against the
    kernels: ``poincare_q64.h`` (the kernels' contract) and
    ``poincare_q64_capi.h`` (the function table of :mod:`poincare_q64.capi`).
    A C program compiles every ``*.c`` file of this directory with its own
    code (C11 and ``unsigned __int128``, i.e. GCC or Clang on a 64-bit
    target; no library to link, not even ``-lm``).  docs/embedding.md shows
    each route.

    Returns
    -------
    str
        Absolute path of ``poincare_q64/src``.

    Examples
    --------
    >>> os.path.isfile(os.path.join(get_include(), "poincare_q64.h"))
    True
    """
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
