"""Rounding error of the Q64 fixed-point pipeline and of float pipelines.

    python -m poincare_q64.validation.pipeline_error [--n N] [--seed S] [--workers W]

docs/error-analysis.md, section 2.  Measures, against the exact f = g s phi (mpmath at 192
bits, exact rational g; poincare_q64/validation/analysis_common.py):

* ``rbe_pipeline`` (dtype=object, frac=64: the Q64 value P2 before any output
  rounding): ``err = P2 - f 2^64`` in units u = 2^-64, on three families:
  ``uniform`` (N inputs, every field and option uniform, half of them with a
  random regularisation eps), ``stress`` (N/4 inputs where the a-priori bound
  is nearly reached: |g| near its maximum for the option, s near +-1, phi near
  1.1) and ``constructed`` (inputs built so that all five rounding errors have
  the same sign and are close to 1/2: the tightness check).  Every error is
  checked against the pointwise a-priori bound (docs/error-analysis.md,
  section 2) and the per-option bound ``B = 1.6 + 1.05 G``.
* float64 / float32 evaluations of the same formula as a user writes it with
  numpy, in the tanh form ``tanh(2 atanh(sqrt(c) r)) / sqrt(c)`` and the
  rational form ``2 r / (1 + c r^2)``, times ``sin(2 pi t)`` times
  ``1 + 0.1 sin(2 pi h / 2^32)`` (family ``float``, N/4 inputs, d_r = 0,
  eps = 0): their error in units u, split on every K-th input into input
  quantisation (r, t, h rounded to the float format) and arithmetic.

Work is done in chunks saved under --checkpoint-dir (one .npz per chunk): a
stopped run resumes where it left off, and the report is rebuilt from all the
chunks.  The report (Markdown + PNG) goes to --out-dir.
"""
import argparse
import multiprocessing
import os
import sys

import numpy as np

from poincare_q64.inputs import index_for_hash
from poincare_q64.validation import analysis_common as ac

MODULE = "poincare_q64.validation.pipeline_error"
FAMILIES = ("uniform", "stress", "float")
LOG2_CS = tuple(range(-4, 4))
FLOAT_VARIANTS = ("float64 tanh", "float64 rational", "float32 tanh", "float32 rational")


# --------------------------------------------------------------------------
# the a-priori bound (docs/error-analysis.md, section 2)
# --------------------------------------------------------------------------

PHI_MAX = 1.1


def g_sup(log2_c, d_r):
    """sup |g| over r in [0, 1) and every eps, for the option.

    d_r = 1: |g'| <= 2, approached as r -> 0 (g' = 2 - 6 c r^2 + ...).
    d_r = 0: g = 2 r / (1 + c r^2) increases up to r = 1/sqrt(c), so the sup
    is 2 / (1 + c) for c <= 1 (as r -> 1) and 1/sqrt(c) for c > 1.  A
    regularisation only lowers r~, so it cannot raise either sup."""
    c = 2.0 ** log2_c
    if d_r:
        return 2.0
    return 2.0 / (1.0 + c) if c <= 1 else 1.0 / np.sqrt(c)


def option_bound(log2_c, d_r):
    """The tight a-priori bound on |P2 - f 2^64| in units u, for one option:
    phi_max (1 + G/2) + G/2 + 1/2 with |s| <= 1 (section 2 derivation)."""
    G = g_sup(log2_c, d_r)
    return PHI_MAX * (1 + G / 2) + G / 2 + 0.5


# The bound over all options (G = 2): 1.1 * 2 + 1 + 0.5 = 3.7; the second
# order terms add less than 2 u^2, i.e. 2^-63 u.
BOUND_ALL = option_bound(0, 1)


def pointwise_bound(g, s, phi):
    """The first-order bound at given exact factors, in units u:
    (|s|/2 + |g|/2 + 1/2) phi + |g s|/2 + 1/2, plus 1e-12 for the second-order
    terms (< 2^-62) and for evaluating this expression in float64."""
    g, s = np.abs(g), np.abs(s)
    return (s / 2 + g / 2 + 0.5) * phi + g * s / 2 + 0.5 + 1e-12


# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------

def _u64(rng, n, hi=1 << 64, lo=0):
    return rng.integers(lo, hi, size=n, dtype=np.uint64)


def sample_uniform(rng, n):
    """Every field uniform; eps = 0 for half the inputs, else uniform below
    2^b with b uniform in 1..64 (so weak and strong regularisation both
    appear)."""
    shift = rng.integers(0, 64, size=n).astype(np.uint64)
    eps = _u64(rng, n) >> shift
    eps[rng.random(n) < 0.5] = 0
    return dict(R=_u64(rng, n), T=_u64(rng, n),
                i=rng.integers(0, 1 << 32, size=n, dtype=np.uint32),
                j=rng.integers(0, 1 << 32, size=n, dtype=np.uint32),
                log2_c=rng.integers(-4, 4, size=n), eps=eps,
                d_r=rng.integers(0, 2, size=n), rot=rng.integers(0, 16, size=n),
                d_theta=rng.integers(0, 4, size=n))


