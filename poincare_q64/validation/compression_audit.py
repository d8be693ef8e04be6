"""The compression audit: what one seed, and one seed per block, really store.

    python -m poincare_q64.validation.compression_audit [--quick] [--out DIR]

Measures the sources' compression claims against the RBE transform
(``poincare_q64.transform``), against baselines at equal stored bits and
against Shannon's distortion-rate bound, and reports which claims hold
(summary: docs/compression-audit.md):

1. One seed on N(0, 1) matrices of 32 x 32, 64 x 64 and 128 x 128 (--draws
   fixed-seed draws each, seed64 and q64): RMSE mean, spread and quantiles,
   the compression ratio achieved, and the one-seed law
   RMSE = sqrt(chi^2_(N-1) / N) (poincare_q64/validation/audit_baselines.py).
2. RMSE against bits per weight: RBE blocks beside all zeros, the stored
   mean, k-bit uniform quantisation, 1-bit codes of a subset, truncated SVD
   at float32, block means, and the bound sigma 2^-R (--curve-draws draws).
3. Real weights: one layer of an MLP on scikit-learn's digits replaced by its
   reconstruction, accuracy as is and with the later layers retrained, with
   controls (poincare_q64/validation/audit_digits.py).
4. Source 002's decoder J(c, r) Phi Psi and its printed test log
   (poincare_q64/validation/audit_source002.py).
5. A table of the claims, the measured figures and a verdict.

Deterministic given --seed: every draw comes from its own numpy Generator
and the digits networks from fixed scikit-learn seeds.  The full run takes a
few minutes on 2 cores; --quick is a small smoke run (not the report).
The report (Markdown, PNG plots and the numbers as JSON) goes to --out.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

from poincare_q64.validation import analysis_common as ac
from poincare_q64.validation import audit_baselines as bl
from poincare_q64.validation import audit_digits as ad
from poincare_q64.validation import audit_source002 as s002
from poincare_q64.validation import audit_transform as at

MODULE = "poincare_q64.validation.compression_audit"
SIZES = (32, 64, 128)
SEED_FORMATS = ("seed64", "q64")
# Source 002, section 4.1: (size, claimed ratio, claimed RMSE), data unstated.
CLAIMS_002 = ((32, 512, 0.884), (64, 2048, 0.961), (128, 8192, 1.124))
UNIFORM_BITS = (1, 2, 3, 4, 6, 8)
FMT = ac.fmt


def md_table(header, rows):
    """ac.md_table with "|" inside a cell escaped (formulas hold |x|)."""
    esc = lambda v: str(v).replace("|", "\\|")
    return ac.md_table([esc(h) for h in header], [[esc(v) for v in r] for r in rows])


def _stats(x):
    x = np.asarray(x, dtype=np.float64)
    return dict(n=int(x.size), mean=float(x.mean()), std=float(x.std(ddof=1)) if x.size > 1 else 0.0,
                q05=float(np.quantile(x, 0.05)), q95=float(np.quantile(x, 0.95)),
                min=float(x.min()), max=float(x.max()), below1=float(np.mean(x < 1)))


def _pm(s, digits=4):
    return f"{FMT(s['mean'], digits)} +- {FMT(s['std'], 2)}"


# --------------------------------------------------------------------------
# 1. one seed on N(0, 1)
# --------------------------------------------------------------------------

def one_seed_study(sizes, draws, seed, source_draws, progress=None):
    """Per (size, format, method): RMSE and captured energy per draw, bits,
    encode seconds.  method None is the encoder's default; "source" runs
    only if the encoder takes method= (else its entry says why not)."""
    methods = [(None, draws), ("source", source_draws)]
    out, missing = {}, {}
    for size in sizes:
        N = size * size
        for fmt in SEED_FORMATS:
            for method, nd in methods:
                rm, cap, secs = [], [], []
                try:
                    for d in range(nd):
                        W = bl.gaussian_matrix(seed, size, size, d)
                        W_hat, bits, dt, _ = at.encode_one(W, fmt, method)
                        e = bl.rmse(W, W_hat)
                        rm.append(e)
                        cap.append(1.0 - e * e / float(np.mean(W * W)))
                        secs.append(dt)
                        if progress is not None:
                            progress.update()
                except at.NotAvailable as e:
                    missing[method] = str(e)
                    continue
                if rm:
                    out[(size, fmt, method or "default")] = dict(
                        rmse=np.array(rm), captured=np.array(cap), bits=bits,
                        ratio=32 * N / bits, seconds=float(np.mean(secs)))
    return out, missing


def budget_baselines(sizes, draws, seed):
    """Per size: the RMSE of what fits in one seed's bits (64 or 128), on the
    same draws as the one-seed study."""
    rows = {}
    for size in sizes:
        acc = {}
        for d in range(draws):
            W = bl.gaussian_matrix(seed, size, size, d)
            for name, (W_hat, bits) in (
                    ("all zeros", bl.zeros(W)),
                    ("stored mean, float32", bl.stored_mean(W, 32)),
                    ("stored mean, float64", bl.stored_mean(W, 64)),
                    ("1-bit code of 32 weights + float32 scale", bl.sign_subset(W, 64)),
                    ("1-bit code of 96 weights + float32 scale", bl.sign_subset(W, 128))):
                acc.setdefault(name, [bits, []])[1].append(bl.rmse(W, W_hat))
        rows[size] = {k: (b, _stats(v)) for k, (b, v) in acc.items()}
    return rows


# --------------------------------------------------------------------------
# 2. RMSE against bits per weight
# --------------------------------------------------------------------------

# The RBE curves stop at blocks of MIN_BLOCK x MIN_BLOCK weights (seed64: 4
# bits per weight, q64: 8): smaller blocks store more than they compress
# and cost an exact seed search each (thousands per matrix).
MIN_BLOCK = 4


def _powers_of_two_below(n, smallest=2):
    p, out = n, []
    while p >= smallest:
        out.append(p)
        p //= 2
    return out


def curve_study(size, draws, seed, progress=None):
    """Points (family, label, bits per weight, sqrt of the mean MSE over the
    draws, fitted patterns for the one-seed law or None) for one size."""
    N = size * size
    pts = {}

    def add(family, label, W, W_hat, bits, fitted=None):
        key = (family, label)
        e = pts.setdefault(key, dict(family=family, label=label, bpw=bits / N, mse=[],
                                     fitted=fitted))
        e["mse"].append(float(np.mean((W - W_hat) ** 2)))

    ranks = sorted({r for r in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128) if r <= size})
    multires_note = None
    for d in range(draws):
        W = bl.gaussian_matrix(seed, size, size, d)
        for fmt in SEED_FORMATS:
            for p in _powers_of_two_below(size, MIN_BLOCK):
                W_hat, bits = at.encode_blocks(W, (p, p), fmt)
                add(f"RBE {fmt}", f"{p}x{p}", W, W_hat, bits, fitted=at.n_blocks(W.shape, (p, p)))
            if multires_note is None:
                try:
                    for k, W_hat, bits in at.encode_multires(W, int(math.log2(size // MIN_BLOCK)) + 1, fmt):
                        add(f"RBE {fmt} multi-resolution", f"levels 0..{k}", W, W_hat, bits)
                except at.NotAvailable as e:
                    multires_note = str(e)
        for p in _powers_of_two_below(size) + [1]:
            W_hat, bits = bl.block_means(W, (p, p))
            add("block means", f"{p}x{p}", W, W_hat, bits)
        U, s, Vt = np.linalg.svd(W, full_matrices=False)
        for r in ranks:
            W_hat, bits = bl.low_rank(W, r, (U, s, Vt))
            add("SVD float32", f"rank {r}", W, W_hat, bits)
        for k in UNIFORM_BITS:
            W_hat, bits = bl.uniform_quantised(W, k)
            add("uniform quantisation", f"{k} bit", W, W_hat, bits)
        for b in sorted({64, 128, 256, N // 16, N // 4, N}):
            W_hat, bits = bl.sign_subset(W, b + 32)
            add("1-bit code of a subset", f"{b} signs", W, W_hat, bits)
        W_hat, bits = bl.zeros(W)
        add("all zeros", "", W, W_hat, bits)
        W_hat, bits = bl.stored_mean(W, 32)
        add("stored mean", "float32", W, W_hat, bits)
        if progress is not None:
            progress.update()
    for e in pts.values():
        e["rmse"] = math.sqrt(float(np.mean(e["mse"])))
        e["draws"] = len(e["mse"])
        del e["mse"]
    return list(pts.values()), multires_note


# --------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------

STYLE = {
    "RBE seed64": dict(color="C3", marker="o"),
    "RBE q64": dict(color="C1", marker="s"),
    "RBE seed64 multi-resolution": dict(color="C6", marker="v"),
    "RBE q64 multi-resolution": dict(color="C9", marker="^"),
    "block means": dict(color="C0", marker="."),
    "SVD float32": dict(color="C2", marker="d"),
    "uniform quantisation": dict(color="C4", marker="x"),
    "1-bit code of a subset": dict(color="C5", marker="+"),
    "all zeros": dict(color="k", marker="_"),
    "stored mean": dict(color="0.4", marker="|"),
}


def plot_curves(path, curves, one_seed):
    """RMSE against bits per weight, one column per size; the bottom row
    zooms on the low-rate end where the claims sit."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, len(curves), figsize=(6 * len(curves), 9.5), squeeze=False)
    for col, (size, pts) in enumerate(sorted(curves.items())):
        N = size * size
        fams = {}
        for p in pts:
            fams.setdefault(p["family"], []).append(p)
        lo = 0.3 / N
        for row, (xmax, ylim) in enumerate(((80, (0, 1.2)), (1.5, (0.8, 1.15)))):
            ax = axes[row][col]
            for fam, ps in fams.items():
                ps = sorted(ps, key=lambda p: p["bpw"])
                ax.plot([max(p["bpw"], lo) for p in ps], [p["rmse"] for p in ps], label=fam,
                        lw=1, ms=5, **STYLE.get(fam, {}))
            xs = np.geomspace(lo, xmax, 200)
            ax.plot(xs, bl.distortion_rate_rmse(xs), "k--", lw=1.2, label="D(R) bound, sigma 2^-R")
            ks = np.geomspace(2, N, 60)
            ax.plot(64 * ks / N, [math.sqrt(1 - k / N) for k in ks], ":", color="C3", lw=1,
                    label="one-seed law, seed64 blocks of N/k")
            for s, ratio, claim in CLAIMS_002:
                if s == size:
                    ax.plot([32 / ratio], [claim], "*", color="red", ms=14,
                            label=f"claim (002): {ratio}:1 at RMSE {claim}")
            for key, v in one_seed.items():
                if key[0] == size and key[2] == "default":
                    ax.plot([v["bits"] / N], [float(np.sqrt(np.mean(v["rmse"] ** 2)))], "o",
                            mfc="none", color="C3" if key[1] == "seed64" else "C1", ms=12)
            ax.set_xscale("log")
            ax.set_xlim(lo / 1.5, xmax)
            ax.set_ylim(*ylim)
            ax.set_xlabel("stored bits per weight (zero bits drawn at the left edge)")
            ax.set_ylabel("RMSE (sqrt of the mean MSE over the draws)")
            ax.set_title(f"N(0, 1), {size} x {size}" + (", low rates" if row else ""))
            ax.grid(True, which="both", alpha=0.3)
            if row == 0 and col == 0:
                ax.legend(fontsize=7, loc="lower left")
            elif row == 1:
                h, lab = ax.get_legend_handles_labels()
                keep = [i for i, t in enumerate(lab) if t.startswith(("claim", "D(R)"))]
                ax.legend([h[i] for i in keep], [lab[i] for i in keep], fontsize=7,
                          loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_rmse_distributions(path, one_seed, sizes):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.2), squeeze=False)
    claims = {s: c for s, _, c in CLAIMS_002}
    ratios = {s: r for s, r, _ in CLAIMS_002}
    for ax, size in zip(axes[0], sizes):
        N = size * size
        for fmt, col, ht in (("seed64", "C3", "stepfilled"), ("q64", "C1", "step")):
            v = one_seed.get((size, fmt, "default"))
            if v is not None:
                ax.hist(v["rmse"], bins=30, alpha=0.6, color=col, density=True, histtype=ht,
                        lw=1.5, label=f"{fmt}, {v['rmse'].size} draws")
        law = bl.projection_rmse_law(N)
        xs = np.linspace(law["mean"] - 5 * law["std"], law["mean"] + 5 * law["std"], 300)
        # density of sqrt(X / N) for X ~ chi^2_(N-1)
        ax.plot(xs, stats.chi2.pdf(N * xs * xs, N - 1) * 2 * N * xs, "k-", lw=1,
                label="one-seed law sqrt(chi2_(N-1) / N)")
        ax.axvline(claims[size], color="red", lw=2, label=f"claim (002): {claims[size]}")
        ax.axvline(float(bl.distortion_rate_rmse(64 / N)), color="k", ls="--", lw=1,
                   label=f"D(R) bound at 64 bits ({32 * N // 64}:1)")
        ax.axvline(float(bl.distortion_rate_rmse(128 / N)), color="k", ls=":", lw=1,
                   label="D(R) bound at 128 bits")
        ax.set_title(f"one seed, N(0, 1), {size} x {size} (claim at {ratios[size]}:1)")
        ax.set_xlabel("RMSE")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _digits_groups(rows):
    """(layer, name) -> dict of accuracy/rmse/ratio lists over seeds."""
    g = {}
    for r in rows:
        e = g.setdefault((r["layer"], r["name"]), dict(kind=r["kind"], bits=r["bits"],
                                                       ratio=r["ratio"], shape=r["shape"],
                                                       a=[], b=[], rmse=[], rel=[]))
        e["a"].append(r["acc_as_is"])
        if r["acc_retrained"] is not None:
            e["b"].append(r["acc_retrained"])
        e["rmse"].append(r["rmse"])
        e["rel"].append(r["rel_rmse"])
    return g


