"""The benchmark suite: poincare_q64 against every alternative, per function.

Usage::

    pip install -e ".[bench]" && python benchmarks/suite.py [--quick] [--out DIR]

Regenerates docs/performance.md (the table, the targets and the machine) and
docs/performance.png (ns per element, log scale).  Every row is timed on
random inputs (10^6 by default, 10^5 with --quick) and checked: the same
implementation is run on a sample of the inputs and compared with
poincare_q64.reference (exact rationals and mpmath intervals), so a fast
wrong answer shows up as wrong.  Slow implementations (Python scalar calls,
arbitrary precision libraries) are timed on a smaller sample and reported
per element.  Timings are the best of --repeats runs after a warm-up.

Nothing here can fail on a slow machine: the targets are reported as met or
not met, never asserted.
"""
import argparse
import datetime
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from timing import best_of  # noqa: E402

import poincare_q64 as pq  # noqa: E402
from poincare_q64 import _kernels, _testing  # noqa: E402
from poincare_q64 import reference as ref  # noqa: E402

ROOT = os.path.dirname(HERE)
TWO64 = 2**64
SIMD_NAMES = {0: "scalar", 1: "AVX2", 2: "AVX-512"}

# Output formats: keyword arguments of the package's functions.
FORMATS = {
    "int64/62": dict(dtype=np.int64, frac=62),
    "float64": dict(dtype=np.float64),
    "float32": dict(dtype=np.float32),
    "object/62": dict(dtype=object, frac=62),
}

ALL_CORES = "no threads argument: all cores"

MODES = {
    # n: timed elements; repeats; check: inputs through the reference;
    # slow: inputs of the slow implementations; scalar: Python scalar calls;
    # obj: elements of the object format; matrix: decode_matrix side;
    # rounds: passes over all rows, each row keeping its fastest pass (on a
    # shared machine a few seconds of someone else's load would otherwise
    # set a row's figure: the passes are a minute or more apart)
    "full": dict(n=10**6, repeats=5, check=2000, slow=1000, scalar=10**4, obj=10**5,
                 matrix=1024, rounds=3),
    "quick": dict(n=10**5, repeats=2, check=300, slow=100, scalar=2000, obj=10**4,
                  matrix=512, rounds=1),
    "tiny": dict(n=2000, repeats=1, check=12, slow=4, scalar=20, obj=200, matrix=16,
                 rounds=1),
}


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------
class Inputs:
    """Random arguments of every function, the same for every implementation."""

    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        u64 = dict(dtype=np.uint64, endpoint=True)
        self.R = rng.integers(0, TWO64 - 1, size=n, **u64)
        self.T = rng.integers(0, TWO64 - 1, size=n, **u64)
        self.i = rng.integers(0, 2**32 - 1, size=n, dtype=np.uint32, endpoint=True)
        self.j = rng.integers(0, 2**32 - 1, size=n, dtype=np.uint32, endpoint=True)
        # per-element options over their whole ranges
        self.eps = rng.integers(0, TWO64 - 1, size=n, **u64)
        self.log2_c = rng.integers(-4, 3, size=n, dtype=np.int32, endpoint=True)
        self.d_r = rng.integers(0, 1, size=n, dtype=np.int32, endpoint=True)
        self.rot = rng.integers(0, 15, size=n, dtype=np.int32, endpoint=True)
        self.d_theta = rng.integers(0, 3, size=n, dtype=np.int32, endpoint=True)
        # seed64 fields (basis 0, the only one evaluated) and their words
        self.fields = dict(
            r=rng.integers(0, 2**20 - 1, size=n, dtype=np.int64, endpoint=True),
            theta=rng.integers(0, 2**24 - 1, size=n, dtype=np.int64, endpoint=True),
            basis=np.zeros(n, dtype=np.int64), d_theta=self.d_theta.astype(np.int64),
            d_r=self.d_r.astype(np.int64), rot=self.rot.astype(np.int64),
            log2_c=self.log2_c.astype(np.int64),
            reserved=rng.integers(0, 63, size=n, dtype=np.int64, endpoint=True))
        self.W = pq.pack_seed64(**self.fields)
        # what numpy gets, prepared outside the timed region
        self.r = self.R.astype(np.float64) / 2**64
        self.t = self.T.astype(np.float64) / 2**64
        self.h = pq.spatial_hash(self.i, self.j).astype(np.float64)
        self.r32, self.t32, self.h32 = (x.astype(np.float32) for x in (self.r, self.t, self.h))

    def scalars(self, m, *names):
        """The first m elements of the named columns as tuples of Python ints."""
        cols = [getattr(self, k).tolist() for k in names]
        return list(zip(*(c[:m] for c in cols)))


# ---------------------------------------------------------------------------
# The reference, and comparing with it
# ---------------------------------------------------------------------------
def _fmt_kw(fmt):
    return dict(FORMATS.get(fmt, {}))


def _ref_fmt(fmt):
    """The reference's format for fmt (object/62 is the integer at frac 62)."""
    kw = _fmt_kw(fmt)
    if kw.get("dtype") is object:
        kw["dtype"] = np.int64
    return kw


# the costliest options given once for the whole array (eps != 0 and
# d_r = 1; d_r = 1 with eps = 0 as seed words have): what per-element
# options cost against the same kind of work with scalar options
SCALAR_HEAVY = {"rbe+e1d1": dict(eps=0x9E3779B97F4A7C15, d_r=1, log2_c=-2, rot=3, d_theta=1),
                "rbe+d1": dict(d_r=1, log2_c=-2, rot=3, d_theta=1)}
SCALAR_HEAVY_IMPL = {"rbe+e1d1": "ours, array, scalar options eps != 0, d_r = 1",
                     "rbe+d1": "ours, array, scalar options d_r = 1"}


def _opts(inp, k):
    return dict(log2_c=int(inp.log2_c[k]), eps=int(inp.eps[k]), d_r=int(inp.d_r[k]),
                rot=int(inp.rot[k]), d_theta=int(inp.d_theta[k]))


