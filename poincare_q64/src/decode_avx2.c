/* decode_avx2.c -- the matrix decoder's rows in 4 lanes of AVX2 (decode.c). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PQ_NO_SIMD)
#pragma GCC target("avx2,bmi2")
#define PQ_LANES 4
#define PQ_DECODE_FN pq_decode_row_avx2
#define PQ_PHI_FILL_FN pq_phi_fill_row_avx2
#include "decode_lanes.h"
#else
typedef int pq_decode_avx2_empty; /* an empty translation unit is not ISO C */
#endif
