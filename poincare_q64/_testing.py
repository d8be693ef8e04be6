"""Test hooks of the C kernels (private).

For the test suite, the benchmarks and the validation scripts; not part of
the API and free to change in any release.  Users never need them: every
result is the same whatever a hook selects.

The hooks are the C functions of ``src/pq_testing.c``, declared only in the
private header ``src/pq_testing.h``: they are compiled into the ``_kernels``
extension with the kernels but are in no public header, ``.pxd`` or capsule
table.  This module calls them with ctypes on the extension that is already
loaded (``dlopen`` with ``RTLD_NOLOAD`` returns that very library or fails),
so the switches set here are the globals the Python API's kernels read.  A
Cython module of its own would have been a second extension, with a second
copy of the kernels and of their switches, on which the switches would act
in vain.

:func:`set_force_slow_path` and :func:`set_simd` are process-wide and not
synchronised: call them only while no other thread evaluates.  The other
hooks keep no state.
"""
import ctypes as _ct
import operator as _operator
import os as _os

import numpy as _np

from poincare_q64 import _kernels
from poincare_q64.capi import pq_columns as _pq_columns
from poincare_q64.capi import pq_format as _pq_format
from poincare_q64.capi import pq_params as _pq_params

__all__ = ["set_force_slow_path", "set_simd", "debug_stage1", "debug_stage1_seed64",
           "debug_approx", "debug_divrem", "debug_decode_fallbacks", "debug_decode_elem",
           "debug_decode_elem_ifma", "set_decode_ifma", "decode_ifma_available"]

_PQ_OK = 0
_W_MAX = 32  # PQ_W_MAX: limbs of the highest precision (2048 bits)
_MPN_LIMBS = 64  # the buffers below; the C hooks need at most PQ_MPN_MAX = 72

try:
    _lib = _ct.CDLL(_kernels.__file__, mode=_os.RTLD_NOW | getattr(_os, "RTLD_NOLOAD", 0))
except OSError as exc:  # pragma: no cover - the extension is imported above
    raise ImportError(f"poincare_q64._testing: cannot reach the loaded extension "
                      f"{_kernels.__file__}: {exc}") from exc

_u64p = _ct.POINTER(_ct.c_uint64)
_u32p = _ct.POINTER(_ct.c_uint32)
_u8p = _ct.POINTER(_ct.c_uint8)


def _hook(name, restype, *argtypes):
    try:
        f = getattr(_lib, name)
    except AttributeError:  # pragma: no cover - a build that hides its symbols
        raise ImportError(f"poincare_q64._testing: {_kernels.__file__} does not export "
                          f"the test hook {name} (src/pq_testing.c)") from None
    f.restype = restype
    f.argtypes = argtypes
    return f


_force_slow_path = _hook("pq_debug_force_slow_path", None, _ct.c_int)
_set_simd = _hook("pq_debug_set_simd", _ct.c_int, _ct.c_int)
_stage1 = _hook("pq_debug_stage1", _ct.c_int, _ct.c_int, _ct.c_size_t, _u64p, _u64p, _u32p,
                _u32p, _ct.POINTER(_pq_params), _u64p, _u64p, _u8p)
_stage1_columns = _hook("pq_debug_stage1_columns", _ct.c_int, _ct.c_int, _ct.c_size_t,
                        _ct.POINTER(_pq_columns), _u64p, _u64p, _u8p)
_stage1_seed64 = _hook("pq_debug_stage1_seed64", _ct.c_int, _ct.c_int, _ct.c_size_t, _u64p,
                       _u32p, _u32p, _ct.c_int, _u64p, _u64p, _u8p)
_approx = _hook("pq_debug_approx", _ct.c_int, _ct.c_int, _ct.c_uint64, _ct.c_int,
                _ct.c_uint64, _ct.c_int, _ct.c_int, _ct.POINTER(_ct.c_int), _u64p,
                _ct.POINTER(_ct.c_int64), _u64p)
_decode_fallbacks = _hook("pq_debug_decode_fallbacks", _ct.c_int, _ct.c_uint64, _ct.c_uint64,
                          _ct.POINTER(_pq_params), _pq_format, _ct.c_uint32, _ct.c_uint32,
                          _ct.c_void_p, _u64p)
