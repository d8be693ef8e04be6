/*
 * angular.c -- pq_angular: s = sin(2 pi T' / 2^64), T' = T + rot/16 turn +
 * d_theta/4 turn, correctly rounded to the output format (poincare_q64.h).
 *
 * In order (pq_angular, at the end of this file):
 *  1. exact cases: at quarter turns (T' mod 2^62 = 0) s is 0 or +-1, and
 *     by Niven's theorem nowhere else rational; rounded exactly.
 *  2. stage 1 (pq_fast.h): |s| 2^127 within PQ_FAST_ERR_S = 9 2^41 units
 *     (absolute error < 2^-82.8), from 64-bit words and tables.
 *  3. the rounding test (Ziv's, pq_round.h): decided unless a rounding
 *     midpoint of the format lies within the error; about one input in
 *     2^17.8 (2 err_S / 2^63) fails it at frac 64.
 *  4. the accurate path (ziv.c): the 128-bit path below (relative error
 *     < 2^-116), then the multi-precision series at 256..2048 bits.
 * s is irrational past step 1, hence never a midpoint: step 4 ends.
 * Errors: PQ_EDOM (bad arguments), PQ_EOVERFLOW, PQ_EUNDECIDED (never seen).
 * The approximations (pq_sin_turn) also serve modulation and rbe.
 *
 * Reduction (exact, integer): quadrant q = T >> 62, u = T mod 2^62 (u != 0).
 * Quadrants 1 and 3 use sin(pi/2 + x) = sin(pi/2 - x), so with
 * v = u (q even) or 2^62 - u (q odd), |s| = S(v) = sin(pi/2 * v / 2^62),
 * v in (0, 2^62), and the sign is q >= 2.  A second reflection keeps the
 * angle in (0, pi/4]:  v <= 2^61: sin mode, w = v;  else cos mode,
 * w = 2^62 - v and S(v) = cos(pi/2 * w / 2^62).
 *
 * 128-bit path (sin_128, W == 2), tried after stage 1 (pq_fast.h): w = k 2^53 + d
 * with table index k in [0, 256],
 * a = pi/4 * k/256, delta = pi/2 * d / 2^62 < pi/4 * 2^-8, then
 *   sin(a+delta) = sin a (1 - c) + cos a (delta - delta t)
 *   cos(a+delta) = cos a (1 - c) - sin a (delta - delta t)
 * with t = 1 - sin(delta)/delta and c = 1 - cos(delta) by short Horner
 * polynomials in Q0.128.  Error bounds (units of 2^-128 before
 * normalisation; derivation in docs/spec.md):
 *   delta 1.002, delta^2 1.01, t 1.21, c 1.52,
 *   sin mode k >= 1: 5.6 -> 6;  cos mode k >= 1: 5.75 -> 6;
 *   sin mode k == 0 (relative form delta (1 - t)): 4.21 mantissa units,
 *   doubled by the normalising shift -> 10;  cos mode k == 0 (1 - c): 2.
 *
 * Multi-precision path (sin_mp, W > 2): Taylor series of sin(x)/x or cos(x) in
 * Q.(64W) fixed point with x <= pi/4; error 3K + 6 units for K terms, see
 * docs/spec.md.  Used when Ziv's test fails on the 128-bit path (about once
 * in 2^50 evaluations) or when forced for testing.
 */
#include "pq_internal.h"
#include "pq_fast.h"
#include "pq_round.h"
#include "pq_tables.h"
#include "pq_testing.h"

#define M62 ((1ULL << 62) - 1)

static inline u128 tbl(const uint64_t v[2]) { return pq_u128(v[0], v[1]); }

static inline u128 horner(const uint64_t (*coef)[2], int nterms, u128 d2) {
    u128 h = tbl(coef[0]);
    for (int m = 1; m < nterms; m++) h = tbl(coef[m]) - pq_mulhi(d2, h);
    return pq_mulhi(d2, h);
}

typedef struct {
    int neg, cosmode;
    unsigned k;
    uint64_t w, d;
} reduced;

