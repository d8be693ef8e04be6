"""metrics (source 000, 8.4) and seed_bits, against hand computations.

Singular values come from LAPACK (numpy.linalg.svd), backward stable: each
is within a few u sigma_1 of the exact one, so spectral quantities are
compared with a relative tolerance of 1e-12; the entrywise errors are
exact float64 sums of exactly representable terms here.
"""
import math

import numpy as np
import pytest

from poincare_q64.transform import metrics, seed_bits

TOL = 1e-12


def close(a, b):
    return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)


def test_diagonal_matrices():
    # sigma(W) = (5, 2, 1), sigma(W_hat) = (4, 2, 0)
    W = np.diag([2.0, 5.0, 1.0])
    W_hat = np.diag([2.0, 4.0, 0.0])
    m = metrics(W, W_hat, k=2, stored_bits=9 * 32)
    assert m["mse"] == 2 / 9 and m["mae"] == 2 / 9
    assert close(m["rmse"], math.sqrt(2 / 9))
    assert close(m["rel_frobenius"], math.sqrt(2) / math.sqrt(30))
    assert close(m["spectral_error"], 1 / 5)            # max(|5-4|, 0, |1-0|) / 5
    assert close(m["pcr_k"], (16 + 4) / (25 + 4))
    assert close(m["lipschitz"], 5) and close(m["lipschitz_hat"], 4)
    assert close(m["condition"], 5)
    assert m["condition_hat"] == math.inf               # singular
    assert m["bits_per_weight"] == 32 and m["compression_ratio"] == 1


def test_rotation_times_diagonal():
    # Q = [[0.6, -0.8], [0.8, 0.6]] is orthogonal, so Q diag(3, 1) has
    # singular values 3 and 1 and Frobenius norm sqrt(10).
    Q = np.array([[0.6, -0.8], [0.8, 0.6]])
    W = Q @ np.diag([3.0, 1.0])
    m = metrics(W, np.zeros((2, 2)), k=1)
    assert close(m["lipschitz"], 3) and close(m["condition"], 3)
    assert close(m["rel_frobenius"], 1.0)
    assert close(m["spectral_error"], 1.0)
    assert m["pcr_k"] == 0.0 and m["k"] == 1
    assert m["lipschitz_hat"] == 0.0 and m["condition_hat"] == math.inf


def test_rank_one_outer_product():
    # u v^T has the single singular value |u| |v| = 3 * 5
    u, v = np.array([1.0, 2.0, 2.0]), np.array([3.0, 4.0])
    W = np.outer(u, v)
    m = metrics(W, 2 * W, k=1, stored_bits=64)
    assert close(m["lipschitz"], 15) and close(m["lipschitz_hat"], 30)
    assert m["condition"] == math.inf
    assert close(m["pcr_k"], 4.0) and close(m["spectral_error"], 1.0)
    assert close(m["rel_frobenius"], 1.0)
    assert m["compression_ratio"] == 32 * 6 / 64 and m["bits_per_weight"] == 64 / 6


def test_perfect_reconstruction():
    W = np.random.default_rng(0).standard_normal((4, 6))
    m = metrics(W, W.copy(), k=3)
    assert m["mse"] == m["mae"] == m["rmse"] == m["rel_frobenius"] == 0.0
    assert m["spectral_error"] == 0.0 and m["pcr_k"] == 1.0
    assert m["condition"] == m["condition_hat"] < math.inf


def test_zero_matrix():
    Z = np.zeros((2, 3))
    m = metrics(Z, Z)
    assert m["rel_frobenius"] == 0.0 and m["spectral_error"] == 0.0
    assert m["pcr_k"] == 0.0 and m["condition"] == math.inf
    m = metrics(Z, np.ones((2, 3)))
    assert m["rel_frobenius"] == math.inf and m["spectral_error"] == math.inf
    assert m["pcr_k"] == math.inf


def test_properties_on_random_matrices():
    rng = np.random.default_rng(1)
    for shape in ((3, 5), (6, 2), (4, 4)):
        W = rng.standard_normal(shape)
        E = rng.standard_normal(shape) * 0.1
        m = metrics(W, W + E)
        # RMSE <= max |e| and MAE <= RMSE (power means)
        assert m["mae"] <= m["rmse"] * (1 + TOL) <= np.abs(E).max() * (1 + TOL)
        # Weyl: |sigma_i - sigma_hat_i| <= ||E||_2
        assert m["spectral_error"] * m["lipschitz"] <= np.linalg.norm(E, 2) * (1 + 1e-9)
        # scaling W_hat by t scales pcr by t^2
        assert close(metrics(W, 3 * W)["pcr_k"], 9.0)
        assert m["condition"] >= 1


@pytest.mark.parametrize("args, kwargs, exc", [
    (([[1.0]], [[1.0, 2.0]]), {}, ValueError),
    (([1.0, 2.0], [1.0, 2.0]), {}, ValueError),
    (([[np.nan]], [[1.0]]), {}, ValueError),
    (([[True]], [[1.0]]), {}, TypeError),
    (([["a"]], [[1.0]]), {}, TypeError),
    (([[1.0]], [[1.0]]), dict(k=2), ValueError),
    (([[1.0]], [[1.0]]), dict(k=0), ValueError),
    (([[1.0]], [[1.0]]), dict(k=1.0), TypeError),
    (([[1.0]], [[1.0]]), dict(stored_bits=0), ValueError),
    (([[1.0]], [[1.0]]), dict(stored_bits=64.0), TypeError),
])
def test_bad_input(args, kwargs, exc):
    with pytest.raises(exc):
        metrics(*args, **kwargs)


def test_seed_bits():
    assert seed_bits("seed64") == 64
    assert seed_bits("seed64", log2_c="all", d_r="all", rot="all", d_theta="all") == 64
    assert seed_bits("q64") == 128
    # 3 + 1 + 4 + 2 bits name one of 8, 2, 16 and 4 allowed values
    assert seed_bits("q64", log2_c="all", d_r="all", rot="all", d_theta="all") == 138
    assert seed_bits("q64", eps=[0, 1, 2]) == 130
    with pytest.raises(ValueError, match="eps"):
        seed_bits("seed64", eps=[0, 1])
    with pytest.raises(ValueError, match="seed_format"):
        seed_bits("q128")
