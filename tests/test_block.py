"""rbe's array path: stage 1 on blocks, in SIMD lanes where the CPU allows.

rbe_block_avx2.c and rbe_block_avx512.c compile the stage-1 kernels on
lanes of 4 or 8 uint64 with 64-bit products built from 32-bit ones
(pq_w.h, PQ_LANES); the scalar path compiles the same source with unsigned
__int128.  Both are exact integer arithmetic, so the claim is bit-identity:

* ``_testing.debug_stage1(level, ...)`` returns stage 1's F = |f| 2^123, sign
  and ok flag; level 0 is the scalar kernels, 1 AVX2, 2 AVX-512.  Every level
  the CPU has must give the same words as level 0 on random and hard inputs,
  for every option.
* ``_testing.set_simd(level)`` makes ``rbe`` run the array path at that level
  (0 = the per-element scalar loop).  Results, including the errors raised,
  must be identical at every level, and equal to the reference.

On a CPU without AVX2 only level 0 exists; the level tests are then skipped
as "not available here" and the comparisons with the reference still run.
"""
import glob
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import _kernels, _testing
from poincare_q64 import reference as ref

U64 = np.iinfo(np.uint64).max

CPU_LEVEL = _kernels.simd_level()
SIMD_LEVELS = [lv for lv in (1, 2) if lv <= CPU_LEVEL]


def _inputs(n, seed, toff=0):
    rng = np.random.default_rng(seed)
    R = rng.integers(0, U64, size=n, dtype=np.uint64, endpoint=True)
    T = rng.integers(0, U64, size=n, dtype=np.uint64, endpoint=True)
    i = rng.integers(0, 2**32 - 1, size=n, dtype=np.uint32, endpoint=True)
    j = rng.integers(0, 2**32 - 1, size=n, dtype=np.uint32, endpoint=True)
    # hard cases: R at both ends, quarter turns and their neighbours, the
    # index extremes, R small enough that F has leading zero words
    R[:8] = [0, 1, 2, 2**32, U64, U64 - 1, 2**63, 2**60 + 1]
    T[8:20] = [0, 1, U64, 2**62, 2**62 - 1, 2**62 + 1, 2**63, 2**63 + 1, 3 * 2**62,
               3 * 2**62 - 1, 2**61, 2**60]
    i[20:24] = [0, 2**32 - 1, 0, 2**32 - 1]
    j[20:24] = [0, 0, 2**32 - 1, 2**32 - 1]
    R[24:28] = [1, 3, 2**20, 2**40]
    # quarter turns once rot and d_theta (toff = their turn offset) are added
    T[28:32] = [(q * 2**62 - toff) % 2**64 for q in range(4)]
    return R, T, i, j


@pytest.fixture(autouse=True)
def _restore_simd():
    yield
    _testing.set_simd(-1)


def test_cpu_level_is_reported():
    assert CPU_LEVEL in (0, 1, 2)


OPTIONS = [
    dict(),
    dict(log2_c=-4), dict(log2_c=-1), dict(log2_c=3),
    dict(d_r=1), dict(d_r=1, log2_c=2), dict(d_r=1, log2_c=-4),
    dict(eps=1), dict(eps=2**63), dict(eps=U64), dict(eps=12345678901234567, d_r=1, log2_c=1),
    dict(rot=5), dict(d_theta=3), dict(rot=15, d_theta=1),
]


@pytest.mark.parametrize("level", SIMD_LEVELS or [pytest.param(1, marks=pytest.mark.skip(
    reason="no SIMD level on this CPU: the block code is not compiled in or not usable"))])
@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_block_stage1_equals_scalar_stage1(level, opts):
    toff = opts.get("rot", 0) * 2**60 + opts.get("d_theta", 0) * 2**62
    R, T, i, j = _inputs(3000, seed=len(str(opts)) * 7 + level, toff=toff)
    want = _testing.debug_stage1(0, R, T, i, j, **opts)
    got = _testing.debug_stage1(level, R, T, i, j, **opts)
    for w, g, name in zip(want, got, ("Fhi", "Flo", "flags")):
        bad = np.flatnonzero(w != g)
        assert bad.size == 0, (
            f"{name} differs at {bad[:5]}: R={R[bad[:5]]} T={T[bad[:5]]} "
            f"i={i[bad[:5]]} j={j[bad[:5]]}: {g[bad[:5]]} expected {w[bad[:5]]}")
    # the flags are not all alike: the comparison covered both signs and
    # the exact cases the block leaves to the scalar path
    assert set(np.unique(want[2])) >= {2, 3}
    assert (want[2] & 2 == 0).any()


def test_debug_stage1_rejects_bad_level_or_options():
    R, T, i, j = _inputs(40, seed=1)
    with pytest.raises(ValueError):
        _testing.debug_stage1(3, R, T, i, j)
    with pytest.raises(ValueError):
        _testing.debug_stage1(0, R, T, i, j, log2_c=4)
    with pytest.raises(ValueError):
        _testing.set_simd(3)


FORMATS = [
    dict(frac=62), dict(frac=0), dict(frac=31), dict(frac=63), dict(frac=64, dtype=object),
    dict(dtype=np.float64), dict(dtype=np.float32),
]


