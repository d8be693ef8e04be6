"""Exact and high-precision pieces of the correct-rounding campaign.

* The radial oracle: g is a ratio of integers (docs/spec.md, "g is always
  rational"), so the radial family is checked against an exact evaluation
  with Python ints, rounded exactly (ties to even) into every format: no
  error bound is involved.
* mpmath values (exact argument reduction, then mpmath at ``prec`` bits):
  the independent check of the quad oracle (tests, report), and the distance
  to the midpoint of the rare elements the quad oracle cannot decide.
* :func:`fallback`: the correctly rounded result of one such element.  A
  rational value is rounded exactly here; an irrational one is rounded by
  :mod:`poincare_q64.reference` (its own Ziv loop on interval enclosures,
  independent of the kernels under test).

Nothing here calls the compiled kernels.
"""
import math
import struct
from fractions import Fraction

import mpmath
import numpy as np
from mpmath import libmp

from poincare_q64 import registry, vectors as V

TWO62 = 1 << 62
TWO64 = 1 << 64
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
_FLOAT = {"float64": (53, -1022), "float32": (24, -126)}


# --------------------------------------------------------------------------
# Exact radial term
# --------------------------------------------------------------------------

def radial_ratio(R, log2_c, eps, d_r):
    """(num, den) with g = num/den exactly, den > 0.

    r~ = R 2^64 / D with D = 2^128 + E R; with A = D^2 and
    B = R^2 2^(128 + log2_c):  g = R D 2^65 / (A + B) and
    g' = (A - B) 2^257 / (A + B)^2  (docs/spec.md).
    """
    D = (1 << 128) + eps * R
    A = D * D
    B = (R * R) << (128 + log2_c)
    if d_r == 0:
        return (R * D) << 65, A + B
    S = A + B
    return (A - B) << 257, S * S


def round_ratio(num, den, fmt):
    """Round num/den (den > 0) exactly into ``fmt`` (a VectorFormat).

    Returns ``(result, dist, overflow)``: the integer X (int64, object
    formats) or the IEEE bits (float formats); the signed distance
    ``y - floor(y) - 1/2`` in ulps (y the scaled value, ``|v| / quantum`` for
    the floats), as a float, NaN for zero; and whether X does not fit int64
    (int64 formats only).
    """
    if num == 0:
        return 0, math.nan, False
    neg = num < 0
    a = -num if neg else num
    kind = fmt.kind
    if kind in ("int64", "object"):
        q, r = divmod(a << fmt.frac, den)
        twice = 2 * r
        up = twice > den or (twice == den and q & 1)
        X = q + up
        d = (twice - den) / (2 * den)      # int / int: correctly rounded
        if neg:
            X = -X
            if r:               # y - floor(y) = 1 - frac(|y|) for y < 0
                d = -d
        overflow = kind == "int64" and not INT64_MIN <= X <= INT64_MAX
        return X, d, overflow
    p, emin = _FLOAT[kind]
    e = a.bit_length() - den.bit_length()
    if (a << max(-e, 0)) < (den << max(e, 0)):
        e -= 1
    e = max(e, emin)
    s = p - 1 - e
    if s >= 0:
        q, r = divmod(a << s, den)
        dd = den
    else:
        dd = den << -s
        q, r = divmod(a, dd)
    twice = 2 * r
    up = twice > dd or (twice == dd and q & 1)
    m = q + up
    value = math.ldexp(m, e - (p - 1))    # exact: m <= 2^p, in range
    if neg:
        value = -value
    if kind == "float64":
        bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    else:
        bits = struct.unpack("<I", struct.pack("<f", value))[0]
    return bits, (twice - dd) / (2 * dd), False


def distance(value, fmt):
    """Signed distance of an exact Fraction (or an mpf) to the nearest
    midpoint of ``fmt``, in ulps, as in :func:`round_ratio`."""
    if isinstance(value, Fraction):
        if value == 0:
            return math.nan
        return round_ratio(value.numerator, value.denominator, fmt)[1]
    with mpmath.workprec(400):
        x = value
        if x == 0:
            return math.nan
        if fmt.kind in ("int64", "object"):
            y = mpmath.ldexp(x, fmt.frac)
        else:
            p, emin = _FLOAT[fmt.kind]
            e = max(int(mpmath.floor(mpmath.log(abs(x), 2))), emin)
            # the log may be off by one next to a power of two: fix it
            while abs(x) < mpmath.ldexp(1, e) and e > emin:
                e -= 1
            while abs(x) >= mpmath.ldexp(1, e + 1):
                e += 1
            y = mpmath.ldexp(abs(x), p - 1 - e)
        return float(y - mpmath.floor(y) - mpmath.mpf(0.5))


