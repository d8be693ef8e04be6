/*
 * pq_block_lanes.h -- the body of stage 1 on a block, in PQ_LANES-wide
 * lanes.  Included by rbe_block_avx2.c and rbe_block_avx512.c, each after
 * its `#pragma GCC target` and with PQ_LANES and PQ_BLOCK_FN defined; see
 * rbe_block.c for the dispatch and pq_w.h for why the lanes compute the
 * same integers as the scalar kernels.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_fast.h"
#include "pq_hash.h"
#include "pq_lane_round.h"
#include "pq_testing.h" /* pq_fast_err_shift */

PQ_INLINE pq_u load_u(const uint64_t *p) {
    pq_u v;
    memcpy(&v, p, sizeof v);
    return v;
}
PQ_INLINE void store_u(uint64_t *p, pq_u v) { memcpy(p, &v, sizeof v); }

/* x = F (|v| 2^scale within err, the plan's scale) rounded to the plan's
 * format and x_ok = the lanes decided; int128: x_ok = 0 (F only, the
 * caller rounds) */
PQ_INLINE void lanes_round(pq_block *b, size_t k, pq_w F, pq_u neg, pq_u ok, pq_u err,
                           const pq_round_plan *rp) {
    pq_u x = PQ_K(0), x_ok = PQ_K(0);
    if (rp->kind == PQ_KIND_INT64) {
        pq_w half = w_make(PQ_K(rp->half_hi), PQ_K(rp->half_lo));
        pq_w mask = w_make(PQ_K(rp->mask_hi), PQ_K(rp->mask_lo));
        x_ok = ok & pq_lane_round_int64(F, neg, half, mask, rp->s, err, &x);
    } else if (rp->kind == PQ_KIND_FLOAT64 || rp->kind == PQ_KIND_FLOAT32) {
        int f64 = rp->kind == PQ_KIND_FLOAT64;
        x_ok = ok & pq_lane_round_float(F, neg, err, rp->maxlz, f64, PQ_K(rp->ebias), &x);
    }
    store_u((uint64_t *)&b->x[k], x);
    store_u(&b->x_ok[k], x_ok & 1);
}

/* rbe's F = |f| 2^123, its sign and flag for a group, and its rounding */
PQ_INLINE void lanes_store_f(pq_block *b, size_t k, pq_w F, pq_u neg, pq_u ok,
                             const pq_round_plan *rp) {
    store_u(&b->Fhi[k], F.hi);
    store_u(&b->Flo[k], F.lo);
    store_u(&b->neg[k], neg & 1);
    store_u(&b->ok[k], ok & 1);
    lanes_round(b, k, F, neg, ok, PQ_K(rp->err), rp);
}

/* One group of PQ_LANES elements at offset k: Toff is the turn offset of
 * rot and d_theta, drm the mask of the lanes with d_r = 1 when d_r is
 * PQ_DR_LANES (pq_fast_radial_g). */
PQ_INLINE void lanes_body(pq_block *b, size_t k, const uint64_t *H, const pq_fast_d *dd,
                          int has_e, int d_r, pq_u Toff, pq_u drm, const pq_round_plan *rp) {
    pq_u Tp = load_u(&b->T[k]) + Toff, h = load_u(&H[k]), sneg;
    pq_fast_g g = pq_fast_radial_g(load_u(&b->R[k]), &dd[k / PQ_LANES], has_e, d_r, drm);
    pq_w S = pq_fast_sin_w(Tp, &sneg);
    pq_w F = pq_fast_f123_w(g.G, S, pq_fast_phi_w(h));
    /* exact s (quarter turns) and phi (H mod 2^30 = 0): the scalar path */
    pq_u ok = g.ok & PQ_NE(Tp << 2, 0) & PQ_NE(h << 34, 0);
    pq_u neg = g.negm ^ sneg;
    lanes_store_f(b, k, F, neg, ok, rp);
}

/* The block's steps as separate functions, never inlined into PQ_BLOCK_FN
 * and each with its options as constants (four copies of the groups' loop,
 * two of the reciprocal's): a frame then holds the temporaries of one
 * expansion of the lane code, not six.  Compilers share few stack slots
 * between inlined bodies when they optimise little (-Og: 52 KB for the
 * AVX-512 lanes as one function; -O0 with forced inlining: 600 KB), and
 * worker threads may have 64 KB stacks (docs/spec.md, "Stack use").  A few
 * calls per block of PQ_BLOCK elements cost nothing measurable. */
