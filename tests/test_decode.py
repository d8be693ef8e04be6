"""The matrix decoder: decode_matrix, decode_seed64, decode_batch, phi_table.

Every decoded element must be rbe's on the same grid, bit for bit, in every
format, whatever path decides it (the SIMD lanes, the scalar loop, the hand
over to rbe's kernel), with or without a phi table and for any thread
count; small matrices are also checked against the independent reference.
"""
import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import _kernels, _testing, reference

# (dtype, frac) of every format, int64 at several fracs
FORMATS = [(np.int64, 62), (np.int64, 40), (np.int64, 0), (object, 64), (object, 10),
           (np.float64, None), (np.float32, None)]
FMT_IDS = ["int64/62", "int64/40", "int64/0", "object/64", "object/10", "float64", "float32"]
SIMD_LEVELS = list(range(_kernels.simd_level() + 1))
OPTIONS = ("log2_c", "eps", "d_r", "rot", "d_theta")


def _random_seeds(rng, k):
    seeds = []
    for _ in range(k):
        seeds.append(dict(
            R=int(rng.integers(0, 2**64, dtype=np.uint64)),
            T=int(rng.integers(0, 2**64, dtype=np.uint64)),
            log2_c=int(rng.integers(-4, 4)),
            eps=int(rng.integers(0, 2**64, dtype=np.uint64)) if rng.random() < 0.3 else 0,
            d_r=int(rng.integers(0, 2)), rot=int(rng.integers(0, 16)),
            d_theta=int(rng.integers(0, 4))))
    return seeds


# seeds where the exact cases, the ends of the ranges and the signs are
HARD_SEEDS = [
    dict(R=1 << 63, T=1 << 62),                      # s = 1 exactly
    dict(R=1 << 63, T=3 << 62),                      # s = -1
    dict(R=1 << 63, T=0, d_theta=1),                 # cos 0 = 1
    dict(R=1 << 63, T=1 << 63),                      # s = 0: all zero
    dict(R=0, T=1 << 61),                            # g = 0: all zero
    dict(R=0, T=1 << 61, d_r=1),                     # g' = 2
    dict(R=1, T=1),                                  # |f| near 2^-124
    dict(R=1, T=2**64 - 1, d_theta=2),               # tiny and negative
    dict(R=2**64 - 1, T=(1 << 62) - 1, log2_c=-4),   # r -> 1, s -> 1
    dict(R=2**64 - 1, T=5, log2_c=3, d_r=1),         # g' < 0
    dict(R=1 << 60, T=1 << 62, log2_c=-4, d_r=1, eps=2**64 - 1),
    dict(R=12345 << 44, T=1 << 40, rot=15, d_theta=3),
]
HARD_IDS = [f"hard{k}" for k in range(len(HARD_SEEDS))]


def _grid(m, n):
    return np.arange(m, dtype=np.uint32)[:, None], np.arange(n, dtype=np.uint32)[None, :]


def _rbe_grid(seed, m, n, dtype, frac):
    i, j = _grid(m, n)
    opts = {k: seed.get(k, 0) for k in OPTIONS}
    return pq.rbe(seed["R"], seed["T"], i, j, dtype=dtype, frac=frac, **opts)


