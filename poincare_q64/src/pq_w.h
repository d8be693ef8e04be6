/*
 * pq_w.h -- 128-bit words as two 64-bit halves, for the stage-1 kernels.
 *
 * Stage 1 (pq_fast.h) is written once, on the lane types pq_u / pq_s and
 * pq_w = {hi, lo}, with the exact operations below, and compiled two ways:
 *  - by default a lane is one uint64_t and the products use unsigned
 *    __int128 (one mul instruction per 64 x 64 product): the scalar
 *    kernels every entry point uses;
 *  - with PQ_LANES defined as 4 or 8 (rbe_block_avx2.c, rbe_block_avx512.c,
 *    compiled for AVX2 and AVX-512), a lane is a GCC vector of that many
 *    uint64_t and a 64 x 64 product is assembled from four 32 x 32 -> 64
 *    products (vpmuludq), with comparisons in place of the carry flag.
 * Every operation here is exact (products, sums and shifts modulo 2^128 as
 * stated), so both builds compute the same bits for every input: the
 * choice changes the speed, never a result.  tests/test_block.py checks
 * the builds against each other word for word.
 *
 * The kernels use only what both builds share: + - & | ^ ~, shifts, the
 * comparison macros (PQ_LT etc., giving masks with all bits set or clear)
 * and sel64 / w_sel on masks; no branches on lane values, no casts between
 * element sizes, constants broadcast with PQ_K.
 */
#ifndef PQ_W_H
#define PQ_W_H

#include <stdint.h>

#if defined(__GNUC__) && defined(__OPTIMIZE__)
/* every helper inlined, whatever the compiler's heuristics say: the lane
 * code is one straight-line body.  Only when optimising: at -O0 the
 * compiler shares no stack slots between inlined bodies, so forcing the
 * inlining there gives the block and decoder functions frames of hundreds
 * of KB (one copy of every temporary per expansion), which overflow the
 * small stacks of worker threads; as real functions each frame stays
 * small (docs/spec.md, "Stack use"). */
#define PQ_INLINE static inline __attribute__((always_inline))
#else
#define PQ_INLINE static inline
#endif

#if defined(PQ_LANES)
#include <immintrin.h>
typedef uint64_t pq_u __attribute__((vector_size(8 * PQ_LANES)));
typedef int64_t pq_s __attribute__((vector_size(8 * PQ_LANES)));
#define PQ_K(x) ((pq_u){0} + (uint64_t)(x)) /* every lane = x */
#define PQ_CMP_(a, op, b) ((pq_u)((a) op (b)))
#else
typedef uint64_t pq_u;
typedef int64_t pq_s;
#define PQ_K(x) ((uint64_t)(x))
#define PQ_CMP_(a, op, b) (0 - (uint64_t)((a) op (b)))
#endif
/* comparisons of unsigned lanes (a pq_u; b a pq_u or an unsigned
 * constant, broadcast): masks */
#define PQ_LT(a, b) PQ_CMP_(a, <, b)
#define PQ_LE(a, b) PQ_CMP_(a, <=, b)
#define PQ_GT(a, b) PQ_CMP_(a, >, b)
#define PQ_GE(a, b) PQ_CMP_(a, >=, b)
#define PQ_EQ(a, b) PQ_CMP_(a, ==, b)
#define PQ_NE(a, b) PQ_CMP_(a, !=, b)
/* mask of the lanes whose signed value is negative (AVX2 has no 64-bit
 * arithmetic shift, but a signed compare) */
#if defined(PQ_LANES) && PQ_LANES == 4
#define PQ_NEG(x) ((pq_u)((pq_s)(x) < (pq_s){0}))
#else
#define PQ_NEG(x) ((pq_u)((pq_s)(x) >> 63))
#endif
#define PQ_M32 0xFFFFFFFFULL

typedef struct pq_w { pq_u hi, lo; } pq_w;

PQ_INLINE pq_w w_make(pq_u hi, pq_u lo) { pq_w r = {hi, lo}; return r; }
PQ_INLINE pq_w w_from64(pq_u x) { return w_make(PQ_K(0), x); }
PQ_INLINE pq_u sel64(pq_u m, pq_u a, pq_u b) { return (a & m) | (b & ~m); }
PQ_INLINE pq_w w_sel(pq_u m, pq_w a, pq_w b) {
    return w_make(sel64(m, a.hi, b.hi), sel64(m, a.lo, b.lo));
}

