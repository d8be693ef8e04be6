"""The C embedding, tested the way a user would use it (docs/embedding.md).

- C: examples/c/check_vectors.c is compiled with the system C compiler
  against the header and sources of ``poincare_q64.get_include()`` and run on
  vectors whose expected values come from the reference (never from the C
  path); it also checks that bad arguments give status codes.
- Cython: examples/cython is built in a temporary directory (once per
  session) and run: ``rbe_prange`` cimports the nogil kernels and calls them
  in a prange loop, ``rbe_capsule`` calls them through the PyCapsule.
- The capsule from Python: ctypes (and cffi) calls, bit for bit equal to the
  Python API, and status codes for NULL pointers and arguments out of range.
- Completeness and ABI: every function of poincare_q64.h is in the capsule
  table, its ctypes view and the .pxd files (with the header's types, nogil,
  noexcept); the ctypes/cffi mirrors have the C compiler's layout;
  tests/abi/abi.json, the frozen ABI, matches the headers.

Everything compiled goes to pytest's temporary directories; the repository
tree is not touched.  Without a C compiler the tests that compile (C, Cython,
ABI, layouts) are skipped, with the reason shown; CI has gcc, so they run
there.  Runtime ~22 s on two cores, 20 s of it the Cython build (one per
session).
"""
import ctypes as C
import doctest
import fnmatch
import glob
import importlib.util
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import sysconfig

import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import capi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES_C = os.path.join(ROOT, "examples", "c")
EXAMPLES_CY = os.path.join(ROOT, "examples", "cython")
ABI_DIR = os.path.join(ROOT, "tests", "abi")
INCLUDE = pq.get_include()
# the directory holding the package (a checkout, or site-packages)
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(pq.__file__)))


def _find_cc():
    candidates = [os.environ["CC"]] if os.environ.get("CC") else []
    for cc in candidates + ["gcc", "cc", "clang"]:
        if shutil.which(shlex.split(cc)[0]):
            return cc
    return None


CC = _find_cc()
NO_CC = ("no C compiler (gcc, cc or clang; or $CC) on PATH: the C, Cython and ABI tests "
         "need one (CI has gcc)")


def _require_cc():
    # Only the tests that compile something skip, and they say why; in CI
    # (CI=true), where gcc is part of the contract, a missing compiler fails.
    if CC is None:
        if os.environ.get("CI"):
            pytest.fail(NO_CC + "; CI=true, so this is an error, not a skip")
        pytest.skip(NO_CC)
    return shlex.split(CC)


CFLAGS = ["-O2", "-std=c11", "-Wall", "-Werror=incompatible-pointer-types"]

U64_MAX = 2**64 - 1
U32_MAX = 2**32 - 1


def _must(cmd, **kw):
    """Run a command; a failure (a build error) fails the test with its output."""
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, (
        f"command failed ({res.returncode}): {' '.join(map(str, cmd))}\n"
        f"--- stdout\n{res.stdout[-4000:]}\n--- stderr\n{res.stderr[-4000:]}")
    return res


