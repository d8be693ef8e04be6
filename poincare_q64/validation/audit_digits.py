"""Real weights: one layer of a small MLP on scikit-learn's digits, replaced
by its RBE reconstruction.

The network is scikit-learn's MLPClassifier 64 -> 64 -> 32 -> 10 (ReLU,
softmax output) trained on ``load_digits`` (bundled with scikit-learn, no
download; pixels scaled to [0, 1]) with a fixed stratified 70/30 split.
For each training seed, one layer's weight matrix (biases kept as trained)
is replaced by:

* its RBE reconstruction: one seed, and one seed per block for several
  block shapes (``poincare_q64.transform``);
* baselines at (nearly) the same stored bits: block means (one float32 per
  block, blocks holding half as many weights as the RBE blocks: equal bits
  to seed64) and the truncated SVD of the nearest rank at float32;
* controls that hold no information about the layer: all zeros, a random
  matrix of the layer's standard deviation, and the RBE pattern itself,
  ``std(W) * phi(i, j)``, with no amplitude fitted (phi's hash term acts as a
  fixed pseudo-random matrix, which retraining can use as random features).

Test accuracy is measured (a) as is, with the rest of the trained network
unchanged, and (b) in the reading most favourable to the sources: the
layers after the replaced one retrained from scratch on its activations
(an MLPClassifier with the remaining hidden layers, or a multinomial
LogisticRegression when only the output layer remains).  (b) is also run on
top of the original layer, the reference for retraining.

BLAS threads are limited to one while training (threadpoolctl), so the
numbers do not depend on the machine's core count.
"""
import warnings

import numpy as np

from poincare_q64.validation import audit_baselines as bl
from poincare_q64.validation import audit_transform as at

HIDDEN = (64, 32)
SPLIT_SEED = 0
TEST_SIZE = 0.3
MAX_ITER = 600