def _run(level, R, T, i, j, fmt, opts):
    _testing.set_simd(level)
    try:
        return ("ok", pq.rbe(R, T, i, j, threads=1, **fmt, **opts))
    except (OverflowError, ValueError) as exc:
        return (type(exc).__name__, str(exc))
    finally:
        _testing.set_simd(-1)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in f.items()))
@pytest.mark.parametrize("opts", [dict(), dict(log2_c=-3, d_r=1), dict(eps=2**62, rot=3)],
                         ids=["default", "log2_c=-3,d_r=1", "eps,rot"])
def test_rbe_identical_at_every_simd_level(fmt, opts):
    # frac 63 (and 62 with |f| > 2) overflows int64 on some inputs: then
    # every level must raise the same OverflowError
    R, T, i, j = _inputs(1500, seed=11)
    results = [_run(lv, R, T, i, j, fmt, opts) for lv in [0] + SIMD_LEVELS]
    kind0, val0 = results[0]
    for lv, (kind, val) in zip([0] + SIMD_LEVELS, results):
        assert kind == kind0, (lv, kind, kind0, val)
        if kind == "ok":
            assert val.dtype == val0.dtype
            same = (val == val0) | ((val != val) & (val0 != val0))
            assert np.all(same), (lv, np.flatnonzero(~same)[:5])
        else:
            assert val == val0


@pytest.mark.parametrize("level", [0] + SIMD_LEVELS)
@pytest.mark.parametrize("fmt", [dict(frac=62), dict(frac=64, dtype=object), dict(dtype=np.float64)],
                         ids=["int64-62", "object-64", "float64"])
def test_rbe_block_path_matches_reference(level, fmt):
    R, T, i, j = _inputs(120, seed=5 + level)
    _testing.set_simd(level)
    try:
        got = pq.rbe(R, T, i, j, threads=1, **fmt)
    finally:
        _testing.set_simd(-1)
    for k in range(len(R)):
        want = ref.rbe(int(R[k]), int(T[k]), int(i[k]), int(j[k]), **fmt)
        assert got[k] == want, (k, int(R[k]), int(T[k]), int(i[k]), int(j[k]), got[k], want)


def test_overflow_raised_through_the_block_path():
    # d_r = 1 with c = 1/16 gives g' near 2 at r = 0, so |f| can exceed 2 > int64 at frac 62
    n = 2000
    R = np.full(n, 2**40, dtype=np.uint64)
    T = np.full(n, 2**62 - 2**50, dtype=np.uint64)  # s close to 1
    i = np.arange(n, dtype=np.uint32)
    j = np.zeros(n, dtype=np.uint32)
    for level in [0] + SIMD_LEVELS:
        _testing.set_simd(level)
        try:
            with pytest.raises(OverflowError, match="int64"):
                pq.rbe(R, T, i, j, d_r=1, log2_c=-4, frac=62, threads=1)
        finally:
            _testing.set_simd(-1)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_c_benchmark_builds_and_agrees_across_levels(tmp_path):
    """benchmarks/bench_range.c (the C timing of pq_rbe_range) compiles as
    its comment says, and its checksum is the same at every level."""
    src = os.path.join(ROOT, "poincare_q64", "src")
    exe = str(tmp_path / "bench_range")
    subprocess.run(["gcc", "-O1", "-std=c11", "-fno-strict-aliasing", "-I" + src,
                    os.path.join(ROOT, "benchmarks", "bench_range.c")]
                   + sorted(glob.glob(os.path.join(src, "*.c"))) + ["-o", exe],
                   check=True, capture_output=True, timeout=300)
    sums = set()
    for level in [0] + SIMD_LEVELS:
        out = subprocess.run([exe, "5000", "1", "0", str(level)], check=True,
                             capture_output=True, text=True, timeout=60).stdout
        m = re.fullmatch(r"level (\d): [\d.]+ ns/element, 0 errors, checksum ([0-9a-f]{16})\n", out)
        assert m and int(m.group(1)) == level, out
        sums.add(m.group(2))
    assert len(sums) == 1


def test_broadcast_inputs_on_the_block_path():
    """Full blocks read unit-stride inputs in place and copy the others
    (broadcast scalars have stride 0): both give the per-element results."""
    R, T, i, j = _inputs(1000, seed=21)
    cases = [(R[3], T, i, j), (R, T[5], i, j), (R, T, i[7], j[9]), (R[:, None], T[None, :8], 3, j[:8])]
    for args in cases:
        got = [_run(lv, *args, dict(frac=62), dict(log2_c=2)) for lv in [0] + SIMD_LEVELS]
        for kind, val in got:
            assert kind == "ok"
            assert np.array_equal(val, got[0][1])


def _option_columns(n, seed, pattern):
    """Per-element options: every option varying over its range, in blocks
    whose eps are all zero, all nonzero or mixed, and whose d_r are all 0,
    all 1 or mixed (the lane code's six combinations)."""
    rng = np.random.default_rng(seed)
    eps = rng.integers(0, U64, size=n, dtype=np.uint64, endpoint=True)
    log2_c = rng.integers(-4, 3, size=n, dtype=np.int32, endpoint=True)
    d_r = rng.integers(0, 1, size=n, dtype=np.int32, endpoint=True)
    rot = rng.integers(0, 15, size=n, dtype=np.int32, endpoint=True)
    d_theta = rng.integers(0, 3, size=n, dtype=np.int32, endpoint=True)
    e_kind, d_kind = pattern
    if e_kind == "zero":
        eps[:] = 0
    elif e_kind == "mixed":
        eps[rng.random(n) < 0.5] = 0
    if d_kind in (0, 1):
        d_r[:] = d_kind
    return dict(eps=eps, log2_c=log2_c, d_r=d_r, rot=rot, d_theta=d_theta)


