"""The error-analysis scripts (docs/error-analysis.md, sections 2 and 3)
and their claims.

- The oracle of poincare_q64/validation/analysis_common.py is right: its radial term is
  the spec's definition (checked against Fractions), its sines agree with
  mpmath at 400 bits, the inverse hash its stress inputs come from
  (poincare_q64.inputs.index_for_hash) inverts MurmurHash3, and the package's
  correctly rounded rbe sits within 1/2 unit of it.
- rbe_pipeline never exceeds the bound derived in docs/error-analysis.md
  (section 2) on uniform, stress and constructed inputs, measured against
  mpmath; the constructed inputs come within 3 % of it (the bound is tight).
- The float breakdown points stated in validation/reports/stability.md and
  docs/error-analysis.md (section 3) are what numpy does.
- Both scripts run end to end at tiny size into a temporary directory and
  write their report and plots; pipeline_error resumes from its checkpoints.
"""
import os
import random
import re
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64.inputs import index_for_hash
from poincare_q64.validation import analysis_common as ac
from poincare_q64.validation import pipeline_error as pe
from poincare_q64.validation import stability as st

os.environ.setdefault("PQ_NO_PROGRESS", "1")


# --------------------------------------------------------------------------
# the oracle
# --------------------------------------------------------------------------

def test_radial_fixed_is_the_definition():
    rng = random.Random(51)
    for _ in range(150):
        R = rng.choice([rng.getrandbits(64), rng.getrandbits(20), 2**64 - 1 - rng.getrandbits(30)])
        E = rng.choice([0, rng.getrandbits(rng.randint(1, 64))])
        c, d = rng.randint(-4, 3), rng.randint(0, 1)
        q = ac.radial_fraction(R, c, E, d)
        assert ac.radial_fixed(R, c, E, d) == (q.numerator << ac.PREC) // q.denominator


def test_sin_turns_fixed_agrees_with_mpmath_at_400_bits():
    rng = random.Random(52)
    for T in [0, 1, 2**62, 2**62 + 1, 2**63 - 1] + [rng.getrandbits(64) for _ in range(30)]:
        with mpmath.workprec(400):
            exact = mpmath.sin(2 * mpmath.pi * mpmath.mpf(T) / 2**64) * mpmath.mpf(2) ** ac.PREC
            assert abs(ac.sin_turns_fixed(T, 64) - exact) <= 2


def test_index_for_hash_inverts_murmur3():
    rng = np.random.default_rng(53)
    H = rng.integers(0, 2**32, size=200, dtype=np.uint32)
    j = rng.integers(0, 2**32, size=200, dtype=np.uint32)
    i = index_for_hash(H, j)
    assert np.array_equal(pq.spatial_hash(i, j), H)
    assert all(ac.spatial_hash(a, b) == h for a, b, h in zip(i.tolist(), j.tolist(), H.tolist()))


def test_oracle_agrees_with_correctly_rounded_rbe():
    """rbe at frac 64 is f 2^64 rounded to nearest, so the oracle's f 2^64
    must be within 1/2 of it (plus the oracle's 2^-60): a wrong oracle
    (or a wrong rbe) fails this."""
    cols = pe.sample_uniform(np.random.default_rng(54), 200)
    X = pq.rbe(cols["R"], cols["T"], cols["i"], cols["j"], log2_c=cols["log2_c"],
               eps=cols["eps"], d_r=cols["d_r"], rot=cols["rot"], d_theta=cols["d_theta"],
               frac=64, dtype=object)
    for m in range(200):
        F, _, _, _ = pe.exact_row(pe.row(cols, m))
        assert abs(Fraction((int(X[m]) << 64) - F, 2**64)) <= Fraction(1, 2) + Fraction(1, 2**60)


# --------------------------------------------------------------------------
# section 2: the derived bound
# --------------------------------------------------------------------------

