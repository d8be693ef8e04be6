/*
 * pq_fast.h -- stage 1: 64-bit table kernels for g, s and phi.
 *
 * Every irrational result is first tried here, with integer arithmetic on
 * 64-bit words and 128-bit products only.  Each kernel returns a fixed-point
 * value and a constant absolute error bound; the caller rounds with Ziv's
 * test (pq_round_u128), and when the test fails it goes on to the 128-bit
 * series path (W = 2) and the multi-precision path (ziv.c).  The bounds are
 * derived in docs/spec.md, "Stage 1"; the constants below are those
 * derivations rounded up, and tests/test_slow_path.py checks them against
 * mpmath.  Absolute errors are below 2^-81.5 for f = g s phi, so the test
 * fails for about one input in 2^16.5 at frac 64 (2^18.5 at frac 62): this
 * stage exists for speed, the later ones for the last bits.
 *
 * sin: quadrant reflection as in angular.c gives v in (0, 2^62) and
 * |s| = sin(pi/2 v/2^62).  v = i 2^51 + d with the nearest table point i in
 * [0, 2048] and |d| <= 2^50, so x = b_i + kappa tau with kappa = pi/2 2^-12
 * and tau = d/2^50 in [-1, 1).  The table holds the Taylor coefficients of
 * tau -> sin(b_i + kappa tau): S = sin b_i and c1 to 2^-127 and 2^-138,
 * c2..c6 (below 2^-23.7) as 64-bit words in units of 2^-86.  Then
 * s = S + c1 tau + tau^2 q, where q = c2 + c3 tau + ... + c6 tau^4 runs on
 * 64-bit words (Estrin's scheme) and c1 tau is one 128 x 64 product.
 *
 * g: with Q = 1 + eps r (so r~ = r/Q), g = 2 r Q / D and
 * g' = 2 (Q^2 - c r^2) / D^2 for D = Q^2 + c r^2 (Q = 1 exactly when eps = 0;
 * D within 3 units of its last of 128 bits), 1/D by Newton's
 * iteration from a 2048-entry table (two 64-bit steps, then one step whose
 * residual e = 1 - D y is computed exactly and checked: |e| <= 2^-46 or the
 * stage gives up), then g = 2 r Q y or g' = 2 (Q^2 - c r^2) y^2.
 *
 * Written on lanes (pq_w.h): the scalar build (a lane is a uint64_t) is
 * what every entry point calls through the u128 wrappers at the end; the
 * lane build (PQ_LANES, rbe_block_avx2.c / rbe_block_avx512.c) runs the same
 * integer operations on 4 or 8 elements at once for rbe's array path.
 */
#ifndef PQ_FAST_H
#define PQ_FAST_H

#include "pq_internal.h"
#include "pq_tables.h"
#include "pq_w.h"

/* Table reads.  A row of the sine's table, words 0..7 of PQ_FAST_POLY or
 * PQ_FAST_POLY10 (one 64-byte line) and c6 from PQ_FAST_POLY_C6 or
 * PQ_FAST_POLY10_C6, is read whole for each lane: the scalar build
 * indexes; the lane builds load each lane's line as one vector, transpose
 * them into one vector per word, and gather only c6.  Nine gathers per
 * row took about a fifth of the AVX-512 lanes' time on a Zen 4 core
 * (perf); the loads and the transpose (24 shuffles for 8 lanes, 16 for 4)
 * cost much less, and aligned lines a little less again.  The words are
 * the same either way.  The scalar build keeps the row's address and reads
 * each word where it is used (nine words held at once would spill
 * registers).  pq_row_word(&c, m) is word m of the row (c6 for m = 8). */
#if defined(PQ_LANES)
typedef struct pq_row { pq_u c[9]; } pq_row;
PQ_INLINE pq_u pq_row_word(const pq_row *r, int m) { return r->c[m]; }
#else
typedef struct pq_row { const uint64_t *line, *c6; } pq_row;
PQ_INLINE pq_u pq_row_word(const pq_row *r, int m) { return m < 8 ? r->line[m] : *r->c6; }
#endif
#if defined(PQ_LANES) && PQ_LANES == 8
/* Straight-line, without arrays or loops: compilers that optimise little
 * (the sanitizer builds, -O1) then keep the vectors in registers and
 * compile the many inlined copies fast. */
