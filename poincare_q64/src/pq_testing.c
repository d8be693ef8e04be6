/*
 * pq_testing.c -- the test switches and hooks declared in pq_testing.h
 * (private: not in poincare_q64.h, the capsule table or the frozen ABI).
 *
 * Each hook calls the production code it tests, never a copy of it: the
 * stage-1 kernels of pq_fast.h, the series paths of angular.c, modulation.c
 * and radial.c, the block code of rbe_block.c and Knuth's division of
 * mpn.c.  The switches are the only writable globals of the kernels (with
 * rbe_block.c's SIMD level): read by every entry point, written only here,
 * and only while no thread evaluates (pq_testing.h).
 */
#include "pq_internal.h"
#include "pq_fast.h"
#include "pq_hash.h"
#include "pq_testing.h"
#include "pq_decode.h"
#include <string.h>

int pq_force_slow = 0;
int pq_fast_err_shift = 0;

void pq_debug_force_slow_path(int level) {
    pq_force_slow = (level == 1 || level == 2) ? level : 0;
    pq_fast_err_shift = level == 3 ? 16 : 0;
}

int pq_debug_set_simd(int level) {
    int cpu = pq_block_cpu_level();
    if (level < 0) level = cpu;
    if (level > cpu) return PQ_EDOM;
    pq_block_set_level(level);
    return PQ_OK;
}

/* ---- an approximation and its bound ------------------------------------ */
int pq_debug_approx(int which, uint64_t x, int W, uint64_t eps, int log2_c, int d_r, int *neg,
                    limb *m, int64_t *e, uint64_t *err) {
    pq_approx a;
    pq_params p = {eps, log2_c, d_r, 0, 0};
    if (W < 1 || W > PQ_W_MAX || !pq_radial_ok(&p)) return PQ_EDOM;
    if (which == 0 && (x << 2) == 0) return PQ_EDOM;
    if (which == 1 && (((uint32_t)x << 2) == 0 || x >> 32)) return PQ_EDOM;
    if (which < 0 || which > 2) return PQ_EDOM;
    if (W == 1) {
        u128 v;
        *neg = 0;
        if (which == 0) {
            v = pq_fast_sin(x, neg);
            *e = -127;
            *err = PQ_FAST_ERR_S;
        } else if (which == 1) {
            v = pq_fast_phi((uint32_t)x);
            *e = -126;
            *err = PQ_FAST_ERR_PHI;
        } else {
            if (x == 0 || pq_fast_radial(x, eps, log2_c, d_r, &v, neg) != PQ_OK) return PQ_EDOM;
            *e = -126;
            *err = pq_fast_err_g(eps, d_r);
        }
        m[0] = (limb)v;
        m[1] = (limb)(v >> 64);
        return PQ_OK;
    }
    if (which == 0)
        pq_sin_turn(x, W, &a);
    else if (which == 1)
        pq_phi_approx((uint32_t)x, W, &a);
    else {
        pq_radial_approx(x, &p, W, &a);
        if (a.zero) return PQ_EDOM;
    }
    *neg = a.neg;
    pq_mpn_copy(m, a.m, W);
    *e = a.e;
    *err = a.err;
    return PQ_OK;
}

/* ---- stage 1's F through the scalar kernels or the block ---------------- */
/* one element through the scalar stage 1 (a function of its own, so that
 * its callers' frames do not add up: tests/test_stack_usage.py) */
static void stage1_scalar(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                          uint64_t *Fhi, uint64_t *Flo, uint8_t *flags) {
    uint64_t Tp = pq_turn_prime(T, p);
    uint32_t H = pq_hash(i, j);
    u128 F = 0;
    int neg = 0;
    int ok = (Tp << 2) != 0 && (H << 2) != 0 && pq_fast_rbe(R, Tp, H, p, &F, &neg);
    if (!ok) F = 0, neg = 0;
    *Fhi = (uint64_t)(F >> 64);
    *Flo = (uint64_t)F;
    *flags = (uint8_t)(neg | (ok << 1));
}

/* a block's F, sign and ok flag as pq_debug_stage1 reports them */
static void block_words(const pq_block *b, size_t m, uint64_t *Fhi, uint64_t *Flo,
                        uint8_t *flags) {
    for (size_t k = 0; k < m; k++) {
        int ok = (int)b->ok[k];
        Fhi[k] = ok ? b->Fhi[k] : 0;
        Flo[k] = ok ? b->Flo[k] : 0;
        flags[k] = (uint8_t)(((int)b->neg[k] & ok) | (ok << 1));
    }
}

