"""Encode a weight matrix into the seed whose matrix is nearest to it.

For fixed options and shape every decoded matrix is ``A * Phi``: the
amplitude ``A = g * s`` (radial times angular term) times the fixed matrix
``Phi[i, j] = phi(i, j)`` of the modulation.  The least-squares loss is a
convex quadratic in ``A``, minimised at ``A* = <W, Phi> / ||Phi||^2``, so
the best seed is the one whose exact amplitude is nearest ``A*``
(docs/transform.md proves it and each step below).

* ``method="optimal"`` (the default) computes ``A*`` (exact dot products,
  rounded once) and finds that seed exactly: for ``seed64`` among every
  representable word (all 2**20 r fields, all 2**24 theta fields, the
  allowed options), for ``q64`` among the seeds at a quarter turn (the
  exact rationals ``+-g(R)``) and the seeds at the R of largest ``|g|``
  (every T), which come within 2**-60 of every reachable amplitude (any
  other q64 seed could lower the loss by less than 2**-119, which no
  float64 loss can see).
* ``method="source"`` runs the search of source 000, section 8.3, as
  written: coarse grid, hierarchical refinement, multi-start points and
  gradient descent on real ``(r, theta)``, then rounds to the seed format.

:func:`best_seed_for_amplitude` is the optimal search for given amplitudes
(many at once, for block encoders); :func:`optimal_amplitude` is ``A*``;
:func:`amplitude` the correctly rounded amplitude of a seed.
"""
import math
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
from tqdm import tqdm

from poincare_q64 import _api, _search, packing
from poincare_q64.transform.decode import decode_matrix
from poincare_q64.transform.metrics import metrics
from poincare_q64.transform.seed import (Seed, allowed_options, check_format,
                                         seed_bits)

__all__ = ["EncodeResult", "encode_matrix", "best_seed_for_amplitude",
           "optimal_amplitude", "amplitude", "SOURCE_DEFAULTS",
           "DEFAULT_RNG_SEED"]

TWO64 = 1 << 64
_R_MAX = TWO64 - 1
_QUARTER = 1 << 62
_U = 2.0 ** -53                       # unit roundoff of float64
# float64 entries of W are bounded so that sums of mn squares stay finite
_W_BOUND = 2.0 ** 480
_RB, _TB = 20, 24                     # seed64 field widths
_LQ = 1 << (_TB - 2)                  # a quarter turn in theta-field units
_L_PER_RAD = (1 << _TB) / (2 * math.pi)
_MAX_PREC = 1 << 14
# targets per call of the compiled seed64 search (a progress step)
_SEARCH_BATCH = 256

#: The multi-start generator's seed when ``rng`` is None.
DEFAULT_RNG_SEED = 20240800

#: Parameters of the source's search (method="source"), as documented in
#: docs/transform.md: refinement levels after the coarse grid, random
#: starting points, gradient steps per start, and the two stopping rules.
SOURCE_DEFAULTS = dict(levels=8, starts=8, max_iter=100, grad_tol=1e-12,
                       loss_tol=1e-16)


@dataclass
class EncodeResult:
    """What :func:`encode_matrix` found.

    Attributes
    ----------
    seed : Seed
        R, T and the options.
    word : int or None
        The packed seed64 word when the seed fits it (always for
        ``seed_format="seed64"``).
    shape : (m, n)
    loss : float
        Mean squared error of the float64 decode against W.
    metrics : dict
        :func:`poincare_q64.transform.metrics` of the decode, with
        ``stored_bits`` from :func:`poincare_q64.transform.seed_bits`.
    seed_format, method : str
    target : float
        ``A*`` for ``method="optimal"`` (:func:`optimal_amplitude`); the
        amplitude ``g(r) sin(theta)`` of the real search's best point for
        ``method="source"``.
    amplitude : float
        The seed's exact amplitude ``g * s``, correctly rounded.
    evaluations : int
        Loss evaluations of the source's search (0 for ``"optimal"``).
    trace : tuple
        The source's search, one ``(stage, options, r, theta, loss)`` per
        stage result (empty for ``"optimal"``).
    """
    seed: Seed
    word: object
    shape: tuple
    loss: float
    metrics: dict = field(default_factory=dict)
    seed_format: str = "seed64"
    method: str = "optimal"
    target: float = 0.0
    amplitude: float = 0.0
    evaluations: int = 0
    trace: tuple = ()


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------

def check_matrix(func, W):
    """W as a finite 2-d float64 array with at least one element.

    Integers are accepted when float64 holds them exactly (``|w| <= 2**53``),
    floats up to float64's width; bools, complex, strings and objects are a
    TypeError (a bool matrix is not a weight matrix).  Entries must be below
    ``2**480`` in magnitude so that the squared norms and the loss are
    finite.  A masked array is a TypeError: its mask cannot be honoured,
    and its hidden values would be used.
    """
    if isinstance(W, np.ma.MaskedArray):
        raise _api.masked_error(func, "W")
    try:
        a = np.asarray(W)
    except ValueError as exc:           # ragged nesting
        raise ValueError(f"{func}: W is not a rectangular array ({exc})") from None
    kind = a.dtype.kind
    if kind == "b":
        raise TypeError(f"{func}: W must be a real numeric array, got bools "
                        "(convert them explicitly if you mean 0 and 1)")
    if kind not in "iuf" or (kind == "f" and a.dtype.itemsize > 8):
        raise TypeError(f"{func}: W must be a real numeric array of at most "
                        f"float64's width, got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{func}: W must be 2-d, got {a.ndim}-d (shape {a.shape})")
    if a.size == 0:
        raise ValueError(f"{func}: W is empty (shape {a.shape})")
    if kind in "iu":
        lo, hi = int(a.min()), int(a.max())
        if lo < -(1 << 53) or hi > 1 << 53:
            raise ValueError(f"{func}: W holds integers beyond 2**53 in "
                             "magnitude, which float64 would round")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{func}: W holds NaN or inf")
    if np.abs(a).max() >= _W_BOUND:
        raise ValueError(f"{func}: W holds entries of magnitude >= 2**480, "
                         "whose squares would overflow the loss")
    return a


