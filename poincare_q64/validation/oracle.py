"""The campaign's quad-precision oracle (poincare_q64/validation/oracle.c) from Python.

The oracle is a second, independently written evaluation of docs/spec.md's
functions in IEEE binary128 (``__float128``, libquadmath).  It shares no code
with the kernels under test (poincare_q64/src) nor with
:mod:`poincare_q64.reference`.  Each value comes with a relative error bound;
:func:`round_values` rounds to an output format and says, per element, whether
the bound decides the rounding.  Undecided elements and rational values that
binary128 cannot hold are resolved by :func:`poincare_q64.validation.campaign_exact.fallback`.

The C file is compiled on first use with ``gcc`` (``$CC`` overrides) into
``oracle-<hash>.so`` in :data:`BUILD_DIR`, a per-user cache directory
(``$XDG_CACHE_HOME/poincare_q64/oracle``, by default
``~/.cache/poincare_q64/oracle``; the hash covers the source, the compiler's
version and the flags, so a change rebuilds) and loaded with ctypes.  Workers
of a Dask cluster build their own copy the same way.

Error bounds (units of ``2^-112``, relative; u = 2^-113 is binary128's unit
roundoff, i.e. 0.5 units)
----------------------------------------------------------------------------
* ``pi/2`` is the hex literal nearest to pi/2: relative error 0.287 u.
* **sin** (``ERR_S = 1.12 + L``).  The reduction of T' to the first octant is
  exact integer arithmetic: ``|s| = sin(x)`` or ``cos(x)`` with
  ``x = pi/2 * w/2^62``, ``1 <= w <= 2^61``.  ``w 2^-62`` is exact, so
  ``x^ = fl(PI_2 * w 2^-62) = x (1 + a)(1 + b)`` with ``|a|, |b| <= u``:
  ``|x^ - x| <= x (2u + u^2)``.  For sin the effect on the result is at most
  ``|x^ - x| / sin(x) <= (x / sin x) 2u <= (pi/4)/sin(pi/4) * 1 unit = 1.111
  units`` (x/sin x grows on (0, pi/4]); for cos, ``|x^ - x| tan(x) <= 0.786
  units``.  libquadmath's sinq/cosq (glibc's ldbl-128 kernels) are assumed
  accurate to ``L = 2`` ulp, and an ulp of a result is at most 1 unit
  relative.  Total ``1.12 + L = 3.12`` units.  Exact cases (T' a multiple of
  2^62: s = 0, +-1) carry no error.
* **phi's sine** (``ERR_S_SIN_T = 2 ERR_S + 1 = 7.24``, ``ERR_S_COS_T =
  1.415 (2 ERR_S + 0.5) + 0.5 = 10.04``).  H has 32 bits: after the same
  exact reduction, ``x = pi/2 w'/2^30`` with ``w' = a 2^15 + b``, and
  ``sin x = sin x_a cos x_b + cos x_a sin x_b`` (both terms >= 0: the terms'
  relative error ``2 ERR_S + 0.5`` plus 0.5 for the sum), ``cos x = cos x_a
  cos x_b - sin x_a sin x_b`` (absolute error ``(2 ERR_S + 0.5) cos(x_a -
  x_b)``, and ``cos(x_a - x_b) / cos x <= 1/cos(pi/4) = 1.415``).  The four
  tables (2^14 + 1 and 2^15 entries) come from sinq/cosq once per process,
  each entry within ERR_S; a table lookup and two products cost a quarter
  of one sinq, which halves the time of the 2^32 sweep.
* **phi** (``ERR_PHI = 0.112 (e_s + 0.5) + 0.5 <= 1.68``, e_s the sine's
  bound).  ``t = fl(s^/10)`` adds 0.5 units to s's relative error;
  ``fl(1 + t)`` is off by ``|t| (e_s + 0.5)`` units (absolute, |t| <= 1/10)
  plus half an ulp of phi (at most 0.5 units relative); dividing the first
  by phi >= 0.9 gives the factor 0.112.  H a multiple of 2^30: phi = 1
  exactly, or 11/10, 9/10 (not binary128 numbers: those go to the fallback,
  and so does rbe when s is rational too).
* **g** (``ERR_G0 = 2.51``, ``ERR_G1 = 4.01``).  ``D = 2^128 + E R``,
  ``A = D^2``, ``B = R^2 2^(128 + log2_c)``, ``R D``, ``A + B`` and
  ``|A - B|`` are exact multiword integers; each is converted to binary128 by
  truncation to 113 bits (< 1 unit).  d_r = 0: ``g = R D 2^65 / (A + B)``:
  two conversions and a division, 2.5 units.  d_r = 1:
  ``g' = (A - B) 2^257 / (A + B)^2``: conversions of ``A - B`` (1) and
  ``A + B`` (squared: 2), the square (0.5) and the division (0.5): 4 units.
  A - B is formed exactly, so g' near its zero keeps its relative accuracy.
* **f** = ``fl(fl(g s) phi)``: ``ERR_G + ERR_S + ERR_PHI + 1.01`` (two
  products), at most ``4.01 + 3.12 + 1.68 + 1.01 = 9.82`` units
  (2^-108.7).  Second-order terms are below 2^-200 and are covered by the
  rounding-up of each constant.

The rounding test uses the bound times ``SAFETY = 16`` (and 1.01 for the
double-precision evaluation of the test itself): an element is decided when
its distance to the nearest midpoint, in the format's ulps, exceeds
``16 * err * 2^-112 * |y|``, y the value in those ulps.  At object/64, where
|y| reaches 2^65.1, that is about 2^-38 ulp: a random input is undecided with
probability ~2^-37.  tests/test_validation_campaign.py measures the actual
error against mpmath (the measured maxima are in
validation/reports/campaign.md).
"""
import ctypes
import hashlib
import os
import subprocess
import tempfile
import threading
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import numpy as np

