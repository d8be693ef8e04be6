# cython: language_level=3
"""Array loops over the C kernels (internal; see _kernels.pyi for the contract).

Each loop runs without the GIL under OpenMP ``prange`` (a static schedule;
the decoder's row tasks a dynamic one).
Every element is computed independently by the same integer code, so the
results do not depend on the thread count.  Inputs of length 1 are used for
every element (stride 0), so scalar options cost no broadcasting copy.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memset
from cpython.ref cimport PyObject
from cython.parallel cimport prange

import numpy as np

from poincare_q64.c_kernels cimport *

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static int pqk_max_threads(void) { return omp_get_max_threads(); }
    static int pqk_openmp(void) { return 1; }
    #else
    static int pqk_max_threads(void) { return 1; }
    static int pqk_openmp(void) { return 0; }
    #endif
    """
    int pqk_max_threads() nogil
    int pqk_openmp() nogil

# the array loops of every function but rbe (internal to the package: not in the C API)
cdef extern from "pq_internal.h" nogil:
    size_t pq_rbe_seed64_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt,
                               void *out, uint8_t *status)
    size_t pq_rbe_pipeline_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt,
                                 void *out, uint8_t *status)
    size_t pq_one_range(int which, const pq_columns *a, size_t k0, size_t k1, pq_format fmt,
                        void *out, uint8_t *status)

# Function codes of evaluate(); poincare_q64.registry names each function's
# code (tests/test_registry.py holds the two together).
cdef enum:
    _RADIAL = 0
    _ANGULAR = 1
    _MODULATION = 2
    _RBE = 3
    _RBE_PIPELINE = 4
    _RBE_SEED64 = 5
    _N_FUNCS = 6

FUNC_RADIAL = _RADIAL
FUNC_ANGULAR = _ANGULAR
FUNC_MODULATION = _MODULATION
FUNC_RBE = _RBE
FUNC_RBE_PIPELINE = _RBE_PIPELINE
FUNC_RBE_SEED64 = _RBE_SEED64

KIND_INT64 = PQ_KIND_INT64
KIND_INT128 = PQ_KIND_INT128
KIND_FLOAT64 = PQ_KIND_FLOAT64
KIND_FLOAT32 = PQ_KIND_FLOAT32

STATUS_OK = PQ_OK
STATUS_EDOM = PQ_EDOM
STATUS_EOVERFLOW = PQ_EOVERFLOW
STATUS_EUNDECIDED = PQ_EUNDECIDED

_OUT_DTYPES = {
    PQ_KIND_INT64: np.dtype(np.int64),
    PQ_KIND_INT128: np.dtype(np.uint64),
    PQ_KIND_FLOAT64: np.dtype(np.float64),
    PQ_KIND_FLOAT32: np.dtype(np.float32),
}


cdef enum:
    _CHUNK = 1024  # elements per call of a C array loop (and per thread task)
    _MIN_PER_THREAD = 256  # spatial_hash: fewer elements per thread than this, fewer threads

# a: the columns as pq_rbe_range takes them (stride 0 for a length-1 input)
cdef inline int eval_one(const pq_columns *a, Py_ssize_t k, int func, pq_format fmt,
                         pq_value *v) noexcept nogil:
    cdef pq_params p
    p.eps = a.eps[k * a.s_eps]
    p.log2_c = a.log2_c[k * a.s_log2_c]
    p.d_r = a.d_r[k * a.s_d_r]
    p.rot = a.rot[k * a.s_rot]
    p.d_theta = a.d_theta[k * a.s_d_theta]
    if func == _RADIAL:
        return pq_radial(a.R[k * a.s_R], &p, fmt, v)
    if func == _ANGULAR:
        return pq_angular(a.T[k * a.s_T], &p, fmt, v)
    if func == _MODULATION:
        return pq_modulation(a.i[k * a.s_i], a.j[k * a.s_j], fmt, v)
    if func == _RBE:
        return pq_rbe(a.R[k * a.s_R], a.T[k * a.s_T], a.i[k * a.s_i], a.j[k * a.s_j], &p, fmt, v)
    if func == _RBE_PIPELINE:
        return pq_rbe_pipeline(a.R[k * a.s_R], a.T[k * a.s_T], a.i[k * a.s_i], a.j[k * a.s_j],
                               &p, fmt, v)
    if func == _RBE_SEED64:
        # the seed word travels in R's column
        return pq_rbe_seed64(a.R[k * a.s_R], a.i[k * a.s_i], a.j[k * a.s_j], p.eps, fmt, v)
    return PQ_EDOM


