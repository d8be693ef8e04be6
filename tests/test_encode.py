"""encode_matrix: the analytic optimum, the source's search, bad input.

The seed64 optimum is checked against an exhaustive search written here, a
different algorithm from the encoder's (a sorted table of every sine value
from numpy's sin and searchsorted for each r field, instead of arcsin and
three neighbours), over every r field, every theta field and every allowed
option combination.
"""
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64.transform import (Seed, amplitude, best_seed_for_amplitude,
                                    decode_matrix, encode_matrix,
                                    optimal_amplitude)
from poincare_q64.transform import encode as enc

U = 2.0 ** -53


def _phi(m, n):
    return pq.modulation(np.arange(m)[:, None], np.arange(n)[None, :],
                         dtype=np.float64)


def _quadratic_loss(W, A):
    Phi = _phi(*W.shape)
    return float(np.mean((W - A * Phi) ** 2))


# --------------------------------------------------------------------------
# The independent exhaustive seed64 search
# --------------------------------------------------------------------------

_SINES = None


def _sorted_sines():
    """(sine values sorted, their theta fields): one field per distinct
    value, l in [-2**22, 2**22] (sin(2 pi l / 2**24) is increasing there)."""
    global _SINES
    if _SINES is None:
        l = np.arange(-(1 << 22), (1 << 22) + 1, dtype=np.int64)
        s = np.sin(2 * np.pi * l.astype(np.float64) / 2.0 ** 24)
        order = np.argsort(s, kind="stable")
        _SINES = s[order], l[order] % (1 << 24)
    return _SINES


def _exhaustive_seed64(targets, log2_c_values, d_r_values):
    """Per target, (distance, seed) of the seed64 amplitude nearest it over
    every r field, theta field and (log2_c, d_r), in float64."""
    s_sorted, fields = _sorted_sines()
    best = [(math.inf, None)] * len(targets)
    k = np.arange(1 << 20, dtype=np.uint64)
    for c in log2_c_values:
        for d_r in d_r_values:
            g = pq.radial(k << np.uint64(44), log2_c=c, d_r=d_r, dtype=np.float64)
            nz = g != 0
            for n, A in enumerate(targets):
                t = np.zeros_like(g)
                np.divide(A, g, out=t, where=nz)
                pos = np.searchsorted(s_sorted, t)
                for p in (pos - 1, pos):
                    p = np.clip(p, 0, len(s_sorted) - 1)
                    d = np.abs(g * s_sorted[p] - A)
                    i = int(np.argmin(d))
                    if d[i] < best[n][0]:
                        best[n] = (float(d[i]), Seed(int(k[i]) << 44,
                                                     int(fields[p[i]]) << 40,
                                                     log2_c=c, d_r=d_r))
    return best


def _float_amplitude(seed):
    """g * s in float64 from radial and numpy's sin (independent of the
    encoder's exact amplitude)."""
    g = float(pq.radial(seed.R, log2_c=seed.log2_c, eps=seed.eps, d_r=seed.d_r,
                        dtype=np.float64))
    Tp = (seed.T + (seed.rot << 60) + (seed.d_theta << 62)) % (1 << 64)
    return g * math.sin(2 * math.pi * (Tp >> 40) / 2.0 ** 24)


def _matrices():
    rng = np.random.default_rng(12345)
    Phi = _phi(3, 4)
    yield "random", rng.standard_normal((3, 4)) + 0.3
    yield "negative", -0.7 * Phi + 0.01 * rng.standard_normal((3, 4))
    yield "out of reach", 5.0 * Phi
    yield "exact family", pq.transform.decode_seed64(
        pq.pack_seed64(0x4F1A3, 0x2B07C1), 3, 4, dtype=np.float64)


@pytest.mark.parametrize("options", [dict(), dict(log2_c="all", d_r="all")],
                         ids=["defaults", "all options"])
