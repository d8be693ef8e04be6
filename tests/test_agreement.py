"""Agreement of every public function, in every output format, with the
independent reference (poincare_q64.reference).

The expected value always comes from the reference (exact rationals and
rigorous interval enclosures, no code shared with the C path), a few from
hand-derived exact values.  Results are compared exactly: integers as
integers, floats by their IEEE bit patterns, so a float32 result must be the
reference's own correctly rounded float32, not a nearby one.

Three kinds of tests:

* hypothesis, scalar in -> scalar out, over random and edge inputs, every
  option value and every format (dtype spellings included); int64 must raise
  OverflowError exactly when the reference does;
* explicit grids of the hard cases the contract names (R near 0 and 2^64,
  quarter turns and their neighbours, i/j at 0 and 2^32 - 1, every log2_c,
  d_r, rot, d_theta, the extreme fracs, exact ties), evaluated in one
  broadcast call and compared element by element with scalar reference calls;
* random arrays (1-D and broadcast 2-D), the same element-wise comparison.
"""
import random
import zlib
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, strategies as st

import poincare_q64 as pq
from poincare_q64 import inputs, reference as ref, registry
from conftest import (
    ALL_FORMATS, CORE_FORMATS, HARD_EPS, HARD_FRACS, HARD_IJ, HARD_R, HARD_T,
    LOG2_CS, TWO62, TWO64, U32_MAX, U64_MAX, Rs, Ts, assert_scalar_type, bits,
    d_rs, d_thetas, epss, fmt_id, fmt_kwargs, formats, ijs, index_for_hash,
    log2_cs, reference_outcome, rots, scaled, seed_words, u64)

# numpy dtype used when an argument is passed as an ndarray or numpy scalar:
# the unsigned inputs in their kernel dtype, the small signed options as
# int64 (any integer dtype whose values are in range must do)
ARRAY_DTYPE = {name: np.dtype(x.dtype) for name, x in registry.INPUTS.items()
               if x.dtype != "int32"}
SCALAR_TYPE = {name: dt.type for name, dt in ARRAY_DTYPE.items()}


def _split(name, args):
    positional = registry.FUNCTIONS[name].positional_inputs
    pos = [args[k] for k in positional]
    opts = {k: v for k, v in args.items() if k not in positional}
    return pos, opts


def check_overflow_message(exc, name, frac):
    msg = str(exc)
    assert name in msg, msg
    assert f"frac={62 if frac is None else frac}" in msg, msg
    assert "object" in msg, msg


# --------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------

def check_scalar(name, args, fmt, numpy_scalars=False):
    """pq.<name>(**args) equals reference.<name>(**args) in format fmt.

    With numpy_scalars, integer arguments are passed as numpy integer
    scalars (the result must still be a scalar)."""
    kind, dtype, frac = fmt
    pos, opts = _split(name, args)
    kw = dict(opts, **fmt_kwargs(dtype, frac))
    outcome, expected = reference_outcome(getattr(ref, name), *pos, **kw)
    if numpy_scalars:
        pos = [SCALAR_TYPE.get(k, np.int64)(v)
               for k, v in zip(registry.FUNCTIONS[name].positional_inputs, pos)]
        kw = {k: (SCALAR_TYPE.get(k, np.int64)(v) if k not in ("dtype", "frac") else v)
              for k, v in kw.items()}
    if outcome == "raise":
        with pytest.raises(expected) as info:
            getattr(pq, name)(*pos, **kw)
        if expected is OverflowError:
            check_overflow_message(info.value, name, frac)
        return
    got = getattr(pq, name)(*pos, **kw)
    assert_scalar_type(kind, got)
    assert bits(kind, got) == bits(kind, expected), (name, args, fmt, got, expected)


@scaled(300)
@given(R=Rs, eps=epss, log2_c=log2_cs, d_r=d_rs, fmt=formats(), np_scalars=st.booleans())
def test_radial(R, eps, log2_c, d_r, fmt, np_scalars):
    check_scalar("radial", dict(R=R, eps=eps, log2_c=log2_c, d_r=d_r), fmt, np_scalars)


