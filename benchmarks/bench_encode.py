"""Time the seed64 encoder's search (best_seed_for_amplitude, encode_blocks).

Usage::

    python benchmarks/bench_encode.py [--targets 32] [--repeats 3] [--size 128]
                                      [--no-numpy] [--no-blocks]

Lines (best of ``--repeats`` runs after one warm-up that builds the tables):

* ``search``: ms per target of ``best_seed_for_amplitude(A, threads=T)``
  for N(0, 1) / 2 targets, with the default options (one option pair)
  and with ``log2_c="all", d_r="all"`` (16 pairs, also per pair), one and
  two threads;
* ``numpy``: the same per target for the numpy search the compiled one
  replaced (``encode._best_seed64_many_numpy``, kept as the tests'
  reference), one thread, on fewer targets; its time divided by the
  compiled one's is the speedup;
* ``encode_blocks``: seconds for a ``size x size`` N(0, 1) matrix in 4 x 4
  and 2 x 2 blocks (seed64, default options), one and two threads.

The script also checks that both searches return the same seeds on its
targets.  Target: the compiled search at least 10 times as fast per target
as the numpy one.
"""
import argparse
import platform

import numpy as np
from timing import best_of

from poincare_q64.transform import encode as enc
from poincare_q64.transform import encode_blocks
from poincare_q64.transform.seed import allowed_options




def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-numpy", action="store_true",
                    help="skip the (slow) numpy reference")
    ap.add_argument("--no-blocks", action="store_true",
                    help="skip encode_blocks")
    args = ap.parse_args(argv)
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, numpy {np.__version__}")
    rng = np.random.default_rng(args.seed)
    A = (rng.standard_normal(args.targets) / 2).tolist()
    cases = [("defaults", dict(log2_c=0, d_r=0), 1),
             ("16 pairs", dict(log2_c="all", d_r="all"), 16)]
    for name, kw, pairs in cases:
        opts = allowed_options("bench", eps=0, rot=0, d_theta=0, **kw)
        enc._best_seed64_many(A[:1], opts, False, 1)        # the tables
        for threads in (1, 2):
            t = best_of(lambda: enc._best_seed64_many(A, opts, False, threads),
                        args.repeats) / len(A)
            print(f"search   {name:9s} threads={threads}: {t * 1e3:8.2f} ms/target"
                  f" {t * 1e3 / pairs:8.2f} ms/target/pair")
            if threads == 1:
                t_fast = t
        if args.no_numpy:
            continue
        few = A[:max(1, min(len(A), 32 // pairs))]
        t = best_of(lambda: enc._best_seed64_many_numpy(few, opts, False),
                    1) / len(few)
        print(f"numpy    {name:9s} threads=1: {t * 1e3:8.2f} ms/target"
              f" {t * 1e3 / pairs:8.2f} ms/target/pair   numpy/compiled "
              f"{t / t_fast:5.1f}")
        same = (enc._best_seed64_many_numpy(few, opts, False)
                == enc._best_seed64_many(few, opts, False, 2))
        print(f"         same seeds as numpy on {len(few)} targets: {same}")
        if not same:
            raise SystemExit("the compiled and numpy searches disagree")
    if not args.no_blocks:
        W = np.random.default_rng(args.seed).standard_normal((args.size, args.size))
        for block in ((4, 4), (2, 2)):
            for threads in (1, 2):
                t = best_of(lambda: encode_blocks(W, block, threads=threads,
                                                  progress=False), 1)
                nb = (args.size // block[0]) * (args.size // block[1])
                print(f"encode_blocks {args.size}x{args.size} in {block[0]}x{block[1]}"
                      f" ({nb} blocks) threads={threads}: {t:7.2f} s"
                      f"  {t / nb * 1e3:6.2f} ms/block")


if __name__ == "__main__":
    main()
