/*
 * rbe.c -- pq_rbe: f = g(r~) sin(theta) phi(i, j), rounded once from the
 * exact product to the output format; pq_rbe_range: the same for arrays
 * (poincare_q64.h).
 *
 * pq_rbe (rbe_core), in order:
 *  1. exact cases (docs/spec.md, "Exact and tie cases"): g is always
 *     rational, s only at quarter turns (Niven), phi only when
 *     H mod 2^30 = 0, so f is rational only when s = 0 (f = 0) or when both
 *     s and phi are: then f = +-g phi_num / 10, rounded exactly from one
 *     ratio of integers (ties to even).
 *  2. stage 1 (pq_fast.h), when neither s nor phi is exact:
 *     F = |f| 2^123 within PQ_FAST_ERR_F = 3 2^40 units (absolute error
 *     < 2^-81.4), unless the Newton check of g's reciprocal fails.
 *  3. the rounding test (Ziv's) at F's bit 123 - frac, or at the float
 *     format's last bit; about one input in 2^16.4 fails it at frac 64.
 *  4. the accurate path (ziv.c) on rbe_approx: g as its exact ratio to W
 *     limbs (err <= 1), times s and phi with the bounds combined (128-bit
 *     path: < 2^13 units, relative error < 2^-114), then 256..2048 bits.
 *     f is irrational here, so never a midpoint, and the loop ends.
 * Errors: PQ_EDOM (bad arguments), PQ_EOVERFLOW (the result does not fit
 * the format), PQ_EUNDECIDED (never observed).
 *
 * pq_rbe_range: a range goes to stage 1 a block of PQ_BLOCK elements at a
 * time, in SIMD lanes (rbe_block.c), with the options read once for the
 * range when they are the same for every element (the usual call), else
 * per element; every element a block leaves undecided goes through
 * rbe_core.  The lanes compute the same integers as the scalar stage 1, so
 * each result is pq_rbe's, whatever the path and however a range is split
 * across threads.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_fast.h"
#include "pq_hash.h"
#include "pq_round.h"
#include "pq_testing.h"

/* s = +-1 as a pq_approx: exactly 2^(64W-1) 2^-(64W-1) */
static void exact_unit(int neg, int W, pq_approx *a) {
    pq_mpn_zero(a->m, W);
    a->m[W - 1] = 1ULL << 63;
    a->n = W;
    a->e = -(64 * (int64_t)W - 1);
    a->neg = neg;
    a->zero = 0;
    a->err = 0;
}

typedef struct {
    uint64_t R, Tp;
    uint32_t H;
    const pq_params *p;
    int s_exact, phi_exact;
} rbe_ctx;

/* f at W limbs: g (err <= 1) times s times phi, either factor exact when
 * it is rational; pq_approx_mul combines the bounds (docs/spec.md,
 * "Products"). */
static void rbe_approx(const void *vctx, int W, pq_approx *f) {
    const rbe_ctx *c = vctx;
    pq_approx s, phi;
    pq_radial_approx(c->R, c->p, W, f);
    if (c->s_exact)
        exact_unit(pq_sin_quarter(c->Tp) < 0, W, &s);
    else
        pq_sin_turn(c->Tp, W, &s);
    if (c->phi_exact) {
        limb n = pq_phi_exact_num(c->H), d = 10;
        pq_ratio_approx(0, &n, 1, &d, 1, W, &phi);
    } else {
        pq_phi_approx(c->H, W, &phi);
    }
    pq_approx_mul(f, &s);
    pq_approx_mul(f, &phi);
}

/* Stage 1's final rounding for one output format, prepared once per call
 * of pq_rbe_range: f 2^123 is rounded to frac n at bit s = 123 - n. */
typedef struct {
    int fixed, s;
    u128 half;
} f123_plan;

static inline f123_plan plan_f123(pq_format fmt) {
    f123_plan rp = {fmt.kind == PQ_KIND_INT64 || fmt.kind == PQ_KIND_INT128, 0, 0};
    if (rp.fixed) {
        rp.s = 123 - fmt.frac; /* 59..123 */
        rp.half = (u128)1 << (rp.s - 1);
    }
    return rp;
}

static inline int round_f123(int neg, u128 F, uint64_t err, const f123_plan *rp, pq_format fmt,
                             pq_value *out) {
    u128 x;
    if (!rp->fixed) {
        /* constant kinds, so that the inlined rounding specialises */
        const pq_format f64 = {PQ_KIND_FLOAT64, 0}, f32 = {PQ_KIND_FLOAT32, 0};
        return pq_round_u128(neg, F, -123, err, fmt.kind == PQ_KIND_FLOAT64 ? f64 : f32, out);
    }
    if (!ziv_round(F, rp->s, rp->half, err, &x)) return PQ_RETRY;
    return emit_fixed128(neg, x, fmt, out);
}

