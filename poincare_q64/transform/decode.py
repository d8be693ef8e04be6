"""Decode seeds into weight matrices: W_hat[i, j] = rbe(R, T, i, j, ...).

Every element is bit-identical to :func:`poincare_q64.rbe` on the same grid,
in every output format.  The kernel (``src/decode.c``) computes everything
but phi(i, j) once per seed -- A = |g s| to 128 bits with a proven bound --
and each element as phi (stage 1, or a read from a :class:`PhiTable`) times
A with Ziv's rounding test; an element the test cannot decide goes through
rbe's own kernel (docs/spec.md, "Matrix decode").  The loops release the GIL
and split the rows over threads; results do not depend on the split.
"""
import numpy as np

from poincare_q64 import _api, _kernels, packing, registry

__all__ = ["decode_matrix", "decode_seed64", "decode_batch", "phi_table", "PhiTable"]

_OPTIONS = ("log2_c", "eps", "d_r", "rot", "d_theta")
_MAX_BYTES = (1 << 63) - 1  # numpy's largest allocation (intp)
_KERNEL_BYTES = {_kernels.KIND_INT64: 8, _kernels.KIND_INT128: 16,
                 _kernels.KIND_FLOAT64: 8, _kernels.KIND_FLOAT32: 4}


def check_shape(func, m, n):
    """m and n as ints in their registry range [1, 2**32); TypeError /
    ValueError (worded as for every other input) otherwise."""
    out = []
    for name, v in (("m", m), ("n", n)):
        if not _api._is_integer(v):
            raise TypeError(f"{func}: {name} must be an integer (a scalar), got "
                            f"{type(v).__name__}")
        x = registry.INPUTS[name]
        v = int(v)
        if not x.lo <= v < x.hi:
            raise _api._range_error(func, name, v, x.lo, x.hi)
        out.append(v)
    return tuple(out)


def _check_size(func, what, elements, itemsize):
    """ValueError when elements * itemsize bytes cannot be an array at all."""
    nbytes = elements * itemsize
    if nbytes > _MAX_BYTES:
        raise ValueError(f"{func}: {what} is too large: {elements} elements of "
                         f"{itemsize} bytes ({nbytes} bytes) exceed what numpy can "
                         f"allocate (2**63 - 1 bytes)")
    return nbytes


# --------------------------------------------------------------------------
# The phi table
# --------------------------------------------------------------------------

class PhiTable:
    """The stage-1 values of phi on an M x N grid, for repeated decodes.

    Made by :func:`phi_table`; passed as ``phi_table=`` to
    :func:`decode_matrix`, :func:`decode_seed64` and :func:`decode_batch`,
    which then read phi(i, j) instead of computing it.  A table of shape
    (M, N) serves any m <= M, n <= N.  Results are the same with and
    without a table.  Read-only.

    Memory: 16 bytes per element (the 128-bit value phi 2^126 of stage 1),
    ``nbytes = 16 M N``: 16 MiB for 1024 x 1024, twice a float64 matrix.

    Attributes
    ----------
    shape : tuple of int
        (M, N).
    nbytes : int
        Bytes held, 16 M N.

    Examples
    --------
    >>> t = phi_table(4, 8)
    >>> t.shape, t.nbytes
    ((4, 8), 512)
    """
    __slots__ = ("_hi", "_lo", "_shape")

    def __init__(self, hi, lo, shape):
        hi.flags.writeable = False
        lo.flags.writeable = False
        self._hi, self._lo, self._shape = hi, lo, tuple(shape)

    @property
    def shape(self):
        return self._shape

    @property
    def nbytes(self):
        return self._hi.nbytes + self._lo.nbytes

    def __repr__(self):
        return f"PhiTable(shape={self._shape}, nbytes={self.nbytes})"