#define PQ_ROW8(k) _mm512_load_si512((const void *)tab[i[k]])
#define PQ_SHUF(a, b, imm) _mm512_shuffle_i64x2(a, b, imm)
PQ_INLINE pq_row pq_poly_row(const uint64_t (*tab)[8], const uint64_t *c6, pq_u i) {
    __m512i r0 = PQ_ROW8(0), r1 = PQ_ROW8(1), r2 = PQ_ROW8(2), r3 = PQ_ROW8(3);
    __m512i r4 = PQ_ROW8(4), r5 = PQ_ROW8(5), r6 = PQ_ROW8(6), r7 = PQ_ROW8(7);
    /* t: the even (lo) and odd (hi) words of two rows, interleaved */
    __m512i t0 = _mm512_unpacklo_epi64(r0, r1), t1 = _mm512_unpackhi_epi64(r0, r1);
    __m512i t2 = _mm512_unpacklo_epi64(r2, r3), t3 = _mm512_unpackhi_epi64(r2, r3);
    __m512i t4 = _mm512_unpacklo_epi64(r4, r5), t5 = _mm512_unpackhi_epi64(r4, r5);
    __m512i t6 = _mm512_unpacklo_epi64(r6, r7), t7 = _mm512_unpackhi_epi64(r6, r7);
    /* u: 128-bit lanes of four rows; words 0, 4 / 2, 6 / 1, 5 / 3, 7 */
    __m512i u0 = PQ_SHUF(t0, t2, 0x88), u1 = PQ_SHUF(t0, t2, 0xDD);
    __m512i u2 = PQ_SHUF(t1, t3, 0x88), u3 = PQ_SHUF(t1, t3, 0xDD);
    __m512i u4 = PQ_SHUF(t4, t6, 0x88), u5 = PQ_SHUF(t4, t6, 0xDD);
    __m512i u6 = PQ_SHUF(t5, t7, 0x88), u7 = PQ_SHUF(t5, t7, 0xDD);
    pq_row w;
    w.c[0] = (pq_u)PQ_SHUF(u0, u4, 0x88);
    w.c[4] = (pq_u)PQ_SHUF(u0, u4, 0xDD);
    w.c[2] = (pq_u)PQ_SHUF(u1, u5, 0x88);
    w.c[6] = (pq_u)PQ_SHUF(u1, u5, 0xDD);
    w.c[1] = (pq_u)PQ_SHUF(u2, u6, 0x88);
    w.c[5] = (pq_u)PQ_SHUF(u2, u6, 0xDD);
    w.c[3] = (pq_u)PQ_SHUF(u3, u7, 0x88);
    w.c[7] = (pq_u)PQ_SHUF(u3, u7, 0xDD);
    w.c[8] = (pq_u)_mm512_i64gather_epi64((__m512i)i, (const void *)c6, 8);
    return w;
}
#undef PQ_ROW8
#undef PQ_SHUF
#define PQ_RECIP(k) \
    ((pq_u)_mm512_cvtepu32_epi64(_mm512_i64gather_epi32((__m512i)(k), (const void *)PQ_FAST_RECIP, 4)))
#elif defined(PQ_LANES)
/* words 4h .. 4h+3 of the four rows as four vectors (as above, straight-line) */
#define PQ_ROW4(k, h) _mm256_load_si256((const __m256i *)&tab[i[k]][4 * (h)])
#define PQ_HALF_ROWS(w, h)                                                                    \
    do {                                                                                      \
        __m256i r0 = PQ_ROW4(0, h), r1 = PQ_ROW4(1, h), r2 = PQ_ROW4(2, h), r3 = PQ_ROW4(3, h); \
        __m256i t0 = _mm256_unpacklo_epi64(r0, r1), t1 = _mm256_unpackhi_epi64(r0, r1);       \
        __m256i t2 = _mm256_unpacklo_epi64(r2, r3), t3 = _mm256_unpackhi_epi64(r2, r3);       \
        (w).c[4 * (h)] = (pq_u)_mm256_permute2x128_si256(t0, t2, 0x20);                      \
        (w).c[4 * (h) + 2] = (pq_u)_mm256_permute2x128_si256(t0, t2, 0x31);                  \
        (w).c[4 * (h) + 1] = (pq_u)_mm256_permute2x128_si256(t1, t3, 0x20);                  \
        (w).c[4 * (h) + 3] = (pq_u)_mm256_permute2x128_si256(t1, t3, 0x31);                  \
    } while (0)
PQ_INLINE pq_row pq_poly_row(const uint64_t (*tab)[8], const uint64_t *c6, pq_u i) {
    pq_row w;
    PQ_HALF_ROWS(w, 0);
    PQ_HALF_ROWS(w, 1);
    w.c[8] = (pq_u)_mm256_i64gather_epi64((const long long *)c6, (__m256i)i, 8);
    return w;
}
#undef PQ_ROW4
#undef PQ_HALF_ROWS
#define PQ_RECIP(k) \
    ((pq_u)_mm256_cvtepu32_epi64(_mm256_i64gather_epi32((const int *)PQ_FAST_RECIP, (__m256i)(k), 4)))