cdef int _check_func_kind(int func, int kind) except -1:
    if func < 0 or func >= _N_FUNCS:
        raise ValueError(f"_kernels: unknown func {func}")
    if kind not in _OUT_DTYPES:
        raise ValueError(f"_kernels: unknown kind {kind}")
    return 0


cdef inline Py_ssize_t _stride(Py_ssize_t length, Py_ssize_t n, str name) except -1:
    if length == n:
        return 1 if n != 1 else 0
    if length == 1:
        return 0
    raise ValueError(f"_kernels: {name} has length {length}, expected 1 or {n}")


def evaluate(int func, const uint64_t[::1] R, const uint64_t[::1] T, const uint32_t[::1] i,
             const uint32_t[::1] j, const int32_t[::1] log2_c, const uint64_t[::1] eps,
             const int32_t[::1] d_r, const int32_t[::1] rot, const int32_t[::1] d_theta,
             Py_ssize_t n, int kind, int frac, out, uint8_t[::1] status, int threads):
    cdef pq_columns a
    cdef pq_format fmt
    cdef Py_ssize_t bad = 0
    cdef char *op
    _check_func_kind(func, kind)
    if threads < 1:
        raise ValueError("_kernels: threads must be >= 1")
    want = n * 2 if kind == PQ_KIND_INT128 else n
    if (not isinstance(out, np.ndarray) or out.dtype != _OUT_DTYPES[kind] or out.ndim != 1
            or out.shape[0] != want or not out.flags.c_contiguous or not out.flags.writeable):
        raise ValueError("_kernels: out must be a writeable contiguous 1-D array of "
                         f"{_OUT_DTYPES[kind]} and length {want}")
    if status.shape[0] != n:
        raise ValueError("_kernels: status must have length n")
    if n == 0:
        return 0
    a.R = &R[0]; a.s_R = _stride(R.shape[0], n, "R")
    a.T = &T[0]; a.s_T = _stride(T.shape[0], n, "T")
    a.i = &i[0]; a.s_i = _stride(i.shape[0], n, "i")
    a.j = &j[0]; a.s_j = _stride(j.shape[0], n, "j")
    a.log2_c = &log2_c[0]; a.s_log2_c = _stride(log2_c.shape[0], n, "log2_c")
    a.eps = &eps[0]; a.s_eps = _stride(eps.shape[0], n, "eps")
    a.d_r = &d_r[0]; a.s_d_r = _stride(d_r.shape[0], n, "d_r")
    a.rot = &rot[0]; a.s_rot = _stride(rot.shape[0], n, "rot")
    a.d_theta = &d_theta[0]; a.s_d_theta = _stride(d_theta.shape[0], n, "d_theta")
    fmt.kind = kind
    fmt.frac = frac
    cdef uint8_t[::1] ob = out.view(np.uint8)
    op = <char *> &ob[0]
    cdef Py_ssize_t nchunks, c, k0, k1
    # the C array loops (SIMD lanes), in chunks so that threads share the
    # work; rbe_seed64's word travels in R's column.  pq_one_range's which:
    # radial, angular, modulation are 0, 1, 2, as their function codes
    nchunks = (n + _CHUNK - 1) // _CHUNK
    if threads > nchunks:
        threads = <int> nchunks
    for c in prange(nchunks, nogil=True, num_threads=threads, schedule="static"):
        k0 = c * _CHUNK
        k1 = k0 + _CHUNK
        if k1 > n:
            k1 = n
        if func == _RBE:
            bad += <Py_ssize_t> pq_rbe_range(&a, k0, k1, fmt, op, &status[0])
        elif func == _RBE_SEED64:
            bad += <Py_ssize_t> pq_rbe_seed64_range(&a, k0, k1, fmt, op, &status[0])
        elif func == _RBE_PIPELINE:
            bad += <Py_ssize_t> pq_rbe_pipeline_range(&a, k0, k1, fmt, op, &status[0])
        else:
            bad += <Py_ssize_t> pq_one_range(func, &a, k0, k1, fmt, op, &status[0])
    return bad

def evaluate_scalar(int func, uint64_t R, uint64_t T, uint32_t i, uint32_t j, int32_t log2_c,
                    uint64_t eps, int32_t d_r, int32_t rot, int32_t d_theta, int kind,
                    int frac):
    """One element of evaluate() without arrays or threads: (status, value),
    value a Python int (int64 and int128 kinds) or float (the float kinds;
    a float32 result is exact as a double), None unless status is OK."""
    cdef pq_columns a
    cdef pq_format fmt
    cdef pq_value v
    cdef int st
    _check_func_kind(func, kind)
    a.R = &R; a.T = &T; a.i = &i; a.j = &j; a.eps = &eps
    a.log2_c = &log2_c; a.d_r = &d_r; a.rot = &rot; a.d_theta = &d_theta
    a.s_R = a.s_T = a.s_i = a.s_j = a.s_eps = a.s_log2_c = a.s_d_r = a.s_rot = a.s_d_theta = 0
    fmt.kind = kind
    fmt.frac = frac
    with nogil:
        st = eval_one(&a, 0, func, fmt, &v)
    if st != PQ_OK:
        return st, None
    if kind == PQ_KIND_INT64:
        return st, v.i64
    if kind == PQ_KIND_INT128:
        return st, ((<object> v.i128.hi) << 64) | v.i128.lo
    if kind == PQ_KIND_FLOAT64:
        return st, v.f64
    return st, <double> v.f32