@scaled(200)
@given(T=Ts, rot=rots, d_theta=d_thetas, fmt=formats(), np_scalars=st.booleans())
def test_angular(T, rot, d_theta, fmt, np_scalars):
    check_scalar("angular", dict(T=T, rot=rot, d_theta=d_theta), fmt, np_scalars)


@scaled(200)
@given(i=ijs, j=ijs, fmt=formats(), np_scalars=st.booleans())
def test_modulation(i, j, fmt, np_scalars):
    check_scalar("modulation", dict(i=i, j=j), fmt, np_scalars)


@scaled(200)
@given(i=ijs, j=ijs, np_scalars=st.booleans())
def test_spatial_hash(i, j, np_scalars):
    args = (np.uint32(i), np.uint32(j)) if np_scalars else (i, j)
    got = pq.spatial_hash(*args)
    assert type(got) is np.uint32
    assert int(got) == ref.spatial_hash(i, j)


rbe_args = st.fixed_dictionaries(dict(
    R=Rs, T=Ts, i=ijs, j=ijs, eps=epss, log2_c=log2_cs, d_r=d_rs, rot=rots,
    d_theta=d_thetas))


@scaled(300)
@given(args=rbe_args, fmt=formats(), np_scalars=st.booleans())
def test_rbe(args, fmt, np_scalars):
    check_scalar("rbe", args, fmt, np_scalars)


@scaled(150)
@given(args=rbe_args, fmt=formats(), np_scalars=st.booleans())
def test_rbe_pipeline(args, fmt, np_scalars):
    check_scalar("rbe_pipeline", args, fmt, np_scalars)


@scaled(100)
@given(word=seed_words, i=ijs, j=ijs, eps=epss, fmt=formats(), np_scalars=st.booleans())
def test_rbe_seed64(word, i, j, eps, fmt, np_scalars):
    check_scalar("rbe_seed64", dict(word=word, i=i, j=j, eps=eps), fmt, np_scalars)


@pytest.mark.parametrize("basis", [1, 10, 15])
def test_rbe_seed64_basis_rejected_like_reference(basis):
    word = ref.pack_seed64(1 << 19, 1 << 22, basis=basis)
    with pytest.raises(ValueError):
        ref.rbe_seed64(word, 1, 2)
    with pytest.raises(ValueError):
        pq.rbe_seed64(word, 1, 2)


# --------------------------------------------------------------------------
# Hard-case grids: one broadcast call, element-wise reference
# --------------------------------------------------------------------------

def as_array(name, values, shape, container):
    """values (a list) as an argument of the given shape.

    container "numpy": an ndarray of the argument's natural dtype;
    "object": an object ndarray of Python ints; "list": nested lists."""
    if container == "numpy":
        return np.array(values, dtype=ARRAY_DTYPE.get(name, np.int64)).reshape(shape)
    arr = np.empty(len(values), dtype=object)
    arr[:] = [int(v) for v in values]
    arr = arr.reshape(shape)
    return arr if container == "object" else arr.tolist()


def check_array(name, arrays, fmt, container="numpy"):
    """Call pq.<name> once on arrays (dict of name -> list or scalar) that
    are given mutually orthogonal axes (so the call covers their Cartesian
    product), then compare each element with a scalar reference call."""
    kind, dtype, frac = fmt
    axes = [k for k, v in arrays.items() if isinstance(v, (list, tuple))]
    shape = tuple(len(arrays[k]) for k in axes)
    call = {}
    for k, v in arrays.items():
        if k in axes:
            ax = axes.index(k)
            sh = [1] * len(axes)
            sh[ax] = len(v)
            call[k] = as_array(k, v, sh, container)
        else:
            call[k] = v
    pos, opts = _split(name, call)
    fkw = fmt_kwargs(dtype, frac)

    expected = np.empty(shape, dtype=object)
    raised = set()
    for idx in np.ndindex(*shape):
        el = {k: (arrays[k][idx[axes.index(k)]] if k in axes else arrays[k]) for k in arrays}
        epos, eopts = _split(name, el)
        outcome, value = reference_outcome(getattr(ref, name), *epos, **eopts, **fkw)
        if outcome == "raise":
            raised.add(value)
        expected[idx] = value
    if raised:
        assert len(raised) == 1, raised
        with pytest.raises(raised.pop()):
            getattr(pq, name)(*pos, **opts, **fkw)
        return False
    got = getattr(pq, name)(*pos, **opts, **fkw)
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.dtype(kind)
    assert got.shape == shape
    bad = [(idx, got[idx], expected[idx]) for idx in np.ndindex(*shape)
           if bits(kind, got[idx]) != bits(kind, expected[idx])]
    if kind == "object":
        assert all(type(x) is int for x in got.flat)
    assert not bad, (name, fmt, len(bad), bad[:5], {k: arrays[k] for k in axes})
    return True


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=fmt_id)
def test_radial_hard_grid(fmt):
    check_array("radial", dict(R=HARD_R, eps=HARD_EPS, log2_c=LOG2_CS, d_r=[0, 1]), fmt)


