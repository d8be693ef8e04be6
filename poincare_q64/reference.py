"""Independent arbitrary-precision reference for poincare_q64.

This module is the numerical contract in executable form.  It evaluates every
public function of :mod:`poincare_q64` for *scalar* arguments, slowly and
simply, so that the fast C kernels can be checked against something that
shares none of their code or ideas.

Why it is independent
---------------------
It imports nothing from ``poincare_q64``: only the standard library
(``fractions``, ``struct``), :mod:`mpmath` and :mod:`numpy` (numpy is used only
to recognise ``dtype`` arguments and numpy integer scalars, and to return
``numpy.float32``).  The C path works in 128-bit fixed point with tables and
hand-derived error bounds; this module works with exact rationals
(:class:`fractions.Fraction`) and with interval arithmetic, and never reuses a
table, a constant or an error bound from the C path.  Its MurmurHash3 is its
own few lines of Python, checked in the tests against the ``mmh3`` package and
published vectors.

Method
------
Every output is the exact real value rounded once: to the integer nearest to
``value * 2**frac`` (ties to even) or to the nearest float64/float32 (ties to
even).  Both roundings are monotone (non-decreasing) functions of the value.

* ``radial`` is rational: it is computed exactly as a Fraction from the
  formula and rounded exactly (:func:`round_fraction`,
  :func:`fraction_to_float`), so ties go to even.
* ``angular``, ``modulation`` and ``rbe`` are rational only in cases that are
  detected up front from the integers: quarter turns (``T' mod 2**62 == 0``:
  ``s`` in {0, 1, -1}), ``H mod 2**30 == 0`` (``phi`` in {1, 11/10, 9/10}) and
  a zero factor.  Those are finished with Fractions.  In every other case the
  value is irrational (docs/spec.md proves it for the product), so it is never
  a rounding midpoint.  For those we compute a rigorous enclosure
  ``lo <= value <= hi`` at working precision ``p`` bits, convert both
  endpoints exactly to Fractions and round both.  If they round to the same
  result, that result is the correctly rounded value, because rounding is
  monotone.  Otherwise ``p`` is doubled (Ziv's strategy) from 200 bits up to
  a cap of 20000 bits, where :class:`ArithmeticError` is raised.  Since the
  value is irrational and the enclosure width shrinks like ``2**-p``, the loop
  ends; the cap only guards against a bug.
* ``rbe_pipeline`` re-implements the source's fixed-point model from this
  module's own frac-64 results of radial, angular and modulation.

How the enclosures are made rigorous
------------------------------------
We use mpmath's interval context only for the four basic operations on
intervals: each of ``+ - * /`` rounds its lower endpoint down and its upper
endpoint up (``mpf_add``/``mpf_mul``/``mpf_div`` with ``round_floor`` and
``round_ceiling`` on exact integer mantissas), which is a plain, checkable
property.  Integer operands are converted with outward rounding too.

We deliberately do **not** use ``iv.sin`` or ``iv.pi``.  In mpmath 1.3,
``iv.sin`` (``libmpi.mpi_cos_sin``) evaluates a *point* sine at ``prec + 20``
bits and widens it by a fixed relative ``2**(10 - (prec + 20))``; the enclosure
is right only if the point evaluation is that accurate, which mpmath does not
prove.  ``iv.pi`` likewise rounds a fixed-point approximation computed with
20 guard bits.  Both are very likely fine, but "very likely" is what this
module exists to avoid.  Instead:

* pi comes from Machin's formula ``pi = 16 atan(1/5) - 4 atan(1/239)``, each
  arctangent an alternating series with decreasing terms, summed in interval
  arithmetic, plus the interval ``[-t, t]`` for the first omitted term ``t``,
  which bounds the tail (Leibniz's alternating series estimate).
* sin is reduced exactly in turns (the top two bits of ``T'`` are the
  quadrant), leaving ``sin(x)`` with ``x = pi * v / 2**63`` in ``(0, pi/2)``;
  its Taylor series alternates with decreasing terms there (``x**2 < 6``), so
  the same tail bound applies.

mpmath's interval context has no ``workprec``; this module uses its own
private :class:`mpmath.ctx_iv.MPIntervalContext` instance and sets its
precision inside a ``with`` block (restored on exit), so the global
``mpmath.iv`` context is never touched.

Output formats
--------------
``dtype`` is ``numpy.int64`` (default), ``object``, ``numpy.float64`` or
``numpy.float32`` (or their string/``numpy.dtype`` forms).  Integer formats
return Python ints (``numpy.int64`` additionally raises :class:`OverflowError`
if the integer does not fit int64); float64 returns a Python float and
float32 a ``numpy.float32``.  ``frac=None`` means 62 for integer formats and
must stay ``None`` for float formats.

Examples
--------
>>> radial(2**63, frac=0, dtype=object)      # g(1/2) = 4/5 rounds to 1
1
>>> radial_exact(2**63)
Fraction(4, 5)
>>> angular(2**62, dtype=np.float64)         # a quarter turn: sin = 1
1.0
"""
import struct
from contextlib import contextmanager
from fractions import Fraction
from typing import NamedTuple

