/*
 * rbe_block.c -- stage 1 of rbe on a block of elements at once, in SIMD
 * lanes where the CPU allows: which code runs, and the block's set-up.
 *
 * The lane code is pq_fast.h compiled with PQ_LANES (pq_w.h): 4 lanes of
 * AVX2 (rbe_block_avx2.c) or 8 of AVX-512 (rbe_block_avx512.c), products
 * from 32 x 32-bit vpmuludq.  The arithmetic is exact, so every lane
 * computes the same F = |g s phi| 2^123, sign and Newton check as the
 * scalar stage 1 of rbe.c (pq_fast_rbe): the block path decides the same
 * elements with the same results, and leaves the same ones (failed rounding
 * test, exact cases, results that do not fit) to the scalar path.  The instruction set
 * is chosen from the CPU on first use (AVX-512, else AVX2, else none: the
 * caller then uses its scalar loop); the test hook pq_debug_set_simd
 * (pq_testing.c) overrides it.  The choice is one int read and written
 * with relaxed atomics: threads that race on the first use each compute
 * and store the same value, so there is no data race and no lock.
 * The lane files need gcc (`#pragma GCC target` around the intrinsics);
 * other compilers, other CPUs and -DPQ_NO_SIMD build the scalar loop only.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_testing.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PQ_NO_SIMD)
#define PQ_HAVE_SIMD 1
#else
#define PQ_HAVE_SIMD 0
#endif

#if PQ_HAVE_SIMD
static int simd_level = -1; /* -1 = not chosen yet; only atomic accesses */

static int cpu_level(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi2")) return 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512cd"))
        return 2;
    return 1;
}
#endif

int pq_block_level(void) {
#if PQ_HAVE_SIMD
    int l = __atomic_load_n(&simd_level, __ATOMIC_RELAXED);
    if (l < 0) {
        l = cpu_level();
        __atomic_store_n(&simd_level, l, __ATOMIC_RELAXED); /* same value from any thread */
    }
    return l;
#else
    return 0;
#endif
}

int pq_block_cpu_level(void) {
#if PQ_HAVE_SIMD
    return cpu_level();
#else
    return 0;
#endif
}

void pq_block_set_level(int level) {
#if PQ_HAVE_SIMD
    __atomic_store_n(&simd_level, level, __ATOMIC_RELAXED);
#else
    (void)level;
#endif
}

/* One input column of a block: read in place for a full block of unit
 * stride, else copied (a stride-0 column, a broadcast scalar, filled with
 * its one value) and padded with pad up to a whole group of 8 lanes. */
#define PQ_INPUT(NAME, TYPE)                                                                  \
    static const TYPE *NAME(TYPE *buf, const TYPE *src, ptrdiff_t s, size_t k0, size_t n,     \
                            TYPE pad) {                                                       \
        size_t npad = (n + 7) / 8 * 8; /* <= PQ_BLOCK, a multiple of 8 */                    \
        if (s == 1 && n == PQ_BLOCK) return src + k0;                                         \
        if (s == 0) {                                                                         \
            for (size_t m = 0; m < npad; m++) buf[m] = src[0];                                \
            return buf;                                                                       \
        }                                                                                     \
        /* signed: a negative stride reads backwards */                                      \
        for (size_t m = 0; m < n; m++) buf[m] = src[(ptrdiff_t)(k0 + m) * s];                 \
        for (size_t m = n; m < npad; m++) buf[m] = pad;                                       \
        return buf;                                                                           \
    }
PQ_INPUT(input_u64, uint64_t)
PQ_INPUT(input_u32, uint32_t)
#undef PQ_INPUT

void pq_block_inputs(pq_block *b, const pq_columns *a, size_t k0, size_t n) {
    b->R = input_u64(b->Rc, a->R, a->s_R, k0, n, 1);
    b->T = input_u64(b->Tc, a->T, a->s_T, k0, n, 1);
    b->i = input_u32(b->ic, a->i, a->s_i, k0, n, 0);
    b->j = input_u32(b->jc, a->j, a->s_j, k0, n, 0);
}

/* elements k0 .. k0 + n - 1 of a strided column: in place when its stride
 * is 1, else copied to buf */
#define PQ_COLUMN(NAME, TYPE)                                                                 \
    static const TYPE *NAME(TYPE *buf, const TYPE *src, ptrdiff_t s, size_t k0, size_t n) {   \
        if (s == 1) return src + k0;                                                          \
        for (size_t m = 0; m < n; m++) buf[m] = src[(ptrdiff_t)(k0 + m) * s];                 \
        return buf;                                                                           \
    }
PQ_COLUMN(column_i32, int32_t)
PQ_COLUMN(column_u64, uint64_t)
#undef PQ_COLUMN

/* opt and E of options q (pq_params_ok(q) assumed) */
static uint64_t opt_word(const pq_params *q) {
    return (uint64_t)(4 - q->log2_c) | ((uint64_t)q->d_r << PQ_OPT_DR_BIT) |
           (((uint64_t)q->rot + 4 * (uint64_t)q->d_theta) << 60); /* mod 2^64 */
}