def argmax_radius(log2_c, d_r):
    """An R near which |g| is at its sup for the option (see g_sup)."""
    if d_r:
        return 0
    if log2_c <= 0:
        return (1 << 64) - 1
    from math import isqrt
    return isqrt((1 << 128) >> log2_c)  # r = 1/sqrt(c)


def log_uniform(rng, n, lo_bits, hi_bits):
    """Integers 2^U (1 + v) with U uniform in [lo_bits, hi_bits) and v in
    [0, 1): every scale of offset equally often."""
    U = rng.integers(lo_bits, hi_bits, size=n)
    v = rng.random(n)
    return [int((1 + x) * 2.0 ** int(b)) for x, b in zip(v.tolist(), U.tolist())]


def sample_stress(rng, n):
    """Inputs near the bound's worst case, with log-uniform offsets: R within
    2^52 of argmax_radius (|g| within ~3e-6 relative of its sup), T' within
    2^48 of a quarter turn (|s| within 5e-9 of 1) and H within 2^20 of 2^30
    (phi within 1.2e-7 of 1.1).  Offsets span many scales because the
    rounding error of P1 needs (2 - g) 2^64 times (1 - s) 2^64 to reach
    ~2^63: when both factors sit within a few units of 2 and 1 the product is
    nearly an integer and P1 is almost exact.  eps = 0, rot = 0."""
    log2_c = rng.integers(-4, 4, size=n)
    d_r = rng.integers(0, 2, size=n)
    off = log_uniform(rng, n, 0, 52)
    R = np.empty(n, dtype=np.uint64)
    for m in range(n):
        R0 = argmax_radius(int(log2_c[m]), int(d_r[m]))
        o = off[m]
        if R0 == 0:
            R[m] = o
        elif R0 == (1 << 64) - 1:
            R[m] = R0 - o
        else:
            R[m] = R0 + o if m % 2 else R0 - o
    d_theta = rng.integers(0, 4, size=n)
    quarter = rng.choice([1, 3], size=n).tolist()
    sgn = rng.choice([-1, 1], size=n).tolist()
    dT = log_uniform(rng, n, 0, 48)
    Tp = [(q * ac.TWO62 + s_ * d) % ac.TWO64 for q, s_, d in zip(quarter, sgn, dT)]
    T = np.array([(t - dt * ac.TWO62) % ac.TWO64 for t, dt in zip(Tp, d_theta.tolist())],
                 dtype=np.uint64)  # so that T' = Tp
    j = rng.integers(0, 1 << 32, size=n, dtype=np.uint32)
    dH = np.array(log_uniform(rng, n, 0, 20)) * rng.choice([-1, 1], size=n)
    H = ((1 << 30) + dH).astype(np.uint32)
    return dict(R=R, T=T, i=index_for_hash(H, j), j=j, log2_c=log2_c,
                eps=np.zeros(n, dtype=np.uint64), d_r=d_r, rot=np.zeros(n, dtype=np.int64),
                d_theta=d_theta)


def sample_float(rng, n):
    """The float comparison: d_r = 0, eps = 0, no rotation; R, T, i, j and
    log2_c uniform."""
    return dict(R=_u64(rng, n), T=_u64(rng, n),
                i=rng.integers(0, 1 << 32, size=n, dtype=np.uint32),
                j=rng.integers(0, 1 << 32, size=n, dtype=np.uint32),
                log2_c=rng.integers(-4, 4, size=n), eps=np.zeros(n, dtype=np.uint64),
                d_r=np.zeros(n, dtype=np.int64), rot=np.zeros(n, dtype=np.int64),
                d_theta=np.zeros(n, dtype=np.int64))


SAMPLERS = dict(uniform=sample_uniform, stress=sample_stress, float=sample_float)
KEYS = ("R", "T", "i", "j", "log2_c", "eps", "d_r", "rot", "d_theta")


# --------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------

def pipeline_q64(cols):
    """P2 of rbe_pipeline (frac 64, exact ints) for column arrays."""
    import poincare_q64 as pq
    return pq.rbe_pipeline(cols["R"], cols["T"], cols["i"], cols["j"],
                           log2_c=cols["log2_c"], eps=cols["eps"], d_r=cols["d_r"],
                           rot=cols["rot"], d_theta=cols["d_theta"],
                           frac=64, dtype=object, threads=1)


def row(cols, m):
    return {k: int(cols[k][m]) for k in KEYS}


def exact_row(a, q=64):
    """(F, g, s, phi): F = floor(f 2^(64+q)) and the factors as floats."""
    G, S, PHI = ac.exact_factors(**a)
    F = ac.f_scaled(G, S, PHI, q=q)
    sc = 2.0 ** -ac.PREC
    return F, float(G) * sc, float(S) * sc, float(PHI) * sc


def pipeline_errors(cols):
    """err = P2 - f 2^64 (units u, float) and the factors, per input."""
    n = len(cols["R"])
    p2 = pipeline_q64(cols)
    err = np.empty(n)
    g = np.empty(n)
    s = np.empty(n)
    phi = np.empty(n)
    for m in range(n):
        F, g[m], s[m], phi[m] = exact_row(row(cols, m))
        # exact integer difference first, then one rounding to float
        err[m] = float((int(p2[m]) << 64) - F) * 2.0 ** -64
    return err, g, s, phi