#else
PQ_INLINE pq_row pq_poly_row(const uint64_t (*tab)[8], const uint64_t *c6, pq_u i) {
    pq_row w = {tab[i], c6 + i};
    return w;
}
#define PQ_RECIP(k) ((uint64_t)PQ_FAST_RECIP[k])
#endif

/* The quadrant reflection and table point of sin(2 pi T / 2^64): v in
 * [0, 2^62] with |s| = sin(pi/2 v/2^62), the nearest table point i in
 * [0, 2^K] and v - i 2^(62-K) as a signed d in [-2^(61-K), 2^(61-K)). */
PQ_INLINE pq_u pq_sin_point(pq_u T, pq_u *negm, pq_s *d) {
    pq_u q = T >> 62;
    pq_u u = T & ((1ULL << 62) - 1);
    pq_u v = sel64(0 - (q & 1), (1ULL << 62) - u, u);
    *negm = 0 - (q >> 1);
    pq_u i = (v + (1ULL << (61 - PQ_FAST_BITS))) >> (62 - PQ_FAST_BITS);
    *d = (pq_s)(v - (i << (62 - PQ_FAST_BITS)));
    return i;
}

/* The rest of |sin| from the table row c, tau = t / 2^62, t2 = smulhi62(t, t),
 * A and B (Estrin's pairs below) and C = c1 |tau| in units of 2^-127.
 * |c5| < 2^22.4 and |c6| < 2^8.5 (make_tables.py asserts |c5|, |c6| < 2^31),
 * so their products are smul_short's, with the same integers. */
PQ_INLINE pq_w pq_sin_tail(const pq_row *c, pq_s t, pq_s t2, pq_s A, pq_s B, pq_w C) {
    /* q = c2 + c3 tau + ... + c6 tau^4 in units of 2^-86, Estrin's scheme
     * (three products deep instead of five): A = c2 + c3 tau, B = c4 + c5 tau */
    pq_s t4 = smulhi62(t2, t2);
    pq_s p = A + smulhi62(t2, B) + smul_short((pq_s)pq_row_word(c, 8), t4, 62);
    /* sin = S + c1 tau + tau^2 q, tau^2 q = t2 q / 2^62 in units of 2^-86,
     * i.e. << 41 in units of 2^-127 */
    pq_s tq = smulhi62(t2, p);
    pq_w S = w_add(w_make(pq_row_word(c, 0), pq_row_word(c, 1)),
                   w_make((pq_u)(tq >> 23), (pq_u)tq << 41));
    pq_u tneg = PQ_NEG(t);
    return w_sel(tneg, w_sub(S, C), w_add(S, C));
}

/* |sin(2 pi T / 2^64)| 2^127 for T mod 2^62 != 0; *negm = mask of its sign */
PQ_INLINE pq_w pq_fast_sin_w(pq_u T, pq_u *negm) {
    pq_s d;
    pq_row c = pq_poly_row(PQ_FAST_POLY, PQ_FAST_POLY_C6, pq_sin_point(T, negm, &d));
    pq_s t = (pq_s)((pq_u)d << (PQ_FAST_BITS + 1)); /* tau 2^62 */
    pq_s A = (pq_s)pq_row_word(&c, 4) + smulhi62(t, (pq_s)pq_row_word(&c, 5));
    pq_s B = (pq_s)pq_row_word(&c, 6) + smul_short((pq_s)pq_row_word(&c, 7), t, 62);
    /* c1 |t| / 2^73: c1 in units of 2^-138 -> 2^-127, t = tau 2^62 */
    pq_u at = sel64(PQ_NEG(t), 0 - (pq_u)t, (pq_u)t);
    pq_w C = w_shr(w_add(w_mul(pq_row_word(&c, 2), at),
                         w_from64(w_mul(pq_row_word(&c, 3), at).hi)), 9);
    return pq_sin_tail(&c, t, smulhi62(t, t), A, B, C);
}

/* phi(H) 2^126 for H mod 2^30 != 0 (H < 2^32 in each lane).  The term
 * sin/10 is the sine of pq_fast_sin_w at T = H 2^32 on the table of sin/10
 * (PQ_FAST_POLY10, every value in units 2^3 times finer, so the same code
 * gives s10 = |sin|/10 2^130), with the products the zeros of T allow: T's
 * low 32 bits are zero, so t = d' 2^44 with |d'| <= 2^18, t2 = d'^2 2^26
 * exactly, and t c = d' c / 2^18.  Then phi 2^126 = 2^126 +- floor(s10/16). */