_decode_elem = _hook("pq_debug_decode_elem", _ct.c_int, _ct.c_uint64, _ct.c_uint64,
                     _ct.POINTER(_pq_params), _ct.c_uint32, _ct.c_uint32, _u64p, _u64p,
                     _ct.POINTER(_ct.c_int64), _u64p, _ct.POINTER(_ct.c_int),
                     _ct.POINTER(_ct.c_int))
_decode_elem_ifma = _hook("pq_debug_decode_elem_ifma", _ct.c_int, _ct.c_uint64, _ct.c_uint64,
                          _ct.POINTER(_pq_params), _pq_format, _ct.c_uint32, _ct.c_uint32,
                          _u64p, _u64p, _ct.POINTER(_ct.c_int64), _u64p,
                          _ct.POINTER(_ct.c_int))
_decode_ifma = _hook("pq_debug_decode_ifma", _ct.c_int, _ct.c_int)
_divrem = _hook("pq_debug_divrem", _ct.c_int, _u64p, _u64p, _u64p, _ct.c_int, _u64p,
                _ct.c_int, _ct.POINTER(_ct.c_ulong))


def _int(x, lo, hi):
    """x as an int in [lo, hi]: TypeError or OverflowError otherwise, as a
    Cython argument of that C type would raise (ctypes would wrap silently)."""
    v = _operator.index(x)
    if not lo <= v <= hi:
        raise OverflowError(f"{v} is out of range for a C argument in [{lo}, {hi}]")
    return v


def _c_int(x):
    return _int(x, -2**31, 2**31 - 1)


def _c_u64(x):
    return _int(x, 0, 2**64 - 1)


def set_force_slow_path(level):
    """Make every evaluation take the later paths of the kernels.

    Parameters
    ----------
    level : int
        0 normal; 1 every irrational evaluation skips stage 1 (the 64-bit
        table kernels) and starts at the 128-bit path; 2 it also skips the
        128-bit path and is decided by the multi-precision path; 3 stage 1
        runs with its error bounds widened 2^16-fold, so it often defers to
        the later paths.  Results are identical at every level; evaluation
        is 10-1000x slower.  Process-wide: set it while no thread evaluates,
        and back to 0 afterwards.

    Raises
    ------
    ValueError
        If level is not 0, 1, 2 or 3.

    Examples
    --------
    >>> import poincare_q64 as pq
    >>> from poincare_q64 import _testing
    >>> want = pq.rbe(2**63, 2**61, 5, 7)
    >>> _testing.set_force_slow_path(2)
    >>> try:
    ...     got = pq.rbe(2**63, 2**61, 5, 7)
    ... finally:
    ...     _testing.set_force_slow_path(0)
    >>> bool(got == want)
    True
    """
    level = _c_int(level)
    if level not in (0, 1, 2, 3):
        raise ValueError("level must be 0, 1, 2 or 3")
    _force_slow_path(level)


def set_simd(level):
    """Run rbe's array path at this SIMD level instead of the CPU's best.

    Parameters
    ----------
    level : int
        0 none (the scalar loop), 1 AVX2, 2 AVX-512; -1 goes back to the
        CPU's best.  Results are identical at every level.  Process-wide:
        set it while no thread evaluates.

    Raises
    ------
    ValueError
        If the CPU (or the build) lacks the level.

    Examples
    --------
    >>> from poincare_q64 import _kernels, _testing
    >>> _testing.set_simd(0)
    >>> _kernels.simd_level()
    0
    >>> _testing.set_simd(-1)
    """
    level = _c_int(level)
    if level < -1 or level > 2 or _set_simd(level) != _PQ_OK:
        raise ValueError(f"SIMD level {level} is not available on this CPU")