from poincare_q64 import vectors as V

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "oracle.c"
# The installed package's directory may not be writable: compiled oracles
# are kept in the user's cache directory instead.
BUILD_DIR = (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
             / "poincare_q64" / "oracle")
# No -ffast-math: the error analysis needs IEEE binary128 operations.
CFLAGS = ["-O2", "-fPIC", "-shared", "-fno-fast-math", "-ffp-contract=off"]
LIBS = ["-lquadmath", "-lm"]

# Value flags and rounding status (oracle.c's enums).
V_APPROX, V_EXACT, V_RATIONAL = 0, 1, 2
R_DECIDED, R_UNDECIDED, R_FALLBACK, R_OVERFLOW = 0, 1, 2, 3
K_INT, K_FLOAT64, K_FLOAT32 = 0, 1, 2

# The formats the campaign checks by default (the random family adds an
# object/a and an int64/b per chunk).
FORMATS = (V.VectorFormat("object", 64), V.VectorFormat("int64", 62),
           V.VectorFormat("float64"), V.VectorFormat("float32"))

# Bounds as in oracle.c, units of 2^-112 (for reports and tests).
LIB_ULP = 2.0
ERR_S = 1.12 + LIB_ULP
ERR_S_SIN_T = 2 * ERR_S + 1.0                   # phi's sine, tables
ERR_S_COS_T = 1.415 * (2 * ERR_S + 0.5) + 0.5
ERR_PHI = 0.112 * (max(ERR_S_SIN_T, ERR_S_COS_T) + 0.5) + 0.5
ERR_G0, ERR_G1, ERR_PROD = 2.51, 4.01, 1.01
SAFETY = 16.0

_lib = None
_lock = threading.Lock()


def _compiler():
    return os.environ.get("CC", "gcc")


