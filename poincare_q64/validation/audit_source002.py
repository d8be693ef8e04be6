"""Source 002's other decoder, w_ij = J(c, r) Phi(theta + theta_ij + rho) Psi(c r).

Source 002 (section 3.2) writes the weight as

    w_ij = J(c, r) * Phi_phi(theta + theta_ij + rho) * Psi_phi(c r),
    J(c, r) = (1 - c r^2)^-2  ("Jacobian"),

with Phi and Psi "the selected angular / radial basis functions", which it
never defines (nor theta_ij or rho).  Its printed test log (a Rust crate's
``cargo test`` output) gives

    c = 2, r = 0.8:  "Jacobian in code: 3.5714273"
    r = 0.5, theta = 1.5707964, c = 1, (i, j) = (15, 15) -> (x, y) = (0, 0):
        "Computed weight: 0.69479495", "Expected weight: 0.6947937"

and decodes the packed word 0x7FFFF800000AFB6A to ``r: 0.49999952``,
``theta: 3.1415932``.  Rust prints an f32 as the shortest decimal that reads
back to the same f32, so each printed figure names exactly one float32.

This module evaluates J as written (mpmath), then a fixed, stated family of
other readings in float32 arithmetic (as a Rust f32 program computes them)
and lists every reading that reproduces a printed figure to within
``ULPS`` float32 ulps.  The family is small and fixed in advance, so a
chance hit is unlikely (the chance is stated in the report).
"""
import itertools
import math

import mpmath
import numpy as np

F = np.float32
ULPS = 2       # libm sinh/tanh of two f32 programs may differ by an ulp

PRINTED = {
    "jacobian": "3.5714273",
    "computed weight": "0.69479495",
    "expected weight": "0.6947937",
    "decoded r of field 0x7FFFF": "0.49999952",
    "decoded theta of field 0x800000": "3.1415932",
}
JACOBIAN_INPUTS = dict(c=2.0, r=0.8)
WEIGHT_INPUTS = dict(c=1.0, r=0.5, theta="1.5707964", i=15, j=15)


def f32_ulp(x):
    x = F(abs(float(x)))
    return float(np.spacing(x))


def within_ulps(value, printed, ulps=ULPS):
    """True if the float32 ``value`` is within ``ulps`` f32 ulps of the f32
    that the decimal string ``printed`` names."""
    target = F(printed)
    v = F(value)
    if not np.isfinite(v):
        return False
    return abs(float(v) - float(target)) <= ulps * f32_ulp(target)


# --------------------------------------------------------------------------
# readings of J(c, r)
# --------------------------------------------------------------------------

# (name, float32 evaluation, exact mpmath evaluation); c and r are float32
# inside the f32 functions, mpf in the exact ones.
J_READINGS = (
    ("(1 - c r^2)^-2, as written",
     lambda c, r: F(1) / ((F(1) - c * r * r) * (F(1) - c * r * r)),
     lambda c, r: (1 - c * r * r) ** -2),
    ("(1 - c r^2)^-1",
     lambda c, r: F(1) / (F(1) - c * r * r),
     lambda c, r: (1 - c * r * r) ** -1),
    ("|1 - c r^2|^-1 (the square root of the written J)",
     lambda c, r: F(1) / abs(F(1) - c * r * r),
     lambda c, r: 1 / abs(1 - c * r * r)),
    ("2 / (1 - c r^2), the conformal factor of 002's metric",
     lambda c, r: F(2) / (F(1) - c * r * r),
     lambda c, r: 2 / (1 - c * r * r)),
    ("4 / (1 - c r^2)^2, 002's metric ds^2 / dx^2",
     lambda c, r: F(4) / ((F(1) - c * r * r) * (F(1) - c * r * r)),
     lambda c, r: 4 / (1 - c * r * r) ** 2),
    ("(1 - r^2)^-2 (c left out)",
     lambda c, r: F(1) / ((F(1) - r * r) * (F(1) - r * r)),
     lambda c, r: (1 - r * r) ** -2),
    ("(1 - c r)^-2",
     lambda c, r: F(1) / ((F(1) - c * r) * (F(1) - c * r)),
     lambda c, r: (1 - c * r) ** -2),
    ("(1 + c r^2)^-2",
     lambda c, r: F(1) / ((F(1) + c * r * r) * (F(1) + c * r * r)),
     lambda c, r: (1 + c * r * r) ** -2),
    ("(1 - r^2 / c)^-2",
     lambda c, r: F(1) / ((F(1) - r * r / c) * (F(1) - r * r / c)),
     lambda c, r: (1 - r * r / c) ** -2),
    ("(1 - (c r)^2)^-2",
     lambda c, r: F(1) / ((F(1) - c * c * r * r) * (F(1) - c * c * r * r)),
     lambda c, r: (1 - c * c * r * r) ** -2),
)

# Angular bases: the source's derivative cycle sin -> cos -> -sin -> -cos.
PHI_READINGS = (
    ("sin", np.sin), ("cos", np.cos),
    ("-sin", lambda x: -np.sin(x)), ("-cos", lambda x: -np.cos(x)),
)

