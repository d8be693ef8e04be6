/*
 * pq_fast.h -- stage 1: 64-bit table kernels for g, s and phi.
 *
 * Every irrational result is first tried here, with integer arithmetic on
 * 64-bit words and 128-bit products only.  Each kernel returns a fixed-point
 * value and a constant absolute error bound; the caller rounds with Ziv's
 * test (pq_round_u128), and when the test fails it goes on to the 128-bit
 * series path (W = 2) and the multi-precision path (rbe.c).  The bounds are
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
 */
#ifndef PQ_FAST_H
#define PQ_FAST_H

#include "pq_internal.h"
#include "pq_tables.h"
#include "pq_w.h"

/* The quadrant reflection and table point of sin(2 pi T / 2^64): v in
 * [0, 2^62] with |s| = sin(pi/2 v/2^62), the nearest table point i in
 * [0, 2^K] and v - i 2^(62-K) as a signed d in [-2^(61-K), 2^(61-K)). */
PQ_INLINE uint64_t pq_sin_point(uint64_t T, uint64_t *negm, int64_t *d) {
    uint64_t q = T >> 62;
    uint64_t u = T & ((1ULL << 62) - 1);
    uint64_t v = sel64(pq_mask(q & 1), (1ULL << 62) - u, u);
    *negm = pq_mask(q >> 1);
    uint64_t i = (v + (1ULL << (61 - PQ_FAST_BITS))) >> (62 - PQ_FAST_BITS);
    *d = (int64_t)(v - (i << (62 - PQ_FAST_BITS)));
    return i;
}

/* The rest of |sin| from table row i, tau = t / 2^62, t2 = smulhi62(t, t),
 * A and B (Estrin's pairs below) and C = c1 |tau| in units of 2^-127.
 * Indexed, not through a row pointer, so that vectorised loops gather. */
#define PQ_C(m) PQ_FAST_POLY[i][m]
PQ_INLINE pq_w pq_sin_tail(uint64_t i, int64_t t, int64_t t2, int64_t A, int64_t B, pq_w C) {
    /* q = c2 + c3 tau + ... + c6 tau^4 in units of 2^-86, Estrin's scheme
     * (three products deep instead of five): A = c2 + c3 tau, B = c4 + c5 tau */
    int64_t t4 = smulhi62(t2, t2);
    int64_t p = A + smulhi62(t2, B) + smulhi62(t4, (int64_t)PQ_C(8));
    /* sin = S + c1 tau + tau^2 q, tau^2 q = t2 q / 2^62 in units of 2^-86,
     * i.e. << 41 in units of 2^-127 */
    int64_t tq = smulhi62(t2, p);
    pq_w S = w_add(w_make(PQ_C(0), PQ_C(1)), w_make((uint64_t)(tq >> 23), (uint64_t)tq << 41));
    uint64_t tneg = pq_mask(t < 0);
    return w_sel(tneg, w_sub(S, C), w_add(S, C));
}

/* |sin(2 pi T / 2^64)| 2^127 for T mod 2^62 != 0; *negm = mask of its sign */
PQ_INLINE pq_w pq_fast_sin_w(uint64_t T, uint64_t *negm) {
    int64_t d;
    uint64_t i = pq_sin_point(T, negm, &d);
    int64_t t = (int64_t)((uint64_t)d << (PQ_FAST_BITS + 1)); /* tau 2^62 */
    int64_t A = (int64_t)PQ_C(4) + smulhi62(t, (int64_t)PQ_C(5));
    int64_t B = (int64_t)PQ_C(6) + smulhi62(t, (int64_t)PQ_C(7));
    /* c1 |t| / 2^73: c1 in units of 2^-138 -> 2^-127, t = tau 2^62 */
    uint64_t at = sel64(pq_mask(t < 0), 0 - (uint64_t)t, (uint64_t)t);
    pq_w C = w_shr(w_add(w_mul(PQ_C(2), at), w_from64(w_mul(PQ_C(3), at).hi)), 9);
    return pq_sin_tail(i, t, smulhi62(t, t), A, B, C);
}

/* floor(a x / 2^sh) for |a| < 2^32, 0 < sh < 64, the result fitting int64:
 * smulhi62 when one factor is short (two partial products, not four) */
