"""The public value functions: argument checking, broadcasting, formats.

This module adapts the array loops of :mod:`poincare_q64._kernels` (which
check nothing beyond their dtypes) to the public contract of docs/spec.md:

* every integer argument is checked *exactly* (on its original integer
  values, before any narrowing to the kernel dtype), so an out-of-range value
  is an error naming the argument, never a silently wrapped number;
* the arguments broadcast together by numpy's rules; an argument with one
  element is passed to the kernel as a length-1 array (the kernels read it
  with stride 0), anything else as a contiguous 1-D array of the broadcast
  size;
* the output format (``dtype``, ``frac``) is resolved once;
* a nonzero kernel status becomes an exception that names the function, the
  first failing element and its inputs; ``out`` is written only after every
  element succeeded (the kernels write into a temporary).

Scalars in, scalars out: a call whose numeric arguments are all scalars
(Python ints or numpy integer scalars) returns a scalar; if any of them is an
array-like -- a 0-d ndarray included -- the result is an ndarray of the
broadcast shape (so ``radial(np.array(5))`` has shape ``()``).
"""
import contextlib
import numbers

import numpy as np

from poincare_q64 import _kernels, registry

# The value functions; the matrix functions of the registry live in
# poincare_q64.transform.decode.
__all__ = [f.name for f in registry.FUNCTIONS.values() if not f.is_matrix]

TWO64 = 1 << 64

_U64 = np.dtype(np.uint64)

# Argument name -> (kernel dtype, lowest value, one past the highest value).
_RANGES = {x.name: (np.dtype(x.dtype), x.lo, x.hi)
           for x in registry.INPUTS.values()}

# The nine input slots of _kernels.evaluate, in the canonical order: the
# value functions' inputs; a seed word goes in R's slot (the kernel unpacks
# R and T from it).  The shape of the matrix functions has no slot.
_SLOTS = tuple(name for name in registry.ORDER if name != "word" and any(
    name in f.inputs for f in registry.FUNCTIONS.values() if not f.is_matrix))
_SLOT_OF = {name: "R" if name == "word" else name for name in registry.ORDER}


def _unused(dtype):
    # Slots a function ignores still need a valid length-1 array; read-only
    # so that nothing can change the shared constant.
    a = np.zeros(1, dtype=dtype)
    a.flags.writeable = False
    return a


_UNUSED = {name: _unused(_RANGES[name][0]) for name in _SLOTS}

_HINT = ("integer arguments are never converted from floats; use to_q64() "
         "for radii and turns() for angles")


# --------------------------------------------------------------------------
# Integer arguments
# --------------------------------------------------------------------------

def _show_bound(x):
    """A range bound as the reader knows it: 2**64 rather than 1844..."""
    if x >= 1 << 16 and x & (x - 1) == 0:
        return f"2**{x.bit_length() - 1}"
    return str(x)


def _range_text(lo, hi):
    if hi >= 1 << 16:
        return f"[{_show_bound(lo)}, {_show_bound(hi)})"
    return f"[{lo}, {hi - 1}]"


def show(x, limit=60):
    """repr(x) for a message, at most ``limit`` characters.  An int with more
    digits than str() converts (4300 by default) appears as its size, never
    as the ValueError that str() would raise instead of our message."""
    if _is_integer(x):
        v = int(x)
        if v.bit_length() > 256:
            return f"{'-' if v < 0 else ''}<a {v.bit_length()}-bit integer>"
    try:
        text = repr(x)
    except ValueError:  # a Fraction, Decimal, ... of such an int
        return f"<a {type(x).__name__} too large to print>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _type_error(func, name, value, where=""):
    """The TypeError for a non-integer element ``value`` of ``name``."""
    if isinstance(value, (bool, np.bool_)):
        what = f"a bool ({show(value)})"
    elif isinstance(value, (float, np.floating)):
        what = f"a float ({show(value)})"
        if name not in ("frac", "threads"):  # the hint is about data
            what += f"; {_HINT}"
    elif isinstance(value, (complex, np.complexfloating)):
        what = f"a complex number ({show(value)})"
    else:
        what = f"{type(value).__name__} ({show(value)})"
    return TypeError(f"{func}: {name} must be an integer{where}, got {what}")


def _is_integer(x):
    """Python int, numpy integer scalar or another Integral, but not bool
    and not a numpy duration (np.timedelta64 subclasses np.integer, but
    int() of one is its count of some unit, or a datetime.timedelta)."""
    if type(x) is int:  # the common case, without the slower ABC check
        return True
    return (isinstance(x, (numbers.Integral, np.integer))
            and not isinstance(x, (bool, np.bool_, np.timedelta64)))


