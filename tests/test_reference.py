"""Tests of the independent reference (poincare_q64.reference).

Every expected value here comes from outside the reference: the ``mmh3``
package and published MurmurHash3 vectors, the seed known answers of source
002, values derived by hand from the formulas, plain mpmath at 300 digits,
Python's own correctly rounded ``float(Fraction)``, numpy's float32 cast of
values exact in float64, and laws of the functions (symmetries, monotonicity).
"""
import random
from fractions import Fraction

import mmh3
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from poincare_q64 import reference as ref
from poincare_q64.inputs import index_for_hash

TWO64 = 2**64
u64 = st.integers(0, TWO64 - 1)
u32 = st.integers(0, 2**32 - 1)
log2_cs = st.integers(-4, 3)
SETTINGS = settings(max_examples=60, deadline=None)


# --------------------------------------------------------------------------
# Outside anchors and helpers
# --------------------------------------------------------------------------

def mmh3_hash(i, j):
    """H(i, j) as the mmh3 package computes it."""
    key = i.to_bytes(4, "little") + j.to_bytes(4, "little")
    return mmh3.hash(key, 0, signed=False)


def indices_with_hash(H, j=12345):
    i = index_for_hash(H, j)
    assert mmh3_hash(i, j) == H  # the construction is checked from outside
    return i, j


def mp_value(R, T, i, j, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0,
             what="rbe"):
    """The exact value from plain mpmath at 300 digits (formulas restated)."""
    with mpmath.workdps(300):
        r = mpmath.mpf(R) / 2**64
        e = mpmath.mpf(eps) / 2**64
        c = mpmath.mpf(2) ** log2_c
        rt = r / (1 + e * r)
        if d_r == 0:
            g = 2 * rt / (1 + c * rt**2)
        else:
            g = 2 * (1 - c * rt**2) / ((1 + c * rt**2) ** 2 * (1 + e * r) ** 2)
        t = (T + rot * 2**60 + d_theta * 2**62) % TWO64
        H = mmh3_hash(i, j)
        # Quarter turns are exact (sin = 0, +-1); mpmath's sin(pi) is not 0.
        if t % 2**62 == 0:
            s = mpmath.mpf((0, 1, 0, -1)[t >> 62])
        else:
            s = mpmath.sin(2 * mpmath.pi * t / mpmath.mpf(2) ** 64)
        if H % 2**30 == 0:
            phi = 1 + mpmath.mpf((0, 1, 0, -1)[H >> 30]) / 10
        else:
            phi = 1 + mpmath.sin(2 * mpmath.pi * H / 2**32) / 10
        return {"rbe": g * s * phi, "angular": s, "modulation": phi}[what]


def mp_round(v, frac):
    """Nearest integer to v * 2^frac, checked to be far from a midpoint."""
    with mpmath.workprec(max(mpmath.mp.prec, 1000)):
        y = v * mpmath.mpf(2) ** frac
        n = int(mpmath.nint(y))
        assert abs(abs(y - n) - mpmath.mpf(1) / 2) > mpmath.mpf(10) ** -250
        return n


def is_nearest_float(x, v, ftype):
    """x (a float of type ftype) is a nearest float to the mpmath value v."""
    x = ftype(x)
    up = np.nextafter(x, ftype(np.inf))
    down = np.nextafter(x, ftype(-np.inf))
    with mpmath.workdps(300):
        d = abs(v - mpmath.mpf(float(x)))
        return (d <= abs(v - mpmath.mpf(float(up)))
                and d <= abs(v - mpmath.mpf(float(down))))


# --------------------------------------------------------------------------
# spatial_hash: MurmurHash3_x86_32
# --------------------------------------------------------------------------

# Published MurmurHash3_x86_32 verification vectors (Wikipedia's table and
# the widely used test table for this function); also checked against mmh3.
PUBLISHED = [
    (b"", 0, 0x00000000),
    (b"", 1, 0x514E28B7),
    (b"", 0xFFFFFFFF, 0x81F16F39),
    (b"\0\0\0\0", 0, 0x2362F9DE),
    (b"\0", 0, 0x514E28B7),
    (b"\0\0", 0, 0x30F4C306),
    (b"\0\0\0", 0, 0x85F0B427),
    (b"\xff\xff\xff\xff", 0, 0x76293B50),
    (b"\x21\x43\x65\x87", 0, 0xF55B516B),
    (b"\x21\x43\x65\x87", 0x5082EDEE, 0x2362F9DE),
    (b"\x21\x43\x65", 0, 0x7E4A8634),
    (b"\x21\x43", 0, 0xA0F7B07A),
    (b"\x21", 0, 0x72661CF4),
    (b"a", 0x9747B28C, 0x7FA09EA6),
    (b"aa", 0x9747B28C, 0x5D211726),
    (b"aaa", 0x9747B28C, 0x283E0130),
    (b"aaaa", 0x9747B28C, 0x5A97808A),
    (b"abc", 0x9747B28C, 0xC84A62DD),
    (b"abcd", 0x9747B28C, 0xF0478627),
    (b"Hello, world!", 0x9747B28C, 0x24884CBA),
    (b"The quick brown fox jumps over the lazy dog", 0x9747B28C, 0x2FA826CD),
    (b"test", 0, 0xBA6BD213),
]


