"""The compression audit (poincare_q64/validation/compression_audit.py) on tiny inputs.

- The one-seed law it reports (RMSE = sqrt(chi^2_(N-1) / N)) is right: it
  agrees with a plain numpy simulation of a projection, and the transform's
  encoder reaches it on small N(0, 1) matrices.
- The baselines store what they say and reconstruct what they should
  (known values: full-rank SVD is exact to float32, 1-bit quantisation of a
  Gaussian leaves 1 - 2/pi of the energy).
- Source 002's printed test log: the Jacobian as written is 625/49, and the
  float32 readings the audit reports reproduce the printed figures.
- The digits study and the whole report run end to end at tiny size.
"""
import math
import os
from fractions import Fraction

import numpy as np
import pytest

from poincare_q64 import transform as tr
from poincare_q64.validation import audit_baselines as bl
from poincare_q64.validation import audit_digits as ad
from poincare_q64.validation import audit_source002 as s002
from poincare_q64.validation import audit_transform as at
from poincare_q64.validation import compression_audit as ca

os.environ.setdefault("PQ_NO_PROGRESS", "1")


def test_one_seed_law_agrees_with_a_simulated_projection():
    rng = np.random.default_rng(11)
    N, draws = 50, 4000
    phi = rng.uniform(0.9, 1.1, N)
    W = rng.standard_normal((draws, N))
    A = W @ phi / (phi @ phi)
    rm = np.sqrt(np.mean((W - A[:, None] * phi) ** 2, axis=1))
    law = bl.projection_rmse_law(N, quantiles=(0.05, 0.5, 0.95))
    assert law["mse"] == pytest.approx((N - 1) / N)
    assert np.mean(rm ** 2) == pytest.approx(law["mse"], abs=4 * math.sqrt(2 * (N - 1)) / N / math.sqrt(draws))
    assert np.mean(rm) == pytest.approx(law["mean"], abs=4 * law["std"] / math.sqrt(draws))
    assert np.std(rm) == pytest.approx(law["std"], rel=0.1)
    for q in (0.05, 0.5, 0.95):
        assert np.quantile(rm, q) == pytest.approx(law[q], abs=0.01)
    assert bl.projection_rmse_cdf(law[0.05], N) == pytest.approx(0.05)


@pytest.mark.parametrize("seed_format", ["seed64", "q64"])
def test_the_encoder_reaches_the_one_seed_law(seed_format):
    # E[MSE] = (N - 1)/N for the best multiple of phi: a worse encoder (or a
    # seed that cannot reach the amplitude) shows as a larger mean
    m, n, draws = 6, 8, 300
    N = m * n
    mse = []
    for d in range(draws):
        W = bl.gaussian_matrix(5, m, n, d)
        W_hat, bits, _, _ = at.encode_one(W, seed_format)
        assert bits == {"seed64": 64, "q64": 128}[seed_format]
        mse.append(np.mean((W - W_hat) ** 2))
    sd = math.sqrt(2 * (N - 1)) / N / math.sqrt(draws)
    assert np.mean(mse) == pytest.approx((N - 1) / N, abs=4 * sd)


def test_gaussian_draws_are_fixed_and_independent_of_the_run():
    a = bl.gaussian_matrix(0, 4, 5, 3)
    assert np.array_equal(a, bl.gaussian_matrix(0, 4, 5, 3))
    assert not np.array_equal(a, bl.gaussian_matrix(0, 4, 5, 2))
    assert a.shape == (4, 5)


def test_distortion_rate_bound():
    assert bl.distortion_rate_rmse(0) == 1.0
    assert bl.distortion_rate_rmse(1) == 0.5
    assert bl.distortion_rate_rmse(2, sigma=3.0) == 0.75


def test_baselines_store_what_they_say():
    W = bl.gaussian_matrix(1, 12, 10, 0)
    W_hat, bits = bl.low_rank(W, 10)
    assert bits == 32 * 10 * (12 + 10 + 1)
    assert np.max(np.abs(W - W_hat)) < 1e-5          # float32 factors, full rank
    assert bl.low_rank(W, 0)[1] == 0
    W_hat, bits = bl.block_means(W, (5, 4))             # ragged: 3 x 3 blocks
    assert bits == 32 * 9
    assert W_hat[0, 0] == pytest.approx(W[:5, :4].mean(), rel=1e-6)
    assert W_hat[11, 9] == pytest.approx(W[10:, 8:].mean(), rel=1e-6)
    assert bl.stored_mean(W, 64) == (pytest.approx(np.full(W.shape, W.mean())), 64)
    assert bl.zeros(W)[1] == 0
    W_hat, bits = bl.sign_subset(W, 32 + 7)
    assert bits == 39 and np.count_nonzero(W_hat) == 7
    assert bl.sign_subset(W, 20)[1] == 0
    assert bl.nearest_rank(64, 64, 64) == 0
    assert bl.nearest_rank(64, 64, 4100) == 1