import numpy as np
from mpmath.ctx_iv import MPIntervalContext

__all__ = [
    "radial", "angular", "spatial_hash", "modulation", "rbe", "rbe_pipeline",
    "rbe_seed64", "pack_seed64", "unpack_seed64", "Seed64Fields",
    "to_q64", "turns", "radial_exact", "round_fraction", "fraction_to_float",
    "murmurhash3_x86_32", "decode_matrix", "decode_seed64",
]

TWO64 = 1 << 64
TWO62 = 1 << 62

# Ziv loop: starting precision and cap (bits).  Tests may lower them to force
# the loop through several precisions or into its error.
START_PREC = 200
MAX_PREC = 20000

# A private interval context: changing its precision never affects mpmath.iv.
_IV = MPIntervalContext()


@contextmanager
def _ivprec(prec):
    """Set the private interval context's precision inside a with block."""
    saved = _IV.prec
    _IV.prec = prec
    try:
        yield _IV
    finally:
        _IV.prec = saved


# --------------------------------------------------------------------------
# Argument checking (scalars only)
# --------------------------------------------------------------------------

def _int_arg(name, value, lo, hi):
    """Return value as a Python int, checking lo <= value < hi."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got a bool ({value!r})")
    if isinstance(value, (float, np.floating)):
        raise TypeError(
            f"{name} must be an integer, got a float ({value!r}); use "
            "to_q64() for radii and turns() for angles")
    if not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if not lo <= value < hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}), got {value}")
    return value


_INT_KINDS = ("int64", "object")


def _format(dtype, frac):
    """Validate (dtype, frac) and return (kind, frac) with frac resolved."""
    if dtype is None:
        raise TypeError("dtype must be int64, object, float64 or float32")
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"dtype must be int64, object, float64 or float32, got {dtype!r}"
        ) from None
    kind = {np.dtype(np.int64): "int64", np.dtype(object): "object",
            np.dtype(np.float64): "float64",
            np.dtype(np.float32): "float32"}.get(dt)
    if kind is None:
        raise TypeError(
            f"dtype must be int64, object, float64 or float32, got {dtype!r}")
    if kind in _INT_KINDS:
        if frac is None:
            return kind, 62
        return kind, _int_arg("frac", frac, 0, 65)
    if frac is not None:
        raise ValueError("frac applies only to integer dtypes")
    return kind, None


def _round_to(kind, frac, q):
    """Round the Fraction q to the output format (no range check)."""
    if kind in _INT_KINDS:
        return round_fraction(q, frac)
    return fraction_to_float(q, kind)


def _finish(func, kind, frac, result):
    """Apply the int64 range check to a rounded result."""
    if kind == "int64" and not -(1 << 63) <= result < (1 << 63):
        raise OverflowError(
            f"{func}: result {result} does not fit int64 with frac={frac}; "
            "use a smaller frac or dtype=object")
    return result


def _ziv(func, kind, frac, enclosure):
    """Correctly round a value given enclosure(prec) -> (lo, hi) Fractions.

    Rounding is monotone, so if lo and hi round alike, so does every value
    between them.  Degenerate enclosures (exact cases) decide at once.
    """
    prec = START_PREC
    while True:
        lo, hi = enclosure(prec)
        assert lo <= hi
        a = _round_to(kind, frac, lo)
        if a == _round_to(kind, frac, hi):
            return _finish(func, kind, frac, a)
        if prec >= MAX_PREC:
            raise ArithmeticError(
                f"{func}: could not decide the rounding at {prec} bits")
        prec = min(2 * prec, MAX_PREC)


# --------------------------------------------------------------------------
# Exact rounding helpers
# --------------------------------------------------------------------------

def _round_ratio(n, d):
    """Integer nearest to n/d (d > 0), ties to even."""
    fl, rem = divmod(n, d)  # floor division: 0 <= rem < d
    twice = 2 * rem
    if twice > d or (twice == d and fl % 2 == 1):
        fl += 1
    return fl


def round_fraction(q, frac):
    """Integer nearest to ``q * 2**frac``, ties to even.

    Parameters
    ----------
    q : Fraction or int
        Exact value.
    frac : int
        Number of fraction bits, >= 0.

    Returns
    -------
    int

    Examples
    --------
    >>> round_fraction(Fraction(1, 2), 0), round_fraction(Fraction(3, 2), 0)
    (0, 2)
    >>> round_fraction(Fraction(-5, 8), 2)
    -2
    """
    q = Fraction(q)
    if frac < 0:
        raise ValueError(f"frac must be >= 0, got {frac}")
    return _round_ratio(q.numerator << frac, q.denominator)


# (precision p including the hidden bit, minimum normal exponent, exponent
#  bias, total bits, struct code)
_FLOAT_FORMATS = {
    "float64": (53, -1022, 1023, 64, "<Q", "<d"),
    "float32": (24, -126, 127, 32, "<I", "<f"),
}


def fraction_to_float(q, fmt):
    """Correctly rounded float64/float32 of an exact rational.

    Uses integer arithmetic only (no float operations): the value is scaled to
    an integer mantissa at the quantum of its binade (or of the subnormal
    range), rounded to nearest with ties to even, and the IEEE bit pattern is
    assembled directly.  Values beyond the largest finite float round to
    infinity as IEEE round-to-nearest prescribes; zero gives +0.0.

    Parameters
    ----------
    q : Fraction or int
        Exact value.
    fmt : str or dtype
        ``"float64"`` or ``"float32"`` (or numpy.float64/numpy.float32).

    Returns
    -------
    float or numpy.float32

    Examples
    --------
    >>> fraction_to_float(Fraction(1, 3), "float64") == 1 / 3
    True
    >>> fraction_to_float(Fraction(-1, 2**1075), "float64")  # tie -> even 0
    -0.0
    >>> int(fraction_to_float(Fraction(2**24 + 1), "float32"))  # tie -> even
    16777216
    """
    name = np.dtype(fmt).name
    if name not in _FLOAT_FORMATS:
        raise TypeError(f"fmt must be float64 or float32, got {fmt!r}")
    p, emin, bias, width, icode, fcode = _FLOAT_FORMATS[name]
    q = Fraction(q)
    sign = 1 if q < 0 else 0
    n, d = abs(q.numerator), q.denominator
    if n == 0:
        bits = 0
    else:
        # e = floor(log2(n/d)): bit lengths give it up to one.
        e = n.bit_length() - d.bit_length()
        if (n << max(-e, 0)) < (d << max(e, 0)):
            e -= 1
        # Quantum (ulp) exponent: p-1 bits below the leading bit, but never
        # below the subnormal quantum.
        qe = max(e, emin) - (p - 1)
        if qe >= 0:
            m = _round_ratio(n, d << qe)
        else:
            m = _round_ratio(n << -qe, d)
        if m == 1 << p:  # rounding carried into the next binade
            m >>= 1
            qe += 1
        if m < 1 << (p - 1):  # subnormal (or zero): biased exponent 0
            biased, field = 0, m
        else:
            biased, field = qe + (p - 1) + bias, m - (1 << (p - 1))
            if biased >= 2 * bias + 1:  # overflow: infinity
                biased, field = 2 * bias + 1, 0
        bits = (biased << (p - 1)) | field
    bits |= sign << (width - 1)
    value = struct.unpack(fcode, struct.pack(icode, bits))[0]
    return np.float32(value) if name == "float32" else value


# --------------------------------------------------------------------------
# Rigorous enclosures of pi and sin (interval arithmetic)
# --------------------------------------------------------------------------

def _endpoints(x):
    """Exact Fractions of an interval's endpoints."""
    out = []
    for sign, man, exp, bc in x._mpi_:
        if man == 0 and exp != 0:  # inf or nan: enclosure lost
            raise ArithmeticError("interval arithmetic lost the enclosure")
        # int(): mpmath's mantissas are gmpy2 mpz when gmpy2 is installed;
        # every result must be a Python int all the same
        man, exp = int(man), int(exp)
        v = Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)
        out.append(-v if sign else v)
    return out[0], out[1]


