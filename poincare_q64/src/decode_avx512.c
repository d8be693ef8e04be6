/* decode_avx512.c -- the matrix decoder's rows in 8 lanes of AVX-512 (decode.c). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PQ_NO_SIMD)
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx512cd,avx2,bmi2")
#define PQ_LANES 8
#define PQ_DECODE_FN pq_decode_row_avx512
#define PQ_PHI_FILL_FN pq_phi_fill_row_avx512
#include "decode_lanes.h"
#else
typedef int pq_decode_avx512_empty; /* an empty translation unit is not ISO C */
#endif
