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

/* The IFMA form of the per-element product (AVX-512 IFMA lanes,
 * decode_ifma.c; docs/spec.md, "Matrix decode", "The IFMA product"):
 * A_l = mA >> c in two 52-bit limbs a1, a0, PHI_l = PHI >> 23 in two
 * limbs from the table words, and
 *   Q = a1 p1 + hi52(a1 p0) + hi52(a0 p1)       (units: 2^-104 of A_l PHI_l)
 * with |V - Q| < errq, V = |f| 2^-scale the exact value.  int64: scale =
 * -(frac + F), so the rounding bit is bit F of Q; floats: F per element
 * from Q's leading bit. */
typedef struct pq_decode_ifma {
    uint64_t a1, a0;  /* A_l = a1 2^52 + a0 */
    uint64_t errq;    /* |V - Q| < errq */
    int64_t scale;    /* |f| = V 2^scale */
    int32_t c;        /* A_l = floor(mA / 2^c) */
    int32_t F;        /* int64: the rounding bit of Q, 20..52 */
} pq_decode_ifma;

/* The IFMA constants of a plan in fast mode: 1, or 0 when its format or
 * range has no IFMA form (int128; an int plan with F < 20; a float plan
 * that could reach a subnormal). */
int pq_decode_ifma_consts(const pq_decode_plan *pl, pq_decode_ifma *k);
/* Q of one element from the table words of PHI, in portable C: the lanes'
 * integer, for the bound's test hook (pq_testing.c). */
u128 pq_decode_ifma_q(const pq_decode_ifma *k, uint64_t phi_hi, uint64_t phi_lo);
/* 1 when the decoder's rows run the IFMA lanes (the CPU has AVX-512 IFMA
 * and CD, the SIMD level is 2, the test switch allows it). */
int pq_decode_ifma_on(void);
/* The test switch: 0 keeps the IFMA lanes off, 1 (default) lets them run
 * where the CPU has them. */
void pq_decode_ifma_allow(int on);
int pq_decode_ifma_cpu(void);
int pq_decode_row_ifma(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols,
                       const uint64_t *phi_hi, const uint64_t *phi_lo, void *row,
                       uint64_t *first_bad, uint64_t *fallbacks);

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

/* 1 when no int64 result of the seed's matrix at frac can overflow (the
 * plan's bound; 0 when it cannot tell): callers may then write into their
 * output directly, nothing needing to be undone. */
int pq_decode_int64_bounded(uint64_t R, uint64_t T, const pq_params *p, int frac);

/* Row i of a phi table in SIMD lanes (pq_phi_table_fill's dispatch). */
void pq_phi_fill_row_avx2(uint64_t *hi, uint64_t *lo, uint32_t n_cols, uint32_t i);
void pq_phi_fill_row_avx512(uint64_t *hi, uint64_t *lo, uint32_t n_cols, uint32_t i);

/* decode.c: pq_decode_rows counting the elements sent to pq_rbe (the test
 * hook pq_debug_decode_fallbacks reports it). */
int pq_decode_rows_counted(const pq_decoder *dec, uint32_t n_cols, uint32_t row0, uint32_t row1,
                           const pq_phi_table *phi, void *out, ptrdiff_t out_row_stride,
                           uint64_t *first_bad, uint64_t *fallbacks);

#endif /* PQ_DECODE_H */