@pytest.mark.parametrize("data, seed, expected", PUBLISHED)
def test_murmurhash_matches_published_vectors(data, seed, expected):
    assert mmh3.hash(data, seed, signed=False) == expected
    assert ref.murmurhash3_x86_32(data, seed) == expected


def test_murmurhash_smhasher_verification_value():
    # SMHasher's VerificationTest: hash keys 0..i-1 (i = 0..255) with seed
    # 256 - i, hash the concatenated little-endian results with seed 0.
    key = bytes(range(256))
    hashes = b"".join(ref.murmurhash3_x86_32(key[:i], 256 - i)
                      .to_bytes(4, "little") for i in range(256))
    assert ref.murmurhash3_x86_32(hashes, 0) == 0xB0F57EE3


EDGE_INDICES = [0, 1, 2, 255, 256, 2**16, 2**31 - 1, 2**31, 2**32 - 2,
                2**32 - 1]


@pytest.mark.parametrize("i", EDGE_INDICES)
def test_spatial_hash_matches_mmh3_on_edges(i):
    for j in EDGE_INDICES:
        assert ref.spatial_hash(i, j) == mmh3_hash(i, j)


def test_spatial_hash_matches_mmh3_on_random_indices():
    rng = random.Random(2024)
    for _ in range(3000):
        i, j = rng.getrandbits(32), rng.getrandbits(32)
        assert ref.spatial_hash(i, j) == mmh3_hash(i, j)


def test_spatial_hash_is_not_symmetric():
    # The byte order LE32(i) || LE32(j) matters: a swapped order would pass
    # symmetric inputs only.
    assert ref.spatial_hash(1, 2) != ref.spatial_hash(2, 1)
    assert ref.spatial_hash(1, 2) == mmh3.hash(b"\1\0\0\0\2\0\0\0", 0,
                                               signed=False)


def test_index_for_hash_constructs_every_quarter_hash():
    for H in (0, 2**30, 2**31, 3 * 2**30, 2**32 - 1):
        for j in (0, 7, 2**32 - 1):
            i, j = indices_with_hash(H, j)
            assert ref.spatial_hash(i, j) == H


# --------------------------------------------------------------------------
# seed64 packing
# --------------------------------------------------------------------------

KNOWN_FIELDS = dict(r=0x7FFFF, theta=0x800000, basis=10, d_theta=3, d_r=1,
                    rot=13, log2_c=-3, reserved=42)


def test_unpack_seed64_known_answer():
    assert ref.unpack_seed64(0x7FFFF800000AFB6A)._asdict() == KNOWN_FIELDS


def test_pack_seed64_known_answer():
    assert ref.pack_seed64(**KNOWN_FIELDS) == 0x7FFFF800000AFB6A


def test_pack_seed64_half_radius_pi_known_answer():
    # r = 0.5 -> field 2^19 = 0x80000; theta = pi -> field 2^23 = 0x800000.
    fields = dict(KNOWN_FIELDS, r=0x80000)
    assert ref.pack_seed64(**fields) == 0x80000800000AFB6A


@pytest.mark.parametrize("bits, value", [(0b000, 0), (0b011, 3), (0b100, -4),
                                         (0b111, -1), (0b101, -3)])
def test_seed64_log2_c_is_twos_complement(bits, value):
    assert ref.unpack_seed64(bits << 6).log2_c == value
    assert ref.pack_seed64(0, 0, log2_c=value) == bits << 6


@SETTINGS
@given(st.tuples(st.integers(0, 2**20 - 1), st.integers(0, 2**24 - 1),
                 st.integers(0, 15), st.integers(0, 3), st.integers(0, 1),
                 st.integers(0, 15), st.integers(-4, 3), st.integers(0, 63)))
def test_seed64_roundtrip_carries_every_field(fields):
    word = ref.pack_seed64(*fields)
    assert 0 <= word < TWO64
    assert tuple(ref.unpack_seed64(word)) == fields


@SETTINGS
@given(u64)
def test_unpack_then_pack_is_identity(word):
    assert ref.pack_seed64(*ref.unpack_seed64(word)) == word


@pytest.mark.parametrize("name, bad", [
    ("r", 2**20), ("theta", 2**24), ("basis", 16), ("d_theta", 4),
    ("d_r", 2), ("rot", -1), ("log2_c", 4), ("log2_c", -5),
    ("reserved", 64)])
