"""Decode seeds into weight matrices: W_hat[i, j] = rbe(R, T, i, j, ...).

(Interface in place; the fast kernel replaces the body of these functions
without changing their results, which are rbe's on the grid.)
"""
import numpy as np

from poincare_q64 import _api

_MAX_DIM = 1 << 32


def check_shape(func, m, n):
    """m and n as ints in [1, 2**32); TypeError / ValueError otherwise."""
    out = []
    for name, v in (("m", m), ("n", n)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{func}: {name} must be an int, got {type(v).__name__}")
        v = int(v)
        if not 1 <= v < _MAX_DIM:
            raise ValueError(f"{func}: {name} = {v} is outside [1, 2**32)")
        out.append(v)
    return tuple(out)


def _grid(m, n):
    return (np.arange(m, dtype=np.uint32)[:, None],
            np.arange(n, dtype=np.uint32)[None, :])


def decode_matrix(R, T, m, n, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0,
                  frac=None, dtype=np.int64, out=None, threads=None):
    """The m x n matrix of one seed: ``rbe(R, T, i, j, ...)`` on the grid."""
    m, n = check_shape("decode_matrix", m, n)
    i, j = _grid(m, n)
    return _api.rbe(R, T, i, j, log2_c=log2_c, eps=eps, d_r=d_r, rot=rot,
                    d_theta=d_theta, frac=frac, dtype=dtype, out=out,
                    threads=threads)


def decode_seed64(word, m, n, *, eps=0, frac=None, dtype=np.int64, out=None,
                  threads=None):
    """The m x n matrix of a packed seed: ``rbe_seed64(word, i, j, eps=)``."""
    m, n = check_shape("decode_seed64", m, n)
    i, j = _grid(m, n)
    return _api.rbe_seed64(word, i, j, eps=eps, frac=frac, dtype=dtype,
                           out=out, threads=threads)


def decode_batch(R, T, m, n, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0,
                 frac=None, dtype=np.int64, out=None, threads=None):
    """A stack of matrices, one per seed: shape ``(K, m, n)`` for K seeds.

    R, T and the options are 1-d array-likes of one length K (or scalars,
    broadcast to it).
    """
    m, n = check_shape("decode_batch", m, n)
    i, j = _grid(m, n)
    cols = [v if isinstance(v, (int, np.ndarray)) else np.array(v, dtype=object)
            for v in (R, T, log2_c, eps, d_r, rot, d_theta)]
    k = max((c.shape[0] for c in cols if isinstance(c, np.ndarray) and c.ndim), default=1)
    col = [c.reshape(-1, 1, 1) if isinstance(c, np.ndarray) and c.ndim else c
           for c in cols]
    res = _api.rbe(col[0], col[1], i[None], j[None], log2_c=col[2], eps=col[3],
                   d_r=col[4], rot=col[5], d_theta=col[6], frac=frac,
                   dtype=dtype, threads=threads)
    res = np.broadcast_to(res, (k, m, n))
    if out is not None:
        out[...] = res
        return out
    return np.array(res)