def _same(a, b):
    """Bit for bit (so -0.0 != +0.0), exact ints for object."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype == object:
        return a.tolist() == b.tolist()
    return a.tobytes() == b.tobytes()


def _decode_or_error(seed, m, n, dtype, frac, **kw):
    try:
        return pq.decode_matrix(m=m, n=n, dtype=dtype, frac=frac, **seed, **kw)
    except OverflowError:
        return OverflowError


def _rbe_or_error(seed, m, n, dtype, frac):
    try:
        return _rbe_grid(seed, m, n, dtype, frac)
    except OverflowError:
        return OverflowError


def _check(seed, m, n, dtype, frac, **kw):
    want = _rbe_or_error(seed, m, n, dtype, frac)
    got = _decode_or_error(seed, m, n, dtype, frac, **kw)
    if want is OverflowError:
        assert got is OverflowError, seed
    else:
        assert got is not OverflowError and _same(got, want), (seed, dtype, frac)


@pytest.mark.parametrize("dtype,frac", FORMATS, ids=FMT_IDS)
def test_random_seeds_match_rbe_on_the_grid(dtype, frac):
    rng = np.random.default_rng(7)
    table = pq.phi_table(13, 150)
    for seed in _random_seeds(rng, 12):
        for m, n in ((13, 150), (3, 7)):
            _check(seed, m, n, dtype, frac, threads=1)
            _check(seed, m, n, dtype, frac, threads=2, phi_table=table)


@pytest.mark.parametrize("seed", HARD_SEEDS, ids=HARD_IDS)
def test_hard_seeds_match_rbe_in_every_format(seed):
    table = pq.phi_table(9, 70)
    for dtype, frac in FORMATS + [(np.int64, 64), (np.int64, 63), (np.int64, 61)]:
        _check(seed, 9, 70, dtype, frac)
        _check(seed, 9, 70, dtype, frac, phi_table=table, threads=2)


IFMA = _testing.decode_ifma_available()
# (SIMD level, IFMA lanes allowed): the IFMA lanes run only at level 2
LANE_PATHS = [(level, False) for level in SIMD_LEVELS] + ([(2, True)] if IFMA else [])
LANE_IDS = [f"level{lv}" + ("-ifma" if on else "") for lv, on in LANE_PATHS]


@pytest.mark.parametrize("level,ifma", LANE_PATHS, ids=LANE_IDS)
def test_every_simd_level_gives_the_same_bits(level, ifma):
    rng = np.random.default_rng(11)
    seeds = _random_seeds(rng, 4) + HARD_SEEDS[:3]
    table = pq.phi_table(5, 77)
    _testing.set_simd(level)
    _testing.set_decode_ifma(ifma)
    try:
        for seed in seeds:
            for dtype, frac in FORMATS + [(np.int64, 64), (np.int64, 63)]:
                _check(seed, 5, 77, dtype, frac)
                _check(seed, 5, 77, dtype, frac, phi_table=table)
    finally:
        _testing.set_simd(-1)
        _testing.set_decode_ifma(IFMA)


@pytest.mark.parametrize("level", SIMD_LEVELS)
def test_phi_table_is_the_same_at_every_simd_level(level):
    """The lanes fill the table with the scalar loop's words."""
    shapes = ((1, 1), (3, 7), (2, 64), (5, 130))
    _testing.set_simd(0)
    try:
        want = [pq.phi_table(m, n) for m, n in shapes]
    finally:
        _testing.set_simd(-1)
    _testing.set_simd(level)
    try:
        got = [pq.phi_table(m, n, threads=2) for m, n in shapes]
    finally:
        _testing.set_simd(-1)
    for w, g in zip(want, got):
        assert w._hi.tobytes() == g._hi.tobytes() and w._lo.tobytes() == g._lo.tobytes()
    # and the words are phi 2^126 (phi at frac 64 is within 2^61 of it)
    t = got[-1]
    i, j = np.divmod(np.arange(5 * 130), 130)
    phi = pq.modulation(i, j, frac=64, dtype=object)
    P = [(int(h) << 64 | int(lo)) for h, lo in zip(t._hi, t._lo)]
    assert all(abs(p - (int(f) << 62)) <= 2**61 + 2**40 for p, f in zip(P, phi))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_forced_fallback_changes_no_result(level):
    rng = np.random.default_rng(5)
    seeds = _random_seeds(rng, 2) + [HARD_SEEDS[0], HARD_SEEDS[6]]
    m, n = (4, 9) if level == 2 else (6, 40)
    want = {(k, f): _decode_or_error(s, m, n, *FORMATS[f])
            for k, s in enumerate(seeds) for f in range(len(FORMATS))}
    _testing.set_force_slow_path(level)
    try:
        got = {(k, f): _decode_or_error(s, m, n, *FORMATS[f])
               for k, s in enumerate(seeds) for f in range(len(FORMATS))}
    finally:
        _testing.set_force_slow_path(0)
    for key, w in want.items():
        assert (got[key] is OverflowError) == (w is OverflowError), key
        if w is not OverflowError:
            assert _same(got[key], w), key


