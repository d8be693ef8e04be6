"""How close stage 1's sine comes to its error bound: a random search.

    python -m poincare_q64.validation.stage1_sin_search [--rows I ...] [--n N] [--tau-min X]
                                           [--seed S] [--sign -1|0|1]
    python -m poincare_q64.validation.stage1_sin_search --ceiling

Stage 1's |s| (docs/spec.md, "Stage 1") has, in units U = 2^-86, the error

    sum_k e_k tau^k - tau^2 (f_A + f_P5 + f_P6) - tau^4 f_B - f_tq
    - f_t2 q - (the series past tau^6)

where e_k is the table's rounding error of c_k (|e_k| <= 1/2), each f in
[0, 1) is what one floor drops and q = p / 2^62 (|q| <= 1.234).  It is
largest where |tau| is near 1, the coefficient errors of the row add up at
that end (sum_k e_k tau^k near -2.5 at tau = -1 or +1), the five floors
drop nearly a whole unit and t2's floor drops little.  An angle has 2^51
offsets per table point, too many to try them all as
poincare_q64/validation/stage1_phi_search.py does for the hash; this script ranks the
rows by sum_k e_k tau^k at tau = +-1 and draws N random offsets with
|tau| >= X at the chosen end of each of the best rows (``--rows`` picks
them by hand).  A C program (``stage1_sin_search.c``, compiled with ``cc``
against the package's table) repeats the kernel's integer steps to know each
floor's fraction; the best input of each row is then measured again through
``poincare_q64._testing.debug_approx`` (the kernel itself) against mpmath,
which must agree.

The default (the row 941 at tau near -1, where e_2..e_6 add up to -2.05,
the most of any row; 4 10^8 draws with |tau| >= 0.98, seed 1; 26 s of CPU)
finds T = 0x1d6401161a931d7d, 0.7655 of PQ_FAST_ERR_S = 9 2^41 units of
2^-127.  ``--rows --sign 0`` searches the --best rows of the ranking
instead.  ``--ceiling`` prints the most any input can reach, from the
decomposition with every floor dropping a whole unit: 0.7838 of the bound
for the sine, 0.7777 for phi's (whose largest, found by the exhaustive
search, is 0.7201).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import mpmath

import poincare_q64 as pq
from poincare_q64 import _testing

ERR_S = 9 << 41  # PQ_FAST_ERR_S (src/pq_internal.h), units 2^-127 = 2^-41 U
HERE = os.path.dirname(os.path.abspath(__file__))
N_ROWS = 2049


def taylor_terms(i, div, units):
    """Row i's Taylor coefficients c_k of tau -> sin(b_i + kappa tau) / div,
    k = 0 .. len(units) - 1, c_k in units 2^-units[k] (mpmath numbers at the
    working precision): the exact values PQ_FAST_POLY (div = 1) and
    PQ_FAST_POLY10 (div = 10) round."""
    two = mpmath.mpf(2)
    kappa = mpmath.pi / 2 / two**12
    b = mpmath.pi / 2 * i / 2048
    derivs = [mpmath.sin, mpmath.cos, lambda x: -mpmath.sin(x), lambda x: -mpmath.cos(x)]
    return [derivs[k % 4](b) * kappa**k / mpmath.factorial(k) / div * two**units[k]
            for k in range(len(units))]


def row_data(div=1, prec=256):
    """Per row: the rounding errors e_2..e_6 of PQ_FAST_POLY's c_k and the
    exact c_7..c_9, in units 2^-86 (div = 10: PQ_FAST_POLY10's, units
    2^-89)."""
    unit = 86 if div == 1 else 89
    rows = []
    with mpmath.workprec(prec):
        for i in range(N_ROWS):
            x = taylor_terms(i, div, [unit] * 10)
            rows.append([float(mpmath.nint(x[k]) - x[k]) for k in range(2, 7)]
                        + [float(v) for v in x[7:]])
    return rows


def ranked_rows(rows, count):
    """(row, sign of tau) with the most negative sum_k e_k tau^k at tau = +-1."""
    score = []
    for i, r in enumerate(rows):
        for s in (-1, 1):
            score.append((sum(r[k - 2] * s**k for k in range(2, 7)), i, s))
    return [(i, s) for _, i, s in sorted(score)[:count]]


def ceiling(rows, steps=4000):
    """The largest |error| any offset of any row can have, in the units of
    rows: the decomposition above with every floor dropping a whole unit
    (f_t2 q only lowers |error|, q being <= 0), maximised over rows and a
    grid of tau in [-1, 1] (the largest is at tau = +-1), and the error's
    positive side (coefficient errors and f_t2 |q| <= 1.234)."""
    taus = [-1 + 2 * m / steps for m in range(steps + 1)]
    neg = pos = 0.0
    for r in rows:
        for t in taus:
            poly = sum(r[k - 2] * t**k for k in range(2, 7))
            tail = sum(r[5 + j] * t**(7 + j) for j in range(3))
            neg = max(neg, -poly + tail + 3 * t * t + t**4 + 1)
            pos = max(pos, poly - tail + 1.234)
    return max(neg, pos)


def build(out_dir):
    inc = pq.get_include()
    exe = os.path.join(out_dir, "stage1_sin_search")
    subprocess.run([os.environ.get("CC", "cc"), "-std=gnu11", "-O2", "-I", inc, "-o", exe,
                    os.path.join(HERE, "stage1_sin_search.c"), os.path.join(inc, "pq_tables.c"),
                    "-lm"], check=True)
    return exe


def measured_ratio(T):
    """|exact - value| / PQ_FAST_ERR_S through the package's stage-1 hook,
    with the sine from mpmath (the check of tests/test_slow_path.py)."""
    neg, m, e, err = _testing.debug_approx(0, T, 1)
    assert err == ERR_S and e == -127
    with mpmath.workprec(400):
        exact = abs(mpmath.sin(2 * mpmath.pi * mpmath.mpf(T) / 2**64)) * mpmath.mpf(2)**127
        return float(abs(exact - m) / err)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="*", default=[941],
                    help="table rows to search (default 941); none: the best --best rows")
    ap.add_argument("--best", type=int, default=8, help="rows ranked when --rows is empty")
    ap.add_argument("--sign", type=int, default=-1, choices=(-1, 0, 1),
                    help="end of the interval (tau < 0, either, tau > 0; default -1)")
    ap.add_argument("--n", type=int, default=400_000_000, help="draws per row")
    ap.add_argument("--tau-min", type=float, default=0.98)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ceiling", action="store_true",
                    help="print the largest ratio any angle / hash value can reach, and stop")
    args = ap.parse_args(argv)
    rows = row_data()
    if args.ceiling:
        for name, r in (("sin", rows), ("phi", row_data(10))):
            c = ceiling(r, steps=200)
            print(f"{name}: |error| <= {c:.4f} units 2^-86 (2^-89), {c / 9:.4f} of its bound")
        return 0
    plan = ([(i, args.sign) for i in args.rows] if args.rows
            else ranked_rows(rows, args.best))
    data = "\n".join(" ".join(repr(v) for v in r) for r in rows) + "\n"
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        exe = build(tmp)
        for i, sign in plan:
            out = subprocess.run([exe, str(args.n), str(args.tau_min), str(args.seed), str(sign),
                                  str(i)], input=data, capture_output=True, text=True,
                                 check=True).stdout.split()
            found.append((abs(float(out[2])), int(out[0]), int(out[1]), float(out[2])))
    print(f"{args.n} draws per row, |tau| >= {args.tau_min}, seed {args.seed}; "
          "error of |s| in units 2^-86 and ratio to PQ_FAST_ERR_S = 9 2^41 units of 2^-127:")
    for _, i, d, E in sorted(found, reverse=True):
        T = (i << 51) + d  # quadrant 0; 2^63 - T, 2^63 + T, 2^64 - T give the same error
        r = measured_ratio(T)
        assert abs(r - abs(E) / 9) < 1e-6, (T, r, E)
        print(f"  row {i}, tau = {d / 2**50:+.5f}: T = {T:#x}, error {E:+.4f}, "
              f"ratio {r:.4f} (mpmath)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