def _check_amplitudes(func, A):
    a = np.asarray(A)
    if a.dtype.kind == "b" or a.dtype.kind not in "iuf":
        raise TypeError(f"{func}: A must be real numbers, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{func}: A holds NaN or inf")
    return a


def _check_method(func, method):
    if not isinstance(method, str) or method not in ("optimal", "source"):
        raise ValueError(f"{func}: method must be 'optimal' or 'source', "
                         f"got {_api.show(method)}")


def _show_progress(progress, work):
    """progress=None: on for large work when stderr is a terminal."""
    if progress is None:
        return work >= (1 << 24) and sys.stderr.isatty()
    return bool(progress)


# --------------------------------------------------------------------------
# The projection A* = <W, Phi> / ||Phi||^2
# --------------------------------------------------------------------------

def _split(x):
    # Veltkamp's split: x = hi + lo with hi of 26 and lo of 27 significant
    # bits, so that hi*hi', hi*lo', lo*hi', lo*lo' are exact in float64.
    c = x * 134217729.0               # 2**27 + 1
    hi = c - (c - x)
    return hi, x - hi


def _exact_dot(x, y):
    """sum(x * y) over exact products, rounded once (math.fsum).

    Dekker's product: p = fl(x y) and e = x y - p exactly, from the split
    halves (each ufunc is one IEEE operation, so nothing is contracted).
    Exact except where e underflows (products below about 2**-969), which
    changes the sum by < 2**-1074 per entry.
    """
    x, y = x.ravel(), y.ravel()
    p = x * y
    xh, xl = _split(x)
    yh, yl = _split(y)
    e = (((xh * yh - p) + xh * yl) + xl * yh) + xl * yl
    return math.fsum(np.concatenate([p, e]).tolist())


@lru_cache(maxsize=4)
def _phi_and_norm(m, n):
    i = np.arange(m, dtype=np.uint32)[:, None]
    j = np.arange(n, dtype=np.uint32)[None, :]
    phi = _api.modulation(i, j, dtype=np.float64)
    phi.flags.writeable = False
    return phi, _exact_dot(phi, phi)


def optimal_amplitude(W):
    """The least-squares amplitude ``A* = <W, Phi> / ||Phi||^2``.

    ``Phi[i, j] = modulation(i, j)`` correctly rounded to float64.  Both
    dot products are computed from exact products and rounded once
    (``math.fsum``), then divided, so ``A*`` is within 1.5 ulp of the
    quotient of the exact dot products, the same on every machine.

    Parameters
    ----------
    W : array_like, shape (m, n)
        Real numbers (see :func:`encode_matrix` for what is accepted).

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        As :func:`encode_matrix` for a bad W.

    Examples
    --------
    >>> import numpy as np, poincare_q64 as pq
    >>> Phi = pq.modulation(np.arange(3)[:, None], np.arange(4), dtype="float64")
    >>> optimal_amplitude(0.25 * Phi)       # 0.25 * Phi is exact in float64
    0.25
    """
    a = check_matrix("optimal_amplitude", W)
    phi, norm = _phi_and_norm(*a.shape)
    return _exact_dot(a, phi) / norm


# --------------------------------------------------------------------------
# Exact radial term and sine enclosures
# --------------------------------------------------------------------------

def _g_ratio(R, log2_c, eps, d_r):
    """g (or g') at R as an exact (numerator, denominator > 0) pair.

    With D = 2**128 + eps R and X = R**2 2**128 (so r~ = R 2**64 / D and
    c r~**2 = c X / D**2): g = 2 R 2**64 D / (D**2 + c X) and
    g' = 2**257 (D**2 - c X) / (D**2 + c X)**2; c = 2**log2_c is cleared
    by scaling both by 2**s, s = max(0, -log2_c).
    """
    s = max(0, -log2_c)
    D = (1 << 128) + eps * R
    D2 = (D * D) << s
    cX = (R * R) << (128 + log2_c + s)
    if d_r == 0:
        return (R * D) << (65 + s), D2 + cX
    return (D2 - cX) << (257 + s), (D2 + cX) ** 2


def _g_fraction(R, log2_c, eps, d_r):
    return Fraction(*_g_ratio(R, log2_c, eps, d_r))


def _sin_fixed(X, q, upper):
    """A bound of sin(X / 2**q) * 2**q (0 <= X / 2**q <= 1.6).

    Taylor series in fixed point, each step truncated: x2 and every term are
    low by at most 4 units (a term's error shrinks by the ratio
    x**2 / ((2k)(2k+1)) < 0.43 and gains 1 + term x2-error / 2**q < 2 units),
    so the partial sum is within 4 units per term of the exact partial sum,
    and the first term computed as 0 is below 4 units, which bounds the
    alternating tail.  8 units per term plus 8 covers both.
    """
    x2 = (X * X) >> q
    term, total, k = X, X, 1
    while term:
        term = ((term * x2) >> q) // ((2 * k) * (2 * k + 1))
        total += -term if k % 2 else term
        k += 1
    err = 8 * k + 8
    return total + err if upper else total - err