def test_seed64_optimum_beats_every_representable_seed(options):
    # Tolerance: the encoder's target (exact dot products) and this one
    # (numpy sums over 12 terms) differ by < 12 u sum|w phi| / ||Phi||^2,
    # and each float amplitude g * s carries < 3 u |A|: for these matrices
    # (|w| <= 6) well below 1e-14 (1 + |A|).  Distinct seed64 amplitudes
    # near A are typically 2**-42 = 2.3e-13 apart, so a wrong r field or
    # theta field would fail it.
    c_values = range(-4, 4) if options else [0]
    d_r_values = [0, 1] if options else [0]
    cases = list(_matrices())
    if options:
        # out of reach and the exact family have tests of their own with
        # every option; two matrices keep this one short
        cases = cases[:2]
    names, Ws = zip(*cases)
    Phi = _phi(3, 4)
    targets = [float(np.sum(W * Phi) / np.sum(Phi * Phi)) for W in Ws]
    exhaustive = _exhaustive_seed64(targets, c_values, d_r_values)
    for name, W, A, (d_ex, seed_ex) in zip(names, Ws, targets, exhaustive):
        res = encode_matrix(W, seed_format="seed64", **options)
        tol = 1e-14 * (1 + abs(A))
        d_enc = abs(_float_amplitude(res.seed) - A)
        assert d_enc <= d_ex + tol, (name, res.seed, seed_ex)
        # and the decoded losses agree (float64 decode: 2.2 u per entry)
        loss_ex = float(np.mean((W - decode_matrix(
            seed_ex.R, seed_ex.T, 3, 4, dtype=np.float64, **seed_ex.options())) ** 2))
        assert res.loss <= loss_ex + 1e-14 * (1 + loss_ex), name


def test_out_of_reach_takes_the_largest_amplitude():
    # d_r = 1 reaches g'(0) = 2 for every c (the largest |g| of any option,
    # docs/transform.md); ties go to the smallest log2_c.
    W = 5.0 * _phi(3, 4)
    for fmt in ("seed64", "q64"):
        res = encode_matrix(W, seed_format=fmt, log2_c="all", d_r="all")
        assert res.seed == Seed(0, 1 << 62, log2_c=-4, d_r=1), fmt
        assert res.amplitude == 2.0
        res = encode_matrix(-W, seed_format=fmt)          # c = 1, d_r = 0: |g| < 1
        assert res.seed.T == 3 << 62
        assert res.seed.R == (((1 << 20) - 1) << 44 if fmt == "seed64" else (1 << 64) - 1)


def test_exact_family_recovers_the_seed64_amplitude():
    rng = np.random.default_rng(7)
    for _ in range(4):
        r, th = int(rng.integers(1, 1 << 20)), int(rng.integers(0, 1 << 24))
        c, d_r = int(rng.integers(-4, 4)), int(rng.integers(0, 2))
        seed0 = Seed(r << 44, th << 40, log2_c=c, d_r=d_r)
        if amplitude(seed0) == 0:
            continue
        W = decode_matrix(seed0.R, seed0.T, 4, 5, dtype=np.float64, **seed0.options())
        res = encode_matrix(W, log2_c=c, d_r=d_r)
        assert res.amplitude == amplitude(seed0)
        assert res.loss <= (4 * U) ** 2 * float(np.mean(W * W))


def test_exact_family_recovers_the_q64_amplitude():
    # W = fl(g phi): its A* is g within a few u, and q64 amplitudes at a
    # quarter turn are spaced < 2**-61, so the amplitude comes back within
    # a few ulps and the loss is at the level of the decode's rounding.
    for R, c, d_r in ((2**63 + 12345, 0, 0), (3 << 61, 2, 0), (1 << 60, -3, 1)):
        W = decode_matrix(R, 1 << 62, 3, 4, log2_c=c, d_r=d_r, dtype=np.float64)
        res = encode_matrix(W, seed_format="q64", log2_c=c, d_r=d_r)
        g = float(pq.radial(R, log2_c=c, d_r=d_r, dtype=np.float64))
        assert abs(res.amplitude - g) <= 4 * U * abs(g)
        assert res.seed.T == 1 << 62
        assert res.loss <= (4 * U) ** 2 * float(np.mean(W * W))


def _g_exact(R, c, d_r):
    """g or g' from the spec's formula (eps = 0), Fractions."""
    r = Fraction(R, 1 << 64)
    cc = Fraction(2) ** c
    if d_r == 0:
        return 2 * r / (1 + cc * r * r)
    return 2 * (1 - cc * r * r) / (1 + cc * r * r) ** 2


