"""Correct-rounding campaign (issue 5, section 1), TestFloat / CORE-MATH style.

Checks the compiled kernels, through the public API of poincare_q64, against
an independent oracle on whole input families, and keeps the inputs closest
to a rounding midpoint as worst cases::

    python -m validation.campaign --family all                 # everything
    python -m validation.campaign --family phi --scheduler tcp://host:8786
    python -m validation.campaign --family random --n 1000000 --sample ...

Families (docs/spec.md's functions; each prints ``N tests passed,
M failure(s)``; a test is one element in one output format):

radial
    every 20-bit r field (R = r << 44) x log2_c -4..3 x d_r 0/1 with eps = 0
    (2^24 elements), plus ``--n`` random (R, eps != 0, log2_c, d_r).  The
    oracle is exact: g is a ratio of integers (validation.campaign_exact).
angular
    every 24-bit theta field.  T' = theta << 40 + rot << 60 + d_theta << 62 is
    always a multiple of 2^40, so the 2^24 values T' = theta' << 40 are all
    the angles the seed can express.  The oracle is evaluated once per T'
    and the kernel at all ``--combos`` (rot, d_theta) pairs (default all 64)
    whose T' it is: theta = theta' - rot 2^20 - d_theta 2^22 (mod 2^24).
phi
    modulation(0, j) for every j in [0, 2^32).  For a fixed i, j ->
    MurmurHash3_x86_32(LE32(i) || LE32(j)) is a bijection of 32-bit words
    (every step is: multiplication by an odd constant, rotation, xor with a
    value that does not depend on j, x -> x ^ (x >> k)), so the sweep meets
    every hash value H exactly once; the sum and the sum of squares of H
    over the sweep are checked against those of 0..2^32-1.  spatial_hash(0,
    j) is checked on the way (format uint32).
random
    ``--n`` (default 10^8) random rbe cases over all options (log2_c, eps
    with half of them 0, d_r, rot, d_theta; R, T drawn partly near the hard
    spots: small angles next to quarter turns, the zero of g', tiny and large
    R), in the four formats plus object/a and int64/b with a, b varying per
    chunk.

The oracle (validation/oracle.c, binary128 with stated error bounds; exact
for radial) decides almost every rounding; the rest goes to
validation.campaign_exact.fallback.  Work is split into chunks; each finished
chunk is a JSON checkpoint under ``--checkpoint-dir`` (rerunning skips done
chunks; ``--fresh`` starts over).  Chunks run on local processes (all
cores, one kernel thread each), or with ``--scheduler ADDRESS`` on a
dask.distributed cluster.  Its scheduler and workers must import this
repository (the scheduler unpickles the tasks too), with poincare_q64 built
in place and gcc with libquadmath on the workers, e.g. from the repository
root on each machine::

    PYTHONPATH=$PWD dask scheduler
    PYTHONPATH=$PWD OMP_NUM_THREADS=1 dask worker tcp://HOST:8786 \
        --nworkers $(nproc) --nthreads 1

Results: ``--report-dir`` (default validation/reports) gets campaign.md,
campaign_distances.png and campaign/<family>.json.  ``--worst-out DIR``
merges the ``--keep`` closest cases per format into DIR/<function>.txt
(vectors.py's worst-case grammar), keeping the lines already there.
"""
import argparse
import concurrent.futures as cf
import hashlib
import importlib
import json
import math
import multiprocessing
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from poincare_q64 import vectors as V
from validation import campaign_exact as X
from validation import oracle as O

HERE = Path(__file__).resolve().parent
CHECKPOINT_DIR = HERE / "checkpoints"
REPORT_DIR = HERE / "reports"
VERSION = 1            # of the chunk computation; part of the config hash

FAMILIES = ("radial", "angular", "phi", "random")
FUNCTION = {"radial": "radial", "angular": "angular", "phi": "modulation",
            "random": "rbe"}
DEFAULT_N = {"radial": 1 << 22, "random": 10 ** 8}
DEFAULT_CHUNK = {"radial": 1 << 16, "angular": 1 << 18, "phi": 1 << 22,
                 "random": 1 << 20}
MAIN_FORMATS = tuple(f.name for f in O.FORMATS)
M64 = (1 << 64) - 1
MAX_EXAMPLES = 20      # failure examples kept per chunk
# int64 results that do not fit: the public API raises OverflowError for the
# whole array, so their X is checked with dtype=object (same frac), and the
# OverflowError itself one call each on the first OVERFLOW_CHECKS of them per
# chunk and format (a call that raises costs ~0.3 ms).
OVERFLOW_CHECKS = 16
HIST_BINS = 128        # bins of floor(-log2 |dist|); bin 0 counts ties

# The 64 (rot, d_theta) pairs, (0, 0) first.
COMBOS = [(rot, dt) for dt in range(4) for rot in range(16)]


# --------------------------------------------------------------------------
# Family element spaces and inputs
# --------------------------------------------------------------------------

def family_size(family, n):
    if family == "radial":
        return (1 << 24) + n
    if family == "angular":
        return 1 << 24
    if family == "phi":
        return 1 << 32
    return n