PQ_INLINE int64_t smul_short(int64_t a, int64_t x, int sh) {
#if defined(PQ_W_SPLIT) && PQ_W_SPLIT
    uint64_t an = pq_mask(a < 0), aa = sel64(an, 0 - (uint64_t)a, (uint64_t)a);
    pq_w m = w_mul32((uint64_t)x, aa);
    m.hi -= aa & pq_mask(x < 0); /* |a| x in two's complement */
    m = w_sel(an, w_sub(w_make(0, 0), m), m);
    return (int64_t)((m.hi << (64 - sh)) | (m.lo >> sh));
#else
    return (int64_t)(((__int128)a * x) >> sh);
#endif
}

/* phi(H) 2^126 for H mod 2^30 != 0.  The sine is pq_fast_sin_w at
 * T = H 2^32, computed with the same integers: T's low 32 bits are zero,
 * so t = d' 2^44 with |d'| <= 2^18, and the products with t are shorter
 * (t2 = d'^2 2^26 exactly; t c = d' c / 2^18). */
PQ_INLINE pq_w pq_fast_phi_w(uint32_t H) {
    uint64_t negm;
    int64_t d;
    uint64_t i = pq_sin_point((uint64_t)H << 32, &negm, &d);
    int64_t ds = d >> 32; /* d' (exact: d's low 32 bits are zero) */
    int64_t t = (int64_t)((uint64_t)ds << 44);
    uint64_t ad = sel64(pq_mask(ds < 0), 0 - (uint64_t)ds, (uint64_t)ds); /* <= 2^18 */
    int64_t t2 = (int64_t)(((uint64_t)(uint32_t)ad * (uint32_t)ad) << 26);
    int64_t A = (int64_t)PQ_C(4) + smul_short(ds, (int64_t)PQ_C(5), 18);
    int64_t B = (int64_t)PQ_C(6) + smul_short(ds, (int64_t)PQ_C(7), 18);
    pq_w C = w_shr(w_add(w_shl(w_mul32(PQ_C(2), ad), 44),
                         w_from64(w_shl(w_mul32(PQ_C(3), ad), 44).hi)), 9);
    pq_w s = pq_sin_tail(i, t, t2, A, B, C);
    pq_w q = w_mulhi3(s, w_make(PQ_FAST_TW[0], PQ_FAST_TW[1])); /* s/10 in 2^-126 units */
    pq_w one = w_make(1ULL << 62, 0);
    return w_sel(negm, w_sub(one, q), w_add(one, q));
}
#undef PQ_C

/* |g| 2^126 (g' for d_r = 1), its sign mask and the mask of success (clear
 * when the Newton residual check fails).  has_e must be E != 0: a separate
 * argument so that callers with a constant one get the branch removed.
 * Returned by value: a result through a pointer stops gcc vectorising. */