def reference_values(key, fmt, inp, m, matrix=None):
    """Exact results of the reference on the first m inputs (or matrix sample)."""
    kw = _ref_fmt(fmt)
    R, T, i, j, W = (x[:m].tolist() for x in (inp.R, inp.T, inp.i, inp.j, inp.W))
    if key == "radial":
        return [ref.radial(a, **kw) for a in R]
    if key == "angular":
        return [ref.angular(a, **kw) for a in T]
    if key == "modulation":
        return [ref.modulation(a, b, **kw) for a, b in zip(i, j)]
    if key == "spatial_hash":
        return [ref.spatial_hash(a, b) for a, b in zip(i, j)]
    if key == "rbe":
        return [ref.rbe(*a, **kw) for a in zip(R, T, i, j)]
    if key == "rbe+options":
        return [ref.rbe(*a, **_opts(inp, k), **kw) for k, a in enumerate(zip(R, T, i, j))]
    if key in SCALAR_HEAVY:
        return [ref.rbe(*a, **SCALAR_HEAVY[key], **kw) for a in zip(R, T, i, j)]
    if key == "rbe_pipeline":
        return [ref.rbe_pipeline(*a, **kw) for a in zip(R, T, i, j)]
    if key == "rbe_seed64":
        return [ref.rbe_seed64(*a, **kw) for a in zip(W, i, j)]
    if key == "pack_seed64":
        cols = [inp.fields[k][:m].tolist() for k in inp.fields]
        return [ref.pack_seed64(*a) for a in zip(*cols)]
    if key == "unpack_seed64":
        return [tuple(ref.unpack_seed64(w)) for w in W]
    if key == "decode_matrix":
        R0, T0, rows, cols = matrix
        return [ref.rbe(R0, T0, a, b, **kw) for a, b in zip(rows, cols)]
    raise KeyError(key)


def _as_list(values):
    if isinstance(values, np.ndarray):
        return values.tolist()
    return list(values)


def _ulps(a, b, fmt):
    """Distance in units in the last place (or in 2^-62 for the integer formats)."""
    if fmt in ("float64", "float32"):
        dt, it = (np.float64, np.int64) if fmt == "float64" else (np.float32, np.int32)
        x = np.array([a, b], dtype=dt)
        if not np.all(np.isfinite(x)):
            return math.inf
        bits = x.view(it).astype(object)
        # map the sign-magnitude bits onto a monotone integer line
        top = 1 << (63 if fmt == "float64" else 31)
        v = [(-(int(u) & (top - 1)) if int(u) < 0 else int(u)) for u in bits]
        return abs(v[0] - v[1])
    try:
        return abs(int(a) - int(b))
    except (TypeError, ValueError):
        return math.inf


def compare(got, want, fmt):
    """(mismatches, checked, largest distance) of got against the reference."""
    got = _as_list(got)
    if len(got) != len(want):
        raise ValueError(f"{len(got)} results for {len(want)} reference values")
    bad, worst = 0, 0
    for a, b in zip(got, want):
        if isinstance(b, tuple):
            same = tuple(int(x) for x in a) == b
            dist = 0 if same else math.inf
        elif fmt in ("float64", "float32"):
            same = a == b or (a != a and b != b)
            dist = 0 if same else _ulps(a, b, fmt)
        else:
            same = int(a) == int(b) if not isinstance(a, float) else a == b
            dist = 0 if same else _ulps(a, b, fmt)
        if not same:
            bad += 1
            worst = max(worst, dist)
    return bad, len(want), worst


def correct_text(bad, checked, worst, fmt):
    if checked == 0:
        return "not checked"
    if bad == 0:
        return f"yes (0/{checked})"
    unit = "ulp" if fmt in ("float64", "float32") else "unit"
    far = "" if math.isinf(worst) else f", up to {worst:.3g} {unit}"
    return f"wrong: {100 * bad / checked:.3g} % of {checked} differ{far}"


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------
class Impl:
    """One row: how to time it and how to check it.

    timed() returns (fn, elements): a zero-argument callable timed whole and
    the number of results it computes.  check() returns the results on the
    checked sample, in the order of reference_values(ref_key, fmt, ...).
    """

    def __init__(self, function, impl, fmt, timed, check, ref_key=None, threads=1,
                 simd="-", notes="", simd_level=None):
        self.function, self.impl, self.fmt = function, impl, fmt
        self.timed, self.check = timed, check
        self.ref_key = ref_key or function
        self.threads, self.simd, self.notes = threads, simd, notes
        self.simd_level = simd_level


def _time(impl, repeats):
    fn, count = impl.timed()
    if impl.simd_level is not None:
        _testing.set_simd(impl.simd_level)
    try:
        return best_of(fn, repeats) / count * 1e9
    finally:
        if impl.simd_level is not None:
            _testing.set_simd(-1)


def run_rows(impls, inp, mode, ctx, progress=print):
    """Time and check every row; returns a list of result dicts."""
    refs = {}
    rows = []
    for im in impls:
        t0 = time.perf_counter()
        try:
            if im.timed is None:
                ns, err = math.nan, None
            else:
                ns = _time_c(im) if isinstance(im, CImpl) else _time(im, mode["repeats"])
                err = None
            got = im.check() if im.check is not None else None
        except Exception as exc:  # a failing row is reported, not fatal
            ns, got, err = math.nan, None, f"{type(exc).__name__}: {exc}"
        if got is not None:
            key = (im.ref_key, im.fmt)
            if key not in refs:
                refs[key] = reference_values(im.ref_key, im.fmt, inp, len(got),
                                             ctx.get("matrix_sample"))
            bad, checked, worst = compare(got, refs[key][:len(got)], im.fmt)
            correct = correct_text(bad, checked, worst, im.fmt)
        else:
            bad, checked, correct = None, 0, "not checked"
        notes = im.notes if err is None else (im.notes + "; " if im.notes else "") + err
        rows.append(dict(function=im.function, impl=im.impl, fmt=im.fmt, threads=im.threads,
                         simd=im.simd, ns=ns, bad=bad, checked=checked, correct=correct,
                         notes=notes))
        progress(f"  {im.function:<14} {im.impl:<34} {im.fmt:<9} t={im.threads} "
                 f"{im.simd:<7} {ns:12.2f} ns  {correct}  ({time.perf_counter() - t0:.1f} s)")
    for r in range(1, mode.get("rounds", 1)):
        progress(f"pass {r + 1} of {mode['rounds']}: timing again, each row keeps its fastest")
        for im, row in zip(impls, rows):
            if im.timed is None or math.isnan(row["ns"]):
                continue
            try:
                ns = _time_c(im) if isinstance(im, CImpl) else _time(im, mode["repeats"])
            except Exception:  # reported in the first pass; keep that figure
                continue
            row["ns"] = min(row["ns"], ns)
    return rows


def _simd_levels():
    levels = []
    for lv in (0, 1, 2):
        try:
            _testing.set_simd(lv)
            levels.append(lv)
        except ValueError:
            pass
    _testing.set_simd(-1)
    return levels