#if defined(PQ_LANES)
/* (a mod 2^32) (b mod 2^32) in every lane: vpmuludq */
PQ_INLINE pq_u pq_mul32x32(pq_u a, pq_u b) {
#if PQ_LANES == 8
    return (pq_u)_mm512_mul_epu32((__m512i)a, (__m512i)b);
#else
    return (pq_u)_mm256_mul_epu32((__m256i)a, (__m256i)b);
#endif
}
/* a * b exactly, from four 32 x 32 products.  The column sums cannot
 * overflow: (2^32 - 1)^2 + 2 (2^32 - 1) = 2^64 - 1. */
PQ_INLINE pq_w w_mul(pq_u a, pq_u b) {
    pq_u a1 = a >> 32, b1 = b >> 32;
    pq_u p00 = pq_mul32x32(a, b), p01 = pq_mul32x32(a, b1), p10 = pq_mul32x32(a1, b),
         p11 = pq_mul32x32(a1, b1);
    pq_u t = p01 + (p00 >> 32);
    pq_u u = p10 + (t & PQ_M32);
    return w_make(p11 + (t >> 32) + (u >> 32), (u << 32) | (p00 & PQ_M32));
}
/* a * b for b < 2^32: two partial products */
PQ_INLINE pq_w w_mul32(pq_u a, pq_u b) {
    pq_u p0 = pq_mul32x32(a, b), p1 = pq_mul32x32(a >> 32, b);
    pq_u t = p1 + (p0 >> 32);
    return w_make(t >> 32, (t << 32) | (p0 & PQ_M32));
}
PQ_INLINE pq_w w_add(pq_w a, pq_w b) {
    pq_u lo = a.lo + b.lo;
    return w_make(a.hi + b.hi - PQ_LT(lo, a.lo), lo); /* the mask is -1: carry 1 */
}
PQ_INLINE pq_w w_sub(pq_w a, pq_w b) {
    return w_make(a.hi - b.hi + PQ_LT(a.lo, b.lo), a.lo - b.lo);
}
/* floor(a * b / 2^62) for signed a, b with |a b| < 2^125: bits 62..125 of
 * the two's-complement product, whose high word is the unsigned one less
 * b when a < 0 and less a when b < 0 */
PQ_INLINE pq_s smulhi62(pq_s a, pq_s b) {
    pq_w p = w_mul((pq_u)a, (pq_u)b);
    pq_u hi = p.hi - ((pq_u)b & PQ_NEG(a)) - ((pq_u)a & PQ_NEG(b));
    return (pq_s)((hi << 2) | (p.lo >> 62));
}
/* the two's-complement 128-bit product of unsigned y and signed e */
PQ_INLINE pq_w w_mul_us(pq_u y, pq_s e) {
    pq_w p = w_mul(y, (pq_u)e);
    p.hi -= y & PQ_NEG(e);
    return p;
}
/* floor(a x / 2^sh) for |a| < 2^32, 0 < sh < 64, the result fitting int64 */
PQ_INLINE pq_s smul_short(pq_s a, pq_s x, int sh) {
    pq_u an = PQ_NEG(a), aa = sel64(an, 0 - (pq_u)a, (pq_u)a);
    pq_w m = w_mul32((pq_u)x, aa);
    m.hi -= aa & PQ_NEG(x); /* |a| x in two's complement */
    m = w_sel(an, w_make(0 - m.hi + PQ_NE(m.lo, 0), 0 - m.lo), m); /* negate: -m = ~m + 1 */
    return (pq_s)((m.hi << (64 - sh)) | (m.lo >> sh));
}
#else
typedef unsigned __int128 pq_w_u128;
PQ_INLINE pq_w_u128 w_join(pq_w a) { return ((pq_w_u128)a.hi << 64) | a.lo; }
PQ_INLINE pq_w w_split(pq_w_u128 x) { return w_make((uint64_t)(x >> 64), (uint64_t)x); }
PQ_INLINE pq_w w_mul(pq_u a, pq_u b) { return w_split((pq_w_u128)a * b); }
PQ_INLINE pq_w w_mul32(pq_u a, pq_u b) { return w_split((pq_w_u128)a * (uint32_t)b); }
PQ_INLINE pq_w w_add(pq_w a, pq_w b) { return w_split(w_join(a) + w_join(b)); }
PQ_INLINE pq_w w_sub(pq_w a, pq_w b) { return w_split(w_join(a) - w_join(b)); }
/* the same functions with signed 128-bit products */
PQ_INLINE pq_s smulhi62(pq_s a, pq_s b) { return (int64_t)(((__int128)a * b) >> 62); }
PQ_INLINE pq_w w_mul_us(pq_u y, pq_s e) { return w_split((pq_w_u128)((__int128)y * e)); }
PQ_INLINE pq_s smul_short(pq_s a, pq_s x, int sh) { return (int64_t)(((__int128)a * x) >> sh); }
#endif

