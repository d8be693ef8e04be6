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


/* floor(a * b / 2^62) for signed a, b with |a b| < 2^125 */
static inline int64_t smulhi62(int64_t a, int64_t b) { return (int64_t)(((__int128)a * b) >> 62); }

/* floor(a * b / 2^128) from three of the four partial products, without the
 * carries out of the low halves: at most 3 units below the exact floor
 * (the dropped terms sum to less than 3 * 2^128). */
static inline u128 pq_mulhi3(u128 a, u128 b) {
    limb a0 = (limb)a, a1 = (limb)(a >> 64), b0 = (limb)b, b1 = (limb)(b >> 64);
    u128 p01 = (u128)a0 * b1, p10 = (u128)a1 * b0;
    return (u128)a1 * b1 + (limb)(p01 >> 64) + (limb)(p10 >> 64);
}

static inline u128 pq_fast_sin(uint64_t T, int *neg) {
    unsigned q = (unsigned)(T >> 62);
    uint64_t u = T & ((1ULL << 62) - 1);
    uint64_t v = (q & 1) ? (1ULL << 62) - u : u;
    *neg = (int)(q >> 1);
    /* nearest table point i in [0, 2^K], -2^(61-K) <= d < 2^(61-K);
     * tau = t / 2^62 in [-1, 1) with t = d 2^(K+1) */
    uint64_t i = (v + (1ULL << (61 - PQ_FAST_BITS))) >> (62 - PQ_FAST_BITS);
    uint64_t d = v - (i << (62 - PQ_FAST_BITS));
    int64_t t = (int64_t)(d << (PQ_FAST_BITS + 1));
    const uint64_t *c = PQ_FAST_POLY[i];

    /* q = c2 + c3 tau + ... + c6 tau^4 in units of 2^-86, Estrin's scheme
     * (three products deep instead of five) */
    int64_t t2 = smulhi62(t, t), t4 = smulhi62(t2, t2);
    int64_t A = (int64_t)c[4] + smulhi62(t, (int64_t)c[5]);
    int64_t B = (int64_t)c[6] + smulhi62(t, (int64_t)c[7]);
    int64_t p = A + smulhi62(t2, B) + smulhi62(t4, (int64_t)c[8]);
    /* sin = S + c1 tau + tau^2 q: c1 |t| / 2^73 (2^-138 -> 2^-127 and t = tau
     * 2^62), and tau^2 q = t2 q / 2^62 in units of 2^-86, i.e. << 41 */
    uint64_t at = t < 0 ? 0 - (uint64_t)t : (uint64_t)t;
    u128 hi = (u128)c[2] * at, lo = (u128)c[3] * at;
    u128 C = (hi + (lo >> 64)) >> 9;
    __int128 Q = (__int128)smulhi62(t2, p) << 41;
    u128 S = pq_u128(c[0], c[1]) + (u128)Q;
    return t < 0 ? S - C : S + C;
}

static inline u128 pq_fast_phi(uint32_t H) {
    int neg;
    u128 s = pq_fast_sin((uint64_t)H << 32, &neg);
    u128 q = pq_mulhi3(s, pq_u128(PQ_FAST_TW[0], PQ_FAST_TW[1])); /* s/10 in 2^-126 units */
    return neg ? ((u128)1 << 126) - q : ((u128)1 << 126) + q;
}

/* (hi, lo) >> s for 64 <= s < 256, the result known to fit 128 bits */
static inline u128 shr256(u128 hi, u128 lo, int s) {
    return s >= 128 ? hi >> (s - 128) : (hi << (128 - s)) | (lo >> s);
}

static inline int pq_fast_radial(uint64_t R, uint64_t E, int log2_c, int d_r, u128 *G, int *neg) {
    u128 CR = ((u128)R * R) >> (4 - log2_c); /* floor(c r^2 2^124) */
    /* Q = 1 + eps r: Qf = floor(Q 2^126), Q2 = floor(Qf^2 / 2^128) ~ Q^2 2^124 */
    u128 Qf = ((u128)1 << 126) + (((u128)E * R) >> 2);
    u128 Q2 = E ? pq_mulhi(Qf, Qf) : (u128)1 << 124;
    u128 D = Q2 + CR;                         /* [2^124, 2^127.6) */
    int sh = __builtin_clzll((uint64_t)(D >> 64)); /* 0..3 */
    u128 Dn = D << sh;                        /* D 2^(sh-3) in Q1.127 */
    uint64_t dh = (uint64_t)(Dn >> 64), dl = (uint64_t)Dn;

    uint64_t Y = (uint64_t)PQ_FAST_RECIP[(dh >> (63 - PQ_FAST_RECIP_BITS)) & ((1u << PQ_FAST_RECIP_BITS) - 1)]
                 << 32; /* y 2^63, |1 - D y| < 2^-12 */
    for (int k = 0; k < 2; k++) {
        __int128 e = (__int128)(((u128)1 << 126) - (u128)dh * Y); /* (1 - D y) 2^126 */
        int64_t e64 = (int64_t)(e >> 62);
        Y += (uint64_t)(int64_t)(((__int128)Y * e64) >> 64);
    }
    /* Last step: e105 = ceil((1 - D y) 2^105) from the exact 192-bit D y. */
    u128 hi = (u128)dh * Y, lo = (u128)dl * Y;
    u128 Pq = (hi + (lo >> 64)) >> 21;
    __int128 e105 = (__int128)(((u128)1 << 105) - Pq);
    if (e105 > ((__int128)1 << 59) || e105 < -((__int128)1 << 59)) return PQ_RETRY;
    u128 Yp = ((u128)Y << 64) + (u128)(((__int128)Y * (int64_t)e105) >> 41); /* y' 2^127 */

    u128 ph, pl;
    if (d_r == 0) {
        *neg = 0;
        if (E == 0) {
            /* g 2^126 = R y' / 2^(67 - sh) */
            ph = (u128)R * (uint64_t)(Yp >> 64);
            pl = (u128)R * (uint64_t)Yp;
            *G = (ph + (pl >> 64)) >> (3 - sh);
            return PQ_OK;
        }
        /* g 2^126 = 2 r Q y' 2^(sh-3) 2^126 = RQ y' / 2^(129 - sh), RQ = floor(r Q 2^126) */
        u128 RQ = (u128)R * (uint64_t)(Qf >> 64) + (((u128)R * (uint64_t)Qf) >> 64);
        pq_mul256(RQ, Yp, &ph, &pl);
        *G = shr256(ph, pl, 129 - sh);
        return PQ_OK;
    }
    /* g' 2^126 = 2 N y'^2 2^(2 sh - 6) 2^126 / 2^124 = N Y2 / 2^(129 - 2 sh),
     * N = (Q^2 - c r^2) 2^124, Y2 = floor(y'^2 2^126) */
    *neg = CR > Q2;
    u128 N = *neg ? CR - Q2 : Q2 - CR;
    pq_mul256(N, pq_mulhi(Yp, Yp), &ph, &pl);
    *G = shr256(ph, pl, 129 - 2 * sh);
    return PQ_OK;
}

#endif /* PQ_FAST_H */