def plot_digits(path, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    g = _digits_groups(rows)
    layers = sorted({k[0] for k in g})
    fig, axes = plt.subplots(len(layers), 1, figsize=(13, 4.6 * len(layers)), squeeze=False)
    for ax, layer in zip(axes[:, 0], layers):
        # q64 rows repeat seed64's (a) and have no (b); rank 0 is all zeros
        names = [k[1] for k in g if k[0] == layer and "SVD rank 0" not in k[1]
                 and "q64" not in k[1]]
        es = [g[(layer, n)] for n in names]
        x = np.arange(len(names))
        ax.bar(x - 0.2, [np.mean(e["a"]) for e in es], 0.4, yerr=[np.std(e["a"]) for e in es],
               label="(a) as is", color="C0")
        ax.bar(x + 0.2, [np.mean(e["b"]) if e["b"] else np.nan for e in es], 0.4,
               yerr=[np.std(e["b"]) if e["b"] else 0 for e in es],
               label="(b) later layers retrained", color="C1")
        ax.axhline(0.1, color="k", ls=":", lw=1, label="chance (10 classes)")
        ax.set_xticks(x)
        ax.set_xticklabels([n.replace(", bits of", "\nbits of").replace(", nearest", "\nnearest")
                            for n in names], rotation=70, ha="right", fontsize=6.5)
        sh = es[0]["shape"]
        ax.set_title(f"digits MLP 64-64-32-10: layer {layer} ({sh[0]} x {sh[1]}) replaced; "
                     "mean and std over training seeds")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0, 1.15)
        ax.legend(fontsize=7, loc="upper center", ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------

def _verdicts(one_seed, budget, digits_rows, src):
    """Rows of the claims table: (claim, source, measured, verdict)."""
    rows = []
    for size, ratio, claim in CLAIMS_002:
        N = size * size
        v = one_seed.get((size, "seed64", "default"))
        if v is None:
            continue
        s = _stats(v["rmse"])
        bound = float(bl.distortion_rate_rmse(64 / N))
        p = bl.projection_rmse_cdf(claim, N)
        zs = budget[size]["all zeros"][1]
        below = "below" if claim < bound else "above"
        verdict = (f"Ratio: holds ({FMT(v['ratio'])}:1 is 64 bits against 32 N). RMSE: not "
                   f"reproduced on N(0, 1); the claim is {below} the D(R) bound {FMT(bound)}")
        if claim < bound:
            verdict += (" (no 64-bit code reaches it in expectation on N(0, 1) data); "
                        f"P(one-seed RMSE <= {claim}) = {FMT(p, 2)} by the one-seed law")
        else:
            verdict += f" and the RMSE of storing nothing ({_pm(zs, 5)}): worse than all zeros"
        rows.append([f"{size}x{size} -> {ratio}:1 at RMSE {claim} (data unstated)", "002 sec. 4.1",
                     f"{_pm(s, 5)} [5-95 %: {FMT(s['q05'])}-{FMT(s['q95'])}], {s['n']} draws",
                     verdict])
    fr = []
    for size in SIZES:
        v = one_seed.get((size, "seed64", "default"))
        z = budget.get(size)
        if v is not None and z is not None:
            fr.append(f"{size}: RBE {100 * np.mean(v['rmse'] < 1):.0f} %, zeros "
                      f"{100 * z['all zeros'][1]['below1']:.0f} %")
    if fr:
        rows.append(["512:1 or more at RMSE below 1.0", "002 abstract, sec. 7",
                     "share of draws with RMSE < 1: " + "; ".join(fr),
                     "Holds about half the time, as it does for storing nothing: on N(0, 1) data "
                     "RMSE < 1 says nothing about compression"])
    for size in SIZES:
        v = one_seed.get((size, "q64", "default"))
        if v is None:
            continue
        N = size * size
        dr = 1 - float(bl.distortion_rate_rmse(128 / N)) ** 2
        rows.append([f"R_RBE(D) = 128/mn + o(1/mn), 'close to the theoretical optimum' ({size}x{size})",
                     "000 sec. 8.9.2",
                     f"energy captured by one q64 seed: {FMT(np.mean(v['captured']), 3)} "
                     f"(1/N = {FMT(1 / N, 3)}); D(R) at 128 bits allows {FMT(dr, 3)}",
                     f"Does not hold: one seed captures about 1/N of the energy, "
                     f"{FMT(dr / max(np.mean(v['captured']), 1e-300), 3)} times less than the "
                     "optimum at the same bits"])
    if digits_rows:
        g = _digits_groups(digits_rows)
        for layer in sorted({k[0] for k in g}):
            orig = g[(layer, "original")]
            cand = [(k[1], e) for k, e in g.items()
                    if k[0] == layer and e["kind"] == "rbe" and "seed64" in k[1]]
            if not cand:
                continue
            name, e = min(cand, key=lambda t: abs(math.log(t[1]["ratio"] / 300)))
            rnd = g[(layer, "random, same std")]
            loss_a = 100 * (np.mean(orig["a"]) - np.mean(e["a"]))
            spread = 100 * (np.std(orig["a"]) + np.std(e["a"]))
            holds_a = loss_a <= 1.8 + 2 * spread
            verdict = ("Holds as is" if holds_a else
                       f"Does not hold: as is the accuracy drops by {loss_a:.1f} points")
            if e["b"] and rnd["b"]:
                worse = np.mean(e["b"]) < np.mean(rnd["b"])
                verdict += ("; retrained, the reconstructed layer does "
                            + ("worse than" if worse else "no worse than")
                            + " a random layer that stores nothing about W")
            rows.append([f"FC layer 300:1 at 1.8 % accuracy loss (also 8.11: 200:1 or more at 3-5 %)",
                         "000 sec. 8.10.2",
                         f"digits layer {layer} ({e['shape'][0]}x{e['shape'][1]}), {name} "
                         f"({FMT(e['ratio'])}:1): accuracy (a) {_acc(e['a'])} against "
                         f"{_acc(orig['a'])} (loss {loss_a:.1f} points); (b) retrained "
                         f"{_acc(e['b'])}, on a random layer {_acc(rnd['b'])}",
                         verdict])
    rows.append(["CNN conv 150:1 at 2.3 %, attention 200:1 at 3.2 % BLEU, FFN 250:1 at 4.7 % "
                 "perplexity, LSTM 180:1 at 2.9 %", "000 sec. 8.10.2", "not measured (no such "
                 "models or data here)", "Not testable here; the FC result above and the "
                 "one-seed law (independent of the layer type) give no reason to expect them"])
    j = [r for r in src["jacobian"] if r["match"]]
    rows.append(["J(c, r) = (1 - c r^2)^-2; log: 'Jacobian' 3.5714273 at c = 2, r = 0.8",
                 "002 sec. 3.2 and test log",
                 f"as written: {src['jacobian'][0]['exact']}; the log's value is "
                 + (", ".join(r["reading"] for r in j) if j else "no reading tried")
                 + " in float32",
                 "The log does not follow from the formula as written (its square root does)"])
    hits = {h["target"]: h for h in src["weight_hits"]}
    rows.append(["weight 0.69479495 at r = 0.5, theta = pi/2, c = 1, (15, 15)",
                 "002 test log",
                 ("reproduced by " + "; ".join(f"{t}: J = {h['J']}, Phi = {h['Phi']}, "
                                               f"Psi = {h['Psi']}, {h['r']}"
                                               for t, h in sorted(hits.items())))
                 if hits else "no reading of the family reproduces it",
                 "Not from the text (Psi is never defined); the printed figures fit one "
                 "undocumented choice, and 000's f gives "
                 f"{FMT(src['package']['f(0.5, pi/2 exactly, 15, 15), c = 1'], 8)}"])
    return rows


def _acc(xs):
    if not xs:
        return "-"
    return f"{100 * np.mean(xs):.1f} +- {100 * np.std(xs):.1f} %"


def report(args, argv, timer, one_seed, missing, budget, curves, multires_note, digits_rows,
           src, files, feats):
    L = []
    w = L.append
    w("# Compression audit\n")
    w("Generated by `poincare_q64/validation/compression_audit.py`; summary and conclusions in "
      "[docs/compression-audit.md](../../docs/compression-audit.md).\n")
    w(f"- Command: `{ac.command_line(MODULE, argv)}`")
    w(f"- Parameters: seed {args.seed}; {args.draws} draws per size for one seed, "
      f"{args.curve_draws} per size for the curves, {args.source_draws} for method=\"source\"; "
      f"digits: {args.digits_seeds} training seeds")
    w("- Duration: {WALL} s")
    w(f"- Environment: {ac.environment_line()}")
    w("- Transform: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in feats.items()))
    w("- Bits are counted as the sources count them: seed64 = 64 bits per seed, q64 = 128 "
      "(R and T; default options, nothing else stored), a float32 = 32 bits; ratio = "
      "32 bits per weight / stored bits per weight. Shapes are not counted.\n")

    w("## Which claims hold\n")
    w(md_table(["claim", "where", "measured", "verdict"], _verdicts(one_seed, budget,
                                                                       digits_rows, src)))
    w("")

    w("## 1. One seed on N(0, 1) matrices\n")
    w("W has independent N(0, 1) entries (numpy Generator seeded with (seed, m, n, draw)). "
      "Every seed of the family (any r, theta and options: they only scale one fixed matrix) "
      "decodes to A Phi with Phi[i, j] = phi(i, j), so the best one seed is the least-squares "
      "multiple A* Phi, A* = <W, Phi>/|Phi|^2. The residual is W minus its projection on one "
      "fixed direction; for isotropic Gaussian W its squared norm is chi^2 with N - 1 degrees "
      "of freedom whatever Phi is, so\n")
    w("    MSE = chi^2_(N-1) / N,   E[MSE] = (N - 1)/N,   RMSE = sqrt(chi^2_(N-1) / N),")
    w("    E[RMSE] = sqrt(2/N) Gamma(N/2) / Gamma((N-1)/2),   E[captured energy] = 1/N\n")
    w("(N = mn; the captured energy share |A* Phi|^2/|W|^2 is Beta(1/2, (N-1)/2)). Rounding "
      "A* to a seed's amplitude or clipping it to the reachable range only adds to the MSE.\n")
    rows = []
    for (size, fmt, method), v in sorted(one_seed.items()):
        N = size * size
        s = _stats(v["rmse"])
        law = bl.projection_rmse_law(N)
        rows.append([f"{size}x{size}", fmt, method, s["n"], v["bits"], f"{FMT(v['ratio'])}:1",
                     FMT(s["mean"], 6), FMT(s["std"], 3), f"{FMT(s['q05'], 5)} - {FMT(s['q95'], 5)}",
                     FMT(law["mean"], 6), FMT(law["std"], 3),
                     f"{FMT(law[0.05], 5)} - {FMT(law[0.95], 5)}",
                     FMT(float(np.mean(v["captured"])), 3), FMT(1 / N, 3),
                     FMT(float(bl.distortion_rate_rmse(v["bits"] / N)), 5),
                     FMT(v["seconds"] * 1e3, 3)])
    w(md_table(["size", "format", "method", "draws", "bits", "ratio", "RMSE mean", "std",
                   "5-95 %", "law: mean", "law: std", "law: 5-95 %", "captured energy",
                   "1/N", "D(R) bound", "encode ms"], rows))
    w("")
    for method, why in missing.items():
        w(f"- method=\"{method}\": not run ({why}).")
    w(f"\n![RMSE distributions]({files['rmse']})\n")
    w("What else fits in one seed's bits, on the same draws (RMSE mean +- std):\n")
    rows = []
    for size in sorted(budget):
        N = size * size
        for name, (bits, s) in budget[size].items():
            rows.append([f"{size}x{size}", name, bits,
                         f"{FMT(32 * N / bits)}:1" if bits else "inf", _pm(s, 6)])
        r1 = bl.svd_bits(size, size, 1)
        rows.append([f"{size}x{size}", "truncated SVD", f"rank 1 costs {r1}",
                     f"{FMT(32 * N / r1)}:1", "no rank fits 64 or 128 bits (rank 0 = all zeros)"])
        for bits in (64, 128):
            rows.append([f"{size}x{size}", "D(R) bound, sqrt(E[MSE]) >= 2^-R", bits,
                         f"{FMT(32 * N / bits)}:1", FMT(float(bl.distortion_rate_rmse(bits / N)), 6)])
    w(md_table(["size", "stored", "bits", "ratio", "RMSE"], rows))
    w("")

    w("## 2. RMSE against stored bits per weight\n")
    w(f"sqrt of the mean MSE over {args.curve_draws} draws per size. RBE: one seed per p x p "
      "block (`encode_blocks`), one-seed law 1 - (fitted seeds)/N for the MSE; block means: "
      "one float32 per p x p block; SVD: rank-r factors at float32, 32 r (m + n + 1) bits; "
      "uniform quantisation: k bits per weight and a float32 step (the best of 400 for the "
      "matrix); 1-bit code of a subset: a sign for each of the first b weights and a float32 "
      "scale (the time-sharing line between nothing and 1 bit per weight; k-bit quantisation "
      "cannot go below 1 bit per weight, i.e. above 32:1). D(R): sigma 2^-R.\n")
    if multires_note:
        w(f"- Multi-resolution: not run ({multires_note}).\n")
    w(f"![RMSE against bits per weight]({files['curve']})\n")
    for size, pts in sorted(curves.items()):
        N = size * size
        w(f"### {size} x {size}\n")
        rows = []
        for p in sorted(pts, key=lambda p: (p["family"], p["bpw"])):
            law = (FMT(math.sqrt(max(1 - p["fitted"] / N, 0.0)), 5)
                   if p["fitted"] is not None else "")
            rows.append([p["family"], p["label"], FMT(p["bpw"], 4),
                         f"{FMT(1 / p['bpw'] * 32)}:1" if p["bpw"] else "inf", FMT(p["rmse"], 5),
                         law, FMT(float(bl.distortion_rate_rmse(p["bpw"])), 5)])
        w(md_table(["family", "setting", "bits per weight", "ratio", "RMSE", "one-seed law",
                       "D(R) bound"], rows))
        w("")

    if digits_rows:
        w("## 3. Real weights: a digits MLP\n")
        w(f"scikit-learn `load_digits` (1797 8x8 images, pixels / 16), stratified split "
          f"{int(100 * (1 - ad.TEST_SIZE))}/{int(100 * ad.TEST_SIZE)} (random_state "
          f"{ad.SPLIT_SEED}); MLPClassifier {ad.HIDDEN} (ReLU, adam, max_iter {ad.MAX_ITER}), "
          f"training seeds 0..{args.digits_seeds - 1}. Layer k's matrix (sklearn's "
          "(inputs, outputs) layout) is replaced, its bias kept. (a): the rest of the trained "
          "network unchanged. (b): the layers after layer k retrained from scratch on its "
          "activations (MLPClassifier with the remaining hidden layers, or LogisticRegression "
          "for the output layer alone); q64 is not retrained (it differs from seed64 only in the "
          "amplitudes' precision). Controls: all zeros, and a random N(0, std(W)^2) matrix. "
          "Mean +- std over the seeds.\n")
        g = _digits_groups(digits_rows)
        rows = []
        for (layer, name), e in g.items():
            rows.append([layer, name, e["bits"], f"{FMT(e['ratio'])}:1" if e["bits"] else "inf",
                         FMT(np.mean(e["rmse"]), 4), FMT(np.mean(e["rel"]), 4), _acc(e["a"]),
                         _acc(e["b"])])
        w(md_table(["layer", "replacement", "bits", "ratio", "RMSE", "RMSE / std(W)",
                       "accuracy (a)", "accuracy (b)"], rows))
        w(f"\n![digits accuracy]({files['digits']})\n")

    w("## 4. Source 002's decoder\n")
    w("Source 002, section 3.2: `w_ij = J(c, r) Phi(theta + theta_ij + rho) Psi(c r)` with "
      "`J(c, r) = (1 - c r^2)^-2`; Phi and Psi are 'the selected angular / radial basis "
      "functions' and are never defined, nor theta_ij and rho. Its printed test log (a Rust "
      "crate's test output) shows the figures below. Rust prints an f32 as the shortest decimal "
      "that reads back to it, so each figure names one float32; a reading matches when its "
      "float32 evaluation (numpy float32, as an f32 program computes it) is that float32 "
      "(the Jacobian, decoded fields) or within 2 ulps of it (weights: libm sinh/tanh may "
      "differ by an ulp).\n")
    w("J at c = 2, r = 0.8 (log: 3.5714273):\n")
    w(md_table(["reading", "exact (mpmath)", "float32", "is the log's value"],
                  [[r["reading"], r["exact"], repr(float(r["f32"])), "yes" if r["match"] else "no"]
                   for r in src["jacobian"]]))
    w("")
    w(f"The weight test: r = 0.5, theta = 1.5707964 (f32), c = 1, (i, j) = (15, 15) -> "
      f"(x, y) = (0, 0); theta_ij = 0 (atan2(0, 0)) and rho = 0 assumed. Tried "
      f"{src['weight_count']} readings: J (the {len(s002.J_READINGS)} "
      "above) x Phi (sin, cos, -sin, -cos) x Psi (15 radial functions: x, sin, cos, tanh, sech, "
      "sech^2, sinh, cosh, exp, exp(-x), atanh, 000's 2x/(1+x^2), x/(1-x^2), a triangle wave, 1) "
      "x r (0.5, or 0.5 through the 20-bit field as the log's decoder reads it). If their values "
      f"were spread over an interval of width 10, about {FMT(src['chance'], 2)} would land within "
      "2 ulps of a printed weight by chance. Matches:\n")
    if src["weight_hits"]:
        w(md_table(["printed", "J", "Phi", "Psi", "r", "float32", "ulps off"],
                      [[h["target"], h["J"], h["Phi"], h["Psi"], h["r"], repr(float(h["value"])),
                        FMT(h["ulps"])] for h in src["weight_hits"]]))
    else:
        w("None: nothing in the family reproduces the printed weights.")
    w("")
    w("The unpacking test's decoded fields (log: r 0.49999952, theta 3.1415932 for the fields "
      "0x7FFFF and 0x800000):\n")
    w(md_table(["reading", "r", "theta", "matches the log"],
                  [[r["reading"], repr(float(r["r"])), repr(float(r["theta"])),
                    "yes" if (r["r_ok"] and r["theta_ok"]) else "no"] for r in src["decode"]]))
    w("")
    w("000's f (the package, correctly rounded float64) at the log's inputs:\n")
    w(md_table(["quantity", "value"], [[k, repr(v)] for k, v in src["package"].items()]))
    w("")
    return "\n".join(L) + "\n"


def summary_json(one_seed, budget, curves, digits_rows, src):
    out = {"one_seed": {f"{s}x{s} {f} {m}": dict(bits=v["bits"], ratio=v["ratio"],
                                                **_stats(v["rmse"]),
                                                captured=float(np.mean(v["captured"])))
                        for (s, f, m), v in sorted(one_seed.items())},
           "budget": {str(s): {k: dict(bits=b, **st) for k, (b, st) in d.items()}
                      for s, d in budget.items()},
           "curves": {str(s): pts for s, pts in curves.items()},
           "digits": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in r.items()}
                      for r in digits_rows],
           "source002": {"jacobian": [dict(r, f32=float(r["f32"])) for r in src["jacobian"]],
                         "weight_hits": [dict(h, value=float(h["value"]))
                                         for h in src["weight_hits"]],
                         "package": src["package"]}}
    return json.dumps(out, indent=1, sort_keys=True, default=float)