def _alternating_sum(ctx, first, ratio, tol):
    """Sum t_0 - t_1 + t_2 - ... with t_(k+1) = t_k * ratio(k), in intervals.

    The terms must be positive and decreasing (the callers' series are), so
    the tail after the last summed term lies within [-t, t] for the first
    omitted term t.  Stops once the term's upper bound is below tol.
    """
    total = ctx.mpf(0)
    term = first
    k = 0
    while True:
        # An interval comparison: True only if certainly below (None if the
        # intervals overlap), so an undecided comparison just sums on.
        if term.b < tol:
            return total + ctx.mpf((-term.b, term.b))
        total = total + term if k % 2 == 0 else total - term
        term = term * ratio(k)
        k += 1


_PI_CACHE = {}


def _guard(prec):
    """Guard bits for a series of about prec terms (outward roundings)."""
    return 4 + prec.bit_length()


def _pi(ctx):
    """Interval containing pi at the context's precision (Machin's formula)."""
    prec = ctx.prec
    if prec not in _PI_CACHE:
        # Each of the ~prec/3 terms widens the sum by about an ulp: guard
        # bits keep the final width near 2^-prec.
        with _ivprec(prec + _guard(prec)):
            tol = ctx.mpf(2) ** (-prec - 8)

            def atan_inv(n):
                # atan(1/n) = sum (-1)^k / ((2k+1) n^(2k+1)): terms decrease.
                x = ctx.mpf(1) / n
                x2 = x * x
                return _alternating_sum(
                    ctx, x, lambda k: x2 * (2 * k + 1) / (2 * k + 3), tol)

            _PI_CACHE[prec] = 16 * atan_inv(5) - 4 * atan_inv(239)
    return _PI_CACHE[prec]