def ours_rows(inp, mode, threads_all, levels, best):
    """The package's own array and scalar calls."""
    n, m = len(inp.R), mode["check"]
    obj = min(mode["obj"], n)
    s = lambda x, k=m: x[:k]  # noqa: E731
    impls = []
    # functions without a threads argument (their own kernels: no SIMD override)
    simple = {
        "radial": (lambda kw, k: pq.radial(inp.R[:k], **kw), ("R",), pq.radial),
        "angular": (lambda kw, k: pq.angular(inp.T[:k], **kw), ("T",), pq.angular),
        "modulation": (lambda kw, k: pq.modulation(inp.i[:k], inp.j[:k], **kw), ("i", "j"),
                       pq.modulation),
    }
    for name, (call, cols, scalar_fn) in simple.items():
        for fmt, kw in FORMATS.items():
            k = obj if fmt.startswith("object") else n
            impls.append(Impl(name, "ours, array", fmt,
                              lambda call=call, kw=kw, k=k: (lambda: call(kw, k), k),
                              lambda call=call, kw=kw: call(kw, m), threads=threads_all,
                              notes=ALL_CORES + ("; object on %d elements" % k
                                                 if k != n else "")))
    impls.append(Impl("spatial_hash", "ours, array", "uint32",
                      lambda: (lambda: pq.spatial_hash(inp.i, inp.j), n),
                      lambda: pq.spatial_hash(s(inp.i), s(inp.j)), threads=threads_all,
                      notes=ALL_CORES))

    # the functions with threads and the SIMD override
    def rbe_like(name, call, key=None, fmts=FORMATS, note=""):
        for fmt, kw in fmts.items():
            is_obj = fmt.startswith("object")
            k = obj if is_obj else n
            for th in ([1] if is_obj else sorted({1, threads_all})):
                for lv in ([None] if is_obj else levels):
                    simd = SIMD_NAMES[best] + " (best)" if lv is None else SIMD_NAMES[lv]
                    if lv == best:
                        simd = SIMD_NAMES[lv] + " (best)"
                    impls.append(Impl(
                        name, "ours, array", fmt,
                        lambda call=call, kw=kw, k=k, th=th: (
                            lambda: call(slice(0, k), kw, th), k),
                        lambda call=call, kw=kw, th=th: call(slice(0, m), kw, th),
                        ref_key=key, threads=th, simd=simd, simd_level=lv,
                        notes=note + (f"object on {k} elements" if is_obj else "")))

    rbe_like("rbe", lambda sl, kw, th: pq.rbe(inp.R[sl], inp.T[sl], inp.i[sl], inp.j[sl],
                                              threads=th, **kw))
    # per-element options: |f| reaches 2.2, beyond int64 at frac 62
    rbe_like("rbe", lambda sl, kw, th: pq.rbe(
        inp.R[sl], inp.T[sl], inp.i[sl], inp.j[sl], log2_c=inp.log2_c[sl], eps=inp.eps[sl],
        d_r=inp.d_r[sl], rot=inp.rot[sl], d_theta=inp.d_theta[sl], threads=th, **kw),
        key="rbe+options", fmts={k: FORMATS[k] for k in ("float64", "float32")},
        note="per-element options; ")
    rbe_like("rbe_pipeline", lambda sl, kw, th: pq.rbe_pipeline(
        inp.R[sl], inp.T[sl], inp.i[sl], inp.j[sl], threads=th, **kw))
    # seed words carry their own options: float formats only (|f| up to 2.2)
    rbe_like("rbe_seed64", lambda sl, kw, th: pq.rbe_seed64(
        inp.W[sl], inp.i[sl], inp.j[sl], threads=th, **kw),
        fmts={k: FORMATS[k] for k in ("float64", "float32")},
        note="the words' own options; ")
    for key, opts in SCALAR_HEAVY.items():
        rbe_like("rbe", lambda sl, kw, th, opts=opts: pq.rbe(
            inp.R[sl], inp.T[sl], inp.i[sl], inp.j[sl], threads=th, **opts, **kw),
            key=key, fmts={k: FORMATS[k] for k in ("float64", "float32")},
            note="scalar options %s; " % ", ".join(f"{k}={v}" for k, v in opts.items()))
    for idx, impl in enumerate(impls):
        if impl.ref_key == "rbe+options":
            impl.impl = "ours, array, per-element options"
        if impl.ref_key in SCALAR_HEAVY_IMPL:
            impl.impl = SCALAR_HEAVY_IMPL[impl.ref_key]

    # packing
    impls.append(Impl("pack_seed64", "ours, array", "uint64",
                      lambda: (lambda: pq.pack_seed64(**inp.fields), n),
                      lambda: pq.pack_seed64(**{k: v[:m] for k, v in inp.fields.items()}),
                      threads=threads_all, notes=ALL_CORES))
    impls.append(Impl("unpack_seed64", "ours, array", "fields",
                      lambda: (lambda: pq.unpack_seed64(inp.W), n),
                      lambda: list(zip(*(c.tolist() for c in pq.unpack_seed64(inp.W[:m])))),
                      threads=threads_all, notes=ALL_CORES))

    # Python scalar calls, one call per element
    ns_ = mode["scalar"]
    sc = {
        "radial": (inp.scalars(ns_, "R"), pq.radial),
        "angular": (inp.scalars(ns_, "T"), pq.angular),
        "modulation": (inp.scalars(ns_, "i", "j"), pq.modulation),
        "rbe": (inp.scalars(ns_, "R", "T", "i", "j"), pq.rbe),
        "rbe_pipeline": (inp.scalars(ns_, "R", "T", "i", "j"), pq.rbe_pipeline),
    }
    for name, (args, fn) in sc.items():
        for fmt in ("int64/62", "float64"):
            kw = FORMATS[fmt]
            impls.append(Impl(
                name, "ours, Python scalar call", fmt,
                lambda args=args, fn=fn, kw=kw: (
                    lambda: [fn(*a, **kw) for a in args], len(args)),
                lambda args=args, fn=fn, kw=kw: [fn(*a, **kw) for a in args[:m]],
                notes=f"{len(args)} calls on Python ints"))
    sargs = inp.scalars(ns_, "i", "j")
    impls.append(Impl("spatial_hash", "ours, Python scalar call", "uint32",
                      lambda: (lambda: [pq.spatial_hash(a, b) for a, b in sargs], len(sargs)),
                      lambda: [pq.spatial_hash(a, b) for a, b in sargs[:m]]))
    wargs = inp.scalars(ns_, "W", "i", "j")
    impls.append(Impl("rbe_seed64", "ours, Python scalar call", "float64",
                      lambda: (lambda: [pq.rbe_seed64(*a, dtype=np.float64) for a in wargs],
                               len(wargs)),
                      lambda: [pq.rbe_seed64(*a, dtype=np.float64) for a in wargs[:m]]))
    fl = list(zip(*(v[:ns_].tolist() for v in inp.fields.values())))
    impls.append(Impl("pack_seed64", "ours, Python scalar call", "uint64",
                      lambda: (lambda: [pq.pack_seed64(*a) for a in fl], len(fl)),
                      lambda: [pq.pack_seed64(*a) for a in fl[:m]]))
    wl = inp.W[:ns_].tolist()
    impls.append(Impl("unpack_seed64", "ours, Python scalar call", "fields",
                      lambda: (lambda: [pq.unpack_seed64(w) for w in wl], len(wl)),
                      lambda: [tuple(pq.unpack_seed64(w)) for w in wl[:m]]))
    return impls