def test_g_sup_is_the_supremum_of_abs_g():
    """G per option: no |g| exceeds it, and values within 0.1 % of it occur
    (so the per-option bound is not loose because of G)."""
    rng = random.Random(55)
    for c in pe.LOG2_CS:
        for d in (0, 1):
            G = pe.g_sup(c, d)
            R0 = pe.argmax_radius(c, d)
            Rs = [rng.getrandbits(64) for _ in range(40)]
            Rs += [max(min(R0 + s * rng.getrandbits(b), 2**64 - 1), 0)
                   for s in (-1, 1) for b in (20, 30, 40)]
            top = max(abs(ac.radial_fraction(R, c, 0, d)) for R in Rs)
            # compared exactly: G = 2, 2/(1 + c), or 1/sqrt(c) through squares
            if d == 1:
                assert top <= 2
            elif c <= 0:
                assert top <= 2 / (1 + Fraction(2) ** c)
            else:
                assert top ** 2 <= Fraction(1, 2**c)
            assert float(top) >= 0.999 * G


def test_option_bound_table():
    assert pe.BOUND_ALL == pytest.approx(3.7)
    assert pe.option_bound(-4, 0) == pytest.approx(1.6 + 1.05 * 32 / 17)
    assert pe.option_bound(3, 0) == pytest.approx(1.6 + 1.05 / np.sqrt(8))
    assert all(pe.option_bound(c, 1) == pytest.approx(3.7) for c in pe.LOG2_CS)


@pytest.mark.parametrize("family", ["uniform", "stress"])
def test_pipeline_error_within_derived_bound(family):
    cols = pe.SAMPLERS[family](np.random.default_rng([56, len(family)]), 300)
    err, g, s, phi = pe.pipeline_errors(cols)
    assert np.all(np.abs(err) <= pe.pointwise_bound(g, s, phi))
    B = np.array([pe.option_bound(int(c), int(d)) for c, d in zip(cols["log2_c"], cols["d_r"])])
    assert np.all(np.abs(err) <= B + 2.0 ** -60)
    assert np.abs(err).max() <= pe.BOUND_ALL
    # not all zero: the oracle really measures something
    assert np.sqrt(np.mean(err ** 2)) > 0.3


def test_constructed_inputs_come_close_to_the_bound():
    """The tightness claim: constructed inputs reach > 97 % of each option's
    bound, and still never exceed it."""
    rows, err, g, s, phi = pe.measure_constructed(seed=5, k=40)
    assert np.all(np.abs(err) <= pe.pointwise_bound(g, s, phi))
    for r, e in zip(rows, err):
        assert abs(e) <= pe.option_bound(r["log2_c"], r["d_r"])
    worst = {}
    for r, e in zip(rows, err):
        key = (r["log2_c"], r["d_r"])
        worst[key] = max(worst.get(key, 0), abs(e))
    assert len(worst) == 16
    assert min(worst[k] / pe.option_bound(*k) for k in worst) > 0.97
    assert max(worst.values()) > 0.97 * pe.BOUND_ALL


def test_float_pipeline_errors_are_float_sized():
    """float64 errors are a few ulps of 2.2 (2^11 u at 1), float32 likewise
    (2^40 u), and the tanh form is NaN exactly where sqrt(c) r > 1."""
    cols = pe.sample_float(np.random.default_rng(57), 300)
    err, idx, quant = pe.float_measure(cols, 10)
    r = cols["R"].astype(float) / 2**64
    outside = np.sqrt(2.0 ** cols["log2_c"]) * r > 1
    for k in pe.FLOAT_VARIANTS:
        nan = ~np.isfinite(err[k])
        if "tanh" in k:
            assert np.array_equal(nan, outside)
        else:
            assert not nan.any()
        lim = 2.0 ** 16 if k.startswith("float64") else 2.0 ** 45
        assert np.nanmax(np.abs(err[k])) < lim
        assert np.nanmax(np.abs(err[k])) > lim / 2**6
    assert len(quant["float64"]) == len(idx) == 30


# --------------------------------------------------------------------------
# section 3: where floats break
# --------------------------------------------------------------------------

def test_float_radius_rounds_to_one_where_stated():
    assert st.float_radius(53, np.float64) < 1 and st.float_radius(54, np.float64) == 1
    assert st.float_radius(24, np.float32) < 1 and st.float_radius(25, np.float32) == 1


