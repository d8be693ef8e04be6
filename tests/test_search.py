"""The compiled seed64 search against the numpy search it replaced.

``encode._best_seed64_many_numpy`` (arcsin, three theta fields per r field,
one target at a time, in numpy) is kept in encode.py as the reference; the
compiled search (poincare_q64._search: a galloping walk over the sine
table, two theta fields per r field, targets in parallel) must return the
same seeds for every target, option set and thread count.  The exhaustive
check of the seeds themselves is tests/test_encode.py.
"""
import numpy as np
import pytest

from poincare_q64 import _search
from poincare_q64.transform import Seed, amplitude, best_seed_for_amplitude
from poincare_q64.transform import encode as enc
from poincare_q64.transform.seed import allowed_options


def _opts(**kw):
    base = dict(log2_c=0, eps=0, d_r=0, rot=0, d_theta=0)
    base.update(kw)
    return allowed_options("test", **base)


def _special_targets():
    """Zero, signed zero, subnormal, tiny, negative, the largest amplitude
    2 of d_r = 1, out of reach (near and far), an exact seed amplitude."""
    seed = Seed(0x4F1A3 << 44, 0x2B07C1 << 40, log2_c=-3, d_r=1)
    return [0.0, -0.0, 5e-324, -1e-300, 3e-9, -0.8, 2.0, -2.5, 1e300,
            amplitude(seed)]


def _random_targets(n, seed):
    # N(0, 1) scaled by 10**U(-12, 0.5): tiny to beyond reach, both signs
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(n) * 10.0 ** rng.uniform(-12, 0.5, n)).tolist()


def test_same_seeds_as_numpy_with_every_option_pair():
    opts = _opts(log2_c="all", d_r="all")
    A = _special_targets()
    ref = enc._best_seed64_many_numpy(A, opts, False)
    for threads in (1, 2):
        got = enc._best_seed64_many(A, opts, False, threads)
        bad = [(a, g, r) for a, g, r in zip(A, got, ref) if g != r]
        assert not bad, (threads, bad[:3])


def test_same_seeds_as_numpy_with_the_defaults_on_many_targets():
    opts = _opts()
    A = _random_targets(30, 2) + [0.5, -0.5, 0.999999999, -1e-13, 1.0, -1.0, 7.0]
    ref = enc._best_seed64_many_numpy(A, opts, False)
    got = enc._best_seed64_many(A, opts, False, 2)
    assert [g == r for g, r in zip(got, ref)] == [True] * len(A)


def test_same_seeds_as_numpy_with_rot_and_d_theta():
    # rot and d_theta only rewrite T: the smallest T among the shifts
    opts = _opts(log2_c=(-2, 1), d_r=1, rot="all", d_theta="all")
    A = [-0.3, 1.7, 0.0, -1e-20, 0.123456789]
    assert (enc._best_seed64_many(A, opts, False, 2)
            == enc._best_seed64_many_numpy(A, opts, False))


def test_public_function_uses_the_compiled_search():
    A = np.array([[0.3, -0.61], [1e-7, 4.0]])
    got = best_seed_for_amplitude(A, threads=1)
    assert got.shape == (2, 2)
    ref = enc._best_seed64_many_numpy(A.ravel().tolist(), _opts(), False)
    assert got.ravel().tolist() == ref
    assert (best_seed_for_amplitude(A, threads=2) == got).all()


def test_candidates_do_not_depend_on_threads_or_slices():
    S = enc._sine_table()
    g = enc._g_table(0, 1)
    A = np.array(_random_targets(5, 3) + [0.0, 1.9, -2.5])
    d0 = np.full(len(A), np.inf)
    base = _search.seed64_candidates(A, g, S, d0, 1, 1)
    for threads, slices in ((2, 1), (1, 7), (2, 3), (2, 0)):
        dm, cands = _search.seed64_candidates(A, g, S, d0, threads, slices)
        assert dm.tolist() == base[0].tolist()
        for (k, l, d), (k0, l0, d0_) in zip(cands, base[1]):
            assert k.tolist() == k0.tolist()
            assert l.tolist() == l0.tolist()
            assert d.tolist() == d0_.tolist()


def test_candidate_distances_are_the_numpy_searchs():
    # the compiled loop computes |fl(fl(g_k s_l) - a)| as numpy does: on
    # every (k, l) both report, the distances agree bit for bit, and both
    # reach the same smallest distance
    S = enc._sine_table()
    g = enc._g_table(-1, 0)
    for a in (0.37, -0.0042, 0.9):
        dmin, ref = enc._seed64_candidates(a, g, S)
        dm, [(k, l, d)] = _search.seed64_candidates(
            np.array([a]), g, S, np.array([np.inf]), 1)
        assert float(dm[0]) == dmin
        mine = {(kk, ll): dd for kk, ll, dd in zip(k.tolist(), l.tolist(), d.tolist())}
        common = [(kk, ll, dd) for kk, ll, dd in ref if (kk, ll) in mine]
        assert common, a
        assert all(mine[(kk, ll)] == dd for kk, ll, dd in common)


def test_far_out_of_reach_targets_take_the_largest_amplitude():
    # d_r = 1 reaches g'(0) = 2 for every c, the largest |g| of any option
    # (docs/transform.md); ties go to the smallest log2_c.  With the
    # defaults |g| < 1 is largest at the last r field.
    A = [1e300, -1e300, 1e20, 2.0 ** 1000, -3.0]
    quarter = [(1 if a > 0 else 3) << 62 for a in A]
    got = best_seed_for_amplitude(A, log2_c="all", d_r="all")
    assert got.tolist() == [Seed(0, T, log2_c=-4, d_r=1) for T in quarter]
    got = best_seed_for_amplitude(A)
    assert got.tolist() == [Seed(((1 << 20) - 1) << 44, T) for T in quarter]


def test_bad_threads():
    with pytest.raises(ValueError, match="threads"):
        best_seed_for_amplitude(0.5, threads=0)
    with pytest.raises(TypeError, match="threads"):
        best_seed_for_amplitude(0.5, threads="2")


def test_bad_tables_are_rejected():
    S = enc._sine_table()
    g = enc._g_table(0, 0)
    one = np.array([0.5])
    with pytest.raises(ValueError, match="S must run"):
        _search.seed64_candidates(one, g, S[:-1], np.array([np.inf]), 1)
    with pytest.raises(ValueError, match="finite"):
        _search.seed64_candidates(np.array([np.nan]), g, S, np.array([np.inf]), 1)
    with pytest.raises(ValueError, match="dmin0"):
        _search.seed64_candidates(one, g, S, np.array([np.inf, 1.0]), 1)