# ---------------------------------------------------------------------------
# numpy: the same formula in floating point
# ---------------------------------------------------------------------------
def numpy_rbe(r, t, h, form, dt):
    two_pi = dt(2 * np.pi)
    if form == "rational":
        g = dt(2) * r / (dt(1) + r * r)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.tanh(dt(2) * np.arctanh(r))
    return g * np.sin(two_pi * t) * (dt(1) + dt(0.1) * np.sin(two_pi * h / dt(2**32)))


def murmur_numpy(i, j):
    """MurmurHash3_x86_32 of LE32(i) || LE32(j), seed 0, on uint32 arrays."""
    def rotl(x, s):
        return (x << np.uint32(s)) | (x >> np.uint32(32 - s))
    h = np.zeros_like(i)
    for k in (i, j):
        k = k * np.uint32(0xCC9E2D51)
        k = rotl(k, 15) * np.uint32(0x1B873593)
        h = rotl(h ^ k, 13) * np.uint32(5) + np.uint32(0xE6546B64)
    h = h ^ np.uint32(8)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def numpy_rows(inp, mode):
    n, m = len(inp.R), mode["check"]
    impls = []
    for fmt, dt in (("float64", np.float64), ("float32", np.float32)):
        r, t, h = (inp.r, inp.t, inp.h) if dt is np.float64 else (inp.r32, inp.t32, inp.h32)
        for form in ("rational", "tanh"):
            impls.append(Impl("rbe", f"numpy {form}", fmt,
                              lambda r=r, t=t, h=h, form=form, dt=dt: (
                                  lambda: numpy_rbe(r, t, h, form, dt), n),
                              lambda r=r, t=t, h=h, form=form, dt=dt: numpy_rbe(
                                  r[:m], t[:m], h[:m], form, dt),
                              notes="hash precomputed" + (
                                  "; NaN/inf where 2 atanh(r) overflows" if form == "tanh" else "")))
            g = ((lambda r: dt(2) * r / (dt(1) + r * r)) if form == "rational" else
                 (lambda r: np.tanh(dt(2) * np.arctanh(r))))
            impls.append(Impl("radial", f"numpy {form}", fmt,
                              lambda g=g, r=r: (lambda: g(r), n), lambda g=g, r=r: g(r[:m])))
        two_pi = dt(2 * np.pi)
        impls.append(Impl("angular", "numpy np.sin", fmt,
                          lambda t=t, tp=two_pi: (lambda: np.sin(tp * t), n),
                          lambda t=t, tp=two_pi: np.sin(tp * t[:m])))
        phi = (lambda h, dt=dt, tp=two_pi: dt(1) + dt(0.1) * np.sin(tp * h / dt(2**32)))
        impls.append(Impl("modulation", "numpy np.sin", fmt,
                          lambda h=h, phi=phi: (lambda: phi(h), n),
                          lambda h=h, phi=phi: phi(h[:m]), notes="hash precomputed"))
    impls.append(Impl("spatial_hash", "numpy uint32 MurmurHash3", "uint32",
                      lambda: (lambda: murmur_numpy(inp.i, inp.j), n),
                      lambda: murmur_numpy(inp.i[:m], inp.j[:m])))
    return impls


#: numpy's run-time dispatch stopped at AVX2 (X86_V3), as on a CPU without
#: AVX-512: the numpy line that rbe's AVX2 lanes are compared with
NUMPY_AVX2_ENV = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}

_NUMPY_AVX2_CHILD = """
import sys
import numpy as np
here, data, repeats, m, out = sys.argv[1:]
sys.path.insert(0, here)
from suite import numpy_rbe
from timing import best_of
a = np.load(data)
r, t, h = a["r"], a["t"], a["h"]
ns = best_of(lambda: numpy_rbe(r, t, h, "rational", np.float64), int(repeats)) / len(r) * 1e9
m = int(m)
np.save(out, numpy_rbe(r[:m], t[:m], h[:m], "rational", np.float64))
print(ns)
"""


def numpy_avx2_rows(inp, mode, levels):
    """numpy float64 rbe (rational form) timed in a child process whose
    numpy dispatch stops at AVX2; only where the CPU has AVX-512 (else
    numpy_rows' line is that already)."""
    if 2 not in levels:
        return []
    m, done = mode["check"], {}

    def run():
        if not done:
            with tempfile.TemporaryDirectory() as d:
                data, out = os.path.join(d, "in.npz"), os.path.join(d, "out.npy")
                np.savez(data, r=inp.r, t=inp.t, h=inp.h)
                res = subprocess.run(
                    [sys.executable, "-c", _NUMPY_AVX2_CHILD, HERE, data,
                     str(mode["repeats"]), str(m), out],
                    env=dict(os.environ, **NUMPY_AVX2_ENV), capture_output=True, text=True,
                    check=True)
                done["ns"] = float(res.stdout.split()[-1])
                done["values"] = np.load(out)
        return done

    return [CImpl("rbe", "numpy rational, AVX2 dispatch", "float64",
                  lambda: (None, run()["ns"]), lambda: run()["values"],
                  notes="hash precomputed; NPY_DISABLE_CPU_FEATURES="
                        + NUMPY_AVX2_ENV["NPY_DISABLE_CPU_FEATURES"])]