def spatial_hash_scalar(uint32_t i, uint32_t j):
    return pq_spatial_hash(i, j)


# ---- the scalar fast path --------------------------------------------------
#
# A call of a public value function with plain Python ints, a usual format
# and no out: checked and evaluated here on C integers, the result boxed as
# the general path boxes it.  These functions return None for anything else
# (a failed check included) and the caller then takes the general path,
# which raises its own error: so every error and its message has one source.

cimport numpy as cnp
from cpython.long cimport PyLong_FromLongLong, PyLong_FromUnsignedLongLong

# Declared without Cython's error propagation: a value out of the C type is
# a failed check here (PyErr_Clear, then the general path), not an exception.
cdef extern from "Python.h":
    unsigned long long PyLong_AsUnsignedLongLong(object) noexcept
    long long PyLong_AsLongLongAndOverflow(object, int *) noexcept
    void PyErr_Clear() noexcept
    PyObject *PyErr_Occurred() noexcept

cnp.import_array()

cdef extern from *:
    """
    #include <numpy/arrayscalars.h>
    static PyObject *pqk_box_int64(npy_int64 v) {
        PyObject *o = PyArrayScalar_New(Int64);
        if (o) PyArrayScalar_ASSIGN(o, Int64, v);
        return o;
    }
    static PyObject *pqk_box_uint32(npy_uint32 v) {
        PyObject *o = PyArrayScalar_New(UInt32);
        if (o) PyArrayScalar_ASSIGN(o, UInt32, v);
        return o;
    }
    static PyObject *pqk_box_float64(double v) {
        PyObject *o = PyArrayScalar_New(Float64);
        if (o) PyArrayScalar_ASSIGN(o, Float64, v);
        return o;
    }
    static PyObject *pqk_box_float32(float v) {
        PyObject *o = PyArrayScalar_New(Float32);
        if (o) PyArrayScalar_ASSIGN(o, Float32, v);
        return o;
    }
    """
    object pqk_box_int64(int64_t v)
    object pqk_box_uint32(uint32_t v)
    object pqk_box_float64(double v)
    object pqk_box_float32(float v)

# The inputs of the value functions, indices into the range tables.
cdef enum:
    _IN_R = 0
    _IN_T = 1
    _IN_WORD = 2
    _IN_I = 3
    _IN_J = 4
    _IN_LOG2_C = 5
    _IN_EPS = 6
    _IN_D_R = 7
    _IN_ROT = 8
    _IN_D_THETA = 9
    _N_IN = 10
    _N_FIELDS = 8

# [lo, hi] inclusive of each input, on its kernel type: the unsigned inputs
# compare as uint64, the signed ones as int64.  Filled from the registry
# below, so that the ranges are written once.
cdef bint _in_signed[_N_IN]
cdef int64_t _in_lo_s[_N_IN]
cdef int64_t _in_hi_s[_N_IN]
cdef uint64_t _in_lo_u[_N_IN]
cdef uint64_t _in_hi_u[_N_IN]
# The seed word's fields (pack_seed64), all signed.
cdef int64_t _field_lo[_N_FIELDS]
cdef int64_t _field_hi[_N_FIELDS]

# The usual output formats, dtype -> (kind, frac of frac=None), filled by
# scalar_path_init() from the general path's own resolution.
cdef object _fmt_by_identity = ()
cdef dict _fmt_by_str = {}


