# Declarations of the nogil C kernels (poincare_q64/src/poincare_q64.h) for
# Cython code that wants to call them directly:  from poincare_q64 cimport pq_rbe
# (poincare_q64/__init__.pxd re-exports this file).  The contract of each
# kernel is the comment above it in the header.  Code calling pq_* directly
# must compile the C sources of poincare_q64.get_include() with it.
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint8_t, int32_t, int64_t, uint32_t, uint64_t

cdef extern from "poincare_q64.h" nogil:
    enum:
        PQ_VERSION_MAJOR
        PQ_VERSION_MINOR
        PQ_OK
        PQ_EDOM
        PQ_EOVERFLOW
        PQ_EUNDECIDED
        PQ_KIND_INT64
        PQ_KIND_INT128
        PQ_KIND_FLOAT64
        PQ_KIND_FLOAT32

    ctypedef struct pq_format:
        int32_t kind
        int32_t frac

    ctypedef struct pq_int128:
        uint64_t lo
        int64_t hi

    ctypedef union pq_value:
        int64_t i64
        pq_int128 i128
        double f64
        float f32

    ctypedef struct pq_params:
        uint64_t eps
        int32_t log2_c
        int32_t d_r
        int32_t rot
        int32_t d_theta

    ctypedef struct pq_seed64_fields:
        uint32_t r
        uint32_t theta
        int32_t basis
        int32_t d_theta
        int32_t d_r
        int32_t rot
        int32_t log2_c
        int32_t reserved

    int pq_radial(uint64_t R, const pq_params *p, pq_format fmt, pq_value *out)
    int pq_angular(uint64_t T, const pq_params *p, pq_format fmt, pq_value *out)
    uint32_t pq_spatial_hash(uint32_t i, uint32_t j)
    int pq_modulation(uint32_t i, uint32_t j, pq_format fmt, pq_value *out)
    int pq_rbe(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
               pq_format fmt, pq_value *out)
    ctypedef struct pq_columns:
        const uint64_t *R
        const uint64_t *T
        const uint32_t *i
        const uint32_t *j
        const uint64_t *eps
        const int32_t *log2_c
        const int32_t *d_r
        const int32_t *rot
        const int32_t *d_theta
        ptrdiff_t s_R, s_T, s_i, s_j, s_eps, s_log2_c, s_d_r, s_rot, s_d_theta
    size_t pq_rbe_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt, void *out,
                        uint8_t *status)
    int pq_rbe_pipeline(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                        pq_format fmt, pq_value *out)
    int pq_seed64_pack(const pq_seed64_fields *f, uint64_t *word)
    void pq_seed64_unpack(uint64_t word, pq_seed64_fields *f)
    int pq_rbe_seed64(uint64_t word, uint32_t i, uint32_t j, uint64_t eps, pq_format fmt,
                      pq_value *out)

    ctypedef struct pq_decoder:
        uint64_t opaque[16]

    ctypedef struct pq_phi_table:
        const uint64_t *hi
        const uint64_t *lo
        uint32_t n_rows
        uint32_t n_cols

    int pq_decoder_init(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt,
                        pq_decoder *dec)
    int pq_decoder_init_seed64(uint64_t word, uint64_t eps, pq_format fmt, pq_decoder *dec)
    int pq_decode_rows(const pq_decoder *dec, uint32_t n_cols, uint32_t row0, uint32_t row1,
                       const pq_phi_table *phi, void *out, ptrdiff_t out_row_stride,
                       uint64_t *first_bad)
    int pq_decode_matrix(uint64_t R, uint64_t T, const pq_params *p, uint32_t n_cols,
                         uint32_t row0, uint32_t row1, const pq_phi_table *phi, pq_format fmt,
                         void *out, ptrdiff_t out_row_stride, uint64_t *first_bad)
    int pq_decode_seed64(uint64_t word, uint64_t eps, uint32_t n_cols, uint32_t row0,
                         uint32_t row1, const pq_phi_table *phi, pq_format fmt, void *out,
                         ptrdiff_t out_row_stride, uint64_t *first_bad)
    int pq_phi_table_fill(uint64_t *hi, uint64_t *lo, uint32_t n_cols, uint32_t row0,
                          uint32_t row1)
