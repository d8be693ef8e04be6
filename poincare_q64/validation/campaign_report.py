"""The campaign's results: family summaries, worst cases and the report.

:func:`summarize` folds a family's chunk results (poincare_q64.validation.campaign_runner)
into the summary stored as ``<report dir>/campaign/<family>.json``;
:func:`write_report` turns the stored summaries (and ``oracle.json``, the
oracle's check against mpmath) into ``campaign.md`` and
``campaign_distances.png``; :func:`worst_case_lines` gives a summary's
closest cases in the worst-case grammar, for
:func:`poincare_q64.vector_files.merge_worst_cases`.  The Markdown is
regenerated from the JSON alone, so the committed report can be rebuilt
without rerunning anything.
"""
import json
import math
from pathlib import Path

import numpy as np

from poincare_q64 import vectors as V
from poincare_q64.validation import oracle as O
from poincare_q64.validation.campaign_inputs import FAMILIES, FUNCTION

# Relative to the current directory: reports are documents, not package
# data (run from a checkout's root, the committed reports).
REPORT_DIR = Path("validation", "reports")


def summarize(cfg, results, complete, wall):
    """A family's summary: totals per format, the first failures, the
    ``keep`` closest cases per format and the distance histograms.

    Parameters
    ----------
    cfg : dict
        From :func:`poincare_q64.validation.campaign_runner.make_config`.
    results : list of dict
        Chunk results (:func:`poincare_q64.validation.campaign_runner.run_family`).
    complete : bool
    wall : float
        Wall time of the last run, in seconds.

    Returns
    -------
    dict
        JSON-serialisable: the file ``campaign/<family>.json``.  For the
        phi family, ``extra`` holds the sums of H and H^2 and, for a
        complete unsampled sweep, whether they equal those of 0..2^32-1.
    """
    fmts = _ordered({f for r in results for f in r["tests"]}, cfg)
    s = dict(config=cfg, complete=complete, chunks=len(results),
             elements=sum(r["elements"] for r in results),
             wall_seconds_last_run=wall,
             seconds=sum(r["seconds"] for r in results),
             cpu_seconds=sum(r.get("cpu_seconds", 0) for r in results),
             oracle_seconds=sum(r["oracle_seconds"] for r in results),
             kernel_seconds=sum(r["kernel_seconds"] for r in results),
             formats={})
    for f in fmts:
        g = lambda key: sum(r[key].get(f, 0) for r in results)  # noqa: E731
        s["formats"][f] = dict(tests=g("tests"), failures=g("failures"),
                               undecided=g("undecided"),
                               fallback=g("fallback"),
                               overflow=g("overflow"),
                               overflow_checked=g("overflow_checked"))
    s["tests"] = sum(v["tests"] for v in s["formats"].values())
    s["failures"] = sum(v["failures"] for v in s["formats"].values())
    s["examples"] = [e for r in results for e in r["examples"]][:50]
    worst, hist = {}, {}
    for f in cfg["formats"]:
        cand = [(abs(d), d, tuple(inp)) for r in results
                for d, inp in r["worst"].get(f, [])]
        cand.sort()
        seen, best = set(), []
        for a, d, inp in cand:
            if inp not in seen:
                seen.add(inp)
                best.append([d, list(inp)])
            if len(best) == cfg["keep"]:
                break
        worst[f] = best
        hs = [r["hist"][f] for r in results if f in r["hist"]]
        hist[f] = np.sum(hs, axis=0).tolist() if hs else []
    s["worst"], s["hist"] = worst, hist
    if cfg["family"] == "phi":
        s["extra"] = dict(
            sum_H=sum(r["extra"]["sum_H"] for r in results),
            sum_H2=sum(r["extra"]["sum_H2"] for r in results) % (1 << 64))
        if complete and not cfg["sample"]:
            N = 1 << 32
            s["extra"]["coverage_ok"] = (
                s["extra"]["sum_H"] == N * (N - 1) // 2
                and s["extra"]["sum_H2"] == ((N - 1) * N * (2 * N - 1) // 6)
                % (1 << 64))
    return s


def note(d):
    """The note of a worst case: its signed distance to the midpoint.

    Examples
    --------
    >>> note(-0.25), note(0)
    ('-2^-2.0 ulp', 'tie')
    """
    if d == 0:
        return "tie"
    return f"{'+' if d > 0 else '-'}2^{math.log2(abs(d)):.1f} ulp"


def _ordered(names, cfg):
    """Format names in the configuration's order, then the others (JSON
    files store dicts with sorted keys)."""
    order = list(cfg["formats"])
    return sorted(names, key=lambda f: (order.index(f) if f in order
                                        else len(order), f))


def worst_case_lines(summary):
    """A summary's closest cases in the worst-case grammar.

    Returns
    -------
    function : str
        The vector function of the family.
    cases : list of (VectorFormat, tuple of int, str)
        Format, inputs and :func:`note`, as
        :func:`poincare_q64.vector_files.merge_worst_cases` takes them.
    """
    function = FUNCTION[summary["config"]["family"]]
    out = []
    for f in _ordered(summary["worst"], summary["config"]):
        cases = summary["worst"][f]
        fmt = V.parse_format(f)
        for d, inputs in cases:
            out.append((fmt, tuple(inputs), note(d)))
    return function, out


def _fmt_secs(s):
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


def _log2(d):
    if d is None:
        return "-"
    if d == 0:
        return "0 (tie)"
    return f"2^{math.log2(abs(d)):.1f}"


def write_report(report_dir):
    """Regenerate campaign.md and campaign_distances.png from the family
    summaries in report_dir/campaign/*.json (and oracle.json, if there).

    Parameters
    ----------
    report_dir : path-like
    """
    report_dir = Path(report_dir)
    sdir = report_dir / "campaign"
    summaries = {}
    for fam in FAMILIES:
        p = sdir / f"{fam}.json"
        if p.exists():
            summaries[fam] = json.loads(p.read_text())
    oracle_val = None
    if (sdir / "oracle.json").exists():
        oracle_val = json.loads((sdir / "oracle.json").read_text())
    lines = ["# Correct-rounding campaign", "",
             "Generated by `python -m poincare_q64.validation.campaign` "
             "(poincare_q64/validation/campaign.py; the module docstring describes the "
             "families).  A *test* is one element checked in one output "
             "format; the kernels are called through the public API of "
             "poincare_q64.", ""]
    lines += ["| family | function | elements | tests | failures | "
              "undecided by the bound | fallbacks | complete | CPU time | "
              "wall time (last run) |", "|---|---|---|---|---|---|---|---|"
              "---|---|"]
    for fam, s in summaries.items():
        und = sum(v["undecided"] for v in s["formats"].values())
        fb = sum(v["fallback"] for v in s["formats"].values())
        lines.append(
            f"| {fam} | {FUNCTION[fam]} | {s['elements']:,} | "
            f"{s['tests']:,} | {s['failures']} | {und} | {fb} | "
            f"{'yes' if s['complete'] else 'NO'} | "
            f"{_fmt_secs(s.get('cpu_seconds') or s['seconds'])} | "
            f"{_fmt_secs(s['wall_seconds_last_run'])} |")
    lines.append("")
    for fam, s in summaries.items():
        cfg = s["config"]
        lines += [f"## {fam}", "",
                  f"`{s['command']}`" if s.get("command") else "",
                  "",
                  f"**{s['tests'] - s['failures']} tests passed, "
                  f"{s['failures']} failure(s)**; "
                  f"{s['elements']:,} elements in {s['chunks']} chunks; "
                  f"seed {cfg['seed']}"
                  + (f", evenly spread sample of {cfg['sample']:,} of "
                     f"{cfg['size']:,}" if cfg["sample"] else "") + ".", ""]
        el = max(s["elements"], 1)
        ntest = max(s["tests"], 1)
        cpu = s.get("cpu_seconds") or s["seconds"]
        lines.append(
            f"CPU time per element (all formats"
            f"{', all combos' if fam == 'angular' else ''}; one core): "
            f"{1e9 * cpu / el:.0f} ns ({1e9 * cpu / ntest:.0f} ns per test); "
            f"of the wall time, the oracle took "
            f"{100 * s['oracle_seconds'] / max(s['seconds'], 1e-9):.0f}% and "
            f"the kernel calls "
            f"{100 * s['kernel_seconds'] / max(s['seconds'], 1e-9):.0f}%.")
        if cfg["sample"] or not s["complete"]:
            full = cpu / el * cfg["size"]
            lines.append(
                f"At that rate the whole family ({cfg['size']:,} elements) "
                f"needs {_fmt_secs(full)} of CPU time, about "
                f"{_fmt_secs(full / 2)} on this machine's 2 cores.")
        lines.append("")
        lines += ["| format | tests | failures | undecided | fallbacks | "
                  "int64 overflows (OverflowError checked one by one) | "
                  "closest to a midpoint (ulp) |",
                  "|---|---|---|---|---|---|---|"]
        for f in _ordered(s["formats"], cfg):
            v = s["formats"][f]
            w = s["worst"].get(f)
            lines.append(
                f"| {f} | {v['tests']:,} | {v['failures']} | "
                f"{v['undecided']} | {v['fallback']} | "
                f"{v.get('overflow', 0)} ({v.get('overflow_checked', 0)}) | "
                f"{_log2(w[0][0]) if w else '-'} |")
        lines.append("")
        if s.get("extra", {}).get("coverage_ok") is not None:
            lines += [f"Hash coverage (sum and sum of squares of H over the "
                      f"sweep equal those of 0..2^32-1): "
                      f"{'yes' if s['extra']['coverage_ok'] else 'NO'}.", ""]
        if s["examples"]:
            lines += ["Failures (first ones):", "", "```"]
            lines += [f"{e['format']} {' '.join(map(str, e['inputs']))}: "
                      f"got {e['got']} expected {e['expected']}"
                      for e in s["examples"][:20]]
            lines += ["```", ""]
        fn, cases = worst_case_lines(s)
        if cases:
            lines += [f"Closest cases ({fn}, worst-case grammar):", "",
                      "```"]
            lines += [V.format_worst_case(fn, fmt, inp, n)
                      for fmt, inp, n in cases[:4 * 4]]
            lines += ["```", ""]
    if oracle_val:
        lines += oracle_report_lines(oracle_val)
    lines += ["## Distance distribution", "",
              "![distances](campaign_distances.png)", "",
              "Fraction of elements whose distance to the nearest rounding "
              "midpoint is below 2^-b ulp.  For values spread uniformly "
              "modulo the ulp it is 2^(1-b) (dashed).  The radial values "
              "are rational and some lie far closer to a midpoint than "
              "chance allows (tiny R: g = 2r - 2c r^3 + ..., so g 2^62 is "
              "within c R^3 2^-127 of R/2, a midpoint for odd R).", ""]
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "campaign.md").write_text("\n".join(lines) + "\n")
    _plot(summaries, report_dir / "campaign_distances.png")


