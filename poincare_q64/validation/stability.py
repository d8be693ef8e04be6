"""Stability of the RBE function near r -> 1, and the regularisation.

    python -m poincare_q64.validation.stability [--kmax K] [--eps M,M,...] [--grid N]

docs/error-analysis.md, section 3.  On r = 1 - 2^-k (k = 1..kmax, exactly R = 2^64 - 2^(64-k)
in Q0.64) and each curvature c = 2^-4..2^3:

* exact values (rational g and g', mpmath at 256 bits for f at a fixed angle
  and hash): g, dg/dr, f, the relative condition number of g (and of f) in r,
  the source's claim df/dr ~ 2/(1-r)^2 and the derivative of the tanh form's
  inner function 2 atanh(sqrt(c) r); the package's correctly rounded Q64
  values checked against them;
* numpy float64 / float32 evaluations of the tanh form
  tanh(2 atanh(sqrt(c) r)) / sqrt(c), the rational form 2 r / (1 + c r^2),
  the source's derivative 2 sech^2(2 atanh(sqrt(c) r)) / (1 - c r^2), the
  rational derivative 2 (1 - c r^2) / (1 + c r^2)^2, and f: where each gives
  NaN or inf, and its error against the exact value;
* the regularisation r~ = r / (1 + eps r) for eps = 2^-m: bias
  |g(r~) - g(r)|, derivative and condition number of r -> g(r~(r));
* the Jacobian J = df/d(r, theta) of the one-seed model on an m x n matrix,
  its singular values and condition number across (r, theta), in float64 and
  at higher precision.

Runs in seconds, so it has no checkpoints.  Report (Markdown + PNG) in
--out-dir.
"""
import argparse
import os
import sys
from fractions import Fraction

import mpmath
import numpy as np

from poincare_q64.validation import analysis_common as ac

MODULE = "poincare_q64.validation.stability"
LOG2_CS = tuple(range(-4, 4))
# The fixed angle and hash of the f column: T' = 5 2^60 (theta = 5 pi / 8,
# s = sin(112.5 deg), not a rational point) and (i, j) = (0, 0).
T_FIX = 5 << 60
IJ_FIX = (0, 0)
DTYPES = (np.float64, np.float32)
QUANTITIES = ("g tanh", "g rational", "g' source", "g' rational", "f tanh", "f rational")


def radius_Q64(k):
    """R with R / 2^64 = 1 - 2^-k exactly (k = 64 gives 2^64 - 1)."""
    return ac.TWO64 - (1 << (64 - k))


# --------------------------------------------------------------------------
# exact values
# --------------------------------------------------------------------------

def exact_point(k, log2_c, prec=256):
    """Exact (Fraction) g, g' and mpmath f, kappa_g, the claim, the inner
    derivative, at r = 1 - 2^-k."""
    R = radius_Q64(k)
    r = Fraction(R, ac.TWO64)
    c = Fraction(2) ** log2_c
    g = ac.radial_fraction(R, log2_c, 0, 0)
    dg = ac.radial_fraction(R, log2_c, 0, 1)
    with mpmath.workprec(prec):
        s = mpmath.sin(2 * mpmath.pi * mpmath.mpf(T_FIX) / ac.TWO64)
        H = ac.spatial_hash(*IJ_FIX)
        phi = 1 + mpmath.sin(2 * mpmath.pi * mpmath.mpf(H) / 2**32) / 10
        f = mpmath.mpf(g.numerator) / g.denominator * s * phi
        df = mpmath.mpf(dg.numerator) / dg.denominator * s * phi
    # kappa_g(r) = |r g'(r) / g(r)| = |1 - c r^2| / (1 + c r^2) (exact)
    kappa = abs(1 - c * r * r) / (1 + c * r * r)
    claim = 2 / (1 - r) ** 2
    # d/dr 2 atanh(sqrt(c) r) = 2 sqrt(c) / (1 - c r^2): the inner function of
    # the tanh form, singular at sqrt(c) r = 1
    x = 1 - c * r * r   # exact; 0 only at sqrt(c) r = 1
    with mpmath.workprec(prec):
        inner = (2 * mpmath.sqrt(mpmath.mpf(c.numerator) / c.denominator)
                 * x.denominator / mpmath.mpf(x.numerator)) if x else mpmath.inf
    return dict(k=k, log2_c=log2_c, R=R, r=r, g=g, dg=dg, f=f, df=df, kappa=kappa,
                claim=claim, inner=inner, s=s, phi=phi)


