"""Hardening of the public argument handling: masked arrays are refused,
the real-number conversions bound their work, and results too large to
allocate are reported as such.

Expected values come from outside the code under test: mpmath at a fixed,
generous precision with an explicit check that the rounding is decided there.
"""
import time
from decimal import Decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import reference
from poincare_q64.transform import decode_batch, decode_matrix, decode_seed64

MASKED_I = np.ma.masked_array([5, -1], mask=[0, 1])


# --------------------------------------------------------------------------
# Masked arrays
# --------------------------------------------------------------------------

def _masked(values, mask):
    return np.ma.masked_array(values, mask=mask)


# (name of the function, call taking the masked argument, argument name)
MASKED_CALLS = [
    ("rbe", lambda m: pq.rbe(2**63, 2**61, m, 0), "i"),
    ("rbe", lambda m: pq.rbe(m, 2**61, 5, 0), "R"),
    ("rbe", lambda m: pq.rbe(2**63, 2**61, 5, 0, rot=m), "rot"),
    ("rbe_pipeline", lambda m: pq.rbe_pipeline(2**63, 2**61, 5, m), "j"),
    ("rbe_seed64", lambda m: pq.rbe_seed64(m, 0, 0), "word"),
    ("radial", lambda m: pq.radial(m), "R"),
    ("angular", lambda m: pq.angular(0, d_theta=m), "d_theta"),
    ("modulation", lambda m: pq.modulation(m, 0), "i"),
    ("spatial_hash", lambda m: pq.spatial_hash(0, m), "j"),
    ("pack_seed64", lambda m: pq.pack_seed64(m, 0), "r"),
    ("pack_seed64", lambda m: pq.pack_seed64(0, 0, log2_c=m), "log2_c"),
    ("unpack_seed64", lambda m: pq.unpack_seed64(m), "word"),
    ("seed64_from_float", lambda m: pq.seed64_from_float(0.5, 0.0, rot=m),
     "rot"),
    ("decode_matrix", lambda m: decode_matrix(m, 0, 2, 2), "R"),
    ("decode_matrix", lambda m: decode_matrix(0, 0, 2, 2, rot=m), "rot"),
    ("decode_seed64", lambda m: decode_seed64(m, 2, 2), "word"),
]


@pytest.mark.parametrize("func, call, name", MASKED_CALLS)
@pytest.mark.parametrize("mask", [[0, 1], [0, 0]])
def test_masked_integer_arrays_are_refused(func, call, name, mask):
    # a hidden value out of range ([-1]) and one in range ([1]): both refused,
    # the mask cannot be honoured either way
    m = _masked([0, -1 if mask[1] else 1], mask)
    with pytest.raises(TypeError, match=rf"^{func}: {name} .*masked array"):
        call(m)


def test_masked_example_of_the_report():
    with pytest.raises(TypeError, match=r"^rbe: i .*masked array"):
        pq.rbe(2**63, 2**61, MASKED_I, 0)


def test_masked_zero_d_array_is_refused():
    with pytest.raises(TypeError, match=r"^radial: R .*masked array"):
        pq.radial(np.ma.masked_array(5, mask=False))


@pytest.mark.parametrize("func, call, name", [
    ("to_q64", lambda m: pq.to_q64(m), "x"),
    ("turns", lambda m: pq.turns(m), "theta"),
    ("seed64_from_float", lambda m: pq.seed64_from_float(m, 0.0), "r"),
    ("seed64_from_float", lambda m: pq.seed64_from_float(0.5, m), "theta"),
])
def test_masked_real_arrays_are_refused(func, call, name):
    m = np.ma.masked_array([0.25, np.nan], mask=[0, 1])
    with pytest.raises(TypeError, match=rf"^{func}: {name} .*masked array"):
        call(m)


def test_plain_arrays_still_work():
    data = np.array([5, 7])
    assert pq.rbe(2**63, 2**61, data, 0).tolist() == \
        pq.rbe(2**63, 2**61, [5, 7], 0).tolist()


# --------------------------------------------------------------------------
# Bounded work in turns and seed64_from_float
# --------------------------------------------------------------------------

def _expected_turns(theta, bits=64, prec=17000):
    """round(theta 2**(bits-1) / pi) mod 2**bits with mpmath, checked to be
    decided at ``prec`` bits."""
    q = Fraction(*theta.as_integer_ratio())
    with mpmath.workprec(prec):
        z = mpmath.mpf(q.numerator) / q.denominator * 2**(bits - 1) / mpmath.pi
        k = int(mpmath.nint(z))
        dist = abs(abs(z - k) - mpmath.mpf(0.5))
        assert dist > mpmath.mpf(2) ** -200, "not decided at this precision"
    return k % (1 << bits)


def _fast(call, seconds=2.0):
    t0 = time.perf_counter()
    try:
        return call()
    finally:
        assert time.perf_counter() - t0 < seconds, "took too long"


@pytest.mark.parametrize("call", [
    lambda: pq.turns(10**400000),
    lambda: pq.turns(-(10**400000)),
    lambda: pq.turns(Fraction(10**400000, 3)),
    lambda: pq.turns(2**16384),
    lambda: pq.turns(Decimal("1e1000000")),
    lambda: pq.turns([0.5, 10**400000]),
    lambda: pq.seed64_from_float(0.5, 10**400000),
    lambda: pq.seed64_from_float(0.5, Decimal("-1e1000000")),
])
def test_huge_angles_are_refused_quickly(call):
    # a Decimal is refused on its exponent before its value is built
    with pytest.raises(ValueError, match=r"theta .*(2\*\*16384|exponent)"):
        _fast(call)