@pytest.mark.parametrize("A", [0.3, -0.77, 0.999, 1e-9, 0.5, 1.9])
def test_q64_optimum_is_nearer_than_every_quarter_turn_amplitude(A):
    # Near the encoder's R, no R' in a window of 64 on either side gives a
    # +-g nearer A (g is monotone there, so none further away does either;
    # the monotone pieces are checked by test_pieces_are_monotone).  The
    # encoder's own distance is read from its correctly rounded amplitude,
    # within half an ulp of the exact one.
    for c, d_r in ((0, 0), (2, 0), (-4, 1), (3, 1)):
        seed = best_seed_for_amplitude(A, "q64", log2_c=c, d_r=d_r)
        y = Fraction(A)
        best = abs(Fraction(amplitude(seed)) - y) - Fraction(2.0 ** -54)
        Rs = (seed.R,) if seed.T in (1 << 62, 3 << 62) else (0, (1 << 64) - 1)
        for R0 in Rs:
            for R in range(max(R0 - 64, 0), min(R0 + 65, 1 << 64)):
                for s in (1, -1):
                    assert abs(s * _g_exact(R, c, d_r) - y) >= best, (c, d_r, R)


def test_q64_reaches_every_amplitude_within_its_bound():
    # |A - amplitude| < 2**-60 for every A within reach, also where +-g
    # leaves a gap (d_r = 1, c = 1/16: g' lies in [1.66, 2], so 0.5 needs
    # s = 1/4, docs/transform.md)
    rng = np.random.default_rng(4)
    for _ in range(12):
        c, d_r = int(rng.integers(-4, 4)), int(rng.integers(0, 2))
        M = 2.0 if d_r else float(pq.radial(enc._peak(c, 0, 0)[0], log2_c=c,
                                             dtype=np.float64))
        A = float(rng.uniform(-M, M))
        got = amplitude(best_seed_for_amplitude(A, "q64", log2_c=c, d_r=d_r))
        assert abs(got - A) <= 2.0 ** -60 + 2.0 ** -53 * abs(A), (c, d_r, A)


def test_pieces_are_monotone():
    # The turning point the encoder's bisection finds is a local extremum
    # of the exact g: a maximum for d_r = 0, a minimum for d_r = 1.
    for c in range(-4, 4):
        for d_r in (0, 1):
            for eps in (0, 1 << 62):
                pieces = enc._pieces(c, eps, d_r)
                if len(pieces) == 1:
                    continue
                P = pieces[0][1]
                g = [enc._g_fraction(R, c, eps, d_r) for R in (P - 1, P, P + 1, P + 2)]
                if d_r == 0:
                    assert g[0] <= g[1] and g[2] >= g[3] and max(g[1], g[2]) >= g[0]
                else:
                    assert g[0] >= g[1] and g[2] <= g[3]


def test_exact_radial_matches_radial():
    rng = np.random.default_rng(3)
    for _ in range(40):
        R = int(rng.integers(0, 1 << 63)) * 2 + int(rng.integers(0, 2))
        eps = int(rng.integers(0, 1 << 63)) if rng.random() < 0.5 else 0
        c, d_r = int(rng.integers(-4, 4)), int(rng.integers(0, 2))
        g = enc._g_fraction(R, c, eps, d_r)
        want = pq.radial(R, log2_c=c, eps=eps, d_r=d_r, frac=64, dtype=object)
        assert abs(g * (1 << 64) - want) <= Fraction(1, 2)


def test_amplitude_is_correctly_rounded():
    rng = np.random.default_rng(11)
    for _ in range(20):
        seed = Seed(int(rng.integers(0, 1 << 63)) * 2, int(rng.integers(0, 1 << 63)) * 2 + 1,
                    log2_c=int(rng.integers(-4, 4)), d_r=int(rng.integers(0, 2)),
                    rot=int(rng.integers(0, 16)), d_theta=int(rng.integers(0, 4)))
        with mpmath.workprec(300):
            r = mpmath.mpf(seed.R) / 2 ** 64
            c = mpmath.mpf(2) ** seed.log2_c
            g = 2 * r / (1 + c * r * r) if seed.d_r == 0 else \
                2 * (1 - c * r * r) / (1 + c * r * r) ** 2
            Tp = (seed.T + (seed.rot << 60) + (seed.d_theta << 62)) % (1 << 64)
            want = float(g * mpmath.sin(2 * mpmath.pi * Tp / mpmath.mpf(2) ** 64))
        assert amplitude(seed) == want


