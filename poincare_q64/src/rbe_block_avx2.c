/* rbe_block_avx2.c -- stage 1 of rbe, rbe_pipeline's factors, radial, angular
 * and modulation on a block in 4 lanes of AVX2 (see rbe_block.c). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PQ_NO_SIMD)
#pragma GCC target("avx2,bmi2")
#define PQ_LANES 4
#define PQ_BLOCK_FN pq_block_stage1_avx2
#define PQ_FACTORS_FN pq_block_factors_avx2
#define PQ_ONE_FN pq_block_one_avx2
#define PQ_OPTIONS_FN pq_block_option_words_avx2
#include "pq_block_lanes.h"
#else
typedef int pq_block_avx2_empty; /* an empty translation unit is not ISO C */
#endif
