/*
 * capi.c -- the table of function pointers declared in poincare_q64_capi.h.
 *
 * Plain C like the kernels (no Python): the capsule module
 * poincare_q64/_capimodule.c only wraps this table, and C programs that
 * compile the sources can pass it to plugins the same way.  Designated
 * initialisers tie each entry to its field by name, so a kernel whose type
 * no longer matches its field is an incompatible-pointer-types diagnostic
 * (an error in GCC >= 14, and in the build of tests/test_embedding.py).
 */
#include "poincare_q64_capi.h"

static const pq_capi table = {
    .size = (uint32_t)sizeof(pq_capi),
    .version = PQ_CAPI_VERSION,
    .radial = pq_radial,
    .angular = pq_angular,
    .spatial_hash = pq_spatial_hash,
    .modulation = pq_modulation,
    .rbe = pq_rbe,
    .rbe_range = pq_rbe_range,
    .rbe_pipeline = pq_rbe_pipeline,
    .seed64_pack = pq_seed64_pack,
    .seed64_unpack = pq_seed64_unpack,
    .rbe_seed64 = pq_rbe_seed64,
    .decoder_init = pq_decoder_init,
    .decoder_init_seed64 = pq_decoder_init_seed64,
    .decode_rows = pq_decode_rows,
    .decode_matrix = pq_decode_matrix,
    .decode_seed64 = pq_decode_seed64,
    .phi_table_fill = pq_phi_table_fill,
};

const pq_capi *pq_capi_table(void) { return &table; }
