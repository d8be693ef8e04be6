"""Shared pieces of the error-analysis scripts (docs/error-analysis.md,
sections 2 and 3).

The oracle here is independent of the code under test: the radial term is the
spec's real definition in exact integer arithmetic, the sines come from
mpmath's ``mpf_sin_pi`` (exact reduction of the argument in turns) and the
hash from ``mmh3`` (or, without it, the pure-Python reference's
MurmurHash3).  Nothing here calls the C kernels.

Units: ``u = 2^-64``.  Fixed-point numbers are Python ints ``X`` standing for
``X / 2^prec``.
"""
import hashlib
import json
import os
import platform
import sys
import time

import numpy as np
from mpmath import libmp

from poincare_q64.vector_files import atomic_file

# Reports are documents and checkpoints working files, not part of the
# installed package: by default both go under validation/ of the current
# directory (run from a checkout's root, the committed reports).
REPORTS_DIR = os.path.join("validation", "reports")          # default --out-dir
CHECKPOINTS_DIR = os.path.join("validation", "checkpoints")  # default --checkpoint-dir

TWO64 = 1 << 64
TWO62 = 1 << 62
MASK32 = 0xFFFFFFFF

# Working precision of the oracle's factors.  Each factor is within 2 units of
# 2^-PREC (see the functions below), so the product g s phi (|g| <= 2,
# |s| <= 1, phi <= 1.1) is within 2^-PREC * (2 * 1.1 * 2 + 2 * 1.1 + 2 * 2 * 1)
# + O(2^-2 PREC) < 2^-(PREC - 4) of the exact value: 2^-124 u at PREC = 192.
PREC = 192


# --------------------------------------------------------------------------
# exact factors
# --------------------------------------------------------------------------

def radial_fixed(R, log2_c=0, eps=0, d_r=0, prec=PREC):
    """floor(g 2^prec) for the radial term of docs/spec.md, exactly.

    From the definition r = R/2^64, epsilon = E/2^64, r~ = r / (1 + epsilon r)
    and c = 2^log2_c: with D = 2^128 + E R (so r~ = R 2^64 / D and
    1 + epsilon r = D / 2^128) and B = c R^2 2^128,

        g  = 2 r~ / (1 + c r~^2)                        = R D 2^65 / (D^2 + B)
        g' = 2 (1 - c r~^2) / ((1 + c r~^2)^2 (1 + epsilon r)^2)
                                                       = (D^2 - B) 2^257 / (D^2 + B)^2

    Both sides are multiplied by 2^4 so that B is an integer for
    log2_c >= -4.  Floor division: error in [0, 1) unit of 2^-prec.
    tests/test_validation_analysis.py checks it against a Fraction evaluation
    of the definition itself.
    """
    R, E = int(R), int(eps)
    D = (1 << 128) + E * R
    D2 = D * D << 4
    B = R * R << (128 + 4 + log2_c)
    if d_r == 0:
        num, den = (R * D) << (65 + 4), D2 + B
    else:
        num, den = (D2 - B) << (257 + 4), (D2 + B) ** 2
    return (num << prec) // den


def radial_fraction(R, log2_c=0, eps=0, d_r=0):
    """The radial term straight from the definition, as a Fraction (slow;
    used to test radial_fixed)."""
    from fractions import Fraction
    r = Fraction(int(R), TWO64)
    e = Fraction(int(eps), TWO64)
    c = Fraction(2) ** log2_c
    rt = r / (1 + e * r)
    if d_r == 0:
        return 2 * rt / (1 + c * rt * rt)
    return 2 * (1 - c * rt * rt) / ((1 + c * rt * rt) ** 2 * (1 + e * r) ** 2)


def sin_turns_fixed(T, bits, prec=PREC):
    """floor(sin(2 pi T / 2^bits) 2^prec), within 2 units.

    sin(2 pi T / 2^bits) = sin(pi x) with x = T / 2^(bits-1) exact, and
    mpf_sin_pi reduces x exactly, so the only error is mpmath's final rounding
    at prec + 16 bits (a few ulps there) plus the floor."""
    v = libmp.mpf_sin_pi(libmp.from_man_exp(int(T), -(bits - 1)), prec + 16)
    return libmp.to_fixed(v, prec)


