"""Search for hard-to-round inputs and write poincare_q64/data/worst_cases/*.txt.

Usage (from anywhere; about 80 seconds)::

    python tests/data/find_worst_cases.py            # rewrites the files
    python tests/data/find_worst_cases.py -n 20000 --seed 2 --keep 4 -o /tmp/wc

The files hold *inputs only* (docs/vectors.md, "Worst-case files"): each line
is an output format and the inputs of one vector, whose exact value lies very
close to a rounding midpoint of that format, with the signed distance in
ulps as a note.  ``poincare-q64 gen --level 2`` and ``tests/data/
make_vectors.py`` add them to the vectors; the expected results are always
computed when the vectors are made (by the kernels or by the reference),
never stored here.  The validation campaign extends these files.

How the candidates are found (all deterministic for a seed):

* random search, every rounding function: inputs drawn like ``gen``'s random
  inputs (:func:`poincare_q64.inputs.random_input`); the value is
  computed independently of both the kernels and the reference's Ziv loop,
  with mpmath at 200 bits (radial exactly, with Fractions), and the distance
  ``value * scale - (k + 1/2)`` to the nearest midpoint is measured for
  object/64, int64/62, float64 and float32.  The ``--keep`` closest per
  format are kept.  With N candidates the best distance is about 1/(2N)
  ulp.
* continued fractions, angular and rbe: for a small reduced angle T',
  ``s 2^n`` is ``beta T'`` with ``beta = 2 pi 2^(n-64)``, up to a cubic
  term, so ``s 2^n`` is near a midpoint ``k + 1/2`` exactly when ``q = T'``
  makes ``2 beta q`` near an odd integer.  The convergents and
  semiconvergents ``p/q`` of ``2 beta`` with odd ``p`` give distances near
  ``1/(2q)`` ulp, far smaller than random search reaches.  Each is measured
  exactly like the random ones; the ``keep // 2`` best are then written at
  four placements (``T = T' - rot 2^60 - d_theta 2^62`` and the mirrored
  angles, one per d_theta), so that the reduction is exercised too.  rbe
  inherits them through ``R = 2^63``, ``c = 4`` (``g = 1/2`` exactly) and an
  index pair with ``phi = 1``, which make ``f = s / 2``.
* exact ties, rbe_pipeline: its value ``P2 / 2^64`` is a dyadic rational, so
  ties do occur.  Candidates are screened with the compiled kernels
  (``rbe_pipeline`` at object/64 *is* P2); the test suite confirms every
  tie with the reference.
"""
import argparse
import math
import sys
from fractions import Fraction
from pathlib import Path

from mpmath import libmp

# Run as a script, it belongs to the source tree: use the package beside it,
# whether or not one is installed.  Imported (by the tests), it uses the
# package the importer has.
ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__" and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import poincare_q64 as pq  # noqa: E402
from poincare_q64 import conformance as C  # noqa: E402
from poincare_q64 import inputs as I  # noqa: E402
from poincare_q64 import reference as ref  # noqa: E402
from poincare_q64 import vector_files  # noqa: E402
from poincare_q64 import vectors as V  # noqa: E402

PREC = 200
FORMATS = (V.VectorFormat("object", 64), V.VectorFormat("int64", 62),
           V.VectorFormat("float64"), V.VectorFormat("float32"))
_FLOAT = {"float64": (53, -1022), "float32": (24, -126)}
# package data: gen --level 2 of an installed package reads them
OUT_DIR = (Path(__file__).resolve().parent.parent.parent / "poincare_q64"
           / "data" / "worst_cases")
_PI = libmp.mpf_pi(PREC + 40)


# --------------------------------------------------------------------------
# Values (mpmath, independent of the kernels and of the reference's loop)
# --------------------------------------------------------------------------

def _frac_of(x):
    sign, man, exp, _ = x
    v = Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)
    return -v if sign else v


def sin_turns64(t):
    """sin(2 pi t / 2^64) to about PREC bits, as a Fraction.

    The reduction to [0, pi/2] is exact integer arithmetic, so the relative
    error stays at 2^-PREC even for tiny results.
    """
    t %= 1 << 64
    neg = t >= 1 << 63
    v = t - (1 << 63) if neg else t
    if v > 1 << 62:
        v = (1 << 63) - v
    if v == 0:
        return Fraction(0)
    x = libmp.mpf_mul(_PI, libmp.from_man_exp(v, -63), PREC + 20)
    s = _frac_of(libmp.mpf_sin(x, PREC))
    return -s if neg else s


def angular_value(T, rot, d_theta):
    return sin_turns64(T + (rot << 60) + (d_theta << 62))


def modulation_value(i, j):
    return 1 + sin_turns64(ref.spatial_hash(i, j) << 32) / 10