@pytest.mark.parametrize("call, name", [
    (lambda: pq.to_q64(Decimal("1e-999999999")), "x"),
    (lambda: pq.seed64_from_float(Decimal("1e999999999"), 0.0), "r"),
    (lambda: pq.turns(Decimal("1e-999999999")), "theta"),
])
def test_decimal_exponents_are_bounded(call, name):
    # converting such a Decimal exactly would need 10**999999999
    with pytest.raises(ValueError, match=rf": {name} .*exponent"):
        _fast(call)


@pytest.mark.parametrize("theta", [
    2**16384 - 1, -(2**16384 - 1), Fraction(2**16384 - 1, 7),
    float(np.finfo(np.float64).max), 10**4000 + 1,
], ids=["2**16384-1", "-(2**16384-1)", "(2**16384-1)/7", "float_max",
        "10**4000+1"])
def test_largest_angles_are_correctly_rounded(theta):
    assert _fast(lambda: pq.turns(theta)) == _expected_turns(theta)
    word = _fast(lambda: pq.seed64_from_float(0.5, theta))
    assert (word >> 20) & 0xFFFFFF == _expected_turns(theta, bits=24)


def test_longdouble_max_is_accepted():
    x = np.finfo(np.longdouble).max
    assert pq.turns(x) == _expected_turns(x)


def test_moderate_decimals_still_convert():
    assert pq.to_q64(Decimal("1e-5000")) == 0
    assert pq.turns(Decimal("1e-5000")) == 0
    assert pq.seed64_from_float(Decimal("1e5000"), 0) == (2**20 - 1) << 44
    assert pq.turns(Decimal("-0e-999999999")) == 0


# --------------------------------------------------------------------------
# Results too large to allocate
# --------------------------------------------------------------------------

def test_broadcast_too_large_is_not_a_broadcasting_error():
    a = np.broadcast_to(np.uint64(0), (2**40, 1))
    b = np.broadcast_to(np.uint64(0), (1, 2**40))
    with pytest.raises(ValueError, match=r"^rbe: .*too large") as info:
        pq.rbe(a, b, 0, 0)
    assert "do not broadcast" not in str(info.value)


def test_shapes_that_do_not_broadcast_still_say_so():
    with pytest.raises(ValueError, match=r"^rbe: .*do not broadcast"):
        pq.rbe([1, 2], [1, 2, 3], 0, 0)


# 2**47 elements of 8 bytes (1 PiB) exceed the address space of any current
# machine, so the allocation fails everywhere.
HUGE = 2**47


@pytest.mark.parametrize("func, call, dtype", [
    ("rbe", lambda v: pq.rbe(v, 0, 0, 0), np.uint64),
    ("radial", lambda v: pq.radial(v), np.uint64),
    ("spatial_hash", lambda v: pq.spatial_hash(v, 0), np.uint32),
    ("unpack_seed64", lambda v: pq.unpack_seed64(v), np.uint64),
])
def test_huge_view_reports_what_is_too_large(func, call, dtype):
    # a view, no memory behind it, of a dtype whose every value is in range
    # (so the range check needs no pass over the data)
    v = np.broadcast_to(dtype(0), (HUGE,))
    with pytest.raises(MemoryError, match=rf"^{func}: .*{HUGE}"):
        call(v)


# --------------------------------------------------------------------------
# Unaligned inputs
# --------------------------------------------------------------------------

def _unaligned(values, dtype):
    """``values`` in a C-contiguous view at an odd byte offset, as a field of
    a packed structured array or a buffer read at an offset can be."""
    raw = np.zeros(np.dtype(dtype).itemsize * len(values) + 1, np.uint8)
    v = raw[1:].view(dtype)
    v[...] = values
    assert not v.flags.aligned and v.flags.c_contiguous
    return v


def test_unaligned_inputs_reach_the_kernels_aligned():
    """A misaligned load is undefined behaviour in C: the kernels get a copy
    (the UBSan build of the extension stops on such a load)."""
    from poincare_q64 import _api
    R = _unaligned([2**63, 2**62 + 12345, 2**64 - 1], np.uint64)
    arr, _ = _api.as_int_array("rbe", "R", R, 0, 2**64, np.dtype(np.uint64))
    assert arr.flags.aligned and arr.tolist() == R.tolist()
    i = _unaligned([0, 7, 2**32 - 1], np.uint32)
    got = pq.rbe(R, 2**61 + 3, i, 5)
    want = [reference.rbe(int(r), 2**61 + 3, int(k), 5) for r, k in zip(R, i)]
    assert got.tolist() == want


def test_decode_with_unaligned_seed_fields_and_out():
    """One seed read from a packed record (its fields at odd offsets) and an
    unaligned out: the reference's matrix, bit for bit."""
    rec = np.zeros(2, np.dtype([("pad", "u1"), ("R", "<u8"), ("T", "<u8")]))[1:]
    rec["R"], rec["T"] = 2**63 + 99, 2**61 + 7
    out = _unaligned(np.zeros(6, np.int64), np.int64).reshape(1, 2, 3)
    decode_batch(rec["R"], rec["T"], 2, 3, out=out)
    want = reference.decode_matrix(R=2**63 + 99, T=2**61 + 7, m=2, n=3)
    assert out[0].tolist() == np.asarray(want).tolist()