# Radial bases Psi(x), x = c r: the usual elementary functions, the ones
# the log's test names (sech, a triangle wave) and 000's own radial term.
PSI_READINGS = (
    ("x", lambda x: x),
    ("sin x", np.sin), ("cos x", np.cos),
    ("tanh x", np.tanh), ("sech x", lambda x: F(1) / np.cosh(x)),
    ("sech^2 x", lambda x: F(1) / (np.cosh(x) * np.cosh(x))),
    ("sinh x", np.sinh), ("cosh x", np.cosh),
    ("exp x", np.exp), ("exp -x", lambda x: np.exp(-x)),
    ("atanh x", np.arctanh),
    ("2x / (1 + x^2), 000's g", lambda x: F(2) * x / (F(1) + x * x)),
    ("x / (1 - x^2)", lambda x: x / (F(1) - x * x)),
    ("1 - |2x - 1| (a triangle wave)", lambda x: F(1) - abs(F(2) * x - F(1))),
    ("1", lambda x: F(1)),
)


def seed_r_roundtrip(r):
    """r through the log's 20-bit field as its decoder reads it (the field
    over 2^20 - 1: see decode_readings)."""
    return F(F(round(float(r) * ((1 << 20) - 1))) / F((1 << 20) - 1))


def decode_readings():
    """The decoded r and theta of the log's unpacking test, under the
    package's reading (field / 2^20, field / 2^24 turns) and over 2^k - 1."""
    rf, tf = 0x7FFFF, 0x800000
    rows = []
    for name, rd, td in (("field / 2^k (the package)", 1 << 20, 1 << 24),
                         ("field / (2^k - 1)", (1 << 20) - 1, (1 << 24) - 1)):
        r = F(F(rf) / F(rd))
        th = F(F(tf) / F(td)) * F(2 * math.pi)
        rows.append(dict(reading=name, r=r, theta=th,
                         r_ok=within_ulps(r, PRINTED["decoded r of field 0x7FFFF"], 0),
                         theta_ok=within_ulps(th, PRINTED["decoded theta of field 0x800000"], 0)))
    return rows


def jacobian_study():
    """J at the log's c = 2, r = 0.8 for every reading: exact (mpmath, 30
    digits), float32, and whether the float32 is the printed one."""
    c, r = JACOBIAN_INPUTS["c"], JACOBIAN_INPUTS["r"]
    rows = []
    with mpmath.workdps(30):
        for name, f32, exact in J_READINGS:
            v = exact(mpmath.mpf(c), mpmath.mpf("0.8"))
            with np.errstate(all="ignore"):
                w = f32(F(c), F(r))
            rows.append(dict(reading=name, exact=mpmath.nstr(v, 12), f32=w,
                             match=within_ulps(w, PRINTED["jacobian"], 0)))
    return rows


def weight_study():
    """Every reading J x Phi x Psi at the log's weight test, with r exact and
    through the seed's 20-bit field.  theta_ij = 0 (the log maps (15, 15) to
    (x, y) = (0, 0), whose angle atan2(0, 0) is 0) and rho = 0 (no rotation
    stated).  Returns (rows matching a printed weight, number of readings)."""
    c = F(WEIGHT_INPUTS["c"])
    theta = F(WEIGHT_INPUTS["theta"])
    hits, count = [], 0
    for (jn, jf, _), (pn, pf), (sn, sf), (rn, r) in itertools.product(
            J_READINGS, PHI_READINGS, PSI_READINGS,
            (("r = 0.5", F(0.5)), ("r through the 20-bit field", seed_r_roundtrip(0.5)))):
        count += 1
        with np.errstate(all="ignore"):
            w = F(jf(c, r) * F(pf(theta)) * F(sf(c * r)))
        for key in ("computed weight", "expected weight"):
            if within_ulps(w, PRINTED[key]):
                hits.append(dict(target=key, J=jn, Phi=pn, Psi=sn, r=rn, value=w,
                                 ulps=(float(w) - float(F(PRINTED[key]))) / f32_ulp(F(PRINTED[key]))))
    return hits, count


def package_values():
    """000's f (the package, correctly rounded) at the log's inputs."""
    import poincare_q64 as pq
    R8 = pq.to_q64(0.8)
    R5 = pq.to_q64(0.5)
    T = pq.turns(float(F(WEIGHT_INPUTS["theta"])))
    i, j = WEIGHT_INPUTS["i"], WEIGHT_INPUTS["j"]
    return {
        "g(0.8), c = 2": float(pq.radial(R8, log2_c=1, dtype=np.float64)),
        "g'(0.8), c = 2": float(pq.radial(R8, log2_c=1, d_r=1, dtype=np.float64)),
        "phi(15, 15)": float(pq.modulation(i, j, dtype=np.float64)),
        "f(0.5, 1.5707964, 15, 15), c = 1": float(pq.rbe(R5, T, i, j, dtype=np.float64)),
        "f(0.5, pi/2 exactly, 15, 15), c = 1": float(pq.rbe(R5, 1 << 62, i, j, dtype=np.float64)),
    }


def chance_of_a_hit(count, span=10.0, ulps=ULPS, target="0.69479495"):
    """Expected number of readings landing within ``ulps`` of a printed
    figure by chance, if their values were spread uniformly over an interval
    of width ``span``."""
    return count * (2 * ulps + 1) * f32_ulp(F(target)) / span


def study():
    hits, count = weight_study()
    return dict(jacobian=jacobian_study(), weight_hits=hits, weight_count=count,
                decode=decode_readings(), package=package_values(),
                chance=chance_of_a_hit(count))