def _load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env_with_package():
    """Environment in which a subprocess imports this very poincare_q64."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [PACKAGE_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


# --------------------------------------------------------------------------
# Builds (once per session each)
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kernel_objects(tmp_path_factory):
    """The C sources of get_include(), compiled once as a C user would."""
    out = tmp_path_factory.mktemp("kernels")
    sources = sorted(glob.glob(os.path.join(INCLUDE, "*.c")))
    assert sources, f"no C sources in get_include() = {INCLUDE}"
    _must([*_require_cc(), *CFLAGS, "-I", INCLUDE, "-c", *sources], cwd=out)
    return sorted(str(p) for p in out.glob("*.o"))


def _link_program(kernel_objects, source, out):
    _must([*_require_cc(), *CFLAGS, "-I", INCLUDE, str(source), *kernel_objects, "-o",
           str(out)])
    return str(out)


@pytest.fixture(scope="module")
def check_vectors(kernel_objects, tmp_path_factory):
    out = tmp_path_factory.mktemp("c_example") / "check_vectors"
    return _link_program(kernel_objects, os.path.join(EXAMPLES_C, "check_vectors.c"), out)


def _api_check_pyx(abi):
    """A Cython module that assigns every kernel, cimported from poincare_q64,
    to its field of the pq_capi table: Cython refuses it unless the .pxd
    declares the kernel with a compatible type, nogil and noexcept."""
    lines = ["# cython: language_level=3", "from poincare_q64 cimport *",
             "cdef pq_capi table"]
    for name in _header_functions(abi):
        lines.append(f"table.{name[3:]} = {name}")
    lines.append("cdef const pq_capi *own = pq_capi_table()")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def cython_examples(tmp_path_factory, abi):
    """examples/cython built in a temporary copy by its own setup.py (as its
    docstring says), together with the .pxd completeness module.  Both
    builds run at once (two cores)."""
    _require_cc()
    # Cython is a test dependency (pyproject [test]): missing, it fails, not skips
    import Cython  # noqa: F401

    work = tmp_path_factory.mktemp("cython_examples")
    for name in os.listdir(EXAMPLES_CY):
        if name.endswith((".pyx", ".py")):
            shutil.copy(os.path.join(EXAMPLES_CY, name), work)
    env = _env_with_package()
    build = subprocess.Popen(
        [sys.executable, "setup.py", "build_ext", "--inplace", "-j", "2"], cwd=work, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check_dir = tmp_path_factory.mktemp("api_check")
    (check_dir / "api_check.pyx").write_text(_api_check_pyx(abi))
    api_check = subprocess.run(
        [sys.executable, "-m", "cython", "-I", PACKAGE_ROOT, "api_check.pyx"], cwd=check_dir,
        capture_output=True, text=True, env=env)
    log, _ = build.communicate()
    assert build.returncode == 0, f"building examples/cython failed:\n{log[-6000:]}"
    modules = {}
    for name in ("rbe_prange", "rbe_capsule"):
        (path,) = glob.glob(str(work / f"{name}*.so")) + glob.glob(str(work / f"{name}*.pyd"))
        modules[name] = _load_module(name, path)
    modules["api_check"] = api_check
    return modules


@pytest.fixture(scope="module")
def make_abi():
    return _load_module("make_abi", os.path.join(ABI_DIR, "make_abi.py"))


@pytest.fixture(scope="module")
def abi(make_abi):
    """The ABI of the headers in get_include(), as tests/abi/make_abi.py reads it."""
    return make_abi.compute_abi(INCLUDE, cc=" ".join(_require_cc()))


def _header_functions(abi):
    """The kernels: the functions of poincare_q64.h (pq_capi_table is the table's)."""
    return [n for n, f in abi["functions"].items() if f["header"] == "poincare_q64.h"]


# --------------------------------------------------------------------------
# Inputs and the Python API's answers
# --------------------------------------------------------------------------

def _inputs(n=600, seed=20240):
    """Random inputs plus the hard values (edges, quarter turns and their
    neighbours), with every option drawn over its whole range."""
    rng = np.random.default_rng(seed)
    u64 = lambda: rng.integers(0, 2**64, size=n, dtype=np.uint64)  # noqa: E731
    u32 = lambda: rng.integers(0, 2**32, size=n, dtype=np.uint32)  # noqa: E731
    a = dict(R=u64(), T=u64(), i=u32(), j=u32(),
             eps=np.where(rng.random(n) < 0.5, 0, u64()).astype(np.uint64),
             log2_c=rng.integers(-4, 4, size=n).astype(np.int32),
             d_r=rng.integers(0, 2, size=n).astype(np.int32),
             rot=rng.integers(0, 16, size=n).astype(np.int32),
             d_theta=rng.integers(0, 4, size=n).astype(np.int32))
    hard_R = [0, 1, 2**63, U64_MAX]
    hard_T = [k * 2**62 + d & U64_MAX for k in range(4) for d in (0, 1, -1)]
    for k, (R, T) in enumerate((R, T) for R in hard_R for T in hard_T):
        if k == n:
            break
        a["R"][k], a["T"][k] = R, T
        a["i"][k] = a["j"][k] = (0, U32_MAX)[k % 2]
    return a


def _bits(kind, x):
    """A result's identity: the integer, or the float's IEEE bits."""
    if kind == "float64":
        return struct.unpack("<Q", struct.pack("<d", float(x)))[0]
    if kind == "float32":
        return int(np.float32(x).view(np.uint32))
    return int(x)


# (name, pq_format kind, frac, Python dtype, Python frac) of every output format
FORMATS = [("int64", capi.PQ_KIND_INT64, 62, np.int64, 62),
           ("int64", capi.PQ_KIND_INT64, 0, np.int64, 0),
           ("int128", capi.PQ_KIND_INT128, 64, object, 64),
           ("float64", capi.PQ_KIND_FLOAT64, 0, np.float64, None),
           ("float32", capi.PQ_KIND_FLOAT32, 0, np.float32, None)]


def _py_kwargs(dtype, frac):
    return {"dtype": dtype} if frac is None else {"dtype": dtype, "frac": frac}


# --------------------------------------------------------------------------
# C: examples/c
# --------------------------------------------------------------------------

def _vector_files():
    """The example's vector files and the reference-made golden files of
    tests/data (any file there in the vector grammar), but those of the
    matrix functions: their results are SHA-256 digests of whole matrices,
    which the C example (the element functions) does not compute."""
    from poincare_q64 import vectors
    files = sorted(glob.glob(os.path.join(EXAMPLES_C, "vectors", "*.txt")))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "**", "*.txt"),
                                 recursive=True)):
        with open(path, encoding="ascii", errors="replace") as fh:
            first = fh.readline()
        if first.startswith("# poincare_q64 test vectors:") and \
                vectors.parse_header(first).function not in vectors.MATRIX:
            files.append(path)
    return files


def _count_vectors(path):
    from poincare_q64 import vectors
    with open(path, encoding="ascii") as fh:
        _, vecs = vectors.read_vectors(fh)
        return sum(1 for _ in vecs)


def _summary(stdout):
    m = re.search(r"^(\d+) tests passed, (\d+) failure\(s\)$", stdout, re.M)
    assert m, f"no summary line in:\n{stdout}"
    return int(m.group(1)), int(m.group(2))