PATTERNS = [(e, d) for e in ("zero", "nonzero", "mixed") for d in (0, 1, "mixed")]


@pytest.mark.parametrize("level", SIMD_LEVELS or [pytest.param(1, marks=pytest.mark.skip(
    reason="no SIMD level on this CPU: the block code is not compiled in or not usable"))])
@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: f"eps-{p[0]},d_r-{p[1]}")
def test_block_stage1_per_lane_options_equal_scalar_stage1(level, pattern):
    """Options read per lane (a log2_c shift, eps, the turn offset and d_r
    for each lane) give each lane the words the scalar stage 1 gives that
    element with its own options."""
    n = 1100  # 8 full blocks and a partial one
    R, T, i, j = _inputs(n, seed=31 + level)
    opts = _option_columns(n, seed=PATTERNS.index(pattern), pattern=pattern)
    want = _testing.debug_stage1(0, R, T, i, j, **opts)
    got = _testing.debug_stage1(level, R, T, i, j, **opts)
    for w, g, name in zip(want, got, ("Fhi", "Flo", "flags")):
        bad = np.flatnonzero(w != g)
        assert bad.size == 0, (f"{name} differs at {bad[:5]}: {g[bad[:5]]} expected {w[bad[:5]]}",
                               {k: v[bad[:5]] for k, v in opts.items()})
    assert set(np.unique(want[2])) >= {2, 3}
    # the same words as each element computed alone with scalar options
    for k in range(0, n, 97):
        one = _testing.debug_stage1(0, R[k:k + 1], T[k:k + 1], i[k:k + 1], j[k:k + 1],
                                    **{o: int(v[k]) for o, v in opts.items()})
        assert [int(x[0]) for x in one] == [int(x[k]) for x in want]


@pytest.mark.parametrize("fmt", [dict(dtype=np.float64), dict(dtype=np.float32),
                                 dict(frac=60), dict(frac=64, dtype=object)],
                         ids=["float64", "float32", "int64-60", "object-64"])
def test_rbe_per_element_options_on_the_lanes(fmt):
    """rbe with options per element: identical at every SIMD level (the
    lanes read them per lane, level 0 is the scalar loop) and equal to the
    reference."""
    n = 1300
    R, T, i, j = _inputs(n, seed=41)
    opts = _option_columns(n, seed=43, pattern=("mixed", "mixed"))
    results = [_run(lv, R, T, i, j, fmt, opts) for lv in [0] + SIMD_LEVELS]
    assert results[0][0] == "ok", results[0]
    for lv, (kind, val) in zip([0] + SIMD_LEVELS, results):
        assert kind == "ok", (lv, val)
        assert np.array_equal(val, results[0][1]), (lv, np.flatnonzero(val != results[0][1])[:5])
    got = results[-1][1]
    for k in range(0, n, 13):
        want = ref.rbe(int(R[k]), int(T[k]), int(i[k]), int(j[k]),
                       **{o: int(v[k]) for o, v in opts.items()}, **fmt)
        assert got[k] == want, (k, got[k], want)


def test_invalid_per_element_options_on_the_lanes():
    """An element whose options are out of range in the middle of a block:
    every level raises the same error and leaves `out` unwritten, and the
    lanes beside it are unaffected (the same range without it agrees)."""
    n = 300
    R, T, i, j = _inputs(n, seed=51)
    opts = _option_columns(n, seed=53, pattern=("mixed", "mixed"))
    for name, bad_value in (("log2_c", 4), ("d_r", 2), ("rot", 16), ("d_theta", -1)):
        o = {k: v.copy() for k, v in opts.items()}
        o[name][137] = bad_value
        errors = set()
        for lv in [0] + SIMD_LEVELS:
            out = np.full(n, -1.5)
            _testing.set_simd(lv)
            try:
                with pytest.raises(ValueError) as exc:
                    pq.rbe(R, T, i, j, dtype=np.float64, out=out, threads=1, **o)
            finally:
                _testing.set_simd(-1)
            errors.add(str(exc.value))
            assert np.all(out == -1.5), (name, lv)
        assert len(errors) == 1, errors
        keep = np.arange(n) != 137
        for lv in [0] + SIMD_LEVELS:
            _testing.set_simd(lv)
            try:
                part = pq.rbe(R[keep], T[keep], i[keep], j[keep], dtype=np.float64, threads=1,
                              **{k: v[keep] for k, v in o.items()})
            finally:
                _testing.set_simd(-1)
            assert np.array_equal(part, _run(0, R[keep], T[keep], i[keep], j[keep],
                                             dict(dtype=np.float64),
                                             {k: v[keep] for k, v in o.items()})[1])


def _at_level(level, fn, *args, **kw):
    _testing.set_simd(level)
    try:
        return ("ok", fn(*args, threads=1, **kw))
    except (OverflowError, ValueError) as exc:
        return (type(exc).__name__, str(exc))
    finally:
        _testing.set_simd(-1)


