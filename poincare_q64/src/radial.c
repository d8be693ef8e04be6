/*
 * radial.c -- pq_radial: g(r~) = 2 r~ / (1 + c r~^2), or its r-derivative,
 * correctly rounded to the output format (poincare_q64.h).
 *
 * In order (pq_radial, at the end of this file):
 *  1. g is rational for every input (below), so there is no irrational
 *     case: an exact division decides every rounding, ties included.
 *  2. stage 1 (pq_fast.h) first, for speed: |g| 2^126 within
 *     PQ_FAST_ERR_G0 = 2^35 + 2^23 units (eps = 0, d_r = 0; absolute error
 *     < 2^-90.9) or PQ_FAST_ERR_G1 = 2^36 + 2^24 (otherwise, < 2^-89.9),
 *     unless the Newton check of its reciprocal fails.
 *  3. the rounding test (Ziv's, pq_round.h): a tie or a near-tie fails it.
 *  4. the exact path: g = num/den rounded from the remainder of one
 *     division (round.c).
 * Errors: PQ_EDOM (bad arguments), PQ_EOVERFLOW (int64 range).
 * pq_radial_ratio and pq_radial_approx also serve rbe.
 *
 * With r = R/2^64, epsilon = E/2^64 and c = 2^k:
 *   r~ = r / (1 + epsilon r) = R 2^64 / D,      D = 2^128 + E R   (< 2^129)
 *   A  = D^2,   B = c (R 2^64)^2 = R^2 2^(128+k)   (integers: k >= -4)
 *   g  = 2 r~ / (1 + c r~^2)            = R D 2^65 / (A + B)
 *   g' = d/dr g(r~(r))
 *      = 2 (1 - c r~^2) / ((1 + c r~^2)^2 (1 + epsilon r)^2)
 *      = (A - B) 2^257 / (A + B)^2       (using 1 + epsilon r = D / 2^128)
 * so g is a ratio of integers of at most 520 bits and is rounded exactly
 * from the remainder of one division: no error bound, ties handled.
 */
#include "pq_internal.h"
#include "pq_fast.h"
#include "pq_round.h"
#include "pq_testing.h"

void pq_radial_ratio(uint64_t R, const pq_params *p, int *neg, limb *num, int *nn, limb *den,
                     int *dn) {
    limb D[3], A[6], B[6], RR[2], RD[4];
    u128 r2 = (u128)R * R;
    RR[0] = (limb)r2;
    RR[1] = (limb)(r2 >> 64);
    /* With eps = 0, D = 2^128 and A, B share the factor 2^124 (k >= -4):
     * dividing it out keeps every number <= 5 limbs on the common path.
     * `z` is that exponent (0 otherwise); the formulas below absorb it. */
    int z = p->eps == 0 ? 124 : 0;
    if (z) {
        pq_mpn_zero(A, 6);
        A[2] = 1ULL << 4; /* 2^256 / 2^124 = 2^132 */
        pq_mpn_shl(B, 6, RR, 2, 128 + p->log2_c - z);
        pq_mpn_zero(D, 3);
        D[0] = 1ULL << 4; /* D / 2^124 */
    } else {
        u128 er = (u128)p->eps * R;
        D[0] = (limb)er;
        D[1] = (limb)(er >> 64);
        D[2] = 1;
        pq_mpn_mul(A, D, 3, D, 3);                /* < 2^258 */
        pq_mpn_shl(B, 6, RR, 2, 128 + p->log2_c); /* < 2^259 */
    }

    *neg = 0;
    if (p->d_r == 0) {
        /* g = R D 2^65 / (A + B); scaling D, A, B by 2^-z leaves it unchanged */
        limb Rl = R;
        pq_mpn_mul(RD, D, 3, &Rl, 1);
        pq_mpn_shl(num, 6, RD, 4, 65);
        *nn = 6;
        pq_mpn_add(den, A, B, 6);
        *dn = 6;
        return;
    }
    /* g' = (A - B) 2^257 / (A + B)^2 = (A' - B') 2^(257 - z) / (A' + B')^2 */
    limb S[6], Dif[6];
    pq_mpn_add(S, A, B, 6); /* < 2^260 */
    if (pq_mpn_cmp(A, B, 6) >= 0) {
        pq_mpn_sub(Dif, A, B, 6);
    } else {
        pq_mpn_sub(Dif, B, A, 6);
        *neg = 1;
    }
    pq_mpn_shl(num, 10, Dif, 6, 257 - z); /* < 2^517 */
    *nn = 10;
    pq_mpn_mul(den, S, 5, S, 5); /* S < 2^260 fits 5 limbs; den < 2^520 */
    *dn = 10;
}

void pq_radial_approx(uint64_t R, const pq_params *p, int W, pq_approx *out) {
    limb num[PQ_RADIAL_LIMBS], den[PQ_RADIAL_LIMBS];
    int nn, dn, neg;
    pq_radial_ratio(R, p, &neg, num, &nn, den, &dn);
    pq_ratio_approx(neg, num, nn, den, dn, W, out);
}

int pq_radial(uint64_t R, const pq_params *p, pq_format fmt, pq_value *out) {
    limb num[PQ_RADIAL_LIMBS], den[PQ_RADIAL_LIMBS];
    int nn, dn, neg;
    if (!p || !out || !pq_radial_ok(p) || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    if (!pq_force_slow) {
        /* | |g| 2^126 - G | <= pq_fast_err_g; a tie or a near-tie fails
         * Ziv's test and is decided exactly below */
        u128 G;
        int rc = pq_fast_radial(R, p->eps, p->log2_c, p->d_r, &G, &neg);
        if (rc == PQ_OK)
            rc = pq_round_u128(neg, G, -126,
                               pq_fast_err_g(p->eps, p->d_r) << pq_fast_err_shift, fmt, out);
        if (rc != PQ_RETRY) return rc;
    }
    pq_radial_ratio(R, p, &neg, num, &nn, den, &dn);
    return pq_round_ratio(neg, num, nn, den, dn, fmt, out);
}
