"""The 64-bit seed of source 002 and the conversions from real numbers.

Seed layout, most significant field first (bit positions in brackets)::

    r:20 [63..44] | theta:24 [43..20] | basis:4 [19..16] | d_theta:2 [15..14]
    | d_r:1 [13] | rot:4 [12..9] | log2_c:3 [8..6] | reserved:6 [5..0]

``log2_c`` is stored as three-bit two's complement (0b100..0b111 are -4..-1).
The bit work is done by the C kernels (src/seed64.c, through
``_kernels.seed64_pack`` / ``seed64_unpack``); this module checks and shapes
the arguments.

:func:`to_q64`, :func:`turns` and :func:`seed64_from_float` are the only
places where real numbers enter.  Each takes its argument's exact value (a
float is the binary rational it holds) and rounds it once, to nearest with
ties to even:

* ``to_q64`` is rational arithmetic (:class:`fractions.Fraction`), exact.
* ``turns`` and the theta field of ``seed64_from_float`` need
  ``theta / (2 pi)``, irrational unless ``theta == 0`` (pi is transcendental),
  so never a rounding midpoint.  They enclose it rigorously with mpmath's pi
  at a working precision ``p`` (inside ``mpmath.workprec``, never a global
  change), round both ends of the enclosure exactly, and accept the result
  only when both ends agree; otherwise ``p`` doubles (Ziv's strategy).  See
  :func:`_turns_field` for the error bound.

They accept scalars and, for convenience, array-likes (one element at a
time: they are conversions for setting up inputs, not kernels).
"""
import decimal
import numbers
from fractions import Fraction
from typing import NamedTuple

import mpmath
import numpy as np

from poincare_q64 import _kernels, registry
from poincare_q64._api import (allocating, as_int_array, broadcast_shape,
                               flat_input, masked_error, show)

__all__ = ["Seed64Fields", "pack_seed64", "unpack_seed64", "seed64_from_float",
           "to_q64", "turns"]

TWO64 = 1 << 64
_I64 = np.dtype(np.int64)
_U64 = np.dtype(np.uint64)

# (field, lowest value, one past the highest), most significant first.
_FIELDS = tuple((f.name, f.lo, f.hi) for f in registry.SEED64_FIELDS)
_R_TOP = (1 << 20) - 1


class Seed64Fields(NamedTuple):
    """The fields of a 64-bit seed word, in layout order.

    Python ints for a scalar word; int64 arrays of the word's shape for an
    array of words.  ``log2_c`` is signed.
    """
    r: object
    theta: object
    basis: object
    d_theta: object
    d_r: object
    rot: object
    log2_c: object
    reserved: object


# --------------------------------------------------------------------------
# Packing
# --------------------------------------------------------------------------

def _pack(func, values):
    """values: field name -> int or array-like.  Returns int or uint64 array."""
    arrays = {}
    scalar = True
    for name, lo, hi in _FIELDS:
        arrays[name], is_scalar = as_int_array(func, name, values[name], lo,
                                               hi, _I64)
        scalar = scalar and is_scalar
    shape = broadcast_shape(func, arrays)
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    with allocating(func, shape):
        out = np.empty(n, dtype=np.uint64)
        status = np.empty(n, dtype=np.uint8)
        flats = [flat_input(arrays[name], shape) for name, _, _ in _FIELDS]
    bad = _kernels.seed64_pack(*flats, n, out, status)
    if bad:  # every field was range-checked above: a kernel/API mismatch
        raise RuntimeError(f"{func}: the seed kernel rejected fields that "
                           "passed the range checks")
    return int(out[0]) if scalar else out.reshape(shape)


