# cython: language_level=3, boundscheck=False, wraparound=False
"""rbe over arrays in a prange loop, through the C API capsule.

The kernels are those of the installed poincare_q64 (one copy in the
process): pq_import_capi() takes the pq_capi table from the PyCapsule
``poincare_q64.capi.capsule``.  This extension compiles no kernel source; it
needs only the headers (``poincare_q64.get_include()``).
"""
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint32_t, uint64_t

import numpy as np

from poincare_q64 cimport (
    PQ_KIND_FLOAT64, PQ_OK, pq_capi, pq_format, pq_import_capi, pq_params, pq_value,
)

# Fetched once, at import, with the GIL (ImportError if the library is too old).
cdef const pq_capi *api = pq_import_capi()


cdef inline uint8_t rbe_one(uint64_t R, uint64_t T, uint32_t i, uint32_t j,
                            const pq_params *p, pq_format fmt, double *out) noexcept nogil:
    cdef pq_value v
    cdef int status = api.rbe(R, T, i, j, p, fmt, &v)
    if status == PQ_OK:
        out[0] = v.f64
    return <uint8_t> status


def rbe_float64(const uint64_t[::1] R, const uint64_t[::1] T, const uint32_t[::1] i,
                const uint32_t[::1] j, *, int log2_c=0, uint64_t eps=0, int num_threads=2):
    """rbe(R, T, i, j) as float64 for equal-length arrays: ``(out, status)``."""
    cdef Py_ssize_t n = R.shape[0], k
    if T.shape[0] != n or i.shape[0] != n or j.shape[0] != n:
        raise ValueError("R, T, i and j must have the same length")
    cdef pq_params p
    p.eps = eps
    p.log2_c = log2_c
    p.d_r = 0
    p.rot = 0
    p.d_theta = 0
    cdef pq_format fmt
    fmt.kind, fmt.frac = PQ_KIND_FLOAT64, 0
    out = np.zeros(n, np.float64)
    status = np.empty(n, np.uint8)
    cdef double[::1] o = out
    cdef uint8_t[::1] st = status
    for k in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        st[k] = rbe_one(R[k], T[k], i[k], j[k], &p, fmt, &o[k])
    return out, status


def table_version():
    """(size, version) of the pq_capi table this module calls."""
    return api.size, api.version
