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
 * pq_rbe_pipeline_range: the same for arrays, a block of PQ_BLOCK elements
 * at a time in the SIMD lanes (pq_block_factors, with the options read once
 * for the range when they are the same for every element, else per
 * lane): each factor rounded to Q64 there with Ziv's test on its stage-1
 * bound, P1 and P2 formed in three-word integers, and P2 / 2^64 rounded to
 * the output format (int64, float64, float32) with no error bound, ties
 * to even.  An element the lanes leave goes through the scalar code: P2
 * rounded by pipeline_round when the lanes formed it (int128, a result
 * that does not fit, P2 < 8 for floats), else the whole of pq_rbe_pipeline
 * (s or phi exact, the Newton check, a failed test).  The Q64 factors are
 * the correctly rounded ones and the later steps exact either way, so the
 * results are pq_rbe_pipeline's.
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

/* P2 / 2^64 with the sign neg rounded to fmt; P2 < 2^67, so by
 * pq_round_u128 with no error (err = 0: exact, ties to even), or by the
 * general code for the cases that leaves (int frac 64, zero). */
static int pipeline_round(int neg, u128 p2, pq_format fmt, pq_value *out) {
    int rc = pq_round_u128(neg, p2, -64, 0, fmt, out);
    if (rc != PQ_RETRY) return rc;
    limb num[2] = {(limb)p2, (limb)(p2 >> 64)}, den[2] = {0, 1};
    return pq_round_ratio(neg, num, 2, den, 2, fmt, out);
}

/* P1, P2 and the final rounding from the three Q64 magnitudes and the
 * sign of g s */
static int pipeline_finish(int neg, u128 mg, u128 ms, u128 mphi, pq_format fmt, pq_value *out) {
    u128 p1 = mul_round_q64(mg, ms);
    return pipeline_round(neg, mul_round_q64(p1, mphi), fmt, out);
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


/* Elements k0 .. k0 + n - 1 (n <= PQ_BLOCK) with the same options p,
 * valid, or (p = NULL) options per element, as one block: the lanes'
 * results where they decided (x_ok), else P2 rounded here where the lanes
 * formed it (ok: int128, a result that does not fit, small P2), else
 * pq_rbe_pipeline. */
static size_t pipeline_block(const pq_columns *a, size_t k0, size_t n, const pq_params *p,
                             pq_format fmt, void *out, uint8_t *status, pq_block *b) {
    size_t bad = 0;
    int any_bad = 0;
    pq_block_inputs(b, a, k0, n);
    if (!p) any_bad = pq_block_options(b, a, k0, n);
    if (!pq_block_factors(b, n, p, fmt)) { /* no SIMD code: every element below */
        memset(b->ok, 0, sizeof b->ok);
        memset(b->x_ok, 0, sizeof b->x_ok);
    }
    if (pq_block_store_decided(b, n, !any_bad, fmt, out, status, k0)) return 0;
    for (size_t m = 0; m < n; m++) {
        size_t k = k0 + m;
        pq_value v;
        int st;
        if (!p && (b->opt[m] & PQ_OPT_BAD)) {
            st = PQ_EDOM;
        } else if (b->x_ok[m]) {
            pq_store_bits(fmt, out, k, (uint64_t)b->x[m]);
            status[k] = PQ_OK;
            continue;
        } else if (b->ok[m]) {
            st = pipeline_round((int)b->neg[m], pq_u128(b->Fhi[m], b->Flo[m]), fmt, &v);
        } else {
            pq_params pm = p ? *p : pq_block_params(b, m);
            st = pq_rbe_pipeline(b->R[m], b->T[m], b->i[m], b->j[m], &pm, fmt, &v);
        }
        bad += pq_store_result(fmt, out, status, k, st, &v);
    }
    return bad;
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
    /* the usual call has scalar options: read and check them once (element
     * k0's: a caller may hand over columns valid for [k0, k1) only) */
    int same = !(a->s_eps | a->s_log2_c | a->s_d_r | a->s_rot | a->s_d_theta);
    pq_params p0 = pq_columns_params(a, k0);
    int ok0 = pq_params_ok(&p0);
    if ((ok0 || !same) && !pq_force_slow && pq_block_level() > 0) {
        pq_block b;
        for (size_t b0 = k0; b0 < k1; b0 += PQ_BLOCK) {
            size_t n = k1 - b0 < PQ_BLOCK ? k1 - b0 : PQ_BLOCK;
            bad += pipeline_block(a, b0, n, same ? &p0 : NULL, fmt, out, status, &b);
        }
        return bad;
    }
    for (size_t k = k0; k < k1; k++) {
        /* signed: a negative stride reads backwards from the base */
        ptrdiff_t sk = (ptrdiff_t)k;
        pq_params p = same ? p0 : pq_columns_params(a, k);
        pq_value v;
        int st = PQ_EDOM;
        if (same ? ok0 : pq_params_ok(&p))
            st = pq_rbe_pipeline(a->R[sk * a->s_R], a->T[sk * a->s_T], a->i[sk * a->s_i],
                                 a->j[sk * a->s_j], &p, fmt, &v);
        bad += pq_store_result(fmt, out, status, k, st, &v);
    }
    return bad;
}