def _sin_turns(t, prec):
    """Enclosure (lo, hi) of sin(2 pi t / 2^64) for an integer t in [0, 2^64).

    Exact at quarter turns; otherwise an interval at about prec bits.
    """
    quadrant, u = t >> 62, t & (TWO62 - 1)
    if u == 0:  # quarter turn: rational (Niven), exact
        s = (0, 1, 0, -1)[quadrant]
        return Fraction(s), Fraction(s)
    # sin(q pi/2 + y) is sin y, cos y, -sin y, -cos y; cos y = sin(pi/2 - y).
    v = u if quadrant % 2 == 0 else TWO62 - u
    with _ivprec(prec + _guard(prec)) as ctx:
        x = _pi(ctx) * v / 2**63  # x in (0, pi/2): x**2 < 6, terms decrease
        x2 = x * x
        tol = x.a * ctx.mpf(2) ** (-prec - 4)  # relative, as sin x > x/2
        s = _alternating_sum(
            ctx, x, lambda k: x2 / ((2 * k + 2) * (2 * k + 3)), tol)
        lo, hi = _endpoints(s)
    if quadrant >= 2:
        lo, hi = -hi, -lo
    return lo, hi


def _mul_intervals(a, b):
    """Exact product of two Fraction intervals."""
    products = [x * y for x in a for y in b]
    return min(products), max(products)


# --------------------------------------------------------------------------
# The functions
# --------------------------------------------------------------------------

def radial_exact(R, *, log2_c=0, eps=0, d_r=0):
    """Exact radial value g (or its derivative g') as a Fraction.

    With r = R/2^64, epsilon = eps/2^64, r~ = r/(1 + epsilon r), c = 2^log2_c:
    g = 2 r~ / (1 + c r~^2); for d_r = 1 the derivative d/dr of g(r~(r)),
    g' = 2 (1 - c r~^2) / ((1 + c r~^2)^2 (1 + epsilon r)^2).

    Parameters
    ----------
    R, eps : int
        Q0.64 radius and regularisation, in [0, 2^64).
    log2_c : int
        Curvature exponent in [-4, 3].
    d_r : int
        Radial derivative order, 0 or 1.

    Returns
    -------
    Fraction

    Raises
    ------
    TypeError, ValueError
        For non-integer or out-of-range arguments.

    Examples
    --------
    >>> radial_exact(2**63, log2_c=2)
    Fraction(1, 2)
    >>> radial_exact(2**63, log2_c=2, d_r=1)
    Fraction(0, 1)
    """
    R = _int_arg("R", R, 0, TWO64)
    eps = _int_arg("eps", eps, 0, TWO64)
    log2_c = _int_arg("log2_c", log2_c, -4, 4)
    d_r = _int_arg("d_r", d_r, 0, 2)
    r = Fraction(R, TWO64)
    epsilon = Fraction(eps, TWO64)
    c = Fraction(2) ** log2_c
    rt = r / (1 + epsilon * r)
    den = 1 + c * rt * rt
    if d_r == 0:
        return 2 * rt / den
    # d/dr [2 rt/(1 + c rt^2)] = 2 (1 - c rt^2)/(1 + c rt^2)^2 * d rt/dr,
    # d rt/dr = 1/(1 + epsilon r)^2.
    return 2 * (1 - c * rt * rt) / (den * den * (1 + epsilon * r) ** 2)