PQ_INLINE pq_w pq_fast_phi_w(pq_u H) {
    pq_u negm;
    pq_s d;
    pq_row c = pq_poly_row(PQ_FAST_POLY10, PQ_FAST_POLY10_C6, pq_sin_point(H << 32, &negm, &d));
    pq_s ds = d >> 32; /* d' (exact: d's low 32 bits are zero) */
    pq_s t = (pq_s)((pq_u)ds << 44);
    pq_u ad = sel64(PQ_NEG(ds), 0 - (pq_u)ds, (pq_u)ds); /* <= 2^18 */
    pq_s t2 = (pq_s)(w_mul32(ad, ad).lo << 26);
    pq_s A = (pq_s)pq_row_word(&c, 4) + smul_short(ds, (pq_s)pq_row_word(&c, 5), 18);
    pq_s B = (pq_s)pq_row_word(&c, 6) + smul_short(ds, (pq_s)pq_row_word(&c, 7), 18);
    pq_w C = w_shr(w_add(w_shl(w_mul32(pq_row_word(&c, 2), ad), 44),
                         w_from64(w_shl(w_mul32(pq_row_word(&c, 3), ad), 44).hi)), 9);
    pq_w q = w_shr(pq_sin_tail(&c, t, t2, A, B, C), 4); /* s/10 in 2^-126 units */
    pq_w one = w_make(PQ_K(1ULL << 62), PQ_K(0));
    return w_sel(negm, w_sub(one, q), w_add(one, q));
}

/* |sin(2 pi T / 2^64)| 2^127 and its sign mask for T mod 2^62 != 0 with
 * T's low 40 bits zero (a seed word's T' = theta 2^40 + (rot + 4 d_theta)
 * 2^60 mod 2^64): the same words as pq_fast_sin_w, every product short.
 * v and i 2^51 have their low 40 bits zero, so d = d' 2^40 with
 * |d'| <= 2^10 and t = d 2^12 = d' 2^52.  Then, exactly,
 *   t2 = floor(t^2 / 2^62)  = d'^2 2^42,   t4 = floor(t2^2 / 2^62) = d'^4 2^22,
 *   floor(t c / 2^62)       = floor(d' c / 2^10)     (c = c3 in A, c5 in B),
 *   floor(t2 x / 2^62)      = floor(d'^2 x / 2^20)   (x = B, and p for tau^2 q),
 *   floor(c6 t4 / 2^62)     = floor(c6 d'^4 / 2^40),
 *   c1 |t|                  = (c1 |d'|) 2^52,
 * each the same floor of the same rational as pq_fast_sin_w's (and
 * pq_sin_tail's) product, now with one factor below 2^32 (|d'| <= 2^10,
 * d'^2 <= 2^20, |c6| < 2^31): smul_short's and w_mul32's two partial
 * products instead of four. */
PQ_INLINE pq_w pq_fast_sin40_w(pq_u T, pq_u *negm) {
    pq_s d;
    pq_row c = pq_poly_row(PQ_FAST_POLY, PQ_FAST_POLY_C6, pq_sin_point(T, negm, &d));
    pq_s ds = d >> 40; /* d' (exact: d's low 40 bits are zero) */
    pq_u ad = sel64(PQ_NEG(ds), 0 - (pq_u)ds, (pq_u)ds); /* |d'| <= 2^10 */
    pq_u d2 = w_mul32(ad, ad).lo;                          /* d'^2 <= 2^20 */
    pq_u d4 = w_mul32(d2, d2).lo;                          /* d'^4 <= 2^40 */
    pq_s A = (pq_s)pq_row_word(&c, 4) + smul_short(ds, (pq_s)pq_row_word(&c, 5), 10);
    pq_s B = (pq_s)pq_row_word(&c, 6) + smul_short(ds, (pq_s)pq_row_word(&c, 7), 10);
    pq_w C = w_shr(w_add(w_shl(w_mul32(pq_row_word(&c, 2), ad), 52),
                         w_from64(w_shl(w_mul32(pq_row_word(&c, 3), ad), 52).hi)), 9);
    /* pq_sin_tail's steps with the short products */
    pq_s p = A + smul_short((pq_s)d2, B, 20) +
             smul_short((pq_s)pq_row_word(&c, 8), (pq_s)d4, 40);
    pq_s tq = smul_short((pq_s)d2, p, 20);
    pq_w S = w_add(w_make(pq_row_word(&c, 0), pq_row_word(&c, 1)),
                   w_make((pq_u)(tq >> 23), (pq_u)tq << 41));
    return w_sel(PQ_NEG(ds), w_sub(S, C), w_add(S, C)); /* t < 0 exactly when d' < 0 */
}