def _sin_enclosure(l, bits, prec):
    """(lo, hi) Fractions with lo <= sin(pi l / 2**(bits-1)) <= hi, 0 < l <= 2**(bits-2)."""
    if l == 1 << (bits - 2):
        return Fraction(1), Fraction(1)
    q = prec + 8
    # |P - pi| <= E as in packing.turns (mpmath's pi at q bits, 8 ulp slack)
    P = packing._pi_fraction(q)
    E = Fraction(1, 1 << (q - 5))
    xlo = (P - E) * l / (1 << (bits - 1))
    xhi = (P + E) * l / (1 << (bits - 1))
    Xlo = math.floor(xlo * (1 << q))
    Xhi = math.ceil(xhi * (1 << q))
    lo = Fraction(max(_sin_fixed(Xlo, q, False), 0), 1 << q)
    # sin is increasing on [0, pi/2]; past pi/2 (not reached for l below a
    # quarter turn at this precision) 1 is still an upper bound
    hi = (Fraction(min(_sin_fixed(Xhi, q, True), 1 << q), 1 << q)
          if 2 * xhi < P - E else Fraction(1))
    return lo, hi


def _reduce_turn(Tp, bits):
    """sin(2 pi Tp / 2**bits) = sign * sin(pi l / 2**(bits-1)), 0 <= l <= quarter."""
    half = 1 << (bits - 1)
    sign = 1
    if Tp >= half:
        sign, Tp = -1, Tp - half
    if Tp > half >> 1:
        Tp = half - Tp
    return sign, Tp


def _amplitude_interval(g, sign, l, bits, prec):
    if l == 0 or g == 0:
        return Fraction(0), Fraction(0)
    lo, hi = _sin_enclosure(l, bits, prec)
    a, b = sign * g * lo, sign * g * hi
    return (a, b) if a <= b else (b, a)


def amplitude(seed):
    """The exact amplitude ``g * s`` of a seed, correctly rounded to float64.

    ``g`` is :func:`poincare_q64.radial` (with the seed's ``log2_c``, ``eps``,
    ``d_r``) and ``s`` is :func:`poincare_q64.angular` (with ``rot``,
    ``d_theta``), so the decoded matrix is ``amplitude * Phi`` before its
    rounding.  g is rational; s is enclosed at rising precision until the
    enclosure of the product rounds to one float (Ziv's strategy).

    Parameters
    ----------
    seed : Seed

    Returns
    -------
    float

    Raises
    ------
    TypeError
        seed is not a Seed.
    ArithmeticError
        The rounding was not decided at 16384 bits (never observed).

    Examples
    --------
    >>> from poincare_q64.transform import Seed
    >>> amplitude(Seed(2**63, 2**62))      # g(1/2) = 4/5, sin(pi/2) = 1
    0.8
    >>> amplitude(Seed(2**63, 2**61))      # 0.4 sqrt(2) = 0.56568542494923801952...
    0.565685424949238
    """
    if not isinstance(seed, Seed):
        raise TypeError(f"amplitude: seed must be a Seed, got {type(seed).__name__}")
    g = _g_fraction(seed.R, seed.log2_c, seed.eps, seed.d_r)
    Tp = (seed.T + (seed.rot << 60) + (seed.d_theta << 62)) % TWO64
    sign, l = _reduce_turn(Tp, 64)
    prec = 96
    while True:
        lo, hi = _amplitude_interval(g, sign, l, 64, prec)
        if float(lo) == float(hi):
            return float(lo)
        if prec >= _MAX_PREC:
            raise ArithmeticError(f"amplitude: the rounding of {seed} was not "
                                  f"decided at {prec} bits")
        prec *= 2


# --------------------------------------------------------------------------
# Choosing among seeds of equal amplitude: the smallest key
# --------------------------------------------------------------------------

def _key(seed):
    # The documented tie-break: smallest (R, T, log2_c, eps, d_r, rot, d_theta).
    return (seed.R, seed.T, seed.log2_c, seed.eps, seed.d_r, seed.rot, seed.d_theta)


def _shift_choices(opts, bits):
    """(shift, rot, d_theta) for every allowed rot, d_theta, shifts in units
    of 2**-bits turn, sorted so that the first reaching a T is the smallest key."""
    return sorted((((r << (bits - 4)) + (d << (bits - 2))) % (1 << bits), r, d)
                  for r in opts["rot"] for d in opts["d_theta"])


def _smallest_T(Tps, shifts, bits):
    """min (T, rot, d_theta) over T' in Tps (None: any T') and allowed shifts."""
    if Tps is None:
        _, r, d = min(((0, r, d) for _, r, d in shifts))
        return 0, r, d
    mod = 1 << bits
    return min(((tp - sh) % mod, r, d) for tp in Tps for sh, r, d in shifts)


def _zero_seed(opts, combos, bits, tscale):
    """The smallest seed of amplitude 0: R = 0 and either g(0) = 0 (d_r = 0,
    any T) or s = 0 (T' at 0 or a half turn)."""
    shifts = _shift_choices(opts, bits)
    best = None
    for log2_c, eps, d_r in combos:
        Tps = None if d_r == 0 else (0, 1 << (bits - 1))
        T, rot, d_theta = _smallest_T(Tps, shifts, bits)
        s = Seed(0, T * tscale, log2_c=log2_c, eps=eps, d_r=d_r, rot=rot,
                 d_theta=d_theta)
        if best is None or _key(s) < _key(best):
            best = s
    return best


def _combos(opts):
    return [(c, e, d) for c in opts["log2_c"] for e in opts["eps"] for d in opts["d_r"]]


# --------------------------------------------------------------------------
# q64: quarter turns, exact rational amplitudes +-g(R)
# --------------------------------------------------------------------------

def _increasing_first(R, log2_c, eps, d_r):
    """Is R on g's first monotone piece?  (docs/transform.md, *Reachable
    amplitudes*: g has one turning point in r.)"""
    s = max(0, -log2_c)
    D = (1 << 128) + eps * R
    cX = (R * R) << (128 + log2_c + s)
    if d_r == 0:                       # g rises while c r~**2 < 1
        return cX < (D * D) << s
    # g' falls while M(x) = c^2 x^3 + 3 e c x^2 - 3 c x - e <= 0, x = r~
    c = Fraction(2) ** log2_c
    x = Fraction(R << 64, D)
    e = Fraction(eps, TWO64)
    return c * c * x ** 3 + 3 * e * c * x * x - 3 * c * x - e <= 0