@pytest.mark.parametrize("frac", [61, 62, 63, 64])
def test_radial_int64_overflow_per_element(frac):
    """int64 raises exactly where the reference does, element by element
    (g' = 2 at R = 0 overflows already at frac 62)."""
    for R in HARD_R:
        for log2_c in LOG2_CS:
            for d_r in (0, 1):
                for eps in HARD_EPS:
                    check_scalar("radial", dict(R=R, eps=eps, log2_c=log2_c, d_r=d_r),
                                 ("int64", np.int64, frac))


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=fmt_id)
def test_angular_quarter_turns_and_neighbours(fmt):
    check_array("angular", dict(T=HARD_T, d_theta=[0, 1, 2, 3]), fmt)


@pytest.mark.parametrize("fmt", CORE_FORMATS, ids=fmt_id)
def test_angular_every_rot_and_d_theta(fmt):
    check_array("angular", dict(T=[0, 1, 2**60 - 1, U64_MAX, 0x0123456789ABCDEF],
                                rot=list(range(16)), d_theta=[0, 1, 2, 3]),
                fmt, container="object")


def _hash_pairs():
    """(i, j) pairs: the ends of the index range, hashes H that make phi
    exact (multiples of 2^30) or nearly so, and table points H = k 2^21."""
    pairs = [(i, j) for i in HARD_IJ for j in HARD_IJ]
    hashes = [0, 1 << 30, 1 << 31, 3 << 30, 1, U32_MAX, (1 << 30) + 1, (1 << 30) - 1,
              (3 << 30) + 1, (1 << 31) - 1, 1 << 21, 5 << 21, (1 << 29) + (1 << 21)]
    for n, H in enumerate(hashes):
        j = [0, U32_MAX, 12345][n % 3]
        pairs.append((index_for_hash(H, j), j))
    return pairs


HASH_PAIRS = _hash_pairs()


def test_spatial_hash_hard_pairs():
    i = np.array([p[0] for p in HASH_PAIRS], dtype=np.uint32)
    j = np.array([p[1] for p in HASH_PAIRS], dtype=np.uint32)
    got = pq.spatial_hash(i, j)
    assert got.dtype == np.uint32 and got.shape == i.shape
    assert [int(h) for h in got] == [ref.spatial_hash(a, b) for a, b in HASH_PAIRS]
    # broadcasting: every HARD_IJ i against every HARD_IJ j
    got = pq.spatial_hash(np.array(HARD_IJ, dtype=np.uint32)[:, None], HARD_IJ)
    assert got.shape == (len(HARD_IJ), len(HARD_IJ))
    assert [[int(h) for h in row] for row in got] == [
        [ref.spatial_hash(a, b) for b in HARD_IJ] for a in HARD_IJ]


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=fmt_id)
def test_modulation_hard_pairs(fmt):
    # the pairs lie on one axis: pass i and j as equal-length 1-D arrays
    kind, dtype, frac = fmt
    i = np.array([p[0] for p in HASH_PAIRS], dtype=np.uint32)
    j = np.array([p[1] for p in HASH_PAIRS], dtype=np.uint32)
    fkw = fmt_kwargs(dtype, frac)
    exp = [reference_outcome(ref.modulation, a, b, **fkw) for a, b in HASH_PAIRS]
    if any(o == "raise" for o, _ in exp):
        assert {v for o, v in exp if o == "raise"} == {OverflowError}
        with pytest.raises(OverflowError):
            pq.modulation(i, j, **fkw)
        return
    got = pq.modulation(i, j, **fkw)
    assert got.dtype == np.dtype(kind) and got.shape == i.shape
    assert [bits(kind, g) for g in got] == [bits(kind, v) for _, v in exp]


