"""Inputs of the value functions: hard cases, random draws, hash preimages.

One home for the inputs that ``selfcheck``, ``gen``, the test suite and the
validation campaign evaluate, so that all of them visit the same hard places
and a seed means the same inputs everywhere.  Nothing here evaluates a
function.  An input is a tuple of ints in the function's input order
(:data:`poincare_q64.registry.ORDER`; ``FUNCTIONS[name].inputs``).

Random inputs
-------------
:class:`RandomBits` is built only on :meth:`random.Random.random`, the one
method whose sequence Python promises to keep for an integer seed across
versions, so the same seed gives the same inputs (and ``gen`` the same file,
byte for byte) on every Python version and machine.

Hard inputs
-----------
:func:`hard_inputs` lists the fixed hard cases of each function: the ends of
every range and their neighbours, quarter turns (s exact) and their
neighbours, index pairs whose hash makes phi exact (H a multiple of 2**30)
or puts it next to an exact value, every option value, exact ties (c = 4,
r = 1/2 gives g = 1/2) and results so small that float32 underflows.
docs/vectors.md lists them.

Hash preimages
--------------
:func:`index_for_hash` inverts MurmurHash3 (for a fixed j every step of the
8-byte hash is a bijection of the 32-bit state), which is how the hard cases
reach the hash values that random indices hit once in 2**30.
"""
import itertools
import random

import numpy as np

from poincare_q64.registry import SEED64_FIELDS, function

__all__ = ["RandomBits", "index_for_hash", "quarter_hash_pairs",
           "random_input", "random_seed_fields", "hard_inputs",
           "rejected_inputs", "pack_fields", "MAX_SIDE", "HARD_R", "HARD_EPS",
           "QUARTER_T", "HARD_T", "HARD_IJ", "EDGE_IJ"]

TWO32 = 1 << 32
TWO62 = 1 << 62
TWO64 = 1 << 64
U32_MAX = TWO32 - 1
U64_MAX = TWO64 - 1


# --------------------------------------------------------------------------
# Random inputs
# --------------------------------------------------------------------------

class RandomBits:
    """Deterministic random integers from a seed.

    Built only on :meth:`random.Random.random`, whose output sequence for an
    integer seed Python promises to keep across versions; each call gives a
    multiple of 2^-53 exactly, i.e. 53 random bits.

    Parameters
    ----------
    seed : int
        Any nonnegative integer.

    Examples
    --------
    >>> a, b = RandomBits(7), RandomBits(7)
    >>> [a.bits(64) for _ in range(3)] == [b.bits(64) for _ in range(3)]
    True
    >>> 0 <= RandomBits(1).below(10) < 10
    True
    """

    def __init__(self, seed):
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self._random = random.Random(seed).random

    def bits(self, n):
        """A uniform integer in [0, 2^n)."""
        out, have = 0, 0
        while have < n:
            out = (out << 53) | int(self._random() * (1 << 53))
            have += 53
        return out >> (have - n)

    def below(self, n):
        """An integer in [0, n) (bias below 2^-60: irrelevant for tests)."""
        return (self.bits(64) * n) >> 64

    def uniform(self, lo, hi):
        """A float in [lo, hi), as :meth:`random.Random.uniform` draws it."""
        return lo + (hi - lo) * self._random()

    def random(self):
        """A float in [0, 1): :meth:`random.Random.random` itself."""
        return self._random()


def _u64(b):
    """A 64-bit input biased towards the places where rounding is hard."""
    k = b.below(10)
    if k < 5:
        return b.bits(64)
    if k < 8:  # log-uniform magnitude: tiny radii and angles
        return b.bits(b.below(65))
    return U64_MAX - b.bits(b.below(65))  # just below 2^64


def _angle(b):
    if b.below(10) < 3:  # near a quarter turn, on either side
        d = b.bits(b.below(41))
        return ((b.below(4) << 62) + (d if b.below(2) else -d)) % TWO64
    return _u64(b)