def radial(R, *, log2_c=0, eps=0, d_r=0, frac=None, dtype=np.int64):
    """Radial term g (or g' for d_r=1), exact and rounded once.

    Parameters
    ----------
    R, log2_c, eps, d_r : int
        See :func:`radial_exact`.
    frac : int or None
        Fraction bits for integer dtypes (default 62); None for float dtypes.
    dtype : dtype
        int64 (default), object, float64 or float32.

    Returns
    -------
    int, float or numpy.float32

    Raises
    ------
    TypeError, ValueError
        Bad arguments.
    OverflowError
        dtype int64 and the result does not fit.

    Examples
    --------
    >>> radial(2**63, log2_c=2, frac=0)   # g = 1/2 exactly: a tie, to even
    0
    >>> radial(2**63, dtype=np.float64)
    0.8
    """
    kind, frac = _format(dtype, frac)
    g = radial_exact(R, log2_c=log2_c, eps=eps, d_r=d_r)
    return _finish("radial", kind, frac, _round_to(kind, frac, g))


def _angle(T, rot, d_theta):
    """Validated reduced angle T' = T + rot 2^60 + d_theta 2^62 mod 2^64."""
    T = _int_arg("T", T, 0, TWO64)
    rot = _int_arg("rot", rot, 0, 16)
    d_theta = _int_arg("d_theta", d_theta, 0, 4)
    return (T + (rot << 60) + (d_theta << 62)) % TWO64


def angular(T, *, rot=0, d_theta=0, frac=None, dtype=np.int64):
    """Angular term s = sin(2 pi T'/2^64), T' = T + rot 2^60 + d_theta 2^62.

    Parameters
    ----------
    T : int
        Q0.64 angle in turns, in [0, 2^64).
    rot : int
        Rotation in sixteenths of a turn, [0, 15].
    d_theta : int
        Angular derivative order [0, 3] (adds a quarter turn each).
    frac, dtype
        Output format, see :func:`radial`.

    Returns
    -------
    int, float or numpy.float32

    Raises
    ------
    TypeError, ValueError, OverflowError
        As for :func:`radial`; ArithmeticError if the Ziv loop hits its cap.

    Examples
    --------
    >>> angular(2**62, frac=0)                  # sin(pi/2)
    1
    >>> angular(0, d_theta=3, dtype=np.float32)  # -cos(0)
    np.float32(-1.0)
    """
    kind, frac = _format(dtype, frac)
    t = _angle(T, rot, d_theta)
    return _ziv("angular", kind, frac, lambda prec: _sin_turns(t, prec))


def _rotl32(x, n):
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def murmurhash3_x86_32(data, seed=0):
    """MurmurHash3_x86_32 (Austin Appleby) of a byte string, as unsigned.

    Parameters
    ----------
    data : bytes
    seed : int
        32-bit seed.

    Returns
    -------
    int
        In [0, 2^32).

    Examples
    --------
    >>> hex(murmurhash3_x86_32(b"", 1))
    '0x514e28b7'
    """
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & 0xFFFFFFFF
    nblocks = len(data) // 4
    for b in range(nblocks):
        k = int.from_bytes(data[4 * b:4 * b + 4], "little")
        k = _rotl32((k * c1) & 0xFFFFFFFF, 15) * c2 & 0xFFFFFFFF
        h = _rotl32(h ^ k, 13)
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    tail = data[4 * nblocks:]
    if tail:
        k = int.from_bytes(tail, "little")
        k = _rotl32((k * c1) & 0xFFFFFFFF, 15) * c2 & 0xFFFFFFFF
        h ^= k
    h ^= len(data) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def spatial_hash(i, j):
    """H(i, j) = MurmurHash3_x86_32(LE32(i) || LE32(j), seed 0), unsigned.

    Parameters
    ----------
    i, j : int
        Indices in [0, 2^32).

    Returns
    -------
    int
        In [0, 2^32).

    Raises
    ------
    TypeError, ValueError
        Non-integer or out-of-range indices.

    Examples
    --------
    >>> spatial_hash(0, 0) == murmurhash3_x86_32(bytes(8))
    True
    """
    i = _int_arg("i", i, 0, 1 << 32)
    j = _int_arg("j", j, 0, 1 << 32)
    return murmurhash3_x86_32(
        i.to_bytes(4, "little") + j.to_bytes(4, "little"), 0)


