"""Correct-rounding campaign (docs/error-analysis.md, section 1), TestFloat / CORE-MATH style.

Checks the compiled kernels, through the public API of poincare_q64, against
an independent oracle on whole input families, and keeps the inputs closest
to a rounding midpoint as worst cases::

    python -m poincare_q64.validation.campaign --family all                 # everything
    python -m poincare_q64.validation.campaign --family phi --scheduler tcp://host:8786
    python -m poincare_q64.validation.campaign --family random --n 1000000 --sample ...

Families (docs/spec.md's functions; each prints ``N tests passed,
M failure(s)``; a test is one element in one output format):

radial
    every 20-bit r field (R = r << 44) x log2_c -4..3 x d_r 0/1 with eps = 0
    (2^24 elements), plus ``--n`` random (R, eps != 0, log2_c, d_r).  The
    oracle is exact: g is a ratio of integers (poincare_q64.validation.campaign_exact).
angular
    every 24-bit theta field.  T' = theta << 40 + rot << 60 + d_theta << 62 is
    always a multiple of 2^40, so the 2^24 values T' = theta' << 40 are all
    the angles the seed can express.  The oracle is evaluated once per T'
    and the kernel at all ``--combos`` (rot, d_theta) pairs (default all 64)
    whose T' it is: theta = theta' - rot 2^20 - d_theta 2^22 (mod 2^24).
phi
    modulation(0, j) for every j in [0, 2^32).  For a fixed i, j ->
    MurmurHash3_x86_32(LE32(i) || LE32(j)) is a bijection of 32-bit words
    (every step is: multiplication by an odd constant, rotation, xor with a
    value that does not depend on j, x -> x ^ (x >> k)), so the sweep meets
    every hash value H exactly once; the sum and the sum of squares of H
    over the sweep are checked against those of 0..2^32-1.  spatial_hash(0,
    j) is checked on the way (format uint32).
random
    ``--n`` (default 10^8) random rbe cases over all options (log2_c, eps
    with half of them 0, d_r, rot, d_theta; R, T drawn partly near the hard
    spots: small angles next to quarter turns, the zero of g', tiny and large
    R), in the four formats plus object/a and int64/b with a, b varying per
    chunk.

The oracle (poincare_q64/validation/oracle.c, binary128 with stated error bounds; exact
for radial) decides almost every rounding; the rest goes to
poincare_q64.validation.campaign_exact.fallback.  Work is split into chunks; each finished
chunk is a JSON checkpoint under ``--checkpoint-dir`` (rerunning skips done
chunks; ``--fresh`` starts over).  Chunks run on local processes (all
cores, one kernel thread each), or with ``--scheduler ADDRESS`` on a
dask.distributed cluster.  Its scheduler and workers must import
poincare_q64.validation (the scheduler unpickles the tasks too): install
poincare_q64 with its ``validation`` extra on each machine
(``pip install "poincare_q64[validation]"``); the workers need gcc with
libquadmath, with which each compiles the oracle into its cache directory
on first use.  Then::

    dask scheduler                        # on one machine, HOST
    OMP_NUM_THREADS=1 dask worker tcp://HOST:8786 --nworkers $(nproc) --nthreads 1

Results: ``--report-dir`` (default validation/reports of the current directory) gets campaign.md,
campaign_distances.png and campaign/<family>.json.  ``--worst-out DIR``
merges the ``--keep`` closest cases per format into DIR/<function>.txt
(vectors.py's worst-case grammar), keeping the lines already there.
"""
import argparse
import sys
import time
from pathlib import Path

from poincare_q64.vector_files import merge_worst_cases, worst_case_inputs
from poincare_q64.validation.campaign_inputs import FAMILIES
from poincare_q64.validation.campaign_report import (
    REPORT_DIR, summarize, worst_case_lines, write_report)
from poincare_q64.validation.campaign_runner import (
    CHECKPOINT_DIR, chunk_specs, make_config, run_family, write_json)