def package_check(points):
    """Largest |X - v 2^64| of the package's frac-64 results (radial with
    d_r = 0 and 1, and rbe) against the exact values: correct rounding means
    <= 1/2.  One vectorised call per function (and threads=1 for rbe): a
    scalar call per point costs more in overhead than in work."""
    import poincare_q64 as pq
    R = np.array([p["R"] for p in points], dtype=np.uint64)
    c = np.array([p["log2_c"] for p in points])
    worst = 0.0
    for d_r, key in ((0, "g"), (1, "dg")):
        X = pq.radial(R, log2_c=c, d_r=d_r, frac=64, dtype=object)
        worst = max(worst, max(abs(float(Fraction(int(x)) - p[key] * ac.TWO64))
                               for x, p in zip(X, points)))
    X = pq.rbe(R, T_FIX, *IJ_FIX, log2_c=c, frac=64, dtype=object, threads=1)
    with mpmath.workprec(256):
        worst = max(worst, max(float(abs(int(x) - p["f"] * ac.TWO64)) for x, p in zip(X, points)))
    return worst


# --------------------------------------------------------------------------
# float evaluations
# --------------------------------------------------------------------------

def float_radius(k, dt):
    """1 - 2^-k correctly rounded to dt (exact for k <= p, the format's
    precision; 1.0 from k = p + 1, where 1 - 2^-(p+1) is a tie that goes to
    the even 1.0)."""
    R = np.array([radius_Q64(k)], dtype=np.uint64)
    return (R.astype(dt) / dt(2.0 ** 64))[0]


def float_values(r, log2_c, dt, s, phi):
    """The six float quantities at one radius, as numpy computes them."""
    c = dt(2.0) ** dt(log2_c)
    r = dt(r)
    out = {}
    with np.errstate(all="ignore"):
        sqc = np.sqrt(c)
        at = np.arctanh(sqc * r)
        out["g tanh"] = np.tanh(2 * at) / sqc
        out["g rational"] = 2 * r / (1 + c * r * r)
        out["g' source"] = 2 / (1 - c * r * r) / np.cosh(2 * at) ** 2
        out["g' rational"] = 2 * (1 - c * r * r) / (1 + c * r * r) ** 2
        out["f tanh"] = out["g tanh"] * dt(s) * dt(phi)
        out["f rational"] = out["g rational"] * dt(s) * dt(phi)
    for v in out.values():
        assert np.asarray(v).dtype == dt
    return out


def exact_of(q, p):
    if q.startswith("g'"):
        return p["dg"]
    if q.startswith("g "):
        return p["g"]
    return p["f"]


def float_study(points):
    """Per (dtype, c, k, quantity): value, status, abs error (units u) and
    relative error against the exact value."""
    rows = []
    for dt in DTYPES:
        for p in points:
            rf = float_radius(p["k"], dt)
            # s and phi enter as correctly rounded constants: the study is
            # about the radial part
            vals = float_values(rf, p["log2_c"], dt, float(p["s"]), float(p["phi"]))
            for q in QUANTITIES:
                v = float(vals[q])
                ex = exact_of(q, p)
                if not np.isfinite(v):
                    st = "nan" if np.isnan(v) else "inf"
                    ae = re = float("nan")
                else:
                    st = "ok"
                    if isinstance(ex, Fraction):
                        d = Fraction(v) - ex
                        ae = abs(float(d * ac.TWO64))
                        # exact zero (g' at sqrt(c) r = 1): relative error 0 if
                        # the float is 0 too, else infinite
                        re = abs(float(d / ex)) if ex != 0 else (0.0 if v == 0 else float("inf"))
                    else:
                        with mpmath.workprec(256):
                            d = mpmath.mpf(v) - ex
                            ae = abs(float(d * ac.TWO64))
                            re = abs(float(d / ex))
                rows.append(dict(dtype=np.dtype(dt).name, k=p["k"], log2_c=p["log2_c"],
                                 q=q, value=v, status=st, abs_err=ae, rel_err=re,
                                 r_is_one=bool(rf == 1)))
    return rows


def breakdown_summary(frows, kmax):
    """For each (dtype, c, quantity): the first k with NaN/inf, the largest
    relative error over finite results (and its k), and the first k where r
    itself rounds to 1."""
    out = {}
    for r in frows:
        key = (r["dtype"], r["log2_c"], r["q"])
        o = out.setdefault(key, dict(first_bad=None, bad_ks=[], max_rel=-1.0, k_max_rel=None,
                                     first_r1=None, max_abs=0.0))
        if r["r_is_one"] and o["first_r1"] is None:
            o["first_r1"] = r["k"]
        if r["status"] != "ok":
            o["bad_ks"].append(r["k"])
            if o["first_bad"] is None:
                o["first_bad"] = r["k"]
        else:
            if r["rel_err"] > o["max_rel"]:
                o["max_rel"], o["k_max_rel"] = r["rel_err"], r["k"]
            o["max_abs"] = max(o["max_abs"], r["abs_err"])
    return out