typedef struct pq_fast_g { pq_w G; pq_u negm, ok; } pq_fast_g;
/* The first part of g, up to the reciprocal's table read: what the Newton
 * steps start from.  A separate step so that a block can read the table
 * for all its elements first and the reads' latency overlaps (5% of the
 * time of the AVX2 lanes). */
typedef struct pq_fast_d { pq_w CR, Qf, Q2; pq_u sh, dh, dl, y32; } pq_fast_d;
/* CR = floor(c r^2 2^124) = floor(R^2 / 2^(4 - log2_c)) and E = eps given
 * per lane: a block whose options differ from element to element.  has_e
 * may be 1 with E = 0 in some lanes: then Qf = 2^126 and Q2 = 2^124
 * exactly (w_sqrhi is the exact floor), the values the has_e = 0 code
 * uses, and g below gives the same integers either way (for d_r = 0,
 * floor(R 2^62 Y' / 2^(129 - sh)) = floor(floor(R Y' / 2^64) / 2^(3 - sh))),
 * so a lane's result never depends on its neighbours' options. */
PQ_INLINE pq_fast_d pq_fast_radial_dv(pq_u R, pq_w CR, pq_u E, int has_e) {
    pq_fast_d d;
    d.CR = CR;
    /* Q = 1 + eps r: Qf = floor(Q 2^126), Q2 = floor(Qf^2 / 2^128) ~ Q^2 2^124 */
    d.Qf = w_add(w_make(PQ_K(1ULL << 62), PQ_K(0)), w_shr(w_mul(E, R), 2));
    d.Q2 = has_e ? w_sqrhi(d.Qf) : w_make(PQ_K(1ULL << 60), PQ_K(0));
    pq_w D = w_add(d.Q2, d.CR); /* [2^124, 2^127.6) */
    /* sh = clz(D.hi), 0..3 */
    d.sh = (PQ_LT(D.hi, 1ULL << 63) & 1) + (PQ_LT(D.hi, 1ULL << 62) & 1) +
           (PQ_LT(D.hi, 1ULL << 61) & 1);
    pq_w Dn = w_shlv(D, d.sh); /* D 2^(sh-3) in Q1.127 */
    d.dh = Dn.hi;
    d.dl = Dn.lo;
    d.y32 = PQ_RECIP((d.dh >> (63 - PQ_FAST_RECIP_BITS)) & ((1u << PQ_FAST_RECIP_BITS) - 1));
    return d;
}
/* the same with the options E, log2_c the same for every lane */
PQ_INLINE pq_fast_d pq_fast_radial_d(pq_u R, uint64_t E, int has_e, int log2_c) {
    return pq_fast_radial_dv(R, w_shr(w_mul(R, R), 4 - log2_c), PQ_K(E), has_e);
}

/* |g| 2^126 (g' for d_r = 1) from pq_fast_radial_d's d (the same R, E,
 * has_e, log2_c): its sign mask and the mask of success (clear when the
 * Newton residual check fails).  has_e is E != 0, or 1 with E = 0 in some
 * lanes (pq_fast_radial_dv); a separate argument so that callers with a
 * constant one get the branch removed.  d_r is 0 or 1 for every lane, or
 * PQ_DR_LANES: then the lanes of the mask drm compute g', the others g. */