def pack_seed64(r, theta, basis=0, d_theta=0, d_r=0, rot=0, log2_c=0,
                reserved=0):
    """Pack seed fields into 64-bit words.

    Layout, most significant first: ``r:20 | theta:24 | basis:4 |
    d_theta:2 | d_r:1 | rot:4 | log2_c:3 | reserved:6``, ``log2_c`` as
    three-bit two's complement.  Every field is carried as given (``basis``
    and ``reserved`` included), so ``pack_seed64(*unpack_seed64(w)) == w``.

    Parameters
    ----------
    r : int or array_like of int
        Radius field, ``[0, 2**20)``; the seed's radius is ``r / 2**20``.
    theta : int or array_like of int
        Angle field, ``[0, 2**24)``; the angle is ``2 pi theta / 2**24``.
    basis : int or array_like of int, optional
        Basis selector, ``[0, 15]`` (only 0, sin, is evaluated).
    d_theta : int or array_like of int, optional
        Angular derivative order, ``[0, 3]``.
    d_r : int or array_like of int, optional
        Radial derivative order, 0 or 1.
    rot : int or array_like of int, optional
        Rotation in sixteenths of a turn, ``[0, 15]``.
    log2_c : int or array_like of int, optional
        Curvature exponent, ``[-4, 3]``.
    reserved : int or array_like of int, optional
        Reserved bits, ``[0, 63]``.

    Returns
    -------
    int or numpy.ndarray of uint64
        A Python int in ``[0, 2**64)`` when every field is a scalar, else a
        uint64 array of the broadcast shape.

    Raises
    ------
    TypeError
        A field is not an integer (float, bool, ...).
    ValueError
        A field is out of its range (the message names it), or the shapes
        do not broadcast.

    Examples
    --------
    The known answer of source 002:

    >>> hex(pack_seed64(0x7FFFF, 0x800000, basis=10, d_theta=3, d_r=1,
    ...                 rot=13, log2_c=-3, reserved=42))
    '0x7ffff800000afb6a'
    >>> pack_seed64(0, 0, log2_c=-1) == 0b111 << 6
    True
    >>> [hex(w) for w in pack_seed64([1, 2], 0)]
    ['0x100000000000', '0x200000000000']
    """
    res = _kernels.pack_seed64_fast(r, theta, basis, d_theta, d_r, rot,
                                    log2_c, reserved)
    if res is not None:  # plain ints in range; anything else is checked below
        return res
    return _pack("pack_seed64", dict(
        r=r, theta=theta, basis=basis, d_theta=d_theta, d_r=d_r, rot=rot,
        log2_c=log2_c, reserved=reserved))


def unpack_seed64(word):
    """Split 64-bit seed words into their fields.

    Parameters
    ----------
    word : int or array_like of int
        Seed words, ``[0, 2**64)``.

    Returns
    -------
    Seed64Fields
        ``(r, theta, basis, d_theta, d_r, rot, log2_c, reserved)``, with
        ``log2_c`` signed (-4..3): Python ints for a scalar word, int64
        arrays of the word's shape otherwise.

    Raises
    ------
    TypeError
        word is not an integer.
    ValueError
        word is outside ``[0, 2**64)``.

    Examples
    --------
    >>> unpack_seed64(0x7FFFF800000AFB6A)
    Seed64Fields(r=524287, theta=8388608, basis=10, d_theta=3, d_r=1, rot=13, log2_c=-3, reserved=42)
    >>> unpack_seed64([0, 2**64 - 1]).log2_c.tolist()
    [0, -1]
    """
    fields = _kernels.unpack_seed64_fast(word)
    if fields is not None:  # a plain int in range; anything else is checked below
        return tuple.__new__(Seed64Fields, fields)
    words, scalar = as_int_array("unpack_seed64", "word", word, 0, TWO64,
                                 _U64)
    n = words.size
    with allocating("unpack_seed64", words.shape):
        cols = _kernels.seed64_unpack(np.ascontiguousarray(words).ravel(), n)
    if scalar:
        return Seed64Fields(*(int(c[0]) for c in cols))
    return Seed64Fields(*(c.reshape(words.shape) for c in cols))


# --------------------------------------------------------------------------
# Real numbers
# --------------------------------------------------------------------------