# --------------------------------------------------------------------------
# mpmath values
# --------------------------------------------------------------------------

def _mpf_fraction(x):
    sign, man, exp, _ = x
    v = Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)
    return -v if sign else v


def sin_turns(t, prec):
    """sin(2 pi t / 2^64) for a uint64 t, as an mpf of ``prec`` bits.

    The reduction is exact: sin(2 pi t/2^64) = sin(pi (2t/2^64)) and
    mpmath's ``mpf_sin_pi`` reduces its argument exactly, so the result has
    relative error of a few units of 2^-prec even when it is tiny.
    Exact zeros and +-1 come out exact.
    """
    t %= TWO64
    x = libmp.from_man_exp(t, -63)            # t / 2^63 exactly
    # make_mpf keeps all prec bits (mpmath.mpf() would round to mp.prec)
    return mpmath.mp.make_mpf(libmp.mpf_sin_pi(x, prec, libmp.round_nearest))


def angular_mp(T, rot, d_theta, prec=320):
    return sin_turns(T + (rot << 60) + (d_theta << 62), prec)


def phi_mp(H, prec=320):
    with mpmath.workprec(prec):
        return 1 + sin_turns(H << 32, prec) / 10


def angular_exact(T, rot, d_theta):
    """The exact Fraction when s is rational (T' a multiple of 2^62)."""
    t = (T + (rot << 60) + (d_theta << 62)) % TWO64
    if t % TWO62:
        return None
    return Fraction((0, 1, 0, -1)[t >> 62])


def phi_exact(H):
    if H % (1 << 30):
        return None
    return 1 + Fraction((0, 1, 0, -1)[H >> 30], 10)


def rbe_exact(R, T, H, log2_c, eps, d_r, rot, d_theta):
    """The exact Fraction of f when it is rational, else None."""
    num, den = radial_ratio(R, log2_c, eps, d_r)
    s = angular_exact(T, rot, d_theta)
    if num == 0 or s == 0:
        return Fraction(0)
    phi = phi_exact(H)
    if s is None or phi is None:
        return None
    return Fraction(num, den) * s * phi


def rbe_mp(R, T, H, log2_c, eps, d_r, rot, d_theta, prec=320):
    num, den = radial_ratio(R, log2_c, eps, d_r)
    with mpmath.workprec(prec + 20):
        g = mpmath.mpf(num) / den
        return g * angular_mp(T, rot, d_theta, prec) * phi_mp(H, prec)


def spatial_hash(i, j):
    """H(i, j) via the oracle's C hash (validated against mmh3)."""
    from poincare_q64.validation import oracle
    return int(oracle.spatial_hash([i], [j])[0])


def value(function, inputs, prec=320):
    """The exact value (a Fraction) if rational, else an mpf of ``prec`` bits.

    ``inputs`` is a tuple in vectors.INPUTS order.
    """
    if function == "radial":
        num, den = radial_ratio(*inputs)
        return Fraction(num, den)
    if function == "angular":
        ex = angular_exact(*inputs)
        return ex if ex is not None else angular_mp(*inputs, prec=prec)
    if function == "modulation":
        H = spatial_hash(*inputs)
        ex = phi_exact(H)
        return ex if ex is not None else phi_mp(H, prec)
    if function == "rbe":
        R, T, i, j, log2_c, eps, d_r, rot, d_theta = inputs
        H = spatial_hash(i, j)
        args = (R, T, H, log2_c, eps, d_r, rot, d_theta)
        ex = rbe_exact(*args)
        return ex if ex is not None else rbe_mp(*args, prec=prec)
    raise ValueError(f"no value for {function!r}")


# --------------------------------------------------------------------------
# Fallback for the elements the quad oracle leaves open
# --------------------------------------------------------------------------

def _bits(x, kind):
    return V.float_bits(float(x), kind)


def fallback(function, inputs, fmt):
    """``(result, dist)`` of one element, ``result`` as in round_ratio (or
    vectors.OVERFLOW for an int64 result that does not fit)."""
    v = value(function, inputs)
    dist = distance(v, fmt)
    if isinstance(v, Fraction):
        if v == 0:
            return 0, dist
        res, _, overflow = round_ratio(v.numerator, v.denominator, fmt)
        return (V.OVERFLOW if overflow else res), dist
    from poincare_q64 import reference
    fn = registry.function(function)
    pos = inputs[:fn.positional]
    kw = dict(zip(fn.keyword_inputs, inputs[fn.positional:]))
    try:
        res = getattr(reference, fn.name)(*pos, **kw, dtype=np.dtype(fmt.kind),
                                          frac=fmt.frac)
    except OverflowError:
        return V.OVERFLOW, dist
    if fmt.kind in ("float64", "float32"):
        return _bits(res, fmt.kind), dist
    return int(res), dist
