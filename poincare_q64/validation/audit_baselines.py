"""Baselines, bounds and the one-seed theory of the compression audit.

Everything here is plain numpy / scipy and knows nothing of the RBE
transform: the audit (poincare_q64/validation/compression_audit.py) puts the transform's
reconstructions beside these on the same axis, bits stored per weight.

Bits are counted as the sources count them (000 section 8.2.2: 32 bits per
original weight, the stored numbers at their stated width): a float32 costs
32 bits, a float64 64, a k-bit code k bits per weight.  Shapes are not
counted for anyone (the layer's shape is known to the decoder).

The Gaussian source: W with independent N(0, sigma^2) entries.

* Rate-distortion (Shannon): any code of R bits per weight has expected mean
  squared error E[MSE] >= D(R) = sigma^2 2^(-2R), at every matrix size (the
  converse holds for every block length), so the RMSE of the expected MSE,
  sqrt(E[MSE]), is at least sigma 2^-R.  Gaussian is the hardest source of a
  given variance: for another distribution with the same sigma the bound is
  lower, so this bound is stated for N(0, sigma^2) data only.
* One seed (or one fitted multiple of any fixed matrix Phi): the best fit
  A* Phi, A* = <W, Phi> / |Phi|^2, leaves (I - P) W with P the orthogonal
  projection on Phi.  Rotation invariance of the isotropic Gaussian gives
  |(I - P) W|^2 / sigma^2 ~ chi^2 with N - 1 degrees of freedom (N = m n),
  whatever Phi is.  So MSE = sigma^2 chi^2_(N-1) / N, E[MSE] = sigma^2 (N-1)/N,
  and RMSE = sigma sqrt(chi^2_(N-1) / N), whose mean is
  sigma sqrt(2/N) Gamma(N/2) / Gamma((N-1)/2).  With B blocks fitted
  independently (B disjoint fixed patterns), chi^2_(N-B).  An amplitude that
  must be rounded or clipped to what the seeds reach only adds to the MSE.
"""
import math

import numpy as np

FLOAT32_BITS = 32


def gaussian_matrix(seed, m, n, draw):
    """Draw number ``draw`` of an m x n matrix of N(0, 1) entries.

    One numpy Generator per (seed, m, n, draw), so a draw does not depend on
    how many other draws a run makes (--quick is a prefix of the full run).
    """
    rng = np.random.default_rng([int(seed), int(m), int(n), int(draw)])
    return rng.standard_normal((m, n))


def rmse(W, W_hat):
    d = np.asarray(W, dtype=np.float64) - np.asarray(W_hat, dtype=np.float64)
    return float(np.sqrt(np.mean(d * d)))


# --------------------------------------------------------------------------
# theory
# --------------------------------------------------------------------------

def distortion_rate_rmse(bits_per_weight, sigma=1.0):
    """sigma 2^-R: the smallest sqrt(E[MSE]) of any code of R bits per weight
    on N(0, sigma^2) data (Shannon's D(R) = sigma^2 2^(-2R))."""
    return sigma * 2.0 ** (-np.asarray(bits_per_weight, dtype=np.float64))


def projection_rmse_law(N, fitted=1, sigma=1.0, quantiles=(0.05, 0.95)):
    """The law of the RMSE left by the least-squares fit of ``fitted``
    disjoint fixed patterns to N(0, sigma^2) data of N entries.

    Returns a dict: ``mse`` (E[MSE] = sigma^2 (N - fitted) / N), ``mean``
    (E[RMSE]), ``std`` and the requested ``quantiles`` of the RMSE, all from
    RMSE = sigma sqrt(chi^2_(N - fitted) / N).
    """
    from scipy import stats
    k = N - fitted
    mean = sigma * math.sqrt(2.0 / N) * math.exp(math.lgamma((k + 1) / 2) - math.lgamma(k / 2))
    mse = sigma * sigma * k / N
    out = dict(mse=mse, mean=mean, std=math.sqrt(max(mse - mean * mean, 0.0)))
    for q in quantiles:
        out[q] = sigma * math.sqrt(stats.chi2.ppf(q, k) / N)
    return out