def phi_fixed(H, prec=PREC):
    """phi = 1 + sin(2 pi H / 2^32) / 10 as floor(phi 2^prec), within 2 units."""
    return (1 << prec) + sin_turns_fixed(H, 32, prec) // 10


def reduced_angle(T, rot=0, d_theta=0):
    """T' = (T + rot 2^60 + d_theta 2^62) mod 2^64 (exact, as in the spec)."""
    return (int(T) + int(rot) * (1 << 60) + int(d_theta) * TWO62) % TWO64


try:  # mmh3 is the fast independent hash; the reference's is the fallback
    import mmh3 as _mmh3

    def spatial_hash(i, j):
        """MurmurHash3_x86_32(LE32(i) || LE32(j), seed 0), unsigned."""
        return _mmh3.hash(int(i).to_bytes(4, "little") + int(j).to_bytes(4, "little"),
                          0, signed=False)
except ImportError:  # pragma: no cover - depends on the environment
    def spatial_hash(i, j):
        """MurmurHash3_x86_32(LE32(i) || LE32(j), seed 0), unsigned."""
        from poincare_q64 import reference
        return int(reference.spatial_hash(int(i), int(j)))


def exact_factors(R, T, i, j, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0, prec=PREC):
    """(G, S, PHI): floor(g 2^prec), floor(s 2^prec), floor(phi 2^prec)."""
    G = radial_fixed(R, log2_c, eps, d_r, prec)
    S = sin_turns_fixed(reduced_angle(T, rot, d_theta), 64, prec)
    PHI = phi_fixed(spatial_hash(i, j), prec)
    return G, S, PHI


def f_scaled(G, S, PHI, q=64, prec=PREC):
    """f 2^(64 + q) as an integer (floor), from fixed-point factors.

    The error in units of 2^-64 is below 2^-(prec - 4 - 64) + 2^-q, i.e.
    about 2^-64 units for the defaults: far below anything measured."""
    return (G * S * PHI) >> (3 * prec - 64 - q)


# --------------------------------------------------------------------------
# runs: checkpoints, timing, reports
# --------------------------------------------------------------------------

def params_key(params):
    """A short stable name for a run's parameters (checkpoint directory)."""
    blob = json.dumps(params, sort_keys=True).encode()
    return hashlib.sha1(blob).hexdigest()[:12]


def checkpoint_dir(root, name, params):
    """root/name/<key of params>, created, with root holding a .gitignore
    of "*" so that checkpoints never reach git whatever the repository's
    own .gitignore says."""
    os.makedirs(root, exist_ok=True)
    ign = os.path.join(root, ".gitignore")
    if not os.path.exists(ign):
        with open(ign, "w") as fh:
            fh.write("*\n")
    path = os.path.join(root, name, params_key(params))
    os.makedirs(path, exist_ok=True)
    return path


def chunk_done(path):
    """True if path is a complete chunk (a damaged file, e.g. after a full
    disk, is redone rather than trusted)."""
    if not os.path.exists(path):
        return False
    try:
        with np.load(path) as z:
            float(z["elapsed"])
        return True
    except Exception:
        return False


def save_npz_atomic(path, **arrays):
    """Write an .npz so that a stopped run never leaves a half-written chunk."""
    with atomic_file(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def environment_line():
    import mpmath
    import poincare_q64
    return (f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"mpmath {mpmath.__version__} (backend {libmp.BACKEND}), "
            f"poincare_q64 {poincare_q64.__version__}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs")


def command_line(module, argv):
    args = " ".join(argv)
    return f"python -m {module}" + (f" {args}" if args else "")


def md_table(header, rows):
    """A GitHub Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(x) for x in r) + " |")
    return "\n".join(out)


def fmt(x, digits=4):
    """Numbers for tables: fixed point for moderate values, else scientific."""
    if x is None:
        return "-"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return str(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e6:
        return f"{x:.{digits}g}"
    return f"{x:.{max(digits - 1, 1)}e}"


class Timer:
    def __init__(self):
        self.t0 = time.time()

    def elapsed(self):
        return time.time() - self.t0


def progress(iterable=None, **kw):
    """tqdm on stderr (disabled when stderr is not a terminal and
    PQ_NO_PROGRESS is set, e.g. in tests)."""
    from tqdm import tqdm
    kw.setdefault("file", sys.stderr)
    kw.setdefault("disable", bool(os.environ.get("PQ_NO_PROGRESS")))
    kw.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kw)
