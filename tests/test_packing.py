"""The 64-bit seed (pack_seed64, unpack_seed64, seed64_from_float) and the
real-number conversions (to_q64, turns).

Expected values come from outside the code under test: the known answers of
source 002, the layout table of docs/spec.md (field shifts written out by
hand), exact Fractions (Python's round() of a Fraction rounds half to even),
and mpmath evaluated at a fixed, generous precision with an explicit check
that the answer is decided there (a different method from the module's Ziv
loop on a Fraction enclosure).
"""
import math
from decimal import Decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, strategies as st

import poincare_q64 as pq
from poincare_q64 import packing
from poincare_q64 import reference as ref
from conftest import TWO64, U64_MAX, scaled, u64

LAYOUT = ("r", "theta", "basis", "d_theta", "d_r", "rot", "log2_c", "reserved")
# field -> (shift of its least significant bit, width), from the spec's table
SHIFTS = {"r": (44, 20), "theta": (20, 24), "basis": (16, 4), "d_theta": (14, 2),
          "d_r": (13, 1), "rot": (9, 4), "log2_c": (6, 3), "reserved": (0, 6)}
KNOWN_WORD = 0x7FFFF800000AFB6A
KNOWN_FIELDS = dict(r=0x7FFFF, theta=0x800000, basis=10, d_theta=3, d_r=1, rot=13, log2_c=-3,
                    reserved=42)

fields_st = st.fixed_dictionaries(dict(
    r=st.integers(0, 2**20 - 1), theta=st.integers(0, 2**24 - 1), basis=st.integers(0, 15),
    d_theta=st.integers(0, 3), d_r=st.integers(0, 1), rot=st.integers(0, 15),
    log2_c=st.integers(-4, 3), reserved=st.integers(0, 63)))


def word_from_table(f):
    """The word built from the layout table (log2_c as 3-bit two's complement)."""
    w = 0
    for name, (shift, width) in SHIFTS.items():
        w |= (f[name] & ((1 << width) - 1)) << shift
    return w


# --------------------------------------------------------------------------
# Seed words
# --------------------------------------------------------------------------

def test_known_answer_unpack():
    got = pq.unpack_seed64(KNOWN_WORD)
    assert isinstance(got, pq.Seed64Fields)
    assert got._asdict() == KNOWN_FIELDS
    assert all(type(v) is int for v in got)


def test_known_answer_pack_round_trip():
    w = pq.pack_seed64(**KNOWN_FIELDS)
    assert type(w) is int and w == KNOWN_WORD
    assert pq.pack_seed64(*pq.unpack_seed64(KNOWN_WORD)) == KNOWN_WORD


def test_known_answer_seed64_from_float():
    other = {k: v for k, v in KNOWN_FIELDS.items() if k not in ("r", "theta")}
    w = pq.seed64_from_float(0.5, math.pi, **other)
    assert type(w) is int and w == 0x80000800000AFB6A


@pytest.mark.parametrize("name", LAYOUT)
def test_each_field_sits_at_its_bits(name):
    shift, width = SHIFTS[name]
    top = (1 << width) - 1 if name != "log2_c" else 3
    fields = dict.fromkeys(LAYOUT, 0)
    fields[name] = top
    assert pq.pack_seed64(**fields) == top << shift
    assert getattr(pq.unpack_seed64(top << shift), name) == top
    # the field's bits alone, every other field zero
    assert pq.unpack_seed64(top << shift)._asdict() == fields


@pytest.mark.parametrize("code", range(8))
def test_log2_c_is_three_bit_twos_complement(code):
    value = code - 8 if code >= 4 else code  # 0b100..0b111 -> -4..-1
    assert pq.unpack_seed64(code << 6).log2_c == value
    assert pq.pack_seed64(0, 0, log2_c=value) == code << 6


@scaled(200)
@given(word=u64)
def test_word_round_trip(word):
    f = pq.unpack_seed64(word)
    assert word_from_table(f._asdict()) == word
    assert pq.pack_seed64(*f) == word
    assert tuple(f) == tuple(ref.unpack_seed64(word))


@scaled(200)
@given(f=fields_st)
def test_fields_round_trip(f):
    w = pq.pack_seed64(**f)
    assert w == word_from_table(f)
    assert pq.unpack_seed64(w)._asdict() == f