# a pair with H = 0 (phi = 1), one with H = 2^30 (phi = 11/10), and two at
# the ends of the index range (irrational phi)
RBE_PAIRS = [(index_for_hash(0, 7), 7), (index_for_hash(1 << 30, 0), 0),
             (U32_MAX, 0), (0, U32_MAX)]
RBE_R = [0, 1, 2**63, 2**63 + 1, U64_MAX]
RBE_T = [0, 1, TWO62 - 1, TWO62, TWO62 + 1, 2**63 + 2**20, 3 * TWO62 - 1]


@pytest.mark.parametrize("fmt", CORE_FORMATS, ids=fmt_id)
@pytest.mark.parametrize("func", ["rbe", "rbe_pipeline"])
def test_rbe_hard_grid(func, fmt):
    """R x T x (i, j) x log2_c x d_r over the hard values."""
    kind, dtype, frac = fmt
    for i, j in RBE_PAIRS[: 4 if func == "rbe" else 2]:
        check_array(func, dict(R=RBE_R, T=RBE_T if func == "rbe" else RBE_T[1:5], i=i, j=j,
                               log2_c=[-4, 0, 2, 3], d_r=[0, 1]), fmt)


@pytest.mark.parametrize("fmt", CORE_FORMATS, ids=fmt_id)
def test_rbe_every_option(fmt):
    """Every log2_c, d_r and a spread of (rot, d_theta), eps at its ends."""
    for rot, d_theta in [(0, 0), (15, 3), (3, 1), (8, 2)]:
        check_array("rbe", dict(R=[2**63, U64_MAX - 2**40], T=[TWO62, 0x3243F6A8885A308D],
                                i=RBE_PAIRS[0][0], j=RBE_PAIRS[0][1], log2_c=LOG2_CS,
                                d_r=[0, 1], eps=[0, U64_MAX], rot=rot, d_theta=d_theta),
                    fmt, container="object")


@pytest.mark.parametrize("frac", HARD_FRACS)
def test_rbe_every_frac(frac):
    """Each hard frac, int64 and object, on inputs whose |f| spans the range
    (up to 2.2: g' = 2 at R = 0, s = 1, phi = 11/10)."""
    for kind, dtype in (("int64", np.int64), ("object", object)):
        check_array("rbe", dict(R=[0, 1, 2**62, U64_MAX], T=[1, TWO62, TWO62 + 2**20],
                                i=RBE_PAIRS[1][0], j=RBE_PAIRS[1][1], d_r=[0, 1],
                                log2_c=[-4, 0]), (kind, dtype, frac))