def debug_stage1(level, R, T, i, j, eps=0, log2_c=0, d_r=0, rot=0, d_theta=0):
    """Stage 1 of rbe, through the scalar kernels or the SIMD block code.

    Parameters
    ----------
    level : int
        0 the scalar kernels; 1 and 2 the block code at that SIMD level
        (AVX2, AVX-512).
    R, T : array_like of uint64
    i, j : array_like of uint32
        The inputs, of the same length.
    eps, log2_c, d_r, rot, d_theta : int or array_like
        The options: ints, the same for every element, or (if any is an
        array) each broadcast to the inputs' length and read per element,
        per lane by the block code.

    Returns
    -------
    Fhi, Flo : ndarray of uint64
        F = Fhi 2^64 + Flo = |f| 2^123 as stage 1 computes it (0 when not ok).
    flags : ndarray of uint8
        Bit 0 the sign of f, bit 1 ok (the Newton check passed and neither
        sin nor phi is an exact case).

    Raises
    ------
    ValueError
        If the lengths differ, the level is not available or an option is
        out of range.

    Examples
    --------
    >>> import numpy as np
    >>> import poincare_q64 as pq
    >>> from poincare_q64 import _testing
    >>> R, T = np.array([2**63], np.uint64), np.array([2**61], np.uint64)
    >>> i, j = np.array([5], np.uint32), np.array([7], np.uint32)
    >>> hi, lo, flags = _testing.debug_stage1(0, R, T, i, j)
    >>> int(flags[0])                       # ok, positive
    2
    >>> F = (int(hi[0]) << 64) | int(lo[0])
    >>> abs(F / 2**123 - float(pq.rbe(R, T, i, j, dtype=np.float64)[0])) < 1e-15
    True
    """
    level = _c_int(level)
    r = _np.ascontiguousarray(R, dtype=_np.uint64)
    t = _np.ascontiguousarray(T, dtype=_np.uint64)
    ii = _np.ascontiguousarray(i, dtype=_np.uint32)
    jj = _np.ascontiguousarray(j, dtype=_np.uint32)
    n = r.shape[0]
    if t.shape[0] != n or ii.shape[0] != n or jj.shape[0] != n:
        raise ValueError("R, T, i, j must have the same length")
    hi = _np.zeros(n, dtype=_np.uint64)
    lo = _np.zeros(n, dtype=_np.uint64)
    fl = _np.zeros(n, dtype=_np.uint8)
    opts = (eps, log2_c, d_r, rot, d_theta)
    if any(_np.ndim(o) for o in opts):
        cols = [_np.ascontiguousarray(_np.broadcast_to(o, (n,)), dtype=dt)
                for o, dt in zip(opts, (_np.uint64,) + (_np.int32,) * 4)]
        i32p = _ct.POINTER(_ct.c_int32)
        a = _pq_columns(r.ctypes.data_as(_u64p), t.ctypes.data_as(_u64p),
                        ii.ctypes.data_as(_u32p), jj.ctypes.data_as(_u32p),
                        cols[0].ctypes.data_as(_u64p),
                        *(c.ctypes.data_as(i32p) for c in cols[1:]), *([1] * 9))
        if n and _stage1_columns(level, n, _ct.byref(a), hi.ctypes.data_as(_u64p),
                                 lo.ctypes.data_as(_u64p), fl.ctypes.data_as(_u8p)) != _PQ_OK:
            raise ValueError(f"level {level} not available or invalid options")
        return hi, lo, fl
    p = _pq_params(_c_u64(eps), _c_int(log2_c), _c_int(d_r), _c_int(rot), _c_int(d_theta))
    if n == 0:
        return hi, lo, fl
    if _stage1(level, n, r.ctypes.data_as(_u64p), t.ctypes.data_as(_u64p),
               ii.ctypes.data_as(_u32p), jj.ctypes.data_as(_u32p), _ct.byref(p),
               hi.ctypes.data_as(_u64p), lo.ctypes.data_as(_u64p),
               fl.ctypes.data_as(_u8p)) != _PQ_OK:
        raise ValueError(f"level {level} not available or invalid options")
    return hi, lo, fl