def float_inputs(R, T, H, dt):
    """r, t, h as a user holds them in the float format: the conversions
    uint -> float are correctly rounded, and the scalings by 2^-64 and 2^-32
    are exact."""
    r = R.astype(dt) / dt(2.0 ** 64)
    t = T.astype(dt) / dt(2.0 ** 64)
    h = H.astype(dt)
    return r, t, h


def float_rbe(R, T, H, log2_c, dt, form):
    """The RBE formula in numpy, written as a user would write it."""
    r, t, h = float_inputs(R, T, H, dt)
    c = dt(2.0) ** log2_c.astype(dt)
    with np.errstate(invalid="ignore", divide="ignore"):
        if form == "tanh":
            sqc = np.sqrt(c)
            g = np.tanh(2 * np.arctanh(sqc * r)) / sqc
        else:
            g = 2 * r / (1 + c * r * r)
        s = np.sin(2 * np.pi * t)
        phi = 1 + 0.1 * np.sin(2 * np.pi * h / 2**32)
        out = g * s * phi
    assert out.dtype == dt, (out.dtype, dt)  # numpy keeps the user's format
    return out


def float_error(v, F):
    """(v - f) in units u for a float v and F = floor(f 2^128); nan for a
    non-finite v.  v * 2^128 is exact (a power-of-two scaling far from
    overflow), and int() of it is within 1 of v 2^128, i.e. 2^-64 u."""
    v = float(v)
    if not np.isfinite(v):
        return float("nan")
    return float(int(v * 2.0 ** 128) - F) * 2.0 ** -64


def float_measure(cols, split_every):
    """Errors of the four float variants; on every split_every-th input also
    the part due to rounding the inputs (f at the float inputs minus f)."""
    n = len(cols["R"])
    H = np.array([ac.spatial_hash(a, b) for a, b in zip(cols["i"].tolist(), cols["j"].tolist())],
                 dtype=np.uint32)
    vals = {}
    for dt in (np.float64, np.float32):
        for form in ("tanh", "rational"):
            vals[f"{np.dtype(dt).name} {form}"] = float_rbe(cols["R"], cols["T"], H,
                                                           cols["log2_c"], dt, form)
    err = {k: np.empty(n) for k in FLOAT_VARIANTS}
    Fs = []
    for m in range(n):
        F, _, _, _ = exact_row(row(cols, m))
        Fs.append(F)
        for k in FLOAT_VARIANTS:
            err[k][m] = float_error(vals[k][m], F)
    # split: f at the float-rounded inputs (an exact function of them)
    idx = np.arange(0, n, split_every) if split_every else np.arange(0)
    quant = {k: np.empty(len(idx)) for k in ("float64", "float32")}
    for dt in (np.float64, np.float32):
        r, t, h = float_inputs(cols["R"][idx], cols["T"][idx], H[idx], dt)
        for q_, m in enumerate(idx.tolist()):
            # every float input times 2^64 (2^32 for h) is an integer, possibly
            # 2^64 itself (r or t rounded up to 1.0): the oracle takes it as is
            Rf = int(float(r[q_]) * 2.0 ** 64)
            Tf = int(float(t[q_]) * 2.0 ** 64)
            Hf = int(float(h[q_]))
            G = ac.radial_fixed(Rf, int(cols["log2_c"][m]), 0, 0)
            S = ac.sin_turns_fixed(Tf, 64)
            PHI = ac.phi_fixed(Hf)
            quant[np.dtype(dt).name][q_] = float(ac.f_scaled(G, S, PHI) - Fs[m]) * 2.0 ** -64
    return err, idx, quant


def compute_chunk(task):
    """One chunk of one family, saved as an .npz (returns its path)."""
    family, index, size, seed, split_every, path = task
    timer = ac.Timer()
    rng = np.random.default_rng([seed, FAMILIES.index(family), index])
    cols = SAMPLERS[family](rng, size)
    out = {k: cols[k] for k in ("log2_c", "d_r")}
    out["eps_nonzero"] = cols["eps"] != 0
    if family == "float":
        err, idx, quant = float_measure(cols, split_every)
        for k, v in err.items():
            out["err " + k] = v
        out["split_index"] = idx
        for k, v in quant.items():
            out["quant " + k] = v
    else:
        err, g, s, phi = pipeline_errors(cols)
        out.update(err=err, g=g, s=s, phi=phi)
        worst = np.argsort(-np.abs(err))[:5]
        for k in KEYS:
            out["worst " + k] = np.asarray(cols[k])[worst]
        out["worst err"] = err[worst]
    out["elapsed"] = np.array(timer.elapsed())
    ac.save_npz_atomic(path, **out)
    return path


# --------------------------------------------------------------------------
# the constructed family: reaching the bound on purpose
# --------------------------------------------------------------------------

