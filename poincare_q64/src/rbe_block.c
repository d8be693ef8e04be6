/*
 * rbe_block.c -- stage 1 of rbe on a block of elements at once, in SIMD
 * lanes where the CPU allows.
 *
 * The kernels are pq_fast.h compiled with PQ_W_SPLIT (pq_w.h): 64 x 64-bit
 * products from 32-bit partial products, which gcc and clang vectorise
 * (vpmuludq).  The arithmetic is exact, so every lane computes the same
 * F = |g s phi| 2^123, sign and Newton check as the scalar stage 1 of
 * rbe.c: the block path decides the same elements with the same results,
 * and leaves the same ones (failed rounding test, exact cases, results
 * that do not fit) to the scalar path.  Which instruction set runs is
 * chosen once, from the CPU (AVX-512, AVX2, else none: the caller then
 * uses its scalar loop); pq_debug_set_simd overrides it for tests.
 */
#define PQ_W_SPLIT 1
#include "pq_internal.h"
#include "pq_fast.h"
#include "pq_hash.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(PQ_NO_SIMD)
#define PQ_HAVE_SIMD 1
#else
#define PQ_HAVE_SIMD 0
#endif

#if PQ_HAVE_SIMD
/* The rounding of pq_round.h's ziv_round at bit s of F (59 <= s <= 123),
 * for int64 results, with its constants prepared once per block. */
typedef struct {
    pq_w mask, half;
    int s;
    uint64_t err;
} round_plan;

PQ_INLINE void block_body(pq_block *b, size_t n, uint64_t E, int has_e, int log2_c, int d_r,
                          uint64_t Toff, const round_plan *rp) {
    uint64_t H[PQ_BLOCK];
    const pq_w mask = rp->mask, half = rp->half;
    const int s = rp->s;
    const uint64_t err = rp->err;
    /* in a loop of its own: 32-bit lanes here, 64-bit lanes below */
#pragma omp simd
    for (size_t k = 0; k < n; k++) H[k] = pq_hash(b->i[k], b->j[k]);
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        uint64_t Tp = b->T[k] + Toff, h = H[k], sneg;
        pq_fast_g g = pq_fast_radial_w(b->R[k], E, has_e, log2_c, d_r);
        pq_w S = pq_fast_sin_w(Tp, &sneg);
        pq_w F = pq_fast_f123_w(g.G, S, pq_fast_phi_w((uint32_t)h));
        uint64_t ok = g.ok, gneg = g.negm;
        /* exact s (quarter turns) and phi (H mod 2^30 = 0): the scalar path */
        ok &= pq_mask((Tp << 2) != 0) & pq_mask((h << 34) != 0);
        uint64_t neg = gneg ^ sneg;
        /* Ziv's test at bit s; a tie needs err = 0, so it fails here too */
        pq_w f = w_make(F.hi & mask.hi, F.lo & mask.lo);
        uint64_t gt = w_gt(f, half);
        pq_w d = w_sel(gt, w_sub(f, half), w_sub(half, f));
        uint64_t decided = pq_mask(d.hi != 0 || d.lo > err);
        pq_w x = w_add(w_shr128(F, s), w_from64(gt & 1));
        uint64_t fits = pq_mask(x.hi == 0 && (x.lo < (1ULL << 63) || (neg && x.lo == (1ULL << 63))));
        b->Fhi[k] = F.hi;
        b->Flo[k] = F.lo;
        b->neg[k] = neg & 1;
        b->ok[k] = ok & 1;
        b->x[k] = (int64_t)sel64(neg, 0 - x.lo, x.lo);
        b->x_ok[k] = ok & decided & fits & 1;
    }
}

#define PQ_BLOCK_VARIANTS(name, tgt)                                                      \
    __attribute__((target(tgt))) static void name(pq_block *b, size_t n,                \
                                                     const pq_params *p, uint64_t Toff,      \
                                                     const round_plan *rp) {                 \
        if (p->eps) {                                                                        \
            if (p->d_r) block_body(b, n, p->eps, 1, p->log2_c, 1, Toff, rp);                 \
            else block_body(b, n, p->eps, 1, p->log2_c, 0, Toff, rp);                        \
        } else {                                                                             \
            if (p->d_r) block_body(b, n, 0, 0, p->log2_c, 1, Toff, rp);                      \
            else block_body(b, n, 0, 0, p->log2_c, 0, Toff, rp);                             \
        }                                                                                    \
    }

PQ_BLOCK_VARIANTS(block_avx512, "avx512f,avx512dq,avx512bw,avx512vl,avx2,bmi2,prefer-vector-width=512")
PQ_BLOCK_VARIANTS(block_avx2, "avx2,bmi2")

static int simd_level = -1; /* -1 = not chosen yet */

static int cpu_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2")) return 1;
    return 0;
}
#endif /* PQ_HAVE_SIMD */

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

int pq_debug_set_simd(int level) {
#if PQ_HAVE_SIMD
    int cpu = cpu_level();
    if (level < 0) level = cpu;
    if (level > cpu) return PQ_EDOM;
    __atomic_store_n(&simd_level, level, __ATOMIC_RELAXED);
    return PQ_OK;
#else
    return level <= 0 ? PQ_OK : PQ_EDOM;
#endif
}

int pq_block_stage1(pq_block *b, size_t n, const pq_params *p, int frac) {
#if PQ_HAVE_SIMD
    int level = pq_block_level();
    if (level == 0 || n > PQ_BLOCK) return 0;
    round_plan rp;
    rp.s = 123 - frac; /* 59..123 */
    rp.mask = rp.s < 64 ? w_make(0, (1ULL << rp.s) - 1) : w_make((1ULL << (rp.s - 64)) - 1, ~0ULL);
    rp.half = rp.s <= 64 ? w_make(0, 1ULL << (rp.s - 1)) : w_make(1ULL << (rp.s - 65), 0);
    rp.err = PQ_FAST_ERR_F << pq_fast_err_shift;
    uint64_t Toff = ((uint64_t)p->rot << 60) + ((uint64_t)p->d_theta << 62);
    if (level == 2)
        block_avx512(b, n, p, Toff, &rp);
    else
        block_avx2(b, n, p, Toff, &rp);
    return 1;
#else
    (void)b, (void)n, (void)p, (void)frac;
    return 0;
#endif
}