def test_widened_bounds_send_elements_to_rbe_and_change_nothing():
    """Level 3 widens the bounds 2^16-fold: the fast path fails often, the
    hand-over is exercised (counted by the hook), results are rbe's."""
    seed = dict(R=0x9E3779B97F4A7C15, T=0x3C6EF372FE94F82B)
    for fmt, frac, dtype in (("int64", 62, np.int64), ("float64", 0, np.float64),
                             ("float32", 0, np.float32)):
        st, normal, _ = _testing.debug_decode_fallbacks(seed["R"], seed["T"], 64, 64, fmt, frac)
        assert st == 0
        _testing.set_force_slow_path(3)
        try:
            st, widened, raw = _testing.debug_decode_fallbacks(seed["R"], seed["T"], 64, 64,
                                                               fmt, frac)
        finally:
            _testing.set_force_slow_path(0)
        assert st == 0 and widened >= normal
        if fmt == "int64":  # the float tests have 2^11 more room: rarely fail
            assert widened > normal
        want = _rbe_grid(seed, 64, 64, dtype, frac if dtype == np.int64 else None)
        assert raw.tobytes() == want.tobytes()


def test_a_table_of_exact_phi_sentinels_sends_every_element_to_rbe():
    """The table's sentinel (exact phi) hands the element to rbe's kernel,
    in the lanes and in the scalar loop: the results stay rbe's."""
    m, n = 3, 70
    hi = np.full(m * n, np.uint64(2**64 - 1))
    lo = np.zeros(m * n, dtype=np.uint64)
    table = pq.PhiTable(hi, lo, (m, n))
    seed = dict(R=0x7000000000000123, T=0x1234567890ABCDEF, rot=3)
    for level in SIMD_LEVELS:
        _testing.set_simd(level)
        try:
            for dtype, frac in FORMATS:
                _check(seed, m, n, dtype, frac, phi_table=table)
        finally:
            _testing.set_simd(-1)


def test_small_matrices_match_the_reference():
    rng = np.random.default_rng(3)
    seeds = _random_seeds(rng, 3) + [HARD_SEEDS[1], HARD_SEEDS[5]]
    for seed in seeds:
        for dtype, frac in ((np.int64, 62), (object, 64), (np.float64, None),
                            (np.float32, None)):
            try:
                want = reference.decode_matrix(m=2, n=3, dtype=dtype, frac=frac, **seed)
            except OverflowError:
                with pytest.raises(OverflowError):
                    pq.decode_matrix(m=2, n=3, dtype=dtype, frac=frac, **seed)
                continue
            got = pq.decode_matrix(m=2, n=3, dtype=dtype, frac=frac, **seed)
            assert _same(got, want), (seed, dtype)


def test_decode_seed64_is_rbe_seed64_on_the_grid():
    rng = np.random.default_rng(9)
    for _ in range(6):
        w = pq.pack_seed64(int(rng.integers(0, 1 << 20)), int(rng.integers(0, 1 << 24)),
                           d_theta=int(rng.integers(0, 4)), d_r=int(rng.integers(0, 2)),
                           rot=int(rng.integers(0, 16)), log2_c=int(rng.integers(-4, 4)),
                           reserved=int(rng.integers(0, 64)))
        eps = int(rng.integers(0, 2**64, dtype=np.uint64)) if rng.random() < 0.5 else 0
        i, j = _grid(4, 66)
        for dtype, frac in ((np.float64, None), (np.int64, 50), (object, 64)):
            want = pq.rbe_seed64(w, i, j, eps=eps, dtype=dtype, frac=frac)
            assert _same(pq.decode_seed64(w, 4, 66, eps=eps, dtype=dtype, frac=frac), want)
    w = pq.pack_seed64(1 << 19, 1 << 22)
    assert _same(pq.decode_seed64(w, 2, 3),
                 reference.decode_seed64(w, 2, 3))


def test_batch_is_the_stack_of_single_decodes():
    rng = np.random.default_rng(13)
    seeds = _random_seeds(rng, 5)
    cols = {k: [s[k] for s in seeds] for k in ("R", "T") + OPTIONS}
    table = pq.phi_table(7, 9)
    for dtype, frac in ((np.float32, None), (np.int64, 48), (object, 64)):
        got = pq.decode_batch(m=7, n=9, dtype=dtype, frac=frac, threads=2, phi_table=table,
                              **cols)
        assert got.shape == (5, 7, 9)
        for k, s in enumerate(seeds):
            assert _same(got[k], pq.decode_matrix(m=7, n=9, dtype=dtype, frac=frac, **s))
    # scalars broadcast to the seeds' count
    got = pq.decode_batch(cols["R"], 1 << 61, 2, 2, rot=3)
    for k in range(5):
        assert _same(got[k], pq.decode_matrix(cols["R"][k], 1 << 61, 2, 2, rot=3))
    assert pq.decode_batch(1 << 63, 1 << 61, 2, 2).shape == (1, 2, 2)
    assert pq.decode_batch([], [], 2, 2).shape == (0, 2, 2)


