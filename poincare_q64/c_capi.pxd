# Declarations of poincare_q64_capi.h (the function table behind the
# PyCapsule poincare_q64.capi.capsule) for Cython:
#     from poincare_q64 cimport pq_capi, pq_import_capi
# A module that only calls through the table needs the header directory
# (poincare_q64.get_include()) but compiles none of the C sources.
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from cpython.pycapsule cimport PyCapsule_Import

from poincare_q64.c_kernels cimport (
    pq_columns, pq_decoder, pq_format, pq_params, pq_phi_table, pq_seed64_fields, pq_value,
)

cdef extern from "poincare_q64_capi.h" nogil:
    enum:
        PQ_CAPI_VERSION
    const char *PQ_CAPI_CAPSULE_NAME

    ctypedef struct pq_capi:
        uint32_t size
        uint32_t version
        int (*radial)(uint64_t R, const pq_params *p, pq_format fmt, pq_value *out) noexcept nogil
        int (*angular)(uint64_t T, const pq_params *p, pq_format fmt, pq_value *out) noexcept nogil
        uint32_t (*spatial_hash)(uint32_t i, uint32_t j) noexcept nogil
        int (*modulation)(uint32_t i, uint32_t j, pq_format fmt, pq_value *out) noexcept nogil
        int (*rbe)(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                   pq_format fmt, pq_value *out) noexcept nogil
        size_t (*rbe_range)(const pq_columns *a, size_t k0, size_t k1, pq_format fmt,
                            void *out, uint8_t *status) noexcept nogil
        int (*rbe_pipeline)(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                            pq_format fmt, pq_value *out) noexcept nogil
        int (*seed64_pack)(const pq_seed64_fields *f, uint64_t *word) noexcept nogil
        void (*seed64_unpack)(uint64_t word, pq_seed64_fields *f) noexcept nogil
        int (*rbe_seed64)(uint64_t word, uint32_t i, uint32_t j, uint64_t eps, pq_format fmt,
                          pq_value *out) noexcept nogil
        int (*decoder_init)(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt,
                            pq_decoder *dec) noexcept nogil
        int (*decoder_init_seed64)(uint64_t word, uint64_t eps, pq_format fmt,
                                   pq_decoder *dec) noexcept nogil
        int (*decode_rows)(const pq_decoder *dec, uint32_t n_cols, uint32_t row0, uint32_t row1,
                           const pq_phi_table *phi, void *out, ptrdiff_t out_row_stride,
                           uint64_t *first_bad) noexcept nogil
        int (*decode_matrix)(uint64_t R, uint64_t T, const pq_params *p, uint32_t n_cols,
                             uint32_t row0, uint32_t row1, const pq_phi_table *phi,
                             pq_format fmt, void *out, ptrdiff_t out_row_stride,
                             uint64_t *first_bad) noexcept nogil
        int (*decode_seed64)(uint64_t word, uint64_t eps, uint32_t n_cols, uint32_t row0,
                             uint32_t row1, const pq_phi_table *phi, pq_format fmt, void *out,
                             ptrdiff_t out_row_stride, uint64_t *first_bad) noexcept nogil
        int (*phi_table_fill)(uint64_t *hi, uint64_t *lo, uint32_t n_cols, uint32_t row0,
                              uint32_t row1) noexcept nogil

    # only for code that also compiles the C sources (capi.c)
    const pq_capi *pq_capi_table()


cdef inline const pq_capi *pq_import_capi() except NULL:
    """The table of the installed library, from its capsule (needs the GIL).

    Raises ImportError if poincare_q64 cannot be imported or if its table is
    older (smaller) than the header this module was compiled against, so
    every field of pq_capi may then be called.
    """
    cdef const pq_capi *api = <const pq_capi *> PyCapsule_Import(PQ_CAPI_CAPSULE_NAME, 0)
    if api == NULL:
        return NULL  # the exception set by PyCapsule_Import propagates
    if api.size < sizeof(pq_capi) or api.version < PQ_CAPI_VERSION:
        raise ImportError(
            f"poincare_q64: the installed C API table (version {api.version}, "
            f"{api.size} bytes) is older than the header this module was compiled "
            f"against (version {PQ_CAPI_VERSION}, {sizeof(pq_capi)} bytes); "
            f"upgrade poincare_q64 or rebuild this module against it")
    return api