def debug_stage1_seed64(level, W, i, j, mixed=False):
    """Stage 1 of rbe_seed64 at eps = 0 through its short kernels.

    Parameters
    ----------
    level : int
        0 the short kernels compiled scalar; 1 and 2 the block code at that
        SIMD level (AVX2, AVX-512), which picks the form for each block's
        d_r (all 0, all 1, or mixed).
    W : array_like of uint64
        Seed words with basis 0.
    i, j : array_like of uint32
        The indices, of W's length.
    mixed : bool, optional
        Level 0 only: the form with d_r read per lane (what a block of
        mixed d_r runs) instead of the form for each word's d_r.

    Returns
    -------
    Fhi, Flo, flags : ndarray
        As :func:`debug_stage1` returns them; the claim under test is that
        they are :func:`debug_stage1`'s at ``R = r << 44``,
        ``T = theta << 40`` and the word's options.

    Raises
    ------
    ValueError
        If the lengths differ, a word has basis != 0 or the level is not
        available.

    Examples
    --------
    >>> import numpy as np
    >>> import poincare_q64 as pq
    >>> from poincare_q64 import _testing
    >>> W = np.array([pq.pack_seed64(2**19, 2**21, 0, 0, 1, 3, -2, 0)], np.uint64)
    >>> i, j = np.array([5], np.uint32), np.array([7], np.uint32)
    >>> short = _testing.debug_stage1_seed64(0, W, i, j)
    >>> general = _testing.debug_stage1(0, W >> 44 << 44, (W >> 20 & (2**24 - 1)) << 40, i, j,
    ...                                 d_r=1, rot=3, log2_c=-2)
    >>> all(np.array_equal(a, b) for a, b in zip(short, general))
    True
    """
    level = _c_int(level)
    w = _np.ascontiguousarray(W, dtype=_np.uint64)
    ii = _np.ascontiguousarray(i, dtype=_np.uint32)
    jj = _np.ascontiguousarray(j, dtype=_np.uint32)
    n = w.shape[0]
    if ii.shape[0] != n or jj.shape[0] != n:
        raise ValueError("W, i, j must have the same length")
    hi = _np.zeros(n, dtype=_np.uint64)
    lo = _np.zeros(n, dtype=_np.uint64)
    fl = _np.zeros(n, dtype=_np.uint8)
    if n and _stage1_seed64(level, n, w.ctypes.data_as(_u64p), ii.ctypes.data_as(_u32p),
                            jj.ctypes.data_as(_u32p), int(bool(mixed)), hi.ctypes.data_as(_u64p),
                            lo.ctypes.data_as(_u64p), fl.ctypes.data_as(_u8p)) != _PQ_OK:
        raise ValueError(f"level {level} not available or a word with basis != 0")
    return hi, lo, fl


def debug_approx(which, x, W, log2_c=0, d_r=0, eps=0):
    """A kernel's approximation and its error bound.

    Parameters
    ----------
    which : int
        0 sin(2 pi x / 2^64); 1 phi(H = x); 2 radial g(R = x) with the given
        log2_c, d_r and eps.
    x : int
        The input (uint64; H < 2^32).
    W : int
        1 stage 1 (the 64-bit table kernels: m fixed-point, not
        normalised); 2..32 the series paths at W limbs of 64 bits.
    log2_c, d_r, eps : int
        Options of g (which = 2).

    Returns
    -------
    (neg, m, e, err) : (bool, int, int, int)
        The claim under test: |exact - (-1)^neg m 2^e| <= err 2^e.

    Raises
    ------
    ValueError
        If W is outside [1, 32], or the input is an exact case (no
        approximation: quarter turns, H mod 2^30 = 0, g = 0) or an option is
        out of range.

    Examples
    --------
    >>> import mpmath
    >>> from poincare_q64 import _testing
    >>> neg, m, e, err = _testing.debug_approx(0, 2**61, 2)   # sin(pi/4), 128-bit path
    >>> with mpmath.workprec(300):
    ...     bool(abs(mpmath.sin(mpmath.pi / 4) - m * mpmath.mpf(2) ** e)
    ...          <= err * mpmath.mpf(2) ** e)
    True
    """
    which, x, W = _c_int(which), _c_u64(x), _c_int(W)
    log2_c, d_r, eps = _c_int(log2_c), _c_int(d_r), _c_u64(eps)
    if W < 1 or W > _W_MAX:
        raise ValueError("W must be in [1, 32]")
    m = (_ct.c_uint64 * _MPN_LIMBS)()
    neg, e, err = _ct.c_int(0), _ct.c_int64(0), _ct.c_uint64(0)
    if _approx(which, x, W, eps, log2_c, d_r, _ct.byref(neg), m, _ct.byref(e),
               _ct.byref(err)) != _PQ_OK:
        raise ValueError("no approximation for this input (exact case)")
    mant = 0
    for k in range(max(W, 2) - 1, -1, -1):
        mant = (mant << 64) | m[k]
    return bool(neg.value), mant, e.value, err.value