def _round_fixed(X, prec):
    """round(X / 2^(prec - 64)) and the rounding error in units u (float),
    for a fixed-point X at prec bits: the Q64 rounding of a factor."""
    sh = prec - 64
    q = (X + (1 << (sh - 1))) >> sh
    return q, float((q << sh) - X) * 2.0 ** -sh


def construct_worst(seed, k=120, m=1500):
    """Inputs where err = (a s + b g + d) phi + g s c + e is close to
    BOUND_ALL: a, b, c are the rounding errors of g64, s64, phi64, d and e
    those of P1 and P2.  For each option and sign, keep the k radii, angles
    and hashes (from m candidates near the worst region) whose factor
    errors are largest with that sign, then the k (R, T) pairs whose P1
    error is, then the (pair, H) with the largest predicted total.  The
    returned inputs are then measured like any other (pipeline + oracle)."""
    rng = np.random.default_rng([seed, 99])
    P = ac.PREC
    # angles: T' = 2^62 + delta, delta log-uniform in [2^36, 2^48]: s is
    # within 5e-9 of 1, and (1 - s) 2^64 spans 2^12..2^36 so that the P1
    # rounding error can be large (see sample_stress)
    Ts = [ac.TWO62 + x for x in log_uniform(rng, m, 36, 48)]
    S_ = [ac.sin_turns_fixed(T, 64, P) for T in Ts]
    Hs = [(1 << 30) + int(x) for x in rng.integers(-(1 << 16), 1 << 16, size=m)]
    PH_ = [ac.phi_fixed(H, P) for H in Hs]
    s64 = [_round_fixed(S, P) for S in S_]
    ph64 = [_round_fixed(X, P) for X in PH_]
    rows = []
    for log2_c in LOG2_CS:
        for d_r in (0, 1):
            R0 = argmax_radius(log2_c, d_r)
            offs = log_uniform(rng, m, 32, 52)
            if d_r:
                Rs = offs
            elif R0 == (1 << 64) - 1:
                Rs = [R0 - o for o in offs]
            else:
                Rs = [R0 + o for o in offs]
            G_ = [ac.radial_fixed(R, log2_c, 0, d_r, P) for R in Rs]
            g64 = [_round_fixed(G, P) for G in G_]
            for sign in (1, -1):
                def top(errs):
                    return sorted(range(m), key=lambda t: -sign * errs[t][1])[:k]
                tr, tt, th = top(g64), top(s64), top(ph64)
                pairs = []
                for a in tr:
                    for b in tt:
                        prod = g64[a][0] * s64[b][0]
                        p1 = (prod + (1 << 63)) >> 64
                        pairs.append((sign * float((p1 << 64) - prod) * 2.0 ** -64, a, b, p1))
                pairs.sort(reverse=True)
                best = None
                for d_err, a, b, p1 in pairs[:k]:
                    for h in th:
                        prod = p1 * ph64[h][0]
                        p2 = (prod + (1 << 63)) >> 64
                        e_err = float((p2 << 64) - prod) * 2.0 ** -64
                        g, s, ph = (float(G_[a]) / 2.0 ** P, float(S_[b]) / 2.0 ** P,
                                    float(PH_[h]) / 2.0 ** P)
                        tot = ((g64[a][1] * s + s64[b][1] * g + sign * d_err) * ph
                               + g * s * ph64[h][1] + e_err)
                        if best is None or sign * tot > sign * best[0]:
                            best = (tot, a, b, h)
                _, a, b, h = best
                j = int(rng.integers(0, 1 << 32))
                i = index_for_hash(Hs[h], j)
                rows.append(dict(R=Rs[a], T=Ts[b], i=i, j=j, log2_c=log2_c, eps=0,
                                 d_r=d_r, rot=0, d_theta=0))
    return rows


def measure_constructed(seed, k):
    rows = construct_worst(seed, k=k)
    cols = {key: np.array([r[key] for r in rows],
                          dtype=np.uint64 if key in ("R", "T", "eps") else
                          np.uint32 if key in ("i", "j") else np.int64) for key in KEYS}
    err, g, s, phi = pipeline_errors(cols)
    return rows, err, g, s, phi


# --------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------

