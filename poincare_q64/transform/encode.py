"""Encode a weight matrix into the seed whose matrix is nearest to it.

(Interface in place: the analytic optimum for q64 seeds with the default
options.  The source's search (000, 8.3), the seed64 optimum and the option
search come with the full encoder, under the same names.)
"""
import math
from dataclasses import dataclass, field

import numpy as np

from poincare_q64 import _api, packing
from poincare_q64.transform.decode import decode_matrix
from poincare_q64.transform.seed import SEED_FORMATS, Seed


@dataclass
class EncodeResult:
    """What :func:`encode_matrix` found.

    seed : Seed
    word : int or None, the packed seed64 word when the seed fits it
    shape : (m, n)
    loss : float, the mean squared error of the float64 decode against W
    metrics : dict, see :func:`poincare_q64.transform.metrics`
    """
    seed: Seed
    word: object
    shape: tuple
    loss: float
    metrics: dict = field(default_factory=dict)


def check_matrix(func, W):
    """W as a finite 2-d float64 array with at least one element."""
    a = np.asarray(W)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{func}: W must be a real numeric array, got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{func}: W must be 2-d, got {a.ndim}-d")
    if a.size == 0:
        raise ValueError(f"{func}: W is empty (shape {a.shape})")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{func}: W holds NaN or inf")
    return a


def _phi(m, n):
    i = np.arange(m, dtype=np.uint32)[:, None]
    j = np.arange(n, dtype=np.uint32)[None, :]
    return _api.modulation(i, j, dtype=np.float64)


def encode_matrix(W, *, seed_format="seed64"):
    """The seed whose decoded matrix is nearest W in the least-squares sense."""
    a = check_matrix("encode_matrix", W)
    if seed_format not in SEED_FORMATS:
        raise ValueError(f"encode_matrix: seed_format must be one of {SEED_FORMATS}")
    m, n = a.shape
    phi = _phi(m, n)
    A = float(np.clip((a * phi).sum() / (phi * phi).sum(), -0.999, 0.999))
    T = (1 << 62) if A >= 0 else (3 << 62)
    r = abs(A) / (1.0 + math.sqrt(1.0 - A * A))
    if seed_format == "seed64":
        seed = Seed(min(round(r * (1 << 20)), (1 << 20) - 1) << 44, T)
    else:
        seed = Seed(min(packing.to_q64(min(r, 0.999999)), (1 << 64) - 1), T)
    w_hat = decode_matrix(seed.R, seed.T, m, n, dtype=np.float64, **seed.options())
    return EncodeResult(seed, seed.word, (m, n), float(np.mean((a - w_hat) ** 2)))