def _scalar_path_tables():
    from poincare_q64 import registry
    names = ("R", "T", "word", "i", "j", "log2_c", "eps", "d_r", "rot", "d_theta")
    limits = {"uint64": (0, (1 << 64) - 1), "uint32": (0, (1 << 32) - 1),
              "int32": (-(1 << 31), (1 << 31) - 1)}
    for k, name in enumerate(names):
        x = registry.INPUTS[name]
        tlo, thi = limits[x.dtype]
        if not tlo <= x.lo <= x.hi - 1 <= thi:
            raise RuntimeError(f"_kernels: the range of {name} does not fit {x.dtype}")
        _in_signed[k] = x.dtype.startswith("int")
        if _in_signed[k]:
            _in_lo_s[k] = x.lo
            _in_hi_s[k] = x.hi - 1
        else:
            _in_lo_u[k] = x.lo
            _in_hi_u[k] = x.hi - 1
    fields = ("r", "theta", "basis", "d_theta", "d_r", "rot", "log2_c", "reserved")
    if tuple(f.name for f in registry.SEED64_FIELDS) != fields:
        raise RuntimeError("_kernels: the seed word's fields changed")
    for k, f in enumerate(registry.SEED64_FIELDS):
        # the C struct's fields are 32-bit
        if not -(1 << 31) <= f.lo <= f.hi - 1 < (1 << 31):
            raise RuntimeError(f"_kernels: the seed field {f.name} does not fit int32")
        _field_lo[k] = f.lo
        _field_hi[k] = f.hi - 1


_scalar_path_tables()


def scalar_path_init(formats):
    """formats: (dtype as a caller passes it, kind, frac for frac=None),
    each resolved by the general path.  Classes and numpy dtypes are matched
    by identity, strings by value; any other dtype takes the general path."""
    global _fmt_by_identity, _fmt_by_str
    ident = []
    by_str = {}
    for dtype, kind, frac in formats:
        if kind not in _OUT_DTYPES:
            raise ValueError(f"_kernels: unknown kind {kind}")
        if type(dtype) is str:
            by_str[dtype] = (kind, frac)
        else:
            ident.append((dtype, kind, frac))
    _fmt_by_identity = tuple(ident)
    _fmt_by_str = by_str


cdef inline bint _get_in(object x, int k, uint64_t *out):
    """x as input k on its C type, if it is a Python int in range."""
    cdef int ovf = 0
    cdef long long s
    cdef unsigned long long u
    if type(x) is not int:
        return False
    if _in_signed[k]:
        s = PyLong_AsLongLongAndOverflow(x, &ovf)
        if ovf or not _in_lo_s[k] <= s <= _in_hi_s[k]:
            return False
        out[0] = <uint64_t> <int64_t> s
        return True
    u = PyLong_AsUnsignedLongLong(x)
    if u == <unsigned long long> -1 and PyErr_Occurred():
        PyErr_Clear()  # negative or too large
        return False
    if not _in_lo_u[k] <= u <= _in_hi_u[k]:
        return False
    out[0] = u
    return True


cdef inline bint _get_format(object dtype, object frac, pq_format *fmt):
    cdef object entry = None
    cdef int kind, dfrac
    cdef long long f
    cdef int ovf = 0
    for e in _fmt_by_identity:
        if (<tuple> e)[0] is dtype:
            entry = (<tuple> e)[1:]
            break
    else:
        if type(dtype) is not str:
            return False
        entry = _fmt_by_str.get(dtype)
        if entry is None:
            return False
    kind = (<tuple> entry)[0]
    dfrac = (<tuple> entry)[1]
    fmt.kind = kind
    if frac is None:
        fmt.frac = dfrac
        return True
    if kind != PQ_KIND_INT64 and kind != PQ_KIND_INT128:
        return False  # a frac with a float format is an error
    if type(frac) is not int:
        return False
    f = PyLong_AsLongLongAndOverflow(frac, &ovf)
    if ovf or not 0 <= f <= 64:
        return False
    fmt.frac = <int32_t> f
    return True


cdef inline bint _threads_ok(object threads):
    cdef long long t
    cdef int ovf = 0
    if threads is None:
        return True
    if type(threads) is not int:
        return False
    t = PyLong_AsLongLongAndOverflow(threads, &ovf)
    return ovf > 0 or (ovf == 0 and t >= 1)


cdef object _box(const pq_value *v, int kind):
    if kind == PQ_KIND_INT64:
        return pqk_box_int64(v.i64)
    if kind == PQ_KIND_INT128:
        # hi is lo's sign extension whenever the value fits int64
        if v.i128.hi == (<int64_t> v.i128.lo >> 63):
            return PyLong_FromLongLong(<int64_t> v.i128.lo)
        return ((<object> v.i128.hi) << 64) | PyLong_FromUnsignedLongLong(v.i128.lo)
    if kind == PQ_KIND_FLOAT64:
        return pqk_box_float64(v.f64)
    return pqk_box_float32(v.f32)