def test_pack_seed64_rejects_out_of_range_field(name, bad):
    fields = dict(r=0, theta=0)
    fields[name] = bad
    with pytest.raises(ValueError, match=name):
        ref.pack_seed64(**fields)


def test_rbe_seed64_rejects_nonzero_basis():
    with pytest.raises(ValueError, match="basis"):
        ref.rbe_seed64(0x7FFFF800000AFB6A, 0, 0)


def test_rbe_seed64_expands_fields():
    word = ref.pack_seed64(0x12345, 0xABCDEF, 0, 2, 1, 5, -2, 17)
    got = ref.rbe_seed64(word, 3, 4, eps=99, frac=64, dtype=object)
    want = ref.rbe(0x12345 << 44, 0xABCDEF << 40, 3, 4, log2_c=-2, eps=99,
                   d_r=1, rot=5, d_theta=2, frac=64, dtype=object)
    assert got == want


# --------------------------------------------------------------------------
# Exact rounding helpers
# --------------------------------------------------------------------------

fractions = st.fractions(max_denominator=2**70).filter(lambda q: q != 0)


@SETTINGS
@given(st.fractions(max_denominator=2**40), st.integers(0, 70))
def test_round_fraction_matches_python_round(q, frac):
    # Python's round() of a Fraction rounds half to even, exactly.
    assert ref.round_fraction(q, frac) == round(q * 2**frac)


@pytest.mark.parametrize("q, expected", [
    (Fraction(1, 2), 0), (Fraction(3, 2), 2), (Fraction(5, 2), 2),
    (Fraction(-1, 2), 0), (Fraction(-3, 2), -2), (Fraction(7, 4), 2)])
def test_round_fraction_ties_to_even(q, expected):
    assert ref.round_fraction(q, 0) == expected


def random_fractions(seed, n):
    """Random rationals over the float64 range, many near float64 ties."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.randrange(4)
        if kind == 0:  # general rational
            q = Fraction(rng.getrandbits(rng.randrange(1, 200)) + 1,
                         rng.getrandbits(rng.randrange(1, 200)) + 1)
        elif kind == 1:  # exact tie: 54 significant bits, last one set
            m = rng.getrandbits(53) | 2**53 | 1
            q = Fraction(m) * Fraction(2) ** rng.randrange(-1100, 900)
        elif kind == 2:  # within a tiny distance of a tie
            m = (rng.getrandbits(53) | 2**53 | 1) * 2**80
            m += rng.choice([-1, 1]) * rng.randrange(1, 2**10)
            q = Fraction(m) * Fraction(2) ** rng.randrange(-1180, 820)
        else:  # subnormal range
            q = Fraction(rng.getrandbits(60) + 1, 2**rng.randrange(1074, 1140))
        out.append(q if rng.random() < 0.5 else -q)
    return out


def test_fraction_to_float64_matches_python_float():
    # CPython's float(Fraction) is int/int true division: correctly rounded.
    for q in random_fractions(7, 4000):
        got = ref.fraction_to_float(q, "float64")
        want = float(q)
        assert got == want and str(got) == str(want), q


@SETTINGS
@given(fractions)
def test_fraction_to_float64_matches_python_float_hypothesis(q):
    assert ref.fraction_to_float(q, np.float64) == float(q)


def test_fraction_to_float_signed_zero_and_min_subnormal():
    tiny = Fraction(1, 2**1075)  # half the smallest subnormal: a tie -> 0
    assert str(ref.fraction_to_float(-tiny, "float64")) == "-0.0"
    assert str(ref.fraction_to_float(Fraction(0), "float64")) == "0.0"
    assert ref.fraction_to_float(3 * tiny, "float64") == 2 * 5e-324
    just_above = tiny * (1 + Fraction(1, 2**60))
    assert ref.fraction_to_float(just_above, "float64") == 5e-324


def test_fraction_to_float_overflows_to_infinity():
    big = Fraction(2**1024 - 2**970)  # exactly the tie above the max float
    assert ref.fraction_to_float(big, "float64") == np.inf
    largest = np.finfo(np.float64).max
    assert ref.fraction_to_float(big - 1, "float64") == largest
    assert ref.fraction_to_float(-Fraction(2**128), "float32") == -np.inf


def float32_test_values(seed, n):
    """Rationals exact in float64, on and near float32 ties and subnormals."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        m = rng.getrandbits(23) | 2**23  # a float32 significand
        e = rng.randrange(-150, 128)
        base = Fraction(m) * Fraction(2) ** (e - 23)
        quantum = Fraction(2) ** (max(e, -126) - 23)
        if e < -126:  # subnormal significand on the subnormal grid
            base = rng.randrange(1, 2**23) * Fraction(2) ** -149
        kind = rng.randrange(3)
        if kind == 0:
            q = base + quantum / 2  # exact tie
        elif kind == 1:
            q = base + quantum / 2 + rng.choice([-1, 1]) * quantum / 2**25
        else:
            q = base + quantum * Fraction(rng.getrandbits(28), 2**28)
        out.append(q if rng.random() < 0.5 else -q)
    return out