def _phi(H, prec):
    """Enclosure of phi = 1 + sin(2 pi H/2^32)/10; exact if H mod 2^30 == 0."""
    lo, hi = _sin_turns(H << 32, prec)
    return 1 + lo / 10, 1 + hi / 10


def modulation(i, j, *, frac=None, dtype=np.int64):
    """Spatial modulation phi = 1 + sin(2 pi H(i, j)/2^32)/10.

    Parameters
    ----------
    i, j : int
        Indices in [0, 2^32).
    frac, dtype
        Output format, see :func:`radial`.

    Returns
    -------
    int, float or numpy.float32

    Raises
    ------
    TypeError, ValueError, OverflowError, ArithmeticError
        As for :func:`angular`.

    Examples
    --------
    >>> 0.9 <= modulation(0, 0, dtype=np.float64) <= 1.1
    True
    """
    kind, frac = _format(dtype, frac)
    H = spatial_hash(i, j)
    return _ziv("modulation", kind, frac, lambda prec: _phi(H, prec))


def rbe(R, T, i, j, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0, frac=None,
        dtype=np.int64):
    """RBE value f = g * s * phi, rounded once from the exact product.

    Parameters
    ----------
    R, log2_c, eps, d_r
        Radial arguments, see :func:`radial_exact`.
    T, rot, d_theta
        Angular arguments, see :func:`angular`.
    i, j
        Indices, see :func:`spatial_hash`.
    frac, dtype
        Output format, see :func:`radial`.

    Returns
    -------
    int, float or numpy.float32

    Raises
    ------
    TypeError, ValueError, OverflowError, ArithmeticError
        As for :func:`angular`.

    Examples
    --------
    >>> rbe(2**63, 0, 5, 7, dtype=np.float64)    # s = sin(0) = 0 exactly
    0.0
    >>> rbe(2**63, 2**62, 5, 7, frac=0)           # 4/5 * 1 * phi, phi >= 0.9
    1
    """
    kind, frac = _format(dtype, frac)
    g = radial_exact(R, log2_c=log2_c, eps=eps, d_r=d_r)
    t = _angle(T, rot, d_theta)
    H = spatial_hash(i, j)

    def enclosure(prec):
        gs = _mul_intervals((g, g), _sin_turns(t, prec))
        if gs == (0, 0):  # a zero factor: f = 0 exactly
            return gs
        return _mul_intervals(gs, _phi(H, prec))

    return _ziv("rbe", kind, frac, enclosure)


def rbe_pipeline(R, T, i, j, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0,
                 frac=None, dtype=np.int64):
    """The source's fixed-point model of rbe: every step rounded to Q64.

    g64, s64, phi64 are radial, angular, modulation at frac 64 (exact
    integers, ties to even); P1 = round(g64 s64 / 2^64),
    P2 = round(P1 phi64 / 2^64); the result is P2 / 2^64 rounded to the
    output format.

    Parameters
    ----------
    Same as :func:`rbe`.

    Returns
    -------
    int, float or numpy.float32

    Raises
    ------
    TypeError, ValueError, OverflowError, ArithmeticError
        As for :func:`rbe`.

    Examples
    --------
    >>> abs(rbe_pipeline(3 << 61, 5 << 59, 1, 2, frac=64, dtype=object)
    ...     - rbe(3 << 61, 5 << 59, 1, 2, frac=64, dtype=object)) <= 4
    True
    """
    kind, frac = _format(dtype, frac)
    g64 = round_fraction(
        radial_exact(R, log2_c=log2_c, eps=eps, d_r=d_r), 64)
    s64 = angular(T, rot=rot, d_theta=d_theta, frac=64, dtype=object)
    phi64 = modulation(i, j, frac=64, dtype=object)
    p1 = _round_ratio(g64 * s64, TWO64)
    p2 = _round_ratio(p1 * phi64, TWO64)
    return _finish("rbe_pipeline", kind, frac,
                   _round_to(kind, frac, Fraction(p2, TWO64)))


class Seed64Fields(NamedTuple):
    """Fields of a 64-bit seed word, most significant first."""
    r: int
    theta: int
    basis: int
    d_theta: int
    d_r: int
    rot: int
    log2_c: int
    reserved: int