#define PQ_DR_LANES 2
PQ_INLINE pq_fast_g pq_fast_radial_g(pq_u R, const pq_fast_d *dp, int has_e, int d_r, pq_u drm) {
    pq_fast_g r;
    pq_w CR = dp->CR, Qf = dp->Qf, Q2 = dp->Q2;
    pq_u sh = dp->sh, dh = dp->dh, dl = dp->dl, y32 = dp->y32;
    /* y 2^63 = y32 2^32, |1 - D y| < 2^-12.  Two steps y += y e with
     * e64 = floor((1 - D y) 2^64); the first with the short y32, so that its
     * products have two partial products, not four */
    pq_w e = w_sub(w_make(PQ_K(1ULL << 62), PQ_K(0)), w_shl(w_mul32(dh, y32), 32));
    pq_s e64 = (pq_s)((e.hi << 2) | (e.lo >> 62));
    pq_w P0 = w_mul32((pq_u)e64, y32);
    P0.hi -= y32 & PQ_NEG(e64); /* y32 e64 in two's complement */
    pq_u Y = (y32 << 32) + ((P0.hi << 32) | (P0.lo >> 32)); /* += floor(y e64 / 2^64) */
    e = w_sub(w_make(PQ_K(1ULL << 62), PQ_K(0)), w_mul(dh, Y));
    e64 = (pq_s)((e.hi << 2) | (e.lo >> 62));
    Y += w_mul_us(Y, e64).hi;
    /* Last step: e105 = ceil((1 - D y) 2^105) from the exact 192-bit D y;
     * the stage gives up unless |e105| <= 2^59. */
    pq_w Pq = w_shr(w_add(w_mul(dh, Y), w_from64(w_mul(dl, Y).hi)), 21);
    pq_w e105 = w_sub(w_make(PQ_K(1ULL << 41), PQ_K(0)), Pq);
    pq_w chk = w_add(e105, w_from64(PQ_K(1ULL << 59)));
    r.ok = PQ_EQ(chk.hi, 0) & PQ_LE(chk.lo, 1ULL << 60);
    pq_w P = w_mul_us(Y, (pq_s)e105.lo);
    /* y' 2^127 = Y 2^64 + floor(Y e105 / 2^41) */
    pq_w Yp = w_add(w_make(Y, PQ_K(0)), w_make((pq_u)((pq_s)P.hi >> 41), (P.lo >> 41) | (P.hi << 23)));

    pq_w ph, pl;
    if (d_r == PQ_DR_LANES) {
        /* both in one product: g = RQ y' / 2^(129 - sh) (d_r = 0, the
         * has_e form, which for E = 0 is RQ = R 2^62 and the same integer)
         * and g' = N Y2 / 2^(129 - 2 sh) (d_r = 1), as below */
        pq_w RQ = has_e ? w_add(w_mul(R, Qf.hi), w_from64(w_mul(R, Qf.lo).hi))
                        : w_make(R >> 2, R << 62);
        r.negm = w_gt(CR, Q2) & drm;
        pq_w N = w_sel(r.negm, w_sub(CR, Q2), w_sub(Q2, CR));
        w_mul256(w_sel(drm, N, RQ), w_sel(drm, w_sqrhi(Yp), Yp), &ph, &pl);
        r.G = w_shr256(ph, pl, (129 - sh) - (sh & drm));
        return r;
    }
    if (d_r == 0) {
        r.negm = PQ_K(0);
        if (!has_e) {
            /* g 2^126 = R y' / 2^(67 - sh) */
            r.G = w_shrv(w_add(w_mul(R, Yp.hi), w_from64(w_mul(R, Yp.lo).hi)), 3 - sh);
            return r;
        }
        /* g 2^126 = 2 r Q y' 2^(sh-3) 2^126 = RQ y' / 2^(129 - sh), RQ = floor(r Q 2^126) */
        pq_w RQ = w_add(w_mul(R, Qf.hi), w_from64(w_mul(R, Qf.lo).hi));
        w_mul256(RQ, Yp, &ph, &pl);
        r.G = w_shr256(ph, pl, 129 - sh);
        return r;
    }
    /* g' 2^126 = 2 N y'^2 2^(2 sh - 6) 2^126 / 2^124 = N Y2 / 2^(129 - 2 sh),
     * N = (Q^2 - c r^2) 2^124, Y2 = floor(y'^2 2^126).  Y2's floor enters
     * with the weight |N| / 2^(129 - 2 sh): at most 2 for eps = 0 but up to
     * 3.96 otherwise (sh = 3 with Q^2 near 2), which PQ_FAST_ERR_G1 covers
     * (docs/spec.md, "g") */
    r.negm = w_gt(CR, Q2);
    pq_w N = w_sel(r.negm, w_sub(CR, Q2), w_sub(Q2, CR));
    w_mul256(N, w_sqrhi(Yp), &ph, &pl);
    r.G = w_shr256(ph, pl, 129 - 2 * sh);
    return r;
}

PQ_INLINE pq_fast_g pq_fast_radial_w(pq_u R, uint64_t E, int has_e, int log2_c, int d_r) {
    pq_fast_d d = pq_fast_radial_d(R, E, has_e, log2_c);
    return pq_fast_radial_g(R, &d, has_e, d_r, PQ_K(0));
}