def _index(b):
    k = b.below(10)
    if k < 8:
        return b.bits(32)
    if k < 9:
        return b.bits(b.below(33))
    return (0, 1, U32_MAX)[b.below(3)]


def _eps(b):
    return 0 if b.below(2) else _u64(b)


def pack_fields(r, theta, basis, d_theta, d_r, rot, log2_c, reserved):
    """The seed word of the given fields, for making inputs.

    Independent of both the API and the reference on purpose: the packed
    words are inputs here, and pack_seed64 itself is checked separately.
    Every field is taken modulo its width (so a negative log2_c becomes its
    two's-complement bits); the caller passes fields in range.

    Examples
    --------
    >>> hex(pack_fields(1, 0, 0, 0, 0, 0, -1, 0))
    '0x1000000001c0'
    """
    values = dict(r=r, theta=theta, basis=basis, d_theta=d_theta, d_r=d_r,
                  rot=rot, log2_c=log2_c, reserved=reserved)
    word = 0
    for f in SEED64_FIELDS:
        word = (word << f.width) | (values[f.name] % (1 << f.width))
    return word


def _seed_word(b):
    theta = b.bits(24)
    if b.below(10) < 3:  # a quarter turn of the seed's angle, or next to it
        theta = ((b.below(4) << 22) + b.below(3) - 1) % (1 << 24)
    return pack_fields(r=b.bits(20), theta=theta, basis=0,
                       d_theta=b.below(4), d_r=b.below(2), rot=b.below(16),
                       log2_c=b.below(8) - 4, reserved=b.bits(6))


#: Largest side of a random matrix shape, by level (``gen --level``).
MAX_SIDE = {1: 64, 2: 1024}


def _side(b, level):
    """A matrix side in [1, MAX_SIDE[level]], log-uniform: mostly small
    (cheap to check, many of them), sometimes the largest."""
    top = MAX_SIDE[level].bit_length() - 1
    return min(1 + b.bits(b.below(top + 1)), MAX_SIDE[level])


def random_input(name, b, level=1):
    """One random input tuple of the function ``name`` (registry or vector
    name), drawn from the :class:`RandomBits` ``b``.

    ``level`` (1 or 2) bounds the shape of a matrix function's input
    (:data:`MAX_SIDE`); the value functions ignore it.

    Examples
    --------
    >>> len(random_input("rbe", RandomBits(0)))
    9
    >>> random_input("seed64", RandomBits(5)) == random_input("rbe_seed64", RandomBits(5))
    True
    >>> R, T, m, n, *options = random_input("decode_matrix", RandomBits(3))
    >>> 1 <= m <= 64 and 1 <= n <= 64
    True
    """
    name = function(name).name
    if name == "decode_matrix":
        R, T, _, _, *options = random_input("rbe", b)
        return (R, T, _side(b, level), _side(b, level), *options)
    if name == "decode_seed64":
        word, _, _, eps = random_input("rbe_seed64", b)
        return (word, _side(b, level), _side(b, level), eps)
    if name == "radial":
        return (_u64(b), b.below(8) - 4, _eps(b), b.below(2))
    if name == "angular":
        return (_angle(b), b.below(16), b.below(4))
    if name in ("spatial_hash", "modulation"):
        return (_index(b), _index(b))
    if name in ("rbe", "rbe_pipeline"):
        return (_u64(b), _angle(b), _index(b), _index(b), b.below(8) - 4,
                _eps(b), b.below(2), b.below(16), b.below(4))
    if name == "rbe_seed64":
        return (_seed_word(b), _index(b), _index(b), _eps(b))
    raise ValueError(f"no random inputs for {name!r}")


def random_seed_fields(b, basis=0):
    """Random seed fields (a dict, every field in range), three in ten of them
    with theta on or next to a quarter turn."""
    fields = {f.name: f.lo + b.below(1 << f.width) for f in SEED64_FIELDS}
    if b.below(10) < 3:
        fields["theta"] = ((b.below(4) << 22) + b.below(3) - 1) % (1 << 24)
    fields["basis"] = basis
    return fields