def _exact(func, name, x):
    """A real scalar as an exact Fraction; ValueError if not finite."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be a real number, got a bool "
                        f"({x!r})")
    if isinstance(x, (np.timedelta64, np.datetime64)):
        # a duration is registered as an Integral, but its value is a count
        # of some unit, not a number
        raise TypeError(f"{func}: {name} must be a real number, got "
                        f"{type(x).__name__} ({x!r})")
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            raise ValueError(f"{func}: {name} must be finite, got {x!r}")
        # as_integer_ratio is exact for every numpy float type, including
        # float32 and longdouble (float(x) would round a longdouble).
        return Fraction(*x.as_integer_ratio())
    if isinstance(x, (numbers.Integral, np.integer)):
        return Fraction(int(x))
    if isinstance(x, numbers.Rational):
        return Fraction(x.numerator, x.denominator)
    if isinstance(x, decimal.Decimal):
        if not x.is_finite():
            raise ValueError(f"{func}: {name} must be finite, got {x!r}")
        # Its exact value holds 10**|exponent|: bounded before it is built.
        if x and abs(x.as_tuple().exponent) > _DECIMAL_EXPONENT_LIMIT:
            raise ValueError(
                f"{func}: {name} is a Decimal with exponent "
                f"{x.as_tuple().exponent}; the exponent must be within "
                f"+-{_DECIMAL_EXPONENT_LIMIT}")
        return Fraction(x)
    raise TypeError(f"{func}: {name} must be a real number (float, int, "
                    f"Fraction), got {type(x).__name__} ({show(x)})")


# A nonzero Decimal's exponent is at most this in magnitude, so that its exact
# value (a Fraction holding 10**|exponent|) takes bounded work to build.
_DECIMAL_EXPONENT_LIMIT = 100000

# |theta| < 2**_THETA_LIMIT_BITS in turns and seed64_from_float: pi is needed
# to about log2|theta| + 64 bits, so the work grows with the magnitude.  The
# bound exceeds every finite float of every numpy type (the largest
# longdouble is below 2**16384).
_THETA_LIMIT_BITS = 16384


def _is_array_like(x):
    return isinstance(x, (np.ndarray, list, tuple))


def _elementwise(func, name, x, convert):
    """convert(exact Fraction, original) applied to a scalar, or to each
    element of an array-like (uint64 array of its shape)."""
    if not _is_array_like(x):
        return convert(_exact(func, name, x), x)
    if isinstance(x, np.ma.MaskedArray):
        raise masked_error(func, name)
    arr = np.asarray(x) if isinstance(x, np.ndarray) else np.array(
        x, dtype=object)
    res = np.empty(arr.shape, dtype=np.uint64)
    flat = arr.ravel()
    for k in range(flat.size):
        try:
            res.flat[k] = convert(_exact(func, name, flat[k]), flat[k])
        except (TypeError, ValueError) as exc:
            where = tuple(int(v) for v in np.unravel_index(k, arr.shape))
            raise type(exc)(f"{exc} (at index {where})") from None
    return res


def _round_half_even(q):
    """Integer nearest to the Fraction q, ties to even."""
    n, rem = divmod(q.numerator, q.denominator)  # 0 <= rem < denominator
    twice = 2 * rem
    if twice > q.denominator or (twice == q.denominator and n & 1):
        n += 1
    return n


def to_q64(x):
    """Nearest Q0.64 radius word to a real number in [0, 1).

    Parameters
    ----------
    x : float, int, fractions.Fraction or array_like of them
        The radius, ``0 <= x < 1``, taken exactly (a float is the binary
        rational it holds; numpy floats and ``decimal.Decimal`` are accepted).

    Returns
    -------
    int or numpy.ndarray of uint64
        ``R = round(x * 2**64)``, to nearest, ties to even, in
        ``[0, 2**64)``; an array of x's shape for an array-like.

    Raises
    ------
    TypeError
        x is not a real number (bool, complex, str, ...), or is a masked
        array.
    ValueError
        x is NaN, infinite, outside ``[0, 1)``, or within ``2**-65`` of 1 so
        that it rounds to ``2**64``; a nonzero Decimal with an exponent
        beyond +-100000.

    Examples
    --------
    >>> from fractions import Fraction
    >>> to_q64(0.5) == 2**63
    True
    >>> to_q64(Fraction(1, 3))         # 2**64 / 3 = 6148914691236517205.33
    6148914691236517205
    >>> to_q64(Fraction(3, 2**66))     # 0.75: rounds to 1
    1
    >>> to_q64(Fraction(5, 2**66))     # 1.25: rounds to 1
    1
    >>> to_q64(Fraction(1, 2**65))     # 0.5: a tie, to even 0
    0
    >>> to_q64(1 - 2**-53) == 2**64 - 2**11
    True
    """
    return _elementwise("to_q64", "x", x, _to_q64_exact)


def _to_q64_exact(q, x):
    if not 0 <= q < 1:
        raise ValueError(f"to_q64: x must be in [0, 1), got {_show(x)}")
    R = _round_half_even(q * TWO64)
    if R == TWO64:
        raise ValueError(f"to_q64: x = {_show(x)} rounds to 2**64 (= 1.0), "
                         "which is not a Q0.64 radius; the largest is "
                         "2**64 - 1")
    return R


def _show(x):
    """An argument for a message (its repr, shortened)."""
    return show(x, 80)


def turns(theta):
    """Nearest Q0.64 angle word (turns) to an angle in radians.

    Parameters
    ----------
    theta : float, int, fractions.Fraction or array_like of them
        The angle in radians, taken exactly: finite, with ``|theta| <
        2**16384`` (which every finite float of every numpy type satisfies;
        the work grows with the magnitude, pi being needed to about
        ``log2|theta| + 64`` bits).

    Returns
    -------
    int or numpy.ndarray of uint64
        ``T = round(frac(theta / (2 pi)) * 2**64) mod 2**64``, to nearest,
        correctly rounded; ``frac(x) = x - floor(x)``, so negative angles
        wrap, and a value that rounds up to a whole turn wraps to 0.  Ties
        cannot occur: ``theta / (2 pi)`` is irrational for ``theta != 0``.

    Raises
    ------
    TypeError
        theta is not a real number, or is a masked array.
    ValueError
        theta is NaN, infinite or ``|theta| >= 2**16384``; a nonzero
        Decimal with an exponent beyond +-100000.
    ArithmeticError
        The rounding was not decided at the precision cap (a safeguard; it
        would need an astronomically close approach of theta / (2 pi) to a
        midpoint).

    Examples
    --------
    The float nearest pi is pi - 1.2246e-16, i.e. 2**63 (1 - 3.898e-17) in
    turns, 359.6 below 2**63:

    >>> turns(3.141592653589793) == 2**63 - 360
    True
    >>> turns(0.0), turns(-0.0)
    (0, 0)
    >>> turns(1)                       # 2**63 / pi = 2935890503282001226.496
    2935890503282001226
    >>> turns(-1) == 2**64 - 2935890503282001226
    True
    """
    return _elementwise("turns", "theta", theta,
                        lambda q, x: _turns_field("turns", q, 64, x))


# mpmath rounds pi to p bits from a fixed-point value carrying 20 guard
# bits, so it is correctly rounded, or in the rarest case off by one ulp.
# The enclosure allows 2**_PI_SLACK half-ulps (8 ulp): a margin, not a need.
_PI_SLACK = 4
_MAX_PREC = 1 << 17


def _pi_fraction(prec):
    """mpmath's pi at ``prec`` bits, as an exact Fraction."""
    with mpmath.workprec(prec):
        man, exp = mpmath.mpf(mpmath.pi).man_exp
    # int(): with gmpy2 installed mpmath's mantissa is an mpz, which would
    # otherwise reach the results
    man, exp = int(man), int(exp)
    return Fraction(man, 1 << -exp) if exp < 0 else Fraction(man << exp)


