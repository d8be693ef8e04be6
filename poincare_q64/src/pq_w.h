/*
 * pq_w.h -- 128-bit words as two 64-bit halves, for the stage-1 kernels.
 *
 * Stage 1 (pq_fast.h) is written once, on pq_w values and the exact
 * operations below, and compiled two ways:
 *  - by default with unsigned __int128 (one mul instruction per 64 x 64
 *    product): the scalar kernels every entry point uses;
 *  - with PQ_W_SPLIT defined as 1 before the first include (rbe_block.c):
 *    64 x 64 products from four 32 x 32 partial products and carries from
 *    comparisons, code that compilers turn into SIMD lanes (AVX2 vpmuludq).
 * Every operation here is exact (products, sums and shifts modulo 2^128 as
 * stated), so both builds compute the same bits for every input: the
 * choice changes the speed, never a result.  tests/test_block.py checks
 * the two against each other.
 *
 * Masks are uint64_t with all bits set (true) or clear (false), so that
 * selections stay branch-free inside vectorised loops.
 */
#ifndef PQ_W_H
#define PQ_W_H

#include <stdint.h>

#if defined(__GNUC__)
/* vectorised loops need every helper inlined, whatever gcc's heuristics say */
#define PQ_INLINE static inline __attribute__((always_inline))
#else
#define PQ_INLINE static inline
#endif

typedef struct pq_w { uint64_t hi, lo; } pq_w;

PQ_INLINE pq_w w_make(uint64_t hi, uint64_t lo) { pq_w r = {hi, lo}; return r; }
PQ_INLINE pq_w w_from64(uint64_t x) { return w_make(0, x); }
PQ_INLINE uint64_t pq_mask(int c) { return 0 - (uint64_t)(c != 0); }
PQ_INLINE uint64_t sel64(uint64_t m, uint64_t a, uint64_t b) { return m ? a : b; }
PQ_INLINE pq_w w_sel(uint64_t m, pq_w a, pq_w b) {
    return w_make(sel64(m, a.hi, b.hi), sel64(m, a.lo, b.lo));
}

#if defined(PQ_W_SPLIT) && PQ_W_SPLIT
/* a * b exactly, from 32-bit partial products */
PQ_INLINE pq_w w_mul(uint64_t a, uint64_t b) {
    /* 32-bit operands, so that the vectoriser sees widening products */
    uint32_t a0 = (uint32_t)a, a1 = (uint32_t)(a >> 32), b0 = (uint32_t)b, b1 = (uint32_t)(b >> 32);
    uint64_t p00 = (uint64_t)a0 * b0, p01 = (uint64_t)a0 * b1, p10 = (uint64_t)a1 * b0,
             p11 = (uint64_t)a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10; /* < 3 * 2^32 */
    return w_make(p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), (mid << 32) | (uint32_t)p00);
}
/* a * b for b < 2^32: two partial products */
PQ_INLINE pq_w w_mul32(uint64_t a, uint64_t b) {
    uint64_t p0 = (uint64_t)(uint32_t)a * (uint32_t)b, p1 = (uint64_t)(uint32_t)(a >> 32) * (uint32_t)b;
    uint64_t mid = (p0 >> 32) + (uint32_t)p1;
    return w_make((p1 >> 32) + (mid >> 32), (mid << 32) | (uint32_t)p0);
}
PQ_INLINE pq_w w_add(pq_w a, pq_w b) {
    uint64_t lo = a.lo + b.lo;
    return w_make(a.hi + b.hi + (lo < a.lo), lo);
}
PQ_INLINE pq_w w_sub(pq_w a, pq_w b) { return w_make(a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo); }
/* floor(a * b / 2^62) for signed a, b with |a b| < 2^125: bits 62..125 of
 * the two's-complement product, whose high word is the unsigned one less
 * b when a < 0 and less a when b < 0 */
