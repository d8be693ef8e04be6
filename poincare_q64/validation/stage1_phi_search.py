"""How close stage 1's phi comes to its error bound: a search over hash values.

    python -m poincare_q64.validation.stage1_phi_search [--dmin D] [--top N]

Stage 1 computes phi(H) 2^126 = 2^126 +- floor(s10 / 16), where s10 is
|sin|/10 from a row of ``PQ_FAST_POLY10`` (docs/spec.md, "Stage 1"):
s10 = S + c1 tau + tau^2 q with q evaluated on 64-bit words (Estrin's
scheme).  Its error is, in units of 2^-89 (2^41 units of s10),

    sum_k e_k tau^k  -  tau^2 (f_A + f_P5 + f_P6)  -  tau^4 f_B  -  f_tq
                     -  (the series past tau^6)

with e_k the rounding error of coefficient k in the table (|e_k| <= 1/2)
and f_X in [0, 1) what the floor of product X drops, so it is largest where
|tau| is near 1 (H near the middle between two table points) and the five
floors all drop nearly a whole unit.  Those floors are pseudo-random in H,
so the search is exhaustive: every H < 2^30 with an offset |d| >= D from its
table point (tau = d / 2^18; D = 2^17 by default, since below |tau| = 1/2 the
error is below 0.24 of the bound), each quadrant's H (H, 2^31 - H, 2^31 + H,
2^32 - H) having the same error.

A C program (``stage1_phi_search.c``, compiled here with ``cc`` against the
package's headers and table, so the integers are the kernel's own) computes
each error from the kernel's PHI and the exact Taylor coefficients of each
table row (mpmath, 256 bits), summed exactly in 128-bit integers; about
5 10^8 hash values, 35 s of CPU.  The N largest are then measured again
through ``poincare_q64._testing.debug_approx`` against mpmath's phi (as
tests/test_slow_path.py does), which must agree.  Prints those H with their
error as a fraction of PQ_FAST_ERR_PHI = 9 2^37 + 1.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import mpmath

import poincare_q64 as pq
from poincare_q64 import _testing
from poincare_q64.validation.stage1_sin_search import taylor_terms

ERR_PHI = 9 * 2**37 + 1  # PQ_FAST_ERR_PHI (src/pq_internal.h)
HERE = os.path.dirname(os.path.abspath(__file__))
N_ROWS = 2049


def row_coefficients(prec=256):
    """The exact coefficients of tau -> sin(b_i + kappa tau)/10 per row, in
    PQ_FAST_POLY10's units, as the C program reads them: floors (S and c1
    as two 64-bit words), fractional parts, then c7..c10."""
    lines = []
    with mpmath.workprec(prec):
        for i in range(N_ROWS):
            x = taylor_terms(i, 10, [130, 141] + [89] * 9)
            F = [int(mpmath.floor(v)) for v in x[:7]]
            fr = [float(x[k] - F[k]) for k in range(7)]
            words = [F[0] >> 64, F[0] & (2**64 - 1), F[1] >> 64, F[1] & (2**64 - 1)] + F[2:]
            lines.append(" ".join(str(w) for w in words) + " "
                         + " ".join(repr(v) for v in fr + [float(v) for v in x[7:]]))
    return "\n".join(lines) + "\n"


def build(out_dir):
    inc = pq.get_include()
    exe = os.path.join(out_dir, "stage1_phi_search")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=gnu11", "-O2", "-I", inc, "-o", exe,
                    os.path.join(HERE, "stage1_phi_search.c"), os.path.join(inc, "pq_tables.c"),
                    "-lm"], check=True)
    return exe


def measured_ratio(H):
    """|phi 2^126 - PHI| / PQ_FAST_ERR_PHI with phi from mpmath, through the
    package's stage-1 hook (the check of tests/test_slow_path.py)."""
    neg, m, e, err = _testing.debug_approx(1, H, 1)
    assert err == ERR_PHI and e == -126 and not neg
    with mpmath.workprec(400):
        exact = (1 + mpmath.sin(2 * mpmath.pi * mpmath.mpf(H) / 2**32) / 10) * mpmath.mpf(2)**126
        return float(abs(exact - m) / err)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dmin", type=int, default=2**17,
                    help="smallest offset |d| from the table point searched (default 2^17)")
    ap.add_argument("--top", type=int, default=8, help="how many to re-measure and print")
    args = ap.parse_args(argv)
    t0 = time.time()
    coeffs = row_coefficients()
    with tempfile.TemporaryDirectory() as tmp:
        exe = build(tmp)
        res = subprocess.run([exe, str(args.dmin)], input=coeffs, capture_output=True, text=True,
                             check=True)
    best = sorted(((abs(float(e)), int(h), float(e)) for h, e in
                   (line.split() for line in res.stdout.splitlines()) if int(h) > 0),
                  reverse=True)[:args.top]
    print(f"searched every H < 2^30 with |d| >= {args.dmin} in {time.time() - t0:.0f} s; "
          f"largest errors (units 2^-126; ratio to PQ_FAST_ERR_PHI = 9 2^37 + 1):")
    for _, H, e in best:
        r = measured_ratio(H)
        assert abs(r - abs(e) / ERR_PHI) < 1e-9, (H, r, e)
        quads = ", ".join(hex(h) for h in (H, 2**31 - H, 2**31 + H, 2**32 - H))
        print(f"  H = {quads}: error {e / 2**37:+.4f} 2^37, ratio {r:.4f} (mpmath)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
