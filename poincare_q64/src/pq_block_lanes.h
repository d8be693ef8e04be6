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

PQ_INLINE pq_u load_u(const uint64_t *p) {
    pq_u v;
    memcpy(&v, p, sizeof v);
    return v;
}
PQ_INLINE void store_u(uint64_t *p, pq_u v) { memcpy(p, &v, sizeof v); }

/* One group of PQ_LANES elements at offset k. */
PQ_INLINE void lanes_body(pq_block *b, size_t k, const uint64_t *H, const pq_fast_d *dd,
                          int has_e, int d_r, uint64_t Toff, const pq_round_plan *rp) {
    pq_u Tp = load_u(&b->T[k]) + Toff, h = load_u(&H[k]), sneg;
    pq_fast_g g = pq_fast_radial_g(load_u(&b->R[k]), &dd[k / PQ_LANES], has_e, d_r);
    pq_w S = pq_fast_sin_w(Tp, &sneg);
    pq_w F = pq_fast_f123_w(g.G, S, pq_fast_phi_w(h));
    /* exact s (quarter turns) and phi (H mod 2^30 = 0): the scalar path */
    pq_u ok = g.ok & PQ_NE(Tp << 2, 0) & PQ_NE(h << 34, 0);
    pq_u neg = g.negm ^ sneg;
    store_u(&b->Fhi[k], F.hi);
    store_u(&b->Flo[k], F.lo);
    store_u(&b->neg[k], neg & 1);
    store_u(&b->ok[k], ok & 1);
    pq_u x = PQ_K(0), x_ok = PQ_K(0); /* int128: F only, the caller rounds */
    if (rp->kind == PQ_KIND_INT64) {
        pq_w half = w_make(PQ_K(rp->half_hi), PQ_K(rp->half_lo));
        pq_w mask = w_make(PQ_K(rp->mask_hi), PQ_K(rp->mask_lo));
        x_ok = ok & pq_lane_round_int64(F, neg, half, mask, rp->s, PQ_K(rp->err), &x);
    } else if (rp->kind == PQ_KIND_FLOAT64 || rp->kind == PQ_KIND_FLOAT32) {
        /* F = |f| 2^123: the result's ulp is -123 - lz + 128 - p */
        int f64 = rp->kind == PQ_KIND_FLOAT64;
        x_ok = ok & pq_lane_round_float(F, neg, PQ_K(rp->err), rp->maxlz, f64,
                                        PQ_K(f64 ? 1026 : 130), &x);
    }
    store_u((uint64_t *)&b->x[k], x);
    store_u(&b->x_ok[k], x_ok & 1);
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
    for (size_t k = 0; k < n; k += PQ_LANES) lanes_body(b, k, H, dd, has_e, d_r, Toff, rp);
}
#define PQ_LANES_LOOP(NAME, HAS_E, D_R)                                                       \
    PQ_LANES_STEP NAME(pq_block *b, size_t n, const uint64_t *H, const pq_fast_d *dd,         \
                       uint64_t Toff, const pq_round_plan *rp) {                             \
        lanes_loop(b, n, H, dd, HAS_E, D_R, Toff, rp);                                       \
    }
PQ_LANES_LOOP(lanes_e1_d1, 1, 1)
PQ_LANES_LOOP(lanes_e1_d0, 1, 0)
PQ_LANES_LOOP(lanes_e0_d1, 0, 1)
PQ_LANES_LOOP(lanes_e0_d0, 0, 0)
#undef PQ_LANES_LOOP
#undef PQ_LANES_STEP

void PQ_BLOCK_FN(pq_block *b, size_t n, const pq_params *p, const pq_round_plan *rp) {
    uint64_t H[PQ_BLOCK];
    pq_fast_d dd[PQ_BLOCK / PQ_LANES];
    uint64_t Toff = ((uint64_t)p->rot << 60) + ((uint64_t)p->d_theta << 62);
    uint64_t E = p->eps;
    n = (n + PQ_LANES - 1) / PQ_LANES * PQ_LANES; /* the caller padded the block */
    for (size_t k = 0; k < n; k++) H[k] = pq_hash(b->i[k], b->j[k]);
    /* the options are the same for the block: one loop per combination */
    if (E)
        lanes_recip_e1(b, n, E, p->log2_c, dd);
    else
        lanes_recip_e0(b, n, p->log2_c, dd);
    if (E && p->d_r)
        lanes_e1_d1(b, n, H, dd, Toff, rp);
    else if (E)
        lanes_e1_d0(b, n, H, dd, Toff, rp);
    else if (p->d_r)
        lanes_e0_d1(b, n, H, dd, Toff, rp);
    else
        lanes_e0_d0(b, n, H, dd, Toff, rp);
}
