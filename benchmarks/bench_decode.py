"""Time the matrix decoder (poincare_q64.decode_matrix) on an m x n grid.

Usage::

    python benchmarks/bench_decode.py [-m 1024] [-n 1024] [--repeats 7] [--simd LEVEL]
                                      [--no-ifma]

Lines (ns per element, best of ``--repeats`` runs after one warm-up):

* ``rbe grid``: ``rbe(R, T, i, j)`` with i, j the grid's broadcast index
  arrays -- what decoding cost before the decoder;
* ``decode``: ``decode_matrix(R, T, m, n)`` (phi computed per element);
* ``decode+table``: the same with a cached ``phi_table(m, n)`` and a
  preallocated ``out``;
* ``numpy A*phi``: ``np.multiply(A, phi, out=out)`` on a float64 phi
  matrix of the same shape -- the floor of any decoder that reads a phi
  table (one multiply per element, not correctly rounded).

each for int64 at frac 62 and for float64, one and two threads.  The seed is
fixed (R = 0.75, T = 0.1 turn, every option 0); results are the same for any
thread count and SIMD level.  ``--no-ifma`` keeps the decoder's AVX-512 IFMA
lanes off (the header says whether they ran).

Targets: decode >= 5x faster than the rbe grid; decode+table within 2x of
numpy A*phi; two threads >= 1.8x one.
"""
import argparse
import platform

import numpy as np
from timing import best_of

import poincare_q64 as pq




def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-m", type=int, default=1024)
    ap.add_argument("-n", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--simd", type=int, default=-1, choices=(-1, 0, 1, 2),
                    help="SIMD level of the decoder's rows (default: the CPU's best)")
    ap.add_argument("--no-ifma", action="store_true",
                    help="keep the decoder's AVX-512 IFMA lanes off")
    args = ap.parse_args(argv)
    from poincare_q64 import _kernels, _testing
    _testing.set_simd(args.simd)
    ifma = _testing.decode_ifma_available() and not args.no_ifma
    _testing.set_decode_ifma(ifma)
    ifma = ifma and _kernels.simd_level() == 2
    m, n, rep = args.m, args.n, args.repeats
    R, T = pq.to_q64(0.75), pq.to_q64(0.1)
    i = np.arange(m, dtype=np.uint32)[:, None]
    j = np.arange(n, dtype=np.uint32)[None, :]
    table = pq.phi_table(m, n)
    phi = pq.modulation(i, j, dtype=np.float64)
    A = float(pq.radial(R, dtype=np.float64) * pq.angular(T, dtype=np.float64))
    elems = m * n

    print(f"# {m} x {n}, {platform.processor() or platform.machine()}, "
          f"SIMD level {_kernels.simd_level()}{' + IFMA' if ifma else ''}, best of {rep}; "
          "ns per element")
    rows = []
    for fmt, dtype, frac in (("int64/62", np.int64, 62), ("float64", np.float64, None)):
        out = np.empty((m, n), dtype=dtype)
        fout = np.empty((m, n), dtype=np.float64)
        res = {}
        for th in (1, 2):
            res["rbe", th] = best_of(lambda: pq.rbe(R, T, i, j, dtype=dtype, frac=frac,
                                                    threads=th), rep)
            res["decode", th] = best_of(lambda: pq.decode_matrix(
                R, T, m, n, dtype=dtype, frac=frac, threads=th), rep)
            res["table", th] = best_of(lambda: pq.decode_matrix(
                R, T, m, n, dtype=dtype, frac=frac, threads=th, out=out, phi_table=table),
                rep)
        res["numpy", 1] = best_of(lambda: np.multiply(A, phi, out=fout), rep)
        ns = {k: v / elems * 1e9 for k, v in res.items()}
        for what in ("rbe", "decode", "table"):
            rows.append((fmt, what, ns[what, 1], ns[what, 2], ns[what, 1] / ns[what, 2]))
        rows.append((fmt, "numpy", ns["numpy", 1], float("nan"), float("nan")))
        print(f"{fmt:9s} {'':13s} rbe/decode = {ns['rbe', 1] / ns['decode', 1]:.2f}x "
              f"(1 thread), decode+table/numpy = {ns['table', 1] / ns['numpy', 1]:.2f}x")
    names = {"rbe": "rbe grid", "decode": "decode", "table": "decode+table",
             "numpy": "numpy A*phi"}
    print(f"{'format':9s} {'line':13s} {'1 thread':>9s} {'2 threads':>9s} {'speed-up':>8s}")
    for fmt, what, t1, t2, sp in rows:
        print(f"{fmt:9s} {names[what]:13s} {t1:9.2f} {t2:9.2f} {sp:8.2f}")
    _testing.set_simd(-1)
    _testing.set_decode_ifma(_testing.decode_ifma_available())


if __name__ == "__main__":
    main()