PQ_INLINE int64_t smulhi62(int64_t a, int64_t b) {
    pq_w p = w_mul((uint64_t)a, (uint64_t)b);
    uint64_t hi = p.hi - ((uint64_t)b & pq_mask(a < 0)) - ((uint64_t)a & pq_mask(b < 0));
    return (int64_t)((hi << 2) | (p.lo >> 62));
}
/* the two's-complement 128-bit product of unsigned y and signed e */
PQ_INLINE pq_w w_mul_us(uint64_t y, int64_t e) {
    pq_w p = w_mul(y, (uint64_t)e);
    p.hi -= y & pq_mask(e < 0);
    return p;
}
#else
typedef unsigned __int128 pq_w_u128;
PQ_INLINE pq_w_u128 w_join(pq_w a) { return ((pq_w_u128)a.hi << 64) | a.lo; }
PQ_INLINE pq_w w_split(pq_w_u128 x) { return w_make((uint64_t)(x >> 64), (uint64_t)x); }
PQ_INLINE pq_w w_mul(uint64_t a, uint64_t b) { return w_split((pq_w_u128)a * b); }
PQ_INLINE pq_w w_mul32(uint64_t a, uint64_t b) { return w_split((pq_w_u128)a * (uint32_t)b); }
PQ_INLINE pq_w w_add(pq_w a, pq_w b) { return w_split(w_join(a) + w_join(b)); }
PQ_INLINE pq_w w_sub(pq_w a, pq_w b) { return w_split(w_join(a) - w_join(b)); }
/* the same two functions with signed 128-bit products */
PQ_INLINE int64_t smulhi62(int64_t a, int64_t b) { return (int64_t)(((__int128)a * b) >> 62); }
PQ_INLINE pq_w w_mul_us(uint64_t y, int64_t e) { return w_split((pq_w_u128)((__int128)y * e)); }
#endif

/* a >> s and a << s for a constant or uniform 0 < s < 64 */
PQ_INLINE pq_w w_shr(pq_w a, int s) { return w_make(a.hi >> s, (a.lo >> s) | (a.hi << (64 - s))); }
PQ_INLINE pq_w w_shl(pq_w a, int s) { return w_make((a.hi << s) | (a.lo >> (64 - s)), a.lo << s); }
/* the same for 0 <= s < 64 (no shift by 64, which C leaves undefined) */
PQ_INLINE pq_w w_shrv(pq_w a, int s) {
    return w_make(a.hi >> s, (a.lo >> s) | ((a.hi << 1) << (63 - s)));
}
PQ_INLINE pq_w w_shlv(pq_w a, int s) {
    return w_make((a.hi << s) | ((a.lo >> 1) >> (63 - s)), a.lo << s);
}
/* a >> s for 0 < s < 128 */
PQ_INLINE pq_w w_shr128(pq_w a, int s) {
    return s >= 64 ? w_make(0, a.hi >> (s - 64)) : w_shr(a, s);
}
PQ_INLINE uint64_t w_gt(pq_w a, pq_w b) { /* mask a > b, unsigned */
    return pq_mask(a.hi > b.hi || (a.hi == b.hi && a.lo > b.lo));
}

/* floor(a * b / 2^128) from three of the four partial products, without
 * the carries out of the low halves: at most 3 units below the exact floor
 * (the dropped terms sum to less than 3 * 2^128). */
PQ_INLINE pq_w w_mulhi3(pq_w a, pq_w b) {
    pq_w p11 = w_mul(a.hi, b.hi);
    return w_add(w_add(p11, w_from64(w_mul(a.lo, b.hi).hi)), w_from64(w_mul(a.hi, b.lo).hi));
}
/* floor(a * b / 2^128), exact */
PQ_INLINE pq_w w_mulhi(pq_w a, pq_w b) {
    pq_w p00 = w_mul(a.lo, b.lo), p01 = w_mul(a.lo, b.hi), p10 = w_mul(a.hi, b.lo),
         p11 = w_mul(a.hi, b.hi);
    pq_w mid = w_add(w_add(w_from64(p00.hi), w_from64(p01.lo)), w_from64(p10.lo)); /* < 3 2^64 */
    return w_add(w_add(w_add(p11, w_from64(p01.hi)), w_from64(p10.hi)), w_from64(mid.hi));
}
/* the full 256-bit product a * b as (hi, lo) */
PQ_INLINE void w_mul256(pq_w a, pq_w b, pq_w *hi, pq_w *lo) {
    pq_w p00 = w_mul(a.lo, b.lo), p01 = w_mul(a.lo, b.hi), p10 = w_mul(a.hi, b.lo),
         p11 = w_mul(a.hi, b.hi);
    pq_w mid = w_add(w_add(w_from64(p00.hi), w_from64(p01.lo)), w_from64(p10.lo));
    *lo = w_make(mid.lo, p00.lo);
    *hi = w_add(w_add(w_add(p11, w_from64(p01.hi)), w_from64(p10.hi)), w_from64(mid.hi));
}
/* (hi, lo) >> s for 65 <= s < 192, the result known to fit 128 bits */
PQ_INLINE pq_w w_shr256(pq_w hi, pq_w lo, int s) {
    int ge = s >= 128;
    pq_w a = w_shrv(hi, ge ? s - 128 : 0);
    pq_w b = w_shlv(hi, ge ? 0 : 128 - s);
    b.lo |= lo.hi >> (ge ? 1 : s - 64);
    return w_sel(pq_mask(ge), a, b);
}

#endif /* PQ_W_H */
