/* decode_ifma.c -- the matrix decoder's rows in 8 lanes of AVX-512 whose
 * per-element product runs on the 52-bit multiply-adds of AVX-512 IFMA
 * (decode.c dispatches here when the CPU has IFMA and CD). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PQ_NO_SIMD)
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx512ifma,avx512cd,avx2,bmi2")
#define PQ_LANES 8
#define PQ_DECODE_IFMA 1
#define PQ_DECODE_FN pq_decode_row_ifma
#include "decode_lanes.h"
#else
typedef int pq_decode_ifma_empty; /* an empty translation unit is not ISO C */
#endif