/* g (d_r = 0) or g' (d_r = 1) at eps = 0 for R = r 2^44, r < 2^20 (a
 * seed word's R), in three forms: d_r = 0 for every lane (PQ_SEED_DR0),
 * d_r = 1 for every lane (PQ_SEED_DR1), or d_r per lane from the mask drm
 * (PQ_SEED_DRV); log2_c per lane as lcs = 4 - log2_c (1..8).  The same
 * words as pq_fast_radial_dv and pq_fast_radial_g at E = 0 (has_e = 0),
 * from shorter products:
 *  - CR = floor(R^2 / 2^(4 - log2_c)) = r^2 2^(84 + log2_c) exactly, and
 *    84 + log2_c >= 80, so CR = (r^2 2^(20 + log2_c)) 2^64 (r^2 < 2^40,
 *    r^2 2^(20 + log2_c) < 2^63) with a zero low word; so have Q2 = 2^124,
 *    D = Q2 + CR and Dn = D 2^sh (dl = 0), and the Newton check's D y is
 *    dh Y alone (w_mul(dl, Y) = 0).
 *  - d_r = 0: g 2^126 = floor(R y' / 2^(67 - sh)) (pq_fast_radial_g's
 *    has_e = 0 form, and its PQ_DR_LANES form, R 2^62 y' / 2^(129 - sh),
 *    at E = 0) with R y' = (r y') 2^44: floor(r y' / 2^(23 - sh)), r y'
 *    from two w_mul32.
 *  - d_r = 1: N = |Q2 - CR| = Nh 2^64 (both low words zero), so
 *    floor(N Y2 / 2^(129 - 2 sh)) = floor(Nh Y2 / 2^(65 - 2 sh)), a
 *    128 x 64 product instead of 128 x 128; Y2 = w_sqrhi(y'),
 *    the exact floor(y'^2 / 2^128) of the word y'.
 *  - d_r per lane: the lane's form as one 192-bit product A B (A = Y2 or
 *    y', B = Nh or R) and shift s (65 - 2 sh or 67 - sh).
 * Both later forms shift A B as (A B) 2^64 through w_shr256 at s + 64
 * (123 .. 131, within its 65 .. 191). */
#define PQ_SEED_DR0 0
#define PQ_SEED_DR1 1
#define PQ_SEED_DRV 2
/* The first part, up to the reciprocal's table read (as pq_fast_radial_dv):
 * crh = CR / 2^64, sh and dh = D 2^sh / 2^64, and y32. */
typedef struct pq_fast_seed_d { pq_u crh, sh, dh, y32; } pq_fast_seed_d;
PQ_INLINE pq_fast_seed_d pq_fast_seed_recip(pq_u R, pq_u lcs) {
    pq_fast_seed_d d;
    pq_u rr = R >> 44;
    d.crh = w_mul32(rr, rr).lo << (24 - lcs);
    pq_u Dh = d.crh + PQ_K(1ULL << 60); /* D / 2^64, below 2^63 + 2^60 */
    d.sh = (PQ_LT(Dh, 1ULL << 63) & 1) + (PQ_LT(Dh, 1ULL << 62) & 1) + (PQ_LT(Dh, 1ULL << 61) & 1);
    d.dh = Dh << d.sh;
    d.y32 = PQ_RECIP((d.dh >> (63 - PQ_FAST_RECIP_BITS)) & ((1u << PQ_FAST_RECIP_BITS) - 1));
    return d;
}
/* the rest, from pq_fast_seed_recip's d for the same R and lcs */
PQ_INLINE pq_fast_g pq_fast_seed_g(pq_u R, const pq_fast_seed_d *dp, pq_u drm, int d_r) {
    pq_fast_g r;
    pq_u rr = R >> 44, crh = dp->crh, sh = dp->sh, dh = dp->dh, y32 = dp->y32;
    /* pq_fast_radial_g's Newton steps with dl = 0 */
    pq_w e = w_sub(w_make(PQ_K(1ULL << 62), PQ_K(0)), w_shl(w_mul32(dh, y32), 32));
    pq_s e64 = (pq_s)((e.hi << 2) | (e.lo >> 62));
    pq_w P0 = w_mul32((pq_u)e64, y32);
    P0.hi -= y32 & PQ_NEG(e64);
    pq_u Y = (y32 << 32) + ((P0.hi << 32) | (P0.lo >> 32));
    e = w_sub(w_make(PQ_K(1ULL << 62), PQ_K(0)), w_mul(dh, Y));
    e64 = (pq_s)((e.hi << 2) | (e.lo >> 62));
    Y += w_mul_us(Y, e64).hi;
    pq_w Pq = w_shr(w_mul(dh, Y), 21);
    pq_w e105 = w_sub(w_make(PQ_K(1ULL << 41), PQ_K(0)), Pq);
    pq_w chk = w_add(e105, w_from64(PQ_K(1ULL << 59)));
    r.ok = PQ_EQ(chk.hi, 0) & PQ_LE(chk.lo, 1ULL << 60);
    pq_w P = w_mul_us(Y, (pq_s)e105.lo);
    pq_w Yp = w_add(w_make(Y, PQ_K(0)), w_make((pq_u)((pq_s)P.hi >> 41), (P.lo >> 41) | (P.hi << 23)));

    if (d_r == PQ_SEED_DR0) {
        /* r y' = X 2^64 + L (X < 2^85), so floor(r y' / 2^(23 - sh)) =
         * X 2^(41 + sh) + floor(L / 2^(23 - sh)), the second term below
         * 2^(41 + sh): an or */
        pq_w lo = w_mul32(Yp.lo, rr);
        pq_w X = w_add(w_mul32(Yp.hi, rr), w_from64(lo.hi));
        r.negm = PQ_K(0);
        r.G = w_shlv(X, 41 + sh);
        r.G.lo |= lo.lo >> (23 - sh);
        return r;
    }
    pq_u big = PQ_GT(crh, 1ULL << 60); /* CR > Q2 (both low words zero) */
    pq_u nh = sel64(big, crh - PQ_K(1ULL << 60), PQ_K(1ULL << 60) - crh);
    pq_w A = w_sqrhi(Yp); /* Y2 = floor(y'^2 2^126) */
    pq_u B = nh, s = 65 - 2 * sh;
    r.negm = big;
    if (d_r == PQ_SEED_DRV) {
        r.negm = big & drm;
        A = w_sel(drm, A, Yp);
        B = sel64(drm, nh, R); /* d_r = 0: floor(R y' / 2^(67 - sh)) */
        s = sel64(drm, s, 67 - sh);
    }
    pq_w lo = w_mul(A.lo, B);
    pq_w top = w_add(w_mul(A.hi, B), w_from64(lo.hi)); /* A B = top 2^64 + lo.lo */
    r.G = w_shr256(top, w_make(lo.lo, PQ_K(0)), s + 64);
    return r;
}