@lru_cache(maxsize=64)
def _pieces(log2_c, eps, d_r):
    """The monotone pieces of R -> g(R): ((lo, hi, direction), ...)."""
    lo, hi = 0, _R_MAX
    if _increasing_first(hi, log2_c, eps, d_r):
        P = hi
    else:
        while hi - lo > 1:             # first piece: [0, lo], then (lo, R_MAX]
            mid = (lo + hi) // 2
            if _increasing_first(mid, log2_c, eps, d_r):
                lo = mid
            else:
                hi = mid
        P = lo
    first = 1 if d_r == 0 else -1
    pieces = [(0, P, first)]
    if P < _R_MAX:
        pieces.append((P + 1, _R_MAX, -first))
    return tuple(pieces)


def _nearest_on_pieces(y, log2_c, eps, d_r):
    """The R (at most two per piece) whose g brackets y on each piece."""
    out = []
    for lo, hi, direction in _pieces(log2_c, eps, d_r):
        def above(R):
            n, d = _g_ratio(R, log2_c, eps, d_r)
            return direction * (n * y.denominator - y.numerator * d) > 0
        a, b = lo, hi + 1              # first R in [lo, hi + 1) that is above y
        while a < b:
            mid = (a + b) // 2
            if above(mid):
                b = mid
            else:
                a = mid + 1
        out.extend(R for R in (a - 1, a) if lo <= R <= hi)
    return out


@lru_cache(maxsize=64)
def _peak(log2_c, eps, d_r):
    """(R, g) where |g| is largest: R = 0 (g' = 2) for d_r = 1, else the
    turning point of g (or R_MAX when g rises throughout)."""
    if d_r == 1:
        return 0, Fraction(2)
    pieces = _pieces(log2_c, eps, d_r)
    Rs = (pieces[0][1],) + ((pieces[1][0],) if len(pieces) > 1 else ())
    return max(((R, _g_fraction(R, log2_c, eps, d_r)) for R in Rs),
               key=lambda x: (x[1], -x[0]))


def _best_q64(a, opts):
    """The nearest amplitude to a among the q64 search set: every R at a
    quarter turn (amplitudes +-g(R), and 0), and every T at the R of
    largest |g| (amplitudes g_peak s(T)); docs/transform.md."""
    y = Fraction(a)
    combos = _combos(opts)
    shifts = _shift_choices(opts, 64)
    cands = [(Fraction(0), 0)]
    seeds = [_zero_seed(opts, combos, 64, 1)]

    def add(g, l, R, combo):
        T, rot, d_theta = _smallest_T((l % TWO64, (_QUARTER * 2 - l) % TWO64),
                                      shifts, 64)
        cands.append((g, l))
        seeds.append(Seed(R, T, log2_c=combo[0], eps=combo[1], d_r=combo[2],
                          rot=rot, d_theta=d_theta))

    for combo in combos:
        for sign in (1, -1):
            for R in _nearest_on_pieces(sign * y, *combo):
                add(_g_fraction(R, *combo), sign * _QUARTER, R, combo)
        R, g = _peak(*combo)
        t = y / g
        if g != 0 and abs(t) < 1:
            # T* = asin(t) 2**63 / pi turns of 2**-64, to far better than a
            # unit at 160 bits; sin is increasing on [-quarter, quarter], so
            # the nearest s(T) is at floor(T*) or floor(T*) + 1
            with mpmath.workprec(160):
                x = mpmath.asin(mpmath.mpf(t.numerator) / t.denominator)
                f = int(mpmath.floor(x * 2 ** 63 / mpmath.pi))
            for l in range(f - 1, f + 3):
                if -_QUARTER <= l <= _QUARTER:
                    add(g, l, R, combo)
    best = _resolve(y, cands, 64)
    return min((seeds[i] for i in best), key=_key)


# --------------------------------------------------------------------------
# seed64: every (r field, theta field), float64 search and exact decision
# --------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _sine_table():
    """sin(pi l / 2**23) for l = 0 .. 2**22, correctly rounded (angular)."""
    l = np.arange(_LQ + 1, dtype=np.uint64) << np.uint64(64 - _TB)
    s = _api.angular(l, dtype=np.float64)
    s.flags.writeable = False
    return s


@lru_cache(maxsize=16)
def _g_table(log2_c, d_r):
    """g(k << 44) for every r field k, correctly rounded (radial).

    8 MB each; all 16 option pairs are kept, since building one costs
    more than searching it for a few targets."""
    R = np.arange(1 << _RB, dtype=np.uint64) << np.uint64(64 - _RB)
    g = _api.radial(R, log2_c=log2_c, d_r=d_r, dtype=np.float64)
    g.flags.writeable = False
    return g


def _window(dmin, a):
    """Computed distances of candidates that may be the true nearest.

    A computed distance d~ = |fl(fl(g~ s~) - a)| with g~, s~ correctly
    rounded is within 3.001 u |g s| + u d (u = 2**-53) of d = |g s - a|,
    and |g s| <= |a| + d; so the true nearest is within
    8.01 u d~min + 6.01 u |a| of the smallest computed distance.
    """
    return dmin + 16 * _U * (dmin + abs(a)) + 4 * 2.0 ** -1074