def _mix64(x):
    """splitmix64's finaliser on a uint64 array (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class Draws:
    """Deterministic random uint64 words per element index: the inputs of
    element m depend only on (seed, family, m), not on the chunking."""

    def __init__(self, seed, family, m):
        base = (seed * 0x100000001B3 + FAMILIES.index(family) + 1) & M64
        self.m = np.asarray(m, dtype=np.uint64)
        self.base = np.uint64(base)
        self.stream = 0

    def u64(self):
        self.stream += 1
        key = _mix64(np.full(1, self.base, np.uint64)
                     + np.uint64(self.stream * 0x632BE59BD9B4E019 & M64))
        return _mix64(self.m ^ key)

    def below(self, k):
        return (self.u64() % np.uint64(k)).astype(np.int64)


# floor(2^64 / sqrt(c)) for c = 2^log2_c > 1: where g' = 0 when eps = 0
_ZERO_OF_G1 = np.array([math.isqrt((1 << 128) >> k) if k > 0 else 0
                        for k in range(-4, 4)], dtype=np.uint64)


def _draw_R(dr, log2_c):
    """R: uniform words, seed-grid radii, tiny and near-1 radii, and radii
    next to the zero of g' (c r^2 = 1, c > 1)."""
    u = dr.u64()
    sel = dr.below(8)
    shift = dr.below(64).astype(np.uint64)
    R = u.copy()
    R = np.where(sel == 4, (u >> np.uint64(44)) << np.uint64(44), R)
    R = np.where(sel == 5, u >> shift, R)
    R = np.where(sel == 6, np.uint64(M64) - (u >> shift), R)
    mag = dr.u64() >> (np.uint64(24) + shift % np.uint64(40))  # < 2^40
    near = np.where(dr.below(2) == 1, _ZERO_OF_G1[log2_c + 4] + mag,
                    _ZERO_OF_G1[log2_c + 4] - mag)
    R = np.where((sel == 7) & (log2_c > 0), near, R)
    return R


def _draw_eps(dr, nonzero_only=False):
    u = dr.u64()
    shift = dr.below(64).astype(np.uint64)
    eps = u >> shift                          # log-uniform magnitude
    if nonzero_only:
        return np.where(eps == 0, np.uint64(1), eps)
    return np.where(dr.below(2) == 0, np.uint64(0), eps)


def make_inputs(family, idx, seed):
    """Input arrays (named as in vectors.INPUTS) of the elements ``idx``."""
    idx = np.asarray(idx, dtype=np.uint64)
    n = idx.shape[0]
    if family == "radial":
        grid = idx < np.uint64(1 << 24)
        combo = (idx >> np.uint64(20)).astype(np.int64)
        R = (idx & np.uint64(0xFFFFF)) << np.uint64(44)
        log2_c = ((combo >> 1) - 4).astype(np.int8)
        d_r = (combo & 1).astype(np.int8)
        eps = np.zeros(n, np.uint64)
        if not grid.all():
            dr = Draws(seed, family, idx - np.uint64(1 << 24))
            rc = (dr.below(8) - 4).astype(np.int8)
            rd = dr.below(2).astype(np.int8)
            rR = _draw_R(dr, rc)
            re = _draw_eps(dr, nonzero_only=True)
            log2_c = np.where(grid, log2_c, rc)
            d_r = np.where(grid, d_r, rd)
            R = np.where(grid, R, rR)
            eps = np.where(grid, eps, re)
        return dict(R=R, log2_c=log2_c, eps=eps, d_r=d_r)
    if family == "angular":
        return dict(T=idx << np.uint64(40), rot=np.zeros(n, np.int8),
                    d_theta=np.zeros(n, np.int8))
    if family == "phi":
        return dict(i=np.zeros(n, np.uint32), j=idx.astype(np.uint32))
    # random rbe cases
    dr = Draws(seed, family, idx)
    log2_c = (dr.below(8) - 4).astype(np.int8)
    d_r = dr.below(2).astype(np.int8)
    rot = dr.below(16).astype(np.int8)
    d_theta = dr.below(4).astype(np.int8)
    R = _draw_R(dr, log2_c)
    eps = _draw_eps(dr)
    # T: uniform, or T' = q 2^62 +- a small offset (s near 0 or +-1)
    u = dr.u64()
    small = u >> (np.uint64(8) + dr.below(56).astype(np.uint64))
    q = dr.u64() >> np.uint64(62)
    sign = dr.below(2) == 1
    Tp = (q << np.uint64(62)) + np.where(sign, np.uint64(0) - small, small)
    Tp = np.where(dr.below(4) == 0, Tp, dr.u64())
    T = Tp - (rot.astype(np.uint64) << np.uint64(60)) \
        - (d_theta.astype(np.uint64) << np.uint64(62))
    i = (dr.u64() >> np.uint64(32)).astype(np.uint32)
    j = (dr.u64() >> np.uint64(32)).astype(np.uint32)
    return dict(R=R, T=T, i=i, j=j, log2_c=log2_c, eps=eps, d_r=d_r,
                rot=rot, d_theta=d_theta)


def input_tuple(function, inputs, k):
    return tuple(int(inputs[name][k]) for name in V.INPUTS[function])


