/* rbe_block_avx512.c -- stage 1 of rbe, rbe_pipeline's factors, radial, angular
 * and modulation on a block in 8 lanes of AVX-512 (see rbe_block.c). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PQ_NO_SIMD)
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx512cd,avx2,bmi2")
#define PQ_LANES 8
#define PQ_BLOCK_FN pq_block_stage1_avx512
#define PQ_FACTORS_FN pq_block_factors_avx512
#define PQ_ONE_FN pq_block_one_avx512
#define PQ_OPTIONS_FN pq_block_option_words_avx512
#include "pq_block_lanes.h"
#else
typedef int pq_block_avx512_empty; /* an empty translation unit is not ISO C */
#endif
