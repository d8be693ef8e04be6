"""Results do not depend on the thread count, out= is honoured, and the
kernels are free of data races.

Each element is computed independently by the same integer code, so
threads=1, threads=2 and threads=None (all cores) must give bit-identical
arrays.  This is the one place where C results are compared with C results;
a few elements of each array are also checked against the reference so that
an identical-but-wrong answer cannot pass.

Bit-identical results do not prove the absence of races (a racy counter
changes no result), so tests/tsan/race_check.c runs every kernel from
several threads at once under gcc's ThreadSanitizer.
"""
import os
import shutil
import subprocess
import zlib

import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import _kernels
from poincare_q64 import reference as ref
from conftest import bits, index_for_hash

N = 100_000
FORMATS = [("int64", np.int64, 61), ("object", object, 64),
           ("float64", np.float64, None), ("float32", np.float32, None)]


def _inputs(seed, n=N):
    rng = np.random.default_rng(seed)
    u64 = lambda: rng.integers(0, 2**64, size=n, dtype=np.uint64)  # noqa: E731
    return dict(
        R=u64(), T=u64(),
        i=rng.integers(0, 2**32, size=n, dtype=np.uint32),
        j=rng.integers(0, 2**32, size=n, dtype=np.uint32),
        eps=np.where(rng.random(n) < 0.5, 0, u64()).astype(np.uint64),
        log2_c=rng.integers(-4, 4, size=n), d_r=rng.integers(0, 2, size=n),
        rot=rng.integers(0, 16, size=n), d_theta=rng.integers(0, 4, size=n))


def _fkw(dtype, frac):
    return {"dtype": dtype} if frac is None else {"dtype": dtype, "frac": frac}


def _same(kind, a, b):
    if kind == "object":
        return a.shape == b.shape and all(x == y for x, y in zip(a.flat, b.flat))
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _spot_check(func, kind, fkw, a, res, picks):
    for m in picks:
        el = {k: int(v[m]) for k, v in a.items()}
        want = getattr(ref, func)(el.pop("R"), el.pop("T"), el.pop("i"), el.pop("j"), **el, **fkw)
        assert bits(kind, res[m]) == bits(kind, want), (func, kind, m)


def test_max_threads():
    assert _kernels.max_threads() >= 1


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f[0])
@pytest.mark.parametrize("func", ["rbe", "rbe_pipeline"])
def test_thread_counts_bit_identical(func, fmt):
    kind, dtype, frac = fmt
    a = _inputs(zlib.crc32(f"{func}-{kind}".encode()))
    fkw = _fkw(dtype, frac)
    f = getattr(pq, func)
    r1 = f(**a, **fkw, threads=1)
    r2 = f(**a, **fkw, threads=2)
    rn = f(**a, **fkw, threads=None)
    r3 = f(**a, **fkw, threads=3)  # more threads than cores: still identical
    assert r1.dtype == np.dtype(kind) and r1.shape == (N,)
    for r in (r2, rn, r3):
        assert _same(kind, r1, r)
    _spot_check(func, kind, fkw, a, r1, [0, 1, N // 2, N - 1])


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f[0])
def test_thread_counts_rbe_seed64(fmt):
    kind, dtype, frac = fmt
    a = _inputs(7)
    fkw = _fkw(dtype, frac)
    words = a["R"] & np.uint64(~(0xF << 16) & (2**64 - 1))  # basis 0
    s1 = pq.rbe_seed64(words, a["i"], a["j"], eps=a["eps"], **fkw, threads=1)
    s2 = pq.rbe_seed64(words, a["i"], a["j"], eps=a["eps"], **fkw, threads=2)
    sn = pq.rbe_seed64(words, a["i"], a["j"], eps=a["eps"], **fkw, threads=None)
    assert _same(kind, s1, s2) and _same(kind, s1, sn)
    for m in (0, N - 1):
        want = ref.rbe_seed64(int(words[m]), int(a["i"][m]), int(a["j"][m]),
                              eps=int(a["eps"][m]), **fkw)
        assert bits(kind, s1[m]) == bits(kind, want)


def test_broadcast_inputs_identical_across_threads():
    """Scalar options and a (n, 1) x (1, m) broadcast: the stride-0 inputs
    must be read the same way by every thread."""
    rng = np.random.default_rng(11)
    R = rng.integers(0, 2**64, size=(400, 1), dtype=np.uint64)
    T = rng.integers(0, 2**64, size=(1, 250), dtype=np.uint64)
    r1 = pq.rbe(R, T, 5, 6, log2_c=-2, d_r=1, rot=3, frac=64, dtype=object, threads=1)
    r2 = pq.rbe(R, T, 5, 6, log2_c=-2, d_r=1, rot=3, frac=64, dtype=object, threads=2)
    assert r1.shape == (400, 250)
    assert _same("object", r1, r2)
    want = ref.rbe(int(R[399, 0]), int(T[0, 249]), 5, 6, log2_c=-2, d_r=1, rot=3, frac=64,
                   dtype=object)
    assert r1[399, 249] == want


@pytest.mark.parametrize("threads", [1, 2, None])
def test_overflow_raised_for_any_thread_count(threads):
    """One element overflowing int64 at frac 62 (g' = 2, s = 1, phi = 11/10:
    f = 2.2) raises, whichever thread computes it; the other elements are
    kept below 2 (d_r = 0, c >= 1)."""
    a = _inputs(3, n=10_000)
    a["d_r"][:] = 0
    a["log2_c"][:] = np.maximum(a["log2_c"], 0)
    a["j"][7777] = 5
    a["i"][7777] = index_for_hash(1 << 30, 5)
    a["R"][7777] = 0
    a["d_r"][7777] = 1
    a["T"][7777] = 2**62
    a["rot"][7777] = a["d_theta"][7777] = 0
    a["eps"][7777] = 0
    with pytest.raises(OverflowError):
        pq.rbe(**a, frac=62, threads=threads)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f[0])