def test_exact_ties_round_to_even():
    """g = 1/2 (R = 2^63, c = 4), s = +-1 (quarter turns), phi = 1 (H = 0 or
    2^31): f = +-1/2 exactly, a midpoint at frac 0 (rounds to even 0), exact
    at frac 1 and in floats.  Expected values from the formula, checked
    against the reference too."""
    for H in (0, 1 << 31):
        i, j = index_for_hash(H, 99), 99
        for T, d_theta, sign in ((TWO62, 0, 1), (0, 1, 1), (3 * TWO62, 0, -1), (0, 3, -1),
                                 (TWO62, 2, -1)):
            kw = dict(log2_c=2, d_theta=d_theta)
            for frac, want in ((0, 0), (1, sign), (2, 2 * sign), (64, sign * 2**63)):
                for dtype in (np.int64, object):
                    if frac == 64 and dtype is np.int64 and sign == 1:
                        continue  # 2^63 does not fit
                    assert ref.rbe(2**63, T, i, j, frac=frac, dtype=dtype, **kw) == want
                    got = pq.rbe(2**63, T, i, j, frac=frac, dtype=dtype, **kw)
                    assert got == want, (H, T, d_theta, frac, dtype)
            for dtype in (np.float64, np.float32):
                got = pq.rbe(2**63, T, i, j, dtype=dtype, **kw)
                assert type(got) is np.dtype(dtype).type and got == sign * 0.5
    # radial alone: g = 1/2 is a tie at frac 0 -> 0, and at frac 1 exact
    assert pq.radial(2**63, log2_c=2, frac=0) == 0 == ref.radial(2**63, log2_c=2, frac=0)
    assert pq.radial(2**63, log2_c=2, frac=1) == 1
    # g' = 0 at the same point: an exact zero, +0.0 in floats
    for dtype in (np.float64, np.float32):
        for T in (TWO62 + 12345, 3 * TWO62 + 12345):  # s > 0 and s < 0
            z = pq.rbe(2**63, T, 3, 4, log2_c=2, d_r=1, dtype=dtype)
            assert bits(np.dtype(dtype).name, z) == 0 == bits(
                np.dtype(dtype).name, ref.rbe(2**63, T, 3, 4, log2_c=2, d_r=1, dtype=dtype))


def _near_midpoint_cases():
    """Irrational values within about 2^-60 of a rounding midpoint, built
    from the exact points of the factors: sin = +-1/2 at T = k 2^64/12
    (k = 1, 5, 7, 11; 2^64/12 is not an integer, so T misses it by 1/3 or
    2/3 and s = +-1/2 + O(2^-62)), g = 1/2 at R = 2^63 with c = 4 (where
    g' = 0, so R = 2^63 +- 1 moves g by only ~2^-126), s = +-1 - O(2^-120)
    next to a quarter turn, and phi = 1 (H = 0 or 2^31).  f * 2^frac then
    lies next to a half-integer at frac 0 or 1, far closer than the fast
    path's error bound: Ziv's test must send these to the slow path."""
    i0, ih = index_for_hash(0, 3), index_for_hash(1 << 31, 3)
    cases = []
    for k in (1, 5, 7, 11):
        for d in (0, 1):
            T = k * TWO64 // 12 + d
            cases.append(("angular", dict(T=T)))
            for R in (2**63, 2**63 + 1, 2**63 - 1):
                for i in (i0, ih):
                    cases.append(("rbe", dict(R=R, T=T, i=i, j=3, log2_c=2)))
    for T in (TWO62 + 1, TWO62 - 1, TWO62 + 2**20, 3 * TWO62 + 1, TWO62 + 2**31):
        for R in (2**63, 2**63 + 1, 2**63 - 1, 2**63 + 2**20):
            for i in (i0, ih):
                for d_theta in (0, 2):
                    cases.append(("rbe", dict(R=R, T=T, i=i, j=3, log2_c=2, d_theta=d_theta)))
    return cases


NEAR_MIDPOINT_FORMATS = [("object", object, 0), ("object", object, 1), ("object", object, 2),
                         ("int64", np.int64, 0), ("object", object, 64),
                         ("float64", np.float64, None), ("float32", np.float32, None)]


@pytest.mark.parametrize("fmt", NEAR_MIDPOINT_FORMATS, ids=fmt_id)
def test_near_midpoint_cases(fmt):
    for name, args in _near_midpoint_cases():
        check_scalar(name, args, fmt)


@pytest.mark.parametrize("fmt", CORE_FORMATS, ids=fmt_id)
def test_rbe_seed64_hard_words(fmt):
    words = []
    for r in (0, 1, 1 << 19, (1 << 20) - 1):
        for theta in (0, 1, 1 << 22, (1 << 22) - 1, 3 << 22, (1 << 24) - 1):
            words.append(ref.pack_seed64(r, theta, d_theta=1, d_r=r & 1, rot=theta & 15,
                                         log2_c=(r % 8) - 4, reserved=63))
    words += [ref.pack_seed64(1 << 19, 1 << 21, log2_c=c, d_r=d) for c in LOG2_CS for d in (0, 1)]
    check_array("rbe_seed64", dict(word=words, i=[0, U32_MAX], j=[U32_MAX], eps=[0, U64_MAX]), fmt)


