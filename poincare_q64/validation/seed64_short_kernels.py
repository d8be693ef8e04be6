"""rbe_seed64's short stage-1 kernels against the general ones, on every
input they have.

    python -m poincare_q64.validation.seed64_short_kernels [--stride K]

At eps = 0, ``rbe_seed64`` on arrays runs stage 1 on kernels with shorter
products (``pq_fast_sin40_w``, ``pq_fast_seed_g``; docs/spec.md, "Stage
1") that must give the general kernels' integers.  The sine's kernel
depends on T' only, a multiple of 2^40 (2^24 values), and g's on
(r, log2_c, d_r) only (2^24 values), so one sweep of 2^24 seed words covers
both: theta runs over a permutation of its 2^24 values while (r, log2_c,
d_r) runs over its own.  Each word's F, sign and flags
(``_testing.debug_stage1_seed64``) must equal the general scalar stage 1's
(``_testing.debug_stage1``): at level 0 in both forms (d_r per block and per
lane), and at every SIMD level the CPU has, in blocks of mixed d_r and, in a
second order, of uniform d_r.  Prints the count and exits non-zero on any
difference.  ``--stride K`` checks every K-th word of the sweep (the test
suite runs a sample; the full sweep takes about 10 s).
"""
import argparse
import sys

import numpy as np

from poincare_q64 import _kernels, _testing

N = 1 << 24


def sweep_words(stride=1):
    """Indices k of the sweep (every stride-th) and their seed words, the
    matching (R, T, i, j, log2_c, d_r) of the general kernels."""
    k = np.arange(0, N, stride, dtype=np.uint64)
    r, lc, d_r = k >> np.uint64(4), (k >> np.uint64(1)) & np.uint64(7), k & np.uint64(1)
    theta = (k * np.uint64(0x9E3779) + np.uint64(12345)) & np.uint64(N - 1)  # odd: a bijection
    W = ((r << np.uint64(44)) | (theta << np.uint64(20)) | (d_r << np.uint64(13))
         | (lc << np.uint64(6)))  # log2_c = lc as 3-bit two's complement
    return dict(W=W, R=r << np.uint64(44), T=theta << np.uint64(40),
                i=(k * np.uint64(2654435761)).astype(np.uint32),
                j=(k * np.uint64(40503) + np.uint64(7)).astype(np.uint32),
                log2_c=(lc.astype(np.int32) ^ 4) - 4, d_r=d_r.astype(np.int32))


def _general(s, idx):
    return _testing.debug_stage1(0, s["R"][idx], s["T"][idx], s["i"][idx], s["j"][idx],
                                 log2_c=s["log2_c"][idx], d_r=s["d_r"][idx])


def check(stride=1, levels=None, chunk=1 << 21):
    """The number of words compared and a list of (what, first index) for
    each chunk where the short kernels differ from the general ones."""
    if levels is None:
        levels = [lv for lv in (1, 2) if lv <= _kernels.simd_level()]
    s = sweep_words(stride)
    n = len(s["W"])
    bad = []

    def same(got, want):
        return all(np.array_equal(a, b) for a, b in zip(got, want))

    for a in range(0, n, chunk):
        sl = slice(a, a + chunk)
        want = _general(s, sl)
        for mixed in (False, True):
            if not same(_testing.debug_stage1_seed64(0, s["W"][sl], s["i"][sl], s["j"][sl],
                                                     mixed=mixed), want):
                bad.append((f"level 0, mixed={mixed}", a))
        for lv in levels:
            if not same(_testing.debug_stage1_seed64(lv, s["W"][sl], s["i"][sl], s["j"][sl]),
                        want):
                bad.append((f"level {lv}", a))
    # the d_r = 0 words first, then the d_r = 1 words: blocks of one d_r
    uniform = np.r_[np.flatnonzero(s["d_r"] == 0), np.flatnonzero(s["d_r"] == 1)]
    for a in range(0, n, chunk):
        u = uniform[a:a + chunk]
        want = _general(s, u)
        for lv in levels:
            if not same(_testing.debug_stage1_seed64(lv, s["W"][u], s["i"][u], s["j"][u]), want):
                bad.append((f"level {lv}, uniform d_r", a))
    return n, bad


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m poincare_q64.validation.seed64_short_kernels",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--stride", type=int, default=1, help="check every K-th word (default 1: all)")
    args = ap.parse_args(argv)
    if args.stride < 1:
        ap.error("--stride must be >= 1")
    n, bad = check(args.stride)
    for what, a in bad:
        print(f"differ: {what}, chunk at {a}")
    print(f"{n} seed words, {len(bad)} chunk(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