def test_one_bit_quantisation_leaves_one_minus_two_over_pi():
    W = bl.gaussian_matrix(2, 200, 200, 0)
    W_hat, bits = bl.uniform_quantised(W, 1)
    assert bits == W.size + 32
    assert np.mean((W - W_hat) ** 2) == pytest.approx(1 - 2 / math.pi, abs=0.01)
    assert set(np.unique(np.abs(W_hat))) == {np.abs(W_hat).max()}


def test_source002_jacobian_as_written_and_the_logs_reading():
    rows = {r["reading"]: r for r in s002.jacobian_study()}
    written = rows["(1 - c r^2)^-2, as written"]
    c, r = Fraction(2), Fraction(4, 5)
    assert Fraction(written["exact"]) == pytest.approx(1 / (1 - c * r * r) ** 2)   # 625/49
    assert not written["match"]
    matched = [name for name, row in rows.items() if row["match"]]
    assert matched == ["|1 - c r^2|^-1 (the square root of the written J)"]
    assert np.float32(rows[matched[0]]["f32"]) == np.float32("3.5714273")


def test_source002_weights_and_decoded_fields():
    hits, count = s002.weight_study()
    assert count == len(s002.J_READINGS) * 4 * len(s002.PSI_READINGS) * 2
    for h in hits:
        assert abs(float(h["value"]) - float(np.float32(s002.PRINTED[h["target"]]))) \
            <= s002.ULPS * s002.f32_ulp(np.float32(s002.PRINTED[h["target"]]))
    assert {(h["target"], h["Psi"], h["r"]) for h in hits} >= {
        ("expected weight", "sinh x", "r = 0.5"),
        ("computed weight", "sinh x", "r through the 20-bit field")}
    dec = {d["reading"]: d for d in s002.decode_readings()}
    assert dec["field / (2^k - 1)"]["r_ok"] and dec["field / (2^k - 1)"]["theta_ok"]
    assert not dec["field / 2^k (the package)"]["r_ok"]


def test_a_method_the_encoder_lacks_is_reported_not_faked():
    W = bl.gaussian_matrix(3, 4, 4, 0)
    if at.accepts(tr.encode_matrix, "method"):
        W_hat, bits, _, _ = at.encode_one(W, "seed64", method="source")
        assert W_hat.shape == W.shape and bits == 64
    else:
        with pytest.raises(at.NotAvailable, match="method"):
            at.encode_one(W, "seed64", method="source")


def test_digits_study_tiny():
    rows = ad.study([0], layers=(1,), blocks=((64, 32), (8, 8)), seed_formats=("seed64",))
    by = {r["name"]: r for r in rows}
    assert by["original"]["acc_as_is"] > 0.9
    assert by["all zeros"]["acc_as_is"] < 0.25          # constant layer: one class
    assert by["all zeros"]["acc_retrained"] < 0.25
    one = by["RBE seed64, one seed"]
    assert one["bits"] == 64 and one["ratio"] == 64 * 32 * 32 / 64
    assert one["rel_rmse"] == pytest.approx(1.0, abs=0.02)   # one seed captures ~nothing
    assert by["RBE seed64, 8x8 blocks"]["bits"] == 64 * 8 * 4


def test_the_report_runs_end_to_end(tmp_path, monkeypatch):
    study = ad.study

    def tiny(seeds, progress=None):
        return study(seeds, layers=(1,), blocks=((64, 32),), seed_formats=("seed64",),
                     max_iter=50)
    monkeypatch.setattr(ca, "SIZES", (32,))
    monkeypatch.setattr(ca.ad, "study", tiny)
    assert ca.main(["--out", str(tmp_path), "--draws", "3", "--curve-draws", "1",
                    "--source-draws", "1", "--digits-seeds", "1"]) == 0
    text = (tmp_path / "compression_audit.md").read_text()
    assert "## Which claims hold" in text and "32x32 -> 512:1 at RMSE 0.884" in text
    for f in ("compression_audit_curve.png", "compression_audit_rmse.png",
              "compression_audit_digits.png", "compression_audit.json"):
        assert (tmp_path / f).stat().st_size > 0