def _plot(summaries, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fams = [f for f in FAMILIES if f in summaries]
    if not fams:
        return
    fig, axes = plt.subplots(1, len(fams), figsize=(4.2 * len(fams), 3.6),
                             squeeze=False)
    for ax, fam in zip(axes[0], fams):
        s = summaries[fam]
        bmax = 1
        for f in _ordered(s["hist"], s["config"]):
            h = s["hist"][f]
            if not h:
                continue
            h = np.array(h, dtype=float)
            total = h.sum()
            # P(|d| < 2^-b) = (ties + sum of bins >= b) / total
            cum = np.array([h[0] + h[b:].sum() for b in range(1, len(h))])
            b = np.arange(1, len(h))
            ok = cum > 0
            if ok.any():
                bmax = max(bmax, int(b[ok].max()))
            ax.semilogy(b[ok], cum[ok] / total, ".-", label=f, ms=3)
        # the uniform model, down to one element in the whole family
        blim = min(bmax, int(math.log2(max(s["elements"], 2))) + 2)
        bb = np.arange(1, blim + 1)
        ax.semilogy(bb, 2.0 ** (1 - bb), "k--", lw=0.8, label="2^(1-b)")
        ax.set_title(f"{fam} ({FUNCTION[fam]})")
        ax.set_xlabel("b: |distance to midpoint| < 2^-b ulp")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("fraction of elements")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)