typedef struct pq_fast_g { pq_w G; uint64_t negm, ok; } pq_fast_g;
PQ_INLINE pq_fast_g pq_fast_radial_w(uint64_t R, uint64_t E, int has_e, int log2_c, int d_r) {
    pq_fast_g r;
    pq_w CR = w_shr(w_mul(R, R), 4 - log2_c); /* floor(c r^2 2^124) */
    /* Q = 1 + eps r: Qf = floor(Q 2^126), Q2 = floor(Qf^2 / 2^128) ~ Q^2 2^124 */
    pq_w Qf = w_add(w_make(1ULL << 62, 0), w_shr(w_mul(E, R), 2));
    pq_w Q2 = has_e ? w_mulhi(Qf, Qf) : w_make(1ULL << 60, 0);
    pq_w D = w_add(Q2, CR); /* [2^124, 2^127.6) */
    int sh = (D.hi < (1ULL << 63)) + (D.hi < (1ULL << 62)) + (D.hi < (1ULL << 61)); /* clz, 0..3 */
    pq_w Dn = w_shlv(D, sh); /* D 2^(sh-3) in Q1.127 */
    uint64_t dh = Dn.hi, dl = Dn.lo;

    uint32_t ri = (uint32_t)(dh >> (63 - PQ_FAST_RECIP_BITS)) & ((1u << PQ_FAST_RECIP_BITS) - 1);
    uint64_t y32 = PQ_FAST_RECIP[ri]; /* y 2^63 = y32 2^32, |1 - D y| < 2^-12 */
    /* two steps y += y e, e64 = floor((1 - D y) 2^64); the first with the
     * short y32, so that its products have two partial products, not four */
    pq_w e = w_sub(w_make(1ULL << 62, 0), w_shl(w_mul32(dh, y32), 32)); /* (1 - D y) 2^126 */
    int64_t e64 = (int64_t)((e.hi << 2) | (e.lo >> 62));
    pq_w P0 = w_mul32((uint64_t)e64, y32);
    P0.hi -= y32 & pq_mask(e64 < 0); /* y32 e64 in two's complement */
    uint64_t Y = (y32 << 32) + ((P0.hi << 32) | (P0.lo >> 32)); /* += floor(y e64 / 2^64) */
    e = w_sub(w_make(1ULL << 62, 0), w_mul(dh, Y));
    e64 = (int64_t)((e.hi << 2) | (e.lo >> 62));
    Y += w_mul_us(Y, e64).hi;
    /* Last step: e105 = ceil((1 - D y) 2^105) from the exact 192-bit D y;
     * the stage gives up unless |e105| <= 2^59. */
    pq_w Pq = w_shr(w_add(w_mul(dh, Y), w_from64(w_mul(dl, Y).hi)), 21);
    pq_w e105 = w_sub(w_make(1ULL << 41, 0), Pq);
    pq_w chk = w_add(e105, w_from64(1ULL << 59));
    uint64_t ok = pq_mask(chk.hi == 0 && chk.lo <= (1ULL << 60));
    pq_w P = w_mul_us(Y, (int64_t)e105.lo);
    pq_w Yp = w_add(w_make(Y, 0), w_make((uint64_t)((int64_t)P.hi >> 41), (P.lo >> 41) | (P.hi << 23))); /* y' 2^127 */

    pq_w ph, pl;
    if (d_r == 0) {
        r.negm = 0;
        if (!has_e) {
            /* g 2^126 = R y' / 2^(67 - sh) */
            r.G = w_shrv(w_add(w_mul(R, Yp.hi), w_from64(w_mul(R, Yp.lo).hi)), 3 - sh);
            r.ok = ok;
    return r;
        }
        /* g 2^126 = 2 r Q y' 2^(sh-3) 2^126 = RQ y' / 2^(129 - sh), RQ = floor(r Q 2^126) */
        pq_w RQ = w_add(w_mul(R, Qf.hi), w_from64(w_mul(R, Qf.lo).hi));
        w_mul256(RQ, Yp, &ph, &pl);
        r.G = w_shr256(ph, pl, 129 - sh);
        r.ok = ok;
    return r;
    }
    /* g' 2^126 = 2 N y'^2 2^(2 sh - 6) 2^126 / 2^124 = N Y2 / 2^(129 - 2 sh),
     * N = (Q^2 - c r^2) 2^124, Y2 = floor(y'^2 2^126) */
    uint64_t nm = w_gt(CR, Q2);
    r.negm = nm;
    pq_w N = w_sel(nm, w_sub(CR, Q2), w_sub(Q2, CR));
    w_mul256(N, w_mulhi(Yp, Yp), &ph, &pl);
    r.G = w_shr256(ph, pl, 129 - 2 * sh);
    r.ok = ok;
    return r;
}

/* f = g s phi as |f| 2^123 = mulhi3(mulhi3(G, S), PHI) */
PQ_INLINE pq_w pq_fast_f123_w(pq_w G, pq_w S, pq_w PHI) { return w_mulhi3(w_mulhi3(G, S), PHI); }

#if !(defined(PQ_W_SPLIT) && PQ_W_SPLIT)
/* The scalar interface, on u128 (pq_internal.h). */
PQ_INLINE u128 pq_w_to_u128(pq_w a) { return ((u128)a.hi << 64) | a.lo; }
PQ_INLINE pq_w pq_u128_w(u128 x) { return w_make((uint64_t)(x >> 64), (uint64_t)x); }

PQ_INLINE u128 pq_fast_sin(uint64_t T, int *neg) {
    uint64_t m;
    u128 s = pq_w_to_u128(pq_fast_sin_w(T, &m));
    *neg = (int)(m & 1);
    return s;
}
PQ_INLINE u128 pq_fast_phi(uint32_t H) { return pq_w_to_u128(pq_fast_phi_w(H)); }
PQ_INLINE int pq_fast_radial(uint64_t R, uint64_t E, int log2_c, int d_r, u128 *G, int *neg) {
    pq_fast_g g = pq_fast_radial_w(R, E, E != 0, log2_c, d_r);
    *G = pq_w_to_u128(g.G);
    *neg = (int)(g.negm & 1);
    return g.ok ? PQ_OK : PQ_RETRY;
}
PQ_INLINE u128 pq_mulhi3(u128 a, u128 b) { return pq_w_to_u128(w_mulhi3(pq_u128_w(a), pq_u128_w(b))); }
#endif

#endif /* PQ_FAST_H */
