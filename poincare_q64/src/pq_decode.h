/*
 * pq_decode.h -- the matrix decoder's per-seed plan, shared by decode.c
 * (the scalar rows, the dispatch) and the lane files decode_avx2.c and
 * decode_avx512.c (decode_lanes.h).  Private: the public pq_decoder of
 * poincare_q64.h is opaque storage holding one of these.
 */
#ifndef PQ_DECODE_H
#define PQ_DECODE_H

#include "pq_internal.h"

/* A phi table entry whose phi is exact (H mod 2^30 = 0): PHI < 2^127, so
 * a high word with its top bit set is never a value. */
#define PQ_PHI_EXACT UINT64_MAX

enum { PQ_DECODE_ZERO = 1, PQ_DECODE_FAST = 2, PQ_DECODE_SLOW = 3 };

/* Elements of a row handled per lane call: bounded scratch (a few KB). */
#define PQ_DECODE_CHUNK 64

typedef struct pq_decode_plan {
    uint64_t magic;
    uint64_t R, T;      /* the seed as given (pq_rbe's arguments) */
    pq_params p;
    pq_format fmt;
    int32_t mode;       /* PQ_DECODE_* */
    int32_t neg;        /* sign of g s */
    int32_t s;          /* int kinds: rounding bit of P; floats: 128 - p */
    int32_t pad;
    int64_t e;          /* |f| = P 2^e */
    int64_t maxlz;      /* floats: largest normalising shift the fast path takes */
    uint64_t err;       /* |(|f| 2^-e) - P| <= err */
    uint64_t A_hi, A_lo; /* mA: |g s| = mA 2^(e - 2), normalised */
} pq_decode_plan;

/* pq_rbe for element (i, j); *first_bad on an error. */
int pq_decode_fallback(const pq_decode_plan *pl, uint32_t i, uint32_t j, uint32_t n_cols,
                       void *row, uint64_t *first_bad);

/* One row in SIMD lanes (int64, float64, float32 in fast mode): 0 when no
 * lane code runs for this CPU / format (the caller's scalar loop then does
 * the row), else 1 with *st the row's status. */
int pq_decode_lanes(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols, const uint64_t *phi_hi,
                    const uint64_t *phi_lo, void *row, uint64_t *first_bad, uint64_t *fallbacks,
                    int *st);
int pq_decode_row_avx2(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols,
                       const uint64_t *phi_hi, const uint64_t *phi_lo, void *row,
                       uint64_t *first_bad, uint64_t *fallbacks);
int pq_decode_row_avx512(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols,
                         const uint64_t *phi_hi, const uint64_t *phi_lo, void *row,
                         uint64_t *first_bad, uint64_t *fallbacks);

/* decode.c: pq_decode_rows counting the elements sent to pq_rbe (the test
 * hook pq_debug_decode_fallbacks reports it). */
int pq_decode_rows_counted(const pq_decoder *dec, uint32_t n_cols, uint32_t row0, uint32_t row1,
                           const pq_phi_table *phi, void *out, ptrdiff_t out_row_stride,
                           uint64_t *first_bad, uint64_t *fallbacks);

#endif /* PQ_DECODE_H */