#define PQ_LANES_STEP static __attribute__((noinline)) void

/* first the table reads of the reciprocal for every group, so that their
 * latencies overlap */
PQ_INLINE void lanes_recip(const pq_block *b, size_t n, uint64_t E, int has_e, int lc,
                           pq_fast_d *dd) {
    for (size_t k = 0; k < n; k += PQ_LANES)
        dd[k / PQ_LANES] = pq_fast_radial_d(load_u(&b->R[k]), E, has_e, lc);
}
PQ_LANES_STEP lanes_recip_e1(const pq_block *b, size_t n, uint64_t E, int lc, pq_fast_d *dd) {
    lanes_recip(b, n, E, 1, lc, dd);
}
PQ_LANES_STEP lanes_recip_e0(const pq_block *b, size_t n, int lc, pq_fast_d *dd) {
    lanes_recip(b, n, 0, 0, lc, dd);
}

PQ_INLINE void lanes_loop(pq_block *b, size_t n, const uint64_t *H, const pq_fast_d *dd,
                          int has_e, int d_r, uint64_t Toff, const pq_round_plan *rp) {
    for (size_t k = 0; k < n; k += PQ_LANES)
        lanes_body(b, k, H, dd, has_e, d_r, PQ_K(Toff), PQ_K(0), rp);
}
/* a loop over groups (lanes_loop, lanes_fac_loop) with the options as
 * constants, one function per combination */
#define PQ_LANES_LOOP(NAME, LOOP, HAS_E, D_R)                                                 \
    PQ_LANES_STEP NAME(pq_block *b, size_t n, const uint64_t *H, const pq_fast_d *dd,         \
                       uint64_t Toff, const pq_round_plan *rp) {                             \
        LOOP(b, n, H, dd, HAS_E, D_R, Toff, rp);                                             \
    }
PQ_LANES_LOOP(lanes_e1_d1, lanes_loop, 1, 1)
PQ_LANES_LOOP(lanes_e1_d0, lanes_loop, 1, 0)
PQ_LANES_LOOP(lanes_e0_d1, lanes_loop, 0, 1)
PQ_LANES_LOOP(lanes_e0_d0, lanes_loop, 0, 0)

/* Options per element (b->E, b->opt): the same lane code with E, c's shift,
 * the turn offset and d_r read per lane.  has_e = 0 when no element of the
 * block has eps != 0, d_r = 0 or 1 when all have that d_r, else
 * PQ_DR_LANES (both g and g', chosen per lane). */
PQ_LANES_STEP lanes_recip_opt(const pq_block *b, size_t n, int has_e, pq_fast_d *dd) {
    for (size_t k = 0; k < n; k += PQ_LANES) {
        pq_u R = load_u(&b->R[k]), lcs = load_u(&b->opt[k]) & 15;
        pq_w CR = w_shrv(w_mul(R, R), lcs); /* floor(c r^2 2^124), shift 4 - log2_c */
        dd[k / PQ_LANES] = pq_fast_radial_dv(R, CR, has_e ? load_u(&b->E[k]) : PQ_K(0), has_e);
    }
}
/* F rounded to its integer part at a constant bit s < 64 with Ziv's test
 * on the bound 0 < err < 2^(s-1), as pq_lane_ziv in fewer operations: with
 * r = (F + 2^(s-1)) mod 2^s (one word), F's distance to the nearest
 * midpoint is min(r, 2^s - r), so the test (that distance > err) is
 * err < r < 2^s - err, one unsigned comparison of r - err - 1; and
 * *X = (F + 2^(s-1)) >> s, F >> s rounded to nearest (a tie, which could
 * round either way, fails the test).  F + 2^(s-1) < 2^128 for every lane
 * that passes its other checks (G, S, PHI <= 2^127 + err). */
PQ_INLINE pq_u lanes_ziv(pq_w F, int s, pq_u err, pq_w *X) {
    pq_w Fh = w_add(F, w_from64(PQ_K(1ULL << (s - 1))));
    pq_u r = Fh.lo & PQ_K((1ULL << s) - 1);
    *X = w_shr(Fh, s);
    return PQ_LT(r - err - 1, PQ_K((1ULL << s) - 1) - 2 * err);
}