def rbe_value(R, T, i, j, log2_c, eps, d_r, rot, d_theta):
    g = ref.radial_exact(R, log2_c=log2_c, eps=eps, d_r=d_r)
    if g == 0:
        return Fraction(0)
    return g * angular_value(T, rot, d_theta) * modulation_value(i, j)


def seed64_value(word, i, j, eps):
    f = ref.unpack_seed64(word)
    return rbe_value(f.r << 44, f.theta << 40, i, j, f.log2_c, eps, f.d_r,
                     f.rot, f.d_theta)


VALUE = {
    "radial": lambda R, c, e, d: ref.radial_exact(R, log2_c=c, eps=e, d_r=d),
    "angular": angular_value,
    "modulation": modulation_value,
    "rbe": rbe_value,
    "seed64": seed64_value,
}


def distance(v, fmt):
    """``v * scale - (k + 1/2)`` for the nearest midpoint, in ulps.

    In [-1/2, 1/2): 0 is a tie, +-1/2 a representable value.  None for a
    zero value or an int64 result that does not fit.
    """
    if v == 0:
        return None
    if fmt.kind in ("int64", "object"):
        y = v * (1 << fmt.frac)
        if fmt.kind == "int64" and not -(1 << 63) <= round(y) < 1 << 63:
            return None
    else:
        p, emin = _FLOAT[fmt.kind]
        a = abs(v)
        e = a.numerator.bit_length() - a.denominator.bit_length()
        if Fraction(2) ** e > a:
            e -= 1
        y = a / Fraction(2) ** (max(e, emin) - (p - 1))
    return y - math.floor(y) - Fraction(1, 2)


def note(d):
    if d == 0:
        return "tie"
    return f"{'+' if d > 0 else '-'}2^{math.log2(abs(d)):.1f} ulp"


class Best:
    """The ``keep`` candidates closest to a midpoint, per format."""

    def __init__(self, keep):
        self.keep = keep
        self.found = {fmt: {} for fmt in FORMATS}

    def offer(self, inputs, value):
        for fmt in FORMATS:
            d = distance(value, fmt)
            if d is None:
                continue
            table = self.found[fmt]
            table[inputs] = d
            if len(table) > self.keep:
                # Drop the farthest; ties in |d| by inputs (determinism).
                worst = max(table, key=lambda k: (abs(table[k]), k))
                del table[worst]

    def lines(self, function, expand=None):
        """Worst-case lines, closest first per format.

        ``expand(inputs)`` optionally replaces each kept input by several
        (whose distances are measured again for their notes).
        """
        out = []
        for fmt in FORMATS:
            table = self.found[fmt]
            for inputs in sorted(table, key=lambda k: (abs(table[k]), k)):
                if expand is None:
                    out.append(V.format_worst_case(function, fmt, inputs,
                                                   note(table[inputs])))
                    continue
                for x in expand(inputs):
                    d = distance(VALUE[function](*x), fmt)
                    out.append(V.format_worst_case(function, fmt, x, note(d)))
        return out


# --------------------------------------------------------------------------
# Continued fractions (angular, rbe)
# --------------------------------------------------------------------------