def test_numpy_scalars_in_python_ints_out():
    w = pq.pack_seed64(np.int64(0x7FFFF), np.uint32(0x800000), basis=np.int8(10), d_theta=3,
                       d_r=np.uint8(1), rot=13, log2_c=np.int16(-3), reserved=42)
    assert type(w) is int and w == KNOWN_WORD
    f = pq.unpack_seed64(np.uint64(KNOWN_WORD))
    assert all(type(v) is int for v in f) and f._asdict() == KNOWN_FIELDS


def test_arrays_in_arrays_out():
    rng = np.random.default_rng(2024)
    words = rng.integers(0, 2**64, size=(3, 4), dtype=np.uint64)
    f = pq.unpack_seed64(words)
    for name in LAYOUT:
        col = getattr(f, name)
        assert isinstance(col, np.ndarray) and col.dtype == np.int64 and col.shape == (3, 4)
    for idx in np.ndindex(3, 4):
        assert tuple(int(getattr(f, k)[idx]) for k in LAYOUT) == tuple(
            ref.unpack_seed64(int(words[idx])))
    back = pq.pack_seed64(*f)
    assert isinstance(back, np.ndarray) and back.dtype == np.uint64 and back.shape == (3, 4)
    assert (back == words).all()


def test_pack_broadcasts_fields():
    r = np.array([[0], [1], [2**20 - 1]])          # (3, 1)
    theta = [0, 5, 2**24 - 1, 7]                    # (4,)
    w = pq.pack_seed64(r, theta, log2_c=[-4, -1, 0, 3], reserved=63)
    assert w.shape == (3, 4) and w.dtype == np.uint64
    for a in range(3):
        for b in range(4):
            want = word_from_table(dict(r=int(r[a, 0]), theta=theta[b], basis=0, d_theta=0,
                                        d_r=0, rot=0, log2_c=[-4, -1, 0, 3][b], reserved=63))
            assert int(w[a, b]) == want


def test_word_lists_and_object_arrays():
    words = [0, U64_MAX, KNOWN_WORD]
    for arg in (words, np.array(words, dtype=object), np.array(words, dtype=np.uint64)):
        f = pq.unpack_seed64(arg)
        assert f.r.tolist() == [0, 2**20 - 1, 0x7FFFF]
        assert f.log2_c.tolist() == [0, -1, -3]
        assert f.reserved.tolist() == [0, 63, 42]


def test_empty_arrays():
    w = pq.pack_seed64([], [])
    assert w.shape == (0,) and w.dtype == np.uint64
    f = pq.unpack_seed64(np.zeros((0, 2), dtype=np.uint64))
    assert all(c.shape == (0, 2) for c in f)


def test_rbe_seed64_uses_r_shift_44_and_theta_shift_40():
    w = pq.pack_seed64(0x12345, 0xABCDEF, d_theta=1, d_r=1, rot=3, log2_c=-2, reserved=17)
    got = pq.rbe_seed64(w, 7, 9, dtype=object, frac=64)
    assert got == ref.rbe(0x12345 << 44, 0xABCDEF << 40, 7, 9, d_theta=1, d_r=1, rot=3,
                          log2_c=-2, dtype=object, frac=64)


# --------------------------------------------------------------------------
# to_q64
# --------------------------------------------------------------------------

@scaled(300)
@given(x=st.floats(0, 1, exclude_max=True))
def test_to_q64_floats_exact(x):
    assert pq.to_q64(x) == round(Fraction(x) * TWO64)   # round(Fraction): half to even