def load_split():
    """(X_train, X_test, y_train, y_test) of the digits data, fixed split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return train_test_split(X, y, test_size=TEST_SIZE, random_state=SPLIT_SEED, stratify=y)


def _fit(clf, X, y):
    """clf.fit without the convergence warning (max_iter is stated in the
    report; adam's tolerance test decides when to stop before it)."""
    from sklearn.exceptions import ConvergenceWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def train(X, y, seed, hidden=HIDDEN, max_iter=MAX_ITER):
    from sklearn.neural_network import MLPClassifier
    return _fit(MLPClassifier(hidden_layer_sizes=hidden, random_state=seed,
                              max_iter=max_iter), X, y)


def activations(coefs, intercepts, X, upto):
    """The ReLU activations after layer ``upto`` (0-based) of the network
    with weight matrices ``coefs`` (sklearn's (n_in, n_out) layout)."""
    h = X
    for k in range(upto + 1):
        h = np.maximum(h @ coefs[k] + intercepts[k], 0.0)
    return h


def predict(coefs, intercepts, X):
    h = activations(coefs, intercepts, X, len(coefs) - 2)
    return np.argmax(h @ coefs[-1] + intercepts[-1], axis=1)


def retrain_accuracy(coefs, intercepts, layer, data, seed, max_iter=MAX_ITER):
    """Accuracy (b): the layers after ``layer`` retrained on its activations."""
    Xtr, Xte, ytr, yte = data
    Htr = activations(coefs, intercepts, Xtr, layer)
    Hte = activations(coefs, intercepts, Xte, layer)
    rest = HIDDEN[layer + 1:]
    if rest:
        from sklearn.neural_network import MLPClassifier
        clf = MLPClassifier(hidden_layer_sizes=rest, random_state=seed, max_iter=max_iter)
    else:
        from sklearn.linear_model import LogisticRegression
        clf = LogisticRegression(max_iter=5000)
    _fit(clf, Htr, ytr)
    return float(np.mean(clf.predict(Hte) == yte))


def phi_pattern(m, n):
    """phi(i, j) on the m x n grid (the package's correctly rounded modulation)."""
    import poincare_q64 as pq
    return pq.modulation(np.arange(m, dtype=np.uint32)[:, None],
                         np.arange(n, dtype=np.uint32)[None, :], dtype=np.float64)


def replacements(W, blocks, seed_formats, rng):
    """(kind, name, W_hat, stored bits) for every replacement of W."""
    m, n = W.shape
    out = []
    for fmt in seed_formats:
        for b in blocks:
            b = (min(b[0], m), min(b[1], n))
            W_hat, bits = at.encode_blocks(W, b, fmt)
            label = "one seed" if b == (m, n) else f"{b[0]}x{b[1]} blocks"
            out.append(("rbe", f"RBE {fmt}, {label}", W_hat, bits))
            if fmt == "seed64":
                # block means at the same bits: 32 bits per mean, 64 per seed
                hb = (b[0], max(b[1] // 2, 1)) if b[1] > 1 else (max(b[0] // 2, 1), 1)
                W_hat, bits_m = bl.block_means(W, hb)
                out.append(("baseline", f"block means {hb[0]}x{hb[1]} (float32), bits of {label}",
                            W_hat, bits_m))
                r = bl.nearest_rank(m, n, bits)
                W_hat, bits_s = bl.low_rank(W, r)
                out.append(("baseline", f"SVD rank {r} (float32), nearest to bits of {label}",
                            W_hat, bits_s))
    out.append(("control", "all zeros", np.zeros_like(W), 0))
    out.append(("control", "random, same std", rng.normal(0.0, W.std(), W.shape), 0))
    out.append(("control", "std(W) phi(i, j), nothing fitted", W.std() * phi_pattern(m, n), 0))
    return out


def study(seeds, layers=(0, 1), blocks=((64, 64), (32, 32), (16, 32), (16, 16), (8, 8), (4, 4)),
          seed_formats=("seed64", "q64"), retrain=True, max_iter=MAX_ITER, progress=None):
    """Rows of dict(layer, seed, kind, name, bits, ratio, rmse, rel_rmse,
    acc_as_is, acc_retrained) plus one row per (layer, seed) for the original
    network (kind "original")."""
    from threadpoolctl import threadpool_limits
    data = load_split()
    Xtr, Xte, ytr, yte = data
    rows = []
    with threadpool_limits(1):
        for seed in seeds:
            clf = train(Xtr, ytr, seed, max_iter=max_iter)
            coefs = [np.array(c) for c in clf.coefs_]
            ints = [np.array(b) for b in clf.intercepts_]
            base = predict(coefs, ints, Xte)
            # the forward pass here is sklearn's (else (a) would measure a
            # different network)
            assert np.array_equal(clf.classes_[base], clf.predict(Xte))
            acc0 = float(np.mean(base == yte))
            for layer in layers:
                W = coefs[layer]
                rng = np.random.default_rng([seed, layer, 7])
                acc_rt0 = retrain_accuracy(coefs, ints, layer, data, seed, max_iter) if retrain else None
                rows.append(dict(layer=layer, shape=W.shape, seed=seed, kind="original",
                                 name="original", bits=32 * W.size, ratio=1.0, rmse=0.0,
                                 rel_rmse=0.0, std=float(W.std()), acc_as_is=acc0,
                                 acc_retrained=acc_rt0))
                for kind, name, W_hat, bits in replacements(W, blocks, seed_formats, rng):
                    c2 = list(coefs)
                    c2[layer] = W_hat
                    acc_a = float(np.mean(predict(c2, ints, Xte) == yte))
                    # q64 only changes the amplitudes' precision: retraining
                    # it again would repeat seed64's numbers
                    do_b = retrain and "q64" not in name
                    acc_b = retrain_accuracy(c2, ints, layer, data, seed, max_iter) if do_b else None
                    e = bl.rmse(W, W_hat)
                    rows.append(dict(layer=layer, shape=W.shape, seed=seed, kind=kind, name=name,
                                     bits=bits, ratio=(32 * W.size / bits) if bits else float("inf"),
                                     rmse=e, rel_rmse=e / float(W.std()), std=float(W.std()),
                                     acc_as_is=acc_a, acc_retrained=acc_b))
            if progress is not None:
                progress.update()
    return rows