def tanh_nan_threshold(log2_c, dt):
    """The smallest float r in [0, 1) at which the tanh form is NaN (None if
    none): bisection on the float's bit pattern, for c > 1."""
    itype = np.uint64 if dt is np.float64 else np.uint32
    lo, hi = itype(0), np.array([dt(1.0)], dtype=dt).view(itype)[0] - itype(1)

    def bad(bits):
        r = np.array([bits], dtype=itype).view(dt)[0]
        with np.errstate(all="ignore"):
            c = dt(2.0) ** dt(log2_c)
            return bool(np.isnan(np.tanh(2 * np.arctanh(np.sqrt(c) * r)) / np.sqrt(c)))
    if not bad(hi):
        return None
    while hi - lo > 1:
        mid = itype(lo + (hi - lo) // itype(2))
        if bad(mid):
            hi = mid
        else:
            lo = mid
    return float(np.array([hi], dtype=itype).view(dt)[0])


# --------------------------------------------------------------------------
# regularisation
# --------------------------------------------------------------------------

def regularised(k, log2_c, m):
    """g(r~), d/dr g(r~(r)), and the condition number of r -> g(r~(r)), for
    eps = 2^-m, exactly (the package's eps integer is E = 2^(64-m))."""
    R = radius_Q64(k)
    E = 1 << (64 - m)
    g = ac.radial_fraction(R, log2_c, E, 0)
    dg = ac.radial_fraction(R, log2_c, E, 1)   # includes the chain factor
    r = Fraction(R, ac.TWO64)
    kappa = abs(r * dg / g)
    return dict(R=R, E=E, g=g, dg=dg, kappa=kappa)


def eps_study(points, ms):
    import poincare_q64 as pq
    rows, checks = [], []
    for p in points:
        for m in ms:
            q = regularised(p["k"], p["log2_c"], m)
            rows.append(dict(k=p["k"], log2_c=p["log2_c"], m=m,
                             bias=abs(float(q["g"] - p["g"])), g=float(q["g"]),
                             dg=float(q["dg"]), dg0=float(p["dg"]),
                             kappa=float(q["kappa"]), kappa0=float(p["kappa"])))
            checks.append((q["R"], p["log2_c"], q["E"], q["g"]))
    # the package's regularised radial, one vectorised call (see package_check)
    X = pq.radial(np.array([t[0] for t in checks], dtype=np.uint64),
                  log2_c=np.array([t[1] for t in checks]),
                  eps=np.array([t[2] for t in checks], dtype=np.uint64),
                  frac=64, dtype=object)
    worst_pkg = max(abs(float(Fraction(int(x)) - t[3] * ac.TWO64)) for x, t in zip(X, checks))
    return rows, worst_pkg


def eps_for_tanh_domain(log2_c):
    """The smallest eps with sqrt(c) r~ < 1 for every r < 1 (r~ < 1/(1+eps)):
    eps = sqrt(c) - 1, and the bias it causes as r -> 1:
    g(1/sqrt(c)) - g(1) = 1/sqrt(c) - 2/(1+c)."""
    c = 2.0 ** log2_c
    if c <= 1:
        return 0.0, 0.0
    return np.sqrt(c) - 1, 1 / np.sqrt(c) - 2 / (1 + c)


# --------------------------------------------------------------------------
# Jacobian of the one-seed model
# --------------------------------------------------------------------------

def phi_matrix(m, n):
    """phi(i, j) for the m x n matrix (float64; the exact values are not
    needed to show that J has rank one)."""
    H = np.array([[ac.spatial_hash(i, j) for j in range(n)] for i in range(m)], dtype=float)
    return 1 + 0.1 * np.sin(2 * np.pi * H / 2**32)


def g_and_dg(r, c):
    g = 2 * r / (1 + c * r * r)
    dg = 2 * (1 - c * r * r) / (1 + c * r * r) ** 2
    return g, dg


def jacobian_grid(phi, rs, thetas, c):
    """sigma_max (closed form), and sigma_max / sigma_min as numpy's SVD of
    the float64 J computes it, on the (r, theta) grid.

    J = [dW/dr, dW/dtheta] with W_ij = g(r) sin(theta) phi_ij: both columns
    are multiples of the vector phi, so rank J = 1, sigma_min = 0 and
    sigma_max = |phi| sqrt(g'^2 sin^2 + g^2 cos^2) exactly."""
    v = phi.ravel()
    nv = np.linalg.norm(v)
    smax = np.empty((len(rs), len(thetas)))
    kfl = np.empty_like(smax)
    for a, r in enumerate(rs):
        g, dg = g_and_dg(r, c)
        col_r = np.outer(dg * np.sin(thetas), v)      # (ntheta, mn)
        col_t = np.outer(g * np.cos(thetas), v)
        J = np.stack([col_r, col_t], axis=2)          # (ntheta, mn, 2)
        sv = np.linalg.svd(J, compute_uv=False)
        smax[a] = nv * np.sqrt((dg * np.sin(thetas)) ** 2 + (g * np.cos(thetas)) ** 2)
        with np.errstate(divide="ignore"):
            kfl[a] = sv[:, 0] / sv[:, 1]
    return smax, kfl


def jacobian_precision(phi, r, theta, log2_c, precs):
    """kappa(J) when J's entries are rounded to p bits, computed at 4p bits
    from the Lagrange identity sigma_max sigma_min = sqrt(|a|^2 |b|^2 -
    (a.b)^2): it grows like 2^p, i.e. it is infinite in exact arithmetic."""
    out = []
    c = Fraction(2) ** log2_c
    for p in precs:
        with mpmath.workprec(4 * p + 64):
            rr = mpmath.mpf(r)
            cc = mpmath.mpf(c.numerator) / c.denominator
            g = 2 * rr / (1 + cc * rr * rr)
            dg = 2 * (1 - cc * rr * rr) / (1 + cc * rr * rr) ** 2
            th = mpmath.mpf(theta)
            A, B = dg * mpmath.sin(th), g * mpmath.cos(th)
            a, b = [], []
            for x in phi.ravel().tolist():
                with mpmath.workprec(p):   # entries rounded to p bits
                    a.append(+(A * x))
                    b.append(+(B * x))
            aa = mpmath.fsum(x * x for x in a)
            bb = mpmath.fsum(x * x for x in b)
            ab = mpmath.fsum(x * y for x, y in zip(a, b))
            area2 = aa * bb - ab * ab
            tr = aa + bb
            disc = mpmath.sqrt(max(tr * tr - 4 * area2, 0))
            s1 = mpmath.sqrt((tr + disc) / 2)
            s2 = mpmath.sqrt(area2) / s1 if area2 > 0 else mpmath.mpf(0)
            out.append((p, float(s1 / s2) if s2 else float("inf")))
    return out


def relative_condition(rs, thetas, c):
    """kappa_f(r, theta) = sqrt((r f_r)^2 + (theta f_theta)^2) / |f| for one
    entry f = g(r) sin(theta) phi (phi drops out): sqrt(kappa_g^2 +
    (theta cot theta)^2)."""
    R, TH = np.meshgrid(rs, thetas, indexing="ij")
    kg = np.abs(1 - c * R * R) / (1 + c * R * R)
    with np.errstate(divide="ignore", invalid="ignore"):
        kt = np.abs(TH / np.tan(TH))
    return np.sqrt(kg ** 2 + kt ** 2)


# --------------------------------------------------------------------------
# plots and report
# --------------------------------------------------------------------------

def _log2(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log2(x)


def plots(outdir, points, frows, erows, ms, jac, kmax):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = {}
    ks = np.arange(1, kmax + 1)
    by = {(p["log2_c"], p["k"]): p for p in points}

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for m, c in enumerate(LOG2_CS):
        col = f"C{m}"
        axes[0].plot(ks, [float(by[(c, k)]["g"]) for k in ks], color=col, label=f"c = 2^{c}")
        axes[1].plot(ks, _log2([abs(float(by[(c, k)]["dg"])) for k in ks]), color=col,
                     label=f"c = 2^{c}")
        axes[2].plot(ks, [float(by[(c, k)]["kappa"]) for k in ks], color=col, label=f"c = 2^{c}")
    axes[1].plot(ks, 2 * ks + 1, "k--", label="source: 2/(1-r)^2")
    axes[1].plot(ks, _log2([float(abs(by[(0, k)]["inner"])) for k in ks]), "k:",
                 label="d/dr 2 atanh(r) (c = 1)")
    axes[0].set_title("g(r), r = 1 - 2^-k")
    axes[1].set_title("log2 |dg/dr|")
    axes[2].set_title("relative condition number of g (and f) in r")
    axes[2].set_yscale("log")
    for ax in axes:
        ax.set_xlabel("k")
    axes[1].legend(fontsize=7)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    files["exact"] = "stability_exact.png"
    fig.savefig(os.path.join(outdir, files["exact"]), dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5), sharex=True)
    show_c = (-4, 0, 1, 3)
    for a, dtn in enumerate(("float64", "float32")):
        for b, kind in enumerate(("g", "g'")):
            ax = axes[b, a]
            for m, c in enumerate(show_c):
                for q, ls in (((f"{kind} tanh" if kind == "g" else "g' source"), "--"),
                              ((f"{kind} rational"), "-")):
                    sel = [r for r in frows if r["dtype"] == dtn and r["log2_c"] == c
                           and r["q"] == q]
                    rel = np.array([r["rel_err"] for r in sel])
                    kk = np.array([r["k"] for r in sel])
                    ok = np.array([r["status"] == "ok" for r in sel])
                    y = _log2(np.maximum(rel, 2.0 ** -80))
                    ax.plot(kk[ok], y[ok], ls, color=f"C{m}", lw=1.2,
                            label=f"{q}, c = 2^{c}")
                    y_bad = 1.0 + 1.2 * m + (0.6 if ls == "-" else 0)  # staggered
                    ax.plot(kk[~ok], np.full((~ok).sum(), y_bad),
                            "x" if ls == "--" else "+", color=f"C{m}", ms=4)
            p_ = 53 if dtn == "float64" else 24
            ax.axhline(-p_, color="0.5", lw=0.8)
            ax.axvline(p_ + 1, color="0.5", lw=0.8, ls=":")
            ax.set_title(f"{dtn}: relative error of {kind}  (x = NaN/inf; dotted: r rounds to 1)")
            ax.set_ylabel("log2 relative error (floor 2^-80)")
            ax.set_ylim(-82, 6)
            if b == 1:
                ax.set_xlabel("k  (r = 1 - 2^-k)")
            ax.legend(fontsize=6, ncol=2, loc="lower right")
    fig.tight_layout()
    files["float"] = "stability_float.png"
    fig.savefig(os.path.join(outdir, files["float"]), dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for a, c in enumerate((-4, 0, 2)):
        for m_i, m in enumerate(ms):
            sel = [r for r in erows if r["log2_c"] == c and r["m"] == m]
            kk = [r["k"] for r in sel]
            axes[0, a].plot(kk, _log2([max(r["bias"], 2.0 ** -200) for r in sel]),
                            color=f"C{m_i}", label=f"eps = 2^-{m}")
            axes[1, a].plot(kk, [r["kappa"] for r in sel], color=f"C{m_i}", label=f"eps = 2^-{m}")
        sel0 = [r for r in erows if r["log2_c"] == c and r["m"] == ms[0]]
        axes[1, a].plot([r["k"] for r in sel0], [r["kappa0"] for r in sel0], "k--", label="eps = 0")
        axes[0, a].set_title(f"c = 2^{c}: log2 |g(r~) - g(r)|")
        axes[1, a].set_title(f"c = 2^{c}: condition number of r -> g(r~(r))")
        axes[1, a].set_xlabel("k  (r = 1 - 2^-k)")
        axes[0, a].legend(fontsize=7)
        axes[1, a].legend(fontsize=7)
        axes[1, a].set_yscale("log")
    fig.tight_layout()
    files["eps"] = "stability_eps.png"
    fig.savefig(os.path.join(outdir, files["eps"]), dpi=110)
    plt.close(fig)

    rs, ths, smax, kfl, kap, prec_rows, amp = jac
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    ext = [ths[0], ths[-1], rs[0], rs[-1]]
    im = axes[0].imshow(smax, origin="lower", aspect="auto", extent=ext)
    cs = axes[0].contour(ths, rs, amp, levels=8, colors="w", linewidths=0.6)
    axes[0].clabel(cs, fontsize=6)
    fig.colorbar(im, ax=axes[0])
    axes[0].set_title("sigma_max(J), c = 1 (white: level sets of g sin(theta))")
    # inf (an exactly zero sigma_min, e.g. at theta = 0) is shown at the top
    im = axes[1].imshow(np.log10(np.minimum(kfl, 1e20)), origin="lower", aspect="auto",
                        extent=ext, vmin=14, vmax=20)
    fig.colorbar(im, ax=axes[1], label="log10 kappa (20: >= 1e20 or inf)")
    axes[1].set_title("log10 kappa(J), float64 SVD (exact: infinite)")
    for pt, rows in prec_rows.items():
        axes[2].semilogy([p for p, _ in rows], [k for _, k in rows], "o-", label=pt)
    pp = np.array([p for p, _ in next(iter(prec_rows.values()))])
    axes[2].semilogy(pp, 2.0 ** pp, "k--", label="2^p")
    axes[2].set_xlabel("precision p of J's entries (bits)")
    axes[2].set_title("kappa(J) against precision")
    axes[2].legend(fontsize=7)
    for ax in axes[:2]:
        ax.set_xlabel("theta")
        ax.set_ylabel("r")
    fig.tight_layout()
    files["jacobian"] = "stability_jacobian.png"
    fig.savefig(os.path.join(outdir, files["jacobian"]), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.6))
    im = ax.imshow(np.log10(np.minimum(kap, 1e20)), origin="lower", aspect="auto", extent=ext,
                   vmax=3)
    fig.colorbar(im, ax=ax)
    ax.set_title("log10 relative condition number of one entry f in (r, theta), c = 1")
    ax.set_xlabel("theta")
    ax.set_ylabel("r")
    fig.tight_layout()
    files["condition"] = "stability_condition.png"
    fig.savefig(os.path.join(outdir, files["condition"]), dpi=110)
    plt.close(fig)
    return files


def _kset(kmax):
    return [k for k in (1, 2, 4, 8, 12, 16, 24, 25, 26, 27, 32, 48, 53, 54, 64) if k <= kmax]


def report(args, argv, timer, points, pkg_worst, frows, summ, erows, pkg_eps, ms, jac, files,
           thresholds, kmin_by_c):
    L = []
    w = L.append
    by = {(p["log2_c"], p["k"]): p for p in points}
    w("# Stability near r -> 1 and the regularisation\n")
    w("Generated by `poincare_q64/validation/stability.py` (docs/error-analysis.md, section 3). Conclusions: "
      "docs/error-analysis.md, section 3.\n")
    w(f"- Command: `{ac.command_line(MODULE, argv)}`")
    w(f"- Parameters: r = 1 - 2^-k for k = 1..{args.kmax} (R = 2^64 - 2^(64-k)), "
      f"c = 2^-4..2^3, eps = 2^-m for m in {{{', '.join(map(str, ms))}}}, fixed angle "
      f"T' = 5 * 2^60 (theta = 5 pi/8) and (i, j) = {IJ_FIX}; Jacobian on a "
      f"{args.matrix} x {args.matrix} matrix over a {args.grid} x {args.grid} (r, theta) grid")
    w("- Duration: {WALL} s")
    w(f"- Environment: {ac.environment_line()}")
    w("- Exact values: g and g' as Fractions from the definition, f with mpmath at 256 bits.\n")

    w("## Exact values at r = 1 - 2^-k\n")
    w("dg/dr (exact) against the source's claim 2/(1-r)^2 = 2^(2k+1):\n")
    ks = _kset(args.kmax)
    rows = []
    for k in ks:
        r_ = [k, ac.fmt(float(by[(LOG2_CS[0], k)]["claim"]))]
        r_ += [ac.fmt(float(by[(c, k)]["dg"])) for c in LOG2_CS]
        rows.append(r_)
    w(ac.md_table(["k", "claim 2/(1-r)^2"] + [f"g', c = 2^{c}" for c in LOG2_CS], rows))
    w("")
    w("g (exact) and the relative condition number kappa_g = |r g'/g| = |1 - c r^2| / "
      "(1 + c r^2) (also that of f in r):\n")
    rows = []
    for k in ks:
        rows.append([k] + [f"{ac.fmt(float(by[(c, k)]['g']), 6)} / "
                           f"{ac.fmt(float(by[(c, k)]['kappa']))}" for c in LOG2_CS])
    w(ac.md_table(["k"] + [f"g / kappa, c = 2^{c}" for c in LOG2_CS], rows))
    w("")
    rows = []
    for k in ks:
        p = by[(0, k)]
        rows.append([k, ac.fmt(float(p["f"]), 8), ac.fmt(float(p["df"])),
                     ac.fmt(float(p["inner"])), ac.fmt(float(p["claim"]))])
    w("c = 1, fixed theta and phi (s = %s, phi = %s):\n" % (ac.fmt(float(by[(0, 1)]["s"]), 8),
                                                           ac.fmt(float(by[(0, 1)]["phi"]), 8)))
    w(ac.md_table(["k", "f", "df/dr", "d/dr 2 atanh(r)", "claim 2/(1-r)^2"], rows))
    w("")
    mx = max(abs(float(p["df"])) for p in points)
    w(f"- Largest |df/dr| over all k and c here: {ac.fmt(mx)} (|df/dr| <= 2 * 1 * 1.1 = 2.2 "
      "everywhere). At k = 64 the claim gives 2^129 = "
      f"{ac.fmt(float(by[(0, args.kmax)]['claim']))}.")
    w(f"- The package's frac-64 results (radial with d_r = 0 and 1, rbe) on all "
      f"{len(points)} points: largest |X - v 2^64| = {ac.fmt(pkg_worst, 10)} u (correct rounding: "
      "<= 0.5).\n")
    w(f"![exact values]({files['exact']})\n")

    w("## Float evaluations\n")
    w("numpy at r = fl(1 - 2^-k); s and phi enter as correctly rounded constants. "
      "`g tanh` = tanh(2 atanh(sqrt(c) r)) / sqrt(c), `g rational` = 2 r / (1 + c r^2), "
      "`g' source` = 2 sech^2(2 atanh(sqrt(c) r)) / (1 - c r^2) (the source's g'), "
      "`g' rational` = 2 (1 - c r^2) / (1 + c r^2)^2, `f` = g s phi. r rounds to 1.0 from "
      f"k = {summ[('float64', 0, 'g tanh')]['first_r1']} (float64) and "
      f"k = {summ[('float32', 0, 'g tanh')]['first_r1']} (float32).\n")
    rows = []
    for dtn in ("float64", "float32"):
        for c in LOG2_CS:
            r_ = [dtn, c]
            for q in QUANTITIES:
                o = summ[(dtn, c, q)]
                bad = ""
                if o["bad_ks"] == list(range(o["first_bad"] or 0, args.kmax + 1)):
                    bad = f"NaN/inf for k >= {o['first_bad']}"
                elif o["bad_ks"]:
                    bad = f"NaN/inf at k = {_ranges(o['bad_ks'])}"
                rel = (f"max rel {ac.fmt(o['max_rel'], 2)} (k = {o['k_max_rel']})"
                       if o["k_max_rel"] is not None else "no finite value")
                r_.append(f"{bad + '; ' if bad else ''}{rel}")
            rows.append(r_)
    w(ac.md_table(["dtype", "log2_c"] + list(QUANTITIES), rows))
    w("")
    w("Largest absolute error of the finite float results, in units u = 2^-64:\n")
    rows = []
    for dtn in ("float64", "float32"):
        r_ = [dtn]
        for q in QUANTITIES:
            r_.append(ac.fmt(max(summ[(dtn, c, q)]["max_abs"] for c in LOG2_CS)))
        rows.append(r_)
    w(ac.md_table(["dtype"] + list(QUANTITIES), rows))
    w("")
    w("Where the tanh form turns NaN (smallest float r giving NaN; exact threshold "
      "1/sqrt(c)):\n")
    rows = []
    for c in LOG2_CS:
        if c <= 0:
            continue
        rows.append([c, ac.fmt(2.0 ** (-c / 2), 17), ac.fmt(thresholds[("float64", c)], 17),
                     ac.fmt(thresholds[("float32", c)], 9),
                     f"{100 * (1 - 2.0 ** (-c / 2)):.1f}%",
                     (1 << 20) - 1 - int(np.floor(2.0 ** (-c / 2) * (1 << 20)))])
    w(ac.md_table(["log2_c", "1/sqrt(c)", "float64 NaN from r =", "float32 NaN from r =",
                   "share of [0, 1)", "seed r fields (of 2^20) with r > 1/sqrt(c)"], rows))
    w("")
    w(f"![float errors]({files['float']})\n")

    w("## Regularisation r~ = r / (1 + eps r)\n")
    w(f"Package check: radial with eps = E = 2^(64-m) against the exact g(r~) on every point: "
      f"largest |X - g 2^64| = {ac.fmt(pkg_eps, 10)} u.\n")
    rows = []
    ebys = {(r["log2_c"], r["k"], r["m"]): r for r in erows}
    kk = args.kmax
    for c in LOG2_CS:
        for m in ms:
            e = ebys[(c, kk, m)]
            mxb = max(r["bias"] for r in erows if r["log2_c"] == c and r["m"] == m)
            rows.append([c, f"2^-{m}", ac.fmt(e["bias"]), ac.fmt(mxb),
                         ac.fmt(e["bias"] * 2.0 ** 64), ac.fmt(e["dg0"]), ac.fmt(e["dg"]),
                         ac.fmt(e["kappa0"]), ac.fmt(e["kappa"])])
    w(ac.md_table(["log2_c", "eps", f"bias at k = {kk}", "max bias over k", "bias (u)",
                   f"g' at k = {kk}", "regularised g'", "kappa", "regularised kappa"], rows))
    w("")
    w("The tanh form needs sqrt(c) r~ < 1 for every r < 1, i.e. eps >= sqrt(c) - 1; the bias "
      "that costs as r -> 1 is g(1/sqrt(c)) - g(1) = 1/sqrt(c) - 2/(1+c):\n")
    rows = []
    for c in LOG2_CS:
        if c > 0:
            e, b = eps_for_tanh_domain(c)
            rows.append([c, ac.fmt(e), ac.fmt(b), f"{100 * b / (2 / (1 + 2.0 ** c)):.1f}%",
                         "yes" if e < 1 else "no (eps = E/2^64 < 1)"])
    w(ac.md_table(["log2_c", "eps needed", "bias at r -> 1", "relative bias",
                   "representable as the package's eps"], rows))
    w("")
    w(f"![regularisation]({files['eps']})\n")

    rs, ths, smax, kfl, kap, prec_rows, amp = jac
    w("## Jacobian of the one-seed model\n")
    w("W_ij(r, theta) = g(r) sin(theta) phi_ij, so J = [g'(r) sin(theta) phi, g(r) cos(theta) "
      "phi] (mn x 2): both columns are multiples of the same vector phi. rank J = 1, "
      "sigma_min = 0 and kappa(J) = infinity at every (r, theta), for every c; "
      "sigma_max = |phi|_2 sqrt(g'^2 sin^2 + g^2 cos^2).\n")
    fin = kfl[np.isfinite(kfl)]
    lo, hi = (fin.min(), fin.max()) if len(fin) else (np.inf, np.inf)
    w(f"- float64 SVD over the grid (c = 1): kappa(J) between {ac.fmt(lo)} "
      f"and {ac.fmt(hi)} where finite, infinite at "
      f"{int((~np.isfinite(kfl)).sum())} of {kfl.size} points; sigma_max between "
      f"{ac.fmt(smax.min())} and {ac.fmt(smax.max())}.")
    w("- The same over a coarser grid for every curvature: smallest float64 kappa(J) "
      + ", ".join(f"c = 2^{c}: {ac.fmt(v)}" for c, v in kmin_by_c.items()) + ".")
    w("- kappa(J) with J's entries rounded to p bits (computed at 4p bits):\n")
    rows = []
    pts = list(prec_rows)
    for a, (p, _) in enumerate(prec_rows[pts[0]]):
        rows.append([p] + [ac.fmt(prec_rows[pt][a][1]) for pt in pts])
    w(ac.md_table(["p"] + [f"kappa at {pt}" for pt in pts], rows))
    w("")
    w("kappa grows like 2^p: the only thing that keeps it finite is rounding.\n")
    w(f"![Jacobian]({files['jacobian']})\n")
    away = np.abs(np.sin(ths)) >= 0.01
    w("The relative condition number of one entry in (r, theta), "
      "sqrt(kappa_g^2 + (theta cot theta)^2), is at most "
      f"{ac.fmt(np.max(kap[:, away]))} on the grid where |sin(theta)| >= 0.01; it is infinite "
      "at theta = pi and 2 pi, where sin(theta) = 0 (a zero of f, not a feature of r -> 1). "
      "The radial part kappa_g never exceeds 1.\n")
    w(f"![condition number]({files['condition']})\n")
    return "\n".join(L) + "\n"


def _ranges(ks):
    out, start, prev = [], None, None
    for k in ks:
        if start is None:
            start = prev = k
        elif k == prev + 1:
            prev = k
        else:
            out.append(f"{start}-{prev}" if prev != start else f"{start}")
            start = prev = k
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ", ".join(out)


def parse_args(argv):
    p = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n")[0])
    p.add_argument("--kmax", type=int, default=64, help="largest k in r = 1 - 2^-k (1..64)")
    p.add_argument("--eps", default="2,8,16,32,52",
                   help="exponents m of the regularisations eps = 2^-m (default 2,8,16,32,52)")
    p.add_argument("--grid", type=int, default=121, help="(r, theta) grid size (default 121)")
    p.add_argument("--matrix", type=int, default=32, help="m = n of the one-seed matrix (32)")
    p.add_argument("--out-dir", default=ac.REPORTS_DIR,
                   help="where the report and plots go (default validation/reports of the current directory)")
    return p.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if not 1 <= args.kmax <= 64:
        raise SystemExit("--kmax must be in 1..64")
    ms = [int(x) for x in args.eps.split(",") if x]
    timer = ac.Timer()
    os.makedirs(args.out_dir, exist_ok=True)
    steps = ac.progress(total=6, desc="stability", unit="step")
    points = [exact_point(k, c) for c in LOG2_CS for k in range(1, args.kmax + 1)]
    steps.update()
    pkg_worst = package_check(points)
    steps.update()
    frows = float_study(points)
    summ = breakdown_summary(frows, args.kmax)
    thresholds = {(np.dtype(dt).name, c): tanh_nan_threshold(c, dt)
                  for dt in DTYPES for c in LOG2_CS if c > 0}
    steps.update()
    erows, pkg_eps = eps_study(points, ms)
    steps.update()
    phi = phi_matrix(args.matrix, args.matrix)
    rs = np.linspace(0.0, 1.0, args.grid + 2)[1:-1]
    ths = np.linspace(0.0, 2 * np.pi, args.grid)
    smax, kfl = jacobian_grid(phi, rs, ths, 1.0)
    kap = relative_condition(rs, ths, 1.0)
    amp = np.outer(g_and_dg(rs, 1.0)[0], np.sin(ths))
    prec_rows = {}
    for (r, th) in ((0.5, 1.0), (0.9, 2.0), (1 - 2.0 ** -20, 0.3)):
        prec_rows[f"(r, theta) = ({ac.fmt(r, 8)}, {th})"] = jacobian_precision(
            phi, r, th, 0, (24, 53, 113, 200, 400))
    jac = (rs, ths, smax, kfl, kap, prec_rows, amp)
    coarse = max(args.grid // 4, 3)
    kmin_by_c = {c: float(np.min(jacobian_grid(phi, np.linspace(0, 1, coarse + 2)[1:-1],
                                               np.linspace(0, 2 * np.pi, coarse), 2.0 ** c)[1]))
                 for c in LOG2_CS}
    steps.update()
    files = plots(args.out_dir, points, frows, erows, ms, jac, args.kmax)
    text = report(args, argv, timer, points, pkg_worst, frows, summ, erows, pkg_eps, ms, jac,
                  files, thresholds, kmin_by_c)
    steps.update()
    steps.close()
    path = os.path.join(args.out_dir, "stability.md")
    with open(path, "w") as fh:
        fh.write(text.replace("{WALL}", f"{timer.elapsed():.1f}"))
    print(f"report: {path} ({timer.elapsed():.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