def test_c_program_error_codes(check_vectors):
    """Bad arguments (NULL pointers, options and formats out of range, a seed
    basis other than 0) give the header's status codes and leave the output
    alone; the program runs them before any vector file."""
    res = subprocess.run([check_vectors, "-v"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    passed, failed = _summary(res.stdout)
    assert failed == 0 and passed >= 30
    assert "pq_rbe(R, T, 5, 7, NULL, f64, &out) => PQ_EDOM" in res.stdout
    assert "pq_radial(U64_MAX, &p, fmt, &out) => PQ_EOVERFLOW" in res.stdout


def test_c_program_matches_reference_vectors(check_vectors):
    files = _vector_files()
    assert len(files) >= 14
    n_errors, _ = _summary(subprocess.run([check_vectors], capture_output=True,
                                          text=True).stdout)
    res = subprocess.run([check_vectors, *files], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr
    assert _summary(res.stdout) == (n_errors + sum(map(_count_vectors, files)), 0)


def test_example_vectors_are_the_references(tmp_path):
    """examples/c/vectors is what make_vectors.py writes from the reference
    (so no expected value there came from the C path)."""
    make_vectors = _load_module("make_vectors", os.path.join(EXAMPLES_C, "make_vectors.py"))
    make_vectors.main(["-o", str(tmp_path)])
    committed = sorted(os.listdir(os.path.join(EXAMPLES_C, "vectors")))
    assert sorted(os.listdir(tmp_path)) == committed
    version = re.compile(r" version=\S+")  # a release does not invalidate them
    for name in committed:
        with open(os.path.join(EXAMPLES_C, "vectors", name), encoding="ascii") as fh:
            want = version.sub("", fh.read())
        assert version.sub("", (tmp_path / name).read_text()) == want, (
            f"examples/c/vectors/{name} differs from what make_vectors.py writes: "
            "run python examples/c/make_vectors.py")


def test_c_program_reports_a_mismatch_like_testfloat(check_vectors, tmp_path):
    src = os.path.join(EXAMPLES_C, "vectors", "rbe_float64.txt")
    lines = open(src, encoding="ascii").read().splitlines()
    k = next(n for n, line in enumerate(lines) if not line.startswith("#"))
    inputs, result = lines[k].split(" => ")
    wrong = f"{int(result, 16) ^ 1:016x}"  # one ulp off
    lines[k] = f"{inputs} => {wrong}"
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(lines) + "\n")
    res = subprocess.run([check_vectors, str(bad)], capture_output=True, text=True)
    assert res.returncode == 1
    assert f"{inputs} => {result} expected: {wrong}\n" in res.stdout
    assert _summary(res.stdout)[1] == 1


@pytest.mark.parametrize("line, why", [
    ("8000000000000000 +0 0000000000000000 0 => 3fe999999999999a", "malformed vector"),
    ("800000000000000 4000000000000000 00000005 00000007 +0 0000000000000000 0 0 0 "
     "=> 3fe999999999999a", "malformed vector"),
    ("8000000000000000 4000000000000000 00000005 00000007 +4 0000000000000000 0 0 0 "
     "=> 3fe999999999999a", "malformed vector"),
    ("8000000000000000 4000000000000000 00000005 00000007 +0 0000000000000000 0 0 0",
     "no '=>'"),
])
def test_c_program_rejects_malformed_lines(check_vectors, tmp_path, line, why):
    path = tmp_path / "v.txt"
    path.write_text("# poincare_q64 test vectors: function=rbe format=float64 "
                    f"version=0.1.0\n# comment\n\n{line}\n")
    res = subprocess.run([check_vectors, str(path)], capture_output=True, text=True)
    assert res.returncode == 2
    assert f"{path}:4: {why}" in res.stderr


def test_c_program_rejects_a_bad_header(check_vectors, tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("# poincare_q64 test vectors: function=rbe format=uint32 version=0.1.0\n")
    res = subprocess.run([check_vectors, str(path)], capture_output=True, text=True)
    assert res.returncode == 2 and f"{path}:1:" in res.stderr


def test_c_extension_calls_the_kernels_through_the_capsule(tmp_path):
    """examples/c/capsule_ext.c: compiled with the headers only (none of our
    sources, nothing of ours linked), it calls the installed kernels."""
    src = shutil.copy(os.path.join(EXAMPLES_C, "capsule_ext.c"), tmp_path)
    so = tmp_path / ("capsule_ext" + sysconfig.get_config_var("EXT_SUFFIX"))
    _must([*_require_cc(), "-shared", "-fPIC", "-O2", "-Wall", "-Werror",
           "-I", sysconfig.get_paths()["include"], "-I", INCLUDE, src, "-o", str(so)])
    ext = _load_module("capsule_ext", str(so))
    a = _inputs(n=60, seed=9)
    for k in range(60):
        R, T, i, j = (int(a[x][k]) for x in ("R", "T", "i", "j"))
        log2_c = int(a["log2_c"][k])
        want = pq.rbe(R, T, i, j, log2_c=log2_c, dtype=np.float64)
        assert _bits("float64", ext.rbe(R, T, i, j, log2_c=log2_c)) == _bits("float64", want)
    with pytest.raises(ValueError, match=f"status {capi.PQ_EDOM}"):
        ext.rbe(2**63, 2**62, 5, 7, log2_c=9)


# --------------------------------------------------------------------------
# Cython: examples/cython
# --------------------------------------------------------------------------

def test_cython_prange_matches_python_api(cython_examples):
    ex = cython_examples["rbe_prange"]
    a = _inputs()
    for log2_c, eps in ((0, 0), (-4, 12345), (3, U64_MAX)):
        args = (a["R"], a["T"], a["i"], a["j"])
        for frac in (None, 62, 0):
            if frac is None:
                want = pq.rbe(*args, log2_c=log2_c, eps=eps, dtype=np.float64)
                want_status = np.zeros(len(want), np.uint8)
                want = want.view(np.uint64).tolist()
            else:  # exact integers: where X does not fit int64, the status says so
                exact = pq.rbe(*args, log2_c=log2_c, eps=eps, dtype=object, frac=frac)
                fits = np.array([-2**63 <= x < 2**63 for x in exact])
                want_status = np.where(fits, capi.PQ_OK, capi.PQ_EOVERFLOW).astype(np.uint8)
                want = [x % 2**64 if ok else None for x, ok in zip(exact, fits)]
            for threads in (1, 2):
                got, status = ex.rbe(*args, frac=frac, log2_c=log2_c, eps=eps,
                                     num_threads=threads)
                assert status.tolist() == want_status.tolist()
                got = got.view(np.uint64).tolist()
                assert [g if w is not None else None for g, w in zip(got, want)] == want


def test_cython_prange_gives_status_codes(cython_examples):
    ex = cython_examples["rbe_prange"]
    R = np.array([U64_MAX, 2**63], np.uint64)
    T = np.array([2**62, 2**62], np.uint64)
    ij = np.array([0, 5], np.uint32)
    # g(r) -> 1.88 as r -> 1 with c = 1/16: the first result overflows int64 at frac 63
    _, status = ex.rbe(R, T, ij, ij, frac=63, log2_c=-4)
    assert status.tolist()[0] == capi.PQ_EOVERFLOW
    _, status = ex.rbe(R, T, ij, ij, log2_c=9)  # outside -4..3
    assert status.tolist() == [capi.PQ_EDOM] * 2


def test_cython_capsule_matches_python_api(cython_examples):
    ex = cython_examples["rbe_capsule"]
    assert ex.table_version() == (capi.SIZE, capi.VERSION)
    a = _inputs(seed=7)
    args = (a["R"], a["T"], a["i"], a["j"])
    for log2_c, eps in ((0, 0), (-2, 2**63)):
        want = pq.rbe(*args, log2_c=log2_c, eps=eps, dtype=np.float64)
        got, status = ex.rbe_float64(*args, log2_c=log2_c, eps=eps, num_threads=2)
        assert not status.any()
        assert got.view(np.uint64).tolist() == want.view(np.uint64).tolist()
    _, status = ex.rbe_float64(*args, log2_c=-5)
    assert (status == capi.PQ_EDOM).all()


def test_pxd_declares_every_kernel_nogil_noexcept(cython_examples):
    res = cython_examples["api_check"]
    assert res.returncode == 0, (
        "a kernel of poincare_q64.h is missing from the .pxd files, or declared with "
        f"another type, or not nogil/noexcept:\n{res.stdout}{res.stderr}")


def test_docs_cython_excerpts_are_the_examples():
    """Every block of docs/embedding.md marked '# examples/DIR/FILE
    (excerpt)' or '/* examples/DIR/FILE (excerpt) */' is verbatim in that file."""
    text = open(os.path.join(ROOT, "docs", "embedding.md"), encoding="utf-8").read()
    blocks = re.findall(r"```\w+\n(?:# |/\* )(examples/\S+) \(excerpt\)(?: \*/)?\n(.*?)```",
                        text, re.S)
    assert len(blocks) >= 5
    for path, body in blocks:
        with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
            assert body in fh.read(), f"docs/embedding.md excerpt no longer in {path}"


# --------------------------------------------------------------------------
# The capsule from Python: ctypes and cffi
# --------------------------------------------------------------------------

KERNELS = ("radial", "angular", "modulation", "rbe", "rbe_pipeline", "rbe_seed64")


def _cases(n, seed):
    """Scalar inputs: (R, T, i, j, eps, options, seed word) with the word's
    fields taken from the same draw (basis 0)."""
    a = _inputs(n=n, seed=seed)
    for k in range(n):
        R, T, i, j, eps = (int(a[x][k]) for x in ("R", "T", "i", "j", "eps"))
        opts = {x: int(a[x][k]) for x in ("log2_c", "d_r", "rot", "d_theta")}
        word = int(pq.pack_seed64(R >> 44, T >> 40, 0, opts["d_theta"], opts["d_r"],
                                  opts["rot"], opts["log2_c"]))
        yield R, T, i, j, eps, opts, word


def _python_call(name, kw, R, T, i, j, eps, opts, word):
    """The Python API's result, or the status its exception stands for."""
    call = {
        "radial": lambda: pq.radial(R, log2_c=opts["log2_c"], eps=eps, d_r=opts["d_r"], **kw),
        "angular": lambda: pq.angular(T, rot=opts["rot"], d_theta=opts["d_theta"], **kw),
        "modulation": lambda: pq.modulation(i, j, **kw),
        "rbe": lambda: pq.rbe(R, T, i, j, eps=eps, **opts, **kw),
        "rbe_pipeline": lambda: pq.rbe_pipeline(R, T, i, j, eps=eps, **opts, **kw),
        "rbe_seed64": lambda: pq.rbe_seed64(word, i, j, eps=eps, **kw),
    }[name]
    try:
        return capi.PQ_OK, call()
    except OverflowError:
        return capi.PQ_EOVERFLOW, None


def _table_call(table, name, p, fmt, v, R, T, i, j, eps, word):
    """One kernel through a table (the ctypes or the cffi view); p, v: pointers."""
    return {
        "radial": lambda: table.radial(R, p, fmt, v),
        "angular": lambda: table.angular(T, p, fmt, v),
        "modulation": lambda: table.modulation(i, j, fmt, v),
        "rbe": lambda: table.rbe(R, T, i, j, p, fmt, v),
        "rbe_pipeline": lambda: table.rbe_pipeline(R, T, i, j, p, fmt, v),
        "rbe_seed64": lambda: table.rbe_seed64(word, i, j, eps, fmt, v),
    }[name]()


def _value(kind, v):
    if kind == "int128":
        return v.i128.hi * 2**64 + v.i128.lo
    return {"int64": v.i64, "float64": v.f64, "float32": v.f32}[kind]


@pytest.mark.parametrize("name", KERNELS)
def test_ctypes_capsule_matches_python_api(name):
    v = capi.pq_value()
    for R, T, i, j, eps, opts, word in _cases(30, seed=KERNELS.index(name)):
        p = capi.pq_params(eps, opts["log2_c"], opts["d_r"], opts["rot"], opts["d_theta"])
        for kind, ckind, frac, dtype, pfrac in FORMATS:
            status = _table_call(capi.ctypes, name, C.byref(p), capi.pq_format(ckind, frac),
                                 C.byref(v), R, T, i, j, eps, word)
            want_status, want = _python_call(name, _py_kwargs(dtype, pfrac), R, T, i, j,
                                             eps, opts, word)
            assert status == want_status, (name, kind, frac, R, T, i, j, eps, opts)
            if status == capi.PQ_OK:
                assert _bits(kind, _value(kind, v)) == _bits(kind, want), (
                    name, kind, frac, R, T, i, j, eps, opts)


def test_ctypes_hash_and_seed64_match_python_api():
    f = capi.pq_seed64_fields()
    word = C.c_uint64()
    for R, T, i, j, eps, opts, w in _cases(50, seed=3):
        assert capi.ctypes.spatial_hash(i, j) == pq.spatial_hash(i, j)
        capi.ctypes.seed64_unpack(w, C.byref(f))
        assert tuple(getattr(f, n) for n, _ in f._fields_) == tuple(pq.unpack_seed64(w))
        assert capi.ctypes.seed64_pack(C.byref(f), C.byref(word)) == capi.PQ_OK
        assert word.value == w


def _columns(arrays, **strides):
    """pq_columns over numpy arrays; keeps the arrays alive with the struct."""
    ctype = {np.uint64: C.c_uint64, np.uint32: C.c_uint32, np.int32: C.c_int32}
    cols = capi.pq_columns(**{
        name: a.ctypes.data_as(C.POINTER(ctype[a.dtype.type])) for name, a in arrays.items()},
        **{"s_" + name: s for name, s in strides.items()})
    cols._keep = arrays
    return cols


def test_ctypes_rbe_range_matches_python_api():
    a = _inputs(n=300, seed=5)
    cols = _columns(a, **{name: 1 for name in a})
    want = pq.rbe(a["R"], a["T"], a["i"], a["j"], eps=a["eps"], log2_c=a["log2_c"],
                  d_r=a["d_r"], rot=a["rot"], d_theta=a["d_theta"], dtype=np.float64)
    out, status = np.zeros(300), np.full(300, 99, np.uint8)
    bad = capi.ctypes.rbe_range(C.byref(cols), 0, 300, capi.pq_format(capi.PQ_KIND_FLOAT64, 0),
                                out.ctypes.data, status.ctypes.data_as(C.POINTER(C.c_uint8)))
    assert bad == 0 and not status.any()
    assert out.view(np.uint64).tolist() == want.view(np.uint64).tolist()


def test_ctypes_rbe_range_writes_out_only_where_status_is_ok():
    """The C contract of pq_rbe_range: out[k] is written only when status[k]
    is PQ_OK, also on the block path (same options for every element), where
    some results of a block overflow int64 (|f| > 2 at frac 62) and the rest
    do not."""
    n = 600
    rng = np.random.default_rng(3)
    a = {"R": rng.integers(0, 2**44, size=n, dtype=np.uint64),
         "T": np.full(n, 2**62 - 2**50, dtype=np.uint64),  # s close to 1
         "i": np.arange(n, dtype=np.uint32), "j": np.zeros(n, dtype=np.uint32),
         "eps": np.zeros(1, np.uint64), "log2_c": np.full(1, -4, np.int32),
         "d_r": np.ones(1, np.int32), "rot": np.zeros(1, np.int32),
         "d_theta": np.zeros(1, np.int32)}
    cols = _columns(a, R=1, T=1, i=1, j=1)  # the options: stride 0
    sentinel = -12345
    out, status = np.full(n, sentinel, np.int64), np.full(n, 99, np.uint8)
    bad = capi.ctypes.rbe_range(C.byref(cols), 0, n, capi.pq_format(capi.PQ_KIND_INT64, 62),
                                out.ctypes.data, status.ctypes.data_as(C.POINTER(C.c_uint8)))
    over = status == capi.PQ_EOVERFLOW
    assert bad == over.sum() and 0 < bad < n and set(status.tolist()) == {0, capi.PQ_EOVERFLOW}
    assert (out[over] == sentinel).all()
    ok = np.flatnonzero(~over)
    want = [pq.rbe(int(a["R"][k]), int(a["T"][k]), int(a["i"][k]), 0, d_r=1, log2_c=-4)
            for k in ok[:50]]
    assert out[ok[:50]].tolist() == want


def test_ctypes_status_codes_not_crashes():
    """NULL pointers and arguments out of range across the C boundary."""
    api, PQ_EDOM = capi.ctypes, capi.PQ_EDOM
    f64 = capi.pq_format(capi.PQ_KIND_FLOAT64, 0)
    ok = capi.pq_params()
    v = capi.pq_value(i64=0x5A5A5A5A5A5A5A5A)

    def rbe(p=C.byref(ok), fmt=f64, out=C.byref(v)):
        return api.rbe(2**63, 2**62, 5, 7, p, fmt, out)

    assert rbe() == capi.PQ_OK
    v.i64 = 0x5A5A5A5A5A5A5A5A
    assert rbe(p=None) == PQ_EDOM
    assert rbe(out=None) == PQ_EDOM
    for field, bad in (("log2_c", 4), ("log2_c", -5), ("d_r", 2), ("d_r", -1), ("rot", 16),
                       ("rot", -1), ("d_theta", 4), ("d_theta", -1)):
        p = capi.pq_params()
        setattr(p, field, bad)
        assert rbe(p=C.byref(p)) == PQ_EDOM, (field, bad)
    for kind, frac in ((4, 0), (-1, 0), (capi.PQ_KIND_INT64, 65), (capi.PQ_KIND_INT64, -1),
                       (capi.PQ_KIND_INT128, 65)):
        assert rbe(fmt=capi.pq_format(kind, frac)) == PQ_EDOM, (kind, frac)
    assert v.i64 == 0x5A5A5A5A5A5A5A5A  # "on error *out is left unchanged"
    for name in ("radial", "angular"):
        assert getattr(api, name)(0, None, f64, C.byref(v)) == PQ_EDOM
        assert getattr(api, name)(0, C.byref(ok), f64, None) == PQ_EDOM
    assert api.modulation(5, 7, f64, None) == PQ_EDOM
    assert api.rbe_pipeline(0, 0, 5, 7, None, f64, C.byref(v)) == PQ_EDOM
    assert api.rbe_seed64(1 << 16, 5, 7, 0, f64, C.byref(v)) == PQ_EDOM  # basis 1
    assert api.rbe_seed64(0, 5, 7, 0, f64, None) == PQ_EDOM
    word = C.c_uint64(77)
    fields = capi.pq_seed64_fields(r=1 << 20)
    assert api.seed64_pack(C.byref(fields), C.byref(word)) == PQ_EDOM and word.value == 77
    assert api.seed64_pack(None, C.byref(word)) == PQ_EDOM
    assert api.seed64_pack(C.byref(capi.pq_seed64_fields()), None) == PQ_EDOM
    # int64 overflow: g(r) -> 1.88 as r -> 1 with c = 1/16, at frac 63
    big = capi.pq_params(log2_c=-4)
    assert api.radial(U64_MAX, C.byref(big), capi.pq_format(capi.PQ_KIND_INT64, 63),
                      C.byref(v)) == capi.PQ_EOVERFLOW
    # the array entry: a NULL pointer fails every element, writes nothing
    a = _inputs(n=3)
    cols = _columns(a, **{name: 1 for name in a})
    st = np.full(3, 99, np.uint8)
    stp = st.ctypes.data_as(C.POINTER(C.c_uint8))
    out = np.zeros(3)
    assert api.rbe_range(None, 0, 3, f64, out.ctypes.data, stp) == 3
    assert api.rbe_range(C.byref(cols), 0, 3, f64, None, stp) == 3
    assert api.rbe_range(C.byref(cols), 0, 3, f64, out.ctypes.data, None) == 3
    assert st.tolist() == [99] * 3 and not out.any()


def test_capsule_is_the_python_apis_copy_of_the_kernels():
    """One copy per process: the capsule's pointers are the functions the
    Python API's extension calls."""
    from poincare_q64 import _kernels
    lib = C.CDLL(_kernels.__file__)
    for name in ("rbe", "radial", "rbe_range"):
        exported = C.cast(getattr(lib, "pq_" + name), C.c_void_p).value
        assert C.cast(getattr(capi.ctypes, name), C.c_void_p).value == exported, name


def test_public_interface_has_no_test_switch(abi):
    """The test hooks (src/pq_testing.h, poincare_q64._testing) are private:
    no public header, capsule field, ctypes/cffi view or .pxd declares one,
    and the capsule table is at least version 2, the one that removed
    debug_force_slow_path."""
    assert capi.VERSION == capi.PQ_CAPI_VERSION >= 2
    assert not [f for f in capi.CtypesView._fields if "debug" in f]
    assert not [f for f in abi["types"]["pq_capi"]["fields"] if "debug" in f]
    assert not [name for name in abi["functions"] if "debug" in name]
    assert not [name for name in abi["macros"] if "DEBUG" in name]
    for name in ("c_kernels.pxd", "c_capi.pxd"):
        with open(os.path.join(os.path.dirname(pq.__file__), name), encoding="utf-8") as fh:
            assert "debug" not in fh.read(), name


def test_capsule_name_and_pointer():
    get = C.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = C.c_void_p, [C.py_object, C.c_char_p]
    assert get(capi.capsule, capi.CAPSULE_NAME.encode()) == capi.address
    assert capi.CAPSULE_NAME == "poincare_q64.capi.capsule"
    assert (capi.ctypes.size, capi.ctypes.version) == (capi.SIZE, capi.VERSION)
    assert capi.VERSION == capi.PQ_CAPI_VERSION and capi.SIZE == C.sizeof(capi.pq_capi)
    with pytest.raises(AttributeError):
        capi.ctypes.rbe = None  # the table is read-only memory: no write path


def test_cffi_capsule_matches_python_api():
    pytest.importorskip("cffi", reason="cffi is optional (pip install cffi); the [test] "
                                       "extra installs it")
    ffi, table = capi.cffi
    assert capi.cffi is capi.cffi  # built once
    assert (table.size, table.version) == (capi.SIZE, capi.VERSION)
    p, v = ffi.new("pq_params *"), ffi.new("pq_value *")
    for name in KERNELS:
        for R, T, i, j, eps, opts, word in _cases(8, seed=len(name)):
            p.eps, p.log2_c, p.d_r = eps, opts["log2_c"], opts["d_r"]
            p.rot, p.d_theta = opts["rot"], opts["d_theta"]
            for kind, ckind, frac, dtype, pfrac in FORMATS:
                fmt = ffi.new("pq_format *", [ckind, frac])[0]
                status = _table_call(table, name, p, fmt, v, R, T, i, j, eps, word)
                want_status, want = _python_call(name, _py_kwargs(dtype, pfrac), R, T, i,
                                                 j, eps, opts, word)
                assert status == want_status
                if status == capi.PQ_OK:
                    assert _bits(kind, _value(kind, v)) == _bits(kind, want), (name, kind)
    assert table.rbe(0, 0, 0, 0, ffi.NULL, ffi.new("pq_format *", [2, 0])[0], v) == \
        capi.PQ_EDOM


# --------------------------------------------------------------------------
# API completeness, layouts, frozen ABI
# --------------------------------------------------------------------------

def _pointer_type(function_type):
    """'int(uint64_t, ...)' -> 'int(*)(uint64_t, ...)' (abi.json's spelling)."""
    ret, _, params = function_type.partition("(")
    return f"{ret}(*)({params}"


def test_every_kernel_is_in_the_capsule_table(abi):
    fields = dict(f.split(": ", 1) for f in abi["types"]["pq_capi"]["fields"])
    names = list(fields)
    assert names[:2] == ["size", "version"]
    kernels = _header_functions(abi)
    assert len(kernels) >= 10
    for name in kernels:
        assert fields.get(name[3:]) == _pointer_type(abi["functions"][name]["type"]), (
            f"{name} of poincare_q64.h is missing from pq_capi, or has another type there")
    assert names[2:] == [n[3:] for n in kernels], "pq_capi fields: one per kernel, in order"
    # the ctypes mirror and its view have the same fields in the same order
    assert [n for n, _ in capi.pq_capi._fields_] == names
    assert list(capi.CtypesView._fields) == names


# C types of abi.json's signatures -> the ctypes types the view must use
_CTYPES_OF = {"int": C.c_int, "void": None, "size_t": C.c_size_t, "uint8_t": C.c_uint8,
              "uint32_t": C.c_uint32, "uint64_t": C.c_uint64, "void*": C.c_void_p,
              "uint8_t*": C.POINTER(C.c_uint8), "uint64_t*": C.POINTER(C.c_uint64),
              "pq_format": capi.pq_format, "pq_value*": C.POINTER(capi.pq_value),
              "const pq_params*": C.POINTER(capi.pq_params),
              "const pq_columns*": C.POINTER(capi.pq_columns),
              "pq_seed64_fields*": C.POINTER(capi.pq_seed64_fields),
              "const pq_seed64_fields*": C.POINTER(capi.pq_seed64_fields),
              "ptrdiff_t": C.c_ssize_t, "pq_decoder*": C.POINTER(capi.pq_decoder),
              "const pq_decoder*": C.POINTER(capi.pq_decoder),
              "const pq_phi_table*": C.POINTER(capi.pq_phi_table)}


def test_ctypes_view_has_the_frozen_signatures(abi):
    """capi.py reads its prototypes from the header: they must be the ABI's."""
    for field in abi["types"]["pq_capi"]["fields"][2:]:
        name, sig = field.split(": ", 1)
        ret, _, params = sig.partition("(*)(")
        proto = dict(capi.pq_capi._fields_)[name]
        assert proto._restype_ is _CTYPES_OF[ret], name
        assert proto._argtypes_ == tuple(_CTYPES_OF[t.strip()]
                                         for t in params.rstrip(")").split(",")), name


def _pxd_declarations():
    """{function: canonical type} and {struct: ['name: type', ...]} of the .pxd files."""
    text = ""
    for name in ("c_kernels.pxd", "c_capi.pxd"):
        with open(os.path.join(os.path.dirname(pq.__file__), name), encoding="utf-8") as fh:
            text += fh.read() + "\n"
    text = re.sub(r"#.*", "", text)

    def params(plist):
        # drop each parameter's name: the last word after the type
        out = [re.sub(r"\s*\b\w+\s*$", "", p.strip()) if re.search(r"\w\s+\**\s*\w+\s*$", p)
               else p.strip() for p in plist.split(",")]
        return ", ".join(out) if out != [""] else "void"

    from_make_abi = _load_module("make_abi_c", os.path.join(ABI_DIR, "make_abi.py")).canonical
    functions = {}
    flat = re.sub(r"\s+", " ", text)
    for ret, name, plist in re.findall(
            r"(?:^|[:\s])((?:const )?\w+ ?\**) ?\b(pq_\w+)\(([^()]*)\)(?: noexcept nogil)?",
            flat):
        if name == "pq_import_capi":
            continue
        functions[name] = from_make_abi(f"{ret}({params(plist)})")
    structs = {}
    for kind, name, body in re.findall(r"ctypedef (struct|union) (\w+):\n((?:        .*\n)+)",
                                       text):
        fields, logical = [], []
        for line in body.splitlines():  # a declaration may continue in () on the next line
            if logical and logical[-1].count("(") > logical[-1].count(")"):
                logical[-1] += " " + line.strip()
            else:
                logical.append(line.strip())
        for line in logical:
            m = re.fullmatch(r"(.*?)\(\*(\w+)\)\((.*)\)(?: noexcept nogil)?", line)
            if m:
                fields.append(f"{m.group(2)}: "
                              + from_make_abi(f"{m.group(1)}(*)({params(m.group(3))})"))
                continue
            m = re.fullmatch(r"((?:const )?\w+ ?\**)\s*([\w, ]+)(\[\d+\])?", line)
            for field in m.group(2).split(","):
                fields.append(f"{field.strip()}: {from_make_abi(m.group(1) + (m.group(3) or ''))}")
        structs[name] = fields
    return functions, structs


def test_pxd_declares_every_function_and_type_as_the_header(abi):
    functions, structs = _pxd_declarations()
    for name, f in abi["functions"].items():
        assert functions.get(name) == f["type"], (
            f"{name}: the .pxd declares {functions.get(name)!r}, the header {f['type']!r}")
    for name, t in abi["types"].items():
        if t["kind"] in ("struct", "union"):
            assert structs.get(name) == t["fields"], (
                f"{name}: .pxd fields {structs.get(name)}, header fields {t['fields']}")


def _layout_probe(abi, tmp_path):
    """sizeof and offsetof of every public struct and union, from the C compiler."""
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "poincare_q64_capi.h"',
             "int main(void) {", 'printf("{");']
    first = True
    for name, t in abi["types"].items():
        if t["kind"] not in ("struct", "union"):
            continue
        sep = "" if first else ","
        first = False
        lines.append(f'printf("{sep}\\"{name}\\": [%zu", sizeof({name}));')
        for field in t["fields"]:
            f = field.split(":")[0]
            lines.append(f'printf(", [\\"{f}\\", %zu]", offsetof({name}, {f}));')
        lines.append('printf("]");')
    lines += ['printf("}\\n");', "return 0; }"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    _must([*_require_cc(), "-std=c11", "-I", INCLUDE, str(src), "-o", str(exe)])
    return {name: (v[0], dict(v[1:])) for name, v in
            json.loads(_must([str(exe)]).stdout).items()}


def test_ctypes_and_cffi_layouts_match_the_compiler(abi, tmp_path):
    layout = _layout_probe(abi, tmp_path)
    assert set(layout) >= {"pq_format", "pq_value", "pq_params", "pq_columns", "pq_capi",
                           "pq_seed64_fields", "pq_int128"}
    for name, (size, offsets) in layout.items():
        cls = getattr(capi, name)
        assert C.sizeof(cls) == size, name
        assert {f: getattr(cls, f).offset for f, _ in cls._fields_} == offsets, name
    try:
        ffi, _ = capi.cffi
    except ImportError:
        return  # cffi is optional; its view is tested where it is installed
    for name, (size, offsets) in layout.items():
        assert ffi.sizeof(name) == size, name
        assert {f: ffi.offsetof(name, f) for f in offsets} == offsets, name


def test_python_constants_match_the_header(abi):
    for name, value in abi["macros"].items():
        if re.fullmatch(r"-?\d+", value):
            assert getattr(capi, name) == int(value), name
    assert abi["macros"]["PQ_CAPI_CAPSULE_NAME"] == f'"{capi.CAPSULE_NAME}"'


REGENERATE = ("If the change is deliberate: run `python tests/abi/make_abi.py`, review "
              "`git diff tests/abi/abi.json` and commit it with the change; if pq_capi "
              "grew, append fields only and raise PQ_CAPI_VERSION (poincare_q64_capi.h). "
              "Otherwise restore the headers: C, Cython and capsule users compile against "
              "them.")


def _abi_diff(old, new):
    diffs = []
    for section in ("macros", "types", "functions"):
        for key in sorted(set(old.get(section, {})) | set(new.get(section, {}))):
            a, b = old.get(section, {}).get(key), new.get(section, {}).get(key)
            if a != b:
                diffs.append(f"  {section[:-1]} {key}: frozen {a!r}, header now {b!r}")
    return diffs


def test_abi_is_frozen(abi):
    with open(os.path.join(ABI_DIR, "abi.json"), encoding="utf-8") as fh:
        frozen = json.load(fh)
    diffs = _abi_diff(frozen, abi)
    assert not diffs, ("The public C ABI (poincare_q64/src/poincare_q64*.h) no longer "
                       "matches tests/abi/abi.json:\n" + "\n".join(diffs) + "\n" + REGENERATE)


def test_abi_check_catches_a_changed_signature(make_abi, abi, tmp_path):
    """The freeze can fail: one parameter type changed in a copy of the headers."""
    for name in make_abi.HEADERS:
        shutil.copy(os.path.join(INCLUDE, name), tmp_path)
    header = tmp_path / "poincare_q64.h"
    text = header.read_text()
    changed = text.replace("int pq_rbe_seed64(uint64_t word, uint32_t i",
                           "int pq_rbe_seed64(uint64_t word, int32_t i")
    assert changed != text
    header.write_text(changed)
    diffs = _abi_diff(abi, make_abi.compute_abi(str(tmp_path), cc=CC))
    assert diffs and all("pq_rbe_seed64" in d for d in diffs), diffs


# --------------------------------------------------------------------------
# Packaging and docs
# --------------------------------------------------------------------------

def test_package_data_ships_headers_sources_and_pxd():
    """The wheel's package data (pyproject.toml) covers every file a C or
    Cython user needs: the headers, the kernel sources, the .pxd files."""
    tomllib = pytest.importorskip("tomllib", reason="Python >= 3.11 reads pyproject.toml")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        patterns = tomllib.load(fh)["tool"]["setuptools"]["package-data"]["poincare_q64"]
    package = os.path.join(ROOT, "poincare_q64")
    needed = [os.path.relpath(p, package) for p in
              glob.glob(os.path.join(package, "src", "*.[ch]"))
              + glob.glob(os.path.join(package, "*.pxd"))]
    assert any(n.endswith("__init__.pxd") for n in needed)
    for rel in needed:
        assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), (
            f"poincare_q64/{rel} is not in [tool.setuptools.package-data]")


def test_docs_python_examples(tmp_path):
    """The >>> examples of docs/embedding.md (ctypes, rbe_range, cffi)."""
    pytest.importorskip("cffi", reason="docs/embedding.md shows the optional cffi view")
    result = doctest.testfile(os.path.join(ROOT, "docs", "embedding.md"),
                              module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 15 and result.failed == 0


def test_docs_c_example_prints_what_the_docs_say(kernel_objects, tmp_path):
    text = open(os.path.join(ROOT, "docs", "embedding.md"), encoding="utf-8").read()
    (program,) = re.findall(r"```c\n(/\* hello\.c.*?)```", text, re.S)
    (shell,) = re.findall(r"```sh\n(PQ=.*?hello.*?)```", text, re.S)
    expected = [line[2:] for line in shell.splitlines() if line.startswith("# ")]
    src = tmp_path / "hello.c"
    src.write_text(program)
    exe = _link_program(kernel_objects, src, tmp_path / "hello")
    assert _must([exe]).stdout.splitlines() == expected