def test_fraction_to_float32_matches_numpy_on_double_exact_values():
    for q in float32_test_values(11, 4000):
        d = float(q)
        assert Fraction(d) == q  # exact in float64, so numpy rounds once
        want = np.float32(d)
        got = ref.fraction_to_float(q, np.float32)
        assert type(got) is np.float32
        assert got.tobytes() == want.tobytes(), q


@pytest.mark.parametrize("k, expected", [(1, 0), (3, 2), (5, 2), (7, 4)])
def test_fraction_to_float32_subnormal_ties(k, expected):
    # k/2 units of 2^-149 is a tie between floor and ceiling: even wins.
    got = ref.fraction_to_float(Fraction(k, 2**150), "float32")
    assert got == np.float32(expected * 2.0**-149)


@SETTINGS
@given(st.fractions(min_value=Fraction(-3), max_value=Fraction(3),
                    max_denominator=2**80).filter(lambda q: q != 0))
def test_fraction_to_float32_is_nearest_for_any_rational(q):
    x = ref.fraction_to_float(q, "float32")
    assert is_nearest_float(x, mpmath.mpf(q.numerator) / q.denominator,
                            np.float32)


# --------------------------------------------------------------------------
# radial: exact rational values
# --------------------------------------------------------------------------

def test_radial_half_radius_is_four_fifths():
    assert ref.radial_exact(2**63) == Fraction(4, 5)
    assert ref.radial(2**63, frac=62) == round(Fraction(4, 5) * 2**62)
    assert ref.radial(2**63, dtype=np.float64) == 0.8
    assert ref.radial(2**63, dtype=np.float32) == np.float32(0.8)


def test_radial_curvature_four_gives_a_tie_at_frac_zero():
    # c = 4, r = 1/2: g = 1/(1 + 1) = 1/2 exactly; round(1/2) = 0 (even).
    assert ref.radial_exact(2**63, log2_c=2) == Fraction(1, 2)
    assert ref.radial(2**63, log2_c=2, frac=0) == 0
    assert ref.radial(2**63, log2_c=2, frac=1) == 1
    # ... and the derivative 2(1 - c r^2)/(...) vanishes there.
    assert ref.radial(2**63, log2_c=2, d_r=1, frac=64, dtype=object) == 0
    assert str(ref.radial(2**63, log2_c=2, d_r=1, dtype=np.float64)) == "0.0"


def test_radial_hand_derived_values():
    # eps = 1/2, r = 1/2: r~ = (1/2)/(5/4) = 2/5; g = (4/5)/(29/25) = 20/29.
    assert ref.radial_exact(2**63, eps=2**63) == Fraction(20, 29)
    # c = 1, r = 1/2: g' = 2(3/4)/(5/4)^2 = 24/25.
    assert ref.radial_exact(2**63, d_r=1) == Fraction(24, 25)
    # c = 1/16, r = 1/4: g = (1/2)/(1 + 1/256) = 128/257.
    assert ref.radial_exact(2**62, log2_c=-4) == Fraction(128, 257)
    assert ref.radial_exact(0) == 0
    assert ref.radial_exact(0, d_r=1) == 2


def test_radial_derivative_at_zero_overflows_int64_at_frac_62():
    # g'(0) = 2 -> 2^63 at frac 62: one past int64's maximum.
    assert ref.radial(0, d_r=1, dtype=object) == 2**63
    with pytest.raises(OverflowError, match=r"radial.*int64 with frac=62"):
        ref.radial(0, d_r=1)
    with pytest.raises(OverflowError, match="dtype=object"):
        ref.radial(0, d_r=1)
    assert ref.radial(0, d_r=1, frac=61) == 2**62


@SETTINGS
@given(u64, u64, log2_cs)
def test_radial_derivative_matches_difference_quotient(R, eps, log2_c):
    R = min(R, TWO64 - 2)
    g0 = ref.radial_exact(R, log2_c=log2_c, eps=eps)
    g1 = ref.radial_exact(R + 1, log2_c=log2_c, eps=eps)
    dg = ref.radial_exact(R, log2_c=log2_c, eps=eps, d_r=1)
    # (g(r + h) - g(r))/h = g'(r) + O(h), h = 2^-64, |g''| < 2^8 here.
    assert abs((g1 - g0) * TWO64 - dg) < Fraction(1, 2**50)


@SETTINGS
@given(u64, u64, st.integers(-4, 0), st.integers(0, 64))
def test_radial_is_monotone_in_R_for_c_at_most_one(R1, R2, log2_c, frac):
    lo, hi = sorted((R1, R2))
    assert ref.radial(lo, log2_c=log2_c, frac=frac, dtype=object) <= \
        ref.radial(hi, log2_c=log2_c, frac=frac, dtype=object)


