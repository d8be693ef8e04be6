/*
 * poincare_q64_capi.h -- the kernels of poincare_q64.h as a table of
 * function pointers, for code that cannot or will not link the C sources.
 *
 * Where the table comes from:
 *   - Python: the PyCapsule `poincare_q64.capi.capsule`, whose name is
 *     PQ_CAPI_CAPSULE_NAME, so a C extension gets it with
 *         const pq_capi *api = PyCapsule_Import(PQ_CAPI_CAPSULE_NAME, 0);
 *     The table then points into the poincare_q64 extension already loaded in
 *     the process: the caller compiles no kernel source and imports no Cython
 *     module of ours.  ctypes/cffi views of the same table are
 *     `poincare_q64.capi.ctypes` and `poincare_q64.capi.cffi`.
 *   - C programs compiled with the sources: pq_capi_table().
 *
 * Contract: every entry has exactly the contract of the function of the same
 * name with the prefix pq_ in poincare_q64.h (formats, rounding, status
 * codes, thread safety).  The table is static and const: valid for the life
 * of the process, shared by all threads, never to be written (the capsule
 * carries a non-const pointer only because PyCapsule takes void *).
 *
 * Growth rule (so an old extension keeps working with a new library and a new
 * extension can detect an old library): fields are only ever appended, never
 * reordered, retyped or removed.  `size` is sizeof(pq_capi) of the library
 * that filled the table and `version` its PQ_CAPI_VERSION, which rises by one
 * whenever the table changes.  Before using a field newer than version 2,
 * test PQ_CAPI_HAS(api, field) (version 3 added the
 * matrix decoder's six fields, decoder_init .. phi_table_fill).  The frozen layout is checked by
 * tests/abi/abi.json (tests/test_embedding.py).
 *
 * The one exception, a deliberate break in a 0.x release: version 2
 * (poincare_q64 0.2.0) removed version 1's last field, debug_force_slow_path,
 * because a test switch does not belong in the public interface (see
 * CHANGELOG.md).  A module built against version 1 sees a table smaller than
 * its own sizeof(pq_capi) and must refuse it (pq_import_capi in c_capi.pxd
 * and examples/c/capsule_ext.c do); rebuilt against this header it works
 * unchanged unless it called that field.
 */
#ifndef POINCARE_Q64_CAPI_H
#define POINCARE_Q64_CAPI_H

#include "poincare_q64.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PQ_CAPI_VERSION 3
#define PQ_CAPI_CAPSULE_NAME "poincare_q64.capi.capsule"

typedef struct pq_capi {
    uint32_t size;    /* sizeof(pq_capi) in the library: always first */
    uint32_t version; /* PQ_CAPI_VERSION of the library: always second */
    int (*radial)(uint64_t R, const pq_params *p, pq_format fmt, pq_value *out);
    int (*angular)(uint64_t T, const pq_params *p, pq_format fmt, pq_value *out);
    uint32_t (*spatial_hash)(uint32_t i, uint32_t j);
    int (*modulation)(uint32_t i, uint32_t j, pq_format fmt, pq_value *out);
    int (*rbe)(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
               pq_format fmt, pq_value *out);
    size_t (*rbe_range)(const pq_columns *a, size_t k0, size_t k1, pq_format fmt, void *out,
                        uint8_t *status);
    int (*rbe_pipeline)(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                        pq_format fmt, pq_value *out);
    int (*seed64_pack)(const pq_seed64_fields *f, uint64_t *word);
    void (*seed64_unpack)(uint64_t word, pq_seed64_fields *f);
    int (*rbe_seed64)(uint64_t word, uint32_t i, uint32_t j, uint64_t eps, pq_format fmt,
                      pq_value *out);
    /* version 3: the matrix decoder */
    int (*decoder_init)(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt,
                        pq_decoder *dec);
    int (*decoder_init_seed64)(uint64_t word, uint64_t eps, pq_format fmt, pq_decoder *dec);
    int (*decode_rows)(const pq_decoder *dec, uint32_t n_cols, uint32_t row0, uint32_t row1,
                       const pq_phi_table *phi, void *out, ptrdiff_t out_row_stride,
                       uint64_t *first_bad);
    int (*decode_matrix)(uint64_t R, uint64_t T, const pq_params *p, uint32_t n_cols,
                         uint32_t row0, uint32_t row1, const pq_phi_table *phi, pq_format fmt,
                         void *out, ptrdiff_t out_row_stride, uint64_t *first_bad);
    int (*decode_seed64)(uint64_t word, uint64_t eps, uint32_t n_cols, uint32_t row0,
                         uint32_t row1, const pq_phi_table *phi, pq_format fmt, void *out,
                         ptrdiff_t out_row_stride, uint64_t *first_bad);
    int (*phi_table_fill)(uint64_t *hi, uint64_t *lo, uint32_t n_cols, uint32_t row0,
                          uint32_t row1);
} pq_capi;

/* True when the table `api` (from a possibly older library) has `field`. */
#define PQ_CAPI_HAS(api, field) \
    ((size_t)(api)->size >= offsetof(pq_capi, field) + sizeof((api)->field))

/* The library's table (the one the capsule holds).  Total function. */
const pq_capi *pq_capi_table(void);

#ifdef __cplusplus
}
#endif
#endif /* POINCARE_Q64_CAPI_H */
