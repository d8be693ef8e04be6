/*
 * rbe_pipeline.c -- pq_rbe_pipeline: the source's fixed-point model of rbe
 * (poincare_q64.h).
 *
 * g, s and phi are each correctly rounded to Q64 (int128 at frac 64, ties
 * to even) by pq_radial, pq_angular and pq_modulation; then
 * P1 = round(g64 s64 / 2^64) and P2 = round(P1 phi64 / 2^64), ties to even,
 * and P2 / 2^64 is rounded to the output format.  Every step is exact
 * integer arithmetic, so the result is deterministic and there is no
 * rounding test: the three factors' own entry points decide theirs.  Its
 * distance from rbe is at most 3.71 2^-64 before the final rounding
 * (docs/spec.md, "rbe_pipeline deviation bound").
 * Errors: as rbe (PQ_EDOM, PQ_EOVERFLOW, PQ_EUNDECIDED).
 */
#include "pq_internal.h"

static void split128(pq_int128 v, int *neg, u128 *mag) {
    u128 x = ((u128)(limb)v.hi << 64) | v.lo;
    *neg = v.hi < 0;
    *mag = *neg ? (u128)0 - x : x;
}

/* round_half_even(a * b / 2^64) for magnitudes a < 2^67, b < 2^66 */
static u128 mul_round_q64(u128 a, u128 b) {
    limb A[2] = {(limb)a, (limb)(a >> 64)}, B[2] = {(limb)b, (limb)(b >> 64)}, P[4];
    pq_mpn_mul(P, A, 2, B, 2);
    u128 q = pq_u128(P[2], P[1]); /* P[3] == 0: the product is < 2^133 */
    limb low = P[0];
    if (low > (1ULL << 63) || (low == (1ULL << 63) && (q & 1))) q += 1;
    return q;
}

int pq_rbe_pipeline(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                    pq_format fmt, pq_value *out) {
    if (!p || !out || !pq_params_ok(p) || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    pq_format q64 = {PQ_KIND_INT128, 64};
    pq_value g, s, phi;
    int rc;
    if ((rc = pq_radial(R, p, q64, &g)) != PQ_OK) return rc;
    if ((rc = pq_angular(T, p, q64, &s)) != PQ_OK) return rc;
    if ((rc = pq_modulation(i, j, q64, &phi)) != PQ_OK) return rc;
    int ng, ns, nphi;
    u128 mg, ms, mphi;
    split128(g.i128, &ng, &mg);     /* |g64| <= 2^65 */
    split128(s.i128, &ns, &ms);     /* |s64| <= 2^64 */
    split128(phi.i128, &nphi, &mphi); /* phi64 < 1.1 * 2^64 */
    u128 p1 = mul_round_q64(mg, ms);
    u128 p2 = mul_round_q64(p1, mphi);
    limb num[2] = {(limb)p2, (limb)(p2 >> 64)}, den[2] = {0, 1};
    return pq_round_ratio(ng ^ ns, num, 2, den, 2, fmt, out);
}