def parse_args(argv):
    p = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="a small smoke run (few draws, 2 digits seeds); not the committed report")
    p.add_argument("--out", "--out-dir", dest="out", default=ac.REPORTS_DIR,
                   help="where the report and plots go (default validation/reports of the current directory)")
    p.add_argument("--seed", type=int, default=0, help="seed of the N(0, 1) draws (default 0)")
    p.add_argument("--draws", type=int, default=None, help="one-seed draws per size (200)")
    p.add_argument("--curve-draws", type=int, default=None, help="draws per size for the curves (20)")
    p.add_argument("--source-draws", type=int, default=None,
                   help='draws per size for method="source", if the encoder has it (20)')
    p.add_argument("--digits-seeds", type=int, default=None, help="digits training seeds (5)")
    a = p.parse_args(argv)
    quick = a.quick
    for name, full, small in (("draws", 200, 20), ("curve_draws", 20, 2),
                              ("source_draws", 20, 2), ("digits_seeds", 5, 1)):
        if getattr(a, name) is None:
            setattr(a, name, small if quick else full)
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    return a


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    timer = ac.Timer()
    os.makedirs(args.out, exist_ok=True)
    feats = at.features()
    bar = ac.progress(total=len(SIZES) * len(SEED_FORMATS) * (args.draws + args.source_draws),
                      desc="one seed", unit="matrix")
    one_seed, missing = one_seed_study(SIZES, args.draws, args.seed, args.source_draws, bar)
    bar.close()
    budget = budget_baselines(SIZES, args.draws, args.seed)
    bar = ac.progress(total=len(SIZES) * args.curve_draws, desc="curves", unit="matrix")
    curves, multires_note = {}, None
    for size in SIZES:
        curves[size], note = curve_study(size, args.curve_draws, args.seed, bar)
        multires_note = multires_note or note
    bar.close()
    bar = ac.progress(total=args.digits_seeds, desc="digits", unit="seed")
    digits_rows = ad.study(range(args.digits_seeds), progress=bar)
    bar.close()
    src = s002.study()
    files = {"curve": "compression_audit_curve.png", "rmse": "compression_audit_rmse.png",
             "digits": "compression_audit_digits.png"}
    plot_curves(os.path.join(args.out, files["curve"]), curves, one_seed)
    plot_rmse_distributions(os.path.join(args.out, files["rmse"]), one_seed, SIZES)
    plot_digits(os.path.join(args.out, files["digits"]), digits_rows)
    text = report(args, argv, timer, one_seed, missing, budget, curves, multires_note,
                  digits_rows, src, files, feats)
    path = os.path.join(args.out, "compression_audit.md")
    with ac.atomic_file(path) as fh:
        fh.write(text.replace("{WALL}", f"{timer.elapsed():.0f}"))
    with ac.atomic_file(os.path.join(args.out, "compression_audit.json")) as fh:
        fh.write(summary_json(one_seed, budget, curves, digits_rows, src) + "\n")
    print(f"report: {path} ({timer.elapsed():.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