def chunk_indices(spec):
    """Family indices of a chunk: a range, or evenly spread with --sample."""
    k = np.arange(spec["start"], spec["stop"], dtype=np.uint64)
    if spec.get("sample"):
        size, sample = spec["size"], spec["sample"]
        if size * sample < 1 << 64:      # floor(k size / sample) in uint64
            return k * np.uint64(size) // np.uint64(sample)
        return np.array([(int(x) * size) // sample for x in k],
                        dtype=np.uint64)
    return k


# --------------------------------------------------------------------------
# Expected results
# --------------------------------------------------------------------------

def _int_lohi(X):
    """Python ints (|X| < 2^127) -> (lo, hi) int64 arrays."""
    a = np.array(X, dtype=object)
    try:
        lo = a.astype(np.int64)
        return lo, lo >> np.int64(63)
    except OverflowError:
        lo = (a & M64).astype(np.uint64).view(np.int64)
        return lo, (a >> 64).astype(np.int64)


class Expected:
    """Expected results of one format: lo/hi (as oracle.Rounded), overflow
    mask, distance, and how many elements the oracle left open."""

    def __init__(self, lo, hi, overflow, dist, undecided=0, fallback=0):
        self.lo, self.hi, self.overflow, self.dist = lo, hi, overflow, dist
        self.undecided, self.fallback = undecided, fallback


def expected_radial(inputs, formats):
    """Exact Python-int oracle of the radial family."""
    R, c, e, d = (inputs[k].tolist() for k in ("R", "log2_c", "eps", "d_r"))
    n = len(R)
    res = {f.name: ([0] * n, np.empty(n), np.zeros(n, bool)) for f in formats}
    cols = [(f, *res[f.name]) for f in formats]
    ratio, rnd = X.radial_ratio, X.round_ratio
    for k in range(n):
        num, den = ratio(R[k], c[k], e[k], d[k])
        for fmt, vals, dist, ovf in cols:
            vals[k], dist[k], ovf[k] = rnd(num, den, fmt)
    out = {}
    for fmt, vals, dist, ovf in cols:
        if fmt.kind in ("float64", "float32"):
            lo = np.array(vals, dtype=np.uint64).view(np.int64)
            hi = np.zeros(n, np.int64)
        else:
            lo, hi = _int_lohi(vals)          # X, also when it overflows
        out[fmt.name] = Expected(lo, hi, ovf, dist)
    return out


def expected_oracle(function, inputs, values, fmt):
    """Round the quad oracle's values; resolve what it leaves open."""
    r = O.round_values(values, fmt)
    lo, hi, dist = r.lo, r.hi, r.dist
    overflow = r.status == O.R_OVERFLOW
    open_ = np.flatnonzero((r.status == O.R_UNDECIDED)
                           | (r.status == O.R_FALLBACK))
    undecided = int(np.count_nonzero(r.status == O.R_UNDECIDED))
    # int64: resolve X through the object format, then check its range
    ffmt = V.VectorFormat("object", fmt.frac) if fmt.kind == "int64" else fmt
    for k in open_:
        res, dk = X.fallback(function, input_tuple(function, inputs, k), ffmt)
        dist[k] = dk
        if fmt.kind in ("float64", "float32"):
            lo[k], hi[k] = np.uint64(res).view(np.int64), 0
        else:
            lo[k] = np.uint64(res & M64).view(np.int64)
            hi[k] = res >> 64
            overflow[k] = (fmt.kind == "int64"
                           and not -(1 << 63) <= res < 1 << 63)
    return Expected(lo, hi, overflow, dist, undecided,
                    len(open_) - undecided)


# --------------------------------------------------------------------------
# The kernel under test
# --------------------------------------------------------------------------

_NPOS = {"radial": 1, "angular": 1, "modulation": 2, "rbe": 4}
_DTYPE = {"int64": np.int64, "object": object, "float64": np.float64,
          "float32": np.float32}


class Got:
    """Kernel results of one format as lo/hi, overflow and error masks."""

    def __init__(self, n):
        self.lo = np.zeros(n, np.int64)
        self.hi = np.zeros(n, np.int64)
        self.overflow = np.zeros(n, bool)
        self.error = np.zeros(n, bool)
        self.messages = {}


def _store(got, sel, res, fmt):
    dt = np.dtype(_DTYPE[fmt.kind])
    if not isinstance(res, np.ndarray) or res.dtype != dt \
            or res.shape != (len(sel),):
        got.error[sel] = True
        for k in sel[:1]:
            got.messages[int(k)] = (f"wrong result type {type(res).__name__}"
                                    f" {getattr(res, 'dtype', '')}")
        return
    if fmt.kind == "int64":
        got.lo[sel] = res
        got.hi[sel] = res >> np.int64(63)
    elif fmt.kind == "object":
        got.lo[sel], got.hi[sel] = _int_lohi(res)
    elif fmt.kind == "float64":
        got.lo[sel] = res.view(np.int64)
    else:
        got.lo[sel] = res.view(np.uint32).astype(np.int64)


def kernel_results(kernel, function, inputs, fmt, expect_overflow):
    """Evaluate the public function in one format, element-exact.

    Returns (Got, number of OverflowErrors checked one by one).  For int64,
    the elements the oracle predicts not to fit are evaluated with
    dtype=object at the same frac (their X) and the first OVERFLOW_CHECKS of
    them also one by one in int64, which must raise OverflowError; the
    others are marked as overflowing if their X does not fit.  An
    unexpected exception is narrowed down to its elements by bisection.
    """
    fn = getattr(kernel, function)
    names = V.INPUTS[function]
    npos = _NPOS[function]
    n = len(inputs[names[0]])
    got = Got(n)

    def call(sel, f):
        pos = [inputs[k][sel] for k in names[:npos]]
        kw = {k: inputs[k][sel] for k in names[npos:]}
        kw.update(dtype=_DTYPE[f.kind], frac=f.frac)
        if function == "rbe":
            kw["threads"] = 1     # the campaign parallelises over chunks
        return fn(*pos, **kw)

    def run(sel, f):
        if len(sel) == 0:
            return
        try:
            _store(got, sel, call(sel, f), f)
        except (OverflowError, ArithmeticError, ValueError,
                TypeError) as exc:
            if len(sel) > 1:
                half = len(sel) // 2
                run(sel[:half], f)
                run(sel[half:], f)
            elif isinstance(exc, OverflowError) and f.kind == "int64":
                got.overflow[sel] = True
            else:
                got.error[sel] = True
                got.messages[int(sel[0])] = f"{type(exc).__name__}: {exc}"

    run(np.flatnonzero(~expect_overflow), fmt)
    predicted = np.flatnonzero(expect_overflow)
    if len(predicted) == 0:
        return got, 0
    # their X, through the object path of the same kernels
    run(predicted, V.VectorFormat("object", fmt.frac))
    big = (got.hi[predicted] != got.lo[predicted] >> np.int64(63))
    got.overflow[predicted] = big
    # and the OverflowError itself, on a sample
    checked = predicted[:OVERFLOW_CHECKS]
    for k in checked:
        sel = np.array([k])
        try:
            r = call(sel, fmt)
        except OverflowError:
            continue
        except (ArithmeticError, ValueError, TypeError) as exc:
            got.error[sel] = True
            got.messages[int(k)] = f"{type(exc).__name__}: {exc}"
            continue
        got.overflow[sel] = False       # it returned a value: wrong
        _store(got, sel, r, fmt)
    return got, len(checked)


def _show(fmt, lo, hi, overflow, error=False, message=""):
    if error:
        return f"error: {message}"
    if overflow:
        return f"{V.OVERFLOW} (X = {(int(hi) << 64) | (int(lo) & M64):#x})"
    if fmt.kind in ("float64", "float32"):
        bits = int(lo) & (M64 if fmt.kind == "float64" else 0xFFFFFFFF)
        return V.format_result(fmt, bits)
    value = (int(hi) << 64) | (int(lo) & M64)
    if fmt.kind == "int64" and not -(1 << 63) <= value < 1 << 63:
        return hex(value)
    return V.format_result(fmt, value)


# --------------------------------------------------------------------------
# One chunk
# --------------------------------------------------------------------------

def _worst(dist, keep, idx_key):
    """Positions of the ``keep`` smallest |dist| (NaN excluded), ties by
    position (deterministic)."""
    ok = np.flatnonzero(~np.isnan(dist))
    if len(ok) == 0:
        return []
    a = np.abs(dist[ok])
    if len(ok) > 4 * keep:
        part = np.argpartition(a, 4 * keep)[:4 * keep]
        ok, a = ok[part], a[part]
    order = np.lexsort((idx_key[ok], a))
    return list(ok[order[:keep]])


def _hist(dist):
    d = np.abs(dist[~np.isnan(dist)])
    ties = int(np.count_nonzero(d == 0))
    d = d[d > 0]
    b = np.clip(np.floor(-np.log2(d)).astype(np.int64), 1, HIST_BINS - 1)
    h = np.bincount(b, minlength=HIST_BINS)
    h[0] = ties
    return h.tolist()


def _chunk_formats(spec):
    formats = [V.parse_format(f) for f in spec["formats"]]
    if spec["family"] == "random" and spec.get("extra_formats", True):
        c = spec["chunk"]
        for extra in (f"object/{(7 * c + 3) % 65}", f"int64/{(5 * c) % 62}"):
            if extra not in spec["formats"]:
                formats.append(V.parse_format(extra))
    return formats


def run_chunk(spec):
    """Check one chunk; returns a JSON-serialisable dict (its checkpoint).

    ``spec``: family, chunk, start, stop, size, sample, seed, formats,
    kernel (module name), keep, combos, force_slow.
    """
    t0 = time.perf_counter()
    c0 = time.process_time()
    family = spec["family"]
    function = FUNCTION[family]
    kernel = importlib.import_module(spec["kernel"])
    idx = chunk_indices(spec)
    inputs = make_inputs(family, idx, spec["seed"])
    n = len(idx)
    formats = _chunk_formats(spec)
    keep = spec["keep"]
    out = dict(chunk=spec["chunk"], start=spec["start"], stop=spec["stop"],
               elements=n, tests={}, failures={}, undecided={}, fallback={},
               overflow={}, overflow_checked={}, worst={}, hist={},
               examples=[], extra={})
    t_oracle = t_kernel = 0.0

    # the oracle
    t = time.perf_counter()
    if family == "radial":
        expected = expected_radial(inputs, formats)
    else:
        if family == "phi":
            values, H = O.modulation(inputs["i"], inputs["j"])
            Hs = H.astype(np.uint64)
            out["extra"]["sum_H"] = int(Hs.sum())
            out["extra"]["sum_H2"] = int((Hs * Hs).sum(dtype=np.uint64))
        else:
            values = O.evaluate(function, inputs)
        expected = {f.name: expected_oracle(function, inputs, values, f)
                    for f in formats}
    t_oracle += time.perf_counter() - t

    combos = [(0, 0)]
    if family == "angular":
        combos = COMBOS[:spec["combos"]]
    level = spec.get("force_slow", 0)
    if level:
        from poincare_q64 import _kernels
        _kernels.set_force_slow_path(level)
    try:
        for fmt in formats:
            e = expected[fmt.name]
            tests = fails = signalled = 0
            for rot, dt in combos:
                kin = inputs
                if family == "angular" and (rot, dt) != (0, 0):
                    theta = (idx - np.uint64(rot << 20)
                             - np.uint64(dt << 22)) & np.uint64(0xFFFFFF)
                    kin = dict(T=theta << np.uint64(40),
                               rot=np.full(n, rot, np.int8),
                               d_theta=np.full(n, dt, np.int8))
                t = time.perf_counter()
                got, nsig = kernel_results(kernel, function, kin, fmt,
                                           e.overflow)
                t_kernel += time.perf_counter() - t
                bad = (got.lo != e.lo) | (got.hi != e.hi) \
                    | (got.overflow != e.overflow) | got.error
                tests += n
                signalled += nsig
                nbad = int(np.count_nonzero(bad))
                fails += nbad
                for k in np.flatnonzero(bad)[:MAX_EXAMPLES]:
                    if len(out["examples"]) >= MAX_EXAMPLES:
                        break
                    out["examples"].append(dict(
                        format=fmt.name,
                        inputs=list(input_tuple(function, kin, k)),
                        got=_show(fmt, got.lo[k], got.hi[k], got.overflow[k],
                                  got.error[k], got.messages.get(int(k))),
                        expected=_show(fmt, e.lo[k], e.hi[k],
                                       e.overflow[k])))
            out["tests"][fmt.name] = tests
            out["failures"][fmt.name] = fails
            out["undecided"][fmt.name] = e.undecided
            out["fallback"][fmt.name] = e.fallback
            out["overflow"][fmt.name] = int(np.count_nonzero(e.overflow)) \
                * len(combos)
            out["overflow_checked"][fmt.name] = signalled
            if fmt.name in spec["formats"]:
                out["hist"][fmt.name] = _hist(e.dist)
                cand = e.dist
                if family == "angular":
                    # |s| at T', 2^63 - T', 2^63 + T' and 2^64 - T' is the
                    # same, and so is |dist|: keep the first quadrant only,
                    # so that the worst cases are distinct values.
                    cand = np.where(idx <= np.uint64(1 << 22), e.dist, np.nan)
                out["worst"][fmt.name] = [
                    [float(e.dist[k]), list(input_tuple(function, inputs, k))]
                    for k in _worst(cand, keep, idx)]
        if family == "phi":
            t = time.perf_counter()
            Hk = np.asarray(kernel.spatial_hash(inputs["i"], inputs["j"]))
            t_kernel += time.perf_counter() - t
            bad = Hk != H
            out["tests"]["uint32"] = n
            out["failures"]["uint32"] = int(np.count_nonzero(bad))
            for k in np.flatnonzero(bad)[:MAX_EXAMPLES]:
                out["examples"].append(dict(
                    format="uint32", inputs=[0, int(inputs["j"][k])],
                    got=f"{int(Hk[k]):08x}", expected=f"{int(H[k]):08x}"))
    finally:
        if level:
            _kernels.set_force_slow_path(0)
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = time.process_time() - c0
    out["oracle_seconds"] = t_oracle
    out["kernel_seconds"] = t_kernel
    return out


# --------------------------------------------------------------------------
# Running a family: chunks, checkpoints, executors
# --------------------------------------------------------------------------

def make_config(family, *, n=None, sample=None, seed=2024, chunk=None,
                formats=MAIN_FORMATS, kernel="poincare_q64", keep=8,
                combos=64, force_slow=0):
    n = DEFAULT_N.get(family, 0) if n is None else n
    size = family_size(family, n)
    total = min(sample, size) if sample else size
    chunk = chunk or DEFAULT_CHUNK[family]
    cfg = dict(version=VERSION, family=family, n=n, size=size,
               sample=sample if sample and sample < size else None,
               total=total, seed=seed, chunk_size=chunk,
               formats=list(formats), kernel=kernel, keep=keep,
               combos=combos if family == "angular" else 1,
               force_slow=force_slow)
    text = json.dumps(cfg, sort_keys=True)
    cfg["tag"] = hashlib.sha256(text.encode()).hexdigest()[:12]
    return cfg


def chunk_specs(cfg):
    specs = []
    for c, start in enumerate(range(0, cfg["total"], cfg["chunk_size"])):
        specs.append(dict(
            family=cfg["family"], chunk=c, start=start,
            stop=min(start + cfg["chunk_size"], cfg["total"]),
            size=cfg["size"], sample=cfg["sample"], seed=cfg["seed"],
            formats=cfg["formats"], kernel=cfg["kernel"], keep=cfg["keep"],
            combos=cfg["combos"], force_slow=cfg["force_slow"]))
    return specs


def checkpoint_path(root, cfg):
    return Path(root) / cfg["family"] / cfg["tag"]


def _write_json(path, data):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    os.replace(tmp, path)


def _load_done(cdir):
    done = {}
    for p in cdir.glob("chunk-*.json"):
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError):
            continue              # a damaged checkpoint: redo that chunk
        done[data["chunk"]] = data
    return done