def phi_table(m, n, threads=None):
    """The phi table of an m x n grid (see :class:`PhiTable`).

    Parameters
    ----------
    m, n : int
        Rows and columns, ``[1, 2**32)``.
    threads : int, optional
        Most threads to fill it with, >= 1; None uses all cores.

    Returns
    -------
    PhiTable
        Of shape (m, n), 16 m n bytes.

    Raises
    ------
    TypeError
        m, n or threads not an int.
    ValueError
        m or n outside ``[1, 2**32)``, threads < 1, a table beyond numpy's
        largest array.
    MemoryError
        The table does not fit in memory.

    Examples
    --------
    >>> import numpy as np
    >>> t = phi_table(3, 5)
    >>> W = decode_matrix(2**63, 2**61, 3, 5, dtype=np.float64, phi_table=t)
    >>> bool((W == decode_matrix(2**63, 2**61, 3, 5, dtype=np.float64)).all())
    True
    """
    func = "phi_table"
    m, n = check_shape(func, m, n)
    nthreads = _api.resolve_threads(func, threads)
    _check_size(func, f"the {m} x {n} phi table", m * n, 16)
    with _api.allocating(func, (m, n)):
        hi = np.empty(m * n, dtype=np.uint64)
        lo = np.empty(m * n, dtype=np.uint64)
    _kernels.phi_table_fill(hi, lo, m, n, nthreads)
    return PhiTable(hi, lo, (m, n))


def _table_args(func, table, m, n):
    if table is None:
        return None, None, 0, 0
    if not isinstance(table, PhiTable):
        raise TypeError(f"{func}: phi_table must be a PhiTable (from "
                        f"poincare_q64.phi_table), got {type(table).__name__}")
    M, N = table.shape
    if m > M or n > N:
        raise ValueError(f"{func}: the phi table of shape {table.shape} does not "
                         f"cover the {m} x {n} grid")
    return table._hi, table._lo, M, N


# --------------------------------------------------------------------------
# The decoders
# --------------------------------------------------------------------------

def _seed_columns(func, values, batch):
    """The seed inputs (name -> user value, canonical order) as kernel
    columns: each a 1-d array of length K or 1.  Returns (columns, K), K
    None when every input is a scalar (a length-1 array is a length, K =
    1, not a scalar)."""
    cols, K = {}, None
    for name, value in values.items():
        x = registry.INPUTS[name]
        arr, _ = _api.as_int_array(func, name, value, x.lo, x.hi, np.dtype(x.dtype))
        if batch:
            if arr.ndim > 1:
                raise ValueError(f"{func}: {name} must be a scalar or 1-d, got "
                                 f"{arr.ndim}-d")
            if arr.ndim == 1:
                if K is not None and arr.shape[0] != K:
                    raise ValueError(f"{func}: {name} has length {arr.shape[0]}, "
                                     f"expected {K} (the seeds' count) or a scalar")
                K = arr.shape[0]
        elif arr.ndim:
            raise ValueError(f"{func}: {name} must be a scalar (one seed; "
                             "decode_batch takes many), got shape "
                             f"{arr.shape}")
        cols[name] = np.ascontiguousarray(arr.reshape(-1))
    return cols, K


def _run(func, cols, K, m, n, dtype, frac, out, threads, table, shape, describe):
    """Check the format, out and size, run the kernel, return the result."""
    dt, kind, frac = _api.resolve_format(func, dtype, frac)
    nthreads = _api.resolve_threads(func, threads)
    hi, lo, M, N = _table_args(func, table, m, n)
    if out is not None:
        _api._check_out(func, out, dt, shape)
    what = "the result " + " x ".join(str(s) for s in shape)
    _check_size(func, what, K * m * n, _KERNEL_BYTES[kind])
    if K == 0:
        # numpy refuses a shape whose nonzero extents multiply beyond its
        # limit even when another extent is 0
        _check_size(func, f"a stack of {m} x {n} matrices", m * n, dt.itemsize)
        return out if out is not None else np.empty(shape, dtype=dt)
    # int64 at frac >= 62 can overflow (|f| < 2.2): a failing call must
    # leave out untouched, so it decodes into a buffer of its own then,
    # unless the seed's bound shows that no element can overflow
    direct = (out is not None and kind != _kernels.KIND_INT128
              and out.flags.c_contiguous and out.flags.aligned
              and not (kind == _kernels.KIND_INT64 and frac >= 62
                       and _may_overflow(cols, K, frac)))
    if direct:
        buf = out
    else:
        # _check_size has bounded the bytes, so np.empty can only fail
        # with a MemoryError here
        with _api.allocating(func, shape):
            buf = (np.empty(2 * K * m * n, dtype=np.uint64)
                   if kind == _kernels.KIND_INT128 else np.empty(shape, dtype=dt))
    status, first = _kernels.decode(
        cols["R"], cols["T"], cols["log2_c"], cols["eps"], cols["d_r"], cols["rot"],
        cols["d_theta"], K, m, n, kind, frac, buf, hi, lo, M, N, nthreads)
    if status:
        k, rest = divmod(int(first), m * n)
        i, j = divmod(rest, n)
        _api._raise_status(func, status, f" at (i, j) = ({i}, {j}) {describe(k)}", frac)
    if kind == _kernels.KIND_INT128:
        res = _api._int128_to_objects(buf).reshape(shape)
    else:
        res = buf
    if out is not None and res is not out:
        out[...] = res
        return out
    return res