# --------------------------------------------------------------------------
# Hash preimages
# --------------------------------------------------------------------------

def index_for_hash(H, j):
    """The index i with MurmurHash3_x86_32(LE32(i) || LE32(j), 0) == H.

    For a fixed j every step of the 8-byte hash is a bijection of the 32-bit
    state, so it runs backwards: undo the final mix, the length, block 2
    (j, known) and block 1 (i).  ``H`` and ``j`` are ints (an int is
    returned) or arrays (a uint32 array of their broadcast shape).  Callers
    confirm the result with a hash of their own.

    Examples
    --------
    >>> from poincare_q64 import reference
    >>> i = index_for_hash(1 << 30, 12345)
    >>> reference.spatial_hash(i, 12345) == 1 << 30
    True
    >>> index_for_hash([0, 1], 7).tolist() == [index_for_hash(0, 7), index_for_hash(1, 7)]
    True
    """
    def inv(c):  # odd constants are invertible modulo 2^32
        return np.uint32(pow(c, -1, TWO32))

    def rotr(x, n):
        return (x >> np.uint32(n)) | (x << np.uint32(32 - n))

    scalar = np.ndim(H) == 0 and np.ndim(j) == 0
    h = np.array(H, dtype=np.uint32, ndmin=1)
    jj = np.asarray(j, dtype=np.uint32)
    with np.errstate(over="ignore"):
        h ^= h >> np.uint32(16)                   # fmix, backwards
        h *= inv(0xC2B2AE35)
        h ^= (h >> np.uint32(13)) ^ (h >> np.uint32(26))
        h *= inv(0x85EBCA6B)
        h ^= h >> np.uint32(16)
        h ^= np.uint32(8)                         # the length
        k2 = rotr(jj * np.uint32(0xCC9E2D51), 17) * np.uint32(0x1B873593)
        h = rotr((h - np.uint32(0xE6546B64)) * inv(5), 13) ^ k2   # block j
        k1 = rotr((h - np.uint32(0xE6546B64)) * inv(5), 13)       # block i
        i = rotr(k1 * inv(0x1B873593), 15) * inv(0xCC9E2D51)
    if scalar:
        return int(i[0])
    return i.reshape(np.broadcast_shapes(np.shape(H), np.shape(j)))


def quarter_hash_pairs():
    """{H: (i, j)} for H = k 2^30 and k 2^30 +- 1 (phi exact or next to it),
    each confirmed with the reference's hash.

    Examples
    --------
    >>> sorted(quarter_hash_pairs())[:3]
    [0, 1, 1073741823]
    """
    from poincare_q64 import reference
    pairs = {}
    for k in range(4):
        for d in (-1, 0, 1):
            H = ((k << 30) + d) % TWO32
            j = 12345 + k
            i = index_for_hash(H, j)
            if reference.spatial_hash(i, j) != H:  # cannot happen; be loud
                raise AssertionError(f"hash inversion failed for H={H:#x}")
            pairs[H] = (i, j)
    return pairs


# --------------------------------------------------------------------------
# Hard inputs
# --------------------------------------------------------------------------

#: Radii: the ends of [0, 2^64), the middle, a quarter and their neighbours.
HARD_R = (0, 1, 2, 1 << 32, TWO62, (1 << 63) - 1, 1 << 63, (1 << 63) + 1,
          TWO64 - 2, U64_MAX)
#: Regularisations: none, the smallest, the middle, the largest.
HARD_EPS = (0, 1, 1 << 63, U64_MAX)
#: Every quarter turn k 2^62 and its neighbours +-1.
QUARTER_T = tuple(sorted({((k << 62) + d) % TWO64 for k in range(4)
                          for d in (-1, 0, 1)}))