/* a >> s and a << s for a constant or uniform 0 < s < 64 */
PQ_INLINE pq_w w_shr(pq_w a, int s) { return w_make(a.hi >> s, (a.lo >> s) | (a.hi << (64 - s))); }
PQ_INLINE pq_w w_shl(pq_w a, int s) { return w_make((a.hi << s) | (a.lo >> (64 - s)), a.lo << s); }
/* the same for 0 <= s < 64 in each lane (no shift by 64, which C leaves
 * undefined) */
PQ_INLINE pq_w w_shrv(pq_w a, pq_u s) {
    return w_make(a.hi >> s, (a.lo >> s) | ((a.hi << 1) << (63 - s)));
}
PQ_INLINE pq_w w_shlv(pq_w a, pq_u s) {
    return w_make((a.hi << s) | ((a.lo >> 1) >> (63 - s)), a.lo << s);
}
/* a >> s for a uniform 0 < s < 128 */
PQ_INLINE pq_w w_shr128(pq_w a, int s) {
    return s >= 64 ? w_make(PQ_K(0), a.hi >> (s - 64)) : w_shr(a, s);
}
PQ_INLINE pq_u w_gt(pq_w a, pq_w b) { /* mask a > b, unsigned */
    return PQ_GT(a.hi, b.hi) | (PQ_EQ(a.hi, b.hi) & PQ_GT(a.lo, b.lo));
}
/* a * b / 2^128 from three of the four partial products, without the
 * carries out of the low halves: a1 b1 + floor(a0 b1 / 2^64) +
 * floor(a1 b0 / 2^64).  The dropped terms (a0 b1 mod 2^64) 2^64,
 * (a1 b0 mod 2^64) 2^64 and a0 b0 are each below 2^128, so
 * 0 <= a b / 2^128 - w_mulhi3(a, b) < 3 (0, 1 or 2 units below the floor);
 * a = b = 2^65 - 1 comes within 2^-62 of 3.  The stage-1 bounds
 * (docs/spec.md, "f = g s phi") charge 3 units against the real product. */
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
/* floor(a^2 / 2^128), exact: w_mulhi(a, a) with its two equal cross
 * products a.lo a.hi computed once (the same sums, the same integer) */
PQ_INLINE pq_w w_sqrhi(pq_w a) {
    pq_w p00 = w_mul(a.lo, a.lo), p01 = w_mul(a.lo, a.hi), p11 = w_mul(a.hi, a.hi);
    pq_w mid = w_add(w_add(w_from64(p00.hi), w_from64(p01.lo)), w_from64(p01.lo)); /* < 3 2^64 */
    return w_add(w_add(w_add(p11, w_from64(p01.hi)), w_from64(p01.hi)), w_from64(mid.hi));
}
/* the full 256-bit product a * b as (hi, lo) */
PQ_INLINE void w_mul256(pq_w a, pq_w b, pq_w *hi, pq_w *lo) {
    pq_w p00 = w_mul(a.lo, b.lo), p01 = w_mul(a.lo, b.hi), p10 = w_mul(a.hi, b.lo),
         p11 = w_mul(a.hi, b.hi);
    pq_w mid = w_add(w_add(w_from64(p00.hi), w_from64(p01.lo)), w_from64(p10.lo));
    *lo = w_make(mid.lo, p00.lo);
    *hi = w_add(w_add(w_add(p11, w_from64(p01.hi)), w_from64(p10.hi)), w_from64(mid.hi));
}
/* (hi, lo) >> s for 65 <= s < 192 in each lane, the result known to fit
 * 128 bits */
PQ_INLINE pq_w w_shr256(pq_w hi, pq_w lo, pq_u s) {
    pq_u ge = PQ_GE(s, 128);
    pq_w a = w_shrv(hi, sel64(ge, s - 128, PQ_K(0)));
    pq_w b = w_shlv(hi, sel64(ge, PQ_K(0), 128 - s));
    b.lo |= lo.hi >> sel64(ge, PQ_K(1), s - 64);
    return w_sel(ge, a, b);
}

#endif /* PQ_W_H */