# ---------------------------------------------------------------------------
# decode_matrix
# ---------------------------------------------------------------------------
def decode_rows(mode, threads_all, levels, best, ctx):
    side = mode["matrix"]
    R0, T0 = 0xC000000000000000, 0x1999999999999999  # r = 0.75, 0.1 turn
    rng = np.random.default_rng(1)
    rows = rng.integers(0, side, size=mode["check"]).tolist()
    cols = rng.integers(0, side, size=mode["check"]).tolist()
    ctx["matrix_sample"] = (R0, T0, rows, cols)
    table = pq.phi_table(side, side)
    impls = []
    count = side * side
    for fmt in ("int64/62", "float64", "float32"):
        kw = FORMATS[fmt]
        for th in sorted({1, threads_all}):
            for lv in levels:
                simd = SIMD_NAMES[lv] + (" (best)" if lv == best else "")
                for tab in (None, table):
                    def call(kw=kw, th=th, tab=tab):
                        return pq.decode_matrix(R0, T0, side, side, threads=th,
                                                phi_table=tab, **kw)
                    impls.append(Impl(
                        "decode_matrix", "ours" + (", phi_table" if tab is not None else ""),
                        fmt, lambda call=call: (call, count),
                        lambda call=call: call()[rows, cols], threads=th, simd=simd,
                        simd_level=lv, notes=f"{side} x {side}"))
    # numpy: the matrix as A * phi with phi precomputed (the table's analogue)
    ii, jj = np.meshgrid(np.arange(side, dtype=np.uint32), np.arange(side, dtype=np.uint32),
                         indexing="ij")
    hh = pq.spatial_hash(ii, jj).astype(np.float64)
    r, t = R0 / 2**64, T0 / 2**64
    for fmt, dt in (("float64", np.float64), ("float32", np.float32)):
        a = dt(2 * r / (1 + r * r) * math.sin(2 * math.pi * t))
        phi = (1 + 0.1 * np.sin(2 * np.pi * hh / 2**32)).astype(dt)
        out = np.empty_like(phi)
        impls.append(Impl("decode_matrix", "numpy A * phi", fmt,
                          lambda a=a, phi=phi, out=out: (
                              lambda: np.multiply(a, phi, out=out), count),
                          lambda a=a, phi=phi: (a * phi)[rows, cols],
                          notes=f"{side} x {side}; phi precomputed"))
    return impls


# ---------------------------------------------------------------------------
# C calls
# ---------------------------------------------------------------------------
def build_c(workdir):
    """Build bench_calls.c and bench_decode_rows.c against get_include()."""
    cc = shutil.which("gcc")
    if cc is None:
        return None, "gcc not found: the C rows are left out"
    inc = pq.get_include()
    srcs = sorted(os.path.join(inc, f) for f in os.listdir(inc) if f.endswith(".c"))
    exes = {}
    for name in ("bench_calls", "bench_decode_rows"):
        exe = os.path.join(workdir, name)
        cmd = [cc, "-O3", "-std=c11", "-fno-strict-aliasing", "-I" + inc,
               os.path.join(HERE, name + ".c"), *srcs, "-lm", "-o", exe]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            return None, f"{name}.c did not build: {res.stderr[-500:]}"
        exes[name] = exe
    return exes, ""


def c_rows(exes, inp, mode, levels, best):
    n, m = len(inp.R), mode["check"]
    kinds = {"int64/62": 0, "float64": 2, "float32": 3}
    lines = "".join(f"{a} {b} {c} {d}\n" for a, b, c, d in inp.scalars(m, "R", "T", "i", "j"))
    impls = []

    def timed(api, kind, lv, count):
        def go():
            return None
        res = subprocess.run([exes["bench_calls"], "time", str(api), str(kind), str(lv),
                              str(count), str(mode["repeats"])],
                             capture_output=True, text=True, check=True)
        ns = float(res.stdout.split()[0])
        # the program timed itself; hand best_of a constant so the row keeps ns
        return go, ns

    def checked(api, kind, lv):
        res = subprocess.run([exes["bench_calls"], "check", str(api), str(kind), str(lv)],
                             input=lines, capture_output=True, text=True, check=True)
        out = res.stdout.split()
        if kind == 0:
            return [int(x) for x in out]
        dt, it = (np.float64, np.uint64) if kind == 2 else (np.float32, np.uint32)
        return np.array([int(x, 16) for x in out], dtype=it).view(dt).tolist()

    for fmt, kind in kinds.items():
        for api, label, lvls in ((0, "C pq_rbe per element", [None]),
                                 (1, "C pq_rbe_range", levels)):
            for lv in lvls:
                simd = "-" if lv is None else SIMD_NAMES[lv] + (" (best)" if lv == best else "")
                cnt = min(n, 10**5) if api == 0 else n
                impls.append(CImpl("rbe", label, fmt,
                                   lambda api=api, kind=kind, lv=lv, cnt=cnt: timed(
                                       api, kind, -1 if lv is None else lv, cnt),
                                   lambda api=api, kind=kind, lv=lv: checked(
                                       api, kind, -1 if lv is None else lv),
                                   simd=simd, notes="gcc -O3 against get_include()"))
    side = mode["matrix"]
    for fmt, kind in kinds.items():
        for tab in (0, 1):
            for lv in levels:
                def dtimed(kind=kind, tab=tab, lv=lv):
                    res = subprocess.run([exes["bench_decode_rows"], str(side), "2", str(kind),
                                          str(tab), str(lv)], capture_output=True, text=True,
                                         check=True)
                    return (lambda: None), float(res.stdout.split(":")[1].split()[0])
                impls.append(CImpl("decode_matrix", "C pq_decode_rows" +
                                   (", phi table" if tab else ""), fmt, dtimed, None,
                                   simd=SIMD_NAMES[lv] + (" (best)" if lv == best else ""),
                                   notes=f"{side} rows x 1024; not checked here (the Python "
                                         "decode rows call the same function)"))
    return impls


class CImpl(Impl):
    """A row timed by the C program itself (timed() returns (fn, ns))."""


def _time_c(impl):
    _, ns = impl.timed()
    return ns


# ---------------------------------------------------------------------------
# Correctly rounded (and not) alternatives
# ---------------------------------------------------------------------------
def _frac_of_arf(x):
    m, e = x.man_exp()
    m, e = int(m), int(e)
    return Fraction(m * 2**e) if e >= 0 else Fraction(m, 2**-e)


def flint_rbe(R, T, h):
    """rbe as float64 with arb balls, precision raised until the ball rounds to one float."""
    from flint import arb, ctx
    prec = 96
    saved = ctx.prec
    try:
        while prec <= 8192:
            ctx.prec = prec
            r = arb(R) * arb(2) ** -64
            g = 2 * r / (1 + r * r)
            s = (arb(T) * arb(2) ** -63).sin_pi()
            phi = 1 + (arb(h) * arb(2) ** -31).sin_pi() / 10
            f = g * s * phi
            lo, hi = float(_frac_of_arf(f.lower())), float(_frac_of_arf(f.upper()))
            if lo == hi:
                return lo
            prec *= 2
    finally:
        ctx.prec = saved
    return math.nan


