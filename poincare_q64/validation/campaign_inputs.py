"""The campaign's families: their element spaces and the inputs of each element.

An element is one index into a family (poincare_q64/validation/campaign.py's docstring
describes the four families); :func:`make_inputs` turns indices into input
arrays, and the inputs of an element depend only on (seed, family, index),
never on how the family is cut into chunks or spread over machines.  The
random draws come from :class:`Draws`, a splitmix64 counter: the same seed
gives the same inputs on every numpy and every machine.
"""
import math

import numpy as np

from poincare_q64 import vectors as V

FAMILIES = ("radial", "angular", "phi", "random")
FUNCTION = {"radial": "radial", "angular": "angular", "phi": "modulation",
            "random": "rbe"}
DEFAULT_N = {"radial": 1 << 22, "random": 10 ** 8}
M64 = (1 << 64) - 1

# The 64 (rot, d_theta) pairs, (0, 0) first.
COMBOS = [(rot, dt) for dt in range(4) for rot in range(16)]


def family_size(family, n):
    """Number of elements of a family.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`.
    n : int
        The random elements (``--n``): random-eps radial cases after the
        grid (radial), or all of the random family; ignored by the sweeps.

    Returns
    -------
    int

    Examples
    --------
    >>> family_size("angular", 5), family_size("radial", 5) - (1 << 24)
    (16777216, 5)
    """
    if family == "radial":
        return (1 << 24) + n
    if family == "angular":
        return 1 << 24
    if family == "phi":
        return 1 << 32
    return n


def _mix64(x):
    """splitmix64's finaliser on a uint64 array (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class Draws:
    """Deterministic random uint64 words per element index.

    Word number s (the s-th call of :meth:`u64`) of element m is
    splitmix64(m ^ splitmix64(base + s K)) with base from (seed, family):
    the inputs of element m depend only on (seed, family, m), not on the
    chunking.  Committed reports name their seed, so this must never change.

    Parameters
    ----------
    seed : int
    family : str
        One of :data:`FAMILIES`.
    m : array_like of uint64
        Element indices.

    Examples
    --------
    >>> a = Draws(2024, "random", [0, 1, 2]).u64()
    >>> b = Draws(2024, "random", [2]).u64()
    >>> int(a[2]) == int(b[0])
    True
    """

    def __init__(self, seed, family, m):
        base = (seed * 0x100000001B3 + FAMILIES.index(family) + 1) & M64
        self.m = np.asarray(m, dtype=np.uint64)
        self.base = np.uint64(base)
        self.stream = 0

    def u64(self):
        """The next uniform word of every element (uint64 array)."""
        self.stream += 1
        key = _mix64(np.full(1, self.base, np.uint64)
                     + np.uint64(self.stream * 0x632BE59BD9B4E019 & M64))
        return _mix64(self.m ^ key)

    def below(self, k):
        """The next word of every element reduced modulo ``k`` (int64; the
        bias, below k 2^-64, is irrelevant here)."""
        return (self.u64() % np.uint64(k)).astype(np.int64)


# floor(2^64 / sqrt(c)) for c = 2^log2_c > 1: where g' = 0 when eps = 0
_ZERO_OF_G1 = np.array([math.isqrt((1 << 128) >> k) if k > 0 else 0
                        for k in range(-4, 4)], dtype=np.uint64)


def _draw_R(dr, log2_c):
    """R: uniform words, seed-grid radii, tiny and near-1 radii, and radii
    next to the zero of g' (c r^2 = 1, c > 1)."""
    u = dr.u64()
    sel = dr.below(8)
    shift = dr.below(64).astype(np.uint64)
    R = u.copy()
    R = np.where(sel == 4, (u >> np.uint64(44)) << np.uint64(44), R)
    R = np.where(sel == 5, u >> shift, R)
    R = np.where(sel == 6, np.uint64(M64) - (u >> shift), R)
    mag = dr.u64() >> (np.uint64(24) + shift % np.uint64(40))  # < 2^40
    near = np.where(dr.below(2) == 1, _ZERO_OF_G1[log2_c + 4] + mag,
                    _ZERO_OF_G1[log2_c + 4] - mag)
    R = np.where((sel == 7) & (log2_c > 0), near, R)
    return R


def _draw_eps(dr, nonzero_only=False):
    """eps with a log-uniform magnitude; half of them 0 unless
    ``nonzero_only``."""
    u = dr.u64()
    shift = dr.below(64).astype(np.uint64)
    eps = u >> shift                          # log-uniform magnitude
    if nonzero_only:
        return np.where(eps == 0, np.uint64(1), eps)
    return np.where(dr.below(2) == 0, np.uint64(0), eps)