def test_out_is_filled_and_returned():
    out = np.zeros((3, 4), dtype=np.float64)
    res = pq.decode_matrix(1 << 63, 1 << 61, 3, 4, dtype=np.float64, out=out)
    assert res is out
    assert _same(out, pq.decode_matrix(1 << 63, 1 << 61, 3, 4, dtype=np.float64))
    out = np.zeros((3, 4), dtype=np.int64)  # frac 62, no element can overflow: direct
    assert pq.decode_matrix(1 << 63, 1 << 61, 3, 4, out=out) is out
    assert _same(out, pq.decode_matrix(1 << 63, 1 << 61, 3, 4))
    out = np.zeros((2, 3, 4), dtype=np.int64)
    assert pq.decode_batch([1, 2], 1 << 61, 3, 4, frac=62, out=out) is out
    out = np.zeros((2, 2), dtype=object)
    assert pq.decode_matrix(1 << 63, 1 << 61, 2, 2, dtype=object, out=out) is out
    assert out.tolist() == pq.decode_matrix(1 << 63, 1 << 61, 2, 2, dtype=object).tolist()


def test_int64_bound_of_the_plan_agrees_with_g_s_and_phi_max():
    """decode writes int64 at frac >= 62 straight into out only when the
    plan's bound says no element can overflow: that bound must hold (never
    claim room where |g s| 11/10 2^frac passes 2^63) and be tight."""
    rng = np.random.default_rng(29)
    seeds = _random_seeds(rng, 150) + HARD_SEEDS
    seeds += [dict(R=int(r), T=(1 << 62) - int(t), d_r=1, log2_c=int(c))
              for r, t, c in zip(rng.integers(0, 2**40, 40, dtype=np.uint64),
                                 rng.integers(0, 2**50, 40, dtype=np.uint64),
                                 rng.integers(-4, 4, 40))]
    said = set()
    for seed in seeds:
        opts = {k: seed.get(k, 0) for k in OPTIONS}
        g = float(pq.radial(seed["R"], log2_c=opts["log2_c"], eps=opts["eps"], d_r=opts["d_r"],
                            dtype=np.float64))
        s = float(pq.angular(seed["T"], rot=opts["rot"], d_theta=opts["d_theta"],
                             dtype=np.float64))
        for frac in (60, 62, 63, 64):
            est = abs(g * s) * 1.1 * 2.0**frac
            bounded = _kernels.decode_int64_bounded(seed["R"], seed["T"], opts["log2_c"],
                                                    opts["eps"], opts["d_r"], opts["rot"],
                                                    opts["d_theta"], frac)
            if est > 2.0**63 * (1 + 2**-40):
                assert not bounded, (seed, frac)
            elif est < 2.0**63 * (1 - 2**-40):
                assert bounded, (seed, frac)
            said.add(bounded)
    assert said == {True, False}


def test_overflow_names_the_first_element_and_the_seed_and_leaves_out_alone():
    # g'(0) = 2 and s = 1: |f| = 2 phi, which passes 2 at frac 62 where phi > 1
    out = np.full((4, 5), 7, dtype=np.int64)
    with pytest.raises(OverflowError) as exc:
        pq.decode_matrix(0, 1 << 62, 4, 5, d_r=1, out=out, threads=2)
    i, j = _grid(4, 5)
    phi = pq.modulation(i, j, dtype=np.float64)
    first = np.argwhere(phi > 1)[0]
    assert f"(i, j) = ({first[0]}, {first[1]})" in str(exc.value)
    assert "R=0" in str(exc.value) and "d_r=1" in str(exc.value)
    assert (out == 7).all()
    with pytest.raises(OverflowError, match=r"seed 1 .*R=0"):
        pq.decode_batch([1 << 63, 0], 1 << 62, 4, 5, d_r=[0, 1])
    # object results are exact: no overflow
    assert pq.decode_matrix(0, 1 << 62, 4, 5, d_r=1, dtype=object).shape == (4, 5)