def gmpy2_rbe(R, T, h):
    import gmpy2
    from gmpy2 import mpfr
    with gmpy2.context(precision=128):
        r = mpfr(R) / TWO64
        two_pi = 2 * gmpy2.const_pi()
        f = (2 * r / (1 + r * r) * gmpy2.sin(two_pi * T / TWO64)
             * (1 + gmpy2.sin(two_pi * h / 2**32) / 10))
        return float(f)


def mpmath_rbe(R, T, h):
    import mpmath
    with mpmath.workprec(128):
        r = mpmath.mpf(R) / TWO64
        f = (2 * r / (1 + r * r) * mpmath.sinpi(mpmath.mpf(T) / 2**63)
             * (1 + mpmath.sinpi(mpmath.mpf(h) / 2**31) / 10))
        return float(f)


def apytypes_radial(Rs):
    """g = 2r/(1+r^2) in APyTypes fixed point, rounded to frac 62 (ties to even)."""
    import apytypes as apy
    r = apy.APyFixedArray(list(Rs), int_bits=1, frac_bits=64)
    one = apy.APyFixed.from_float(1, int_bits=2, frac_bits=0)
    g = (r + r) / (one + r * r)
    g = g.cast(int_bits=2, frac_bits=62, quantization=apy.QuantizationMode.RND_CONV)
    return [int(b) for b in np.asarray(g.to_bits()).tolist()]


def fxpmath_radial(Rs):
    """g = 2r/(1+r^2) with fxpmath Fxp, 66-bit words, 64 fractional bits in, 62 out."""
    from fxpmath import Fxp
    cfg = dict(signed=False, n_word=66, n_frac=64)
    r = Fxp(None, **cfg)
    r.set_val(np.array([int(x) for x in Rs], dtype=object), raw=True)
    g = (r * 2) / (r * r + 1)
    out = Fxp(g, signed=True, n_word=64, n_frac=62, rounding="around")
    return [int(x) for x in np.asarray(out.val).tolist()]


def alternative_rows(inp, mode):
    k = min(mode["slow"], len(inp.R))
    args = [(int(a), int(b), int(c)) for a, b, c in zip(inp.R[:k], inp.T[:k], inp.h[:k])]
    impls = []
    libs = [("python-flint arb, Ziv loop", "flint", flint_rbe,
             "correctly rounded by construction; hash precomputed"),
            ("gmpy2 MPFR 128 bits", "gmpy2", gmpy2_rbe,
             "each operation rounded once at 128 bits, the result not guaranteed; hash precomputed"),
            ("mpmath 128 bits", "mpmath", mpmath_rbe,
             "each operation rounded at 128 bits; hash precomputed")]
    for label, mod, fn, note in libs:
        try:
            __import__(mod)
        except ImportError:
            impls.append(Impl("rbe", label, "float64", None, None,
                              notes=f"{mod} is not installed (pip install -e '.[bench]')"))
            continue
        impls.append(Impl("rbe", label, "float64",
                          lambda fn=fn: (lambda: [fn(*a) for a in args], len(args)),
                          lambda fn=fn: [fn(*a) for a in args[:mode["check"]]],
                          notes=f"{len(args)} inputs; " + note))
    Rs = inp.R[:k].tolist()
    for label, mod, fn, note in (
            ("APyTypes fixed point", "apytypes", apytypes_radial,
             "g(r) only: APyTypes has no sine, so s and phi cannot be expressed"),
            ("fxpmath fixed point", "fxpmath", fxpmath_radial,
             "g(r) only: fxpmath has no sine, so s and phi cannot be expressed; "
             "its quotient goes through float64 (53 bits)")):
        try:
            __import__(mod)
        except ImportError:
            impls.append(Impl("radial", label, "int64/62", None, None,
                              notes=f"{mod} is not installed (pip install -e '.[bench]')"))
            continue
        impls.append(Impl("radial", label, "int64/62",
                          lambda fn=fn: (lambda: fn(Rs), len(Rs)),
                          lambda fn=fn: fn(Rs[:mode["check"]]),
                          notes=f"{len(Rs)} inputs; " + note))
    return impls


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
def _is_best(row):
    return row["simd"] == "-" or row["simd"].endswith("(best)")


def find(rows, function, impl, fmt, threads=1, simd=None):
    for r in rows:
        if (r["function"] == function and r["impl"] == impl and r["fmt"] == fmt
                and r["threads"] == threads
                and (_is_best(r) if simd is None else r["simd"].startswith(simd))):
            return r
    return None


def add_ratios(rows):
    """ratio = ns of the row / ns of ours (array call, same function, format, threads)."""
    for r in rows:
        base = find(rows, r["function"], "ours" if r["function"] == "decode_matrix"
                    else "ours, array", r["fmt"], r["threads"])
        if base is None:  # a function without a threads argument: its one row
            base = next((b for b in rows if b["function"] == r["function"]
                         and b["impl"] == "ours, array" and b["fmt"] == r["fmt"]
                         and _is_best(b)), None)
        r["ratio"] = (r["ns"] / base["ns"] if base is not None and base["ns"] > 0
                      else math.nan)


def _ns(row):
    return row["ns"] if row is not None else math.nan


def _verdict(ok, text):
    if ok is None:
        return f"not measured ({text})"
    return ("**met**" if ok else "**not met**") + f": {text}"


