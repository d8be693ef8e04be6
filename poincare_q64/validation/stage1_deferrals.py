"""How often stage 1 of rbe leaves an element to the later paths.

    python -m poincare_q64.validation.stage1_deferrals [-n N] [--seed S]

For N random (R, T, i, j), split evenly over every log2_c and d_r (eps = 0),
takes stage 1's F = |f| 2^123 from ``_testing.debug_stage1`` (the scalar
kernels; the SIMD lanes give the same words) and applies the int64 rounding
test of rbe at frac 62 and frac 64 with the bound PQ_FAST_ERR_F: an element
defers when a rounding midpoint lies within err_F of F.  Prints the counts
and their rates as powers of two (docs/spec.md, "How often stage 1
defers").  Elements that are exact cases (quarter turns, phi exact) or fail
the Newton check do not use the test and are not counted.
"""
import argparse
import math

import numpy as np

from poincare_q64 import _testing

ERR_F = 3 << 40  # PQ_FAST_ERR_F (src/pq_internal.h)


def deferrals(F_lo, ok, s):
    """Elements whose interval [F - err, F + err] holds a midpoint of the
    rounding at bit s (s < 64, so only the low word matters)."""
    f = F_lo & np.uint64((1 << s) - 1)
    half = np.uint64(1 << (s - 1))
    d = np.where(f > half, f - half, half - f)
    return int((ok & (d <= np.uint64(ERR_F))).sum())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=4_000_000, help="inputs (default 4 10^6)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    combos = [(lc, dr) for lc in range(-4, 4) for dr in (0, 1)]
    m = args.n // len(combos)
    n = m * len(combos)
    counts = {62: 0, 64: 0}
    for lc, dr in combos:
        R = rng.integers(0, 2**64 - 1, size=m, dtype=np.uint64, endpoint=True)
        T = rng.integers(0, 2**64 - 1, size=m, dtype=np.uint64, endpoint=True)
        i = rng.integers(0, 2**32 - 1, size=m, dtype=np.uint32, endpoint=True)
        j = rng.integers(0, 2**32 - 1, size=m, dtype=np.uint32, endpoint=True)
        _, lo, flags = _testing.debug_stage1(0, R, T, i, j, log2_c=lc, d_r=dr)
        ok = (flags & 2) != 0
        for frac in counts:
            counts[frac] += deferrals(lo, ok, 123 - frac)
    for frac, c in counts.items():
        rate = f"2^{math.log2(c / n):.1f}" if c else "0"
        print(f"frac {frac}: {c} deferrals in {n} inputs ({rate})")


if __name__ == "__main__":
    main()