def _same(a, b):
    if a[0] != "ok" or b[0] != "ok":
        return a == b
    return a[1].dtype == b[1].dtype and np.array_equal(a[1], b[1])


def _every_level_agrees(base, fn, *args, **kw):
    """fn's outcome at every SIMD level, and at the best one with stage 1's
    bounds widened 2^16-fold (many lane tests fail), is base (level 0's)."""
    for lv in SIMD_LEVELS:
        assert _same(_at_level(lv, fn, *args, **kw), base), lv
    if SIMD_LEVELS:
        _testing.set_force_slow_path(3)
        try:
            widened = _at_level(SIMD_LEVELS[-1], fn, *args, **kw)
        finally:
            _testing.set_force_slow_path(0)
        assert _same(widened, base)


@pytest.mark.parametrize("fmt", [dict(dtype=np.float64), dict(dtype=np.float32), dict(frac=62),
                                 dict(frac=64, dtype=object)],
                         ids=["float64", "float32", "int64-62", "object-64"])
@pytest.mark.parametrize("per_element", [False, True], ids=["scalar-options", "per-element"])
def test_rbe_pipeline_on_the_lanes(fmt, per_element):
    """rbe_pipeline's arrays: the lanes round g, s and phi to Q64 with
    Ziv's test and the products follow per element; every level gives the
    scalar loop's results (also with stage 1's bounds widened 2^16-fold, so
    that many lane tests fail and the elements go through pq_rbe_pipeline),
    and they equal the reference."""
    n = 1300
    R, T, i, j = _inputs(n, seed=61)
    opts = (_option_columns(n, seed=63, pattern=("mixed", "mixed")) if per_element
            else dict(eps=2**62 + 7, log2_c=-2, d_r=1, rot=3, d_theta=1))
    base = _at_level(0, pq.rbe_pipeline, R, T, i, j, **fmt, **opts)
    _every_level_agrees(base, pq.rbe_pipeline, R, T, i, j, **fmt, **opts)
    if base[0] != "ok":  # int64 at frac 62 overflows for some options: then all agree on it
        assert base[0] == "OverflowError"
        return
    for k in range(0, n, 29):
        kw = {o: (int(v[k]) if per_element else v) for o, v in opts.items()}
        want = ref.rbe_pipeline(int(R[k]), int(T[k]), int(i[k]), int(j[k]), **kw, **fmt)
        assert base[1][k] == want, (k, base[1][k], want)


@pytest.mark.parametrize("fmt", [dict(dtype=np.float64), dict(dtype=np.float32),
                                 dict(frac=60), dict(frac=64, dtype=object)],
                         ids=["float64", "float32", "int64-60", "object-64"])
def test_rbe_seed64_on_the_lanes(fmt):
    """rbe_seed64's arrays unpack each block of words into option columns
    for the lanes: every level gives the scalar loop's results, equal to
    the reference; a word with basis != 0 is the same ValueError at every
    level, with `out` left as it was."""
    n = 1300
    rng = np.random.default_rng(71)
    fields = dict(r=rng.integers(0, 2**20, n), theta=rng.integers(0, 2**24, n),
                  basis=np.zeros(n, np.int64), d_theta=rng.integers(0, 4, n),
                  d_r=rng.integers(0, 2, n), rot=rng.integers(0, 16, n),
                  log2_c=rng.integers(-4, 4, n), reserved=rng.integers(0, 64, n))
    fields["theta"][:8] = [0, 2**22, 2**23, 3 * 2**22, 1, 2**24 - 1, 2**22 + 1, 2**22 - 1]
    fields["r"][8:12] = [0, 1, 2**20 - 1, 2**19]
    W = pq.pack_seed64(**fields)
    _, _, i, j = _inputs(n, seed=73)
    eps = np.where(rng.random(n) < 0.5, 0, rng.integers(0, U64, n, dtype=np.uint64,
                                                        endpoint=True)).astype(np.uint64)
    base = _at_level(0, pq.rbe_seed64, W, i, j, eps=eps, **fmt)
    assert base[0] == "ok", base
    for lv in SIMD_LEVELS:
        assert _same(_at_level(lv, pq.rbe_seed64, W, i, j, eps=eps, **fmt), base), lv
    for k in range(0, n, 29):
        want = ref.rbe_seed64(int(W[k]), int(i[k]), int(j[k]), eps=int(eps[k]), **fmt)
        assert base[1][k] == want, (k, base[1][k], want)
    bad = W.copy()
    bad[700] |= np.uint64(1 << 16)  # basis 1
    errors = set()
    for lv in [0] + SIMD_LEVELS:
        out = np.full(n, -3.0) if fmt.get("dtype") is np.float64 else None
        got = _at_level(lv, pq.rbe_seed64, bad, i, j, eps=eps, **fmt,
                        **({"out": out} if out is not None else {}))
        assert got[0] == "ValueError", got
        errors.add(got[1])
        if out is not None:
            assert np.all(out == -3.0)
    assert len(errors) == 1, errors