def targets(rows, threads_all, levels):
    out = []

    def line(name, ok, text):
        out.append(f"- {name}: {_verdict(ok, text)}")

    for fmt in ("int64/62", "float64"):
        for lv in levels[::-1]:
            if lv == 0:
                continue
            ours = _ns(find(rows, "rbe", "ours, array", fmt, 1, SIMD_NAMES[lv]))
            # the targets: 1.6x numpy on the AVX-512 lanes, 1.2x on AVX2,
            # where numpy too is held to AVX2 if the CPU has more
            want = 1.6 if lv == 2 else 1.2
            npy = _ns(find(rows, "rbe", "numpy rational, AVX2 dispatch", "float64")) \
                if lv == 1 and 2 in levels else _ns(find(rows, "rbe", "numpy rational", "float64"))
            ok = None if math.isnan(ours) or math.isnan(npy) else npy / ours >= want
            held = " (numpy's dispatch held to AVX2)" if lv == 1 and 2 in levels else ""
            line(f"rbe {fmt}, 1 thread, {SIMD_NAMES[lv]}: >= {want}x numpy float64 "
                 f"rational{held} (numpy / ours)", ok,
                 f"numpy {npy:.2f} ns, ours {ours:.2f} ns, ratio {npy / ours:.2f}")
    for fmt in ("int64/62", "float64"):
        t1 = _ns(find(rows, "rbe", "ours, array", fmt, 1))
        t2 = _ns(find(rows, "rbe", "ours, array", fmt, threads_all))
        if threads_all < 2:
            line(f"rbe {fmt}, 2 threads >= 1.9x one", None, "one core only")
        else:
            line(f"rbe {fmt}, {threads_all} threads >= 1.9x one thread", t1 / t2 >= 1.9,
                 f"{t1:.2f} ns -> {t2:.2f} ns, speed-up {t1 / t2:.2f}")
    base = _ns(find(rows, "rbe", "ours, array", "float64"))
    for name, impl in (("rbe_seed64", "ours, array"), ("rbe_pipeline", "ours, array"),
                       ("rbe", "ours, array, per-element options")):
        x = _ns(find(rows, name, impl, "float64"))
        what = name if name != "rbe" else "rbe with per-element options"
        line(f"{what} float64, 1 thread, no slower per element than rbe with scalar "
             "options", x / base <= 1,
             f"{x:.2f} ns against {base:.2f} ns, ratio {x / base:.2f}")
        # the same kind of work with the options given once: eps != 0 and
        # d_r = 1 for per-element options (random eps, mixed d_r), d_r = 1
        # for seed words (eps = 0, mixed d_r); the pipeline has no options
        key = {"rbe_seed64": "rbe+d1", "rbe": "rbe+e1d1"}.get(name)
        if key:
            y = _ns(find(rows, "rbe", SCALAR_HEAVY_IMPL[key], "float64"))
            line(f"{what} float64, 1 thread, against {SCALAR_HEAVY_IMPL[key][6:]} "
                 "(the same kind of work, options given once)", x / y <= 1,
                 f"{x:.2f} ns against {y:.2f} ns, ratio {x / y:.2f}")
    for fmt in ("int64/62", "float64"):
        b = _ns(find(rows, "rbe", "ours, array", fmt, threads_all))
        for name in ("radial", "angular", "modulation"):
            x = _ns(find(rows, name, "ours, array", fmt, threads_all))
            line(f"{name} {fmt} ({threads_all} threads: no threads argument) below "
                 f"rbe at {threads_all} threads (one factor against the product)",
                 x < b, f"{x:.2f} ns against rbe {b:.2f} ns, ratio {x / b:.2f}")
    for r in rows:
        if r["impl"] == "ours, Python scalar call" and r["fmt"] in ("int64/62", "uint64",
                                                                     "uint32", "fields"):
            line(f"Python scalar call {r['function']} ({r['fmt']}) <= 1 us", r["ns"] <= 1000,
                 f"{r['ns']:.0f} ns per call")
    for r in rows:
        if r["impl"] == "ours, Python scalar call" and r["function"] == "rbe_seed64":
            line("Python scalar call rbe_seed64 (float64) <= 1 us", r["ns"] <= 1000,
                 f"{r['ns']:.0f} ns per call")
    for fmt in ("int64/62", "float64"):
        c = find(rows, "rbe", "C pq_rbe per element", fmt)
        if c is None:
            line(f"pq_rbe from C ({fmt}) <= 40 ns", None, "the C rows were not run")
        else:
            line(f"pq_rbe from C ({fmt}) <= 40 ns per call", c["ns"] <= 40,
                 f"{c['ns']:.1f} ns")
    ours = _ns(find(rows, "rbe", "ours, array", "float64"))
    for impl, want in (("python-flint arb, Ziv loop", 300), ("mpmath 128 bits", 1000)):
        x = _ns(find(rows, "rbe", impl, "float64"))
        if math.isnan(x):
            line(f"ours >= {want}x {impl}", None, "not run")
        else:
            line(f"rbe float64, 1 thread, >= {want}x as fast as {impl}", x / ours >= want,
                 f"{x:.0f} ns against {ours:.2f} ns, {x / ours:.0f}x")
    return out


def machine(args, threads_all, levels, best, load0, load1):
    cpu, flags = platform.processor() or platform.machine(), []
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name") and cpu in ("", platform.machine()):
                    cpu = ln.split(":", 1)[1].strip()
                if ln.startswith("flags"):
                    have = set(ln.split(":", 1)[1].split())
                    flags = sorted(x for x in have if x.startswith(("avx", "bmi", "fma", "sse4",
                                                                     "adx")))
                    break
    except OSError:
        pass
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- command: `{args.command}`",
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; flags: {' '.join(flags) or 'unknown'}",
        f"- SIMD levels of rbe's array path: {', '.join(SIMD_NAMES[x] for x in levels)} "
        f"(best: {SIMD_NAMES[best]})",
        f"- threads: 1 and {threads_all} (all: `poincare_q64._kernels.max_threads()`)",
        f"- Python {platform.python_version()}, numpy {np.__version__}, "
        f"poincare_q64 {getattr(pq, '__version__', '?')}, {platform.system()} "
        f"{platform.release()}",
        f"- load average (1 min) at start / end: {load0:.2f} / {load1:.2f} (the end "
        "figure counts the run's own work)",
    ] + ([f"- **the machine was not idle** (load average {load0:.2f} on "
          f"{os.cpu_count()} cores at the start): other processes shared the cores, so the "
          "figures, the all-threads ones most, are noisy; rerun on a quiet machine before "
          "quoting them"] if load0 > 0.5 else [])