def _turns_field(func, q, bits, x):
    """round(frac(q / (2 pi)) * 2**bits) mod 2**bits, correctly rounded.

    With ``z = q * 2**(bits - 1) / pi`` the result is ``round(z) mod
    2**bits``: ``z`` and ``frac(q / (2 pi)) 2**bits`` differ by a multiple
    of ``2**bits``, an even integer, so ties to even would agree too.

    Error bound.  ``P`` is mpmath's pi at ``p`` bits.  ``pi`` lies in
    ``[2, 4)``, where a ``p``-bit number has ulp ``2**(2 - p)``; a correctly
    rounded ``P`` is within half of it, and we allow ``2**_PI_SLACK`` times
    that: ``|P - pi| <= E = 2**(1 - p + _PI_SLACK)``.  Then ``pi`` lies in
    ``[P - E, P + E]`` (``P - E > 3``), and since ``z`` is monotone in
    ``pi`` it lies between ``q 2**(bits-1) / (P + E)`` and
    ``q 2**(bits-1) / (P - E)``, both computed exactly as Fractions.
    Rounding is monotone, so if both ends round to the same integer so does
    ``z``.  Otherwise ``p`` doubles.

    Termination.  For ``q != 0``, ``z`` is irrational, so at a positive
    distance from every midpoint, while the enclosure's width is about
    ``|z| 2**(3 + _PI_SLACK - p)``: some ``p`` decides.  The cap raises
    ArithmeticError instead of looping if that distance were below
    ``2**-(_MAX_PREC - log2|z|)``.
    """
    if q == 0:
        return 0
    if abs(q.numerator) >= q.denominator << _THETA_LIMIT_BITS:
        raise ValueError(
            f"{func}: theta must satisfy |theta| < 2**{_THETA_LIMIT_BITS}, "
            f"got a value of about 2**"
            f"{abs(q.numerator).bit_length() - q.denominator.bit_length()}")
    num = q.numerator << (bits - 1)
    den = q.denominator
    # |z| < 2**zbits; the working precision starts 64 bits below z's ulp
    # so that the test fails with probability about 2**-60.
    zbits = max(num.bit_length() - den.bit_length() + 1, 1)
    prec = zbits + 64
    while True:
        P = _pi_fraction(prec)
        E = Fraction(1, 1 << (prec - 1 - _PI_SLACK))
        a = Fraction(num, den) / (P + E)
        b = Fraction(num, den) / (P - E)
        lo, hi = (a, b) if q > 0 else (b, a)
        k = _round_half_even(lo)
        if k == _round_half_even(hi):
            return k % (1 << bits)
        if prec >= _MAX_PREC:
            raise ArithmeticError(
                f"{func}: the rounding of theta = {_show(x)} was not decided "
                f"at {prec} bits")
        prec = min(2 * prec, _MAX_PREC)