cdef object _run(int func, uint64_t *x, object dtype, object frac):
    """x: the value inputs by _IN_* index (unused ones 0)."""
    cdef pq_format fmt
    cdef pq_columns a
    cdef pq_value v
    cdef int st
    cdef uint32_t i = <uint32_t> x[_IN_I], j = <uint32_t> x[_IN_J]
    cdef int32_t log2_c = <int32_t> <int64_t> x[_IN_LOG2_C]
    cdef int32_t d_r = <int32_t> <int64_t> x[_IN_D_R]
    cdef int32_t rot = <int32_t> <int64_t> x[_IN_ROT]
    cdef int32_t d_theta = <int32_t> <int64_t> x[_IN_D_THETA]
    if not _get_format(dtype, frac, &fmt):
        return None
    if func == _RBE_SEED64:
        if (x[_IN_WORD] >> 16) & 0xF:
            return None  # a basis other than sin: the general path says so
        a.R = &x[_IN_WORD]
    else:
        a.R = &x[_IN_R]
    a.T = &x[_IN_T]; a.i = &i; a.j = &j; a.eps = &x[_IN_EPS]
    a.log2_c = &log2_c; a.d_r = &d_r; a.rot = &rot; a.d_theta = &d_theta
    a.s_R = a.s_T = a.s_i = a.s_j = a.s_eps = a.s_log2_c = a.s_d_r = a.s_rot = a.s_d_theta = 0
    with nogil:
        st = eval_one(&a, 0, func, fmt, &v)
    if st != PQ_OK:
        return None  # the general path raises the status's error
    return _box(&v, fmt.kind)


def radial_fast(R, log2_c, eps, d_r, frac, dtype):
    """radial() of Python ints with a usual format, or None: take the
    general path (which also raises every error)."""
    cdef uint64_t x[_N_IN]
    memset(x, 0, sizeof(x))
    if not (_get_in(R, _IN_R, x) and _get_in(log2_c, _IN_LOG2_C, x + _IN_LOG2_C)
            and _get_in(eps, _IN_EPS, x + _IN_EPS) and _get_in(d_r, _IN_D_R, x + _IN_D_R)):
        return None
    return _run(_RADIAL, x, dtype, frac)


def angular_fast(T, rot, d_theta, frac, dtype):
    """angular() as radial_fast() is radial()."""
    cdef uint64_t x[_N_IN]
    memset(x, 0, sizeof(x))
    if not (_get_in(T, _IN_T, x + _IN_T) and _get_in(rot, _IN_ROT, x + _IN_ROT)
            and _get_in(d_theta, _IN_D_THETA, x + _IN_D_THETA)):
        return None
    return _run(_ANGULAR, x, dtype, frac)


def modulation_fast(i, j, frac, dtype):
    """modulation() as radial_fast() is radial()."""
    cdef uint64_t x[_N_IN]
    memset(x, 0, sizeof(x))
    if not (_get_in(i, _IN_I, x + _IN_I) and _get_in(j, _IN_J, x + _IN_J)):
        return None
    return _run(_MODULATION, x, dtype, frac)


def rbe_fast(int func, R, T, i, j, log2_c, eps, d_r, rot, d_theta, frac, dtype, threads):
    """rbe() (func FUNC_RBE) or rbe_pipeline() (FUNC_RBE_PIPELINE) without
    out, as radial_fast() is radial()."""
    cdef uint64_t x[_N_IN]
    if func != _RBE and func != _RBE_PIPELINE:
        raise ValueError(f"_kernels: rbe_fast takes rbe or rbe_pipeline, not {func}")
    memset(x, 0, sizeof(x))
    if not (_get_in(R, _IN_R, x) and _get_in(T, _IN_T, x + _IN_T)
            and _get_in(i, _IN_I, x + _IN_I) and _get_in(j, _IN_J, x + _IN_J)
            and _get_in(log2_c, _IN_LOG2_C, x + _IN_LOG2_C)
            and _get_in(eps, _IN_EPS, x + _IN_EPS) and _get_in(d_r, _IN_D_R, x + _IN_D_R)
            and _get_in(rot, _IN_ROT, x + _IN_ROT)
            and _get_in(d_theta, _IN_D_THETA, x + _IN_D_THETA) and _threads_ok(threads)):
        return None
    return _run(func, x, dtype, frac)


def rbe_seed64_fast(word, i, j, eps, frac, dtype, threads):
    """rbe_seed64() without out, as radial_fast() is radial()."""
    cdef uint64_t x[_N_IN]
    memset(x, 0, sizeof(x))
    if not (_get_in(word, _IN_WORD, x + _IN_WORD) and _get_in(i, _IN_I, x + _IN_I)
            and _get_in(j, _IN_J, x + _IN_J) and _get_in(eps, _IN_EPS, x + _IN_EPS)
            and _threads_ok(threads)):
        return None
    return _run(_RBE_SEED64, x, dtype, frac)