int pq_block_options(pq_block *b, const pq_columns *a, size_t k0, size_t n) {
    size_t npad = (n + 7) / 8 * 8;
    if (!(a->s_eps | a->s_log2_c | a->s_d_r | a->s_rot | a->s_d_theta)) {
        /* the same options for every element (broadcast scalars): one word */
        pq_params q = pq_columns_params(a, k0);
        int ok = pq_params_ok(&q);
        uint64_t E = ok ? q.eps : 0, o = ok ? opt_word(&q) : 4 | PQ_OPT_BAD;
        for (size_t m = 0; m < npad; m++) {
            b->E[m] = E;
            b->opt[m] = o;
        }
        return !ok;
    }
    int32_t buf[4][PQ_BLOCK];
    const uint64_t *E = column_u64(b->E, a->eps, a->s_eps, k0, n); /* may be b->E itself */
    const int32_t *restrict lc = column_i32(buf[0], a->log2_c, a->s_log2_c, k0, n);
    const int32_t *restrict dr = column_i32(buf[1], a->d_r, a->s_d_r, k0, n);
    const int32_t *restrict rot = column_i32(buf[2], a->rot, a->s_rot, k0, n);
    const int32_t *restrict dth = column_i32(buf[3], a->d_theta, a->s_d_theta, k0, n);
    /* on contiguous copies, in the widest vectors the CPU has */
    uint64_t any_bad;
#if PQ_HAVE_SIMD
    int level = pq_block_level();
    if (level == 2)
        any_bad = pq_block_option_words_avx512(n, E, lc, dr, rot, dth, b->E, b->opt);
    else if (level == 1)
        any_bad = pq_block_option_words_avx2(n, E, lc, dr, rot, dth, b->E, b->opt);
    else
#endif
        any_bad = pq_option_words(n, E, lc, dr, rot, dth, b->E, b->opt);
    for (size_t m = n; m < npad; m++) {
        b->E[m] = 0;
        b->opt[m] = 4;
    }
    return any_bad != 0;
}

void pq_round_plan_init(pq_round_plan *rp, pq_format fmt, int scale, uint64_t err) {
    rp->kind = fmt.kind;
    rp->err = err;
    /* err = 0 (an exact F): any shift of the lanes' range 0..63 */
    rp->maxlz = err ? (uint64_t)(__builtin_clzll(err) - 1) : 63;
    rp->s = fmt.kind == PQ_KIND_INT64 ? scale - fmt.frac : 61; /* int64: 59..127 */
    rp->mask_hi = rp->s < 64 ? 0 : (1ULL << (rp->s - 64)) - 1;
    rp->mask_lo = rp->s < 64 ? (1ULL << rp->s) - 1 : ~0ULL;
    rp->half_hi = rp->s <= 64 ? 0 : 1ULL << (rp->s - 65);
    rp->half_lo = rp->s <= 64 ? 1ULL << (rp->s - 1) : 0;
    /* F's leading bit 127 - lz is 2^(127 - lz - scale): biased exponent
     * bias + 127 - scale - lz, less one for pq_lane_round_float */
    rp->ebias = (uint64_t)((fmt.kind == PQ_KIND_FLOAT64 ? 1023 : 127) + 126 - scale);
}

int pq_block_stage1(pq_block *b, size_t n, const pq_params *p, pq_format fmt) {
#if PQ_HAVE_SIMD
    int level = pq_block_level();
    if (level == 0 || n > PQ_BLOCK) return 0;
    pq_round_plan rp;
    pq_round_plan_init(&rp, fmt, 123, PQ_FAST_ERR_F << pq_fast_err_shift); /* F = |f| 2^123 */
    if (level == 2)
        pq_block_stage1_avx512(b, n, p, &rp);
    else
        pq_block_stage1_avx2(b, n, p, &rp);
    return 1;
#else
    (void)b, (void)n, (void)p, (void)fmt;
    return 0;
#endif
}

int pq_block_seed64(pq_block *b, size_t n, pq_format fmt) {
#if PQ_HAVE_SIMD
    int level = pq_block_level();
    if (level == 0 || n > PQ_BLOCK) return 0;
    pq_round_plan rp;
    pq_round_plan_init(&rp, fmt, 123, PQ_FAST_ERR_F << pq_fast_err_shift); /* F = |f| 2^123 */
    if (level == 2)
        pq_block_seed64_lanes8(b, n, &rp);
    else
        pq_block_seed64_lanes4(b, n, &rp);
    return 1;
#else
    (void)b, (void)n, (void)fmt;
    return 0;
#endif
}

int pq_block_factors(pq_block *b, size_t n, const pq_params *p, pq_format fmt) {
#if PQ_HAVE_SIMD
    int level = pq_block_level();
    if (level == 0 || n > PQ_BLOCK) return 0;
    /* F = P2 2^61 = |f| 2^125, exact: err = 0 */
    pq_round_plan rp;
    pq_round_plan_init(&rp, fmt, 125, 0);
    if (level == 2)
        pq_block_factors_avx512(b, n, p, &rp);
    else
        pq_block_factors_avx2(b, n, p, &rp);
    return 1;
#else
    (void)b, (void)n, (void)p, (void)fmt;
    return 0;
#endif
}

int pq_block_one(pq_block *b, size_t n, int which, pq_format fmt) {
#if PQ_HAVE_SIMD
    int level = pq_block_level();
    if (level == 0 || n > PQ_BLOCK || fmt.kind == PQ_KIND_INT128) return 0;
    /* the scale of the function's word and its bound (the largest, for
     * radial: the lanes take each element's own) */
    static const int scale[3] = {126, 127, 126};
    static const uint64_t err[3] = {PQ_FAST_ERR_G1, PQ_FAST_ERR_S, PQ_FAST_ERR_PHI};
    pq_round_plan rp;
    pq_round_plan_init(&rp, fmt, scale[which], err[which] << pq_fast_err_shift);
    if (level == 2)
        pq_block_one_avx512(b, n, which, &rp);
    else
        pq_block_one_avx2(b, n, which, &rp);
    return 1;
#else
    (void)b, (void)n, (void)which, (void)fmt;
    return 0;
#endif
}