def oracle_report_lines(val):
    """The report's section on the oracle: what it is, its stated error
    bounds and its check against mpmath (``val``, the stored oracle.json of
    :func:`poincare_q64.validation.oracle_check.validate_oracle`)."""
    lines = ["## The oracle and its validation against mpmath", "",
             "Radial: exact (Python ints; `poincare_q64/validation/campaign_exact.py`).  "
             "Angular, phi, random rbe: `poincare_q64/validation/oracle.c`, an "
             "independently written binary128 evaluation (exact integer "
             "reduction of the angle to the first octant, libquadmath "
             "sinq/cosq, phi = 1 + s/10, g from the exact integers D, A +- B "
             "of the spec converted to binary128, its own MurmurHash3_x86_32 "
             "checked against the mmh3 package; phi's 32-bit angle through "
             "sin/cos tables and the addition formula) with a derived "
             "relative error bound per value (poincare_q64/validation/oracle.py's "
             f"docstring): sin {O.ERR_S:.2f}, phi {O.ERR_PHI:.2f}, g "
             f"{O.ERR_G0} (d_r = 0) and {O.ERR_G1} (d_r = 1), f = g s phi "
             f"up to {O.ERR_G1 + O.ERR_S + O.ERR_PHI + O.ERR_PROD:.2f} units "
             "of 2^-112 (2^-108.7), assuming 2 ulp for sinq/cosq.  A "
             "rounding "
             f"is decided when the distance to the nearest midpoint exceeds "
             f"{O.SAFETY:g} times that bound (safety factor); otherwise the "
             "element goes to the fallback (exact rounding for rationals, "
             "poincare_q64.reference for the rest).", "",
             f"Validation (`python -m poincare_q64.validation.campaign --validate-oracle "
             f"{val.get('n', '')}`): each value compared with mpmath at 320 "
             "bits (exact reduction through mpf_sin_pi; radial exactly), and "
             "each decided rounded result (object/64, int64/62, float64, "
             "float32) with the rounding of the mpmath value.", "",
             "| function | samples | max error (units of 2^-112) | "
             "max error / stated bound | rounded results checked | "
             "disagreements |", "|---|---|---|---|---|---|"]
    for fn, v in val["functions"].items():
        lines.append(f"| {fn} | {v['samples']} | "
                     f"{v['max_error_units']:.3f} | "
                     f"{v['max_error_over_bound']:.3f} | "
                     f"{v['rounded_checked']} | {v['rounded_disagree']} |")
    lines += ["", f"Duration: {_fmt_secs(val['seconds'])}.", ""]
    return lines