def make_inputs(family, idx, seed):
    """Input arrays of the elements ``idx`` of a family.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`.
    idx : array_like of uint64
        Element indices, each below :func:`family_size`.
    seed : int
        Used by the random elements only (random-eps radial and random).

    Returns
    -------
    dict of str to ndarray
        The inputs of :data:`FUNCTION` [family], named as in
        :data:`poincare_q64.vectors.INPUTS`, with the API's dtypes.

    Examples
    --------
    >>> inp = make_inputs("radial", [1, (1 << 20) + 1], 2024)
    >>> [int(R) >> 44 for R in inp["R"]], inp["log2_c"].tolist(), inp["d_r"].tolist()
    ([1, 1], [-4, -4], [0, 1])
    >>> make_inputs("phi", [7], 2024)["j"].tolist()
    [7]
    """
    idx = np.asarray(idx, dtype=np.uint64)
    n = idx.shape[0]
    if family == "radial":
        grid = idx < np.uint64(1 << 24)
        combo = (idx >> np.uint64(20)).astype(np.int64)
        R = (idx & np.uint64(0xFFFFF)) << np.uint64(44)
        log2_c = ((combo >> 1) - 4).astype(np.int8)
        d_r = (combo & 1).astype(np.int8)
        eps = np.zeros(n, np.uint64)
        if not grid.all():
            dr = Draws(seed, family, idx - np.uint64(1 << 24))
            rc = (dr.below(8) - 4).astype(np.int8)
            rd = dr.below(2).astype(np.int8)
            rR = _draw_R(dr, rc)
            re = _draw_eps(dr, nonzero_only=True)
            log2_c = np.where(grid, log2_c, rc)
            d_r = np.where(grid, d_r, rd)
            R = np.where(grid, R, rR)
            eps = np.where(grid, eps, re)
        return dict(R=R, log2_c=log2_c, eps=eps, d_r=d_r)
    if family == "angular":
        return dict(T=idx << np.uint64(40), rot=np.zeros(n, np.int8),
                    d_theta=np.zeros(n, np.int8))
    if family == "phi":
        return dict(i=np.zeros(n, np.uint32), j=idx.astype(np.uint32))
    # random rbe cases
    dr = Draws(seed, family, idx)
    log2_c = (dr.below(8) - 4).astype(np.int8)
    d_r = dr.below(2).astype(np.int8)
    rot = dr.below(16).astype(np.int8)
    d_theta = dr.below(4).astype(np.int8)
    R = _draw_R(dr, log2_c)
    eps = _draw_eps(dr)
    # T: uniform, or T' = q 2^62 +- a small offset (s near 0 or +-1)
    u = dr.u64()
    small = u >> (np.uint64(8) + dr.below(56).astype(np.uint64))
    q = dr.u64() >> np.uint64(62)
    sign = dr.below(2) == 1
    Tp = (q << np.uint64(62)) + np.where(sign, np.uint64(0) - small, small)
    Tp = np.where(dr.below(4) == 0, Tp, dr.u64())
    T = Tp - (rot.astype(np.uint64) << np.uint64(60)) \
        - (d_theta.astype(np.uint64) << np.uint64(62))
    i = (dr.u64() >> np.uint64(32)).astype(np.uint32)
    j = (dr.u64() >> np.uint64(32)).astype(np.uint32)
    return dict(R=R, T=T, i=i, j=j, log2_c=log2_c, eps=eps, d_r=d_r,
                rot=rot, d_theta=d_theta)


def angular_combo_inputs(idx, rot, d_theta):
    """Kernel inputs that reach the angles of the angular elements ``idx``
    through the options (rot, d_theta).

    T' = theta << 40 + rot << 60 + d_theta << 62, so element theta' (T' =
    theta' << 40) is also reached by theta = theta' - rot 2^20 - d_theta
    2^22 (mod 2^24); the oracle's value of T' serves every pair.

    Examples
    --------
    >>> inp = angular_combo_inputs([1 << 20], 1, 0)
    >>> inp["T"].tolist(), inp["rot"].tolist()
    ([0], [1])
    """
    idx = np.asarray(idx, dtype=np.uint64)
    n = idx.shape[0]
    theta = (idx - np.uint64(rot << 20)
             - np.uint64(d_theta << 22)) & np.uint64(0xFFFFFF)
    return dict(T=theta << np.uint64(40), rot=np.full(n, rot, np.int8),
                d_theta=np.full(n, d_theta, np.int8))


def input_tuple(function, inputs, k):
    """Element ``k`` of the input arrays as a tuple of ints in the order of
    :data:`poincare_q64.vectors.INPUTS` [function].

    Examples
    --------
    >>> input_tuple("modulation", make_inputs("phi", [5, 6], 0), 1)
    (0, 6)
    """
    return tuple(int(inputs[name][k]) for name in V.INPUTS[function])


def chunk_indices(spec):
    """Family indices of a chunk: a range, or evenly spread with --sample.

    Parameters
    ----------
    spec : dict
        A chunk of :func:`poincare_q64.validation.campaign_runner.chunk_specs`: ``start``
        and ``stop`` (positions in the run), ``size`` (elements of the
        family) and ``sample`` (None, or the elements of a sampled run).

    Returns
    -------
    ndarray of uint64
        Position k of a sampled run is element floor(k size / sample).

    Examples
    --------
    >>> chunk_indices(dict(start=2, stop=4, size=100, sample=None)).tolist()
    [2, 3]
    >>> chunk_indices(dict(start=2, stop=4, size=100, sample=10)).tolist()
    [20, 30]
    """
    k = np.arange(spec["start"], spec["stop"], dtype=np.uint64)
    if spec.get("sample"):
        size, sample = spec["size"], spec["sample"]
        if size * sample < 1 << 64:      # floor(k size / sample) in uint64
            return k * np.uint64(size) // np.uint64(sample)
        return np.array([(int(x) * size) // sample for x in k],
                        dtype=np.uint64)
    return k

