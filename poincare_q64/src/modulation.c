/*
 * modulation.c -- pq_modulation: phi = 1 + sin(2 pi H / 2^32) / 10 with
 * H = spatial_hash(i, j), correctly rounded to the output format
 * (poincare_q64.h).
 *
 * In order (pq_modulation, at the end of this file):
 *  1. exact cases: when H mod 2^30 = 0 the sine is 0 or +-1 and phi is 1,
 *     11/10 or 9/10; rounded exactly.  Everywhere else phi is irrational.
 *  2. stage 1 (pq_fast.h, its own table of sin/10): phi 2^126 within
 *     PQ_FAST_ERR_PHI = 9 2^37 + 1 units (absolute error < 2^-85.8).
 *  3. the rounding test (Ziv's, pq_round.h).
 *  4. the accurate path (ziv.c) on pq_phi_approx below: the sine of
 *     angular.c at W limbs, divided by 10 and added to 1.
 * Errors: PQ_EDOM (bad format or NULL out), PQ_EOVERFLOW, PQ_EUNDECIDED
 * (never seen).  pq_phi_approx also serves rbe.
 */
#include "pq_internal.h"
#include "pq_fast.h"
#include "pq_hash.h"
#include "pq_round.h"
#include "pq_tables.h"
#include "pq_testing.h"

/* phi for H mod 2^30 != 0 at W limbs; the bound below, in units of the
 * last place of the normalised result. */
void pq_phi_approx(uint32_t H, int W, pq_approx *o) {
    pq_approx s;
    pq_sin_turn((uint64_t)H << 32, W, &s);
    /* |s| in Q1.(64W-1): shift right by sh = -(e + 64W - 1) >= 1 */
    int64_t sh = -(s.e + 64 * (int64_t)W - 1);
    limb S[PQ_MPN_MAX], one[PQ_MPN_MAX];
    pq_mpn_shr(S, W, s.m, W, sh);
    if (W == 2) { /* |s|/10 as a product with round(2^128/10): +0.25 unit */
        u128 q = pq_mulhi(pq_u128(S[1], S[0]), pq_u128(PQ_TENTH[0], PQ_TENTH[1]));
        S[0] = (limb)q;
        S[1] = (limb)(q >> 64);
    } else {
        pq_mpn_divrem_1(S, S, W, 10); /* floor(|s| / 10) */
    }
    pq_mpn_zero(one, W);
    one[W - 1] = 1ULL << 63;
    if (s.neg)
        pq_mpn_sub(o->m, one, S, W);
    else
        pq_mpn_add(o->m, one, S, W);
    o->n = W;
    o->neg = 0;
    o->zero = 0;
    o->e = -(64 * (int64_t)W - 1);
    /* |s| truncated: 1 + err_s 2^-sh <= 1 + err_s/2 units; /10 and floor:
     * 1.1 + err_s/20 (1.35 + err_s/20 with the 2^128/10 product)
     * <= 3 + floor(err_s/16).  The normalising shift (phi < 1)
     * doubles it. */
    o->err = 3 + (s.err >> 4);
    pq_approx_normalize(o);
}

static void phi_approx(const void *ctx, int W, pq_approx *out) {
    pq_phi_approx(*(const uint32_t *)ctx, W, out);
}

int pq_modulation(uint32_t i, uint32_t j, pq_format fmt, pq_value *out) {
    if (!out || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    uint32_t H = pq_hash(i, j);
    if ((H << 2) == 0) return pq_round_small_ratio(0, pq_phi_exact_num(H), 10, fmt, out);
    if (!pq_force_slow) {
        /* | phi 2^126 - pq_fast_phi(H) | <= PQ_FAST_ERR_PHI; Ziv's test */
        int rc = pq_round_u128(0, pq_fast_phi(H), -126, PQ_FAST_ERR_PHI << pq_fast_err_shift, fmt,
                               out);
        if (rc != PQ_RETRY) return rc;
    }
    return pq_ziv(phi_approx, &H, fmt, out);
}