@SETTINGS
@given(u64, u64, log2_cs, st.integers(0, 1))
def test_radial_float64_is_correctly_rounded_exact_value(R, eps, log2_c, d_r):
    g = ref.radial_exact(R, log2_c=log2_c, eps=eps, d_r=d_r)
    assert ref.radial(R, log2_c=log2_c, eps=eps, d_r=d_r,
                      dtype=np.float64) == float(g)


# --------------------------------------------------------------------------
# angular
# --------------------------------------------------------------------------

@pytest.mark.parametrize("T, s", [(0, 0), (2**62, 1), (2**63, 0),
                                  (3 * 2**62, -1)])
def test_angular_quarter_turns_are_exact(T, s):
    assert ref.angular(T, frac=62) == s * 2**62
    assert ref.angular(T, frac=64, dtype=object) == s * 2**64
    assert str(ref.angular(T, dtype=np.float64)) == str(float(s))
    assert ref.angular(T, dtype=np.float32) == np.float32(s)


def test_angular_sixth_turn_is_close_to_one_half():
    # T = floor(2^64/12) is 1/3 unit short of pi/6, so s is just below 1/2:
    # 1/2 - cos(pi/6) (2 pi/3)/2^64, i.e. about 1.81 units at frac 64 below.
    T = TWO64 // 12
    X = ref.angular(T, frac=64, dtype=object)
    assert X == mp_round(mp_value(0, T, 0, 0, what="angular"), 64)
    assert X == 2**63 - 2


@pytest.mark.parametrize("T", [1, 2, 2**62 - 1, 2**62 + 1, 2**63 - 1,
                               2**63 + 1, TWO64 - 1, 0x123456789ABCDEF0,
                               TWO64 // 3, TWO64 // 5, TWO64 // 7])
def test_angular_matches_mpmath(T):
    v = mp_value(0, T, 0, 0, what="angular")
    for frac in (0, 31, 52, 62, 64):
        assert ref.angular(T, frac=frac, dtype=object) == mp_round(v, frac)
    assert is_nearest_float(ref.angular(T, dtype=np.float64), v, np.float64)
    assert is_nearest_float(ref.angular(T, dtype=np.float32), v, np.float32)


def test_angular_smallest_angle_rounds_from_two_pi():
    # sin(2 pi/2^64) * 2^64 = 2 pi - O(2^-128): rounds to 6.
    assert ref.angular(1, frac=64, dtype=object) == 6
    assert ref.angular(TWO64 - 1, frac=64, dtype=object) == -6


@SETTINGS
@given(u64, st.integers(0, 15))
def test_angular_half_turn_negates(T, rot):
    a = ref.angular(T, rot=rot, frac=64, dtype=object)
    assert ref.angular(T, rot=rot, d_theta=2, frac=64, dtype=object) == -a
    assert ref.angular(T, rot=(rot + 8) % 16, frac=64, dtype=object) == -a


@SETTINGS
@given(u64)
def test_angular_rotation_by_four_sixteenths_is_one_derivative(T):
    assert ref.angular(T, rot=4, dtype=np.float64) == \
        ref.angular(T, d_theta=1, dtype=np.float64)


@SETTINGS
@given(u64)
def test_angular_is_odd(T):
    # sin(-x) = -sin(x): T -> 2^64 - T.
    assert ref.angular((TWO64 - T) % TWO64, dtype=np.float32) == \
        -ref.angular(T, dtype=np.float32)


# --------------------------------------------------------------------------
# modulation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("H, phi", [
    (0, Fraction(1)), (2**30, Fraction(11, 10)), (2**31, Fraction(1)),
    (3 * 2**30, Fraction(9, 10))])
def test_modulation_exact_when_hash_is_a_quarter(H, phi):
    i, j = indices_with_hash(H)
    for frac in (0, 3, 62, 64):
        assert ref.modulation(i, j, frac=frac, dtype=object) == \
            round(phi * 2**frac)
    assert ref.modulation(i, j, dtype=np.float64) == float(phi)
    assert ref.modulation(i, j, dtype=np.float32) == np.float32(float(phi))


def test_modulation_matches_mpmath():
    rng = random.Random(5)
    for _ in range(20):
        i, j = rng.getrandbits(32), rng.getrandbits(32)
        v = mp_value(0, 0, i, j, what="modulation")
        assert ref.modulation(i, j, frac=64, dtype=object) == mp_round(v, 64)
        assert ref.modulation(i, j) == mp_round(v, 62)
        assert is_nearest_float(ref.modulation(i, j, dtype=np.float64), v,
                                np.float64)


def test_modulation_int64_overflow_names_the_format():
    i, j = indices_with_hash(2**30)  # phi = 1.1: 1.1 * 2^63 > int64 max
    with pytest.raises(OverflowError, match=r"modulation.*frac=63"):
        ref.modulation(i, j, frac=63)