from poincare_q64.validation.oracle_check import validate_oracle


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m poincare_q64.validation.campaign",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", default="all",
                   choices=FAMILIES + ("all", "none"),
                   help="family to run (all: the four; none: only "
                   "--validate-oracle / the report)")
    p.add_argument("--n", type=int, default=None,
                   help="random elements: rbe cases (random, default 10^8) "
                   "or random-eps radial cases (radial, default 2^22)")
    p.add_argument("--sample", type=int, default=None,
                   help="check only this many elements, evenly spread over "
                   "the family (quick runs, timing)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--chunk", type=int, default=None,
                   help="elements per chunk (default per family)")
    p.add_argument("--combos", type=int, default=64,
                   help="angular: (rot, d_theta) pairs per angle, 1..64")
    p.add_argument("--keep", type=int, default=8,
                   help="worst cases kept per family and format")
    p.add_argument("--kernel", default="poincare_q64",
                   help="module providing the functions under test")
    p.add_argument("--force-slow-path", type=int, default=0,
                   choices=(0, 1, 2, 3), dest="force_slow",
                   help="run the kernels with pq_debug_force_slow_path")
    p.add_argument("--scheduler", default=None,
                   help="dask.distributed scheduler address")
    p.add_argument("--workers", type=int, default=None,
                   help="local processes (default: all cores)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", default=True,
                   help="skip chunks already done (default)")
    g.add_argument("--fresh", action="store_true",
                   help="discard this configuration's checkpoints first")
    p.add_argument("--max-chunks", type=int, default=None,
                   help="stop after this many new chunks (rerun to resume)")
    p.add_argument("--checkpoint-dir", type=Path, default=CHECKPOINT_DIR)
    p.add_argument("--report-dir", type=Path, default=REPORT_DIR)
    p.add_argument("--worst-out", type=Path, default=None,
                   help="merge the worst cases into DIR/<function>.txt "
                   "(only for complete runs)")
    p.add_argument("--validate-oracle", type=int, default=None, metavar="N",
                   help="compare the oracle with mpmath on N inputs per "
                   "function (default with --family all: 2000)")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)

    families = FAMILIES if args.family == "all" else (
        () if args.family == "none" else (args.family,))
    sdir = args.report_dir / "campaign"
    sdir.mkdir(parents=True, exist_ok=True)
    progress = not args.no_progress
    status = 0
    nval = args.validate_oracle
    if nval is None and args.family == "all":
        nval = 2000
    if nval:
        t = time.perf_counter()
        val = validate_oracle(nval, progress=progress)
        data = dict(n=nval, functions=val,
                    seconds=time.perf_counter() - t)
        write_json(sdir / "oracle.json", data)
        bad = [fn for fn, v in val.items()
               if v["max_error_over_bound"] > 1 or v["rounded_disagree"]]
        print(f"oracle vs mpmath: {nval} samples per function, max "
              "error/bound " + ", ".join(
                  f"{fn} {v['max_error_over_bound']:.3f}"
                  for fn, v in val.items())
              + ("" if not bad else f"; BOUND VIOLATED: {bad}"))
        status |= bool(bad)
    for fam in families:
        cfg = make_config(fam, n=args.n, sample=args.sample, seed=args.seed,
                          chunk=args.chunk, kernel=args.kernel,
                          keep=args.keep, combos=args.combos,
                          force_slow=args.force_slow)
        try:
            results, complete, wall = run_family(
                cfg, checkpoint_dir=args.checkpoint_dir, fresh=args.fresh,
                workers=args.workers, scheduler=args.scheduler,
                max_chunks=args.max_chunks, progress=progress)
        except KeyboardInterrupt:
            print(f"{fam}: stopped; rerun the same command to resume",
                  file=sys.stderr)
            return 130
        s = summarize(cfg, results, complete, wall)
        s["command"] = "python -m poincare_q64.validation.campaign " + " ".join(
            sys.argv[1:] if argv is None else argv)
        write_json(sdir / f"{fam}.json", s)
        passed = s["tests"] - s["failures"]
        print(f"{fam}: {passed} tests passed, {s['failures']} failure(s)"
              + ("" if complete else
                 f" (partial: {s['chunks']} of "
                 f"{len(chunk_specs(cfg))} chunks; rerun to resume)"))
        if s["failures"]:
            status = 1
            for e in s["examples"][:5]:
                print(f"  {e['format']} {e['inputs']}: got {e['got']} "
                      f"expected {e['expected']}")
        if fam == "phi" and s["extra"].get("coverage_ok") is False:
            print("phi: the hash sweep did not cover 0..2^32-1 exactly once")
            status = 1
        if args.worst_out and complete:
            fn, cases = worst_case_lines(s)
            comment = (f"# poincare_q64.validation.campaign --family {fam}: closest to a "
                       f"midpoint of {s['elements']:,} elements (seed "
                       f"{cfg['seed']})")
            added = merge_worst_cases(fn, cases, args.worst_out, comment)
            worst_case_inputs(fn, args.worst_out)     # parses, or raises
            print(f"{fam}: {added} worst case(s) added to "
                  f"{args.worst_out / (fn + '.txt')}")
    write_report(args.report_dir)
    return status


if __name__ == "__main__":
    sys.exit(main())