def projection_rmse_cdf(x, N, fitted=1, sigma=1.0):
    """P(RMSE <= x) for the fit of ``fitted`` fixed patterns (see above)."""
    from scipy import stats
    return float(stats.chi2.cdf(N * (x / sigma) ** 2, N - fitted))


# --------------------------------------------------------------------------
# baselines: each returns (W_hat, stored_bits)
# --------------------------------------------------------------------------

def zeros(W):
    """Nothing stored: W_hat = 0."""
    return np.zeros_like(np.asarray(W, dtype=np.float64)), 0


def stored_mean(W, bits=32):
    """One number, the mean of W, stored as a float32 (32 bits) or a float64
    (64 bits)."""
    W = np.asarray(W, dtype=np.float64)
    dt = {32: np.float32, 64: np.float64}[bits]
    return np.full(W.shape, float(dt(W.mean()))), bits


def _uniform_levels(W, k, step):
    """Midrise uniform quantiser with 2^k levels (k >= 1), centred on 0."""
    L = 1 << k
    idx = np.clip(np.floor(W / step), -L // 2, L // 2 - 1)
    return (idx + 0.5) * step


def uniform_quantised(W, k, candidates=400):
    """k-bit uniform quantisation: k bits per weight plus the step as a
    float32 (the step that minimises this matrix's MSE among ``candidates``
    values from 0.001 sigma to 4 sigma, geometric; it is stored, so choosing
    it on the data is fair)."""
    W = np.asarray(W, dtype=np.float64)
    s = float(W.std()) or 1.0
    best = None
    for step in np.float32(s * np.geomspace(1e-3, 4.0, candidates)):
        W_hat = _uniform_levels(W, k, float(step))
        e = float(np.mean((W - W_hat) ** 2))
        if best is None or e < best[0]:
            best = (e, W_hat)
    return best[1], k * W.size + FLOAT32_BITS


def sign_subset(W, bits):
    """1-bit quantisation of as many weights as ``bits`` allows: a float32
    scale (the mean |w| of the coded weights) and one sign bit each for the
    first ``bits - 32`` weights in row-major order, zeros elsewhere.  For
    independent weights this is the time-sharing line between "nothing" and
    1-bit quantisation, at any ratio of 32:1 or more."""
    W = np.asarray(W, dtype=np.float64)
    k = int(min(max(bits - FLOAT32_BITS, 0), W.size))
    flat = np.zeros(W.size)
    if k:
        w = W.ravel()[:k]
        scale = float(np.float32(np.mean(np.abs(w))))
        flat[:k] = np.where(w >= 0, scale, -scale)
    return flat.reshape(W.shape), (k + FLOAT32_BITS) if k else 0


def svd_bits(m, n, rank):
    """Bits of a rank-r factorisation at float32: 32 r (m + n + 1)."""
    return FLOAT32_BITS * rank * (m + n + 1)


def low_rank(W, rank, svd=None):
    """Best rank-r approximation (truncated SVD), its factors U, sigma, V
    rounded to float32: 32 r (m + n + 1) bits."""
    W = np.asarray(W, dtype=np.float64)
    m, n = W.shape
    if rank == 0:
        return np.zeros_like(W), 0
    U, s, Vt = svd if svd is not None else np.linalg.svd(W, full_matrices=False)
    f = lambda a: a.astype(np.float32).astype(np.float64)
    W_hat = (f(U[:, :rank]) * f(s[:rank])) @ f(Vt[:rank])
    return W_hat, svd_bits(m, n, rank)


def nearest_rank(m, n, bits):
    """The rank whose float32 factors cost nearest ``bits`` (0, i.e. storing
    nothing, when the budget is under half the cost of rank 1)."""
    per = svd_bits(m, n, 1)
    return int(min(max(round(bits / per), 0), min(m, n)))


def block_means(W, block):
    """One float32 mean per p x q block (ragged last row/column of blocks)."""
    W = np.asarray(W, dtype=np.float64)
    m, n = W.shape
    p, q = block
    W_hat = np.empty_like(W)
    count = 0
    for r0 in range(0, m, p):
        for c0 in range(0, n, q):
            b = W[r0:r0 + p, c0:c0 + q]
            W_hat[r0:r0 + p, c0:c0 + q] = float(np.float32(b.mean()))
            count += 1
    return W_hat, FLOAT32_BITS * count