# --------------------------------------------------------------------------
# rbe and rbe_pipeline
# --------------------------------------------------------------------------

def test_rbe_exact_products():
    i1, j1 = indices_with_hash(2**30)      # phi = 11/10
    i3, j3 = indices_with_hash(3 * 2**30)  # phi = 9/10
    # g = 4/5, s = 1, phi = 11/10: f = 22/25.
    assert ref.rbe(2**63, 2**62, i1, j1, frac=64, dtype=object) == \
        round(Fraction(22, 25) * TWO64)
    assert ref.rbe(2**63, 2**62, i1, j1, dtype=np.float64) == 0.88
    # s = -1 (d_theta = 2 on a quarter turn), phi = 9/10: f = -18/25.
    assert ref.rbe(2**63, 2**62, i3, j3, d_theta=2, dtype=np.float64) == -0.72


def test_rbe_exact_tie_rounds_to_even():
    i, j = indices_with_hash(0)  # phi = 1
    # c = 4, r = 1/2: g = 1/2; s = 1; f = 1/2 exactly: a tie at frac 0.
    assert ref.rbe(2**63, 2**62, i, j, log2_c=2, frac=0) == 0
    assert ref.rbe(2**63, 3 * 2**62, i, j, log2_c=2, frac=0) == 0  # -1/2
    # One more fraction bit makes the same values exact.
    assert ref.rbe(2**63, 2**62, i, j, log2_c=2, frac=1) == 1
    assert ref.rbe(2**63, 3 * 2**62, i, j, log2_c=2, frac=1) == -1


def test_rbe_zero_factors_give_positive_zero():
    for args in [(0, 12345, 6, 7), (2**62, 0, 6, 7), (2**62, 2**63, 6, 7)]:
        assert str(ref.rbe(*args, dtype=np.float64)) == "0.0"
        assert ref.rbe(*args, frac=64, dtype=object) == 0
    assert ref.rbe(2**63, 99, 1, 2, log2_c=2, d_r=1, dtype=object) == 0


@SETTINGS
@given(u64, u64, log2_cs, st.integers(0, 1), st.integers(0, 3),
       st.integers(0, 3), u32, st.integers(0, 64))
def test_rbe_equals_exact_product_in_rational_cases(R, eps, log2_c, d_r,
                                                    quadrant, Hq, j, frac):
    i, j = indices_with_hash(Hq << 30, j)
    T = quadrant << 62
    g = ref.radial_exact(R, log2_c=log2_c, eps=eps, d_r=d_r)
    s = (0, 1, 0, -1)[quadrant]
    phi = (Fraction(1), Fraction(11, 10), Fraction(1), Fraction(9, 10))[Hq]
    f = g * s * phi
    kw = dict(log2_c=log2_c, eps=eps, d_r=d_r)
    assert ref.rbe(R, T, i, j, frac=frac, dtype=object, **kw) == \
        round(f * 2**frac)
    assert ref.rbe(R, T, i, j, dtype=np.float64, **kw) == float(f)


@settings(max_examples=200, deadline=None)
@given(u64, u64, u32, u32, log2_cs, u64, st.integers(0, 1),
       st.integers(0, 15), st.integers(0, 3))
def test_rbe_matches_mpmath(R, T, i, j, log2_c, eps, d_r, rot, d_theta):
    kw = dict(log2_c=log2_c, eps=eps, d_r=d_r, rot=rot, d_theta=d_theta)
    v = mp_value(R, T, i, j, **kw)
    assert ref.rbe(R, T, i, j, frac=64, dtype=object, **kw) == mp_round(v, 64)
    assert is_nearest_float(ref.rbe(R, T, i, j, dtype=np.float64, **kw), v,
                            np.float64)
    assert is_nearest_float(ref.rbe(R, T, i, j, dtype=np.float32, **kw), v,
                            np.float32)


@pytest.mark.parametrize("log2_c", range(-4, 4))
@pytest.mark.parametrize("d_r", [0, 1])
def test_rbe_matches_mpmath_on_hard_inputs(log2_c, d_r):
    # R near 0 and 2^64, T' next to quarter turns, indices at their ends.
    for R in (1, 2**63, TWO64 - 1):
        for T in (1, 2**62 - 1, 2**62 + 1, TWO64 - 1):
            for i, j in ((0, 0), (2**32 - 1, 2**32 - 1)):
                kw = dict(log2_c=log2_c, d_r=d_r)
                v = mp_value(R, T, i, j, **kw)
                assert ref.rbe(R, T, i, j, frac=64, dtype=object, **kw) == \
                    mp_round(v, 64)
                assert is_nearest_float(
                    ref.rbe(R, T, i, j, dtype=np.float64, **kw), v, np.float64)