/* pq_fast_err_g(eps, d_r) per lane: the larger bound where eps != 0 or
 * d_r = 1 */
PQ_INLINE pq_u lanes_err_g(const pq_block *b, size_t k, int has_e, int d_r, pq_u drm) {
    pq_u g1 = d_r == 1 ? PQ_K(~0ULL) : d_r == 0 ? PQ_K(0) : drm;
    if (has_e) g1 |= PQ_NE(load_u(&b->E[k]), 0);
    int sh = pq_fast_err_shift;
    return sel64(g1, PQ_K(PQ_FAST_ERR_G1 << sh), PQ_K(PQ_FAST_ERR_G0 << sh));
}

/* round_half_even(a b / 2^64) for a < 2^67 and b <= 2^65 - 1 (hi words
 * a1 < 8 and b1 <= 1: s64 <= 2^64, phi64 < 1.1 2^64), as rbe_pipeline.c's
 * mul_round_q64: the product a1 b1 2^128 + (a1 b0 + a0 b1) 2^64 + a0 b0
 * with its top two words as Q (a1 b1 < 8, a1 b0 < 2^67, a0 b1 < 2^64:
 * Q < 2^68) and the low word of a0 b0 the fraction; exact, ties to even.
 * b1 is 0 or 1, so its products are masks. */
PQ_INLINE pq_w lanes_mul_round_q64(pq_w a, pq_w b) {
    pq_u b1 = PQ_K(0) - b.hi; /* all ones when b1 = 1 */
    pq_w p00 = w_mul(a.lo, b.lo);
    pq_w q = w_add(w_add(w_mul32(b.lo, a.hi), w_from64(a.lo & b1)), w_from64(p00.hi));
    q.hi += a.hi & b1;
    pq_u up = PQ_GT(p00.lo, 1ULL << 63) | (PQ_EQ(p00.lo, 1ULL << 63) & (0 - (q.lo & 1)));
    return w_add(q, w_from64(up & 1));
}

/* x = F (|v| 2^scale, exact) rounded to the plan's format and x_ok = the
 * lanes decided, as lanes_round with err = 0 but with ties to even in the
 * lanes (F = P2 2^61 with P2 an integer: at frac 62 a quarter of the int64
 * results are ties, and about one float64 result in 200) */
PQ_INLINE void lanes_round_exact(pq_block *b, size_t k, pq_w F, pq_u neg, pq_u ok,
                                 const pq_round_plan *rp) {
    pq_u x = PQ_K(0), x_ok = PQ_K(0);
    if (rp->kind == PQ_KIND_INT64) {
        pq_w half = w_make(PQ_K(rp->half_hi), PQ_K(rp->half_lo));
        pq_w mask = w_make(PQ_K(rp->mask_hi), PQ_K(rp->mask_lo));
        x_ok = ok & pq_lane_round_int64_exact(F, neg, half, mask, rp->s, &x);
    } else if (rp->kind == PQ_KIND_FLOAT64 || rp->kind == PQ_KIND_FLOAT32) {
        int f64 = rp->kind == PQ_KIND_FLOAT64;
        x_ok = ok & pq_lane_round_float_exact(F, neg, f64, PQ_K(rp->ebias), &x);
    }
    store_u((uint64_t *)&b->x[k], x);
    store_u(&b->x_ok[k], x_ok & 1);
}

/* rbe_pipeline for one group: G, S and PHI as the scalar stage 1 computes
 * them, each rounded to Q64 with Ziv's test on its bound (as pq_radial,
 * pq_angular and pq_modulation round theirs), then P1 and P2 as
 * pq_rbe_pipeline forms them (pq_block_factors) and P2 / 2^64 rounded to
 * the plan's format with no error bound (lanes_round_exact) */