def seed64_from_float(r, theta, *, basis=0, d_theta=0, d_r=0, rot=0,
                      log2_c=0, reserved=0):
    """The source's quantiser: real (r, theta) and fields -> a seed word.

    Parameters
    ----------
    r : float, int, fractions.Fraction or array_like of them
        Radius ``>= 0``.  r field = ``round(r * 2**20)``, ties to even,
        clamped to ``2**20 - 1`` (so ``r >= 1``, or a value rounding up to
        ``2**20``, gives the top field value, as in the source).
    theta : float, int, fractions.Fraction or array_like of them
        Angle in radians, finite, ``|theta| < 2**16384`` (as for
        :func:`turns`).  theta field =
        ``round(frac(theta / (2 pi)) * 2**24) mod 2**24``, correctly rounded
        from the exact value (once: not through :func:`turns`).
    basis, d_theta, d_r, rot, log2_c, reserved : int or array_like of int, optional
        The other fields, as in :func:`pack_seed64`.

    Returns
    -------
    int or numpy.ndarray of uint64
        The word: a Python int when every argument is a scalar, else a
        uint64 array of the broadcast shape.

    Raises
    ------
    TypeError
        r or theta is not a real number, a field is not an integer, or an
        argument is a masked array.
    ValueError
        r is negative, NaN or infinite; theta is NaN, infinite or
        ``|theta| >= 2**16384``; a nonzero Decimal r or theta has an
        exponent beyond +-100000; a field is out of range; shapes do not
        broadcast.
    ArithmeticError
        As for :func:`turns`.

    Examples
    --------
    The known answer of source 002 (r = 0.5, theta = pi):

    >>> import math
    >>> hex(seed64_from_float(0.5, math.pi, basis=10, d_theta=3, d_r=1,
    ...                       rot=13, log2_c=-3, reserved=42))
    '0x80000800000afb6a'
    >>> seed64_from_float(1.5, 0.0) == (2**20 - 1) << 44      # clamped
    True
    >>> seed64_from_float(0.0, -math.pi / 2) == (3 << 22) << 20   # 3/4 turn
    True
    """
    func = "seed64_from_float"
    r_field = _elementwise(func, "r", r, _r_field)
    theta_field = _elementwise(func, "theta", theta,
                               lambda q, x: _turns_field(func, q, 24, x))
    return _pack(func, dict(
        r=r_field, theta=theta_field, basis=basis, d_theta=d_theta, d_r=d_r,
        rot=rot, log2_c=log2_c, reserved=reserved))


def _r_field(q, x):
    if q < 0:
        raise ValueError(f"seed64_from_float: r must be >= 0, got {_show(x)}")
    return min(_round_half_even(q * (1 << 20)), _R_TOP)