# (name, width, lowest value): layout from the most significant bit down.
_SEED_LAYOUT = (("r", 20, 0), ("theta", 24, 0), ("basis", 4, 0),
                ("d_theta", 2, 0), ("d_r", 1, 0), ("rot", 4, 0),
                ("log2_c", 3, -4), ("reserved", 6, 0))


def pack_seed64(r, theta, basis=0, d_theta=0, d_r=0, rot=0, log2_c=0,
                reserved=0):
    """Pack seed fields into a 64-bit word.

    Layout, most significant first: r:20 | theta:24 | basis:4 | d_theta:2 |
    d_r:1 | rot:4 | log2_c:3 (two's complement, -4..3) | reserved:6.

    Parameters
    ----------
    r, theta, basis, d_theta, d_r, rot, log2_c, reserved : int
        Field values, each within its field's range.

    Returns
    -------
    int
        The word, in [0, 2^64).

    Raises
    ------
    TypeError, ValueError
        Non-integer or out-of-range field.

    Examples
    --------
    >>> hex(pack_seed64(0x7FFFF, 0x800000, 10, 3, 1, 13, -3, 42))
    '0x7ffff800000afb6a'
    """
    values = (r, theta, basis, d_theta, d_r, rot, log2_c, reserved)
    word = 0
    for (name, width, low), value in zip(_SEED_LAYOUT, values):
        value = _int_arg(name, value, low, low + (1 << width))
        word = (word << width) | (value & ((1 << width) - 1))
    return word


def unpack_seed64(word):
    """Unpack a 64-bit seed word into its fields (log2_c signed).

    Parameters
    ----------
    word : int
        In [0, 2^64).

    Returns
    -------
    Seed64Fields

    Raises
    ------
    TypeError, ValueError
        Non-integer or out-of-range word.

    Examples
    --------
    >>> unpack_seed64(0x7FFFF800000AFB6A)
    Seed64Fields(r=524287, theta=8388608, basis=10, d_theta=3, d_r=1, rot=13, log2_c=-3, reserved=42)
    """
    word = _int_arg("word", word, 0, TWO64)
    fields = []
    shift = 64
    for name, width, low in _SEED_LAYOUT:
        shift -= width
        value = (word >> shift) & ((1 << width) - 1)
        if low < 0 and value >= 1 << (width - 1):  # two's complement
            value -= 1 << width
        fields.append(value)
    return Seed64Fields(*fields)


def rbe_seed64(word, i, j, *, eps=0, frac=None, dtype=np.int64):
    """rbe of a seed word: R = r << 44, T = theta << 40, the rest as packed.

    Parameters
    ----------
    word : int
        Seed word in [0, 2^64); its basis field must be 0.
    i, j : int
        Indices in [0, 2^32).
    eps : int
        Regularisation, [0, 2^64).
    frac, dtype
        Output format, see :func:`radial`.

    Returns
    -------
    int, float or numpy.float32

    Raises
    ------
    ValueError
        basis != 0 (only sin is defined), or arguments out of range.
    TypeError, OverflowError, ArithmeticError
        As for :func:`rbe`.

    Examples
    --------
    >>> w = pack_seed64(1 << 19, 1 << 22)   # r = 1/2, theta = quarter turn
    >>> rbe_seed64(w, 5, 7, dtype=object) == rbe(1 << 63, 1 << 62, 5, 7,
    ...                                          dtype=object)
    True
    """
    f = unpack_seed64(word)
    if f.basis != 0:
        raise ValueError(
            f"word: basis field must be 0 (only sin is defined), got "
            f"{f.basis}")
    return rbe(f.r << 44, f.theta << 40, i, j, log2_c=f.log2_c, eps=eps,
               d_r=f.d_r, rot=f.rot, d_theta=f.d_theta, frac=frac,
               dtype=dtype)