static inline reduced reduce(uint64_t T) {
    reduced r;
    unsigned q = (unsigned)(T >> 62);
    uint64_t u = T & M62;
    uint64_t v = (q & 1) ? (1ULL << 62) - u : u;
    r.neg = q >= 2;
    r.cosmode = v > (1ULL << 61);
    r.w = r.cosmode ? (1ULL << 62) - v : v; /* (0, 2^61] */
    r.k = (unsigned)(r.w >> 53);
    r.d = r.w & ((1ULL << 53) - 1);
    return r;
}

static void sin_128(uint64_t T, pq_approx *o) {
    reduced r = reduce(T);
    u128 pi2 = tbl(PQ_PI2_M);
    u128 Y;
    uint64_t err;
    int64_t e;

    /* delta * 2^128 = PI2_M * d / 2^61 (PI2_M = pi/2 * 2^127) */
    u128 plo = (u128)(limb)pi2 * r.d;
    u128 phi_ = (u128)(limb)(pi2 >> 64) * r.d + (plo >> 64);
    u128 delta = (phi_ << 3) | ((limb)plo >> 61); /* product >> 61; < 2^120 */
    u128 d2 = pq_mulhi(delta, delta);
    u128 t = horner(PQ_SIN_T, PQ_SIN_TERMS, d2);
    u128 c = horner(PQ_COS_C, PQ_COS_TERMS, d2);

    if (r.k == 0 && !r.cosmode) {
        /* sin(delta) = delta (1 - t), relative form so tiny angles keep
         * full precision: delta's mantissa from PI2_M * (d normalised). */
        int z = __builtin_clzll(r.d);
        uint64_t dn = r.d << z;
        u128 lo = (u128)(limb)pi2 * dn;
        u128 hi = (u128)(limb)(pi2 >> 64) * dn + (lo >> 64); /* product = hi*2^64 + (limb)lo */
        int sh = (int)(1 - (limb)(hi >> 127));               /* 0 if bit 191 set */
        u128 m = sh ? (hi << 1) | ((limb)lo >> 63) : hi;
        /* delta = product * 2^(-189-z) = m * 2^(64 - sh - 189 - z) */
        u128 S = m - pq_mulhi(m, t);
        e = 64 - sh - 189 - z;
        err = 10;
        if (!(S >> 127)) {
            S <<= 1;
            e -= 1;
        }
        Y = S;
    } else if (r.k == 0) {
        /* cos(delta) = 1 - c; c >= 17 units since w >= 1, so 2^128 - c fits */
        Y = c ? (u128)0 - c : ~(u128)0;
        err = c ? 2 : 3;
        e = -128;
    } else {
        u128 sa = tbl(PQ_SINCOS[r.k][0]), ca = tbl(PQ_SINCOS[r.k][1]);
        if (!r.cosmode) {
            u128 cad = pq_mulhi(ca, delta);
            Y = sa - pq_mulhi(sa, c) + cad - pq_mulhi(cad, t);
        } else {
            u128 sad = pq_mulhi(sa, delta);
            Y = ca - pq_mulhi(ca, c) - sad + pq_mulhi(sad, t);
        }
        int lz = pq_clz128(Y); /* <= 8: Y >= sin(pi/1024) 2^128 */
        Y <<= lz;
        err = 6ULL << lz;
        e = -128 - lz;
    }
    o->n = 2;
    o->neg = r.neg;
    o->zero = 0;
    o->m[0] = (limb)Y;
    o->m[1] = (limb)(Y >> 64);
    o->e = e;
    o->err = err;
}

