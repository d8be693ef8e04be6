"""Running the campaign: checking chunks of a family and scheduling them.

A chunk is a range of a family's elements (poincare_q64.validation.campaign_inputs).
:func:`run_chunk` checks one: the expected results from the oracle
(poincare_q64/validation/oracle.c, exact for radial; poincare_q64.validation.campaign_exact settles
what the oracle leaves open), the kernel's through the public API, and the
comparison, in every format; it returns a JSON-serialisable dict, which is
also the chunk's checkpoint.  :func:`run_family` runs (or resumes) the
chunks of a configuration (:func:`make_config`) in this process, on local
processes or on a dask.distributed cluster, and writes each finished chunk
under the checkpoint directory.
"""
import concurrent.futures as cf
import hashlib
import importlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from poincare_q64 import _testing
from poincare_q64 import registry, vectors as V
from poincare_q64.vector_files import atomic_file
from poincare_q64.validation import campaign_exact as X
from poincare_q64.validation import oracle as O
from poincare_q64.validation.campaign_inputs import (
    COMBOS, DEFAULT_N, FUNCTION, M64, angular_combo_inputs, chunk_indices,
    family_size, input_tuple, make_inputs)

# Relative to the current directory, like the reports (campaign_report).
CHECKPOINT_DIR = Path("validation", "checkpoints")
VERSION = 1            # of the chunk computation; part of the config hash

DEFAULT_CHUNK = {"radial": 1 << 16, "angular": 1 << 18, "phi": 1 << 22,
                 "random": 1 << 20}
MAIN_FORMATS = tuple(f.name for f in O.FORMATS)
MAX_EXAMPLES = 20      # failure examples kept per chunk
# int64 results that do not fit: the public API raises OverflowError for the
# whole array, so their X is checked with dtype=object (same frac), and the
# OverflowError itself one call each on the first OVERFLOW_CHECKS of them per
# chunk and format (a call that raises costs ~0.3 ms).
OVERFLOW_CHECKS = 16
HIST_BINS = 128        # bins of floor(-log2 |dist|); bin 0 counts ties


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
    """Expected radial results, exactly: g is a ratio of integers
    (poincare_q64.validation.campaign_exact), rounded in Python ints.

    Parameters
    ----------
    inputs : dict of str to ndarray
        Radial inputs (:func:`poincare_q64.validation.campaign_inputs.make_inputs`).
    formats : list of VectorFormat

    Returns
    -------
    dict of str to Expected
        Per format name; nothing is left open.
    """
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
    """Expected results of one format from the binary128 oracle's values.

    The oracle rounds what its error bound decides; the elements it leaves
    open (too close to a midpoint, or rational values it cannot hold) are
    settled one by one by poincare_q64.validation.campaign_exact.fallback.

    Parameters
    ----------
    function : str
        angular, modulation or rbe.
    inputs : dict of str to ndarray
    values : poincare_q64.validation.oracle.Values
        The oracle's values of ``inputs``.
    fmt : VectorFormat

    Returns
    -------
    Expected
        With the counts of undecided and fallback elements.
    """
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

class Got:
    """Kernel results of one format as lo/hi, overflow and error masks."""

    def __init__(self, n):
        self.lo = np.zeros(n, np.int64)
        self.hi = np.zeros(n, np.int64)
        self.overflow = np.zeros(n, bool)
        self.error = np.zeros(n, bool)
        self.messages = {}


def _store(got, sel, res, fmt):
    dt = np.dtype(fmt.kind)
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
    spec = registry.function(function)
    fn = getattr(kernel, spec.name)
    names, npos = spec.inputs, spec.positional
    n = len(inputs[names[0]])
    got = Got(n)

    def call(sel, f):
        pos = [inputs[k][sel] for k in names[:npos]]
        kw = {k: inputs[k][sel] for k in names[npos:]}
        kw.update(dtype=np.dtype(f.kind), frac=f.frac)
        if spec.threads:
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
        _testing.set_force_slow_path(level)
    try:
        for fmt in formats:
            e = expected[fmt.name]
            tests = fails = signalled = 0
            for rot, dt in combos:
                kin = inputs
                if family == "angular" and (rot, dt) != (0, 0):
                    kin = angular_combo_inputs(idx, rot, dt)
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
            _testing.set_force_slow_path(0)
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
    """The configuration of a family run, tagged by a hash of its contents.

    Everything that changes a chunk's result is in the configuration, so
    its ``tag`` names the checkpoint directory: a rerun with the same
    options resumes, and any other option starts a directory of its own.

    Parameters
    ----------
    family : str
        One of :data:`poincare_q64.validation.campaign_inputs.FAMILIES`.
    n, sample, seed, chunk, formats, kernel, keep, combos, force_slow
        As the command line's ``--n``, ``--sample``, ``--seed``,
        ``--chunk``, ``--kernel``, ``--keep``, ``--combos`` and
        ``--force-slow-path``; ``formats`` are the format names whose
        distances and worst cases are kept.

    Returns
    -------
    dict
        JSON-serialisable; ``total`` elements in chunks of ``chunk_size``.

    Examples
    --------
    >>> cfg = make_config("angular", sample=1000, chunk=300)
    >>> cfg["total"], len(chunk_specs(cfg)), len(cfg["tag"])
    (1000, 4, 12)
    >>> make_config("angular", seed=1)["tag"] != make_config("angular")["tag"]
    True
    """
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
    """The chunks of a configuration, as the dicts :func:`run_chunk`
    takes (small and picklable: they travel to the workers)."""
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
    """The checkpoint directory of a configuration under ``root``."""
    return Path(root) / cfg["family"] / cfg["tag"]


def write_json(path, data):
    """Write ``data`` as one line of sorted-key JSON (no newline, as in the
    committed reports), replacing ``path`` atomically."""
    with atomic_file(path) as fh:
        fh.write(json.dumps(data, sort_keys=True))


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
    """Run (or resume) the chunks of a configuration.

    Parameters
    ----------
    cfg : dict
        From :func:`make_config`.
    checkpoint_dir : path-like
        Finished chunks are kept under :func:`checkpoint_path`; the ones
        already there are not run again.
    fresh : bool
        Discard this configuration's checkpoints first.
    workers : int, optional
        Local processes (default all cores; 1 runs in this process).
    scheduler : str or distributed.Client, optional
        Run on a dask.distributed cluster instead.
    max_chunks : int, optional
        Stop after that many new chunks (a partial run; rerun to resume).
    progress : bool
        A progress bar on stderr.

    Returns
    -------
    results : list of dict
        The chunk results done so far, in chunk order.
    complete : bool
        Whether every chunk is done.
    wall : float
        Seconds this call took.
    """
    from tqdm import tqdm

    cdir = checkpoint_path(checkpoint_dir, cfg)
    if fresh and cdir.exists():
        shutil.rmtree(cdir)
    cdir.mkdir(parents=True, exist_ok=True)
    write_json(cdir / "config.json", cfg)
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
        write_json(cdir / f"chunk-{result['chunk']:06d}.json", result)
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