#: Angles: the quarter turns and their neighbours at +-1, +-2, +-2^20, and
#: the stage-1 table points (multiples of 2^53) next to a quarter turn.
HARD_T = tuple(sorted({(k * TWO62 + d) % TWO64 for k in range(4)
                       for d in (0, 1, -1, 2, -2, 2**20, -(2**20))}
                      | {2**53, 2**53 + 1, 2**61, 2**61 + 1, TWO62 - 2**53}))
#: Indices: the ends of [0, 2^32) and the middle.
HARD_IJ = (0, 1, 1 << 31, U32_MAX - 1, U32_MAX)
#: Index pairs at the corners of the index square.
EDGE_IJ = ((0, 0), (0, U32_MAX), (U32_MAX, 0), (U32_MAX, U32_MAX), (1, 0),
           (0, 1))


def _hard_decode_matrix(level):
    """Seeds and shapes of decode_matrix: (R, T, m, n, log2_c, eps, d_r,
    rot, d_theta)."""
    q = [k << 62 for k in range(4)]
    out = [
        # s exact (+-1 through T, rot and d_theta), phi irrational: f = g s phi
        (1 << 63, q[1], 4, 5, 0, 0, 0, 0, 0),
        (1 << 63, q[3], 3, 7, 0, 0, 0, 0, 0),
        (1 << 63, 0, 2, 9, 0, 0, 0, 0, 1),
        (1 << 63, 1 << 60, 3, 4, 0, 0, 0, 3, 0),    # 1/16 + 3/16 turn
        # s = 0: the all-zero matrix (+0.0 in the floats)
        (1 << 63, q[2], 3, 3, 0, 0, 0, 0, 0),
        (1 << 63, q[1], 2, 3, 0, 0, 0, 4, 0),       # rot 4: a half turn
        # g = 0 (R = 0), and g' = 2 at R = 0: |f| = 2 phi in [1.8, 2.2]
        # overflows int64 at frac 62 for some elements, at frac 64 for all
        (0, 1 << 61, 3, 3, 0, 0, 0, 0, 0),
        (0, q[1], 4, 5, 0, 0, 1, 0, 0),
        (0, q[3], 2, 6, -4, HARD_EPS[3], 1, 0, 0),
        (0, q[1], 1, 1, 0, 0, 1, 0, 0),
        # |f| near 1 and the quarter turns' neighbours
        (U64_MAX, q[1] - 1, 4, 4, -4, 0, 0, 0, 0),
        ((1 << 63) + 1, q[1] + 1, 3, 5, 2, 0, 0, 0, 0),
        (1 << 63, q[1], 3, 4, 2, 0, 1, 0, 2),       # g' = 0: all zero
        # tiny results: g s about 2^-124 (float32 normal, barely), g' about
        # 2^-131 (float32 subnormal) and g' s about 2^-190 (+-0.0)
        (1, 1, 3, 4, 0, 0, 0, 0, 0),
        (1, U64_MAX, 3, 4, 0, 0, 0, 0, 2),
        (U64_MAX, q[1], 3, 3, 2, U64_MAX, 1, 0, 0),
        (U64_MAX, q[3] + 7, 2, 3, 2, U64_MAX, 1, 0, 0),
        (U64_MAX, 1, 2, 2, 2, U64_MAX, 1, 0, 0),
        (U64_MAX, 5, 4, 4, 3, 0, 1, 0, 0),
        (12345 << 44, 1 << 40, 5, 3, 0, U64_MAX, 0, 15, 3),
        # shapes: a single element, a row and a column, rows that end just
        # before, at and after a 64-element SIMD block
        (1 << 62, 3 << 60, 1, 1, -1, 1, 0, 0, 0),
        (1 << 62, 3 << 60, 1, 64, -1, 1, 0, 0, 0),
        (1 << 62, 3 << 60, 64, 1, 1, 1 << 63, 0, 0, 1),
        (0xDEADBEEF << 32, 0x123456789ABCDEF0, 2, 63, 3, 0, 0, 9, 0),
        (0xDEADBEEF << 32, 0x123456789ABCDEF0, 1, 65, -3, 0, 1, 9, 3),
    ]
    if level == 2:
        out += [(0xCAFEF00D << 32, 0x0FEDCBA987654321, 256, 256, -2, 5, 0, 2, 1),
                (U64_MAX - 1, q[1] + 3, 1, 4096, 1, 0, 0, 0, 0),
                (0, q[1], 1000, 3, 0, 0, 1, 0, 0),
                (1 << 63, 1 << 61, 1024, 1024, 0, 0, 0, 0, 0)]
    return out