def run_family(cfg, *, checkpoint_dir=CHECKPOINT_DIR, fresh=False,
               workers=None, scheduler=None, max_chunks=None, progress=True):
    """Run (or resume) the chunks of ``cfg``; return (results, complete).

    ``scheduler``: a dask.distributed address or Client (None: local
    processes, ``workers`` of them, default all cores; 1 runs in-process).
    ``max_chunks``: stop after that many new chunks (a partial run; rerun
    to resume).
    """
    from tqdm import tqdm

    cdir = checkpoint_path(checkpoint_dir, cfg)
    if fresh and cdir.exists():
        shutil.rmtree(cdir)
    cdir.mkdir(parents=True, exist_ok=True)
    _write_json(cdir / "config.json", cfg)
    specs = chunk_specs(cfg)
    done = _load_done(cdir)
    todo = [s for s in specs if s["chunk"] not in done]
    if max_chunks is not None:
        todo = todo[:max_chunks]
    bar = tqdm(total=cfg["total"], initial=sum(d["elements"]
                                               for d in done.values()),
               unit="el", unit_scale=True, file=sys.stderr,
               disable=not progress, desc=cfg["family"])
    t0 = time.perf_counter()

    def finish(result):
        _write_json(cdir / f"chunk-{result['chunk']:06d}.json", result)
        done[result["chunk"]] = result
        bar.update(result["elements"])

    try:
        if not todo:
            pass
        elif scheduler is not None:
            from distributed import Client, as_completed
            client = scheduler if isinstance(scheduler, Client) \
                else Client(scheduler)
            try:
                futures = client.map(run_chunk, todo, pure=False)
                for fut in as_completed(futures):
                    finish(fut.result())
            finally:
                if client is not scheduler:
                    client.close()
        elif (workers or os.cpu_count() or 1) == 1:
            for spec in todo:
                finish(run_chunk(spec))
        else:
            # One process per core, so one kernel (OpenMP) thread per
            # process.  The variable must be in the environment the workers
            # start with: libgomp reads it when the kernels are imported.
            ctx = multiprocessing.get_context("spawn")
            old = os.environ.get("OMP_NUM_THREADS")
            os.environ["OMP_NUM_THREADS"] = "1"
            try:
                pool = cf.ProcessPoolExecutor(
                    max_workers=workers or os.cpu_count(), mp_context=ctx)
                # start the workers now, while the variable is set
                futs = [pool.submit(run_chunk, s) for s in todo]
            finally:
                if old is None:
                    del os.environ["OMP_NUM_THREADS"]
                else:
                    os.environ["OMP_NUM_THREADS"] = old
            with pool:
                try:
                    for fut in cf.as_completed(futs):
                        finish(fut.result())
                except BaseException:
                    for f in futs:
                        f.cancel()
                    raise
    finally:
        bar.close()
    wall = time.perf_counter() - t0
    results = [done[c] for c in sorted(done)]
    complete = len(done) == len(specs)
    return results, complete, wall


