"""Quality metrics of a reconstruction (source 000, 8.4).

(Interface in place: the full set comes with the encoder.)
"""
import numpy as np


def metrics(W, W_hat, *, stored_bits=None):
    """A dict of metrics of W_hat against W (float64)."""
    W = np.asarray(W, dtype=np.float64)
    W_hat = np.asarray(W_hat, dtype=np.float64)
    d = W - W_hat
    out = {"mse": float(np.mean(d * d)), "mae": float(np.mean(np.abs(d)))}
    out["rmse"] = out["mse"] ** 0.5
    if stored_bits is not None:
        out["stored_bits"] = int(stored_bits)
        out["bits_per_weight"] = stored_bits / W.size
        out["compression_ratio"] = 32 * W.size / stored_bits
    return out