# --------------------------------------------------------------------------
# Random arrays: 1-D and broadcast 2-D
# --------------------------------------------------------------------------

def _rand_u64(rng, n):
    return [rng.getrandbits(64) for _ in range(n)]


def _random_arrays(func, seed, n):
    """n inputs of func from the inputs module's draws, as columns."""
    fn = registry.FUNCTIONS[func]
    b = inputs.RandomBits(zlib.crc32(seed.encode()))
    rows = [inputs.random_input(func, b) for _ in range(n)]
    return {name: [r[k] for r in rows] for k, name in enumerate(fn.inputs)}


VECTOR_FORMATS = [("int64", np.int64, 60), ("object", object, 64), ("object", object, None),
                  ("float64", np.float64, None), ("float32", np.float32, None)]


@pytest.mark.parametrize("fmt", VECTOR_FORMATS, ids=fmt_id)
@pytest.mark.parametrize("func", [f.name for f in registry.FUNCTIONS.values()
                                  if f.rounds and not f.is_matrix])
def test_random_1d_arrays(func, fmt):
    """Every argument an array of the same length (element-wise calls)."""
    kind, dtype, frac = fmt
    n = 60 if func != "radial" else 300
    a = _random_arrays(func, f"{func}-{fmt_id(fmt)}", n)
    fkw = fmt_kwargs(dtype, frac)
    call = {k: np.array(v, dtype=ARRAY_DTYPE.get(k, np.int64)) for k, v in a.items()}
    pos, opts = _split(func, call)
    got = getattr(pq, func)(*pos, **opts, **fkw)
    assert isinstance(got, np.ndarray) and got.dtype == np.dtype(kind) and got.shape == (n,)
    for m in range(n):
        epos, eopts = _split(func, {k: v[m] for k, v in a.items()})
        want = getattr(ref, func)(*epos, **eopts, **fkw)
        assert bits(kind, got[m]) == bits(kind, want), (func, fmt, {k: v[m] for k, v in a.items()})


@pytest.mark.parametrize("fmt", CORE_FORMATS, ids=fmt_id)
def test_random_broadcast_2d(fmt):
    """R of shape (6, 1) against T of shape (1, 7), scalar i/j, options as
    Python lists: an output of shape (6, 7)."""
    rng = random.Random(f"2d-{fmt_id(fmt)}")
    check_array("rbe", dict(R=_rand_u64(rng, 6), T=_rand_u64(rng, 7), i=rng.getrandbits(32),
                            j=rng.getrandbits(32), log2_c=-1, d_r=1, rot=5), fmt, container="list")
    check_array("radial", dict(R=_rand_u64(rng, 20), eps=[0, rng.getrandbits(64)],
                               log2_c=LOG2_CS), fmt, container="list")


# --------------------------------------------------------------------------
# Seed words and the float helpers
# --------------------------------------------------------------------------

LAYOUT = ("r", "theta", "basis", "d_theta", "d_r", "rot", "log2_c", "reserved")


def _fields(res):
    return tuple(getattr(res, k) for k in LAYOUT)


@scaled(100)
@given(word=u64)
def test_unpack_seed64(word):
    want = ref.unpack_seed64(word)
    got = pq.unpack_seed64(word)
    assert tuple(int(x) for x in _fields(got)) == tuple(want)


@scaled(100)
@given(f=st.tuples(st.integers(0, 2**20 - 1), st.integers(0, 2**24 - 1), st.integers(0, 15),
                   st.integers(0, 3), st.integers(0, 1), st.integers(0, 15), st.integers(-4, 3),
                   st.integers(0, 63)))
def test_pack_seed64(f):
    assert int(pq.pack_seed64(*f)) == ref.pack_seed64(*f)


@pytest.mark.parametrize("word", [0, U64_MAX, 0x7FFFF800000AFB6A, 0x80000800000AFB6A,
                                  1 << 63, (1 << 6) - 1, 0b111 << 6])
def test_seed64_hard_words(word):
    want = ref.unpack_seed64(word)
    assert tuple(int(x) for x in _fields(pq.unpack_seed64(word))) == tuple(want)
    assert int(pq.pack_seed64(*want)) == word