def _limbs(x, n):
    return [(x >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(n)]


def debug_divrem(a, b):
    """The C long division (Knuth's algorithm D) under every exact path.

    Parameters
    ----------
    a, b : int
        0 < b <= a < 2^3840.

    Returns
    -------
    (q, r, add_backs) : (int, int, int)
        a = q b + r with 0 <= r < b, and how often the rare add-back
        correction ran (counted for this call only).

    Raises
    ------
    ValueError
        If the operands are out of range.

    Examples
    --------
    >>> from poincare_q64 import _testing
    >>> a, b = 2**200 + 12345, 2**100 + 7
    >>> q, r, _ = _testing.debug_divrem(a, b)
    >>> (q, r) == divmod(a, b)
    True
    """
    a, b = _operator.index(a), _operator.index(b)
    if b <= 0 or a < b or a.bit_length() > 64 * 60:
        raise ValueError("need 0 < b <= a < 2^3840")
    an = (a.bit_length() + 63) // 64
    bn = (b.bit_length() + 63) // 64
    buf = _ct.c_uint64 * _MPN_LIMBS
    A, B = buf(*_limbs(a, an)), buf(*_limbs(b, bn))
    Q, Rm = buf(), buf()
    add_backs = _ct.c_ulong(0)
    if _divrem(Q, Rm, A, an, B, bn, _ct.byref(add_backs)) != _PQ_OK:  # pragma: no cover
        raise ValueError("need 0 < b <= a < 2^3840")
    q = 0
    for k in range(an - bn, -1, -1):
        q = (q << 64) | Q[k]
    r = 0
    for k in range(bn - 1, -1, -1):
        r = (r << 64) | Rm[k]
    return q, r, add_backs.value


_DECODE_KINDS = {"int64": (0, _np.int64), "object": (1, _np.uint64),
                 "float64": (2, _np.float64), "float32": (3, _np.float32)}


def debug_decode_fallbacks(R, T, m, n, fmt="int64", frac=62, log2_c=0, eps=0, d_r=0, rot=0,
                           d_theta=0):
    """The matrix decoder on an m x n grid, counting its hand-overs to rbe.

    Parameters
    ----------
    R, T, log2_c, eps, d_r, rot, d_theta : int
        The seed, as for :func:`poincare_q64.decode_matrix`.
    m, n : int
        The grid.
    fmt : {"int64", "object", "float64", "float32"}
        The output format (object: the 128-bit integer kind).
    frac : int
        Fractional bits of the integer formats.

    Returns
    -------
    status : int
        The kernel's status (0 = PQ_OK).
    fallbacks : int
        Elements the fast path left to rbe's kernel.
    out : ndarray
        The raw result (int128 as (lo, hi) pairs of uint64).

    Raises
    ------
    ValueError
        An unknown fmt.

    Examples
    --------
    >>> st, fb, out = debug_decode_fallbacks(2**63, 2**61, 4, 4, "float64")
    >>> st, out.shape
    (0, (4, 4))
    """
    if fmt not in _DECODE_KINDS:
        raise ValueError(f"fmt must be one of {sorted(_DECODE_KINDS)}")
    kind, dt = _DECODE_KINDS[fmt]
    out = _np.zeros((m, n * (2 if kind == 1 else 1)), dtype=dt)
    p = _pq_params(_c_u64(eps), _c_int(log2_c), _c_int(d_r), _c_int(rot), _c_int(d_theta))
    fb = _ct.c_uint64(0)
    st = _decode_fallbacks(_c_u64(R), _c_u64(T), _ct.byref(p),
                           _pq_format(kind, frac if kind <= 1 else 0),
                           _int(m, 1, 2**32 - 1), _int(n, 1, 2**32 - 1),
                           out.ctypes.data_as(_ct.c_void_p), _ct.byref(fb))
    return st, fb.value, out


def debug_decode_elem(R, T, i, j, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0):
    """The matrix decoder's fast-path value of element (i, j) and its bound.

    Returns
    -------
    tuple or None
        ``(neg, P, e, err)``: the claim |f| = P 2^e within err 2^e, f's
        sign neg; None when the seed's plan has no fast path (an all-zero
        matrix, or the test switch forcing every element to rbe).

    Raises
    ------
    ValueError
        Bad arguments, or phi exact at (i, j).

    Examples
    --------
    >>> neg, P, e, err = debug_decode_elem(2**63, 2**61, 5, 7)
    >>> import poincare_q64 as pq
    >>> abs(P * 2.0**e - float(pq.rbe(2**63, 2**61, 5, 7, dtype="float64"))) < 1e-15
    True
    """
    p = _pq_params(_c_u64(eps), _c_int(log2_c), _c_int(d_r), _c_int(rot), _c_int(d_theta))
    hi, lo, e, err = _ct.c_uint64(), _ct.c_uint64(), _ct.c_int64(), _ct.c_uint64()
    neg, mode = _ct.c_int(), _ct.c_int()
    st = _decode_elem(_c_u64(R), _c_u64(T), _ct.byref(p), _int(i, 0, 2**32 - 1),
                      _int(j, 0, 2**32 - 1), _ct.byref(hi), _ct.byref(lo), _ct.byref(e),
                      _ct.byref(err), _ct.byref(neg), _ct.byref(mode))
    if st != _PQ_OK:
        raise ValueError("bad arguments or an exact phi")
    if mode.value != 2:
        return None
    return neg.value, (hi.value << 64) | lo.value, e.value, err.value


def debug_decode_elem_ifma(R, T, i, j, fmt="float64", frac=62, log2_c=0, eps=0, d_r=0, rot=0,
                           d_theta=0):
    """The IFMA form of the matrix decoder's product for element (i, j).

    Parameters
    ----------
    R, T, log2_c, eps, d_r, rot, d_theta : int
        The seed, as for :func:`poincare_q64.decode_matrix`.
    i, j : int
        The element.
    fmt : {"int64", "float64", "float32"}
        The output format (int64 at ``frac``).
    frac : int
        Fractional bits of int64.

    Returns
    -------
    tuple or None
        ``(neg, Q, scale, errq)``: the claim |f| = V 2^scale with
        |V - Q| < errq (int64: V's bit F is the rounding bit), f's sign
        neg; None when the plan has no IFMA form (all zero, forced to rbe,
        a subnormal range, phi exact at (i, j)).

    Raises
    ------
    ValueError
        An unknown fmt.

    Examples
    --------
    >>> neg, Q, scale, errq = debug_decode_elem_ifma(2**63, 2**61, 5, 7)
    >>> import poincare_q64 as pq
    >>> abs(Q * 2.0**scale - float(pq.rbe(2**63, 2**61, 5, 7, dtype="float64"))) < 1e-15
    True
    """
    if fmt not in ("int64", "float64", "float32"):
        raise ValueError("fmt must be one of ['float32', 'float64', 'int64']")
    kind, _ = _DECODE_KINDS[fmt]
    p = _pq_params(_c_u64(eps), _c_int(log2_c), _c_int(d_r), _c_int(rot), _c_int(d_theta))
    hi, lo, scale, errq, neg = (_ct.c_uint64(), _ct.c_uint64(), _ct.c_int64(), _ct.c_uint64(),
                                _ct.c_int())
    st = _decode_elem_ifma(_c_u64(R), _c_u64(T), _ct.byref(p),
                           _pq_format(kind, frac if kind == 0 else 0),
                           _int(i, 0, 2**32 - 1), _int(j, 0, 2**32 - 1), _ct.byref(hi),
                           _ct.byref(lo), _ct.byref(scale), _ct.byref(errq), _ct.byref(neg))
    if st != _PQ_OK:
        return None
    return neg.value, (hi.value << 64) | lo.value, scale.value, errq.value


def set_decode_ifma(on):
    """Let the matrix decoder's IFMA lanes run (True, the default) or not.

    Process-wide, like :func:`set_simd`; they run only at SIMD level 2 on a
    CPU with AVX-512 IFMA and CD (:func:`decode_ifma_available`).

    Raises
    ------
    ValueError
        ``on`` true on a CPU or build without them (nothing changed).

    Examples
    --------
    >>> set_decode_ifma(False)
    >>> set_decode_ifma(decode_ifma_available())
    """
    if not on:
        _decode_ifma(0)
    elif _decode_ifma(1) != _PQ_OK:
        raise ValueError("this CPU or build has no AVX-512 IFMA lanes")


def decode_ifma_available():
    """Whether this CPU and build have the matrix decoder's IFMA lanes.

    Examples
    --------
    >>> decode_ifma_available() in (True, False)
    True
    """
    return _decode_ifma(-1) == 1