def test_source_search_never_beats_the_optimum():
    # Both losses are float64 decodes, each within 2 u 1.1 |A| rms(res) +
    # (1.1 u |A|)^2 + log2(mn) u L of the exact quadratic loss (the decode
    # rounds each entry once; the mean sums mn squares).  The exact quadratic
    # loss of the optimum is the smallest over seed64 words; for q64 the
    # source's unrestricted T may be nearer by < 2**-59 in amplitude, whose
    # loss effect (< 2**-116) is far below that tolerance.
    rng = np.random.default_rng(2024)
    for shape in ((3, 4), (6, 2), (1, 9)):
        W = rng.standard_normal(shape) * rng.uniform(0.1, 2) + rng.uniform(-1, 1)
        for fmt in ("seed64", "q64"):
            for options in (dict(), dict(log2_c=[-4, 0, 3], d_r="all")):
                opt = encode_matrix(W, seed_format=fmt, **options)
                src = encode_matrix(W, seed_format=fmt, method="source",
                                    starts=3, levels=6, max_iter=40, **options)
                A = max(abs(opt.amplitude), abs(src.amplitude))
                def tol(L):
                    return (2 * U * 1.1 * A * math.sqrt(L) + (1.1 * U * A) ** 2
                            + math.log2(W.size + 1) * U * L)
                assert src.loss >= opt.loss - tol(opt.loss) - tol(src.loss), \
                    (shape, fmt, options, opt.seed, src.seed)
                assert src.evaluations > 0 and src.trace


def test_source_search_is_deterministic_and_uses_rng():
    W = np.random.default_rng(5).standard_normal((3, 3))
    a = encode_matrix(W, method="source", starts=2, max_iter=10)
    b = encode_matrix(W, method="source", starts=2, max_iter=10)
    c = encode_matrix(W, method="source", starts=2, max_iter=10,
                      rng=np.random.default_rng(enc.DEFAULT_RNG_SEED))
    assert a.seed == b.seed == c.seed and a.trace == b.trace == c.trace
    d = encode_matrix(W, method="source", starts=2, max_iter=10, rng=99)
    assert d.trace[-1][2:] != a.trace[-1][2:]        # other starting points


def test_rot_and_d_theta_only_rewrite_T():
    W = np.random.default_rng(8).standard_normal((2, 5)) + 0.5
    base = encode_matrix(W)
    for rot, d_theta in ((5, 0), (0, 3), ("all", "all")):
        res = encode_matrix(W, rot=rot, d_theta=d_theta)
        assert res.amplitude == base.amplitude
        assert res.loss == base.loss
    res = encode_matrix(W, rot=5)
    assert res.seed.rot == 5
    assert (res.seed.T + (5 << 60)) % (1 << 64) == base.seed.T


def test_q64_eps_values_are_searched():
    W = 0.6 * _phi(2, 3)
    res = encode_matrix(W, seed_format="q64", eps=[1 << 60, 1 << 63])
    assert res.seed.eps in (1 << 60, 1 << 63)
    assert abs(res.amplitude - 0.6) < 1e-15


def test_vectorised_targets_match_single_calls():
    A = np.array([[0.25, -0.5], [1e-3, 0.0]])
    many = best_seed_for_amplitude(A)
    assert many.shape == (2, 2)
    for idx in np.ndindex(A.shape):
        assert many[idx] == best_seed_for_amplitude(float(A[idx]))
    assert best_seed_for_amplitude(0.0) == Seed(0, 0)


def test_result_fields():
    W = np.arange(12.0).reshape(3, 4) / 12
    res = encode_matrix(W, seed_format="q64")
    assert res.word is None or res.seed.fits_seed64
    assert res.shape == (3, 4) and res.method == "optimal"
    assert res.target == optimal_amplitude(W)
    assert res.metrics["mse"] == res.loss
    assert res.metrics["stored_bits"] == 128
    res = encode_matrix(W)
    assert res.word == res.seed.word and res.metrics["stored_bits"] == 64
    assert Seed.from_seed64(res.word) == res.seed


