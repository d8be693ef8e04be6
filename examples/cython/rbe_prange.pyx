# cython: language_level=3, boundscheck=False, wraparound=False
"""rbe over arrays in a prange loop, calling the C kernels directly.

``cimport poincare_q64`` gives the kernels' declarations (nogil, noexcept:
errors come back as status codes); setup.py compiles the C sources of
``poincare_q64.get_include()`` into this extension.  Each element is computed
independently, so the results are the same for any number of threads.
"""
from cython.parallel cimport prange
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

import numpy as np

from poincare_q64 cimport (
    PQ_KIND_FLOAT64, PQ_KIND_INT64, PQ_OK, pq_format, pq_params, pq_rbe, pq_value,
)


cdef inline uint8_t rbe_one(uint64_t R, uint64_t T, uint32_t i, uint32_t j,
                            const pq_params *p, pq_format fmt, void *out,
                            Py_ssize_t k) noexcept nogil:
    # v is local to the call, hence private to the thread that runs it
    cdef pq_value v
    cdef int status = pq_rbe(R, T, i, j, p, fmt, &v)
    if status == PQ_OK:
        if fmt.kind == PQ_KIND_FLOAT64:
            (<double *> out)[k] = v.f64
        else:
            (<int64_t *> out)[k] = v.i64
    return <uint8_t> status


def rbe(const uint64_t[::1] R, const uint64_t[::1] T, const uint32_t[::1] i,
        const uint32_t[::1] j, *, frac=None, int log2_c=0, uint64_t eps=0,
        int num_threads=2):
    """rbe(R, T, i, j) for equal-length arrays: float64 if frac is None, else int64.

    Returns ``(out, status)``: ``status[k]`` is the kernel's code (0 = PQ_OK)
    and ``out[k]`` is meaningful only where it is 0.
    """
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
    if frac is None:
        fmt.kind, fmt.frac = PQ_KIND_FLOAT64, 0
        out = np.zeros(n, np.float64)
    else:
        fmt.kind, fmt.frac = PQ_KIND_INT64, frac
        out = np.zeros(n, np.int64)
    status = np.empty(n, np.uint8)
    cdef uint8_t[::1] st = status
    cdef char *op = <char *> <size_t> out.ctypes.data
    for k in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        st[k] = rbe_one(R[k], T[k], i[k], j[k], &p, fmt, op, k)
    return out, status