def _seed64_candidates(a, g, S):
    """(dmin, [(k, l, d~), ...]) for one option combination: per r field k the
    theta indices l in [-2**22, 2**22] around the inverse of sin at a / g_k
    (docs/transform.md: the nearest sine is at floor(l*) or floor(l*) + 1,
    and floor(x) - 1 .. floor(x) + 1 contains both), amplitude 0 excluded.
    In place on float64 buffers: l is an exact integer in float64 (|l| <=
    2**22), so no integer array is needed but the table index."""
    zero_g = g == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.divide(a, g)
    x[zero_g] = 0.0
    np.clip(x, -1.0, 1.0, out=x)
    np.arcsin(x, out=x)
    x *= _L_PER_RAD
    np.floor(x, out=x)
    idx = np.empty(x.shape, dtype=np.intp)
    ls, ds = [], []
    dmin = math.inf
    for off in (-1.0, 0.0, 1.0):
        l = x + off
        np.clip(l, -_LQ, _LQ, out=l)
        np.abs(l, out=idx, casting="unsafe")
        d = S[idx]
        np.copysign(d, l, out=d)
        d *= g
        d -= a
        np.abs(d, out=d)
        d[(l == 0) | zero_g] = np.inf
        dmin = min(dmin, float(d.min()))
        ls.append(l)
        ds.append(d)
    if not math.isfinite(dmin):
        return dmin, []
    w = _window(dmin, a)
    out = []
    for l, d in zip(ls, ds):
        k = np.flatnonzero(d <= w)
        out.extend((int(kk), int(l[kk]), float(d[kk])) for kk in k)
    return dmin, out


def _resolve(y, cands, bits):
    """Indices of the candidates at the smallest exact distance from y.

    cands: (g Fraction, l signed sine index in units of 2**-bits turn).
    Candidates of equal distance are grouped by a key that is exact
    (docs/transform.md: distinct keys have distinct distances, by the linear
    independence of the sines of a 2**bits-gon); between groups, enclosures
    of the distances at rising precision decide.
    """
    quarter = 1 << (bits - 2)
    groups = {}
    for idx, (g, l) in enumerate(cands):
        if g == 0 or l == 0 or abs(l) == quarter:
            v = 0 if (g == 0 or l == 0) else g * (1 if l > 0 else -1)
            key = ("q", abs(v - y))
        else:
            gg, ll = (g, l) if l > 0 else (-g, -l)
            key = ("s", ll, abs(gg) if y == 0 else gg)
        groups.setdefault(key, []).append(idx)
    keys = list(groups)
    if len(keys) == 1:
        return groups[keys[0]]
    prec = 96
    while True:
        ivs = []
        for key in keys:
            if key[0] == "q":
                ivs.append((key[1], key[1]))
                continue
            _, l, g = key
            lo, hi = _amplitude_interval(g, 1, l, bits, prec)
            if lo >= y:
                ivs.append((lo - y, hi - y))
            elif hi <= y:
                ivs.append((y - hi, y - lo))
            else:
                ivs.append((Fraction(0), max(hi - y, y - lo)))
        i = min(range(len(keys)), key=lambda j: ivs[j][0])
        if all(ivs[i][1] < ivs[j][0] for j in range(len(keys)) if j != i):
            return groups[keys[i]]
        if prec >= _MAX_PREC:
            raise ArithmeticError(f"the nearest seed64 amplitude to {float(y)!r} "
                                  f"was not decided at {prec} bits")
        prec *= 2


def _clamp_targets(targets, combos):
    """The targets clamped to [-top, top], top a float above every |g|.

    Every amplitude lies in [-M, M], M = max |g| reached (at s = +-1), so a
    target beyond top >= M has the same nearest seeds as top (those of
    amplitude +-M).  Far beyond M every float distance would round to |a|
    and all 2**21 candidates of an option pair would tie.
    """
    top = float(np.nextafter(max(float(_peak(c, 0, d)[1]) for c, d in combos),
                             np.inf))
    return [min(max(v, -top), top) for v in targets]


def _seed64_seed(log2_c, d_r, k, l, shifts):
    """The seed of r field k and signed sine index l, with the smallest T."""
    T, rot, d_theta = _smallest_T((l % (1 << _TB), ((1 << (_TB - 1)) - l) % (1 << _TB)),
                                  shifts, _TB)
    return Seed(k << 44, T << 40, log2_c=log2_c, d_r=d_r, rot=rot, d_theta=d_theta)


def _best_seed64_many(targets, opts, progress, threads=1):
    """The nearest seed64 seed to each target (docs/transform.md, *The
    seed64 optimum*): the compiled search (poincare_q64._search) gives the
    candidates within the window of each target's smallest float distance,
    over all option pairs; they are decided exactly."""
    combos = [(c, d) for c in opts["log2_c"] for d in opts["d_r"]]
    S = _sine_table()
    targets = _clamp_targets(targets, combos)
    a = np.array(targets, dtype=np.float64)
    # amplitude 0 (the zero seed) is at distance |a| exactly: the windows
    # start there
    dmins = np.abs(a)
    found = [[] for _ in targets]      # per target: (d~, log2_c, d_r, k, l)
    work = len(combos) * len(targets) * (1 << _RB)
    bar = tqdm(total=len(combos) * len(targets), desc="seed64 search",
               disable=not _show_progress(progress, work), leave=False)
    with bar:
        for log2_c, d_r in combos:
            g = _g_table(log2_c, d_r)
            for lo in range(0, len(targets), _SEARCH_BATCH):
                hi = min(len(targets), lo + _SEARCH_BATCH)
                dm, cands = _search.seed64_candidates(a[lo:hi], g, S, dmins[lo:hi],
                                                      threads)
                dmins[lo:hi] = dm
                for t, (k, l, d) in enumerate(cands, lo):
                    found[t].extend((dd, log2_c, d_r, kk, ll) for kk, ll, dd in
                                    zip(k.tolist(), l.tolist(), d.tolist()))
                bar.update(hi - lo)
    shifts = _shift_choices(opts, _TB)
    zero = _zero_seed(opts, [(c, 0, d) for c, d in combos], _TB, 1 << 40)
    out = []
    for t, av in enumerate(targets):
        lim = _window(float(dmins[t]), av)
        cands = [c for c in found[t] if c[0] <= lim]
        exact, seeds = [], []
        if abs(av) <= lim:
            # else a candidate is strictly nearer than 0 (the window's proof)
            exact.append((Fraction(0), 0))
            seeds.append(zero)
        for _, log2_c, d_r, k, l in cands:
            exact.append((_g_fraction(k << 44, log2_c, 0, d_r), l))
            seeds.append(_seed64_seed(log2_c, d_r, k, l, shifts))
        best = _resolve(Fraction(av), exact, _TB)
        out.append(min((seeds[i] for i in best), key=_key))
    return out