BAD = [
    (dict(m=0), ValueError, r"m must be in \[1, 2\*\*32\), got 0"),
    (dict(n=2**32), ValueError, r"n must be in \[1, 2\*\*32\), got 4294967296"),
    (dict(m=2.0), TypeError, "m must be an int"),
    (dict(n=True), TypeError, "n must be an int"),
    (dict(R=-1), ValueError, "R must be in"),
    (dict(T=2**64), ValueError, "T must be in"),
    (dict(R=0.5), TypeError, "R must be an integer"),
    (dict(R=[1, 2]), ValueError, "R must be a scalar"),
    (dict(log2_c=4), ValueError, "log2_c must be in"),
    (dict(eps=-1), ValueError, "eps must be in"),
    (dict(d_r=2), ValueError, "d_r must be in"),
    (dict(rot=16), ValueError, "rot must be in"),
    (dict(d_theta=-1), ValueError, "d_theta must be in"),
    (dict(dtype=np.int32), TypeError, "dtype must be"),
    (dict(frac=65), ValueError, "frac must be in"),
    (dict(dtype=np.float64, frac=3), ValueError, "frac applies only"),
    (dict(threads=0), ValueError, "threads must be >= 1"),
    (dict(phi_table="x"), TypeError, "phi_table must be a PhiTable"),
    (dict(m=2**31, n=2**31), ValueError, "too large"),
    (dict(m=2**20, n=2**20), MemoryError, "cannot allocate"),
]


@pytest.mark.parametrize("kw,exc,msg", BAD, ids=[b[2] for b in BAD])
def test_bad_input_is_refused_naming_the_argument(kw, exc, msg):
    args = dict(R=1 << 63, T=1 << 61, m=3, n=4)
    args.update(kw)
    with pytest.raises(exc, match=msg):
        pq.decode_matrix(**args)


def test_bad_out_and_table_are_refused_and_out_is_untouched():
    for out, exc, msg in ((np.zeros((3, 5)), ValueError, "out has shape"),
                          (np.zeros((3, 4), np.float32), TypeError, "out has dtype"),
                          ([0] * 12, TypeError, "out must be a numpy.ndarray")):
        with pytest.raises(exc, match=msg):
            pq.decode_matrix(1, 2, 3, 4, dtype=np.float64, out=out)
    ro = np.zeros((3, 4))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pq.decode_matrix(1, 2, 3, 4, dtype=np.float64, out=ro)
    with pytest.raises(ValueError, match="does not cover"):
        pq.decode_matrix(1, 2, 3, 4, phi_table=pq.phi_table(3, 3))
    out = np.full((3, 4), 5.0)
    with pytest.raises(ValueError):
        pq.decode_matrix(1, 2, 3, 4, rot=99, dtype=np.float64, out=out)
    assert (out == 5.0).all()


def test_seed64_basis_and_batch_shapes_are_checked():
    w = pq.pack_seed64(1, 2, basis=3)
    with pytest.raises(ValueError, match="basis"):
        pq.decode_seed64(w, 2, 2)
    with pytest.raises(ValueError, match="word must be in"):
        pq.decode_seed64(2**64, 2, 2)
    with pytest.raises(ValueError, match="T has length 2, expected 3"):
        pq.decode_batch([1, 2, 3], [1, 2], 2, 2)
    with pytest.raises(ValueError, match="different lengths"):
        pq.decode_batch([1, 2, 3], 5, 2, 2, rot=[1, 2])
    with pytest.raises(ValueError, match="1-d"):
        pq.decode_batch([[1]], 2, 2, 2)
    with pytest.raises(ValueError, match="too large"):
        pq.decode_batch(list(range(4)), 0, 2**32 - 1, 2**32 - 1)


def test_phi_table_is_read_only_and_sized():
    t = pq.phi_table(6, 10, threads=2)
    assert t.shape == (6, 10) and t.nbytes == 16 * 60
    with pytest.raises(AttributeError):
        t.shape = (1, 1)
    with pytest.raises(ValueError):
        t._hi[0] = 0
    with pytest.raises(ValueError, match="m must be in .*, got 0"):
        pq.phi_table(0, 3)
    with pytest.raises(TypeError):
        pq.phi_table(3, 3, threads=1.0)