def _hard_decode_seed64(level):
    """Seed words and shapes of decode_seed64: (word, m, n, eps)."""
    def word(r, theta, **kw):
        fields = dict(basis=0, d_theta=0, d_r=0, rot=0, log2_c=0, reserved=0)
        fields.update(kw)
        return pack_fields(r=r, theta=theta, **fields)

    out = [
        (word(1 << 19, 1 << 22), 4, 5, 0),                    # s = 1
        (word(1 << 19, 3 << 22, reserved=63), 3, 7, 0),       # s = -1
        (word(1 << 19, 0, d_theta=1), 2, 9, 0),               # cos 0 = 1
        (word(1 << 19, 1 << 23), 3, 3, 0),                    # s = 0
        (word(0, 1 << 22), 3, 3, HARD_EPS[1]),                # g = 0
        (word(0, 1 << 22, d_r=1), 4, 5, 0),                   # g' = 2: overflow
        (word(0, 3 << 22, d_r=1, log2_c=-4), 2, 6, HARD_EPS[3]),
        (word(1, 1), 3, 4, 0),                                # tiny
        (word(1, (1 << 24) - 1, d_theta=2, rot=15), 3, 4, HARD_EPS[2]),
        (word((1 << 20) - 1, (1 << 22) - 1, log2_c=3, d_r=1), 4, 4, HARD_EPS[3]),
        (word((1 << 20) - 1, (1 << 22) + 1, log2_c=-4), 4, 4, 0),
        (word(0x12345, 0xABCDEF, d_theta=3, d_r=1, rot=7, log2_c=-2,
              reserved=42), 1, 65, 1 << 63),
        (word(0x54321, 0x0FEDCB, rot=1, log2_c=1), 64, 1, 0),
    ]
    if level == 2:
        out += [(word(0x7FFFF, 0x800001, log2_c=2), 256, 256, 7),
                (word(0, 1 << 22, d_r=1), 1000, 3, 0)]
    return out