def _best_seed64_many_numpy(targets, opts, progress):
    """The numpy search (arcsin and three theta candidates per r field, one
    target at a time), kept as the reference that tests and
    benchmarks/bench_encode.py hold :func:`_best_seed64_many` to: the same
    seeds, by a different candidate rule."""
    combos = [(c, d) for c in opts["log2_c"] for d in opts["d_r"]]
    S = _sine_table()
    targets = _clamp_targets(targets, combos)
    found = [[] for _ in targets]      # per target: (d~, log2_c, d_r, k, l)
    dmins = [math.inf] * len(targets)
    work = len(combos) * len(targets) * (1 << _RB)
    bar = tqdm(total=len(combos) * len(targets), desc="seed64 search",
               disable=not _show_progress(progress, work), leave=False)
    with bar:
        for log2_c, d_r in combos:
            g = _g_table(log2_c, d_r)
            for t, a in enumerate(targets):
                dmin, cands = _seed64_candidates(a, g, S)
                dmins[t] = min(dmins[t], dmin)
                found[t].extend((d, log2_c, d_r, k, l) for k, l, d in cands)
                bar.update()
    shifts = _shift_choices(opts, _TB)
    ecombos = [(c, 0, d) for c, d in combos]
    out = []
    for t, a in enumerate(targets):
        y = Fraction(a)
        zero = _zero_seed(opts, ecombos, _TB, 1 << 40)
        # amplitude 0 (the zero seed) has distance |a| exactly
        lim = _window(min(dmins[t], abs(a)), a)
        cands = [c for c in found[t] if c[0] <= lim]
        exact = [(Fraction(0), 0)] + [
            (_g_fraction(k << 44, log2_c, 0, d_r), l) for _, log2_c, d_r, k, l in cands]
        seeds = [zero]
        for _, log2_c, d_r, k, l in cands:
            lm = l % (1 << _TB)
            T, rot, d_theta = _smallest_T((lm, ((1 << (_TB - 1)) - l) % (1 << _TB)),
                                          shifts, _TB)
            seeds.append(Seed(k << 44, T << 40, log2_c=log2_c, d_r=d_r, rot=rot,
                              d_theta=d_theta))
        best = _resolve(y, exact, _TB)
        out.append(min((seeds[i] for i in best), key=_key))
    return out


def best_seed_for_amplitude(A, seed_format="seed64", *, log2_c=0, eps=0, d_r=0,
                            rot=0, d_theta=0, progress=None, threads=None):
    """The seed whose exact amplitude ``g * s`` is nearest each target A.

    The loss of ``A * Phi`` against a matrix is a convex quadratic in A
    with its minimum at :func:`optimal_amplitude`, so block encoders call
    this once with every block's ``A*``.  Ties (equal exact distances) go
    to the smallest ``(R, T, log2_c, eps, d_r, rot, d_theta)``.

    * ``"seed64"``: among every representable word with the allowed
      options: exact (a compiled float64 search over all 2**20 r fields
      with the two theta fields around each, then an exact decision among
      the candidates its rounding cannot separate).  A few ms per target
      and option combination (log2_c, d_r) on one core, targets in
      parallel, plus 0.2 s once for the tables.
    * ``"q64"``: among the q64 seeds at a quarter turn (s = +-1 or 0:
      rational arithmetic and bisection on g's monotone pieces) and those
      at the R of largest ``|g|`` with any T, exactly; every amplitude
      within reach is within 2**-60 of that set, so no other q64 seed is
      nearer by more (docs/transform.md).  About 5 ms per target and
      combination.

    Parameters
    ----------
    A : float or array_like of float
        Target amplitudes (any finite reals; a target out of reach gets the
        reachable amplitude nearest it).
    seed_format : {"seed64", "q64"}
    log2_c, eps, d_r, rot, d_theta : int, iterable of int or "all", optional
        The option values the seeds may use, as in :func:`encode_matrix`.
    progress : bool or None, optional
        A tqdm progress bar on stderr; None: on for long searches when
        stderr is a terminal.
    threads : int or None, optional
        Threads of the seed64 search, >= 1; None uses all cores.  The seeds
        do not depend on it.

    Returns
    -------
    Seed or numpy.ndarray of Seed
        A Seed for a scalar A, else an object array of A's shape.

    Raises
    ------
    TypeError
        A is not real; an option is not an int, iterable of int or "all";
        threads is not an int.
    ValueError
        A holds NaN or inf; bad seed_format or options; eps != 0 for seed64;
        threads < 1.

    Examples
    --------
    A zero amplitude is R = T = 0; the float 0.8 is reached to within its
    rounding (the exact amplitude rounds back to it):

    >>> best_seed_for_amplitude(0.0, "q64")
    Seed(R=0, T=0, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0)
    >>> amplitude(best_seed_for_amplitude(0.8, "q64"))
    0.8
    >>> s = best_seed_for_amplitude(-0.8)        # r field 2**19, 3/4 turn
    >>> (s.R >> 44, s.T >> 40)
    (524288, 12582912)
    """
    func = "best_seed_for_amplitude"
    opts = allowed_options(func, log2_c=log2_c, eps=eps, d_r=d_r, rot=rot,
                           d_theta=d_theta)
    check_format(func, seed_format, opts)
    a = _check_amplitudes(func, A)
    nthreads = _api.resolve_threads(func, threads)
    flat = [float(v) for v in a.ravel()]
    if seed_format == "seed64":
        seeds = _best_seed64_many(flat, opts, progress, nthreads)
    else:
        seeds = [_best_q64(v, opts) for v in flat]
    if a.ndim == 0:
        return seeds[0]
    out = np.empty(len(seeds), dtype=object)
    out[:] = seeds
    return out.reshape(a.shape)