def family_sizes(n):
    return dict(uniform=n, stress=max(n // 4, 1), float=max(n // 4, 1))


def run_chunks(args, ckdir):
    tasks = []
    for fam, size in family_sizes(args.n).items():
        nchunks = -(-size // args.chunk)
        for c in range(nchunks):
            sz = min(args.chunk, size - c * args.chunk)
            path = os.path.join(ckdir, f"{fam}_{c:05d}.npz")
            tasks.append((fam, c, sz, args.seed, args.split_every, path))
    pending = [t for t in tasks if not ac.chunk_done(t[-1])]
    total = sum(t[2] for t in tasks)
    done0 = total - sum(t[2] for t in pending)
    bar = ac.progress(total=total, initial=done0, unit="in", desc="pipeline_error")
    sizes = {t[-1]: t[2] for t in tasks}
    if args.workers > 1 and len(pending) > 1:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            for path in pool.imap_unordered(compute_chunk, pending):
                bar.update(sizes[path])
    else:
        for t in pending:
            bar.update(sizes[compute_chunk(t)])
    bar.close()
    return tasks, len(tasks) - len(pending)


def load(tasks, family):
    """All chunks of a family, concatenated (elapsed summed)."""
    parts = []
    for t in tasks:
        if t[0] == family:
            with np.load(t[-1]) as z:
                parts.append({k: z[k] for k in z.files})
    keys = list(parts[0])
    out = {}
    for k in keys:
        if k == "elapsed":
            out[k] = float(sum(float(p[k]) for p in parts))
        else:
            out[k] = np.concatenate([np.atleast_1d(p[k]) for p in parts])
    return out


def stats(x):
    x = np.asarray(x, dtype=float)
    a = np.abs(x)
    return dict(n=len(x), max=a.max(), mean=x.mean(), mean_abs=a.mean(),
                rms=np.sqrt(np.mean(x * x)))


def predicted_rms(g, s, phi):
    """RMS of err if the five rounding errors were independent and uniform on
    [-1/2, 1/2]: each has variance 1/12 and enters with weight s phi, g phi,
    g s, phi, 1 (first order)."""
    v = ((s * phi) ** 2 + (g * phi) ** 2 + (g * s) ** 2 + phi ** 2 + 1) / 12
    return float(np.sqrt(np.mean(v)))


def plots(outdir, data, cons, fl):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = {}

    fig, ax = plt.subplots(figsize=(8, 4.5))
    bins = np.linspace(-3.8, 3.8, 153)
    for fam, col in (("uniform", "C0"), ("stress", "C1")):
        ax.hist(data[fam]["err"], bins=bins, histtype="step", color=col, lw=1.4,
                label=f"{fam} ({len(data[fam]['err'])} inputs)")
    ax.plot(cons[1], np.ones_like(cons[1]), "v", color="C3", ms=6,
            label=f"constructed ({len(cons[1])} inputs)")
    for x in (-BOUND_ALL, BOUND_ALL):
        ax.axvline(x, color="k", ls="--", lw=1)
    ax.text(BOUND_ALL, ax.get_ylim()[1] * 0.5, " bound 3.7", rotation=90, va="center")
    ax.set_yscale("log")
    ax.set_xlabel("P2 - f 2^64  (units of 2^-64)")
    ax.set_ylabel("count")
    ax.set_title("rbe_pipeline (Q64) error against the exact f")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    files["hist"] = "pipeline_error_hist.png"
    fig.savefig(os.path.join(outdir, files["hist"]), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4.5))
    labels, xs = [], np.arange(16)
    b = [option_bound(c, d) for c in LOG2_CS for d in (0, 1)]
    ax.bar(xs, b, color="0.85", label="a-priori bound B = 1.6 + 1.05 G")
    for fam, mk, col in (("uniform", "o", "C0"), ("stress", "s", "C1")):
        mx = []
        for c in LOG2_CS:
            for d in (0, 1):
                sel = (data[fam]["log2_c"] == c) & (data[fam]["d_r"] == d)
                mx.append(np.abs(data[fam]["err"][sel]).max() if sel.any() else np.nan)
        ax.plot(xs, mx, mk, color=col, label=f"max |err|, {fam}")
    cm = []
    for c in LOG2_CS:
        for d in (0, 1):
            sel = [m for m, r in enumerate(cons[0]) if r["log2_c"] == c and r["d_r"] == d]
            cm.append(np.abs(cons[1][sel]).max() if sel else np.nan)
    ax.plot(xs, cm, "^", color="C3", label="max |err|, constructed")
    for c in LOG2_CS:
        for d in (0, 1):
            labels.append(f"{c},{d}")
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_xlabel("option (log2_c, d_r)")
    ax.set_ylabel("|P2 - f 2^64|  (units of 2^-64)")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Largest error per option against the per-option bound")
    fig.tight_layout()
    files["options"] = "pipeline_error_options.png"
    fig.savefig(os.path.join(outdir, files["options"]), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    bins = np.linspace(-8, 48, 225)
    q = np.abs(data["uniform"]["err"])
    ax.hist(np.log2(q[q > 0]), bins=bins, histtype="step", color="k", lw=1.4,
            label="Q64 rbe_pipeline (uniform)")
    for m, k in enumerate(FLOAT_VARIANTS):
        e = np.abs(fl["err " + k])
        e = e[np.isfinite(e) & (e > 0)]
        ax.hist(np.log2(e), bins=bins, histtype="step", lw=1.2, color=f"C{m}",
                ls="-" if "rational" in k else "--", label=k)
    ax.set_yscale("log")
    ax.set_xlabel("log2 |error|  (error in units of 2^-64)")
    ax.set_ylabel("count")
    ax.set_title("Float pipelines against the exact f (finite results)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    files["float_hist"] = "pipeline_error_float_hist.png"
    fig.savefig(os.path.join(outdir, files["float_hist"]), dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for m, k in enumerate(FLOAT_VARIANTS):
        med, mx, nanf = [], [], []
        for c in LOG2_CS:
            e = fl["err " + k][fl["log2_c"] == c]
            fin = np.abs(e[np.isfinite(e)])
            med.append(np.median(fin) if len(fin) else np.nan)
            mx.append(fin.max() if len(fin) else np.nan)
            nanf.append(np.mean(~np.isfinite(e)) if len(e) else np.nan)
        ls = "-" if "rational" in k else "--"
        axes[0].semilogy(LOG2_CS, mx, ls, marker="o", color=f"C{m}", label=f"{k} max")
        axes[0].semilogy(LOG2_CS, med, ls, marker=".", color=f"C{m}", alpha=0.5)
        axes[1].plot(LOG2_CS, nanf, ls, marker="o", color=f"C{m}", label=k)
    axes[0].set_xlabel("log2_c")
    axes[0].set_ylabel("|error| (units of 2^-64): max (o), median (.)")
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("log2_c")
    axes[1].set_ylabel("fraction of NaN/inf results")
    x = np.array(LOG2_CS, dtype=float)
    axes[1].plot(x, np.where(x > 0, 1 - 2 ** (-x / 2), 0), "k:", label="1 - 1/sqrt(c)")
    axes[1].legend(fontsize=7)
    fig.suptitle("Float pipelines by curvature")
    fig.tight_layout()
    files["float_by_c"] = "pipeline_error_float_by_c.png"
    fig.savefig(os.path.join(outdir, files["float_by_c"]), dpi=110)
    plt.close(fig)
    return files


def report(args, argv, tasks, resumed, timer, outdir):
    data = {f: load(tasks, f) for f in ("uniform", "stress")}
    fl = load(tasks, "float")
    ctimer = ac.Timer()
    cons = measure_constructed(args.seed, args.construct_k)
    cons_time = ctimer.elapsed()
    L = []
    w = L.append
    w("# Rounding error of the Q64 pipeline and of float pipelines\n")
    w("Generated by `poincare_q64/validation/pipeline_error.py` (docs/error-analysis.md, section 2). "
      "Derivation and conclusions: docs/error-analysis.md, section 2.\n")
    w(f"- Command: `{ac.command_line(MODULE, argv)}`")
    sizes = family_sizes(args.n)
    w(f"- Parameters: n = {args.n} (uniform {sizes['uniform']}, stress {sizes['stress']}, "
      f"float {sizes['float']}, constructed {len(cons[0])}), seed = {args.seed}, "
      f"chunk = {args.chunk}, split_every = {args.split_every}, workers = {args.workers}")
    ctime = sum(data[f]["elapsed"] for f in data) + fl["elapsed"]
    w(f"- Duration: {{WALL}} s wall for this invocation ({resumed} of {len(tasks)} chunks "
      f"reused from checkpoints); {ctime:.1f} s of compute summed over all chunks, "
      f"plus {cons_time:.1f} s for the constructed family")
    w(f"- Environment: {ac.environment_line()}")
    w("- Oracle: exact rational g (integer arithmetic), sin and phi from mpmath's "
      f"mpf_sin_pi at {ac.PREC + 16} bits, hash from mmh3; f 2^64 is known to "
      "better than 2^-60 units of 2^-64. The code under test is only "
      "`poincare_q64.rbe_pipeline` (and numpy for the float pipelines).\n")

    hl = {f: stats(data[f]["err"]) for f in data}
    fmax = {k: np.nanmax(np.abs(fl["err " + k])) for k in FLOAT_VARIANTS}
    f64 = max(fmax[k] for k in FLOAT_VARIANTS if k.startswith("float64"))
    f32 = max(fmax[k] for k in FLOAT_VARIANTS if k.startswith("float32"))
    w("## Headline\n")
    w(f"- Q64 rbe_pipeline: max |P2 - f 2^64| = {ac.fmt(hl['uniform']['max'])} u on "
      f"{hl['uniform']['n']} uniform inputs (RMS {ac.fmt(hl['uniform']['rms'])} u), "
      f"{ac.fmt(hl['stress']['max'])} u on {hl['stress']['n']} stress inputs, "
      f"{ac.fmt(np.abs(cons[1]).max())} u on the {len(cons[1])} constructed inputs; tight "
      f"a-priori bound {BOUND_ALL:.2f} u; the source's n eps_op (1 + delta)^n with n = 5 "
      "roundings: 5 (1 + delta)^5 u, delta >= 0 unspecified.")
    w(f"- float64: max {ac.fmt(f64)} u (2^{np.log2(f64):.1f} u); float32: max {ac.fmt(f32)} u "
      f"(2^{np.log2(f32):.1f} u); the tanh form is NaN wherever sqrt(c) r > 1.\n")
    w("## Q64 pipeline: P2 - f 2^64, units of u = 2^-64\n")
    w(f"A-priori bound over all options: **{BOUND_ALL:.2f} u** (spec: 3.71 u). "
      "Per option: B = 1.1 (1 + G/2) + G/2 + 1/2 with G = sup |g|.\n")
    rows = []
    allchk = True
    for fam in ("uniform", "stress"):
        d = data[fam]
        st = stats(d["err"])
        pb = pointwise_bound(d["g"], d["s"], d["phi"])
        ratio = np.max(np.abs(d["err"]) / pb)
        allchk &= bool(ratio <= 1)
        rows.append([fam, st["n"], ac.fmt(st["max"]), ac.fmt(st["mean"], 3), ac.fmt(st["mean_abs"]),
                     ac.fmt(st["rms"]), ac.fmt(predicted_rms(d["g"], d["s"], d["phi"])),
                     ac.fmt(st["max"] / BOUND_ALL), ac.fmt(ratio)])
    st = stats(cons[1])
    pb = pointwise_bound(cons[2], cons[3], cons[4])
    ratio = np.max(np.abs(cons[1]) / pb)
    allchk &= bool(ratio <= 1)
    rows.append(["constructed", st["n"], ac.fmt(st["max"]), ac.fmt(st["mean"], 3),
                 ac.fmt(st["mean_abs"]), ac.fmt(st["rms"]), "-", ac.fmt(st["max"] / BOUND_ALL),
                 ac.fmt(ratio)])
    w(ac.md_table(["family", "inputs", "max abs", "mean", "mean abs", "RMS",
                   "RMS if independent", "max / 3.7", "max err / pointwise bound"], rows))
    w("")
    w("In the stress family many inputs have g and s within a few units of 2 (or the "
      "option's sup) and 1, so g64 s64 is nearly a multiple of 2^64 and P1 is almost exact: "
      "the errors there are smaller than the independent model predicts.\n")
    w(f"Every input within its pointwise bound: **{'yes' if allchk else 'NO'}**. "
      "\"RMS if independent\" is the RMS predicted if the five rounding errors "
      "were independent and uniform on [-1/2, 1/2].\n")
    w(f"![error histogram]({'pipeline_error_hist.png'})\n")

    w("### By option (log2_c, d_r)\n")
    rows = []
    for c in LOG2_CS:
        for dr in (0, 1):
            r_ = [c, dr, ac.fmt(g_sup(c, dr)), ac.fmt(option_bound(c, dr))]
            for fam in ("uniform", "stress"):
                d = data[fam]
                sel = (d["log2_c"] == c) & (d["d_r"] == dr)
                if sel.any():
                    st = stats(d["err"][sel])
                    r_ += [ac.fmt(st["max"]), ac.fmt(st["rms"])]
                else:
                    r_ += ["-", "-"]
            sel = [m for m, r in enumerate(cons[0]) if r["log2_c"] == c and r["d_r"] == dr]
            mx = np.abs(cons[1][sel]).max() if sel else np.nan
            r_ += [ac.fmt(mx), ac.fmt(mx / option_bound(c, dr))]
            rows.append(r_)
    w(ac.md_table(["log2_c", "d_r", "G = sup abs g", "bound B", "uniform max", "uniform RMS",
                   "stress max", "stress RMS", "constructed max", "constructed / B"], rows))
    w("")
    d = data["uniform"]
    for flag, name in ((False, "eps = 0"), (True, "eps != 0")):
        sel = d["eps_nonzero"] == flag
        if sel.any():
            st = stats(d["err"][sel])
            w(f"- uniform, {name}: {st['n']} inputs, max {ac.fmt(st['max'])}, "
              f"RMS {ac.fmt(st['rms'])}")
    w("")
    w(f"![max per option]({'pipeline_error_options.png'})\n")
    w("### Largest errors found\n")
    worst = []
    for fam in ("uniform", "stress"):
        dd = data[fam]
        for m in range(len(dd["worst err"])):
            worst.append((abs(dd["worst err"][m]), fam,
                          {k: int(dd["worst " + k][m]) for k in KEYS}, dd["worst err"][m]))
    for m, r in enumerate(cons[0]):
        worst.append((abs(cons[1][m]), "constructed", r, cons[1][m]))
    worst.sort(key=lambda t: -t[0])
    keep = []
    for fam in ("uniform", "stress", "constructed"):
        keep += [t for t in worst if t[1] == fam][:4]
    rows = [[fam, ac.fmt(e, 6), r["R"], r["T"], r["i"], r["j"], r["log2_c"], r["eps"], r["d_r"],
             r["rot"], r["d_theta"]] for _, fam, r, e in keep]
    w(ac.md_table(["family", "err (u)", "R", "T", "i", "j", "log2_c", "eps", "d_r", "rot",
                   "d_theta"], rows))
    w("")

    w("## Float pipelines: f_float - f, units of u = 2^-64\n")
    w("d_r = 0, eps = 0, no rotation, R, T, i, j and log2_c uniform. NaN/inf results "
      "are counted, not averaged. 1 float64 ulp at 1 is 2^11 u, 1 float32 ulp at 1 "
      "is 2^40 u.\n")
    rows = []
    for k in FLOAT_VARIANTS:
        e = fl["err " + k]
        fin = np.isfinite(e)
        a = np.abs(e[fin])
        rows.append([k, len(e), int((~fin).sum()), ac.fmt(a.max()), ac.fmt(np.log2(a.max()), 3),
                     ac.fmt(np.median(a)), ac.fmt(np.sqrt(np.mean(a * a))),
                     ac.fmt(np.percentile(a, 99.9))])
    q = np.abs(data["uniform"]["err"])
    rows.append(["Q64 rbe_pipeline (uniform)", len(q), 0, ac.fmt(q.max()),
                 ac.fmt(np.log2(q.max()), 3), ac.fmt(np.median(q)),
                 ac.fmt(np.sqrt(np.mean(q * q))), ac.fmt(np.percentile(q, 99.9))])
    w(ac.md_table(["variant", "inputs", "NaN/inf", "max abs", "log2 max", "median abs",
                   "RMS", "99.9th pct"], rows))
    w("")
    w("### By curvature\n")
    rows = []
    for c in LOG2_CS:
        sel = fl["log2_c"] == c
        r_ = [c]
        for k in FLOAT_VARIANTS:
            e = fl["err " + k][sel]
            fin = np.isfinite(e)
            a = np.abs(e[fin])
            r_.append(f"{ac.fmt(a.max() if len(a) else np.nan)} ({100 * np.mean(~fin):.1f}% NaN)")
        rows.append(r_)
    w(ac.md_table(["log2_c"] + [f"{k}: max abs (NaN share)" for k in FLOAT_VARIANTS], rows))
    w("")
    w("The tanh form is NaN wherever sqrt(c) r > 1 (atanh outside its domain), i.e. "
      "for a share 1 - 1/sqrt(c) of uniform radii when c > 1.\n")
    w(f"![float error histogram]({'pipeline_error_float_hist.png'})\n")
    w(f"![float error by curvature]({'pipeline_error_float_by_c.png'})\n")
    if args.split_every:
        w("### Input quantisation against arithmetic\n")
        w(f"On every {args.split_every}-th float input (those with finite results), the error "
          "splits into f(float inputs) - f (rounding r, t, h to the format; h = H is exact "
          "in float64 but not in float32) and f_float - f(float inputs) (the arithmetic).\n")
        w(split_table(args, tasks, fl))
    files = plots(outdir, data, cons, fl)
    path = os.path.join(outdir, "pipeline_error.md")
    text = "\n".join(L) + "\n"
    with open(path, "w") as fh:
        fh.write(text.replace("{WALL}", f"{timer.elapsed():.1f}"))
    return path, files, allchk


def split_table(args, tasks, fl):
    """The input-rounding / arithmetic split of the float errors (Markdown)."""
    rows = []
    idx = fl["split_index"]
    # split_index is per chunk; rebuild the global positions
    pos, start = [], 0
    for t in tasks:
        if t[0] != "float":
            continue
        size = t[2]
        ii = np.arange(0, size, args.split_every) if args.split_every else np.arange(0)
        pos.append(ii + start)
        start += size
    pos = np.concatenate(pos) if pos else np.arange(0)
    assert len(pos) == len(idx)
    for k in FLOAT_VARIANTS:
        dt = k.split()[0]
        tot = fl["err " + k][pos]
        qn = fl["quant " + dt]
        fin = np.isfinite(tot)
        ar = tot[fin] - qn[fin]
        rows.append([k, int(fin.sum()), ac.fmt(np.sqrt(np.mean(tot[fin] ** 2))),
                     ac.fmt(np.sqrt(np.mean(qn[fin] ** 2))), ac.fmt(np.sqrt(np.mean(ar ** 2))),
                     ac.fmt(np.abs(qn[fin]).max()), ac.fmt(np.abs(ar).max())])
    return ac.md_table(["variant", "inputs", "RMS total", "RMS input rounding", "RMS arithmetic",
                        "max input rounding", "max arithmetic"], rows) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=2_000_000,
                   help="inputs in the uniform family; stress and float get n/4 each "
                        "(default 2000000: 3 million inputs in all)")
    p.add_argument("--seed", type=int, default=5, help="random seed (default 5)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="processes (default: all cores)")
    p.add_argument("--chunk", type=int, default=10_000, help="inputs per checkpoint chunk")
    p.add_argument("--split-every", type=int, default=10,
                   help="split the float error into input rounding and arithmetic on every "
                        "K-th float input (0: never; default 10)")
    p.add_argument("--construct-k", type=int, default=120,
                   help="candidates kept per factor in the constructed search (default 120)")
    p.add_argument("--out-dir", default=ac.REPORTS_DIR,
                   help="where the report and plots go (default validation/reports of the current directory)")
    p.add_argument("--checkpoint-dir", default=ac.CHECKPOINTS_DIR,
                   help="chunk checkpoints (default validation/checkpoints of the current directory)")
    return p.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    timer = ac.Timer()
    params = dict(n=args.n, seed=args.seed, chunk=args.chunk, split_every=args.split_every,
                  version=1)
    ckdir = ac.checkpoint_dir(args.checkpoint_dir, "pipeline_error", params)
    os.makedirs(args.out_dir, exist_ok=True)
    tasks, resumed = run_chunks(args, ckdir)
    path, files, ok = report(args, argv, tasks, resumed, timer, args.out_dir)
    print(f"report: {path} ({timer.elapsed():.1f} s); every error within its bound: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