ONE = {
    "radial": (pq.radial, ref.radial, lambda R, T, i, j: (R,), ("eps", "log2_c", "d_r")),
    "angular": (pq.angular, ref.angular, lambda R, T, i, j: (T,), ("rot", "d_theta")),
    "modulation": (pq.modulation, ref.modulation, lambda R, T, i, j: (i, j), ()),
}


@pytest.mark.parametrize("name", sorted(ONE))
@pytest.mark.parametrize("fmt", [dict(dtype=np.float64), dict(dtype=np.float32), dict(frac=62),
                                 dict(frac=63), dict(frac=64, dtype=object)],
                         ids=["float64", "float32", "int64-62", "int64-63", "object-64"])
def test_radial_angular_modulation_on_the_lanes(name, fmt):
    """radial, angular and modulation on arrays: stage 1 and the rounding in
    the lanes (options per lane), the rest through the scalar kernel.  Every
    level gives the scalar loop's results, also with stage 1's bounds
    widened 2^16-fold (many lane tests then fail), and the reference's."""
    fn, rfn, args, names = ONE[name]
    n = 1300
    R, T, i, j = _inputs(n, seed=81)
    # exact cases for each function among the inputs: R = 0 (g = 0), quarter
    # turns (s exact), and (i, j) whose hash is a multiple of 2^30 (phi exact)
    R[40:44] = [0, 0, 1, 2]
    T[44:48] = [0, 2**62, 2**63, 3 * 2**62]
    hashes = pq.spatial_hash(np.arange(2**16, dtype=np.uint32), np.uint32(0))
    exact = np.flatnonzero(hashes % 2**30 == 0)
    if exact.size:
        i[48], j[48] = exact[0], 0
    cols = _option_columns(n, seed=83, pattern=("mixed", "mixed"))
    opts = {k: cols[k] for k in names}
    a = args(R, T, i, j)
    for o in (opts, {k: int(v[0]) for k, v in opts.items()}):
        no_threads = lambda *x, threads, **kw: fn(*x, **kw)  # noqa: E731
        base = _at_level(0, no_threads, *a, **fmt, **o)
        _every_level_agrees(base, no_threads, *a, **fmt, **o)
        if base[0] != "ok":
            assert base[0] == "OverflowError", base
            continue
        for k in list(range(0, n, 31)) + [40, 41, 44, 45, 46, 47, 48]:
            kw = {key: int(np.broadcast_to(v, (n,))[k]) for key, v in o.items()}
            want = rfn(*(int(x[k]) for x in a), **kw, **fmt)
            assert base[1][k] == want, (k, base[1][k], want)


# ---- rbe_seed64 at eps = 0: the short kernels ------------------------------
# A seed word's R = r 2^44 and T' = theta 2^40 + (rot + 4 d_theta) 2^60 have
# their low 44 and 40 bits zero; rbe_seed64's lanes use kernels with shorter
# products that rely on it (pq_fast_seed_g, pq_fast_sin40_w).  The claim is
# the general kernels' words, for every seed word.
SEED_OPTIONS = dict(log2_c=range(-4, 4), d_r=range(2), rot=range(16), d_theta=range(4))


def _seed_words(n, seed, d_r="mixed"):
    """n random seed words (basis 0) with the edges of r and theta, then
    every combination of log2_c, d_r, rot and d_theta; d_r "sorted" makes
    most blocks of 128 all 0 or all 1, "mixed" leaves them mixed."""
    rng = np.random.default_rng(seed)
    grid = np.array(np.meshgrid(*SEED_OPTIONS.values(), indexing="ij")).reshape(4, -1)
    m = n + grid.shape[1]
    f = dict(r=rng.integers(0, 2**20, m), theta=rng.integers(0, 2**24, m),
             basis=np.zeros(m, np.int64), d_theta=rng.integers(0, 4, m),
             d_r=rng.integers(0, 2, m), rot=rng.integers(0, 16, m),
             log2_c=rng.integers(-4, 4, m), reserved=rng.integers(0, 64, m))
    for name, col in zip(SEED_OPTIONS, grid):
        f[name][n:] = col
    # quarter turns and their neighbours, table points (theta 2^11 k) and
    # the midpoints between them (where the nearest point changes), the
    # ends of theta; r at 0, 1, the top and the middle
    q = [a * 2**22 + b for a in range(4) for b in (-1, 0, 1)]
    t = [k * 2**11 + b for k in (1, 5, 2047, 2048, 2049, 4095) for b in (-1, 0, 1, 2**10, -2**10)]
    edges_t = np.array([x % 2**24 for x in q + t + [2**24 - 1]])
    edges_r = np.array([0, 1, 2, 2**20 - 1, 2**19, 2**19 + 1, 2**10])
    f["theta"][n::2] = np.resize(edges_t, f["theta"][n::2].shape)
    f["r"][n + 1::2] = np.resize(edges_r, f["r"][n + 1::2].shape)
    f["theta"][:len(edges_t)] = edges_t
    f["r"][len(edges_t):len(edges_t) + len(edges_r)] = edges_r
    if d_r == "sorted":
        f = {k: v[np.argsort(f["d_r"], kind="stable")] for k, v in f.items()}
    _, _, i, j = _inputs(m, seed=seed + 1)
    return pq.pack_seed64(**f), f, i, j