# --------------------------------------------------------------------------
# Summaries, worst cases, report
# --------------------------------------------------------------------------

def summarize(cfg, results, complete, wall):
    order = list(cfg["formats"])
    fmts = sorted({f for r in results for f in r["tests"]},
                  key=lambda f: (order.index(f) if f in order else len(order),
                                 f))
    s = dict(config=cfg, complete=complete, chunks=len(results),
             elements=sum(r["elements"] for r in results),
             wall_seconds_last_run=wall,
             seconds=sum(r["seconds"] for r in results),
             cpu_seconds=sum(r.get("cpu_seconds", 0) for r in results),
             oracle_seconds=sum(r["oracle_seconds"] for r in results),
             kernel_seconds=sum(r["kernel_seconds"] for r in results),
             formats={})
    for f in fmts:
        g = lambda key: sum(r[key].get(f, 0) for r in results)  # noqa: E731
        s["formats"][f] = dict(tests=g("tests"), failures=g("failures"),
                               undecided=g("undecided"),
                               fallback=g("fallback"),
                               overflow=g("overflow"),
                               overflow_checked=g("overflow_checked"))
    s["tests"] = sum(v["tests"] for v in s["formats"].values())
    s["failures"] = sum(v["failures"] for v in s["formats"].values())
    s["examples"] = [e for r in results for e in r["examples"]][:50]
    worst, hist = {}, {}
    for f in cfg["formats"]:
        cand = [(abs(d), d, tuple(inp)) for r in results
                for d, inp in r["worst"].get(f, [])]
        cand.sort()
        seen, best = set(), []
        for a, d, inp in cand:
            if inp not in seen:
                seen.add(inp)
                best.append([d, list(inp)])
            if len(best) == cfg["keep"]:
                break
        worst[f] = best
        hs = [r["hist"][f] for r in results if f in r["hist"]]
        hist[f] = np.sum(hs, axis=0).tolist() if hs else []
    s["worst"], s["hist"] = worst, hist
    if cfg["family"] == "phi":
        s["extra"] = dict(
            sum_H=sum(r["extra"]["sum_H"] for r in results),
            sum_H2=sum(r["extra"]["sum_H2"] for r in results) % (1 << 64))
        if complete and not cfg["sample"]:
            N = 1 << 32
            s["extra"]["coverage_ok"] = (
                s["extra"]["sum_H"] == N * (N - 1) // 2
                and s["extra"]["sum_H2"] == ((N - 1) * N * (2 * N - 1) // 6)
                % (1 << 64))
    return s


def note(d):
    if d == 0:
        return "tie"
    return f"{'+' if d > 0 else '-'}2^{math.log2(abs(d)):.1f} ulp"


def _ordered(names, cfg):
    """Format names in the configuration's order, then the others (JSON
    files store dicts with sorted keys)."""
    order = list(cfg["formats"])
    return sorted(names, key=lambda f: (order.index(f) if f in order
                                        else len(order), f))


def worst_case_lines(summary):
    function = FUNCTION[summary["config"]["family"]]
    out = []
    for f in _ordered(summary["worst"], summary["config"]):
        cases = summary["worst"][f]
        fmt = V.parse_format(f)
        for d, inputs in cases:
            out.append((fmt, tuple(inputs), note(d)))
    return function, out


def merge_worst_cases(function, cases, directory, comment):
    """Add ``cases`` [(fmt, inputs, note)] to directory/<function>.txt.

    Lines already in the file stay as they are; a case whose (format,
    inputs) is already there is not added again.  Written atomically.
    Returns the number of lines added.
    """
    from poincare_q64.conformance import write_atomic
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{function}.txt"
    if path.exists():
        lines = path.read_text(encoding="ascii").splitlines()
        found, existing = V.read_worst_cases(lines)
        if found != function:
            raise ValueError(f"{path} is a worst-case file of {found!r}")
        keys = {(c.format.name, c.inputs) for c in existing}
    else:
        lines, keys = [V.worst_case_header(function)], set()
    new = []
    for fmt, inputs, n in cases:
        if (fmt.name, inputs) not in keys:
            keys.add((fmt.name, inputs))
            new.append(V.format_worst_case(function, fmt, inputs, n))
    if new:
        if comment not in lines:
            lines.append(comment)
        lines += new
        write_atomic(path, lines)
    return len(new)


def _fmt_secs(s):
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


def _log2(d):
    if d is None:
        return "-"
    if d == 0:
        return "0 (tie)"
    return f"2^{math.log2(abs(d)):.1f}"


def write_report(report_dir):
    """Regenerate campaign.md and campaign_distances.png from the family
    summaries in report_dir/campaign/*.json."""
    report_dir = Path(report_dir)
    sdir = report_dir / "campaign"
    summaries = {}
    for fam in FAMILIES:
        p = sdir / f"{fam}.json"
        if p.exists():
            summaries[fam] = json.loads(p.read_text())
    oracle_val = None
    if (sdir / "oracle.json").exists():
        oracle_val = json.loads((sdir / "oracle.json").read_text())
    lines = ["# Correct-rounding campaign", "",
             "Generated by `python -m validation.campaign` "
             "(validation/campaign.py; the module docstring describes the "
             "families).  A *test* is one element checked in one output "
             "format; the kernels are called through the public API of "
             "poincare_q64.", ""]
    lines += ["| family | function | elements | tests | failures | "
              "undecided by the bound | fallbacks | complete | CPU time | "
              "wall time (last run) |", "|---|---|---|---|---|---|---|---|"
              "---|---|"]
    for fam, s in summaries.items():
        und = sum(v["undecided"] for v in s["formats"].values())
        fb = sum(v["fallback"] for v in s["formats"].values())
        lines.append(
            f"| {fam} | {FUNCTION[fam]} | {s['elements']:,} | "
            f"{s['tests']:,} | {s['failures']} | {und} | {fb} | "
            f"{'yes' if s['complete'] else 'NO'} | "
            f"{_fmt_secs(s.get('cpu_seconds') or s['seconds'])} | "
            f"{_fmt_secs(s['wall_seconds_last_run'])} |")
    lines.append("")
    for fam, s in summaries.items():
        cfg = s["config"]
        lines += [f"## {fam}", "",
                  f"`{s['command']}`" if s.get("command") else "",
                  "",
                  f"**{s['tests'] - s['failures']} tests passed, "
                  f"{s['failures']} failure(s)**; "
                  f"{s['elements']:,} elements in {s['chunks']} chunks; "
                  f"seed {cfg['seed']}"
                  + (f", evenly spread sample of {cfg['sample']:,} of "
                     f"{cfg['size']:,}" if cfg["sample"] else "") + ".", ""]
        el = max(s["elements"], 1)
        ntest = max(s["tests"], 1)
        cpu = s.get("cpu_seconds") or s["seconds"]
        lines.append(
            f"CPU time per element (all formats"
            f"{', all combos' if fam == 'angular' else ''}; one core): "
            f"{1e9 * cpu / el:.0f} ns ({1e9 * cpu / ntest:.0f} ns per test); "
            f"of the wall time, the oracle took "
            f"{100 * s['oracle_seconds'] / max(s['seconds'], 1e-9):.0f}% and "
            f"the kernel calls "
            f"{100 * s['kernel_seconds'] / max(s['seconds'], 1e-9):.0f}%.")
        if cfg["sample"] or not s["complete"]:
            full = cpu / el * cfg["size"]
            lines.append(
                f"At that rate the whole family ({cfg['size']:,} elements) "
                f"needs {_fmt_secs(full)} of CPU time, about "
                f"{_fmt_secs(full / 2)} on this machine's 2 cores.")
        lines.append("")
        lines += ["| format | tests | failures | undecided | fallbacks | "
                  "int64 overflows (OverflowError checked one by one) | "
                  "closest to a midpoint (ulp) |",
                  "|---|---|---|---|---|---|---|"]
        for f in _ordered(s["formats"], cfg):
            v = s["formats"][f]
            w = s["worst"].get(f)
            lines.append(
                f"| {f} | {v['tests']:,} | {v['failures']} | "
                f"{v['undecided']} | {v['fallback']} | "
                f"{v.get('overflow', 0)} ({v.get('overflow_checked', 0)}) | "
                f"{_log2(w[0][0]) if w else '-'} |")
        lines.append("")
        if s.get("extra", {}).get("coverage_ok") is not None:
            lines += [f"Hash coverage (sum and sum of squares of H over the "
                      f"sweep equal those of 0..2^32-1): "
                      f"{'yes' if s['extra']['coverage_ok'] else 'NO'}.", ""]
        if s["examples"]:
            lines += ["Failures (first ones):", "", "```"]
            lines += [f"{e['format']} {' '.join(map(str, e['inputs']))}: "
                      f"got {e['got']} expected {e['expected']}"
                      for e in s["examples"][:20]]
            lines += ["```", ""]
        fn, cases = worst_case_lines(s)
        if cases:
            lines += [f"Closest cases ({fn}, worst-case grammar):", "",
                      "```"]
            lines += [V.format_worst_case(fn, fmt, inp, n)
                      for fmt, inp, n in cases[:4 * 4]]
            lines += ["```", ""]
    if oracle_val:
        lines += oracle_report_lines(oracle_val)
    lines += ["## Distance distribution", "",
              "![distances](campaign_distances.png)", "",
              "Fraction of elements whose distance to the nearest rounding "
              "midpoint is below 2^-b ulp.  For values spread uniformly "
              "modulo the ulp it is 2^(1-b) (dashed).  The radial values "
              "are rational and some lie far closer to a midpoint than "
              "chance allows (tiny R: g = 2r - 2c r^3 + ..., so g 2^62 is "
              "within c R^3 2^-127 of R/2, a midpoint for odd R).", ""]
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "campaign.md").write_text("\n".join(lines) + "\n")
    _plot(summaries, report_dir / "campaign_distances.png")


