"""The compression audit's view of the RBE transform (poincare_q64.transform).

The audit uses the transform only through its public names, and only the
features it has: an option (``method=``) is passed when the encoder's
signature accepts it, ``encode_multires`` is used when it exists.  What is
not there is reported as not run, never replaced by a copy of our own.

Stored bits are counted as the sources count them: a seed64 seed is one
64-bit word (source 002), a q64 seed the two 64-bit words R and T
(source 000, section 8.2.2: 128 bits).  With the default options nothing
else is stored; the block and matrix shapes are not counted.
"""
import inspect
import math
import time

import numpy as np

from poincare_q64 import transform as tr

SEED_BITS = {"seed64": 64, "q64": 128}


class NotAvailable(Exception):
    """The transform in this checkout lacks the feature (the message says which)."""


def accepts(func, name):
    """True if ``func`` takes a keyword argument ``name`` (or **kwargs)."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def features():
    """What the transform in this checkout offers, by name."""
    return {
        "encode_matrix method=": accepts(tr.encode_matrix, "method"),
        "encode_multires": hasattr(tr, "encode_multires"),
    }


def decode_seed(seed, m, n):
    return tr.decode_matrix(seed.R, seed.T, m, n, dtype=np.float64, **seed.options())


def encode_one(W, seed_format, method=None):
    """One seed for all of W: (W_hat float64, stored bits, seconds, seed).

    ``method=None`` uses the encoder's default; any other value is passed
    as ``method=`` and raises NotAvailable if the encoder does not take it.
    """
    kw = dict(seed_format=seed_format)
    if method is not None:
        if not accepts(tr.encode_matrix, "method"):
            raise NotAvailable("encode_matrix takes no method= argument")
        kw["method"] = method
    t0 = time.perf_counter()
    res = tr.encode_matrix(W, **kw)
    dt = time.perf_counter() - t0
    m, n = np.shape(W)
    return decode_seed(res.seed, m, n), SEED_BITS[seed_format], dt, res.seed


def n_blocks(shape, block):
    return math.ceil(shape[0] / block[0]) * math.ceil(shape[1] / block[1])


def encode_blocks(W, block, seed_format):
    """One seed per p x q block: (W_hat float64, stored bits)."""
    block = (int(block[0]), int(block[1]))
    if block == tuple(np.shape(W)):
        W_hat, bits, _, _ = encode_one(W, seed_format)
        return W_hat, bits
    bs = tr.encode_blocks(W, block, seed_format=seed_format)
    W_hat = np.asarray(bs.decode(dtype=np.float64), dtype=np.float64)
    return W_hat, n_blocks(np.shape(W), block) * SEED_BITS[seed_format]


def _count_seeds(level):
    seeds = getattr(level, "seeds", None)
    if seeds is not None:
        return int(np.size(seeds))
    raise NotAvailable(f"cannot count the seeds of a multi-resolution level ({type(level).__name__})")


def encode_multires(W, levels, seed_format):
    """Multi-resolution restorations W_hat^(k), k = 0..levels-1, with the
    bits of levels 0..k: a list of (k, W_hat, stored bits).  NotAvailable
    when the transform has no encode_multires or its result cannot be read
    (a levels list of block seeds and ``.decode(k=)``)."""
    if not hasattr(tr, "encode_multires"):
        raise NotAvailable("poincare_q64.transform has no encode_multires")
    try:
        ms = tr.encode_multires(W, levels=levels, seed_format=seed_format)
        lv = getattr(ms, "levels", None)
        lv = list(lv if lv is not None else ms)
        out, bits = [], 0
        for k, level in enumerate(lv):
            bits += _count_seeds(level) * SEED_BITS[seed_format]
            out.append((k, np.asarray(ms.decode(k=k, dtype=np.float64), dtype=np.float64), bits))
        return out
    except NotAvailable:
        raise
    except Exception as e:   # an interface this audit does not know yet
        raise NotAvailable(f"encode_multires: {type(e).__name__}: {e}") from e