int pq_debug_stage1(int level, size_t n, const uint64_t *R, const uint64_t *T, const uint32_t *i,
                    const uint32_t *j, const pq_params *p, uint64_t *Fhi, uint64_t *Flo,
                    uint8_t *flags) {
    if (!p || !pq_params_ok(p)) return PQ_EDOM;
    if (level == 0) {
        for (size_t k = 0; k < n; k++)
            stage1_scalar(R[k], T[k], i[k], j[k], p, Fhi + k, Flo + k, flags + k);
        return PQ_OK;
    }
    int saved = pq_block_level();
    if (pq_debug_set_simd(level) != PQ_OK) return PQ_EDOM;
    pq_block b;
    pq_columns cols = {R, T, i, j, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    for (size_t k0 = 0; k0 < n; k0 += PQ_BLOCK) {
        size_t m = n - k0 < PQ_BLOCK ? n - k0 : PQ_BLOCK;
        pq_block_inputs(&b, &cols, k0, m);
        pq_block_stage1(&b, m, p, (pq_format){PQ_KIND_INT64, 62});
        block_words(&b, m, Fhi + k0, Flo + k0, flags + k0);
    }
    pq_debug_set_simd(saved);
    return PQ_OK;
}

/* The same with options per element (columns of n, unit stride): level 0
 * runs the scalar kernels with each element's options, levels 1 and 2 the
 * block code with the options read per lane. */
int pq_debug_stage1_columns(int level, size_t n, const pq_columns *a, uint64_t *Fhi,
                            uint64_t *Flo, uint8_t *flags) {
    if (!a) return PQ_EDOM;
    for (size_t k = 0; k < n; k++) {
        pq_params p = {a->eps[k], a->log2_c[k], a->d_r[k], a->rot[k], a->d_theta[k]};
        if (!pq_params_ok(&p)) return PQ_EDOM;
        if (level == 0) stage1_scalar(a->R[k], a->T[k], a->i[k], a->j[k], &p, Fhi + k, Flo + k,
                                      flags + k);
    }
    if (level == 0) return PQ_OK;
    int saved = pq_block_level();
    if (pq_debug_set_simd(level) != PQ_OK) return PQ_EDOM;
    pq_block b;
    for (size_t k0 = 0; k0 < n; k0 += PQ_BLOCK) {
        size_t m = n - k0 < PQ_BLOCK ? n - k0 : PQ_BLOCK;
        pq_block_inputs(&b, a, k0, m);
        pq_block_options(&b, a, k0, m);
        pq_block_stage1(&b, m, NULL, (pq_format){PQ_KIND_INT64, 62});
        block_words(&b, m, Fhi + k0, Flo + k0, flags + k0);
    }
    pq_debug_set_simd(saved);
    return PQ_OK;
}

/* rbe_seed64's short kernels for n seed words at eps = 0 (basis 0): level
 * 0 runs them compiled scalar, element by element, in the form for the
 * word's d_r (PQ_SEED_DR0, _DR1) or, with mixed = 1, in the form with
 * d_r per lane (PQ_SEED_DRV); levels 1 and 2 run the block code
 * (pq_block_seed64), which takes the form from each block's d_r. */
static void stage1_seed64_scalar(uint64_t w, uint32_t i, uint32_t j, int mixed, uint64_t *Fhi,
                                 uint64_t *Flo, uint8_t *flags) {
    pq_seed64_fields f;
    pq_seed64_unpack(w, &f);
    uint64_t R = (uint64_t)f.r << 44, sneg;
    uint64_t Tp = ((uint64_t)f.theta << 40) + ((uint64_t)f.rot << 60) + ((uint64_t)f.d_theta << 62);
    uint32_t H = pq_hash(i, j);
    pq_fast_seed_d d = pq_fast_seed_recip(R, (uint64_t)(4 - f.log2_c));
    pq_fast_g g = pq_fast_seed_g(R, &d, 0 - (uint64_t)f.d_r,
                                 mixed ? PQ_SEED_DRV : f.d_r ? PQ_SEED_DR1 : PQ_SEED_DR0);
    pq_w S = pq_fast_sin40_w(Tp, &sneg);
    int ok = (Tp << 2) != 0 && (H << 2) != 0 && (g.ok & 1);
    pq_w F = ok ? pq_fast_f123_w(g.G, S, pq_fast_phi_w(H)) : w_make(0, 0);
    *Fhi = F.hi;
    *Flo = F.lo;
    *flags = (uint8_t)((((g.negm ^ sneg) & 1) & (uint64_t)ok) | ((unsigned)ok << 1));
}

int pq_debug_stage1_seed64(int level, size_t n, const uint64_t *W, const uint32_t *i,
                           const uint32_t *j, int mixed, uint64_t *Fhi, uint64_t *Flo,
                           uint8_t *flags) {
    for (size_t k = 0; k < n; k++)
        if ((W[k] >> 16) & 15) return PQ_EDOM; /* basis != 0 */
    if (level == 0) {
        for (size_t k = 0; k < n; k++)
            stage1_seed64_scalar(W[k], i[k], j[k], mixed, Fhi + k, Flo + k, flags + k);
        return PQ_OK;
    }
    int saved = pq_block_level();
    if (pq_debug_set_simd(level) != PQ_OK) return PQ_EDOM;
    pq_block b;
    pq_columns cols = {W, W, i, j, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    for (size_t k0 = 0; k0 < n; k0 += PQ_BLOCK) {
        size_t m = n - k0 < PQ_BLOCK ? n - k0 : PQ_BLOCK;
        pq_block_inputs(&b, &cols, k0, m);
        pq_block_seed64(&b, m, (pq_format){PQ_KIND_INT64, 62});
        block_words(&b, m, Fhi + k0, Flo + k0, flags + k0);
    }
    pq_debug_set_simd(saved);
    return PQ_OK;
}

/* ---- Knuth's division with its add-backs counted ------------------------ */
int pq_debug_divrem(limb *q, limb *r, const limb *a, int an, const limb *b, int bn,
                    unsigned long *addbacks) {
    if (!q || !r || !a || !b || !addbacks || bn < 1 || bn > an || an > PQ_MPN_MAX ||
        b[bn - 1] == 0)
        return PQ_EDOM;
    *addbacks = 0;
    pq_mpn_divrem_counted(q, r, a, an, b, bn, addbacks);
    return PQ_OK;
}

/* ---- the matrix decoder's hand-overs to pq_rbe -------------------------- */
int pq_debug_decode_fallbacks(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt,
                              uint32_t m, uint32_t n, void *out, uint64_t *fallbacks) {
    pq_decoder dec;
    uint64_t first_bad = 0;
    if (!fallbacks) return PQ_EDOM;
    int st = pq_decoder_init(R, T, p, fmt, &dec);
    if (st != PQ_OK) return st;
    return pq_decode_rows_counted(&dec, n, 0, m, NULL, out, n, &first_bad, fallbacks);
}

int pq_debug_decode_elem(uint64_t R, uint64_t T, const pq_params *p, uint32_t i, uint32_t j,
                         uint64_t *Phi, uint64_t *Plo, int64_t *e, uint64_t *err, int *neg,
                         int *mode) {
    pq_decoder dec;
    pq_decode_plan pl;
    /* a float format: the plan is then never ZERO for a tiny |f| */
    int st = pq_decoder_init(R, T, p, (pq_format){PQ_KIND_FLOAT64, 0}, &dec);
    if (st != PQ_OK) return st;
    memcpy(&pl, &dec, sizeof pl);
    *mode = pl.mode;
    if (pl.mode != PQ_DECODE_FAST) return PQ_OK;
    uint32_t H = pq_hash(i, j);
    if ((H << 2) == 0) return PQ_EDOM;
    pq_w P = w_mulhi3(w_make(pl.A_hi, pl.A_lo), pq_fast_phi_w((uint64_t)H));
    *Phi = P.hi;
    *Plo = P.lo;
    *e = pl.e;
    *err = pl.err;
    *neg = pl.neg;
    return PQ_OK;
}

int pq_debug_decode_elem_ifma(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt,
                              uint32_t i, uint32_t j, uint64_t *Qhi, uint64_t *Qlo,
                              int64_t *scale, uint64_t *errq, int *neg) {
    pq_decoder dec;
    pq_decode_plan pl;
    pq_decode_ifma k;
    int st = pq_decoder_init(R, T, p, fmt, &dec);
    if (st != PQ_OK) return st;
    memcpy(&pl, &dec, sizeof pl);
    if (!pq_decode_ifma_consts(&pl, &k)) return PQ_EDOM;
    uint32_t H = pq_hash(i, j);
    if ((H << 2) == 0) return PQ_EDOM;
    pq_w PHI = pq_fast_phi_w((uint64_t)H);
    u128 Q = pq_decode_ifma_q(&k, PHI.hi, PHI.lo);
    *Qhi = (uint64_t)(Q >> 64);
    *Qlo = (uint64_t)Q;
    *scale = k.scale;
    *errq = k.errq;
    *neg = pl.neg;
    return PQ_OK;
}

int pq_debug_decode_ifma(int on) {
    if (on < 0) return pq_decode_ifma_cpu();
    if (on && !pq_decode_ifma_cpu()) return PQ_EDOM;
    pq_decode_ifma_allow(on);
    return PQ_OK;
}