def _seed_general_stage1(f, i, j):
    R = f["r"].astype(np.uint64) << np.uint64(44)
    T = f["theta"].astype(np.uint64) << np.uint64(40)
    return _testing.debug_stage1(0, R, T, i, j, eps=0, log2_c=f["log2_c"], d_r=f["d_r"],
                                 rot=f["rot"], d_theta=f["d_theta"])


@pytest.mark.parametrize("level", [0] + SIMD_LEVELS)
@pytest.mark.parametrize("d_r", ["mixed", "sorted"])
def test_seed64_short_kernels_equal_general_stage1(level, d_r):
    """F, sign and ok of the short kernels (level 0 scalar, in both forms;
    1 and 2 the block code, whose blocks are all d_r = 0, all 1 or mixed)
    are the general scalar stage 1's at R = r 2^44, T = theta 2^40 and the
    word's options, for random words, the edges of r and theta and every
    combination of the options."""
    W, f, i, j = _seed_words(3000, seed=81, d_r=d_r)
    want = _seed_general_stage1(f, i, j)
    assert np.count_nonzero(want[2] & 2) > len(W) // 2  # most words reach stage 1's F
    forms = [False, True] if level == 0 else [False]
    for mixed in forms:
        got = _testing.debug_stage1_seed64(level, W, i, j, mixed=mixed)
        for name, a, b in zip(("Fhi", "Flo", "flags"), got, want):
            bad = np.flatnonzero(a != b)
            assert bad.size == 0, (name, mixed, [hex(int(W[k])) for k in bad[:5]])


def test_debug_stage1_seed64_rejects_basis_and_bad_level():
    W, _, i, j = _seed_words(10, seed=83)
    bad = W.copy()
    bad[3] |= np.uint64(5 << 16)
    with pytest.raises(ValueError):
        _testing.debug_stage1_seed64(0, bad, i, j)
    with pytest.raises(ValueError):
        _testing.debug_stage1_seed64(CPU_LEVEL + 1, W, i, j)


SEED_FORMATS = [dict(dtype=np.float64), dict(dtype=np.float32), dict(frac=60),
                dict(frac=0), dict(frac=64, dtype=object)]


@pytest.mark.parametrize("fmt", SEED_FORMATS,
                         ids=["float64", "float32", "int64-60", "int64-0", "object-64"])
@pytest.mark.parametrize("d_r", ["mixed", "sorted"])
def test_rbe_seed64_short_kernels_on_the_lanes(fmt, d_r):
    """rbe_seed64 at eps = 0 runs the short kernels on the lanes: every SIMD
    level gives the scalar loop's results, also with stage 1's bounds
    widened 2^16-fold (many elements then go through pq_rbe_seed64), and
    they equal the reference.  eps as an array whose blocks are zero except
    one takes the short kernels for those blocks and the general lanes for
    that one."""
    W, _, i, j = _seed_words(1500, seed=85, d_r=d_r)
    n = len(W)
    eps_col = np.zeros(n, np.uint64)
    eps_col[300:310] = 2**61 + 12345
    for eps in (0, eps_col):
        base = _at_level(0, pq.rbe_seed64, W, i, j, eps=eps, **fmt)
        assert base[0] == "ok", base
        _every_level_agrees(base, pq.rbe_seed64, W, i, j, eps=eps, **fmt)
        for k in list(range(0, n, 97)) + list(range(300, 310, 3)):
            e = int(np.broadcast_to(eps, (n,))[k])
            want = ref.rbe_seed64(int(W[k]), int(i[k]), int(j[k]), eps=e, **fmt)
            assert base[1][k] == want, (k, hex(int(W[k])), base[1][k], want)


def test_rbe_seed64_short_kernels_strided_and_broadcast():
    """Words read backwards (a negative stride), one word for every (i, j)
    (stride 0) and a length that leaves a partial group of lanes: the same
    results at every level as the scalar loop."""
    W, _, i, j = _seed_words(700, seed=87)
    cases = [(W[::-1], i, j), (W[5], i[:301], j[:301]), (W[:203], i[:203], j[:203]),
             (W[::3], i[::3], j[::3])]
    for args in cases:
        base = _at_level(0, pq.rbe_seed64, *args, dtype=np.float64)
        assert base[0] == "ok", base
        for lv in SIMD_LEVELS:
            assert _same(_at_level(lv, pq.rbe_seed64, *args, dtype=np.float64), base), lv


def test_rbe_seed64_basis_on_the_short_kernels():
    """A word with basis != 0 among words at eps = 0 (the short kernels'
    blocks) is the same ValueError at every level, `out` left as it was."""
    W, _, i, j = _seed_words(500, seed=89)
    bad = W.copy()
    bad[200] |= np.uint64(15 << 16)
    errors = set()
    for lv in [0] + SIMD_LEVELS:
        out = np.full(len(W), -3.0)
        got = _at_level(lv, pq.rbe_seed64, bad, i, j, dtype=np.float64, out=out)
        assert got[0] == "ValueError", got
        errors.add(got[1])
        assert np.all(out == -3.0)
    assert len(errors) == 1, errors