def library_path():
    """Where the compiled oracle for this source and compiler lives."""
    cc = _compiler()
    try:
        version = subprocess.run([cc, "--version"], capture_output=True,
                                 text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RuntimeError(f"the campaign oracle needs a C compiler with "
                           f"libquadmath ({cc!r} failed: {exc})") from None
    h = hashlib.sha256()
    for part in (SOURCE.read_bytes(), version.encode(),
                 " ".join(CFLAGS + LIBS).encode()):
        h.update(part)
        h.update(b"\0")
    return BUILD_DIR / f"oracle-{h.hexdigest()[:16]}.so"


def build():
    """Compile oracle.c if needed; return the shared library's path.

    The library is written to a temporary name and renamed into place, so
    processes that build at the same time never load a half-written file.
    """
    path = library_path()
    if path.exists():
        return path
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=BUILD_DIR)
    os.close(fd)
    try:
        cmd = [_compiler(), *CFLAGS, str(SOURCE), "-o", tmp, *LIBS]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError("compiling the campaign oracle failed:\n"
                               + " ".join(cmd) + "\n" + res.stderr)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _arr(dtype):
    return np.ctypeslib.ndpointer(dtype=dtype, flags="C_CONTIGUOUS")


def lib():
    """The loaded oracle (built and initialised on first use)."""
    if _lib is None:
        with _lock:                  # dask runs chunks in threads
            if _lib is None:
                _load()
    return _lib


def _load():
    global _lib
    so = ctypes.CDLL(str(build()))
    sz = ctypes.c_size_t
    q, d, u8 = _arr(np.uint64), _arr(np.float64), _arr(np.uint8)
    so.orc_hash.argtypes = [sz, _arr(np.uint32), _arr(np.uint32),
                            _arr(np.uint32)]
    so.orc_radial.argtypes = [sz, _arr(np.uint64), _arr(np.int8),
                              _arr(np.uint64), _arr(np.int8), q, d, u8]
    so.orc_angular.argtypes = [sz, _arr(np.uint64), _arr(np.int8),
                               _arr(np.int8), q, d, u8]
    so.orc_modulation.argtypes = [sz, _arr(np.uint32), _arr(np.uint32), q, d,
                                  u8, _arr(np.uint32)]
    so.orc_rbe.argtypes = [sz, _arr(np.uint64), _arr(np.uint64),
                           _arr(np.uint32), _arr(np.uint32), _arr(np.int8),
                           _arr(np.uint64), _arr(np.int8), _arr(np.int8),
                           _arr(np.int8), q, d, u8]
    so.orc_round.argtypes = [sz, q, d, u8, ctypes.c_int, ctypes.c_int,
                             ctypes.c_int, _arr(np.int64), _arr(np.int64), d,
                             u8]
    so.orc_safety.restype = ctypes.c_double
    so.orc_pi_2.argtypes = [q]
    if so.orc_safety() != SAFETY:
        raise RuntimeError("oracle.c and oracle.py disagree on SAFETY")
    so.orc_init()                    # phi's sine tables
    _lib = so


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------

class Values(NamedTuple):
    """Oracle values: binary128 ``v`` (n x 2 uint64 words, little-endian),
    relative bound ``err`` (units of 2^-112, before SAFETY), ``flag``."""
    v: np.ndarray
    err: np.ndarray
    flag: np.ndarray


def _empty_values(n):
    v = np.empty((n, 2), dtype=np.uint64)
    # __float128 loads may use aligned SSE moves; numpy's allocations are
    # 16-byte aligned, checked here rather than trusted.
    if v.ctypes.data % 16:
        raise RuntimeError("numpy returned a buffer not aligned to 16 bytes")
    return Values(v, np.empty(n, dtype=np.float64), np.empty(n, np.uint8))