/* f = g s phi as |f| 2^123 = mulhi3(mulhi3(G, S), PHI) */
PQ_INLINE pq_w pq_fast_f123_w(pq_w G, pq_w S, pq_w PHI) { return w_mulhi3(w_mulhi3(G, S), PHI); }

#if !defined(PQ_LANES)
/* The scalar interface, on u128 (pq_internal.h). */
PQ_INLINE u128 pq_w_to_u128(pq_w a) { return ((u128)a.hi << 64) | a.lo; }
PQ_INLINE pq_w pq_u128_w(u128 x) { return w_make((uint64_t)(x >> 64), (uint64_t)x); }

PQ_INLINE u128 pq_fast_sin(uint64_t T, int *neg) {
    uint64_t m;
    u128 s = pq_w_to_u128(pq_fast_sin_w(T, &m));
    *neg = (int)(m & 1);
    return s;
}
PQ_INLINE u128 pq_fast_phi(uint32_t H) { return pq_w_to_u128(pq_fast_phi_w((uint64_t)H)); }
PQ_INLINE int pq_fast_radial(uint64_t R, uint64_t E, int log2_c, int d_r, u128 *G, int *neg) {
    pq_fast_g g = pq_fast_radial_w(R, E, E != 0, log2_c, d_r);
    *G = pq_w_to_u128(g.G);
    *neg = (int)(g.negm & 1);
    return g.ok ? PQ_OK : PQ_RETRY;
}
PQ_INLINE u128 pq_fast_f123(u128 G, u128 S, u128 PHI) {
    return pq_w_to_u128(pq_fast_f123_w(pq_u128_w(G), pq_u128_w(S), pq_u128_w(PHI)));
}
/* rbe's stage 1 for T' = Tp and H with neither s nor phi exact:
 * F = |f| 2^123 = mulhi3(mulhi3(G, S), PHI) within PQ_FAST_ERR_F, and its
 * sign; 0 when the Newton residual check fails (then F is not set).  One
 * definition for rbe.c and the stage-1 test hook (pq_testing.c). */
PQ_INLINE int pq_fast_rbe(uint64_t R, uint64_t Tp, uint32_t H, const pq_params *p, u128 *F,
                          int *neg) {
    u128 G;
    int ng, ns;
    if (pq_fast_radial(R, p->eps, p->log2_c, p->d_r, &G, &ng) != PQ_OK) return 0;
    *F = pq_fast_f123(G, pq_fast_sin(Tp, &ns), pq_fast_phi(H));
    *neg = ng ^ ns;
    return 1;
}
#endif

#endif /* PQ_FAST_H */