def test_seed64_arrays():
    rng = random.Random(64)
    words = np.array(_rand_u64(rng, 200), dtype=np.uint64)
    got = pq.unpack_seed64(words)
    for name in LAYOUT:
        col = getattr(got, name)
        assert isinstance(col, np.ndarray) and col.shape == (200,)
    for m, w in enumerate(words):
        want = ref.unpack_seed64(int(w))
        assert tuple(int(getattr(got, k)[m]) for k in LAYOUT) == tuple(want)
    packed = pq.pack_seed64(*(getattr(got, k) for k in LAYOUT))
    assert isinstance(packed, np.ndarray)
    assert [int(x) for x in packed] == [ref.pack_seed64(*ref.unpack_seed64(int(w))) for w in words]


def _q64_outcome(func, x):
    try:
        return "ok", func(x)
    except ValueError:
        return "raise", ValueError


unit_floats = st.floats(0, 1, exclude_max=True)
q64_inputs = st.one_of(
    unit_floats, st.floats(allow_nan=True, allow_infinity=True),
    st.fractions(min_value=0, max_value=1, max_denominator=2**80),
    st.sampled_from([0.0, 5e-324, 2.0**-65, 2.0**-64 * 1.5, 0.5, 1 - 2.0**-53, 1.0, -0.0,
                     Fraction(2**65 - 1, 2**65), Fraction(2**66 - 1, 2**66),
                     Fraction(1, 2**65), Fraction(3, 2**65), 0, 1]))


@scaled(200)
@given(x=q64_inputs)
def test_to_q64(x):
    outcome, want = _q64_outcome(ref.to_q64, x)
    if outcome == "raise":
        with pytest.raises(ValueError):
            pq.to_q64(x)
    else:
        assert int(pq.to_q64(x)) == want


theta_inputs = st.one_of(
    st.floats(-100, 100), st.floats(allow_nan=False, allow_infinity=False),
    st.fractions(min_value=-10, max_value=10, max_denominator=2**70),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, np.pi, -np.pi, 2 * np.pi, np.pi / 2,
                     3 * np.pi / 2, 1e300, -1e300, 1.7976931348623157e308, 0, 7, -7]))


@scaled(60)
@given(theta=theta_inputs)
def test_turns(theta):
    assert int(pq.turns(theta)) == ref.turns(theta)


def _seed_theta_field(theta):
    """round-half-even(frac(theta/(2 pi)) 2^24) mod 2^24 from mpmath, with a
    check that the working precision decides the rounding."""
    x = Fraction(theta)
    prec = 200
    while True:
        with mpmath.workprec(prec + max(0, abs(x.numerator).bit_length() - x.denominator.bit_length())):
            y = mpmath.mpf(x.numerator) / x.denominator * 2**23 / mpmath.pi
            n = int(mpmath.floor(y))
            rem = y - n
            if abs(rem - 0.5) > mpmath.mpf(2) ** (-prec // 2) or x == 0:
                up = rem > 0.5
                return (n + up) % (1 << 24)
        prec *= 2


@scaled(60)
@given(r=st.one_of(st.floats(0, 1.5), st.sampled_from([0.0, 0.5, 1 - 2**-21, 1 - 2**-22, 1.0,
                                                       3 * 2**-21, 2**-21])),
       theta=theta_inputs.filter(lambda t: not isinstance(t, Fraction)))
def test_seed64_from_float(r, theta):
    """r field: round-half-even(r 2^20) clamped to 2^20 - 1; theta field from
    an mpmath evaluation; the other fields pass through."""
    word = pq.seed64_from_float(r, theta, d_theta=2, rot=9, log2_c=-1, reserved=5)
    f = ref.unpack_seed64(int(word))
    assert f.r == min(round(Fraction(r) * 2**20), 2**20 - 1)  # round(): ties to even
    assert f.theta == _seed_theta_field(theta)
    assert (f.basis, f.d_theta, f.d_r, f.rot, f.log2_c, f.reserved) == (0, 2, 0, 9, -1, 5)