# --------------------------------------------------------------------------
# The bound of the fast path (docs/spec.md, "Matrix decode")
# --------------------------------------------------------------------------

def _exact_f(seed, i, j, prec=400):
    import mpmath
    g = reference.radial_exact(seed["R"], log2_c=seed.get("log2_c", 0),
                               eps=seed.get("eps", 0), d_r=seed.get("d_r", 0))
    Tp = (seed["T"] + (seed.get("rot", 0) << 60) + (seed.get("d_theta", 0) << 62)) % 2**64
    H = int(pq.spatial_hash(i, j))
    with mpmath.workprec(prec):
        s = mpmath.sin(2 * mpmath.pi * mpmath.mpf(Tp) / 2**64)
        phi = 1 + mpmath.sin(2 * mpmath.pi * mpmath.mpf(H) / 2**32) / 10
        return mpmath.mpf(g.numerator) / g.denominator * s * phi


def _check_bound(seed, i, j):
    import mpmath
    claim = _testing.debug_decode_elem(seed["R"], seed["T"], i, j,
                                       **{k: seed.get(k, 0) for k in OPTIONS})
    if claim is None:
        return None
    neg, P, e, err = claim
    f = _exact_f(seed, i, j)
    with mpmath.workprec(400):
        assert (f < 0) == bool(neg), (seed, i, j)
        dev = abs(mpmath.ldexp(abs(f), -e) - P)
        assert dev <= err, (seed, i, j, mpmath.nstr(dev, 8), err)
        return float(dev / err)


def _check_ifma_bound(seed, i, j, fmt, frac):
    import mpmath
    claim = _testing.debug_decode_elem_ifma(seed["R"], seed["T"], i, j, fmt, frac,
                                            **{k: seed.get(k, 0) for k in OPTIONS})
    if claim is None:
        return None
    neg, Q, scale, errq = claim
    f = _exact_f(seed, i, j)
    with mpmath.workprec(400):
        assert (f < 0) == bool(neg), (seed, i, j)
        dev = abs(mpmath.ldexp(abs(f), -scale) - Q)
        assert dev < errq, (seed, i, j, fmt, frac, mpmath.nstr(dev, 8), errq)
        return float(dev / errq)


@pytest.mark.parametrize("fmt,frac", [("int64", 62), ("int64", 64), ("int64", 20),
                                      ("float64", 0), ("float32", 0)])
def test_ifma_product_bound_holds_against_mpmath(fmt, frac):
    """The IFMA form: |f| = V 2^scale with |V - Q| < errq, Q the lanes'
    integer (docs/spec.md, "The IFMA product"), on random seeds and
    indices and the hard seeds."""
    rng = np.random.default_rng(23)
    seeds = _random_seeds(rng, 12) + [s for s in HARD_SEEDS if s["R"] and s["T"] % 2**63]
    worst, checked = 0.0, 0
    for seed in seeds:
        for _ in range(4):
            i, j = (int(x) for x in rng.integers(0, 2**32, size=2, dtype=np.uint64))
            if int(pq.spatial_hash(i, j)) % 2**30 == 0:
                continue
            r = _check_ifma_bound(seed, i, j, fmt, frac)
            if r is not None:
                worst, checked = max(worst, r), checked + 1
    assert checked >= 40 and 0 < worst < 1


def test_fast_path_bound_holds_against_mpmath():
    """|f| = P 2^e within err 2^e, on random seeds and indices and on the
    seeds where A is exact or extreme (quarter turns, r -> 0 and 1)."""
    rng = np.random.default_rng(17)
    seeds = _random_seeds(rng, 25) + [s for s in HARD_SEEDS if s["R"] and s["T"] % 2**63]
    worst = 0.0
    for seed in seeds:
        for _ in range(6):
            i, j = (int(x) for x in rng.integers(0, 2**32, size=2, dtype=np.uint64))
            if int(pq.spatial_hash(i, j)) % 2**30 == 0:
                continue
            r = _check_bound(seed, i, j)
            worst = max(worst, r or 0.0)
    assert 0 < worst <= 1


# --------------------------------------------------------------------------
# Known answers made by the reference (tests/data/make_vectors.py writes
# tests/data/vectors/decode_*.txt: SHA-256 of each matrix, docs/vectors.md)
# --------------------------------------------------------------------------