def test_seed64_short_kernels_on_a_sample_of_their_inputs():
    """The short kernels' words equal the general stage 1's on every 16th
    word of the sweep over all their inputs (2^24 values of T' and of
    (r, log2_c, d_r); the whole sweep is
    ``python -m poincare_q64.validation.seed64_short_kernels``), at level 0
    in both forms and at every SIMD level, in blocks of mixed and of
    uniform d_r."""
    from poincare_q64.validation import seed64_short_kernels as sweep
    n, bad = sweep.check(stride=16, levels=SIMD_LEVELS)
    assert n == (1 << 24) // 16
    assert bad == []


# ---- rbe_pipeline: P1, P2 and the final rounding in the lanes -------------
#
# The lanes form P1 = round(g64 s64 / 2^64) and P2 = round(P1 phi64 / 2^64)
# and round P2 / 2^64 to int64 (any frac), float64 or float32 with no error
# bound, ties to even; int128, results that do not fit and P2 < 8 (floats)
# go to the scalar rounding of P2.  The reference's result at
# frac 64 (dtype=object) is +-P2 itself, which tells which inputs are ties.

PIPELINE_FORMATS = [dict(frac=0), dict(frac=1), dict(frac=31), dict(frac=61), dict(frac=62),
                    dict(frac=63), dict(frac=64), dict(dtype=np.float64), dict(dtype=np.float32),
                    dict(frac=64, dtype=object), dict(frac=20, dtype=object)]
PIPELINE_IDS = ["int64-0", "int64-1", "int64-31", "int64-61", "int64-62", "int64-63", "int64-64",
                "float64", "float32", "object-64", "object-20"]


def _phi_exact_index():
    """an i with spatial_hash(i, 0) a multiple of 2^30 (phi exact), or None"""
    hashes = pq.spatial_hash(np.arange(2**16, dtype=np.uint32), np.uint32(0))
    exact = np.flatnonzero(hashes % 2**30 == 0)
    return int(exact[0]) if exact.size else None