/* Multi-precision path, W limbs of precision (P = 64W fraction bits). */
static void sin_mp(uint64_t T, int W, pq_approx *o) {
    reduced r = reduce(T);
    const limb *pi2t = PQ_PI2_LIMBS + (PQ_PI2_NLIMBS - (W + 1)); /* pi/2 * 2^(64(W+1)-1), truncated */
    limb prod[PQ_MPN_MAX], X[PQ_MPN_MAX], X2[PQ_MPN_MAX], term[PQ_MPN_MAX], sum[PQ_MPN_MAX];
    limb tmp[PQ_MPN_MAX];
    int64_t P = 64 * (int64_t)W;
    uint64_t w = r.w;

    /* x = pi/2 * w / 2^62 in Q0.P: floor(pi2t * w / 2^125) */
    prod[W + 1] = pq_mpn_mul_1(prod, pi2t, W + 1, w);
    pq_mpn_shr(X, W, prod, W + 2, 125);
    pq_mpn_mul(tmp, X, W, X, W);
    pq_mpn_copy(X2, tmp + W, W); /* floor(X^2 / 2^P) */

    /* series with "1" = 2^P, W+1 limbs */
    pq_mpn_zero(term, W + 1);
    term[W] = 1;
    pq_mpn_copy(sum, term, W + 1);
    int K = 0;
    for (int k = 1;; k++) {
        uint64_t div = r.cosmode ? (uint64_t)(2 * k - 1) * (2 * k) : (uint64_t)(2 * k) * (2 * k + 1);
        pq_mpn_mul(tmp, term, W + 1, X2, W);
        pq_mpn_copy(term, tmp + W, W + 1);
        pq_mpn_divrem_1(term, term, W + 1, div);
        K++;
        if (pq_mpn_normlen(term, W + 1) == 0) break;
        if (k & 1)
            pq_mpn_sub(sum, sum, term, W + 1);
        else
            pq_mpn_add(sum, sum, term, W + 1);
    }
    uint64_t err_s = 3 * (uint64_t)K + 6; /* docs/spec.md: series error */

    o->n = W;
    o->neg = r.neg;
    o->zero = 0;
    if (r.cosmode) {
        if (sum[W]) { /* computed value reached 1: clamp (true value < 1) */
            for (int k = 0; k < W; k++) sum[k] = ~0ULL;
            err_s += 1;
        }
        pq_mpn_copy(o->m, sum, W);
        o->e = -P;
        o->err = err_s;
        return;
    }
    /* sin x = x * (sin x / x); x's mantissa from pi2t * (w normalised) */
    int z = __builtin_clzll(w);
    prod[W + 1] = pq_mpn_mul_1(prod, pi2t, W + 1, w << z);
    int sh = (prod[W + 1] >> 63) ? 0 : 1;
    limb mx[PQ_MPN_MAX];
    pq_mpn_shr(mx, W, prod, W + 2, 128 - sh);
    int64_t ex = 3 - sh - P - z; /* x = mx * 2^ex (+- 2 units) */
    pq_mpn_mul(tmp, mx, W, sum, W + 1);
    pq_mpn_copy(o->m, tmp + W, W); /* floor(mx * S / 2^P) < mx */
    o->e = ex;
    o->err = err_s + 3;
    pq_approx_normalize(o); /* S >= 0.9: shift <= 1 */
}

void pq_sin_turn(uint64_t T, int W, pq_approx *out) {
    if (W == 2)
        sin_128(T, out);
    else
        sin_mp(T, W, out);
}

static void sin_approx(const void *ctx, int W, pq_approx *out) {
    pq_sin_turn(*(const uint64_t *)ctx, W, out);
}

int pq_angular(uint64_t T, const pq_params *p, pq_format fmt, pq_value *out) {
    if (!p || !out || !pq_angle_ok(p) || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    uint64_t Tp = pq_turn_prime(T, p);
    if ((Tp << 2) == 0) { /* quarter turn: s = 0, 1, 0, -1 exactly */
        int s = pq_sin_quarter(Tp);
        return pq_round_small_ratio(s < 0, (uint64_t)(s != 0), 1, fmt, out);
    }
    if (!pq_force_slow) {
        int neg;
        u128 S = pq_fast_sin(Tp, &neg); /* | |s| 2^127 - S | <= PQ_FAST_ERR_S */
        int rc = pq_round_u128(neg, S, -127, PQ_FAST_ERR_S << pq_fast_err_shift, fmt, out);
        if (rc != PQ_RETRY) return rc; /* Ziv's test passed (or overflow) */
    }
    return pq_ziv(sin_approx, &Tp, fmt, out);
}