def _range_error(func, name, value, lo, hi, index=None):
    where = "" if index is None else f" (at index {index})"
    return ValueError(f"{func}: {name} must be in {_range_text(lo, hi)}, got "
                      f"{show(value, 80)}{where}")


def _index(flat_k, shape):
    return tuple(int(x) for x in np.unravel_index(flat_k, shape))


def as_int_array(func, name, value, lo, hi, dtype):
    """Check an integer argument exactly and convert it to ``dtype``.

    Returns ``(array, is_scalar)``: ``array`` has the argument's own shape
    (0-d for a scalar) and the kernel dtype; every element lies in
    ``[lo, hi)``, checked on the original values before any narrowing.
    Raises TypeError for anything that is not an integer (bool, float,
    complex, str, other objects) or for a masked array, and ValueError for
    a value out of range.
    """
    if isinstance(value, np.ndarray):
        return _check_array(func, name, value, lo, hi, dtype), False
    if _is_integer(value):
        v = int(value)  # exact for numpy scalars and arbitrarily large ints
        if not lo <= v < hi:
            raise _range_error(func, name, v, lo, hi)
        return np.array(v, dtype=dtype), True
    if isinstance(value, (list, tuple)):
        # dtype=object keeps every element as given: numpy would otherwise
        # turn [True, 2] into ints and [-1, 2**63] into floats.
        try:
            arr = np.array(value, dtype=object)
        except ValueError as exc:
            raise ValueError(f"{func}: {name} is not a regular nested "
                             f"sequence of integers ({exc})") from None
        return _check_array(func, name, arr, lo, hi, dtype), False
    if isinstance(value, (str, bytes, bool, np.bool_, float, np.floating,
                          complex, np.complexfloating)) or value is None:
        raise _type_error(func, name, value)
    # Other array-likes (buffers, objects with __array__).  Anything numpy
    # can only wrap as a 0-d object array is not an integer at all.
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 -- any failure means "not an integer"
        raise _type_error(func, name, value) from None
    if arr.dtype == object and arr.ndim == 0:
        raise _type_error(func, name, value)
    return _check_array(func, name, arr, lo, hi, dtype), False


def masked_error(func, name):
    """The TypeError for a numpy masked array: its mask cannot be honoured
    (every element is evaluated), and its hidden values would escape the
    checks that see only the visible ones."""
    return TypeError(f"{func}: {name} must not be a masked array "
                     "(numpy.ma.MaskedArray); pass the values to use, e.g. "
                     "a.filled(v) or a.compressed()")


def _check_array(func, name, arr, lo, hi, dtype):
    if isinstance(arr, np.ma.MaskedArray):
        raise masked_error(func, name)
    kind = arr.dtype.kind
    if kind in "iu":
        info = np.iinfo(arr.dtype)
        # a dtype whose every value is in range (uint64 R, uint32 i) needs
        # no pass over the data
        if arr.size and not (lo <= info.min and info.max < hi):
            # int() of the extremes: exact comparison with Python bounds
            # whatever the array's integer dtype.
            if int(arr.min()) < lo or int(arr.max()) >= hi:
                bad = (arr < max(lo, info.min)) | (arr > min(hi - 1, info.max))
                k = int(np.flatnonzero(bad.ravel())[0])
                raise _range_error(func, name, int(arr.ravel()[k]), lo, hi,
                                   _index(k, arr.shape))
        out = arr.astype(dtype, copy=False)
        # The kernels read each element as a C integer, and a misaligned
        # load is undefined behaviour in C: an unaligned view (a field of a
        # packed structured array, a buffer at an odd offset) is copied.
        return out if out.flags.aligned else out.copy()
    if kind == "O":
        values = []
        flat = arr.ravel()
        for k, x in enumerate(flat):
            if not _is_integer(x):
                where = f" (at index {_index(k, arr.shape)})" if arr.ndim else ""
                raise _type_error(func, name, x, where)
            v = int(x)
            if not lo <= v < hi:
                raise _range_error(func, name, v, lo, hi,
                                   _index(k, arr.shape) if arr.ndim else None)
            values.append(v)
        return np.array(values, dtype=dtype).reshape(arr.shape)
    if kind == "b":
        what = "a bool array"
    elif kind == "f":
        what = f"a float array ({arr.dtype}); {_HINT}"
    elif kind == "c":
        what = f"a complex array ({arr.dtype})"
    else:
        what = f"an array of dtype {arr.dtype}"
    raise TypeError(f"{func}: {name} must be integers, got {what}")