def _known_answers():
    import glob
    import os
    from poincare_q64 import vectors
    pattern = os.path.join(os.path.dirname(__file__), "data", "vectors", "decode_*.txt")
    out = []
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="ascii") as fh:
            header, vecs = vectors.read_vectors(fh)
            out += [(header.function, header.format, v) for v in vecs]
    return out


def _sha256_matrix(W, dtype):
    """The files' byte layout, written out here: row-major little-endian
    int64, 16-byte two's complement for object, IEEE bits for the floats."""
    import hashlib
    if np.dtype(dtype) == object:
        data = b"".join(int(x).to_bytes(16, "little", signed=True) for x in W.ravel())
    else:
        data = np.ascontiguousarray(W, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return hashlib.sha256(data).hexdigest()


def test_decoder_matches_the_reference_known_answers():
    answers = _known_answers()
    assert len(answers) >= 150
    overflows = 0
    for function, fmt, v in answers:
        dtype, frac = np.dtype(fmt.kind), fmt.frac
        if function == "decode_matrix":
            R, T, m, n, log2_c, eps, d_r, rot, d_theta = v.inputs
            seed = dict(R=R, T=T, log2_c=log2_c, eps=eps, d_r=d_r, rot=rot, d_theta=d_theta)
        else:
            word, m, n, eps = v.inputs
        for threads in (1, 2):
            if function == "decode_matrix":
                got = _decode_or_error(seed, m, n, dtype, frac, threads=threads)
            else:
                try:
                    got = pq.decode_seed64(word, m, n, eps=eps, dtype=dtype, frac=frac,
                                           threads=threads)
                except OverflowError:
                    got = OverflowError
            if v.result == "overflow":
                assert got is OverflowError, (function, fmt, v)
                overflows += 1
            else:
                assert got is not OverflowError and _sha256_matrix(got, dtype) == v.result, \
                    (function, fmt, v)
    assert overflows


def test_exact_phi_elements_are_rbe_at_every_level():
    """Elements with H mod 2^30 == 0 (phi exact) or next to it, ties
    included, come out as rbe's, and so do their neighbours.  Such indices
    lie far from a small grid's origin, so one far row i is decoded through
    the C entry (rows [i, i + 1), out_row_stride 0: the row lands at out)
    and compared with rbe on that row, in the lanes and the scalar loop."""
    import ctypes as C

    from poincare_q64 import capi, inputs
    pairs = inputs.quarter_hash_pairs()
    n = max(j for _, j in pairs.values()) + 2
    formats = [(capi.PQ_KIND_INT64, 62, np.int64), (capi.PQ_KIND_INT64, 0, np.int64),
               (capi.PQ_KIND_FLOAT64, 0, np.float64), (capi.PQ_KIND_FLOAT32, 0, np.float32)]
    # (R, T, rot, log2_c): an irrational f; g = 4/5, s = 1; and g = 1/2,
    # s = 1, so that f = phi / 2 is exactly 1/2 at H = 0: a tie at frac 0,
    # which only the exact path rounds (to even, 0)
    seeds = [(0x7000000000000123, 0x1234567890ABCDEF, 3, 0), (1 << 63, 1 << 62, 0, 0),
             (1 << 63, 1 << 62, 0, 2)]
    for level in SIMD_LEVELS:
        _testing.set_simd(level)
        try:
            for H, (i, j) in sorted(pairs.items()):
                for R, T, rot, log2_c in seeds:
                    params = capi.pq_params()
                    params.rot, params.log2_c = rot, log2_c
                    for kind, frac, dtype in formats:
                        out = np.zeros(n, dtype=dtype)
                        bad = C.c_uint64(0)
                        st = capi.ctypes.decode_matrix(
                            R, T, C.byref(params), n, i, i + 1, None,
                            capi.pq_format(kind, frac), out.ctypes.data, 0, C.byref(bad))
                        assert st == capi.PQ_OK, (H, level, kind)
                        want = pq.rbe(R, T, i, np.arange(n), rot=rot, log2_c=log2_c,
                                      dtype=dtype,
                                      frac=frac if dtype == np.int64 else None)
                        assert out.tobytes() == want.tobytes(), (H, i, j, level, kind)
        finally:
            _testing.set_simd(-1)