PQ_INLINE void lanes_factors_body(pq_block *b, size_t k, const uint64_t *H, const pq_fast_d *dd,
                                  int has_e, int d_r, pq_u Toff, pq_u drm, pq_u err_g,
                                  const pq_round_plan *rp) {
    pq_u Tp = load_u(&b->T[k]) + Toff, h = load_u(&H[k]), sneg;
    pq_fast_g g = pq_fast_radial_g(load_u(&b->R[k]), &dd[k / PQ_LANES], has_e, d_r, drm);
    pq_w S = pq_fast_sin_w(Tp, &sneg);
    pq_w P = pq_fast_phi_w(h);
    pq_u ok = g.ok & PQ_NE(Tp << 2, 0) & PQ_NE(h << 34, 0);
    int sh = pq_fast_err_shift;
    pq_w mg, ms, mp;
    ok &= lanes_ziv(g.G, 62, err_g, &mg);           /* g 2^126 -> Q64, |g64| <= 2^65 */
    ok &= lanes_ziv(S, 63, PQ_K(PQ_FAST_ERR_S << sh), &ms);    /* s 2^127, |s64| <= 2^64 */
    ok &= lanes_ziv(P, 62, PQ_K(PQ_FAST_ERR_PHI << sh), &mp);  /* phi 2^126, < 1.1 2^64 */
    /* P1 <= 2^65, P2 < 1.1 2^65 < 2^67 (pq_rbe_pipeline) */
    pq_w p2 = lanes_mul_round_q64(lanes_mul_round_q64(mg, ms), mp);
    pq_u neg = g.negm ^ sneg;
    store_u(&b->Fhi[k], p2.hi);
    store_u(&b->Flo[k], p2.lo);
    store_u(&b->neg[k], neg & 1);
    store_u(&b->ok[k], ok & 1);
    /* P2 2^61 = |f| 2^125 < 2^128: the plan's scale (pq_block_factors) */
    lanes_round_exact(b, k, w_shl(p2, 61), neg, ok, rp);
}

/* radial for one group: |g| 2^126 and its rounding, as pq_radial's stage 1 */
PQ_INLINE void lanes_radial_body(pq_block *b, size_t k, const pq_fast_d *dd, int has_e, int d_r,
                                 pq_u drm, const pq_round_plan *rp) {
    pq_fast_g g = pq_fast_radial_g(load_u(&b->R[k]), &dd[k / PQ_LANES], has_e, d_r, drm);
    lanes_round(b, k, g.G, g.negm, g.ok, lanes_err_g(b, k, has_e, d_r, drm), rp);
}

/* what a loop over groups with options per element computes */
enum { LANES_RBE, LANES_PIPELINE_FACTORS, LANES_RADIAL };
PQ_INLINE void lanes_loop_opt(pq_block *b, size_t n, const uint64_t *H, const pq_fast_d *dd,
                              int has_e, int d_r, int what, const pq_round_plan *rp) {
    for (size_t k = 0; k < n; k += PQ_LANES) {
        pq_u o = load_u(&b->opt[k]);
        pq_u drm = 0 - ((o >> PQ_OPT_DR_BIT) & 1);
        if (what == LANES_RADIAL)
            lanes_radial_body(b, k, dd, has_e, d_r, drm, rp);
        else if (what == LANES_PIPELINE_FACTORS)
            lanes_factors_body(b, k, H, dd, has_e, d_r, o & PQ_OPT_TOFF, drm,
                               lanes_err_g(b, k, has_e, d_r, drm), rp);
        else
            lanes_body(b, k, H, dd, has_e, d_r, o & PQ_OPT_TOFF, drm, rp);
    }
}
#define PQ_LANES_LOOP_OPT(NAME, HAS_E, D_R, WHAT)                                          \
    PQ_LANES_STEP NAME(pq_block *b, size_t n, const uint64_t *H, const pq_fast_d *dd,         \
                       const pq_round_plan *rp) {                                            \
        lanes_loop_opt(b, n, H, dd, HAS_E, D_R, WHAT, rp);                                \
    }