def _matrix(func, m, n, dtype, element):
    for name, v in (("m", m), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{func}: {name} must be an int")
        if not 1 <= int(v) < 1 << 32:
            raise ValueError(f"{func}: {name} must be in [1, 2**32)")
    values = [element(i, j) for i in range(int(m)) for j in range(int(n))]
    return np.array(values, dtype=np.dtype(dtype)).reshape(int(m), int(n))


def decode_matrix(R, T, m, n, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0,
                  frac=None, dtype=np.int64):
    """The m x n matrix of a seed: :func:`rbe` at every (i, j) of the grid.

    A plain loop over this module's own :func:`rbe` (slow: for small
    matrices).

    Parameters
    ----------
    R, T, log2_c, eps, d_r, rot, d_theta
        The seed, see :func:`rbe`.
    m, n : int
        Rows and columns, [1, 2^32).
    frac, dtype
        Output format, see :func:`radial`.

    Returns
    -------
    numpy.ndarray
        Shape (m, n) of dtype (Python ints for object).

    Raises
    ------
    TypeError, ValueError, OverflowError, ArithmeticError
        As for :func:`rbe`, and for m, n not ints in [1, 2^32).

    Examples
    --------
    >>> decode_matrix(1 << 63, 0, 2, 2).tolist()      # sin 0 = 0
    [[0, 0], [0, 0]]
    """
    return _matrix("decode_matrix", m, n, dtype, lambda i, j: rbe(
        R, T, i, j, log2_c=log2_c, eps=eps, d_r=d_r, rot=rot, d_theta=d_theta,
        frac=frac, dtype=dtype))


def decode_seed64(word, m, n, *, eps=0, frac=None, dtype=np.int64):
    """The m x n matrix of a seed word: :func:`rbe_seed64` on the grid.

    Parameters
    ----------
    word, eps
        The seed, see :func:`rbe_seed64`.
    m, n : int
        Rows and columns, [1, 2^32).
    frac, dtype
        Output format, see :func:`radial`.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError, TypeError, OverflowError, ArithmeticError
        As for :func:`rbe_seed64`.

    Examples
    --------
    >>> w = pack_seed64(1 << 19, 1 << 22)
    >>> bool((decode_seed64(w, 2, 2) == decode_matrix(1 << 63, 1 << 62, 2, 2)).all())
    True
    """
    return _matrix("decode_seed64", m, n, dtype, lambda i, j: rbe_seed64(
        word, i, j, eps=eps, frac=frac, dtype=dtype))


def _exact_number(name, x):
    """A float/Fraction/int argument as an exact Fraction (finite only)."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got a bool")
    if isinstance(x, (float, np.floating)):
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"{name} must be finite, got {x!r}")
        return Fraction(float(x))
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if isinstance(x, Fraction):
        return x
    raise TypeError(
        f"{name} must be a float, Fraction or int, got {type(x).__name__}")


def to_q64(x):
    """Nearest Q0.64 integer to x in [0, 1): round-half-even(x * 2^64).

    Parameters
    ----------
    x : float, Fraction or int

    Returns
    -------
    int
        In [0, 2^64).

    Raises
    ------
    ValueError
        x outside [0, 1), not finite, or rounding to 2^64.
    TypeError
        Not a real number.

    Examples
    --------
    >>> to_q64(0.5) == 2**63
    True
    """
    q = _exact_number("x", x)
    if not 0 <= q < 1:
        raise ValueError(f"x must be in [0, 1), got {x!r}")
    R = round_fraction(q, 64)
    if R == TWO64:
        raise ValueError(f"x rounds to 2^64 (1.0) in Q0.64, got {x!r}")
    return R


def turns(theta):
    """Radians to turns: round-half-even(frac(theta/(2 pi)) 2^64) mod 2^64.

    Correctly rounded: theta/(2 pi) is irrational unless theta == 0, so the
    Ziv loop on a rigorous enclosure of pi ends.

    Parameters
    ----------
    theta : float, Fraction or int

    Returns
    -------
    int
        In [0, 2^64).

    Raises
    ------
    ValueError
        theta not finite.
    TypeError
        Not a real number.
    ArithmeticError
        The Ziv loop hit its cap (theta astronomically large).

    Examples
    --------
    >>> turns(0.0), turns(-0.0)
    (0, 0)
    >>> turns(3.141592653589793) == 2**63 - 360   # float pi is below pi
    True
    """
    q = _exact_number("theta", theta)

    def enclosure(prec):
        # z = theta 2^64 / (2 pi); rounding z and then reducing mod 2^64 is
        # rounding frac(theta/(2 pi)) 2^64, since they differ by a multiple
        # of 2^64 (even, so ties to even agree).
        if q == 0:
            return Fraction(0), Fraction(0)
        with _ivprec(prec + _guard(prec)) as ctx:
            pi_lo, pi_hi = _endpoints(_pi(ctx))
        a, b = q * 2**63 / pi_hi, q * 2**63 / pi_lo
        return min(a, b), max(a, b)

    return _ziv("turns", "object", 0, enclosure) % TWO64