def broadcast_shape(func, arrays):
    """The broadcast shape of ``arrays`` (name -> array); ValueError naming
    the arguments and their shapes if they do not broadcast."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items()
                           if a.ndim)
        shape = _broadcast_exact(a.shape for a in arrays.values())
        if shape is not None:  # numpy refused only the size
            n = int(np.prod(shape, dtype=object))
            raise ValueError(f"{func}: the arguments broadcast to shape "
                             f"{shape}, {n} elements, too large for an "
                             f"array: {shapes}") from None
        raise ValueError(f"{func}: the shapes of the arguments do not "
                         f"broadcast together: {shapes}") from None


def _broadcast_exact(shapes):
    """numpy's broadcasting rule without its size limit; None if the shapes
    do not broadcast."""
    shapes = list(shapes)
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for k, d in enumerate(s, ndim - len(s)):
            if d != 1:
                if out[k] not in (1, d):
                    return None
                out[k] = d
    return tuple(out)


@contextlib.contextmanager
def allocating(func, shape):
    """Turn a failed allocation for a result of ``shape`` into a
    MemoryError that says what was too large."""
    try:
        yield
    except MemoryError:
        n = int(np.prod(shape, dtype=object))
        raise MemoryError(f"{func}: cannot allocate the result of shape "
                          f"{tuple(shape)} ({n} elements) and its work "
                          "arrays") from None


def flat_input(a, shape):
    """``a`` as the kernels take it: length 1 (used for every element, no
    copy) or a C-contiguous 1-D array of the broadcast size."""
    if a.size == 1:
        return a.reshape(1)
    if a.shape == shape:
        return np.ascontiguousarray(a).ravel()
    return np.ascontiguousarray(np.broadcast_to(a, shape)).ravel()


# --------------------------------------------------------------------------
# Format, threads, out
# --------------------------------------------------------------------------

# dtype -> (canonical name, kernel kind, dtype of the kernel's output buffer)
_FORMATS = {
    np.dtype(np.int64): ("int64", _kernels.KIND_INT64, np.dtype(np.int64)),
    np.dtype(object): ("object", _kernels.KIND_INT128, _U64),
    np.dtype(np.float64): ("float64", _kernels.KIND_FLOAT64,
                           np.dtype(np.float64)),
    np.dtype(np.float32): ("float32", _kernels.KIND_FLOAT32,
                           np.dtype(np.float32)),
}
_DTYPE_TEXT = "numpy.int64, object, numpy.float64 or numpy.float32"


def resolve_format(func, dtype, frac):
    """Return ``(dtype, kind, frac)``: the numpy dtype, the kernel's output
    kind and the frac (62 for ``frac=None`` with an integer dtype, 0 -- unused
    -- for floats)."""
    if dtype is None:  # np.dtype(None) would quietly mean float64
        raise TypeError(f"{func}: dtype must be {_DTYPE_TEXT}, got None")
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{func}: dtype must be {_DTYPE_TEXT}, got "
                        f"{show(dtype)}") from None
    if dt not in _FORMATS:
        raise TypeError(f"{func}: dtype must be {_DTYPE_TEXT}, got "
                        f"{show(dtype)}")
    name, kind, _ = _FORMATS[dt]
    if name in ("float64", "float32"):
        if frac is not None:
            raise ValueError(f"{func}: frac applies only to integer dtypes "
                             f"(got frac={show(frac)} with dtype {name})")
        return dt, kind, 0
    if frac is None:
        return dt, kind, 62
    if not _is_integer(frac):
        raise _type_error(func, "frac", frac)
    if not 0 <= int(frac) <= 64:
        raise ValueError(f"{func}: frac must be in [0, 64], got "
                         f"{show(int(frac))}")
    return dt, kind, int(frac)


def resolve_threads(func, threads):
    if threads is None:
        return _kernels.max_threads()
    if not _is_integer(threads):
        raise _type_error(func, "threads", threads)
    if int(threads) < 1:
        raise ValueError(f"{func}: threads must be >= 1 (or None for all "
                         f"cores), got {show(int(threads))}")
    # More threads than elements or cores is harmless; cap it only so that
    # an absurd value cannot ask OpenMP for millions of threads.
    return min(int(threads), 1 << 10)


def _check_out(func, out, dtype, shape):
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{func}: out must be a numpy.ndarray, got "
                        f"{type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{func}: out has dtype {out.dtype}, expected "
                        f"{dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"{func}: out has shape {out.shape}, expected the "
                         f"broadcast shape {tuple(shape)}")
    if not out.flags.writeable:
        raise ValueError(f"{func}: out is read-only")


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------

def _int128_to_objects(buf):
    """uint64[2n] holding (lo, hi) pairs -> object array of Python ints."""
    lo = buf[0::2]
    hi = buf[1::2].view(np.int64)
    lo_signed = lo.view(np.int64)
    # Nearly always the value fits int64 (hi is lo's sign extension): one
    # conversion then; otherwise the exact hi * 2^64 + lo.
    if np.array_equal(hi, lo_signed >> 63):
        return lo_signed.astype(object)
    return hi.astype(object) * TWO64 + lo.astype(object)


def _describe(values):
    """Inputs (name -> int) as an error message shows them."""
    return ", ".join(f"{name}={v:#x}" if name == "word" else f"{name}={v}"
                     for name, v in values.items())


def _raise_status(func, code, where, frac):
    if code == _kernels.STATUS_EOVERFLOW:
        raise OverflowError(
            f"{func}: the result{where} does not fit int64 with frac={frac}; "
            "use a smaller frac or dtype=object (exact Python ints)")
    if code == _kernels.STATUS_EUNDECIDED:
        raise ArithmeticError(
            f"{func}: the rounding{where} could not be decided within the "
            "precision cap (never observed; please report these inputs)")
    if code == _kernels.STATUS_EDOM:
        raise ValueError(f"{func}: an argument is out of range{where}")
    raise RuntimeError(f"{func}: unknown kernel status {code}{where}")


# Scalar results in the public form, by kernel kind.
_SCALAR_TYPES = {
    _kernels.KIND_INT64: np.int64,
    _kernels.KIND_INT128: int,
    _kernels.KIND_FLOAT64: np.float64,
    _kernels.KIND_FLOAT32: np.float32,
}


def _init_scalar_path():
    """Give the compiled scalar path the usual formats, each resolved here
    (so the two paths cannot disagree about a format)."""
    spellings = [object, float, int]  # the builtins numpy maps to a dtype
    for dt, (name, _, _) in _FORMATS.items():
        spellings += [dt, dt.type, name]
    formats = []
    for spelling in spellings:
        try:
            _, kind, frac = resolve_format("poincare_q64", spelling, None)
        except TypeError:  # int is int32 where C long is 32 bits
            continue
        formats.append((spelling, kind, frac))
    _kernels.scalar_path_init(formats)


_init_scalar_path()

# The scalar fast path: each returns the result of a call with plain Python
# ints and a usual format (no out), or None for anything else -- a failed
# check included -- and the public function then takes the general path,
# whose checks raise the errors.
_radial_fast = _kernels.radial_fast
_angular_fast = _kernels.angular_fast
_modulation_fast = _kernels.modulation_fast
_rbe_fast = _kernels.rbe_fast
_rbe_seed64_fast = _kernels.rbe_seed64_fast
_spatial_hash_fast = _kernels.spatial_hash_fast
_FUNC_RBE = _kernels.FUNC_RBE
_FUNC_RBE_PIPELINE = _kernels.FUNC_RBE_PIPELINE


def _evaluate_scalar(fn, args, dtype, frac, threads):
    """evaluate() for all-scalar arguments without ``out``: the same checks,
    errors and result, without arrays or a thread team (a call per
    transaction, as a testbench makes, then costs microseconds)."""
    func = fn.name
    values = {}
    for name, value in args.items():
        _, lo, hi = _RANGES[name]
        v = int(value)  # the caller checked that every value is an integer
        if not lo <= v < hi:
            raise _range_error(func, name, v, lo, hi)
        values[name] = v
    dt, kind, frac = resolve_format(func, dtype, frac)
    resolve_threads(func, threads)  # checked although one element needs one
    if "word" in values:
        _check_basis(func, np.array(values["word"], dtype=_U64))
    slot = {s: 0 for s in _SLOTS}
    for name, v in values.items():
        slot[_SLOT_OF[name]] = v
    status, value = _kernels.evaluate_scalar(
        fn.kernel, *(slot[s] for s in _SLOTS), kind, frac)
    if status:
        _raise_status(func, status, f" for {_describe(values)}", frac)
    return _SCALAR_TYPES[kind](value)


def evaluate(name, args, dtype, frac, out=None, threads=None):
    """Check ``args`` (input name -> user value, in the registry's order:
    the first bad argument and the inputs an error message lists come in
    that order) of the registry's function ``name``, broadcast, run
    ``_kernels.evaluate`` and return the result in the public form.
    """
    fn = registry.FUNCTIONS[name]
    if out is None and all(_is_integer(v) for v in args.values()):
        return _evaluate_scalar(fn, args, dtype, frac, threads)
    func = fn.name
    arrays = {}
    scalar = True
    for name, value in args.items():
        kdt, lo, hi = _RANGES[name]
        arrays[name], is_scalar = as_int_array(func, name, value, lo, hi, kdt)
        scalar = scalar and is_scalar
    dt, kind, frac = resolve_format(func, dtype, frac)
    shape = broadcast_shape(func, arrays)
    if out is not None:
        _check_out(func, out, dt, shape)
    nthreads = resolve_threads(func, threads)
    if "word" in arrays:
        _check_basis(func, arrays["word"])

    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    names = list(arrays)
    with allocating(func, shape):
        flats = [flat_input(arrays[k], shape) for k in names]
        buf_dtype = _FORMATS[dt][2]
        buf = np.empty(2 * n if kind == _kernels.KIND_INT128 else n,
                       dtype=buf_dtype)
        status = np.empty(n, dtype=np.uint8)
    slots = dict(_UNUSED)
    for name, a in zip(names, flats):
        slots[_SLOT_OF[name]] = a
    bad = _kernels.evaluate(fn.kernel, *(slots[s] for s in _SLOTS), n, kind, frac,
                            buf, status, nthreads)
    if bad:
        k = int(np.flatnonzero(status)[0])
        inputs = _describe({name: int(a[0] if a.shape[0] == 1 else a[k])
                            for name, a in zip(names, flats)})
        where = (f" for {inputs}" if scalar
                 else f" at index {_index(k, shape)} ({inputs})")
        _raise_status(func, int(status[k]), where, frac)

    res = _int128_to_objects(buf) if kind == _kernels.KIND_INT128 else buf
    if out is not None:
        out[...] = res.reshape(shape)
        return out
    if scalar:
        return int(res[0]) if kind == _kernels.KIND_INT128 else res[0]
    return res.reshape(shape)


def _check_basis(func, words):
    # Only the sine basis is defined.  Checked here, before evaluating, so
    # that a bad word is reported as such whatever else the call would do.
    basis = (words >> np.uint64(16)) & np.uint64(0xF)
    if basis.any():
        k = int(np.flatnonzero(basis.ravel())[0])
        w = int(words.ravel()[k])
        where = f" at index {_index(k, words.shape)}" if words.ndim else ""
        raise ValueError(
            f"{func}: word={w:#x}{where} has basis field {(w >> 16) & 0xF}; "
            "only basis 0 (sin) is defined")


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------

def radial(R, *, log2_c=0, eps=0, d_r=0, frac=None, dtype=np.int64):
    """Radial term g of the RBE function, correctly rounded.

    With ``r = R / 2**64``, ``epsilon = eps / 2**64``, ``c = 2**log2_c`` and
    ``r~ = r / (1 + epsilon r)``::

        d_r = 0:  g  = 2 r~ / (1 + c r~**2)
        d_r = 1:  g' = 2 (1 - c r~**2) / ((1 + c r~**2)**2 (1 + epsilon r)**2)

    g is a rational number; it is rounded once, exactly, to the output
    format.

    Parameters
    ----------
    R : int or array_like of int
        Radius in Q0.64, ``[0, 2**64)``.  Use :func:`to_q64` to convert a
        float radius.
    log2_c : int or array_like of int, optional
        Curvature exponent, ``[-4, 3]``; ``c = 2**log2_c``.
    eps : int or array_like of int, optional
        Regularisation in Q0.64, ``[0, 2**64)``; 0 means none.
    d_r : int or array_like of int, optional
        Radial derivative order, 0 or 1.
    frac : int, optional
        Fractional bits of an integer result, ``[0, 64]``; ``None`` means
        62.  Must be ``None`` for float dtypes.
    dtype : {numpy.int64, object, numpy.float64, numpy.float32}, optional
        Output format (also as a string or ``numpy.dtype``).  Integer
        formats return ``X = round(g * 2**frac)``, ties to even: int64 (an
        OverflowError if X does not fit) or exact Python ints (``object``).
        Float formats return g correctly rounded to nearest, ties to even.

    Returns
    -------
    numpy.int64, int, numpy.float64, numpy.float32 or numpy.ndarray
        A scalar of the dtype (a Python int for ``object``) when every
        numeric argument is a scalar, else an array of the broadcast shape.

    Raises
    ------
    TypeError
        A non-integer argument (float, bool, complex, str), a bad dtype.
    ValueError
        An argument out of range, a bad frac, shapes that do not broadcast.
    OverflowError
        An int64 result does not fit (g' reaches 2, so frac=62 overflows).

    Examples
    --------
    r = 1/2 gives g = 2 (1/2) / (1 + 1/4) = 4/5, and 4/5 * 2**62 =
    3689348814741910323.2:

    >>> int(radial(2**63))
    3689348814741910323
    >>> radial(2**63, frac=64, dtype=object)
    14757395258967641293
    >>> float(radial(2**63, dtype="float64"))
    0.8

    c = 4 makes g = 1/2 exactly, a tie at frac=0 (to even, 0):

    >>> radial(2**63, log2_c=2, frac=0, dtype=object)
    0
    >>> radial([0, 2**63], log2_c=2, frac=1).tolist()
    [0, 1]
    """
    res = _radial_fast(R, log2_c, eps, d_r, frac, dtype)
    if res is not None:
        return res
    return evaluate("radial", dict(R=R, log2_c=log2_c, eps=eps, d_r=d_r),
                    dtype, frac)


def angular(T, *, rot=0, d_theta=0, frac=None, dtype=np.int64):
    """Angular term s = sin(2 pi T' / 2**64), correctly rounded.

    ``T' = (T + rot * 2**60 + d_theta * 2**62) mod 2**64``: ``rot`` adds
    sixteenths of a turn, ``d_theta`` quarter turns (the derivatives of sin
    cycle sin, cos, -sin, -cos).  s is exact (0, 1 or -1) at quarter turns
    and irrational everywhere else, so it is never a rounding midpoint.

    Parameters
    ----------
    T : int or array_like of int
        Angle in turns, Q0.64: ``theta = 2 pi T / 2**64``, ``[0, 2**64)``.
        Use :func:`turns` to convert radians.
    rot : int or array_like of int, optional
        Rotation in sixteenths of a turn, ``[0, 15]``.
    d_theta : int or array_like of int, optional
        Angular derivative order, ``[0, 3]``.
    frac, dtype : optional
        Output format, as for :func:`radial`.

    Returns
    -------
    numpy.int64, int, numpy.float64, numpy.float32 or numpy.ndarray
        As for :func:`radial`.

    Raises
    ------
    TypeError, ValueError, OverflowError
        As for :func:`radial` (``frac=64`` overflows int64 at s = 1).
    ArithmeticError
        The rounding could not be decided (never observed).

    Examples
    --------
    A quarter turn, sin = 1:

    >>> int(angular(2**62)) == 2**62
    True
    >>> angular(0, d_theta=1, frac=64, dtype=object) == 2**64
    True
    >>> float(angular(2**63, dtype="float64"))     # sin(pi) = 0 exactly
    0.0

    An eighth of a turn, sin(pi/4) = 0.70710678118654752440...:

    >>> float(angular(2**61, dtype="float64"))
    0.7071067811865476
    >>> angular(2**61, frac=64, dtype=object)   # 2**63 sqrt(2) = ...212.35
    13043817825332782212
    """
    res = _angular_fast(T, rot, d_theta, frac, dtype)
    if res is not None:
        return res
    return evaluate("angular", dict(T=T, rot=rot, d_theta=d_theta), dtype,
                    frac)


def spatial_hash(i, j):
    """Spatial hash H(i, j) = MurmurHash3_x86_32(LE32(i) || LE32(j), seed 0).

    The 8 hashed bytes are i then j, each as a little-endian uint32; the
    result is the unsigned 32-bit hash.

    Parameters
    ----------
    i, j : int or array_like of int
        Indices, ``[0, 2**32)``.

    Returns
    -------
    numpy.uint32 or numpy.ndarray of uint32
        A scalar for scalar arguments, else an array of the broadcast shape.

    Raises
    ------
    TypeError
        A non-integer argument.
    ValueError
        An index out of range, shapes that do not broadcast.

    Examples
    --------
    Compare ``mmh3.hash(bytes(8), 0, signed=False)``:

    >>> int(spatial_hash(0, 0))
    1669671676
    >>> spatial_hash([0, 1], 0).tolist()
    [1669671676, 1392991556]
    """
    res = _spatial_hash_fast(i, j)
    if res is not None:
        return res
    func = "spatial_hash"
    args = {"i": i, "j": j}
    if _is_integer(i) and _is_integer(j):
        for name, value in args.items():
            _, lo, hi = _RANGES[name]
            if not lo <= int(value) < hi:
                raise _range_error(func, name, int(value), lo, hi)
        return np.uint32(_kernels.spatial_hash_scalar(int(i), int(j)))
    arrays = {}
    scalar = True
    for name, value in args.items():
        kdt, lo, hi = _RANGES[name]
        arrays[name], is_scalar = as_int_array(func, name, value, lo, hi, kdt)
        scalar = scalar and is_scalar
    shape = broadcast_shape(func, arrays)
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    with allocating(func, shape):
        out = np.empty(n, dtype=np.uint32)
        fi = flat_input(arrays["i"], shape)
        fj = flat_input(arrays["j"], shape)
    _kernels.spatial_hash(fi, fj, n, out, _kernels.max_threads())
    return out[0] if scalar else out.reshape(shape)


def modulation(i, j, *, frac=None, dtype=np.int64):
    """Spatial modulation phi = 1 + sin(2 pi H / 2**32) / 10, correctly rounded.

    ``H = spatial_hash(i, j)``.  phi is exact (1, 11/10 or 9/10) when H is a
    multiple of 2**30 and irrational otherwise.

    Parameters
    ----------
    i, j : int or array_like of int
        Indices, ``[0, 2**32)``.
    frac, dtype : optional
        Output format, as for :func:`radial`.

    Returns
    -------
    numpy.int64, int, numpy.float64, numpy.float32 or numpy.ndarray
        As for :func:`radial`.

    Raises
    ------
    TypeError, ValueError, OverflowError, ArithmeticError
        As for :func:`angular` (phi < 1.1, so int64 overflows only at
        ``frac=64``).

    Examples
    --------
    H(0, 0) = 1669671676, so phi = 1 + sin(2 pi 1669671676 / 2**32) / 10 =
    1.0643452348790150453643...; times 2**64 that is
    19633704153885471541.54...:

    >>> float(modulation(0, 0, dtype="float64"))
    1.064345234879015
    >>> modulation(0, 0, frac=64, dtype=object)
    19633704153885471542
    """
    res = _modulation_fast(i, j, frac, dtype)
    if res is not None:
        return res
    return evaluate("modulation", dict(i=i, j=j), dtype, frac)


def rbe(R, T, i, j, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0, frac=None,
        dtype=np.int64, out=None, threads=None):
    """The RBE function f = g * s * phi, rounded once from the exact product.

    ``g = radial(R, log2_c=, eps=, d_r=)``, ``s = angular(T, rot=,
    d_theta=)`` and ``phi = modulation(i, j)`` as exact reals; their product
    is rounded once (not from rounded factors).  It is exact (and can be a
    rounding midpoint) only when s is 0 or +-1 and H is a multiple of 2**30
    or g = 0; otherwise irrational.

    Parameters
    ----------
    R, T, i, j : int or array_like of int
        Radius (Q0.64), angle (turns, Q0.64), indices; see :func:`radial`,
        :func:`angular`, :func:`spatial_hash`.
    log2_c, eps, d_r : int or array_like of int, optional
        Radial options, see :func:`radial`.
    rot, d_theta : int or array_like of int, optional
        Angular options, see :func:`angular`.
    frac, dtype : optional
        Output format, as for :func:`radial`.  ``|f|`` reaches 2.2, so
        int64 with frac=62 can overflow.
    out : numpy.ndarray, optional
        Array of exactly ``dtype`` and the broadcast shape to write into; it
        is returned.  It is written only if every element succeeds.
    threads : int, optional
        Most threads to use, >= 1; None uses all cores.  Small inputs use
        fewer (a thread per 1024 elements for rbe, per 256 for the other
        functions; a scalar call none).  Results do not depend on it.

    Returns
    -------
    numpy.int64, int, numpy.float64, numpy.float32 or numpy.ndarray
        As for :func:`radial`, or ``out``.

    Raises
    ------
    TypeError
        A non-integer argument, a bad dtype, ``out`` of the wrong dtype.
    ValueError
        An argument out of range, a bad frac or threads, shapes that do not
        broadcast, ``out`` of the wrong shape or read-only.
    OverflowError
        An int64 result does not fit; the message names the first failing
        element and its inputs.
    ArithmeticError
        The rounding could not be decided (never observed).

    Examples
    --------
    Indices with H = 0 (phi = 1): ``i = 92612215, j = 0``.  At r = 1/2 and
    a quarter turn, f = g = 4/5:

    >>> int(spatial_hash(92612215, 0))
    0
    >>> int(rbe(2**63, 2**62, 92612215, 0))
    3689348814741910323

    With c = 4, g = 1/2: f = 1/2 is a tie at frac=0 (to even, 0), and with
    d_theta = 2 (sin -> -sin), f = -1/2 exactly:

    >>> rbe(2**63, 2**62, 92612215, 0, log2_c=2, frac=0, dtype=object)
    0
    >>> float(rbe(2**63, 2**62, 92612215, 0, log2_c=2, d_theta=2,
    ...           dtype="float32"))
    -0.5

    Arrays broadcast:

    >>> rbe([[0], [2**63]], [0, 2**62], 92612215, 0, frac=4).tolist()
    [[0, 0], [0, 13]]
    """
    if out is None:
        res = _rbe_fast(_FUNC_RBE, R, T, i, j, log2_c, eps, d_r, rot, d_theta,
                        frac, dtype, threads)
        if res is not None:
            return res
    return evaluate("rbe",
                    dict(R=R, T=T, i=i, j=j, log2_c=log2_c, eps=eps, d_r=d_r,
                         rot=rot, d_theta=d_theta),
                    dtype, frac, out, threads)


def rbe_pipeline(R, T, i, j, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0,
                 frac=None, dtype=np.int64, out=None, threads=None):
    """The source's fixed-point model of the RBE function (error analysis).

    Every step rounds to Q64 (frac 64), ties to even, in exact integer
    arithmetic: ``g64``, ``s64``, ``phi64`` are radial, angular and
    modulation at frac 64; ``P1 = round(g64 * s64 / 2**64)``;
    ``P2 = round(P1 * phi64 / 2**64)``; the result is ``P2 / 2**64``
    rounded to the output format.  Its distance from :func:`rbe` is bounded
    in docs/spec.md.

    Parameters
    ----------
    R, T, i, j, log2_c, eps, d_r, rot, d_theta, frac, dtype, out, threads
        As for :func:`rbe`.

    Returns
    -------
    numpy.int64, int, numpy.float64, numpy.float32 or numpy.ndarray
        As for :func:`rbe`.

    Raises
    ------
    TypeError, ValueError, OverflowError, ArithmeticError
        As for :func:`rbe`.

    Examples
    --------
    When every factor is exact so is the pipeline: with phi = 1 and s = 1,
    ``P2 = g64 = round(4/5 * 2**64)``:

    >>> rbe_pipeline(2**63, 2**62, 92612215, 0, frac=64, dtype=object)
    14757395258967641293
    """
    if out is None:
        res = _rbe_fast(_FUNC_RBE_PIPELINE, R, T, i, j, log2_c, eps, d_r, rot,
                        d_theta, frac, dtype, threads)
        if res is not None:
            return res
    return evaluate("rbe_pipeline",
                    dict(R=R, T=T, i=i, j=j, log2_c=log2_c, eps=eps, d_r=d_r,
                         rot=rot, d_theta=d_theta),
                    dtype, frac, out, threads)


def rbe_seed64(word, i, j, *, eps=0, frac=None, dtype=np.int64, out=None,
               threads=None):
    """:func:`rbe` of a 64-bit seed word.

    ``R = r << 44`` and ``T = theta << 40`` from the word's r and theta
    fields; ``log2_c``, ``d_r``, ``rot`` and ``d_theta`` from the word;
    ``reserved`` is ignored.  Layout: see :func:`pack_seed64`.

    Parameters
    ----------
    word : int or array_like of int
        Seed words, ``[0, 2**64)``, with basis field 0.
    i, j : int or array_like of int
        Indices, ``[0, 2**32)``.
    eps : int or array_like of int, optional
        Regularisation in Q0.64, ``[0, 2**64)``.
    frac, dtype, out, threads : optional
        As for :func:`rbe`.

    Returns
    -------
    numpy.int64, int, numpy.float64, numpy.float32 or numpy.ndarray
        As for :func:`rbe`.

    Raises
    ------
    ValueError
        A word with basis != 0 (only sin is defined), or as for :func:`rbe`.
    TypeError, OverflowError, ArithmeticError
        As for :func:`rbe`.

    Examples
    --------
    r field 2**19 (r = 1/2) and theta field 2**22 (a quarter turn), H = 0:

    >>> w = (2**19 << 44) | (2**22 << 20)
    >>> int(rbe_seed64(w, 92612215, 0))
    3689348814741910323
    """
    if out is None:
        res = _rbe_seed64_fast(word, i, j, eps, frac, dtype, threads)
        if res is not None:
            return res
    return evaluate("rbe_seed64", dict(word=word, i=i, j=j, eps=eps), dtype,
                    frac, out, threads)