def spatial_hash_fast(i, j):
    """spatial_hash() of two Python ints in range as a numpy.uint32, or None."""
    cdef uint64_t x[_N_IN]
    memset(x, 0, sizeof(x))
    if not (_get_in(i, _IN_I, x + _IN_I) and _get_in(j, _IN_J, x + _IN_J)):
        return None
    return pqk_box_uint32(pq_spatial_hash(<uint32_t> x[_IN_I], <uint32_t> x[_IN_J]))


def pack_seed64_fast(r, theta, basis, d_theta, d_r, rot, log2_c, reserved):
    """pack_seed64() of Python ints in range as a Python int, or None."""
    cdef pq_seed64_fields f
    cdef uint64_t w = 0
    cdef int64_t v[_N_FIELDS]
    cdef long long s
    cdef int ovf = 0, k
    for k, x in enumerate((r, theta, basis, d_theta, d_r, rot, log2_c, reserved)):
        if type(x) is not int:
            return None
        s = PyLong_AsLongLongAndOverflow(x, &ovf)
        if ovf or not _field_lo[k] <= s <= _field_hi[k]:
            return None
        v[k] = s
    f.r = <uint32_t> v[0]
    f.theta = <uint32_t> v[1]
    f.basis = <int32_t> v[2]
    f.d_theta = <int32_t> v[3]
    f.d_r = <int32_t> v[4]
    f.rot = <int32_t> v[5]
    f.log2_c = <int32_t> v[6]
    f.reserved = <int32_t> v[7]
    if pq_seed64_pack(&f, &w) != PQ_OK:
        return None
    return PyLong_FromUnsignedLongLong(w)


def unpack_seed64_fast(word):
    """unpack_seed64()'s eight fields of a Python int word in range, as a
    tuple of Python ints, or None."""
    cdef uint64_t x[_N_IN]
    cdef pq_seed64_fields f
    memset(x, 0, sizeof(x))
    if not _get_in(word, _IN_WORD, x + _IN_WORD):
        return None
    pq_seed64_unpack(x[_IN_WORD], &f)
    return (f.r, f.theta, f.basis, f.d_theta, f.d_r, f.rot, f.log2_c, f.reserved)