/* the six loops of a kind: [eps any nonzero][d_r all 0, all 1, mixed] */
#define PQ_LANES_LOOPS_OPT(PREFIX, WHAT)                                                   \
    PQ_LANES_LOOP_OPT(PREFIX##_e0_d0, 0, 0, WHAT)                                          \
    PQ_LANES_LOOP_OPT(PREFIX##_e0_d1, 0, 1, WHAT)                                          \
    PQ_LANES_LOOP_OPT(PREFIX##_e0_dv, 0, PQ_DR_LANES, WHAT)                                \
    PQ_LANES_LOOP_OPT(PREFIX##_e1_d0, 1, 0, WHAT)                                          \
    PQ_LANES_LOOP_OPT(PREFIX##_e1_d1, 1, 1, WHAT)                                          \
    PQ_LANES_LOOP_OPT(PREFIX##_e1_dv, 1, PQ_DR_LANES, WHAT)
PQ_LANES_LOOPS_OPT(lanes_opt, LANES_RBE)
PQ_LANES_LOOPS_OPT(lanes_fac, LANES_PIPELINE_FACTORS)
PQ_LANES_LOOPS_OPT(lanes_rad, LANES_RADIAL)
#undef PQ_LANES_LOOPS_OPT
#undef PQ_LANES_LOOP_OPT

/* rbe_pipeline with the same options for the block, as lanes_loop is rbe:
 * the turn offset and g's bound constants, E in the reciprocals */
PQ_INLINE void lanes_fac_loop(pq_block *b, size_t n, const uint64_t *H, const pq_fast_d *dd,
                              int has_e, int d_r, uint64_t Toff, const pq_round_plan *rp) {
    pq_u err_g = PQ_K(pq_fast_err_g((uint64_t)has_e, d_r) << pq_fast_err_shift);
    for (size_t k = 0; k < n; k += PQ_LANES)
        lanes_factors_body(b, k, H, dd, has_e, d_r, PQ_K(Toff), PQ_K(0), err_g, rp);
}
PQ_LANES_LOOP(lanes_fac1_e1_d1, lanes_fac_loop, 1, 1)
PQ_LANES_LOOP(lanes_fac1_e1_d0, lanes_fac_loop, 1, 0)
PQ_LANES_LOOP(lanes_fac1_e0_d1, lanes_fac_loop, 0, 1)
PQ_LANES_LOOP(lanes_fac1_e0_d0, lanes_fac_loop, 0, 0)
#undef PQ_LANES_LOOP

/* angular: |s| 2^127 at T' = T + the turn offset, as pq_angular's stage 1
 * (quarter turns, where s is exact, left to it) */
PQ_LANES_STEP lanes_angular(pq_block *b, size_t n, const pq_round_plan *rp) {
    for (size_t k = 0; k < n; k += PQ_LANES) {
        pq_u Tp = load_u(&b->T[k]) + (load_u(&b->opt[k]) & PQ_OPT_TOFF), sneg;
        pq_w S = pq_fast_sin_w(Tp, &sneg);
        lanes_round(b, k, S, sneg, PQ_NE(Tp << 2, 0), PQ_K(rp->err), rp);
    }
}
/* modulation: phi 2^126 of H, as pq_modulation's stage 1 (H mod 2^30 = 0,
 * where phi is exact, left to it) */
PQ_LANES_STEP lanes_modulation(pq_block *b, size_t n, const uint64_t *H, const pq_round_plan *rp) {
    for (size_t k = 0; k < n; k += PQ_LANES) {
        pq_u h = load_u(&H[k]);
        lanes_round(b, k, pq_fast_phi_w(h), PQ_K(0), PQ_NE(h << 34, 0), PQ_K(rp->err), rp);
    }
}
#undef PQ_LANES_STEP

/* the reciprocals of a block with options per element, and its loop's
 * combination: 3 * (any eps != 0) + (d_r all 0: 0, all 1: 1, mixed: 2) */
static int lanes_options(pq_block *b, size_t n, pq_fast_d *dd) {
    uint64_t any_e = 0, dr_or = 0, dr_and = 1;
    for (size_t k = 0; k < n; k++) {
        uint64_t dr = (b->opt[k] >> PQ_OPT_DR_BIT) & 1;
        any_e |= b->E[k];
        dr_or |= dr;
        dr_and &= dr;
    }
    lanes_recip_opt(b, n, any_e != 0, dd);
    return 3 * (any_e != 0) + (dr_and ? 1 : dr_or ? 2 : 0);
}

/* direct calls (no table of function pointers): tests/test_stack_usage.py
 * follows every call to bound the stack */
#define PQ_OPT_DISPATCH(PREFIX, combo, ...)                                                   \
    switch (combo) {                                                                          \
    case 0: PREFIX##_e0_d0(__VA_ARGS__); break;                                               \
    case 1: PREFIX##_e0_d1(__VA_ARGS__); break;                                               \
    case 2: PREFIX##_e0_dv(__VA_ARGS__); break;                                               \
    case 3: PREFIX##_e1_d0(__VA_ARGS__); break;                                               \
    case 4: PREFIX##_e1_d1(__VA_ARGS__); break;                                               \
    default: PREFIX##_e1_dv(__VA_ARGS__); break;                                              \
    }

void PQ_ONE_FN(pq_block *b, size_t n, int which, const pq_round_plan *rp) {
    n = (n + PQ_LANES - 1) / PQ_LANES * PQ_LANES; /* the caller padded the block */
    if (which == PQ_ONE_MODULATION) {
        uint64_t H[PQ_BLOCK];
        for (size_t k = 0; k < n; k++) H[k] = pq_hash(b->i[k], b->j[k]);
        lanes_modulation(b, n, H, rp);
    } else if (which == PQ_ONE_ANGULAR) {
        lanes_angular(b, n, rp);
    } else {
        pq_fast_d dd[PQ_BLOCK / PQ_LANES];
        int combo = lanes_options(b, n, dd);
        PQ_OPT_DISPATCH(lanes_rad, combo, b, n, NULL, dd, rp)
    }
}

uint64_t PQ_OPTIONS_FN(size_t n, const uint64_t *E, const int32_t *lc, const int32_t *dr,
                       const int32_t *rot, const int32_t *dth, uint64_t *Eo, uint64_t *opt) {
    return pq_option_words(n, E, lc, dr, rot, dth, Eo, opt);
}

/* A block of rbe (lanes_opt, lanes) or of rbe_pipeline (lanes_fac,
 * lanes_fac1): the hashes, then with options per element (p = NULL) the
 * reciprocals and one of the kind's six loops, else the reciprocals and
 * one of its four loops with the options as constants */
#define PQ_BLOCK_ENTRY(NAME, OPT, SAME)                                                      \
    void NAME(pq_block *b, size_t n, const pq_params *p, const pq_round_plan *rp) {          \
        uint64_t H[PQ_BLOCK];                                                                \
        pq_fast_d dd[PQ_BLOCK / PQ_LANES];                                                   \
        n = (n + PQ_LANES - 1) / PQ_LANES * PQ_LANES; /* the caller padded the block */      \
        for (size_t k = 0; k < n; k++) H[k] = pq_hash(b->i[k], b->j[k]);                     \
        if (!p) {                                                                            \
            int combo = lanes_options(b, n, dd);                                             \
            PQ_OPT_DISPATCH(OPT, combo, b, n, H, dd, rp)                                     \
            return;                                                                          \
        }                                                                                    \
        uint64_t Toff = ((uint64_t)p->rot << 60) + ((uint64_t)p->d_theta << 62);             \
        uint64_t E = p->eps;                                                                 \
        if (E)                                                                               \
            lanes_recip_e1(b, n, E, p->log2_c, dd);                                          \
        else                                                                                 \
            lanes_recip_e0(b, n, p->log2_c, dd);                                             \
        if (E && p->d_r)                                                                     \
            SAME##_e1_d1(b, n, H, dd, Toff, rp);                                             \
        else if (E)                                                                          \
            SAME##_e1_d0(b, n, H, dd, Toff, rp);                                             \
        else if (p->d_r)                                                                     \
            SAME##_e0_d1(b, n, H, dd, Toff, rp);                                             \
        else                                                                                 \
            SAME##_e0_d0(b, n, H, dd, Toff, rp);                                             \
    }
PQ_BLOCK_ENTRY(PQ_FACTORS_FN, lanes_fac, lanes_fac1)
PQ_BLOCK_ENTRY(PQ_BLOCK_FN, lanes_opt, lanes)
#undef PQ_BLOCK_ENTRY

/* ---- rbe_seed64: the short kernels --------------------------------------
 * A block of seed words at eps = 0 (pq_rbe_seed64_range): the words
 * themselves in the block's R column (T, E and opt are not read), each
 * field taken from them here: R = r 2^44, T' = theta 2^40 + rot 2^60 +
 * d_theta 2^62 mod 2^64, 4 - log2_c and d_r.  The same F, sign and flags
 * as lanes_body on those inputs at E = 0, from pq_fast_seed_g and
 * pq_fast_sin40_w (pq_fast.h), whose integers are pq_fast_radial_g's and
 * pq_fast_sin_w's for such inputs; ok and x_ok are also clear for a word
 * with basis != 0 (the caller's PQ_EDOM). */
#define PQ_LANES_STEP static __attribute__((noinline)) void
PQ_INLINE pq_u lanes_seed_lcs(pq_u w) { /* 4 - log2_c, 1..8, from the 3-bit field */
    pq_u c = (w >> 6) & 7;
    return 4 - c + 2 * (c & 4);
}
/* first the reciprocal's table reads for every group, so that their
 * latencies overlap (as lanes_recip) */
PQ_LANES_STEP lanes_seed_recip(const pq_block *b, size_t n, pq_fast_seed_d *dd) {
    for (size_t k = 0; k < n; k += PQ_LANES) {
        pq_u w = load_u(&b->R[k]);
        dd[k / PQ_LANES] = pq_fast_seed_recip(w & PQ_K(~((1ULL << 44) - 1)), lanes_seed_lcs(w));
    }
}
PQ_INLINE void lanes_seed_body(pq_block *b, size_t k, const uint64_t *H, const pq_fast_seed_d *dd,
                               int d_r, const pq_round_plan *rp) {
    pq_u w = load_u(&b->R[k]), h = load_u(&H[k]), sneg;
    pq_u R = w & PQ_K(~((1ULL << 44) - 1));                          /* r 2^44 */
    pq_u Tp = ((w << 20) & PQ_K(~((1ULL << 40) - 1))) +             /* theta 2^40 */
              ((w << 51) & PQ_K(15ULL << 60)) + ((w << 48) & PQ_K(3ULL << 62));
    pq_fast_g g = pq_fast_seed_g(R, &dd[k / PQ_LANES], 0 - ((w >> 13) & 1), d_r);
    pq_w S = pq_fast_sin40_w(Tp, &sneg);
    pq_w F = pq_fast_f123_w(g.G, S, pq_fast_phi_w(h));
    pq_u ok = g.ok & PQ_NE(Tp << 2, 0) & PQ_NE(h << 34, 0) & PQ_EQ(w & PQ_K(15ULL << 16), 0);
    pq_u neg = g.negm ^ sneg;
    lanes_store_f(b, k, F, neg, ok, rp);
}
#define PQ_LANES_SEED_LOOP(NAME, D_R)                                                         \
    PQ_LANES_STEP NAME(pq_block *b, size_t n, const uint64_t *H, const pq_fast_seed_d *dd,    \
                       const pq_round_plan *rp) {                                            \
        for (size_t k = 0; k < n; k += PQ_LANES) lanes_seed_body(b, k, H, dd, D_R, rp);       \
    }
PQ_LANES_SEED_LOOP(lanes_seed_d0, PQ_SEED_DR0)
PQ_LANES_SEED_LOOP(lanes_seed_d1, PQ_SEED_DR1)
PQ_LANES_SEED_LOOP(lanes_seed_dv, PQ_SEED_DRV)
#undef PQ_LANES_SEED_LOOP
#undef PQ_LANES_STEP

#define PQ_SEED_CAT_(a, b) a##b
#define PQ_SEED_CAT(a, b) PQ_SEED_CAT_(a, b)
void PQ_SEED_CAT(pq_block_seed64_lanes, PQ_LANES)(pq_block *b, size_t n,
                                                  const pq_round_plan *rp) {
    uint64_t H[PQ_BLOCK], dr_or = 0, dr_and = 1;
    pq_fast_seed_d dd[PQ_BLOCK / PQ_LANES];
    n = (n + PQ_LANES - 1) / PQ_LANES * PQ_LANES; /* the caller padded the block */
    for (size_t k = 0; k < n; k++) {
        uint64_t dr = (b->R[k] >> 13) & 1; /* the word's d_r */
        H[k] = pq_hash(b->i[k], b->j[k]);
        dr_or |= dr;
        dr_and &= dr;
    }
    lanes_seed_recip(b, n, dd);
    if (dr_and)
        lanes_seed_d1(b, n, H, dd, rp);
    else if (dr_or)
        lanes_seed_dv(b, n, H, dd, rp);
    else
        lanes_seed_d0(b, n, H, dd, rp);
}
#undef PQ_SEED_CAT
#undef PQ_SEED_CAT_