def _pipeline_inputs(n, seed):
    """random inputs with stage 1's hard cases (_inputs), then small |s|:
    T = +-(2^e + a fraction of 2^e), where P2 has about e + 2 bits, so that
    P2 = 0, P2 < 8, float32 ties (e near 24) and float64 ties (e near 53)
    come up; R = 0 (r = 0, where |g| or |g'| is largest) and (i, j) with
    phi exact"""
    R, T, i, j = _inputs(n, seed)
    rng = np.random.default_rng(seed + 1)
    lo = 40
    m = (n - lo) // 2
    e = np.concatenate([rng.integers(0, 8, m // 5), rng.integers(20, 29, 2 * m // 5),
                        rng.integers(50, 57, m - m // 5 - 2 * m // 5)])
    small = [(1 << int(x)) + int(rng.integers(0, 1 << int(x), dtype=np.uint64)) for x in e]
    T[lo:lo + m] = [t if k % 2 else 2**64 - t for k, t in enumerate(small)]
    R[lo + m:lo + m + 4] = 0
    k = _phi_exact_index()
    if k is not None:
        i[lo + m + 4], j[lo + m + 4] = k, 0
    return R, T, i, j


def _ref_p2(R, T, i, j, opts, ks):
    """+-P2 of elements ks, from the reference"""
    out = {}
    for k in ks:
        kw = {o: int(np.broadcast_to(v, R.shape)[k]) for o, v in opts.items()}
        out[k] = ref.rbe_pipeline(int(R[k]), int(T[k]), int(i[k]), int(j[k]), frac=64,
                                  dtype=object, **kw)
    return out


def _fits_int64(p2, frac):
    """P2 / 2^64 at frac, rounded (the nearest integers either way), well
    inside int64: no overflow whatever the tie does"""
    return abs(p2) >> (64 - frac) < 2**63 - 1


@pytest.mark.parametrize("fmt", PIPELINE_FORMATS, ids=PIPELINE_IDS)
@pytest.mark.parametrize("per_element", [False, True], ids=["scalar-options", "per-element"])
def test_rbe_pipeline_lanes_equal_scalar_loop(fmt, per_element):
    """Every SIMD level gives the scalar loop's rbe_pipeline, also with
    stage 1's bounds widened 2^16-fold (many factors then fail their test
    in the lanes); where a result does not fit int64 the call raises the
    same OverflowError at every level, and the elements that fit agree
    element by element."""
    n = 1300
    R, T, i, j = _pipeline_inputs(n, seed=91)
    opts = (_option_columns(n, seed=93, pattern=("mixed", "mixed")) if per_element
            else dict(eps=3 * 2**61 + 5, log2_c=1, d_r=1, rot=7, d_theta=2))
    keep = np.arange(n)
    base = _at_level(0, pq.rbe_pipeline, R, T, i, j, **fmt, **opts)
    if base[0] != "ok":
        assert base[0] == "OverflowError", base
        for lv in SIMD_LEVELS:
            assert _at_level(lv, pq.rbe_pipeline, R, T, i, j, **fmt, **opts) == base, lv
        # the elements that fit, by the scalar loop's P2 (a choice of
        # inputs; the values are compared below)
        p2 = _at_level(0, pq.rbe_pipeline, R, T, i, j, frac=64, dtype=object, **opts)[1]
        keep = np.array([k for k in range(n) if _fits_int64(int(p2[k]), fmt["frac"])])
        assert keep.size > n // 4
        R, T, i, j = R[keep], T[keep], i[keep], j[keep]
        if per_element:
            opts = {o: v[keep] for o, v in opts.items()}
        base = _at_level(0, pq.rbe_pipeline, R, T, i, j, **fmt, **opts)
        assert base[0] == "ok", base
    _every_level_agrees(base, pq.rbe_pipeline, R, T, i, j, **fmt, **opts)
    for k in list(range(0, keep.size, 97)):
        kw = {o: int(np.broadcast_to(v, R.shape)[k]) for o, v in opts.items()}
        want = ref.rbe_pipeline(int(R[k]), int(T[k]), int(i[k]), int(j[k]), **kw, **fmt)
        assert base[1][k] == want, (k, base[1][k], want)


def _is_tie(p2, bits):
    """P2 rounded to its leading `bits` bits (a float's) is a tie"""
    p = abs(p2)
    drop = p.bit_length() - bits
    return drop > 0 and p % 2**drop == 2**(drop - 1)


@pytest.mark.parametrize("fmt", [dict(frac=62), dict(frac=63), dict(frac=0), dict(frac=64),
                                 dict(dtype=np.float64), dict(dtype=np.float32),
                                 dict(frac=64, dtype=object)],
                         ids=["int64-62", "int64-63", "int64-0", "int64-64", "float64", "float32",
                              "object-64"])
def test_rbe_pipeline_ties_and_small_products_on_the_lanes(fmt):
    """The roundings the lanes must get exactly right or leave: ties (to
    even; a quarter of all results at frac 62, about one float64 result in
    200, more for small P2), P2 = 0 (+0.0 for floats), 0 < P2 < 8
    (left by the float lanes), s or phi exact (left by the factors).  Each
    kind is present among the inputs (by the reference's P2), and every
    level gives the reference's value for each of them."""
    n = 700
    R, T, i, j = _pipeline_inputs(n, seed=101)
    opts = dict(log2_c=-1)
    p2 = _ref_p2(R, T, i, j, opts, range(n))
    kinds = {
        "zero": [k for k in range(n) if p2[k] == 0],
        "below 8": [k for k in range(n) if 0 < abs(p2[k]) < 8],
        "tie frac 62": [k for k in range(n) if abs(p2[k]) % 4 == 2],
        "tie frac 63": [k for k in range(n) if abs(p2[k]) % 2 == 1],
        "tie float64": [k for k in range(n) if _is_tie(p2[k], 53)],
        "tie float32": [k for k in range(n) if _is_tie(p2[k], 24)],
        "s exact": list(range(8, 20)),
    }
    for name, ks in kinds.items():
        assert ks, f"no input with {name}"
    frac = fmt.get("frac")
    fit = [k for k in range(n) if fmt.get("dtype") is not None or _fits_int64(p2[k], frac)]
    sub = np.array(fit)
    R, T, i, j = R[sub], T[sub], i[sub], j[sub]
    base = _at_level(0, pq.rbe_pipeline, R, T, i, j, **fmt, **opts)
    assert base[0] == "ok", base
    for lv in SIMD_LEVELS:
        assert _same(_at_level(lv, pq.rbe_pipeline, R, T, i, j, **fmt, **opts), base), lv
    pos = {k: m for m, k in enumerate(fit)}
    checked = sorted({k for ks in kinds.values() for k in ks if k in pos})
    assert checked
    for k in checked:
        want = ref.rbe_pipeline(int(R[pos[k]]), int(T[pos[k]]), int(i[pos[k]]), int(j[pos[k]]),
                                **opts, **fmt)
        got = base[1][pos[k]]
        assert got == want, (k, p2[k], got, want)
        if fmt.get("dtype") in (np.float64, np.float32) and want == 0:
            assert not np.signbit(got), (k, got)  # rbe_pipeline's zero is +0


def test_rbe_pipeline_int64_overflow_on_the_lanes():
    """|f| close to 2.2 (d_r = 1 at r = 0: |g'| = 2, s near 1, phi > 1)
    does not fit int64 at frac 62: every level raises the same
    OverflowError, and an element that fits next to it comes out as the
    reference's."""
    n = 64
    R = np.zeros(n, np.uint64)
    T = np.full(n, 2**62 + 2**40, np.uint64)  # s just below 1, irrational
    i = np.arange(n, dtype=np.uint32)
    j = np.zeros(n, np.uint32)
    p2 = _ref_p2(R, T, i, j, dict(d_r=1), range(n))
    over = [k for k in range(n) if abs(p2[k]) >= 2**65]
    fits = [k for k in range(n) if abs(p2[k]) < 2**65 - 2]
    assert over and fits
    errors = set()
    for lv in [0] + SIMD_LEVELS:
        got = _at_level(lv, pq.rbe_pipeline, R[over[:1] + fits], T[over[:1] + fits],
                        i[over[:1] + fits], j[over[:1] + fits], d_r=1, frac=62)
        assert got[0] == "OverflowError", got
        errors.add(got[1])
        got = _at_level(lv, pq.rbe_pipeline, R[fits], T[fits], i[fits], j[fits], d_r=1, frac=62)
        assert got[0] == "ok", got
        for m, k in enumerate(fits):
            assert got[1][m] == ref.rbe_pipeline(0, int(T[k]), int(i[k]), 0, d_r=1, frac=62)
    assert len(errors) == 1, errors