# --------------------------------------------------------------------------
# The source's search (000, section 8.3)
# --------------------------------------------------------------------------

_R_REAL_MAX = 1.0 - 2.0 ** -53        # the largest float below 1
_COARSE_R = (0.1, 0.3, 0.5, 0.7, 0.9)
_COARSE_THETA = (0.0, math.pi / 2, math.pi, 3 * math.pi / 2)


def _g_real(r, log2_c, eps, d_r):
    """g (or g') at real r and its derivative in r, float64."""
    c = 2.0 ** log2_c
    e = eps / 2.0 ** 64
    q = 1.0 + e * r
    x = r / q
    dx = 1.0 / (q * q)                 # dx/dr = (1 - e x)**2
    u = 1.0 + c * x * x
    G = 2.0 * x / u
    G1 = 2.0 * (1.0 - c * x * x) / (u * u)
    if d_r == 0:
        return G, G1 * dx
    G2 = 4.0 * c * x * (c * x * x - 3.0) / (u * u * u)
    return G1 * dx, (G2 * dx - 2.0 * e * G1 / q) * dx


class _Objective:
    """The source's objective, sum_ij (W_ij - f(r, theta, i, j))**2 / mn,
    evaluated as written (O(mn) per point) with Phi correctly rounded."""

    def __init__(self, a, phi, combo):
        self.a, self.phi, self.combo = a, phi, combo
        self.evaluations = 0

    def loss(self, r, th):
        self.evaluations += 1
        g, _ = _g_real(r, *self.combo)
        res = self.a - (g * math.sin(th)) * self.phi
        return float(np.mean(res * res))

    def grad(self, r, th):
        self.evaluations += 1
        g, dg = _g_real(r, *self.combo)
        s, c = math.sin(th), math.cos(th)
        res = self.a - (g * s) * self.phi
        m = float(np.mean(res * self.phi))
        return -2.0 * dg * s * m, -2.0 * g * c * m


def _descend(obj, r, th, loss, p):
    """Gradient descent with Armijo backtracking from step 1 until
    ||grad|| < grad_tol, a loss change < loss_tol, or max_iter steps."""
    for _ in range(p["max_iter"]):
        gr, gt = obj.grad(r, th)
        norm2 = gr * gr + gt * gt
        if math.sqrt(norm2) < p["grad_tol"]:
            break
        step = 1.0
        while step > 2.0 ** -40:
            nr = min(max(r - step * gr, 0.0), _R_REAL_MAX)
            nt = th - step * gt
            nl = obj.loss(nr, nt)
            if nl <= loss - 1e-4 * step * norm2:
                break
            step *= 0.5
        else:
            break
        change = loss - nl
        r, th, loss = nr, nt, nl
        if change < p["loss_tol"]:
            break
    return r, th % (2 * math.pi), loss


def _source_search(a, phi, opts, p, rng, progress):
    combos = _combos(opts)
    best = None
    trace = []
    evaluations = 0
    starts = [(math.sqrt(u), 2 * math.pi * v)
              for u, v in rng.random((p["starts"], 2)).tolist()]
    work = len(combos) * (p["starts"] + 1) * p["max_iter"] * a.size
    bar = tqdm(total=len(combos) * (p["starts"] + 1), desc="source search",
               disable=not _show_progress(progress, work), leave=False)
    with bar:
        for combo in combos:
            obj = _Objective(a, phi, combo)
            grid = [(obj.loss(r, th), r, th) for r in _COARSE_R for th in _COARSE_THETA]
            L, r, th = min(grid)
            trace.append(("grid", combo, r, th, L))
            for k in range(1, p["levels"] + 1):
                dr, dth = 0.999 / 2 ** k, 2 * math.pi / (4 * 2 ** k)
                for i in (-1, 0, 1):
                    for j in (-1, 0, 1):
                        if i == j == 0:
                            continue
                        cr = min(max(r + i * dr, 0.0), _R_REAL_MAX)
                        ct = th + j * dth
                        cl = obj.loss(cr, ct)
                        if cl < L:
                            L, r, th = cl, cr, ct
                trace.append((f"level {k}", combo, r, th, L))
            for stage, (r0, t0) in [("refine", (r, th))] + [
                    (f"start {s}", st) for s, st in enumerate(starts)]:
                res = _descend(obj, r0, t0, obj.loss(r0, t0), p)
                trace.append((stage, combo, res[0], res[1], res[2]))
                if best is None or res[2] < best[0]:
                    best = (res[2], combo, res[0], res[1])
                bar.update()
            evaluations += obj.evaluations
    return best, tuple(trace), evaluations


def _round_source(best, opts, seed_format):
    _, (log2_c, eps, d_r), r, th = best
    if seed_format == "seed64":
        f = packing.unpack_seed64(packing.seed64_from_float(r, th))
        T, rot, d_theta = _smallest_T((f.theta,), _shift_choices(opts, _TB), _TB)
        return Seed(f.r << 44, T << 40, log2_c=log2_c, d_r=d_r, rot=rot,
                    d_theta=d_theta)
    T, rot, d_theta = _smallest_T((packing.turns(th),), _shift_choices(opts, 64), 64)
    return Seed(packing.to_q64(r), T, log2_c=log2_c, eps=eps, d_r=d_r, rot=rot,
                d_theta=d_theta)


# --------------------------------------------------------------------------
# encode_matrix
# --------------------------------------------------------------------------

