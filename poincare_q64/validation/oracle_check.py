"""The campaign's oracle checked against mpmath, on the campaign's own draws.

:func:`validate_oracle` draws inputs like the random family (hard spots
included) and compares every value of poincare_q64/validation/oracle.c with mpmath at
320 bits (radial exactly) against the oracle's stated error bound, and
every rounding the oracle decides with the rounding of the mpmath value.
``python -m poincare_q64.validation.campaign --validate-oracle N`` runs it and
poincare_q64.validation.campaign_report writes the result into the report.
"""
import math
import sys

import numpy as np

from poincare_q64 import vectors as V
from poincare_q64.validation import campaign_exact as X
from poincare_q64.validation import oracle as O
from poincare_q64.validation.campaign_inputs import M64, input_tuple, make_inputs


def validate_oracle(n=2000, seed=7, progress=True):
    """Compare the quad oracle's values with mpmath (320 bits) on ``n``
    inputs per function drawn like the random family (hard spots included),
    and its rounded results with the exactly rounded mpmath values.

    Returns a dict per function: max |error| in units of 2^-112, max
    error / stated bound (before SAFETY), and the number of rounded results
    (over the four formats) that disagree with mpmath (must be 0).
    """
    from fractions import Fraction
    from tqdm import tqdm
    import mpmath

    idx = np.arange(n, dtype=np.uint64)
    base = make_inputs("random", idx, seed)
    rad = make_inputs("radial", idx + np.uint64(1 << 24), seed)
    sets = {
        "radial": {k: np.concatenate([base[k], rad[k]])
                   for k in V.INPUTS["radial"]},
        "angular": {k: base[k] for k in V.INPUTS["angular"]},
        "modulation": {k: base[k] for k in V.INPUTS["modulation"]},
        "rbe": base,
    }
    out = {}
    for function, inputs in sets.items():
        values = O.evaluate(function, inputs)
        rounded = {f.name: O.round_values(values, f) for f in O.FORMATS}
        m = len(inputs[V.INPUTS[function][0]])
        max_units = max_ratio = 0.0
        disagree = checked = 0
        where = None
        for k in tqdm(range(m), desc=f"oracle vs mpmath: {function}",
                      file=sys.stderr, disable=not progress):
            inp = input_tuple(function, inputs, k)
            exact = X.value(function, inp)
            q = O.quad_to_fraction(values.v[k])
            if exact != 0:
                if isinstance(exact, Fraction):
                    rel = abs((q - exact) / exact)
                    units = float(rel * (1 << 112))
                else:
                    with mpmath.workprec(340):
                        qq = mpmath.mpf(q.numerator) / q.denominator
                        units = float(abs((qq - exact) / exact)
                                      * mpmath.mpf(2) ** 112)
                ratio = units / values.err[k] if values.err[k] else (
                    0.0 if units == 0 else math.inf)
                if ratio > max_ratio:
                    max_ratio, where = ratio, inp
                max_units = max(max_units, units)
            for fmt in O.FORMATS:
                r = rounded[fmt.name]
                if r.status[k] != O.R_DECIDED and r.status[k] != O.R_OVERFLOW:
                    continue
                checked += 1
                if isinstance(exact, Fraction):
                    ex = (X.round_ratio(exact.numerator, exact.denominator,
                                        fmt) if exact else (0, 0, False))
                    want = ex[0]
                else:
                    want = _round_mpf(exact, fmt)
                got = (int(r.hi[k]) << 64) | (int(r.lo[k]) & M64)
                if fmt.kind in ("float64", "float32"):
                    got = int(r.lo[k]) & (M64 if fmt.kind == "float64"
                                          else 0xFFFFFFFF)
                if got != want:
                    disagree += 1
        out[function] = dict(samples=m, max_error_units=max_units,
                             max_error_over_bound=max_ratio,
                             worst_input=list(where) if where else None,
                             rounded_checked=checked,
                             rounded_disagree=disagree)
    return out


def _round_mpf(x, fmt):
    """Round an mpf (far from a midpoint) into fmt: X or IEEE bits."""
    from fractions import Fraction
    sign, man, exp, _ = x._mpf_
    v = Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)
    if sign:
        v = -v
    return X.round_ratio(v.numerator, v.denominator, fmt)[0] if v else 0

