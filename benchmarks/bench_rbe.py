"""Time poincare_q64.rbe against the same formula in numpy float64.

Usage::

    python benchmarks/bench_rbe.py [-n 1000000] [--repeats 5] [--seed 0] [--simd LEVEL]

Both sides get the same random inputs.  rbe takes the integers (R, T, i, j)
with log2_c = 0 and eps = 0 and returns correctly rounded results, once as
int64 at frac 62 (the default format) and once as float64.  numpy evaluates

    2*r/(1+r*r) * np.sin(2*np.pi*t) * (1 + 0.1*np.sin(2*np.pi*h/2**32))

on float64 arrays r = R/2^64, t = T/2^64 and h = spatial_hash(i, j); the
conversions and the hash are done before timing, so numpy is timed on the
formula alone.  Each timing is the best of ``--repeats`` runs (after one
warm-up call), reported in nanoseconds per element.

rbe's array path runs stage 1 in SIMD lanes (AVX-512, else AVX2, else a
scalar loop; the header line says which); ``--simd 0|1|2`` times it at
another level this CPU has, for comparison (results are identical).

Targets (docs: benchmarks/README.md): rbe with one thread at least as fast
per element as the numpy line (numpy/rbe >= 1), and two threads at least
1.8 times as fast as one.
"""
import argparse
import platform

import numpy as np
from timing import best_of

import poincare_q64 as pq




def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000,
                    help="elements (default 10^6)")
    ap.add_argument("--repeats", type=int, default=5,
                    help="timed runs per measurement; the best counts "
                         "(default 5)")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the random inputs (default 0)")
    ap.add_argument("--simd", type=int, default=-1, choices=(-1, 0, 1, 2),
                    help="SIMD level of rbe's array path: 0 none, 1 AVX2, "
                         "2 AVX-512 (default -1: the CPU's best)")
    args = ap.parse_args(argv)
    from poincare_q64 import _kernels, _testing
    _testing.set_simd(args.simd)  # ValueError if this CPU lacks the level
    n, repeats = args.n, args.repeats

    rng = np.random.default_rng(args.seed)
    R = rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
    T = rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
    i = rng.integers(0, 2**32 - 1, size=n, dtype=np.uint32, endpoint=True)
    j = rng.integers(0, 2**32 - 1, size=n, dtype=np.uint32, endpoint=True)

    # numpy's inputs, prepared outside the timed region.
    r = R.astype(np.float64) / 2**64
    t = T.astype(np.float64) / 2**64
    h = pq.spatial_hash(i, j).astype(np.float64)

    def numpy_line():
        return (2 * r / (1 + r * r) * np.sin(2 * np.pi * t)
                * (1 + 0.1 * np.sin(2 * np.pi * h / 2**32)))

    def rbe(dtype, threads):
        if dtype is None:  # the default format: int64 at frac 62
            return lambda: pq.rbe(R, T, i, j, frac=62, threads=threads)
        return lambda: pq.rbe(R, T, i, j, dtype=dtype, threads=threads)

    t_np = best_of(numpy_line, repeats)
    rows = []
    for label, dtype in (("int64 frac=62", None), ("float64", np.float64)):
        t1 = best_of(rbe(dtype, 1), repeats)
        t2 = best_of(rbe(dtype, 2), repeats)
        rows.append((label, t1, t2))

    # Not a correctness test (the test suite and selfcheck are): a guard that
    # both sides computed the same function.  The gap is numpy's rounding.
    gap = np.max(np.abs(pq.rbe(R, T, i, j, dtype=np.float64) - numpy_line()))

    ns = 1e9 / n
    simd = {0: "none", 1: "AVX2", 2: "AVX-512"}[_kernels.simd_level()]
    print(f"n = {n} elements, best of {repeats}; numpy {np.__version__}, "
          f"python {platform.python_version()}, {platform.machine()}, "
          f"rbe SIMD: {simd}")
    print(f"{'numpy float64 formula':<34} {t_np * ns:8.1f} ns/element")
    for label, t1, t2 in rows:
        print(f"{'rbe ' + label + ', threads=1':<34} {t1 * ns:8.1f} ns/element"
              f"   numpy/rbe = {t_np / t1:5.2f}")
        print(f"{'rbe ' + label + ', threads=2':<34} {t2 * ns:8.1f} ns/element"
              f"   numpy/rbe = {t_np / t2:5.2f}   2-thread speedup = "
              f"{t1 / t2:4.2f}")
    print(f"max |rbe float64 - numpy| = {gap:.3g}")
    print("targets: numpy/rbe >= 1.00 at threads=1; 2-thread speedup >= 1.80")


if __name__ == "__main__":
    main()