def odd_approximations(alpha_num, alpha_den, qmax):
    """q <= qmax whose multiple ``alpha q`` is within 1/q of an odd integer.

    Convergents and semiconvergents p/q of alpha = alpha_num/alpha_den
    (a Fraction approximating an irrational to far more bits than q has)
    with p odd.
    """
    out = []
    a, b = alpha_num, alpha_den
    p0, q0, p1, q1 = 0, 1, 1, 0
    while b:
        k, r = divmod(a, b)
        # (p0 + m p1) / (q0 + m q1): the semiconvergents for
        # ceil(k/2) <= m < k (the others are no better than the previous
        # convergent), then the convergent m = k.  On the first step q1 = 0
        # and only the convergent k/1 counts; the range of m is cut at
        # qmax, since k can be huge (alpha = pi 2^51 has k ~ 2^52.5).
        lo = k if q1 == 0 else max(1, (k + 1) // 2)
        hi = k if q1 == 0 else min(k, (qmax - q0) // q1)
        for m in range(lo, hi + 1):
            p, q = p0 + m * p1, q0 + m * q1
            if p % 2:
                out.append(q)
        if q0 + k * q1 > qmax:
            return out
        p0, q0, p1, q1 = p1, q1, p0 + k * p1, q0 + k * q1
        a, b = b, r
    return out


def _pi_fraction(bits):
    return _frac_of(libmp.mpf_pi(bits))


def angle_candidates():
    """Reduced angles T' (small) that make s nearly a midpoint.

    frac n: s 2^n ~ 2 pi T' 2^(n-64), so 2 beta = pi 2^(n-62) for n = 61
    .. 64 (61 and 63 serve rbe at frac 62 and 64, where f = s/2).  Floats:
    s / ulp = 2 pi T' 2^(p-1-L) for 2 pi T' in [2^L, 2^(L+1)), so each
    binade L gives its own slope, 2 beta = pi 2^(p+1-L).  The cubic term
    (2 pi T')^3 / 6 stays below the target distance only while T' is
    small; measuring each candidate exactly sorts the good ones out.
    """
    pi = _pi_fraction(400)
    qs = set()
    for n in (61, 62, 63, 64):
        two_beta = pi * Fraction(2) ** (n - 62)
        qs.update(odd_approximations(two_beta.numerator, two_beta.denominator,
                                     1 << 30))
    for p, lmax in ((53, 27), (24, 52)):
        for L in range(3, lmax):
            two_beta = pi * Fraction(2) ** (p + 1 - L)
            lo = math.ceil(Fraction(2) ** L / (2 * pi))
            hi = math.floor(Fraction(2) ** (L + 1) / (2 * pi))
            qs.update(q for q in odd_approximations(
                two_beta.numerator, two_beta.denominator, hi) if q >= lo)
    return sorted(qs)


def placements(q):
    """Angles T and (rot, d_theta) with sin(T') = +-sin(2 pi q / 2^64)."""
    out = []
    for k, (rot, d_theta) in enumerate(((0, 0), (3, 1), (8, 2), (13, 3))):
        base = (q, (1 << 63) - q, (1 << 63) + q, (1 << 64) - q)[k]
        out.append(((base - (rot << 60) - (d_theta << 62)) % (1 << 64), rot,
                    d_theta))
    return out


# --------------------------------------------------------------------------
# The searches
# --------------------------------------------------------------------------

def search_random(function, n, seed, keep):
    best = Best(keep)
    b = I.RandomBits(seed)
    value = VALUE[function]
    for _ in range(n):
        inputs = I.random_input(function, b)
        best.offer(inputs, value(*inputs))
    return best


def search_angles(function, keep):
    """Continued-fraction candidates of angular, or of rbe with f = s/2.

    Returns the worst-case lines: the ``keep // 2`` best T' per format,
    each at its four placements.
    """
    best = Best(max(1, keep // 2))
    H0 = C._hash_pairs()[0]  # H = 0: phi = 1 exactly

    def inputs_at(T, rot, d_theta):
        if function == "angular":
            return (T, rot, d_theta)
        # R = 2^63, c = 4: g = 1/2 exactly; phi = 1.
        return (1 << 63, T, H0[0], H0[1], 2, 0, 0, rot, d_theta)

    def expand(inputs):
        q = inputs[0] if function == "angular" else inputs[1]
        return [inputs_at(*p) for p in placements(q)]

    for q in angle_candidates():
        inputs = inputs_at(q, 0, 0)
        best.offer(inputs, VALUE[function](*inputs))
    return best.lines(function, expand)


def pipeline_ties(n, seed, keep):
    """rbe_pipeline inputs whose P2 / 2^64 is a midpoint of a format."""
    b = I.RandomBits(seed)
    inputs = [I.random_input("rbe_pipeline", b) for _ in range(n)]
    pos, kw = C._call_args("rbe_pipeline", inputs)
    P2 = pq.rbe_pipeline(*pos, **kw, frac=64, dtype=object).tolist()
    lines = []
    for fmt in FORMATS[1:]:
        found = []
        for v, p2 in zip(inputs, P2):
            a = abs(p2)
            if fmt.kind == "int64":
                tie = p2 % 4 == 2 and abs(p2 >> 2) < 1 << 62
            else:
                p = _FLOAT[fmt.kind][0]
                extra = a.bit_length() - p
                tie = extra > 0 and a & ((1 << extra) - 1) == 1 << (extra - 1)
            if tie:
                found.append(v)
            if len(found) == keep:
                break
        lines += [V.format_worst_case("rbe_pipeline", fmt, v, "tie")
                  for v in found]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=40000,
                        help="random candidates per function")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", type=int, default=6,
                        help="cases kept per function, format and search")
    parser.add_argument("-o", dest="out_dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    for function in ("radial", "angular", "modulation", "rbe", "seed64",
                     "rbe_pipeline"):
        lines = [V.worst_case_header(function),
                 f"# made by tests/data/find_worst_cases.py -n {args.n} "
                 f"--seed {args.seed} --keep {args.keep}",
                 "# <format> <inputs>  # value * scale - midpoint, in ulps"]
        if function == "rbe_pipeline":
            lines += pipeline_ties(20 * args.n, args.seed, args.keep)
        else:
            lines += ["# random search"]
            lines += search_random(function, args.n, args.seed,
                                   args.keep).lines(function)
            if function in ("angular", "rbe"):
                lines += ["# continued fractions"]
                lines += search_angles(function, args.keep)
        vector_files.write_atomic(args.out_dir / f"{function}.txt", lines)
        print(f"{function}: {sum(not x.startswith('#') for x in lines)} "
              "cases", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