def encode_matrix(W, *, seed_format="seed64", method="optimal", log2_c=0, eps=0,
                  d_r=0, rot=0, d_theta=0, rng=None, levels=None, starts=None,
                  max_iter=None, grad_tol=None, loss_tol=None, progress=None,
                  threads=None):
    """The seed whose decoded matrix is nearest W in the least-squares sense.

    Every decoded matrix is ``A * Phi`` with ``Phi[i, j] = phi(i, j)`` and
    the amplitude ``A = g * s`` (docs/transform.md), so the loss is a
    convex quadratic in A, smallest at ``A* = <W, Phi> / ||Phi||**2``.

    Parameters
    ----------
    W : array_like, shape (m, n)
        The weights: floats up to float64 or integers up to 2**53 in
        magnitude, all finite and below 2**480 in magnitude.  Bools are
        rejected (TypeError), not read as 0 and 1.
    seed_format : {"seed64", "q64"}, optional
        ``"seed64"`` (default): the packed 64-bit word of source 002 (20-bit
        r, 24-bit theta fields, the options, eps = 0).  ``"q64"``: R and T
        as 64-bit words plus the options.
    method : {"optimal", "source"}, optional
        ``"optimal"`` (default): the exact nearest amplitude to A*
        (:func:`best_seed_for_amplitude`).  ``"source"``: source 000's
        search (section 8.3) on real (r, theta), rounded to the format.
    log2_c, eps, d_r, rot, d_theta : int, iterable of int or "all", optional
        The option values the encoder may choose from, named as rbe's
        options: an int means that value only (the default: rbe's
        defaults), an iterable any of its values, ``"all"`` the option's
        whole range (not for eps).  rot and d_theta only turn the angle, so
        they never change the best loss, only how T is written.
    rng : numpy.random.Generator or int, optional
        The source's multi-start points; None means
        ``numpy.random.default_rng(DEFAULT_RNG_SEED)``.
    levels, starts, max_iter, grad_tol, loss_tol : optional
        The source's search parameters (:data:`SOURCE_DEFAULTS` for None):
        refinement levels after the coarse grid, random starting points,
        gradient steps per start, and the stopping rules ``||grad|| <
        grad_tol`` or a loss decrease ``< loss_tol``.
    progress : bool or None, optional
        A tqdm progress bar on stderr; None means on for large searches
        when stderr is a terminal.
    threads : int or None, optional
        Threads of the seed64 search and of the decode (the results do not
        depend on it).

    Returns
    -------
    EncodeResult

    Raises
    ------
    TypeError
        W is not real numbers (bool, complex, str, object) or is a masked
        array, an option or rng has a wrong type.
    ValueError
        W is not 2-d, is empty, holds NaN, inf, or too large entries; an
        unknown seed_format or method; an option out of range; eps != 0
        with seed64.

    Examples
    --------
    A matrix of the family is recovered with its seed:

    >>> from poincare_q64 import pack_seed64
    >>> from poincare_q64.transform import decode_seed64
    >>> word = pack_seed64(1 << 19, 1 << 21)         # r = 1/2, theta = pi/4
    >>> W = decode_seed64(word, 3, 4, dtype="float64")
    >>> res = encode_matrix(W)
    >>> res.word == word, res.loss
    (True, 0.0)
    >>> encode_matrix(W, method="source").loss >= res.loss
    True
    """
    func = "encode_matrix"
    a = check_matrix(func, W)
    opts = allowed_options(func, log2_c=log2_c, eps=eps, d_r=d_r, rot=rot,
                           d_theta=d_theta)
    check_format(func, seed_format, opts)
    _check_method(func, method)
    nthreads = _api.resolve_threads(func, threads)
    m, n = a.shape
    phi, norm = _phi_and_norm(m, n)
    trace, evaluations = (), 0
    if method == "optimal":
        target = _exact_dot(a, phi) / norm
        if seed_format == "seed64":
            seed = _best_seed64_many([target], opts, progress, nthreads)[0]
        else:
            seed = _best_q64(target, opts)
    else:
        p = dict(SOURCE_DEFAULTS)
        for name, v in dict(levels=levels, starts=starts, max_iter=max_iter,
                            grad_tol=grad_tol, loss_tol=loss_tol).items():
            if v is not None:
                p[name] = v
        _check_source_params(func, p)
        if rng is None:
            rng = np.random.default_rng(DEFAULT_RNG_SEED)
        elif _api._is_integer(rng):
            rng = np.random.default_rng(int(rng))
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"{func}: rng must be a numpy.random.Generator or "
                            f"an int, got {type(rng).__name__}")
        best, trace, evaluations = _source_search(a, phi, opts, p, rng, progress)
        g, _ = _g_real(best[2], *best[1])
        target = g * math.sin(best[3])
        seed = _round_source(best, opts, seed_format)
    w_hat = decode_matrix(seed.R, seed.T, m, n, dtype=np.float64,
                          threads=nthreads, **seed.options())
    bits = seed_bits(seed_format, **opts)
    met = metrics(a, w_hat, stored_bits=bits)
    return EncodeResult(seed, seed.word, (m, n), met["mse"], met,
                        seed_format=seed_format, method=method, target=target,
                        amplitude=amplitude(seed), evaluations=evaluations,
                        trace=trace)


def _check_source_params(func, p):
    for name in ("levels", "starts", "max_iter"):
        v = p[name]
        if not _api._is_integer(v):
            raise TypeError(f"{func}: {name} must be an int, got {type(v).__name__}")
        if v < 0:
            raise ValueError(f"{func}: {name} = {v} must be >= 0")
    for name in ("grad_tol", "loss_tol"):
        v = p[name]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
            raise TypeError(f"{func}: {name} must be a real number, got {type(v).__name__}")
        if not (v >= 0 and math.isfinite(v)):
            raise ValueError(f"{func}: {name} = {_api.show(v)} must be finite and >= 0")