def _c(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


def spatial_hash(i, j):
    """MurmurHash3_x86_32 of (i, j), oracle.c's own implementation."""
    i, j = _c(i, np.uint32), _c(j, np.uint32)
    out = np.empty(i.shape[0], dtype=np.uint32)
    lib().orc_hash(i.shape[0], i, j, out)
    return out


def radial(R, log2_c, eps, d_r):
    R = _c(R, np.uint64)
    n = R.shape[0]
    out = _empty_values(n)
    lib().orc_radial(n, R, _c(log2_c, np.int8), _c(eps, np.uint64),
                     _c(d_r, np.int8), *out)
    return out


def angular(T, rot, d_theta):
    T = _c(T, np.uint64)
    n = T.shape[0]
    out = _empty_values(n)
    lib().orc_angular(n, T, _c(rot, np.int8), _c(d_theta, np.int8), *out)
    return out


def modulation(i, j):
    """(Values, H): phi and the hash the oracle computed on the way."""
    i, j = _c(i, np.uint32), _c(j, np.uint32)
    n = i.shape[0]
    out = _empty_values(n)
    H = np.empty(n, dtype=np.uint32)
    lib().orc_modulation(n, i, j, *out, H)
    return out, H


def rbe(R, T, i, j, log2_c, eps, d_r, rot, d_theta):
    R = _c(R, np.uint64)
    n = R.shape[0]
    out = _empty_values(n)
    lib().orc_rbe(n, R, _c(T, np.uint64), _c(i, np.uint32),
                  _c(j, np.uint32), _c(log2_c, np.int8), _c(eps, np.uint64),
                  _c(d_r, np.int8), _c(rot, np.int8), _c(d_theta, np.int8),
                  *out)
    return out


def evaluate(function, inputs):
    """Oracle values of ``function`` ('radial', 'angular', 'modulation',
    'rbe') for a dict of input arrays named as in vectors.INPUTS."""
    if function == "modulation":
        return modulation(inputs["i"], inputs["j"])[0]
    fn = {"radial": radial, "angular": angular, "rbe": rbe}[function]
    return fn(**{k: inputs[k] for k in V.INPUTS[function]})


# --------------------------------------------------------------------------
# Rounding
# --------------------------------------------------------------------------

class Rounded(NamedTuple):
    """Rounded oracle results in one format.

    ``lo``, ``hi``: the integer X as a signed 128-bit (hi:lo) pair for the
    integer formats; the IEEE bits in ``lo`` (hi = 0) for the float ones.
    ``dist``: signed distance to the nearest midpoint in ulps (NaN for an
    exact zero or a fallback element).  ``status``: R_* per element.
    """
    lo: np.ndarray
    hi: np.ndarray
    dist: np.ndarray
    status: np.ndarray


def round_values(values, fmt):
    """Round oracle Values to a VectorFormat; see :class:`Rounded`."""
    n = values.err.shape[0]
    kind = {"int64": K_INT, "object": K_INT, "float64": K_FLOAT64,
            "float32": K_FLOAT32}[fmt.kind]
    out = Rounded(np.empty(n, np.int64), np.empty(n, np.int64),
                  np.empty(n, np.float64), np.empty(n, np.uint8))
    lib().orc_round(n, values.v, values.err, values.flag, kind,
                    fmt.frac or 0, int(fmt.kind == "int64"), *out)
    return out


# --------------------------------------------------------------------------
# binary128 -> exact Python numbers (tests, reports)
# --------------------------------------------------------------------------

def quad_to_fraction(words):
    """The exact value of one binary128 given as its two uint64 words."""
    bits = int(words[0]) | (int(words[1]) << 64)
    sign = bits >> 127
    exp = (bits >> 112) & 0x7FFF
    man = bits & ((1 << 112) - 1)
    if exp == 0x7FFF:
        raise ValueError("infinity or NaN")
    if exp == 0:
        value = Fraction(man, 1 << (112 + 16382))
    else:
        man |= 1 << 112
        e = exp - 16383 - 112
        value = Fraction(man << e) if e >= 0 else Fraction(man, 1 << -e)
    return -value if sign else value


def pi_2():
    """The oracle's pi/2 constant, exactly (as a Fraction)."""
    out = np.empty((1, 2), dtype=np.uint64)
    lib().orc_pi_2(out)
    return quad_to_fraction(out[0])