def test_tanh_form_breaks_at_the_domain_edge():
    with np.errstate(all="ignore"):
        def tanh_form(r, c):
            return np.tanh(2 * np.arctanh(np.sqrt(c) * r)) / np.sqrt(c)
        # c = 2: r = 0.75 > 1/sqrt(2): NaN; the rational form is fine there
        assert np.isnan(tanh_form(0.75, 2.0))
        assert 2 * 0.75 / (1 + 2 * 0.75 ** 2) == pytest.approx(float(Fraction(12, 17)))
        # c = 4, r = 1/2: atanh(1) = inf, tanh(inf) = 1: the exact g = 1/2
        assert tanh_form(0.5, 4.0) == 0.5
        # c = 1 with r rounded to 1.0: still the right value
        assert tanh_form(np.float64(1.0), 1.0) == 1.0
        # the source's derivative at r = 1.0: inf * 0 = NaN
        r = st.float_radius(54, np.float64)
        assert np.isnan(2 / (1 - r * r) / np.cosh(2 * np.arctanh(r)) ** 2)
    # thresholds stated in the report: the smallest float r giving NaN
    assert st.tanh_nan_threshold(1, np.float64) == 0.70710678118654757
    assert st.tanh_nan_threshold(2, np.float64) == np.nextafter(0.5, 1)
    assert st.tanh_nan_threshold(3, np.float64) == 0.35355339059327379


def test_derivative_claim_is_false():
    """The source's df/dr ~ 2/(1-r)^2: at r = 1 - 2^-64 and c = 1 the exact
    g' is about 2^-64, not 2^129; |g'| <= 2 for every c."""
    for c in pe.LOG2_CS:
        p = st.exact_point(64, c)
        assert abs(p["dg"]) <= 2
        assert p["claim"] == 2**129
    p = st.exact_point(64, 0)
    assert Fraction(2**-65) < p["dg"] < Fraction(2**-63)


def test_one_seed_jacobian_has_rank_one():
    phi = st.phi_matrix(4, 4)
    rows = st.jacobian_precision(phi, 0.5, 1.0, 0, (53, 113))
    k53, k113 = rows[0][1], rows[1][1]
    assert 1e15 < k53 < 1e18 and k113 > 1e33   # grows like 2^p: infinite when exact


# --------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------

def test_pipeline_error_script_end_to_end_and_resume(tmp_path):
    pytest.importorskip("matplotlib", reason="the reports' plots need matplotlib")
    out, ck = tmp_path / "out", tmp_path / "ck"
    argv = ["--n", "240", "--chunk", "120", "--workers", "1", "--construct-k", "8",
            "--out-dir", str(out), "--checkpoint-dir", str(ck)]
    assert pe.main(argv) == 0
    text = (out / "pipeline_error.md").read_text()
    assert "Every input within its pointwise bound: **yes**" in text
    assert "0 of 4 chunks reused" in text
    for name in ("hist", "options", "float_hist", "float_by_c"):
        assert (out / f"pipeline_error_{name}.png").stat().st_size > 10_000
    assert (ck / ".gitignore").read_text() == "*\n"
    assert pe.main(argv) == 0                     # a second run reuses every chunk
    assert "4 of 4 chunks reused" in (out / "pipeline_error.md").read_text()


def test_stability_script_end_to_end(tmp_path):
    pytest.importorskip("matplotlib", reason="the reports' plots need matplotlib")
    assert st.main(["--grid", "9", "--matrix", "4", "--eps", "16",
                    "--out-dir", str(tmp_path)]) == 0
    text = (tmp_path / "stability.md").read_text()
    for name in ("exact", "float", "eps", "jacobian", "condition"):
        assert (tmp_path / f"stability_{name}.png").stat().st_size > 10_000
    # the breakdown points that docs/error-analysis.md quotes
    assert "r rounds to 1.0 from k = 54 (float64) and k = 25 (float32)" in text
    rows = {tuple(line.split(" | ")[:2]): line for line in text.splitlines()
            if line.startswith("| float")}
    assert "NaN/inf for k >= 54" in rows[("| float64", "0")].split(" | ")[4]   # g' source
    assert "NaN/inf for k >= 25" in rows[("| float32", "0")].split(" | ")[4]
    assert "NaN/inf for k >= 2" in rows[("| float64", "1")].split(" | ")[2]    # g tanh
    assert "NaN" not in rows[("| float64", "3")].split(" | ")[3]               # g rational
    # the package's Q64 values near r = 1 are correctly rounded (<= 1/2 u)
    got = [float(x) for x in re.findall(r"largest \|X - \w 2\^64\| = ([0-9.e+-]+) u", text)]
    assert len(got) == 2 and max(got) <= 0.5