def markdown(rows, mode_name, mode, mach, tgts, c_note):
    md = ["# Performance", "",
          "Generated by `benchmarks/suite.py`; do not edit by hand. Rerun it to",
          "regenerate this page and `performance.png`.", "",
          "## Machine and run", "", *mach, "",
          f"Mode `{mode_name}`: {mode['n']} random inputs per timed call, best of "
          f"{mode['repeats']} after a warm-up"
          + (f", the fastest of {mode['rounds']} such passes over all rows (a minute or more "
             "apart, so that a moment of other load does not set a row's figure)"
             if mode.get("rounds", 1) > 1 else "")
          + f"; object format on {mode['obj']}, Python scalar "
          f"calls on {mode['scalar']}, arbitrary-precision libraries on {mode['slow']}, "
          f"decode_matrix {mode['matrix']} x {mode['matrix']}; all reported per element. "
          f"Correctness: each row's implementation on the first {mode['check']} inputs "
          "(arbitrary precision: the first "
          f"{min(mode['check'], mode['slow'])}) compared with `poincare_q64.reference`.", "",
          "Columns: *ratio* is this row's ns/element divided by ours (the package's array "
          "call at the best SIMD level, same function, format and threads; above 1 means "
          "slower than ours). *correct* is `yes (0/N)` when all N checked results equal the "
          "correctly rounded reference, else the share that differ and by how many units in "
          "the last place (ulp; for int64/62 units of 2^-62). numpy rows: `r = R/2^64`, "
          "`t = T/2^64`, `h = spatial_hash(i, j)` computed before timing (the hash is "
          "precomputed), the float32 rows on float32 arrays; rational form "
          "`2r/(1+r^2)`, tanh form `tanh(2 atanh(r))` (c = 1). Formats: int64/62 is int64 "
          "at frac 62; rows with per-element options or seed words are float only, since "
          "|f| reaches 2.2.", ""]
    if c_note:
        md += [c_note, ""]
    md += ["## Targets", "", *tgts, "",
           "## Table", "",
           "| function | implementation | format | threads | SIMD | ns/element | ratio to ours "
           "| correct | notes |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ns = "-" if math.isnan(r["ns"]) else (f"{r['ns']:.3g}" if r["ns"] < 100
                                              else f"{r['ns']:.0f}")
        ratio = "-" if math.isnan(r["ratio"]) else f"{r['ratio']:.3g}"
        md.append(f"| {r['function']} | {r['impl']} | {r['fmt']} | {r['threads']} | "
                  f"{r['simd']} | {ns} | {ratio} | {r['correct']} | {r['notes']} |")
    md += ["", "## What the alternatives can express", "",
           "- python-flint (arb): every factor as a ball; the precision doubles from 96 bits "
           "until both ends of the ball round to the same float64 (Ziv's loop), so its "
           "results are correctly rounded by construction.",
           "- gmpy2 (MPFR) and mpmath at 128 bits: each operation is rounded once, the "
           "result then rounded to float64; that is a double rounding, correct except when "
           "f lies within about 2^-120 of a float64 midpoint, so not guaranteed.",
           "- APyTypes and fxpmath are fixed-point libraries without a sine: only the "
           "radial term g(r) = 2r/(1+r^2) is expressible, as a fixed-point quotient "
           "(timed as `radial`, int64/62); s and phi, hence rbe, are not.", ""]
    return "\n".join(md) + "\n"


def chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    # one bar per implementation and function: 1 thread (all cores for the
    # functions without a threads argument), best SIMD level, float64 where
    # the row has it, so that the bars of one function compare like with like
    rank = {"float64": 0, "int64/62": 1, "float32": 2}
    pick = {}
    for r in rows:
        one = r["threads"] == 1 or ALL_CORES in r["notes"]
        if not one or not _is_best(r) or math.isnan(r["ns"]):
            continue
        key = (r["function"], r["impl"])
        if key not in pick or rank.get(r["fmt"], 3) < rank.get(pick[key]["fmt"], 3):
            pick[key] = r
    sel = sorted(pick.values(), key=lambda r: (r["function"], r["ns"]))
    fig, ax = plt.subplots(figsize=(11, 0.28 * len(sel) + 1.5))
    labels = [f"{r['function']}: {r['impl']} ({r['fmt']})" for r in sel]
    colors = ["tab:blue" if r["impl"].startswith(("ours", "C ")) else
              ("tab:red" if r["bad"] else "tab:gray") for r in sel]
    ax.barh(range(len(sel)), [r["ns"] for r in sel], color=colors)
    ax.set_yticks(range(len(sel)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ns per element (log scale)\n1 thread (functions without a threads "
                  "argument: all cores), best SIMD level, float64 where available")
    ax.set_title("poincare_q64 (blue) and alternatives (grey; red: wrong results)")
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main(argv=None, extra=None, progress=print):
    """Run the suite; extra(inp, mode) may return more Impl rows (the tests use it)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true",
                   help="10^5 inputs, fewer repeats and samples: a smoke run")
    g.add_argument("--tiny", action="store_true",
                   help="a few thousand inputs: checks that the suite runs (the tests)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs"),
                    help="directory of performance.md and performance.png (default docs/)")
    ap.add_argument("--no-c", action="store_true", help="leave out the C rows (no gcc build)")
    ap.add_argument("--no-chart", action="store_true", help="write no chart")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    args = ap.parse_args(argv)
    args.command = "python benchmarks/suite.py" + "".join(
        " " + a for a in (argv if argv is not None else sys.argv[1:]))
    mode_name = "tiny" if args.tiny else "quick" if args.quick else "full"
    mode = MODES[mode_name]
    load0 = os.getloadavg()[0]
    t_start = time.perf_counter()

    threads_all = max(1, _kernels.max_threads())
    levels = _simd_levels()
    best = _kernels.simd_level()
    inp = Inputs(mode["n"], args.seed)
    ctx = {}
    impls = ours_rows(inp, mode, threads_all, levels, best)
    impls += numpy_rows(inp, mode)
    impls += numpy_avx2_rows(inp, mode, levels)
    impls += decode_rows(mode, threads_all, levels, best, ctx)
    impls += alternative_rows(inp, mode)
    c_note = ""
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_c:
            progress("building the C programs ...")
            exes, c_note = build_c(tmp)
            if exes:
                impls += c_rows(exes, inp, mode, levels, best)
        else:
            c_note = "The C rows were left out (--no-c)."
        if extra is not None:
            impls += extra(inp, mode)
        rows = run_rows(impls, inp, mode, ctx, progress)
    add_ratios(rows)
    tgts = targets(rows, threads_all, levels)
    mach = machine(args, threads_all, levels, best, load0, os.getloadavg()[0])
    mach.append(f"- wall time of the run: {time.perf_counter() - t_start:.0f} s")
    os.makedirs(args.out, exist_ok=True)
    md_path = os.path.join(args.out, "performance.md")
    text = markdown(rows, mode_name, mode, mach, tgts, c_note)
    if not args.no_chart:
        chart(rows, os.path.join(args.out, "performance.png"))
    with open(md_path + ".tmp", "w") as f:
        f.write(text)
    os.replace(md_path + ".tmp", md_path)
    progress("\n".join(["", *tgts, "", f"wrote {md_path}"]))
    return rows


if __name__ == "__main__":
    main()
