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
 *
 * pq_rbe_pipeline_range: the same for arrays.  A block's three factors
 * come from the SIMD lanes (pq_block_factors, with the options read per
 * lane), each rounded to Q64 there with Ziv's test on its stage-1 bound;
 * an element whose test fails, or that the lanes leave, goes through
 * pq_rbe_pipeline.  The Q64 factors are the correctly rounded ones either
 * way, so the results are pq_rbe_pipeline's.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_round.h"
#include "pq_testing.h"

static void split128(pq_int128 v, int *neg, u128 *mag) {
    u128 x = ((u128)(limb)v.hi << 64) | v.lo;
    *neg = v.hi < 0;
    *mag = *neg ? (u128)0 - x : x;
}

/* round_half_even(a * b / 2^64) for magnitudes a < 2^67, b < 2^66: the
 * product a1 b1 2^128 + (a0 b1 + a1 b0) 2^64 + a0 b0 < 2^133 in 128-bit
 * parts (a1 < 2^3, b1 < 2^2, so no part overflows), its low 64 bits the
 * fraction */
static u128 mul_round_q64(u128 a, u128 b) {
    limb a0 = (limb)a, a1 = (limb)(a >> 64), b0 = (limb)b, b1 = (limb)(b >> 64);
    u128 lo = (u128)a0 * b0;
    u128 q = ((u128)(a1 * b1) << 64) + (u128)a0 * b1 + (u128)a1 * b0 + (lo >> 64);
    limb low = (limb)lo;
    /* without branches: the fraction is a random bit pattern */
    return q + ((low > (1ULL << 63)) | ((low == (1ULL << 63)) & (limb)(q & 1)));
}

/* P1, P2 and the final rounding from the three Q64 magnitudes and the
 * sign of g s; P2 < 2^67, so P2 / 2^64 is rounded by pq_round_u128 with no
 * error (err = 0: exact, ties to even), or by the general code for the
 * cases that leaves (frac 64, a subnormal float, zero). */
static int pipeline_finish(int neg, u128 mg, u128 ms, u128 mphi, pq_format fmt, pq_value *out) {
    u128 p1 = mul_round_q64(mg, ms);
    u128 p2 = mul_round_q64(p1, mphi);
    int rc = pq_round_u128(neg, p2, -64, 0, fmt, out);
    if (rc != PQ_RETRY) return rc;
    limb num[2] = {(limb)p2, (limb)(p2 >> 64)}, den[2] = {0, 1};
    return pq_round_ratio(neg, num, 2, den, 2, fmt, out);
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
    (void)nphi; /* phi > 0 */
    return pipeline_finish(ng ^ ns, mg, ms, mphi, fmt, out);
}


/* Element m of a block whose factors the lanes rounded to Q64 (the
 * correctly rounded values, as pq_radial, pq_angular and pq_modulation
 * give them); PQ_RETRY when the lanes left the element (exact s or phi,
 * Newton check, a rounding test failed). */
static int pipeline_block_elem(const pq_block *b, size_t m, pq_format fmt, pq_value *out) {
    uint64_t fl = b->flags[m];
    if (!(fl & PQ_FACTOR_OK)) return PQ_RETRY;
    int neg = ((fl & PQ_FACTOR_GNEG) != 0) ^ ((fl & PQ_FACTOR_SNEG) != 0);
    return pipeline_finish(neg, pq_u128(b->Ghi[m], b->Glo[m]), pq_u128(b->Shi[m], b->Slo[m]),
                           pq_u128(b->Phi[m], b->Plo[m]), fmt, out);
}

size_t pq_rbe_pipeline_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt,
                             void *out, uint8_t *status) {
    size_t bad = 0;
    if (k1 <= k0) return 0;
    if (!a || !out || !status) return k1 - k0;
    if (pq_format_check(fmt) != PQ_OK) {
        memset(status + k0, PQ_EDOM, k1 - k0);
        return k1 - k0;
    }
    int lanes = !pq_force_slow && pq_block_level() > 0;
    pq_block b;
    for (size_t b0 = k0; b0 < k1; b0 += PQ_BLOCK) {
        size_t n = k1 - b0 < PQ_BLOCK ? k1 - b0 : PQ_BLOCK;
        pq_block_inputs(&b, a, b0, n);
        pq_block_options(&b, a, b0, n);
        int have = lanes && pq_block_factors(&b, n);
        for (size_t m = 0; m < n; m++) {
            pq_value v;
            int st = PQ_EDOM;
            if (!(b.opt[m] & PQ_OPT_BAD)) {
                st = have ? pipeline_block_elem(&b, m, fmt, &v) : PQ_RETRY;
                if (st == PQ_RETRY) {
                    pq_params p = pq_block_params(&b, m);
                    st = pq_rbe_pipeline(b.R[m], b.T[m], b.i[m], b.j[m], &p, fmt, &v);
                }
            }
            bad += pq_store_result(fmt, out, status, b0 + m, st, &v);
        }
    }
    return bad;
}