def spatial_hash(const uint32_t[::1] i, const uint32_t[::1] j, Py_ssize_t n,
                 uint32_t[::1] out, int threads):
    cdef Py_ssize_t k, si, sj
    if threads < 1:
        raise ValueError("_kernels: threads must be >= 1")
    if out.shape[0] != n:
        raise ValueError("_kernels: out must have length n")
    if n == 0:
        return
    si = _stride(i.shape[0], n, "i")
    sj = _stride(j.shape[0], n, "j")
    if threads > 1 and n < _MIN_PER_THREAD * threads:
        threads = <int> max(1, n // _MIN_PER_THREAD)
    for k in prange(n, nogil=True, num_threads=threads, schedule="static"):
        out[k] = pq_spatial_hash(i[k * si], j[k * sj])


def seed64_pack(const int64_t[::1] r, const int64_t[::1] theta, const int64_t[::1] basis,
                const int64_t[::1] d_theta, const int64_t[::1] d_r, const int64_t[::1] rot,
                const int64_t[::1] log2_c, const int64_t[::1] reserved, Py_ssize_t n,
                uint64_t[::1] out, uint8_t[::1] status):
    cdef Py_ssize_t k, bad = 0
    cdef pq_seed64_fields f
    cdef uint64_t w = 0
    cdef Py_ssize_t s[8]
    cdef int st
    cdef int64_t rv, tv
    if out.shape[0] != n or status.shape[0] != n:
        raise ValueError("_kernels: out and status must have length n")
    if n == 0:
        return 0
    for idx, (name, arr) in enumerate((("r", r), ("theta", theta), ("basis", basis),
                                       ("d_theta", d_theta), ("d_r", d_r), ("rot", rot),
                                       ("log2_c", log2_c), ("reserved", reserved))):
        s[idx] = _stride(arr.shape[0], n, name)
    with nogil:
        for k in range(n):
            rv = r[k * s[0]]
            tv = theta[k * s[1]]
            st = PQ_EDOM
            # int64 -> the struct's 32-bit fields: reject before narrowing
            if (0 <= rv < (1 << 20) and 0 <= tv < (1 << 24)
                    and -8 <= basis[k * s[2]] <= 64 and -8 <= d_theta[k * s[3]] <= 64
                    and -8 <= d_r[k * s[4]] <= 64 and -8 <= rot[k * s[5]] <= 64
                    and -8 <= log2_c[k * s[6]] <= 64 and -8 <= reserved[k * s[7]] <= 64):
                f.r = <uint32_t> rv
                f.theta = <uint32_t> tv
                f.basis = <int32_t> basis[k * s[2]]
                f.d_theta = <int32_t> d_theta[k * s[3]]
                f.d_r = <int32_t> d_r[k * s[4]]
                f.rot = <int32_t> rot[k * s[5]]
                f.log2_c = <int32_t> log2_c[k * s[6]]
                f.reserved = <int32_t> reserved[k * s[7]]
                st = pq_seed64_pack(&f, &w)
            status[k] = <uint8_t> st
            if st == PQ_OK:
                out[k] = w
            else:
                bad += 1
    return bad


def seed64_unpack(const uint64_t[::1] words, Py_ssize_t n):
    cdef Py_ssize_t k
    cdef pq_seed64_fields f
    res = np.empty((8, n), dtype=np.int64)
    cdef int64_t[:, ::1] o = res
    with nogil:
        for k in range(n):
            pq_seed64_unpack(words[k], &f)
            o[0, k] = f.r
            o[1, k] = f.theta
            o[2, k] = f.basis
            o[3, k] = f.d_theta
            o[4, k] = f.d_r
            o[5, k] = f.rot
            o[6, k] = f.log2_c
            o[7, k] = f.reserved
    return tuple(res[m] for m in range(8))


def max_threads():
    return pqk_max_threads()


def openmp_enabled():
    return bool(pqk_openmp())


cdef extern from "pq_internal.h" nogil:
    int pq_block_level()


def simd_level():
    """The SIMD code rbe's array path runs: 0 none (the scalar loop),
    1 AVX2, 2 AVX-512."""
    return pq_block_level()


# ---- matrix decode ---------------------------------------------------------

cdef enum:
    _DECODE_CHUNK = 2048  # elements per task of the decode loops (whole rows)


cdef inline Py_ssize_t _rows_per_task(Py_ssize_t n) noexcept nogil:
    return (_DECODE_CHUNK + n - 1) // n


cdef inline int _init_decoder(uint64_t R, uint64_t T, int32_t log2_c, uint64_t eps, int32_t d_r,
                              int32_t rot, int32_t d_theta, pq_format fmt,
                              pq_decoder *dec) noexcept nogil:
    cdef pq_params p
    p.eps = eps
    p.log2_c = log2_c
    p.d_r = d_r
    p.rot = rot
    p.d_theta = d_theta
    return pq_decoder_init(R, T, &p, fmt, dec)


def decode(const uint64_t[::1] R, const uint64_t[::1] T, const int32_t[::1] log2_c,
           const uint64_t[::1] eps, const int32_t[::1] d_r, const int32_t[::1] rot,
           const int32_t[::1] d_theta, Py_ssize_t K, Py_ssize_t m, Py_ssize_t n, int kind,
           int frac, out, phi_hi, phi_lo, Py_ssize_t phi_rows, Py_ssize_t phi_cols,
           int threads):
    """K matrices of m x n, seed k from element k (or 0, for length 1) of each
    column, into out (C-contiguous, K * m * n elements of the kind's type);
    phi_hi/phi_lo None or a table of phi_rows x phi_cols.  Returns
    (status, first_bad): the status of the first failing element in
    row-major order over (k, i, j) and its flat index, or (0, 0)."""
    cdef pq_format fmt
    cdef pq_phi_table tab
    cdef const pq_phi_table *tp = NULL
    cdef Py_ssize_t k, t, tasks_per, ntasks, r0, r1, rpt, kk
    cdef Py_ssize_t sR, sT, sl, se, sd, sr, st_
    cdef int st
    cdef char *op
    cdef size_t es
    if kind not in _OUT_DTYPES:
        raise ValueError(f"_kernels: unknown kind {kind}")
    if threads < 1:
        raise ValueError("_kernels: threads must be >= 1")
    if K < 1 or m < 1 or n < 1 or m >= (1 << 32) or n >= (1 << 32):
        raise ValueError("_kernels: K, m, n must be >= 1 and m, n < 2**32")
    want = K * m * n * (2 if kind == PQ_KIND_INT128 else 1)
    if (not isinstance(out, np.ndarray) or out.dtype != _OUT_DTYPES[kind] or out.size != want
            or not out.flags.c_contiguous or not out.flags.writeable):
        raise ValueError("_kernels: out must be a writeable contiguous array of "
                         f"{_OUT_DTYPES[kind]} and size {want}")
    sR = _stride(R.shape[0], K, "R"); sT = _stride(T.shape[0], K, "T")
    sl = _stride(log2_c.shape[0], K, "log2_c"); se = _stride(eps.shape[0], K, "eps")
    sd = _stride(d_r.shape[0], K, "d_r"); sr = _stride(rot.shape[0], K, "rot")
    st_ = _stride(d_theta.shape[0], K, "d_theta")
    cdef const uint64_t[::1] hv
    cdef const uint64_t[::1] lv
    if phi_hi is not None:
        hv = phi_hi
        lv = phi_lo
        if (hv.shape[0] != phi_rows * phi_cols or lv.shape[0] != phi_rows * phi_cols
                or phi_rows < m or phi_cols < n):
            raise ValueError("_kernels: the phi table does not cover the grid")
        tab.hi = &hv[0]
        tab.lo = &lv[0]
        tab.n_rows = <uint32_t> phi_rows
        tab.n_cols = <uint32_t> phi_cols
        tp = &tab
    fmt.kind = kind
    fmt.frac = frac
    es = 16 if kind == PQ_KIND_INT128 else out.dtype.itemsize
    cdef uint8_t[::1] ob = out.reshape(-1).view(np.uint8)
    op = <char *> &ob[0]
    # the decoders, one per seed
    decs = np.zeros((K, sizeof(pq_decoder)), dtype=np.uint8)
    cdef uint8_t[:, ::1] dv = decs
    inits = np.zeros(K, dtype=np.int32)
    cdef int32_t[::1] iv = inits
    cdef int init_threads = threads if K >= 64 else 1
    for k in prange(K, nogil=True, num_threads=init_threads, schedule="static"):
        iv[k] = _init_decoder(R[k * sR], T[k * sT], log2_c[k * sl], eps[k * se], d_r[k * sd],
                              rot[k * sr], d_theta[k * st_], fmt, <pq_decoder *> &dv[k, 0])
    if inits.any():
        k = int(np.flatnonzero(inits)[0])
        return int(inits[k]), k * m * n
    # the rows: tasks of whole rows, at least _DECODE_CHUNK elements each
    rpt = _rows_per_task(n)
    tasks_per = (m + rpt - 1) // rpt
    ntasks = K * tasks_per
    status = np.zeros(ntasks, dtype=np.int32)
    first = np.zeros(ntasks, dtype=np.uint64)
    cdef int32_t[::1] sv = status
    cdef uint64_t[::1] fv = first
    if threads > ntasks:
        threads = <int> ntasks
    # dynamic: a thread that loses its core for a time slice does not hold
    # up the call, the others take the remaining tasks (which elements a
    # thread computes changes no bit: they are independent)
    for t in prange(ntasks, nogil=True, num_threads=threads, schedule="dynamic"):
        kk = t // tasks_per
        r0 = (t % tasks_per) * rpt
        r1 = r0 + rpt
        if r1 > m:
            r1 = m
        sv[t] = pq_decode_rows(<const pq_decoder *> &dv[kk, 0], <uint32_t> n, <uint32_t> r0,
                               <uint32_t> r1, tp, op + kk * m * n * es, n, &fv[t])
    if status.any():
        t = int(np.flatnonzero(status)[0])
        return int(status[t]), (t // tasks_per) * m * n + int(first[t])
    return 0, 0


cdef extern from "pq_decode.h" nogil:
    int pq_decode_int64_bounded(uint64_t R, uint64_t T, const pq_params *p, int frac)


def decode_int64_bounded(uint64_t R, uint64_t T, int32_t log2_c, uint64_t eps, int32_t d_r,
                         int32_t rot, int32_t d_theta, int frac):
    """True when no int64 element of the seed's matrix at frac can
    overflow (the decoder's bound); False when it cannot tell."""
    cdef pq_params p
    p.eps = eps
    p.log2_c = log2_c
    p.d_r = d_r
    p.rot = rot
    p.d_theta = d_theta
    return pq_decode_int64_bounded(R, T, &p, frac) == 1


def phi_table_fill(uint64_t[::1] hi, uint64_t[::1] lo, Py_ssize_t m, Py_ssize_t n, int threads):
    """Fill an m x n phi table (hi, lo: m * n words each), in parallel."""
    cdef Py_ssize_t t, r0, r1, rpt, ntasks
    if threads < 1:
        raise ValueError("_kernels: threads must be >= 1")
    if m < 1 or n < 1 or m >= (1 << 32) or n >= (1 << 32):
        raise ValueError("_kernels: m, n must be in [1, 2**32)")
    if hi.shape[0] != m * n or lo.shape[0] != m * n:
        raise ValueError("_kernels: hi and lo must have m * n words")
    rpt = _rows_per_task(n)
    ntasks = (m + rpt - 1) // rpt
    if threads > ntasks:
        threads = <int> ntasks
    for t in prange(ntasks, nogil=True, num_threads=threads, schedule="dynamic"):
        r0 = t * rpt
        r1 = r0 + rpt
        if r1 > m:
            r1 = m
        pq_phi_table_fill(&hi[0], &lo[0], <uint32_t> n, <uint32_t> r0, <uint32_t> r1)