def _may_overflow(cols, K, frac):
    """False when no element of the (single) seed's matrix can reach 2**63
    at frac: the kernel's plan bounds every |f| 2^frac from |g s| to 128
    bits and phi <= 11/10 (src/decode.c, pq_decode_int64_bounded)."""
    if K != 1:
        return True
    return not _kernels.decode_int64_bounded(
        int(cols["R"][0]), int(cols["T"][0]), int(cols["log2_c"][0]), int(cols["eps"][0]),
        int(cols["d_r"][0]), int(cols["rot"][0]), int(cols["d_theta"][0]), int(frac))


def _describe_seed(cols, names):
    def describe(k):
        vals = {name: int(cols[name][k if cols[name].shape[0] > 1 else 0]) for name in names}
        return "for " + _api._describe(vals)
    return describe


def decode_matrix(R, T, m, n, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0,
                  frac=None, dtype=np.int64, out=None, threads=None, phi_table=None):
    """The m x n matrix of one seed: ``rbe(R, T, i, j, ...)`` on the grid.

    ``W_hat[i, j] = rbe(R, T, i, j, log2_c=, eps=, d_r=, rot=, d_theta=)``
    for ``0 <= i < m``, ``0 <= j < n``, bit for bit, in every format.

    Parameters
    ----------
    R, T : int
        The seed's radius and angle (Q0.64), as for :func:`poincare_q64.rbe`.
    m, n : int
        Rows and columns, ``[1, 2**32)``.
    log2_c, eps, d_r, rot, d_theta : int, optional
        The seed's options, as for :func:`poincare_q64.rbe`.
    frac, dtype : optional
        Output format, as for :func:`poincare_q64.rbe` (int64 at frac 62 by
        default; object, float64, float32).
    out : numpy.ndarray, optional
        Array of exactly ``dtype`` and shape (m, n) to write into; written
        only if every element succeeds, and returned.
    threads : int, optional
        Most threads to use, >= 1; None uses all cores.  Results do not
        depend on it.
    phi_table : PhiTable, optional
        A table (:func:`phi_table`) covering the grid: phi is read instead
        of computed.  The same results.

    Returns
    -------
    numpy.ndarray
        Shape (m, n) of ``dtype``, or ``out``.

    Raises
    ------
    TypeError
        A non-integer argument, a bad dtype, ``out`` of the wrong dtype, a
        phi_table that is not a PhiTable.
    ValueError
        An argument out of range (as rbe), m or n outside ``[1, 2**32)``, R
        or T not a scalar, a bad frac or threads, ``out`` of the wrong shape
        or read-only, a phi table smaller than the grid, a result beyond
        numpy's largest array.
    MemoryError
        The result does not fit in memory.
    OverflowError
        An int64 result does not fit; the message names the first failing
        element (i, j) in row-major order and the seed.

    Examples
    --------
    >>> import numpy as np
    >>> import poincare_q64 as pq
    >>> W = decode_matrix(2**63, 2**61, 2, 3, dtype=np.float64)
    >>> W.shape
    (2, 3)
    >>> i, j = np.arange(2)[:, None], np.arange(3)
    >>> bool((W == pq.rbe(2**63, 2**61, i, j, dtype=np.float64)).all())
    True
    >>> decode_matrix(2**63, 0, 2, 2).tolist()    # sin 0 = 0: all zero
    [[0, 0], [0, 0]]
    """
    func = "decode_matrix"
    values = dict(R=R, T=T)
    cols, _ = _seed_columns(func, values, False)
    m, n = check_shape(func, m, n)
    opts, _ = _seed_columns(func, dict(log2_c=log2_c, eps=eps, d_r=d_r, rot=rot,
                                       d_theta=d_theta), False)
    cols.update(opts)
    names = ("R", "T") + _OPTIONS
    return _run(func, cols, 1, m, n, dtype, frac, out, threads, phi_table, (m, n),
                _describe_seed(cols, names))