/* rbe for validated arguments. */
static inline int rbe_core(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                           const f123_plan *rp, pq_format fmt, pq_value *out) {
    rbe_ctx c = {R, pq_turn_prime(T, p), pq_hash(i, j), p, 0, 0};
    c.s_exact = (c.Tp << 2) == 0;
    c.phi_exact = (c.H << 2) == 0;
    /* exact cases: s = 0 gives f = 0; s = +-1 with phi exact a ratio */
    if (c.s_exact && pq_sin_quarter(c.Tp) == 0) return pq_round_small_ratio(0, 0, 1, fmt, out);
    if (c.s_exact && c.phi_exact) {
        /* f = +-g * phi, rational: (num * phi_num) / (den * 10) */
        limb num[PQ_RADIAL_LIMBS + 1], den[PQ_RADIAL_LIMBS + 1];
        int nn, dn, neg;
        pq_radial_ratio(R, p, &neg, num, &nn, den, &dn);
        num[nn] = pq_mpn_mul_1(num, num, nn, pq_phi_exact_num(c.H));
        den[dn] = pq_mpn_mul_1(den, den, dn, 10);
        neg ^= pq_sin_quarter(c.Tp) < 0;
        return pq_round_ratio(neg, num, nn + 1, den, dn + 1, fmt, out);
    }
    if (!c.s_exact && !c.phi_exact && !pq_force_slow) {
        u128 F;
        int neg;
        if (pq_fast_rbe(R, c.Tp, c.H, p, &F, &neg)) { /* | |f| 2^123 - F | <= PQ_FAST_ERR_F */
            int rc = round_f123(neg, F, PQ_FAST_ERR_F << pq_fast_err_shift, rp, fmt, out);
            if (rc != PQ_RETRY) return rc; /* Ziv's test passed (or overflow) */
        }
    }
    /* stage 1 undecided, or one of s and phi exact: f is then irrational
     * unless g = 0, which pq_radial_approx carries as an exact zero */
    return pq_ziv(rbe_approx, &c, fmt, out);
}

int pq_rbe(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p, pq_format fmt,
           pq_value *out) {
    if (!p || !out || !pq_params_ok(p) || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    f123_plan rp = plan_f123(fmt);
    return rbe_core(R, T, i, j, p, &rp, fmt, out);
}

/* ---- pq_rbe_range ------------------------------------------------------- */
/* Elements k0 <= k < k0 + n (n <= PQ_BLOCK) with the same options p, valid,
 * or (p = NULL) options per element: stage 1 and its rounding for the
 * whole block at once (the rounding of int128 results per element here),
 * then rbe_core for every element the block did not decide. */
static size_t rbe_block(const pq_columns *a, size_t k0, size_t n, const pq_params *p,
                        const f123_plan *rp, pq_format fmt, void *out, uint8_t *status,
                        pq_block *b) {
    size_t bad = 0;
    int any_bad = 0;
    pq_block_inputs(b, a, k0, n);
    if (!p) any_bad = pq_block_options(b, a, k0, n);
    pq_block_stage1(b, n, p, fmt);
    if (pq_block_store_decided(b, n, fmt.kind != PQ_KIND_INT128 && !any_bad, fmt, out, status,
                               k0))
        return 0;
    for (size_t m = 0; m < n; m++) {
        size_t k = k0 + m;
        pq_value v;
        int st = PQ_RETRY;
        pq_params pm;
        if (!p) {
            if (b->opt[m] & PQ_OPT_BAD) {
                bad += pq_store_result(fmt, out, status, k, PQ_EDOM, &v);
                continue;
            }
            pm = pq_block_params(b, m);
        }
        if (fmt.kind != PQ_KIND_INT128) {
            if (b->x_ok[m]) {
                pq_store_bits(fmt, out, k, (uint64_t)b->x[m]);
                status[k] = PQ_OK;
                continue;
            }
        } else if (b->ok[m]) {
            st = round_f123((int)b->neg[m], pq_u128(b->Fhi[m], b->Flo[m]),
                            PQ_FAST_ERR_F << pq_fast_err_shift, rp, fmt, &v);
        }
        if (st == PQ_RETRY)
            st = rbe_core(b->R[m], b->T[m], b->i[m], b->j[m], p ? p : &pm, rp, fmt, &v);
        bad += pq_store_result(fmt, out, status, k, st, &v);
    }
    return bad;
}

size_t pq_rbe_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt, void *out,
                    uint8_t *status) {
    size_t bad = 0;
    if (k1 <= k0) return 0;
    if (!a || !out || !status) return k1 - k0;
    if (pq_format_check(fmt) != PQ_OK) { /* before its plan, which shifts by 122 - frac */
        memset(status + k0, PQ_EDOM, k1 - k0);
        return k1 - k0;
    }
    f123_plan rp = plan_f123(fmt);
    /* the usual call has scalar options: read and check them once */
    int same = !(a->s_eps | a->s_log2_c | a->s_d_r | a->s_rot | a->s_d_theta);
    /* element k0's options, not element 0's: a caller may hand over
     * columns that are valid for [k0, k1) only */
    pq_params p0 = pq_columns_params(a, k0);
    int ok0 = pq_params_ok(&p0);
    if ((ok0 || !same) && !pq_force_slow && pq_block_level() > 0) {
        pq_block b;
        for (size_t k = k0; k < k1; k += PQ_BLOCK) {
            size_t n = k1 - k < PQ_BLOCK ? k1 - k : PQ_BLOCK;
            bad += rbe_block(a, k, n, same ? &p0 : NULL, &rp, fmt, out, status, &b);
        }
        return bad;
    }
    for (size_t k = k0; k < k1; k++) {
        /* signed: a negative stride reads backwards from the base */
        ptrdiff_t sk = (ptrdiff_t)k;
        pq_params p = p0;
        int ok = ok0;
        if (!same) {
            p = pq_columns_params(a, k);
            ok = pq_params_ok(&p);
        }
        pq_value v;
        int st = PQ_EDOM;
        if (ok)
            st = rbe_core(a->R[sk * a->s_R], a->T[sk * a->s_T], a->i[sk * a->s_i],
                          a->j[sk * a->s_j], &p, &rp, fmt, &v);
        bad += pq_store_result(fmt, out, status, k, st, &v);
    }
    return bad;
}