def hard_inputs(name, level=1):
    """The fixed hard inputs of the function ``name`` (a list of tuples).

    ``level`` 2 adds larger shapes to a matrix function's inputs; the value
    functions ignore it.

    Examples
    --------
    >>> {v[1] for v in hard_inputs("radial")} == set(range(-4, 4))
    True
    >>> max(max(v[2], v[3]) for v in hard_inputs("decode_matrix"))
    65
    """
    name = function(name).name
    if name == "decode_matrix":
        return _hard_decode_matrix(level)
    if name == "decode_seed64":
        return _hard_decode_seed64(level)
    if name == "radial":
        out = []
        for k, R in enumerate(HARD_R):
            for n, (log2_c, d_r) in enumerate(itertools.product(range(-4, 4),
                                                                (0, 1))):
                out.append((R, log2_c, HARD_EPS[(n + k) % 4], d_r))
        # g = 1/2 exactly (a tie at frac 0) and g' = 0; g' about 2^-131
        # (1 - 4 r~^2 = (2D - 1)/D^2 with D = 2^128 + eps R).
        out += [(1 << 63, 2, 0, 0), (1 << 63, 2, 0, 1),
                (U64_MAX, 2, U64_MAX, 1), (U64_MAX, 3, 0, 1)]
        return out
    if name == "angular":
        out = [(T, 0, d) for T in QUARTER_T + (2, 1 << 60, (1 << 60) - 1,
                                               1 << 61)
               for d in range(4)]
        out += [(T, rot, rot % 4) for rot in range(16)
                for T in (0, 1, U64_MAX)]
        return out
    pairs = quarter_hash_pairs()
    exact_ij = [pairs[q << 30] for q in range(4)]
    near_ij = [pairs[h] for h in sorted(pairs) if h % (1 << 30)]
    if name in ("spatial_hash", "modulation"):
        ends = (0, 1, 1 << 31, U32_MAX)
        return [(i, j) for i in ends for j in ends] + exact_ij + near_ij
    if name in ("rbe", "rbe_pipeline"):
        ijs = list(EDGE_IJ[:4]) + exact_ij + near_ij[:2]
        out = []
        n = 0
        for R in (0, 1, 1 << 63, U64_MAX):
            for T in QUARTER_T:
                for _ in range(2):
                    i, j = ijs[n % len(ijs)]
                    # Cycle the options so that every value of each meets
                    # many (R, T, i, j); rot = 7n mod 16 takes all 16 values,
                    # a quarter of them keeping T' on a quarter turn.
                    out.append((R, T, i, j, n % 8 - 4,
                                HARD_EPS[(n // 3) % 4], (n // 8) % 2,
                                (7 * n) % 16, (n // 16) % 4))
                    n += 1
        # Exact cases: g = 1/2, s = +-1, phi in {1, 11/10, 1, 9/10}: f is
        # +-1/2 (a tie at frac 0) or a non-dyadic rational; g' = 0 there.
        for T in (1 << 62, 3 << 62):
            for q, (i, j) in enumerate(exact_ij):
                out.append((1 << 63, T, i, j, 2, 0, q % 2, 0, 0))
        # Tiny values: g' about 2^-131 times a small s; float32 results are
        # subnormal or underflow to +-0.0.
        for T in (1, U64_MAX, TWO62 - 1, (1 << 63) + (1 << 30)):
            out.append((U64_MAX, T, 0, 0, 2, U64_MAX, 1, 0, 0))
        return out
    if name == "rbe_seed64":
        ijs = list(EDGE_IJ) + exact_ij
        out = []
        n = 0
        for r in (0, 1, 1 << 19, (1 << 20) - 1):
            for theta in (0, 1, (1 << 22) - 1, 1 << 22, (1 << 22) + 1,
                          1 << 23, 3 << 22, (1 << 24) - 1):
                for _ in range(2):
                    word = pack_fields(r=r, theta=theta, basis=0,
                                       d_theta=(n // 3) % 4, d_r=n % 2,
                                       rot=(5 * n) % 16, log2_c=n % 8 - 4,
                                       reserved=(7 * n) % 64)
                    i, j = ijs[n % len(ijs)]
                    out.append((word, i, j, HARD_EPS[(n // 2) % 4]))
                    n += 1
        return out
    raise ValueError(f"no hard inputs for {name!r}")


def rejected_inputs(name):
    """Inputs in every field's range that the function must still refuse
    (ValueError): seed words whose basis field is not 0 (only the sine basis
    is defined), for rbe_seed64 and decode_seed64.  Empty for the other
    functions.

    Examples
    --------
    >>> len(rejected_inputs("rbe_seed64")), rejected_inputs("rbe")
    (3, [])
    """
    name = function(name).name
    if name not in ("rbe_seed64", "decode_seed64"):
        return []
    # i, j = 5, 7 for rbe_seed64; a 2 x 3 matrix for decode_seed64
    ij = (5, 7) if name == "rbe_seed64" else (2, 3)
    return [(pack_fields(r=1 << 19, theta=1 << 22, basis=basis, d_theta=0,
                         d_r=0, rot=0, log2_c=0, reserved=0), *ij, 0)
            for basis in (1, 10, 15)]