def decode_seed64(word, m, n, *, eps=0, frac=None, dtype=np.int64, out=None,
                  threads=None, phi_table=None):
    """The m x n matrix of a 64-bit seed: ``rbe_seed64(word, i, j, eps=)``.

    Parameters
    ----------
    word : int
        A seed word (:func:`poincare_q64.pack_seed64`) with basis 0.
    m, n : int
        Rows and columns, ``[1, 2**32)``.
    eps : int, optional
        Regularisation in Q0.64, ``[0, 2**64)``.
    frac, dtype, out, threads, phi_table : optional
        As for :func:`decode_matrix`.

    Returns
    -------
    numpy.ndarray
        Shape (m, n) of ``dtype``, or ``out``.

    Raises
    ------
    ValueError
        A word whose basis is not 0, or as for :func:`decode_matrix`.
    TypeError, MemoryError, OverflowError
        As for :func:`decode_matrix`.

    Examples
    --------
    >>> import numpy as np
    >>> import poincare_q64 as pq
    >>> w = pq.pack_seed64(1 << 19, 1 << 22, rot=3)
    >>> W = decode_seed64(w, 3, 4)
    >>> bool((W == pq.rbe_seed64(w, np.arange(3)[:, None], np.arange(4))).all())
    True
    """
    func = "decode_seed64"
    x = registry.INPUTS["word"]
    warr, _ = _api.as_int_array(func, "word", word, x.lo, x.hi, np.dtype(np.uint64))
    if warr.ndim:
        raise ValueError(f"{func}: word must be a scalar (one seed), got shape {warr.shape}")
    m, n = check_shape(func, m, n)
    ecols, _ = _seed_columns(func, dict(eps=eps), False)
    _api._check_basis(func, warr)
    f = packing.unpack_seed64(int(warr))
    cols = {"R": np.array([f.r << 44], np.uint64), "T": np.array([f.theta << 40], np.uint64),
            "log2_c": np.array([f.log2_c], np.int32), "eps": ecols["eps"],
            "d_r": np.array([f.d_r], np.int32), "rot": np.array([f.rot], np.int32),
            "d_theta": np.array([f.d_theta], np.int32)}

    def describe(k):
        return f"for word={int(warr):#x}, eps={int(ecols['eps'][0])}"
    return _run(func, cols, 1, m, n, dtype, frac, out, threads, phi_table, (m, n), describe)


def decode_batch(R, T, m, n, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0,
                 frac=None, dtype=np.int64, out=None, threads=None, phi_table=None):
    """A stack of matrices, one per seed: shape ``(K, m, n)`` for K seeds.

    ``result[k] == decode_matrix(R[k], T[k], m, n, log2_c=log2_c[k], ...)``.
    The work is split over (seed, row) pairs across threads.

    Parameters
    ----------
    R, T, log2_c, eps, d_r, rot, d_theta : int or 1-d array_like of int
        The seeds: 1-d array-likes of one length K, or scalars (the same
        value for every seed; K = 1 when every one is a scalar).
    m, n : int
        Rows and columns of each matrix, ``[1, 2**32)``.
    frac, dtype, out, threads, phi_table : optional
        As for :func:`decode_matrix`; ``out`` has shape (K, m, n).

    Returns
    -------
    numpy.ndarray
        Shape (K, m, n) of ``dtype``, or ``out``.

    Raises
    ------
    TypeError, ValueError, MemoryError, OverflowError
        As for :func:`decode_matrix`; ValueError also for inputs of
        different lengths or more than one dimension.  An OverflowError
        names the seed and the element.

    Examples
    --------
    >>> import numpy as np
    >>> W = decode_batch([2**63, 2**62], 2**61, 2, 3, rot=[0, 5])
    >>> W.shape
    (2, 2, 3)
    >>> bool((W[1] == decode_matrix(2**62, 2**61, 2, 3, rot=5)).all())
    True
    """
    func = "decode_batch"
    cols, K_seed = _seed_columns(func, dict(R=R, T=T), True)
    m, n = check_shape(func, m, n)
    opts, K_opts = _seed_columns(func, dict(log2_c=log2_c, eps=eps, d_r=d_r,
                                            rot=rot, d_theta=d_theta), True)
    lengths = {K_seed, K_opts} - {None}
    if len(lengths) > 1:
        raise ValueError(f"{func}: the seeds' inputs have different lengths "
                         f"{sorted(lengths)}")
    K = lengths.pop() if lengths else 1
    cols.update(opts)
    names = ("R", "T") + _OPTIONS

    def describe(k):
        return f"of seed {k} " + _describe_seed(cols, names)(k)
    return _run(func, cols, K, m, n, dtype, frac, out, threads, phi_table, (K, m, n),
                describe)
