"""Quality metrics of a reconstruction (source 000, section 8.4) and its cost.

Errors (MSE, MAE, RMSE, relative Frobenius error), the spectrum (spectral
error, principal-component retention PCR_k, the Lipschitz constants
||W||_2 and ||W_hat||_2, condition numbers) and, given the bits stored,
bits per weight and the compression ratio against 32-bit floats.  All in
float64 from numpy (``numpy.linalg.svd``): these are measurements, not
exact results.
"""
import math

import numpy as np

__all__ = ["metrics"]


def _as_real_matrix(name, x):
    if isinstance(x, np.ma.MaskedArray):
        # its hidden values would be measured, as if there were no mask
        raise TypeError(f"metrics: {name} must not be a masked array "
                        "(numpy.ma.MaskedArray); pass the values to use")
    a = np.asarray(x)
    if a.dtype.kind == "b" or a.dtype.kind not in "iuf":
        raise TypeError(f"metrics: {name} must be a real numeric array, got "
                        f"dtype {a.dtype}")
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"metrics: {name} must be a non-empty 2-d array, got "
                         f"shape {a.shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"metrics: {name} holds NaN or inf")
    return a


def _ratio(num, den):
    # 0/0 is a perfect reconstruction of a zero quantity: 0; x/0 is inf.
    if den == 0:
        return 0.0 if num == 0 else math.inf
    return num / den


def _condition(sv, shape):
    """sigma_max / sigma_min, inf when numerically singular.

    Singular means sigma_min <= sigma_max * max(m, n) * eps (float64), the
    rank tolerance of numpy.linalg.matrix_rank: below it the computed
    sigma_min is rounding noise, and the true matrix may be singular.
    """
    smax, smin = float(sv[0]), float(sv[-1])
    if smin <= smax * max(shape) * np.finfo(np.float64).eps:
        return math.inf
    return smax / smin


def metrics(W, W_hat, *, k=1, stored_bits=None):
    """Metrics of a reconstruction W_hat of W (source 000, section 8.4).

    Parameters
    ----------
    W, W_hat : array_like, shape (m, n)
        The original and the reconstruction, real and finite (float64).
    k : int, optional
        Singular values kept by ``PCR_k``, ``1 <= k <= min(m, n)``.
    stored_bits : int, optional
        Bits that store W_hat (e.g. :func:`poincare_q64.transform.seed_bits`
        per seed); adds ``bits_per_weight`` and ``compression_ratio``.

    Returns
    -------
    dict
        With sigma_1 >= ... >= sigma_p the singular values of W
        (p = min(m, n)) and sigma_hat those of W_hat:

        * ``mse``, ``mae``, ``rmse``: mean squared / absolute error and its
          root, over the m n entries;
        * ``rel_frobenius``: ``||W - W_hat||_F / ||W||_F``;
        * ``spectral_error``: ``||Sigma - Sigma_hat||_2 / ||Sigma||_2``, the
          spectral norm of the diagonal matrices of singular values, i.e.
          ``max_i |sigma_i - sigma_hat_i| / sigma_1``;
        * ``pcr_k`` and ``k``: ``sum_{i<=k} sigma_hat_i**2 / sum_{i<=k}
          sigma_i**2``;
        * ``lipschitz``, ``lipschitz_hat``: ``||W||_2 = sigma_1`` and
          ``||W_hat||_2``;
        * ``condition``, ``condition_hat``: ``sigma_1 / sigma_p``, ``inf``
          when the matrix is numerically singular (sigma_p at most
          ``sigma_1 max(m, n)`` float64 epsilons, numpy.linalg.matrix_rank's
          tolerance; a zero matrix included);
        * with stored_bits: ``stored_bits``, ``bits_per_weight`` (stored
          bits / (m n)) and ``compression_ratio`` (32 m n / stored bits:
          against 32-bit floats, as the sources count).

        A ratio with a zero denominator is 0.0 when its numerator is 0 too
        (W = W_hat = 0 is reproduced exactly) and inf otherwise.

    Raises
    ------
    TypeError
        W or W_hat is not real numbers; k or stored_bits not an int.
    ValueError
        Shapes differ or are not 2-d and non-empty, NaN or inf, k out of
        range, stored_bits < 1.

    Examples
    --------
    W = diag(3, 4) has singular values 4, 3; W_hat = diag(3, 2) has 3, 2:

    >>> m = metrics([[3.0, 0.0], [0.0, 4.0]], [[3.0, 0.0], [0.0, 2.0]],
    ...             k=2, stored_bits=64)
    >>> m["mse"], m["mae"], m["bits_per_weight"], m["compression_ratio"]
    (1.0, 0.5, 16.0, 2.0)

    The spectral ones come from an SVD, within a few ulps:

    >>> [round(m[x], 12) for x in ("spectral_error", "pcr_k", "condition")]
    [0.25, 0.52, 1.333333333333]
    """
    W = _as_real_matrix("W", W)
    W_hat = _as_real_matrix("W_hat", W_hat)
    if W.shape != W_hat.shape:
        raise ValueError(f"metrics: W has shape {W.shape} but W_hat {W_hat.shape}")
    p = min(W.shape)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"metrics: k must be an int, got {type(k).__name__}")
    if not 1 <= k <= p:
        raise ValueError(f"metrics: k = {k} is outside [1, min(m, n) = {p}]")
    d = W - W_hat
    out = {"mse": float(np.mean(d * d)), "mae": float(np.mean(np.abs(d)))}
    out["rmse"] = math.sqrt(out["mse"])
    out["rel_frobenius"] = _ratio(float(np.linalg.norm(d)), float(np.linalg.norm(W)))
    sv = np.linalg.svd(W, compute_uv=False)
    sv_hat = np.linalg.svd(W_hat, compute_uv=False)
    out["spectral_error"] = _ratio(float(np.max(np.abs(sv - sv_hat))), float(sv[0]))
    out["k"] = int(k)
    out["pcr_k"] = _ratio(float(np.sum(sv_hat[:k] ** 2)), float(np.sum(sv[:k] ** 2)))
    out["lipschitz"] = float(sv[0])
    out["lipschitz_hat"] = float(sv_hat[0])
    out["condition"] = _condition(sv, W.shape)
    out["condition_hat"] = _condition(sv_hat, W.shape)
    if stored_bits is not None:
        if isinstance(stored_bits, bool) or not isinstance(stored_bits, (int, np.integer)):
            raise TypeError(f"metrics: stored_bits must be an int, got "
                            f"{type(stored_bits).__name__}")
        if stored_bits < 1:
            raise ValueError(f"metrics: stored_bits = {stored_bits} must be >= 1")
        out["stored_bits"] = int(stored_bits)
        out["bits_per_weight"] = int(stored_bits) / W.size
        out["compression_ratio"] = 32 * W.size / int(stored_bits)
    return out