@scaled(200)
@given(k=st.integers(0, 2**64 - 1), d=st.sampled_from([1, 2, 3, 4, 7, 2**10, 2**70 + 1]))
def test_to_q64_fractions_and_ties(k, d):
    # x = k / 2^64 + j / (d 2^64) for j in 0..d-1: exact, ties (d even) included
    for j in {0, d // 2, d - 1}:
        x = Fraction(k * d + j, d * TWO64)
        want = round(Fraction(k * d + j, d))
        if want == TWO64:
            with pytest.raises(ValueError):
                pq.to_q64(x)
        else:
            assert pq.to_q64(x) == want


def test_to_q64_known_values():
    assert pq.to_q64(0) == 0 and pq.to_q64(0.0) == 0 and pq.to_q64(-0.0) == 0
    assert pq.to_q64(0.5) == 2**63 and pq.to_q64(0.25) == 2**62
    assert pq.to_q64(5e-324) == 0
    # float32(0.1) is 13421773 * 2**-27 exactly: not the float64 0.1
    assert pq.to_q64(np.float32(0.1)) == 13421773 << 37
    assert pq.to_q64(Decimal("0.1")) == 1844674407370955162   # 2**64 / 10 = ...161.6
    assert pq.to_q64(Fraction(1, 2**65)) == 0                   # tie -> even
    assert pq.to_q64(Fraction(3, 2**65)) == 2                   # 1.5 -> 2
    assert pq.to_q64(np.longdouble(0.5)) == 2**63
    assert type(pq.to_q64(0.5)) is int


def test_to_q64_arrays():
    xs = np.array([[0.0, 0.5], [0.25, 1 - 2**-53]])
    got = pq.to_q64(xs)
    assert got.dtype == np.uint64 and got.shape == (2, 2)
    assert got.tolist() == [[0, 2**63], [2**62, 2**64 - 2**11]]
    assert pq.to_q64([Fraction(1, 3), 0.75]).tolist() == [6148914691236517205, 3 * 2**62]


# --------------------------------------------------------------------------
# turns and the theta quantiser
# --------------------------------------------------------------------------

def mp_turn_field(theta, bits):
    """round(frac(theta / (2 pi)) 2^bits) mod 2^bits with mpmath at a fixed
    precision well above what the inputs need; fails the test (rather than
    guess) if the value is within 2^-100 of a midpoint there."""
    q = Fraction(theta)
    if q == 0:
        return 0
    prec = max(q.numerator.bit_length(), q.denominator.bit_length()) + bits + 400
    with mpmath.workprec(prec):
        z = mpmath.mpf(q.numerator) * mpmath.mpf(2) ** (bits - 1) / (
            mpmath.mpf(q.denominator) * mpmath.pi)
        k = int(mpmath.floor(z))
        f = z - k
        assert abs(f - mpmath.mpf(0.5)) > mpmath.mpf(2) ** -100, "undecided"
        n = k + 1 if f > 0.5 else k
    return n % (1 << bits)


theta_st = st.one_of(
    st.floats(-10, 10), st.floats(allow_nan=False, allow_infinity=False),
    st.fractions(min_value=-100, max_value=100, max_denominator=2**80),
    st.integers(-(2**80), 2**80))


@scaled(120)
@given(theta=theta_st)
def test_turns_correctly_rounded(theta):
    got = pq.turns(theta)
    assert type(got) is int and 0 <= got < TWO64
    assert got == mp_turn_field(theta, 64)


@pytest.mark.parametrize("theta", [0.0, -0.0, math.pi, -math.pi, 2 * math.pi, math.pi / 2,
                                   -math.pi / 2, 1e-300, -5e-324, 1e300, 1.7976931348623157e308,
                                   1, -1, 7, Fraction(355, 113), Fraction(-22, 7)], ids=repr)
def test_turns_hard_values(theta):
    assert pq.turns(theta) == mp_turn_field(theta, 64) == ref.turns(theta)


def test_turns_known_answers():
    assert pq.turns(0) == 0
    assert pq.turns(math.pi) == 2**63 - 360           # float pi is below pi (docs/spec.md)
    assert pq.turns(1) == 2935890503282001226           # 2**63 / pi = ...226.496
    assert pq.turns(-1) == TWO64 - 2935890503282001226  # negative angles wrap
    # float 2 pi is 2.449e-16 below 2 pi: 2**64 (1 - 3.898e-17) = 2**64 - 719.08
    assert pq.turns(2 * math.pi) == TWO64 - 719


def _near_midpoint_theta(k, bits):
    """theta = (k + 1/2) P / 2^(bits-1) with P = pi to 200 bits: then
    z = theta 2^(bits-1) / pi = (k + 1/2) P / pi lies about |k| 2^-200 from
    the midpoint k + 1/2, so a first approximation at ~80-130 bits cannot
    decide it and the precision must rise."""
    with mpmath.workprec(200):
        man, exp = mpmath.mpf(mpmath.pi).man_exp
    P = Fraction(man, 2**-exp)
    with mpmath.workprec(2000):
        above = mpmath.mpf(P.numerator) / P.denominator > mpmath.pi  # P > pi?
    theta = (k + Fraction(1, 2)) * P / 2**(bits - 1)
    # z > k + 1/2 exactly when (k + 1/2) and (P - pi) have the same sign
    z_above = above == (k >= 0)
    return theta, (k + 1 if z_above else k) % (1 << bits)


@pytest.mark.parametrize("k", [12345, -12345, 2**62 + 1, 0, -1])
def test_turns_near_a_midpoint_needs_more_precision(k):
    theta, want = _near_midpoint_theta(k, 64)
    assert pq.turns(theta) == want
    assert ref.turns(theta) == want


def test_turns_precision_cap_raises(monkeypatch):
    theta, _ = _near_midpoint_theta(12345, 64)
    monkeypatch.setattr(packing, "_MAX_PREC", 160)
    with pytest.raises(ArithmeticError, match="turns: the rounding of theta"):
        pq.turns(theta)


def test_turns_leaves_mpmath_precision_alone():
    before = (mpmath.mp.prec, mpmath.mp.dps)
    pq.turns(1e300)
    pq.turns(_near_midpoint_theta(99, 64)[0])
    pq.seed64_from_float(0.5, 2.5)
    assert (mpmath.mp.prec, mpmath.mp.dps) == before


def test_turns_arrays():
    thetas = np.array([[0.0, math.pi], [1.0, -1.0]])
    got = pq.turns(thetas)
    assert got.dtype == np.uint64 and got.shape == (2, 2)
    assert got.tolist() == [[0, 2**63 - 360],
                            [2935890503282001226, TWO64 - 2935890503282001226]]


# --------------------------------------------------------------------------
# seed64_from_float
# --------------------------------------------------------------------------

@scaled(150)
@given(r=st.one_of(st.floats(0, 2), st.fractions(0, 2, max_denominator=2**30)),
       theta=st.one_of(st.floats(-50, 50), st.fractions(-50, 50, max_denominator=2**40)),
       rot=st.integers(0, 15), log2_c=st.integers(-4, 3))
def test_seed64_from_float_fields(r, theta, rot, log2_c):
    w = pq.seed64_from_float(r, theta, rot=rot, log2_c=log2_c, reserved=9)
    f = pq.unpack_seed64(w)
    assert f.r == min(round(Fraction(r) * 2**20), 2**20 - 1)
    assert f.theta == mp_turn_field(theta, 24)
    assert (f.basis, f.d_theta, f.d_r, f.rot, f.log2_c, f.reserved) == (0, 0, 0, rot, log2_c, 9)


def test_seed64_from_float_r_quantiser():
    top = 2**20 - 1
    for r, field in [(0.0, 0), (0.5, 2**19), (Fraction(1, 2**21), 0),   # tie -> even 0
                     (Fraction(3, 2**21), 2), (Fraction(5, 2**21), 2),  # ties -> even
                     (1 - 2**-21, top),                                  # rounds to 2^20: clamp
                     (1 - 2**-20, top), (1.0, top), (7.5, top), (1e300, top)]:
        assert pq.unpack_seed64(pq.seed64_from_float(r, 0.0)).r == field, r


def test_seed64_from_float_theta_wraps_and_is_rounded_once():
    # float 2 pi is just below 2 pi: its 24-bit field rounds up to 2^24 and wraps
    assert pq.unpack_seed64(pq.seed64_from_float(0.0, 2 * math.pi)).theta == 0
    assert pq.unpack_seed64(pq.seed64_from_float(0.0, -math.pi / 2)).theta == 3 << 22
    # Near a 24-bit midpoint a 64-bit T lands exactly on the midpoint, and
    # rounding T again would tie to even; rounding once gives the side the
    # exact value is on, which for one of two neighbouring k is odd.
    differs = []
    for k in (4320, 4321):
        theta, want = _near_midpoint_theta(k, 24)
        assert pq.unpack_seed64(pq.seed64_from_float(0.0, theta)).theta == want
        T = pq.turns(theta)
        assert T == (2 * k + 1) << 39                  # exactly the midpoint
        twice = round(Fraction(T, 2**40)) % 2**24      # tie -> even
        differs.append(twice != want)
    assert differs.count(True) == 1


def test_seed64_from_float_arrays_broadcast():
    r = np.array([[0.25], [0.5]])
    theta = [0.0, math.pi]
    w = pq.seed64_from_float(r, theta, rot=np.array([1, 2]))
    assert isinstance(w, np.ndarray) and w.dtype == np.uint64 and w.shape == (2, 2)
    for a in range(2):
        for b in range(2):
            assert int(w[a, b]) == pq.seed64_from_float(float(r[a, 0]), theta[b], rot=b + 1)