def _plot(summaries, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fams = [f for f in FAMILIES if f in summaries]
    if not fams:
        return
    fig, axes = plt.subplots(1, len(fams), figsize=(4.2 * len(fams), 3.6),
                             squeeze=False)
    for ax, fam in zip(axes[0], fams):
        s = summaries[fam]
        bmax = 1
        for f in _ordered(s["hist"], s["config"]):
            h = s["hist"][f]
            if not h:
                continue
            h = np.array(h, dtype=float)
            total = h.sum()
            # P(|d| < 2^-b) = (ties + sum of bins >= b) / total
            cum = np.array([h[0] + h[b:].sum() for b in range(1, len(h))])
            b = np.arange(1, len(h))
            ok = cum > 0
            if ok.any():
                bmax = max(bmax, int(b[ok].max()))
            ax.semilogy(b[ok], cum[ok] / total, ".-", label=f, ms=3)
        # the uniform model, down to one element in the whole family
        blim = min(bmax, int(math.log2(max(s["elements"], 2))) + 2)
        bb = np.arange(1, blim + 1)
        ax.semilogy(bb, 2.0 ** (1 - bb), "k--", lw=0.8, label="2^(1-b)")
        ax.set_title(f"{fam} ({FUNCTION[fam]})")
        ax.set_xlabel("b: |distance to midpoint| < 2^-b ulp")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("fraction of elements")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------
# Oracle validation against mpmath
# --------------------------------------------------------------------------

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


def oracle_report_lines(val):
    lines = ["## The oracle and its validation against mpmath", "",
             "Radial: exact (Python ints; `validation/campaign_exact.py`).  "
             "Angular, phi, random rbe: `validation/oracle.c`, an "
             "independently written binary128 evaluation (exact integer "
             "reduction of the angle to the first octant, libquadmath "
             "sinq/cosq, phi = 1 + s/10, g from the exact integers D, A +- B "
             "of the spec converted to binary128, its own MurmurHash3_x86_32 "
             "checked against the mmh3 package; phi's 32-bit angle through "
             "sin/cos tables and the addition formula) with a derived "
             "relative error bound per value (validation/oracle.py's "
             f"docstring): sin {O.ERR_S:.2f}, phi {O.ERR_PHI:.2f}, g "
             f"{O.ERR_G0} (d_r = 0) and {O.ERR_G1} (d_r = 1), f = g s phi "
             f"up to {O.ERR_G1 + O.ERR_S + O.ERR_PHI + O.ERR_PROD:.2f} units "
             "of 2^-112 (2^-108.7), assuming 2 ulp for sinq/cosq.  A "
             "rounding "
             f"is decided when the distance to the nearest midpoint exceeds "
             f"{O.SAFETY:g} times that bound (safety factor); otherwise the "
             "element goes to the fallback (exact rounding for rationals, "
             "poincare_q64.reference for the rest).", "",
             f"Validation (`python -m validation.campaign --validate-oracle "
             f"{val.get('n', '')}`): each value compared with mpmath at 320 "
             "bits (exact reduction through mpf_sin_pi; radial exactly), and "
             "each decided rounded result (object/64, int64/62, float64, "
             "float32) with the rounding of the mpmath value.", "",
             "| function | samples | max error (units of 2^-112) | "
             "max error / stated bound | rounded results checked | "
             "disagreements |", "|---|---|---|---|---|---|"]
    for fn, v in val["functions"].items():
        lines.append(f"| {fn} | {v['samples']} | "
                     f"{v['max_error_units']:.3f} | "
                     f"{v['max_error_over_bound']:.3f} | "
                     f"{v['rounded_checked']} | {v['rounded_disagree']} |")
    lines += ["", f"Duration: {_fmt_secs(val['seconds'])}.", ""]
    return lines


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m validation.campaign",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", default="all",
                   choices=FAMILIES + ("all", "none"),
                   help="family to run (all: the four; none: only "
                   "--validate-oracle / the report)")
    p.add_argument("--n", type=int, default=None,
                   help="random elements: rbe cases (random, default 10^8) "
                   "or random-eps radial cases (radial, default 2^22)")
    p.add_argument("--sample", type=int, default=None,
                   help="check only this many elements, evenly spread over "
                   "the family (quick runs, timing)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--chunk", type=int, default=None,
                   help="elements per chunk (default per family)")
    p.add_argument("--combos", type=int, default=64,
                   help="angular: (rot, d_theta) pairs per angle, 1..64")
    p.add_argument("--keep", type=int, default=8,
                   help="worst cases kept per family and format")
    p.add_argument("--kernel", default="poincare_q64",
                   help="module providing the functions under test")
    p.add_argument("--force-slow-path", type=int, default=0,
                   choices=(0, 1, 2, 3), dest="force_slow",
                   help="run the kernels with pq_debug_force_slow_path")
    p.add_argument("--scheduler", default=None,
                   help="dask.distributed scheduler address")
    p.add_argument("--workers", type=int, default=None,
                   help="local processes (default: all cores)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", default=True,
                   help="skip chunks already done (default)")
    g.add_argument("--fresh", action="store_true",
                   help="discard this configuration's checkpoints first")
    p.add_argument("--max-chunks", type=int, default=None,
                   help="stop after this many new chunks (rerun to resume)")
    p.add_argument("--checkpoint-dir", type=Path, default=CHECKPOINT_DIR)
    p.add_argument("--report-dir", type=Path, default=REPORT_DIR)
    p.add_argument("--worst-out", type=Path, default=None,
                   help="merge the worst cases into DIR/<function>.txt "
                   "(only for complete runs)")
    p.add_argument("--validate-oracle", type=int, default=None, metavar="N",
                   help="compare the oracle with mpmath on N inputs per "
                   "function (default with --family all: 2000)")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)

    families = FAMILIES if args.family == "all" else (
        () if args.family == "none" else (args.family,))
    sdir = args.report_dir / "campaign"
    sdir.mkdir(parents=True, exist_ok=True)
    progress = not args.no_progress
    status = 0
    nval = args.validate_oracle
    if nval is None and args.family == "all":
        nval = 2000
    if nval:
        t = time.perf_counter()
        val = validate_oracle(nval, progress=progress)
        data = dict(n=nval, functions=val,
                    seconds=time.perf_counter() - t)
        _write_json(sdir / "oracle.json", data)
        bad = [fn for fn, v in val.items()
               if v["max_error_over_bound"] > 1 or v["rounded_disagree"]]
        print(f"oracle vs mpmath: {nval} samples per function, max "
              "error/bound " + ", ".join(
                  f"{fn} {v['max_error_over_bound']:.3f}"
                  for fn, v in val.items())
              + ("" if not bad else f"; BOUND VIOLATED: {bad}"))
        status |= bool(bad)
    for fam in families:
        cfg = make_config(fam, n=args.n, sample=args.sample, seed=args.seed,
                          chunk=args.chunk, kernel=args.kernel,
                          keep=args.keep, combos=args.combos,
                          force_slow=args.force_slow)
        try:
            results, complete, wall = run_family(
                cfg, checkpoint_dir=args.checkpoint_dir, fresh=args.fresh,
                workers=args.workers, scheduler=args.scheduler,
                max_chunks=args.max_chunks, progress=progress)
        except KeyboardInterrupt:
            print(f"{fam}: stopped; rerun the same command to resume",
                  file=sys.stderr)
            return 130
        s = summarize(cfg, results, complete, wall)
        s["command"] = "python -m validation.campaign " + " ".join(
            sys.argv[1:] if argv is None else argv)
        _write_json(sdir / f"{fam}.json", s)
        passed = s["tests"] - s["failures"]
        print(f"{fam}: {passed} tests passed, {s['failures']} failure(s)"
              + ("" if complete else
                 f" (partial: {s['chunks']} of "
                 f"{len(chunk_specs(cfg))} chunks; rerun to resume)"))
        if s["failures"]:
            status = 1
            for e in s["examples"][:5]:
                print(f"  {e['format']} {e['inputs']}: got {e['got']} "
                      f"expected {e['expected']}")
        if fam == "phi" and s["extra"].get("coverage_ok") is False:
            print("phi: the hash sweep did not cover 0..2^32-1 exactly once")
            status = 1
        if args.worst_out and complete:
            fn, cases = worst_case_lines(s)
            comment = (f"# validation.campaign --family {fam}: closest to a "
                       f"midpoint of {s['elements']:,} elements (seed "
                       f"{cfg['seed']})")
            added = merge_worst_cases(fn, cases, args.worst_out, comment)
            from poincare_q64.conformance import worst_case_inputs
            worst_case_inputs(fn, args.worst_out)     # parses, or raises
            print(f"{fam}: {added} worst case(s) added to "
                  f"{args.worst_out / (fn + '.txt')}")
    write_report(args.report_dir)
    return status


if __name__ == "__main__":
    sys.exit(main())