def test_rbe_near_the_smallest_magnitude():
    # R = 1, T' = 1: f ~ 2^-63 * 2 pi 2^-64 * phi, about 2^-124: float32
    # stays normal, the integer formats round to 0.
    v = mp_value(1, 1, 3, 4)
    assert is_nearest_float(ref.rbe(1, 1, 3, 4, dtype=np.float32), v,
                            np.float32)
    assert ref.rbe(1, 1, 3, 4, frac=64, dtype=object) == 0


@settings(max_examples=30, deadline=None)
@given(u64, u64, u32, u32, log2_cs, st.integers(0, 1), st.integers(0, 3))
def test_rbe_pipeline_within_four_units_of_rbe_at_frac_64(R, T, i, j, log2_c,
                                                          d_r, d_theta):
    kw = dict(log2_c=log2_c, d_r=d_r, d_theta=d_theta, frac=64, dtype=object)
    pipeline = ref.rbe_pipeline(R, T, i, j, **kw)
    assert abs(pipeline - ref.rbe(R, T, i, j, **kw)) <= 4


def test_rbe_pipeline_hand_computed():
    # g = 1/2 (c = 4, r = 1/2), s = 1, phi = 11/10 -> g64 = 2^63, s64 = 2^64,
    # phi64 = round(11/10 2^64); P1 = 2^63; P2 = round(2^63 phi64 / 2^64).
    i, j = indices_with_hash(2**30)
    phi64 = round(Fraction(11, 10) * TWO64)
    P2 = round(Fraction(2**63 * phi64, TWO64))
    assert ref.rbe_pipeline(2**63, 2**62, i, j, log2_c=2, frac=64,
                            dtype=object) == P2
    # With phi rounded first, the result is the double rounding of 11/20.
    assert ref.rbe_pipeline(2**63, 2**62, i, j, log2_c=2,
                            dtype=np.float64) == float(Fraction(P2, TWO64))


# --------------------------------------------------------------------------
# to_q64 and turns
# --------------------------------------------------------------------------

def test_to_q64_values():
    assert ref.to_q64(0.5) == 2**63
    assert ref.to_q64(0) == 0
    assert ref.to_q64(1 - 2**-53) == TWO64 - 2**11
    assert ref.to_q64(Fraction(TWO64 - 1, TWO64)) == TWO64 - 1
    assert ref.to_q64(Fraction(3, 2**66)) == 1  # 3/4 rounds to 1
    assert ref.to_q64(Fraction(1, 2**65)) == 0  # 1/2 is a tie: to even 0


@pytest.mark.parametrize("x", [1.0, -1e-300, 1, Fraction(2**65 - 1, 2**65),
                               float("nan"), float("inf")])
def test_to_q64_rejects(x):
    with pytest.raises(ValueError):
        ref.to_q64(x)


def test_turns_of_float_pi_is_just_below_half_a_turn():
    # float(pi) = pi - 1.2246e-16: 2^63 (1 - 3.898e-17) = 2^63 - 359.5...
    assert ref.turns(3.141592653589793) == 2**63 - 360
    assert ref.turns(0.0) == 0
    assert ref.turns(Fraction(0)) == 0


@pytest.mark.parametrize("theta", [1.0, -1.0, 1e-300, 6.283185307179586,
                                   -6.283185307179586, 1e22, 1e300,
                                   Fraction(355, 113), 10**40])
def test_turns_matches_mpmath(theta):
    q = Fraction(theta)
    with mpmath.workprec(4000):
        z = mpmath.mpf(q.numerator) / q.denominator * 2**63 / mpmath.pi
        want = mp_round(z, 0) % TWO64
    assert ref.turns(theta) == want


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6,
                 max_value=1e6).filter(lambda x: x != 0))
def test_turns_of_negative_angle_is_the_complement(theta):
    assert ref.turns(-theta) == (TWO64 - ref.turns(theta)) % TWO64


@pytest.mark.parametrize("theta", [float("nan"), float("inf"), -float("inf")])
def test_turns_rejects_non_finite(theta):
    with pytest.raises(ValueError):
        ref.turns(theta)


# --------------------------------------------------------------------------
# The rigorous machinery itself
# --------------------------------------------------------------------------

@pytest.mark.parametrize("prec", [8, 53, 200, 1000, 5000])
def test_pi_enclosure_contains_pi_and_is_narrow(prec):
    with ref._ivprec(prec) as ctx:
        lo, hi = ref._endpoints(ref._pi(ctx))
    with mpmath.workprec(3 * prec + 100):
        pi = mpmath.pi
        assert mpmath.mpf(lo.numerator) / lo.denominator <= pi
        assert mpmath.mpf(hi.numerator) / hi.denominator >= pi
    assert hi - lo < Fraction(1, 2**(prec - 4))