@pytest.mark.parametrize("func", ["rbe", "rbe_pipeline"])
def test_out_is_written_and_returned(func, fmt):
    kind, dtype, frac = fmt
    a = _inputs(5, n=5000)
    fkw = _fkw(dtype, frac)
    f = getattr(pq, func)
    out = np.empty(5000, dtype=np.dtype(kind))
    res = f(**a, **fkw, out=out, threads=2)
    assert res is out
    assert _same(kind, out, f(**a, **fkw, threads=1))
    _spot_check(func, kind, fkw, a, out, [0, 2500, 4999])
    # a 2-D out for a broadcast call
    out2 = np.empty((50, 100), dtype=np.dtype(kind))
    R2 = a["R"][:50, None]
    T2 = a["T"][None, :100]
    res2 = f(R2, T2, 1, 2, **fkw, out=out2)
    assert res2 is out2
    _spot_check(func, kind, fkw,
                dict(R=np.repeat(R2, 100, 1).ravel(), T=np.repeat(T2, 50, 0).ravel(),
                     i=np.full(5000, 1), j=np.full(5000, 2)),
                out2.ravel(), [0, 4999, 1234])


def test_out_rbe_seed64():
    words = np.array([0, 2**63, 0x123456789ABC0000 & ~(0xF << 16)], dtype=np.uint64)
    out = np.empty(3, dtype=np.float64)
    assert pq.rbe_seed64(words, 3, 4, dtype=np.float64, out=out) is out
    assert [bits("float64", x) for x in out] == [
        bits("float64", ref.rbe_seed64(int(w), 3, 4, dtype=np.float64)) for w in words]


def test_out_untouched_on_error():
    """No partial writes: an error leaves out exactly as it was."""
    a = _inputs(9, n=1000)
    a["j"][500] = 5
    a["i"][500] = index_for_hash(1 << 30, 5)
    a["R"][500] = 0
    a["d_r"][500] = 1
    a["T"][500] = 2**62
    a["rot"][500] = a["d_theta"][500] = 0
    a["eps"][500] = 0
    out = np.full(1000, -12345, dtype=np.int64)
    with pytest.raises(OverflowError):
        pq.rbe(**a, frac=62, out=out, threads=2)
    assert (out == -12345).all()


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RACE_CHECK = os.path.join(ROOT, "tests", "tsan", "race_check.c")


def test_kernels_are_race_free_under_threadsanitizer(tmp_path):
    """tests/tsan/race_check.c, compiled with -fsanitize=thread against the
    sources of get_include(), evaluates every kernel (block and scalar
    paths, exact cases, stage-1 deferrals) from 4 threads at once and
    compares with a run on one thread; ThreadSanitizer must report nothing.
    It fails, never skips, without gcc or its TSAN runtime: the claim
    "no data race" is otherwise untested (libgomp is not instrumented, so
    the OpenMP tests above cannot show it)."""
    gcc = shutil.which("gcc")
    assert gcc, "gcc is needed to build the ThreadSanitizer check (tests/tsan/race_check.c)"
    include = pq.get_include()
    sources = sorted(os.path.join(include, f) for f in os.listdir(include) if f.endswith(".c"))
    exe = tmp_path / "race_check"
    build = subprocess.run(
        [gcc, "-fsanitize=thread", "-O1", "-g", "-std=c11", "-fno-strict-aliasing", "-pthread",
         "-I", include, RACE_CHECK, *sources, "-o", str(exe)],
        capture_output=True, text=True, timeout=300)
    if build.returncode != 0 and "tsan" in build.stderr:
        pytest.fail("gcc's ThreadSanitizer runtime (libtsan) is missing; install it (Debian/"
                    "Ubuntu: the libtsan package of this gcc, e.g. libtsan2):\n" + build.stderr)
    assert build.returncode == 0, build.stderr
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1")
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300, env=env)
    if "unexpected memory mapping" in run.stderr and shutil.which("setarch"):
        # TSAN's fixed memory layout clashes with high mmap randomisation on
        # some kernels (vm.mmap_rnd_bits > 28); without ASLR it fits
        run = subprocess.run(["setarch", os.uname().machine, "-R", str(exe)],
                             capture_output=True, text=True, timeout=300, env=env)
    assert "ThreadSanitizer" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stdout + run.stderr
    assert "race_check: OK" in run.stdout, run.stdout