def test_integer_matrix_is_its_float_matrix():
    W = np.array([[1, -2, 3], [0, 5, 1]])
    assert encode_matrix(W).seed == encode_matrix(W.astype(float)).seed


@pytest.mark.parametrize("W, exc", [
    (np.array([[1.0, np.nan]]), ValueError),
    (np.array([[1.0, np.inf]]), ValueError),
    (np.zeros((0, 3)), ValueError),
    (np.zeros(4), ValueError),
    (np.zeros((2, 2, 2)), ValueError),
    (np.array([["a", "b"]]), TypeError),
    (np.array([[1 + 2j]]), TypeError),
    (np.array([[1, 2]], dtype=object), TypeError),
    (np.array([[True, False]]), TypeError),
    (np.array([[2**60, 1]]), ValueError),
    (np.array([[1e200, 1.0]]), ValueError),
    ([[1.0, 2.0], [3.0]], ValueError),
])
def test_bad_matrix(W, exc):
    with pytest.raises(exc, match="W"):
        encode_matrix(W)


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(seed_format="q32"), ValueError, "seed_format"),
    (dict(seed_format=None), ValueError, "seed_format"),
    (dict(method="best"), ValueError, "method"),
    (dict(rot=16), ValueError, "rot"),
    (dict(log2_c=[0, 4]), ValueError, "log2_c"),
    (dict(d_r=[]), ValueError, "d_r"),
    (dict(d_theta=1.0), TypeError, "d_theta"),
    (dict(d_r=True), TypeError, "d_r"),
    (dict(log2_c="some"), TypeError, "log2_c"),
    (dict(eps="all", seed_format="q64"), ValueError, "eps"),
    (dict(eps=1), ValueError, "eps"),
    (dict(method="source", rng="x"), TypeError, "rng"),
    (dict(method="source", starts=-1), ValueError, "starts"),
    (dict(method="source", grad_tol=float("nan")), ValueError, "grad_tol"),
])
def test_bad_arguments(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        encode_matrix(np.ones((2, 2)), **kwargs)


def test_bad_amplitudes():
    with pytest.raises(ValueError, match="A"):
        best_seed_for_amplitude([0.1, np.nan])
    with pytest.raises(TypeError, match="A"):
        best_seed_for_amplitude("0.1")
    with pytest.raises(TypeError, match="seed"):
        amplitude((1, 2))


def test_optimal_amplitude_is_the_rounded_exact_projection():
    # Both dot products exact (Fractions of the float64 entries and of
    # Phi), each rounded once, then divided: the encoder's A*.
    rng = np.random.default_rng(21)
    for shape in ((3, 4), (7, 5)):
        W = rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 8, shape)
        Phi = _phi(*shape)
        num = sum(Fraction(w) * Fraction(p) for w, p in zip(W.ravel().tolist(),
                                                            Phi.ravel().tolist()))
        den = sum(Fraction(p) ** 2 for p in Phi.ravel().tolist())
        assert optimal_amplitude(W) == float(num) / float(den)


@pytest.mark.parametrize("field, value, exc", [
    ("R", -1, ValueError), ("R", 1 << 64, ValueError), ("T", 1 << 64, ValueError),
    ("log2_c", 4, ValueError), ("log2_c", -5, ValueError), ("d_r", 2, ValueError),
    ("rot", 16, ValueError), ("d_theta", 4, ValueError), ("eps", -1, ValueError),
    ("R", 0.5, TypeError), ("T", True, TypeError), ("rot", "1", TypeError)])
def test_seed_refuses_a_field_out_of_range_naming_it(field, value, exc):
    kw = dict(R=0, T=0)
    kw[field] = value
    with pytest.raises(exc, match=f"Seed: {field} must be"):
        pq.Seed(**kw)


def test_seed_stores_numpy_integers_as_ints():
    s = pq.Seed(np.uint64(1 << 63), np.int64(5), log2_c=np.int8(-4))
    assert (type(s.R), type(s.T), type(s.log2_c)) == (int, int, int)
    assert s == pq.Seed(1 << 63, 5, log2_c=-4)