@pytest.mark.parametrize("prec", [8, 64, 200, 700])
def test_sin_enclosure_contains_sin_and_is_narrow(prec):
    rng = random.Random(prec)
    for t in [1, 2**62 - 1, 2**63 + 1, TWO64 - 1] + [rng.getrandbits(64)
                                                     for _ in range(20)]:
        lo, hi = ref._sin_turns(t, prec)
        with mpmath.workprec(3 * prec + 200):
            s = mpmath.sin(2 * mpmath.pi * t / mpmath.mpf(2) ** 64)
            assert mpmath.mpf(lo.numerator) / lo.denominator <= s
            assert mpmath.mpf(hi.numerator) / hi.denominator >= s
        assert hi - lo <= abs(lo) / 2**(prec - 2)


def test_ziv_loop_escalates_from_low_precision(monkeypatch):
    cases = [(0x0123456789ABCDEF, 0xFEDCBA9876543210, 1, 2),
             (2**63 + 5, TWO64 // 3, 2**32 - 1, 0)]
    want = [ref.rbe(*c, frac=64, dtype=object) for c in cases]
    monkeypatch.setattr(ref, "START_PREC", 8)
    assert [ref.rbe(*c, frac=64, dtype=object) for c in cases] == want


def test_ziv_loop_raises_at_its_cap(monkeypatch):
    monkeypatch.setattr(ref, "START_PREC", 16)
    monkeypatch.setattr(ref, "MAX_PREC", 16)
    with pytest.raises(ArithmeticError, match="angular"):
        ref.angular(2**61 + 12345, frac=64, dtype=object)
    # Exact cases never need precision.
    assert ref.angular(2**62, frac=64, dtype=object) == TWO64


def test_global_mpmath_contexts_are_untouched():
    before = (mpmath.mp.prec, mpmath.iv.prec)
    ref.rbe(123, 456, 7, 8)
    ref.turns(2.0)
    assert (mpmath.mp.prec, mpmath.iv.prec) == before


# --------------------------------------------------------------------------
# Formats and argument checking
# --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, kind", [
    (np.int64, int), ("int64", int), (np.dtype("int64"), int),
    (object, int), ("object", int), (np.float64, float), ("float64", float),
    (np.float32, np.float32), (np.dtype("float32"), np.float32)])
def test_dtype_forms_and_return_types(dtype, kind):
    assert type(ref.angular(TWO64 // 7, dtype=dtype)) is kind


@pytest.mark.parametrize("dtype", [np.int32, "float16", np.uint64, None,
                                   "complex128", "nonsense"])
def test_unsupported_dtype_is_type_error(dtype):
    with pytest.raises(TypeError):
        ref.radial(1, dtype=dtype)


def test_frac_rules():
    assert ref.radial(2**63, frac=None) == ref.radial(2**63, frac=62)
    with pytest.raises(ValueError, match="frac applies only to integer"):
        ref.radial(1, frac=62, dtype=np.float64)
    for bad in (-1, 65):
        with pytest.raises(ValueError, match="frac"):
            ref.radial(1, frac=bad, dtype=object)
    with pytest.raises(TypeError, match="frac"):
        ref.radial(1, frac=2.0)


@pytest.mark.parametrize("call, name", [
    (lambda: ref.radial(TWO64), "R"), (lambda: ref.radial(-1), "R"),
    (lambda: ref.radial(1, eps=TWO64), "eps"),
    (lambda: ref.radial(1, log2_c=4), "log2_c"),
    (lambda: ref.radial(1, log2_c=-5), "log2_c"),
    (lambda: ref.radial(1, d_r=2), "d_r"),
    (lambda: ref.angular(TWO64), "T"), (lambda: ref.angular(1, rot=16), "rot"),
    (lambda: ref.angular(1, d_theta=4), "d_theta"),
    (lambda: ref.spatial_hash(2**32, 0), "i"),
    (lambda: ref.modulation(0, -1), "j"),
    (lambda: ref.rbe(0, 0, 0, 2**32), "j"),
    (lambda: ref.unpack_seed64(TWO64), "word")])
def test_out_of_range_is_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


@pytest.mark.parametrize("bad", [0.5, np.float64(1.0), True, np.bool_(False),
                                 "1", 1j, None])
def test_non_integer_arguments_are_type_errors(bad):
    with pytest.raises(TypeError):
        ref.radial(bad)
    with pytest.raises(TypeError):
        ref.rbe(0, 0, bad, 0)


def test_float_argument_error_points_to_the_helpers():
    with pytest.raises(TypeError, match="to_q64"):
        ref.radial(0.5)
    with pytest.raises(TypeError, match="turns"):
        ref.angular(0.25)


def test_numpy_integer_arguments_are_accepted():
    assert ref.radial(np.uint64(2**63), log2_c=np.int8(2), frac=np.int32(0)) \
        == 0
    assert ref.spatial_hash(np.uint32(5), np.int64(6)) == mmh3_hash(5, 6)
