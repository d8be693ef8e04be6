/*
 * rbe.c -- public entry points: angular, modulation, rbe, rbe_pipeline,
 * rbe_seed64, and the Ziv loop they share.
 *
 * Exactness (docs/spec.md, "Exact and tie cases"): g is always rational;
 * s is rational only at quarter turns (Niven), phi only when H mod 2^30 = 0;
 * the product f = g s phi is rational only when both are (or a factor is 0).
 * Rational results are rounded exactly from a ratio of integers.  Every other
 * value is irrational, hence never a rounding midpoint, so the Ziv loop
 * (precision 128, 256, 512, 1024, 2048 bits) ends as soon as the error bound
 * is below the value's distance to the nearest midpoint; PQ_EUNDECIDED past
 * 2048 bits has never been observed.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_fast.h"
#include "pq_hash.h"
#include "pq_round.h"

int pq_force_slow = 0;
int pq_fast_err_shift = 0;

void pq_debug_force_slow_path(int level) {
    pq_force_slow = (level == 1 || level == 2) ? level : 0;
    pq_fast_err_shift = level == 3 ? 16 : 0;
}

typedef void (*approx_fn)(const void *ctx, int W, pq_approx *out);

static int ziv(approx_fn f, const void *ctx, pq_format fmt, pq_value *out) {
    pq_approx a;
    for (int W = pq_force_slow >= 2 ? PQ_W_START : 2; W <= PQ_W_MAX; W = (W == 2) ? PQ_W_START : 2 * W) {
        f(ctx, W, &a);
        int rc = pq_round_approx(&a, fmt, out);
        if (rc != PQ_RETRY) return rc;
    }
    return PQ_EUNDECIDED;
}

static int angle_ok(const pq_params *p) {
    return p->rot >= 0 && p->rot <= 15 && p->d_theta >= 0 && p->d_theta <= 3;
}

static inline uint64_t turn_prime(uint64_t T, const pq_params *p) {
    return T + ((uint64_t)p->rot << 60) + ((uint64_t)p->d_theta << 62); /* mod 2^64 */
}

/* Exact value of a rational factor as num/den with num, den small. */
static int round_small_ratio(int neg, uint64_t num, uint64_t den, pq_format fmt, pq_value *out) {
    limb n = num, d = den;
    return pq_round_ratio(neg, &n, 1, &d, 1, fmt, out);
}

/* phi at H mod 2^30 == 0: sin(2 pi H/2^32) = 0, 1, 0, -1 -> phi = 10/10, 11/10, 10/10, 9/10 */
static uint64_t phi_exact_num(uint32_t H) { return (uint64_t)(10 + pq_sin_quarter((uint64_t)H << 32)); }

static void exact_unit(int neg, int W, pq_approx *a) {
    pq_mpn_zero(a->m, W);
    a->m[W - 1] = 1ULL << 63;
    a->n = W;
    a->e = -(64 * (int64_t)W - 1);
    a->neg = neg;
    a->zero = 0;
    a->err = 0;
}

/* ---- angular ---------------------------------------------------------- */
static void angular_fn(const void *ctx, int W, pq_approx *out) {
    pq_sin_turn(*(const uint64_t *)ctx, W, out);
}

int pq_angular(uint64_t T, const pq_params *p, pq_format fmt, pq_value *out) {
    if (!p || !out || !angle_ok(p) || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    uint64_t Tp = turn_prime(T, p);
    if ((Tp << 2) == 0) {
        int s = pq_sin_quarter(Tp);
        return round_small_ratio(s < 0, (uint64_t)(s != 0), 1, fmt, out);
    }
    if (!pq_force_slow) {
        int neg;
        u128 s = pq_fast_sin(Tp, &neg);
        int rc = pq_round_u128(neg, s, -127, PQ_FAST_ERR_S << pq_fast_err_shift, fmt, out);
        if (rc != PQ_RETRY) return rc;
    }
    return ziv(angular_fn, &Tp, fmt, out);
}

/* ---- modulation ------------------------------------------------------- */
static void modulation_fn(const void *ctx, int W, pq_approx *out) {
    pq_phi_approx(*(const uint32_t *)ctx, W, out);
}

int pq_modulation(uint32_t i, uint32_t j, pq_format fmt, pq_value *out) {
    if (!out || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    uint32_t H = pq_hash(i, j);
    if ((H << 2) == 0) return round_small_ratio(0, phi_exact_num(H), 10, fmt, out);
    if (!pq_force_slow) {
        int rc = pq_round_u128(0, pq_fast_phi(H), -126, PQ_FAST_ERR_PHI << pq_fast_err_shift, fmt,
                               out);
        if (rc != PQ_RETRY) return rc;
    }
    return ziv(modulation_fn, &H, fmt, out);
}

/* ---- rbe -------------------------------------------------------------- */
static int params_ok(const pq_params *p) {
    return p->log2_c >= -4 && p->log2_c <= 3 && (p->d_r == 0 || p->d_r == 1) && angle_ok(p);
}

typedef struct {
    uint64_t R, Tp;
    uint32_t H;
    const pq_params *p;
    int s_exact, phi_exact;
} rbe_ctx;

static void rbe_fn(const void *vctx, int W, pq_approx *f) {
    const rbe_ctx *c = vctx;
    pq_approx s, phi;
    pq_radial_approx(c->R, c->p, W, f);
    if (c->s_exact)
        exact_unit(pq_sin_quarter(c->Tp) < 0, W, &s);
    else
        pq_sin_turn(c->Tp, W, &s);
    if (c->phi_exact) {
        limb n = phi_exact_num(c->H), d = 10;
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

/* Stage 1 of rbe for T' = Tp and H with neither s nor phi exact:
 * F = |f| 2^123 = mulhi3(mulhi3(G, S), PHI) and its sign; 0 when the Newton
 * residual check fails (then F is not set). */
static inline int stage1_f(uint64_t R, uint64_t Tp, uint32_t H, const pq_params *p, u128 *F,
                           int *neg) {
    u128 G;
    int ng, ns;
    if (pq_fast_radial(R, p->eps, p->log2_c, p->d_r, &G, &ng) != PQ_OK) return 0;
    *F = pq_fast_f123(G, pq_fast_sin(Tp, &ns), pq_fast_phi(H));
    *neg = ng ^ ns;
    return 1;
}

/* rbe for validated arguments. */
static inline int rbe_core(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                           const f123_plan *rp, pq_format fmt, pq_value *out) {
    rbe_ctx c = {R, turn_prime(T, p), pq_hash(i, j), p, 0, 0};
    c.s_exact = (c.Tp << 2) == 0;
    c.phi_exact = (c.H << 2) == 0;
    if (!c.s_exact && !c.phi_exact && !pq_force_slow) {
        u128 F;
        int neg;
        if (stage1_f(R, c.Tp, c.H, p, &F, &neg)) {
            int rc = round_f123(neg, F, PQ_FAST_ERR_F << pq_fast_err_shift, rp, fmt, out);
            if (rc != PQ_RETRY) return rc;
        }
    }
    if (c.s_exact && pq_sin_quarter(c.Tp) == 0) return round_small_ratio(0, 0, 1, fmt, out);
    if (c.s_exact && c.phi_exact) {
        /* f = +-g * phi, rational: (num * phi_num) / (den * 10) */
        limb num[PQ_RADIAL_LIMBS + 1], den[PQ_RADIAL_LIMBS + 1];
        int nn, dn, neg;
        pq_radial_ratio(R, p, &neg, num, &nn, den, &dn);
        num[nn] = pq_mpn_mul_1(num, num, nn, phi_exact_num(c.H));
        den[dn] = pq_mpn_mul_1(den, den, dn, 10);
        neg ^= pq_sin_quarter(c.Tp) < 0;
        return pq_round_ratio(neg, num, nn + 1, den, dn + 1, fmt, out);
    }
    return ziv(rbe_fn, &c, fmt, out);
}

int pq_rbe(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p, pq_format fmt,
           pq_value *out) {
    if (!p || !out || !params_ok(p) || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    f123_plan rp = plan_f123(fmt);
    return rbe_core(R, T, i, j, p, &rp, fmt, out);
}

static inline void store(pq_format fmt, void *out, size_t k, const pq_value *v) {
    switch (fmt.kind) {
    case PQ_KIND_INT64: ((int64_t *)out)[k] = v->i64; break;
    case PQ_KIND_INT128: ((pq_int128 *)out)[k] = v->i128; break;
    case PQ_KIND_FLOAT64: ((double *)out)[k] = v->f64; break;
    default: ((float *)out)[k] = v->f32; break;
    }
}

/* status[k] and, on success, out[k]; returns 1 for an error. */
static inline size_t put(pq_format fmt, void *out, uint8_t *status, size_t k, int st,
                         const pq_value *v) {
    status[k] = (uint8_t)st;
    if (st != PQ_OK) return 1;
    store(fmt, out, k, v);
    return 0;
}

/* out[k] = a block's result x (an int64 value or the bits of a float) */
static inline void put_bits(pq_format fmt, void *out, size_t k, uint64_t x) {
    if (fmt.kind == PQ_KIND_FLOAT32) {
        uint32_t x32 = (uint32_t)x;
        memcpy((float *)out + k, &x32, sizeof x32);
    } else {
        memcpy((int64_t *)out + k, &x, sizeof x); /* int64 or double: 8 bytes */
    }
}

/* The block's inputs: elements k0 .. k0 + n - 1 of a's R, T, i, j, read in
 * place for a full block of unit strides, else copied, with valid inputs
 * up to the next multiple of 8 (the lanes run in whole groups). */
static void block_inputs(pq_block *b, const pq_columns *a, size_t k0, size_t n) {
    if (n == PQ_BLOCK && a->s_R == 1 && a->s_T == 1 && a->s_i == 1 && a->s_j == 1) {
        b->R = a->R + k0; /* read in place */
        b->T = a->T + k0;
        b->i = a->i + k0;
        b->j = a->j + k0;
    } else {
        for (size_t m = 0; m < n; m++) {
            size_t k = k0 + m;
            b->Rc[m] = a->R[k * a->s_R];
            b->Tc[m] = a->T[k * a->s_T];
            b->ic[m] = a->i[k * a->s_i];
            b->jc[m] = a->j[k * a->s_j];
        }
        for (size_t m = n; m < PQ_BLOCK && m % 8 != 0; m++) {
            b->Rc[m] = b->Tc[m] = 1;
            b->ic[m] = b->jc[m] = 0;
        }
        b->R = b->Rc;
        b->T = b->Tc;
        b->i = b->ic;
        b->j = b->jc;
    }
}

/* Elements k0 <= k < k0 + n (n <= PQ_BLOCK) with the same options p, valid:
 * stage 1 and its rounding for the whole block at once (the rounding of
 * int128 results per element here), then rbe_core for every element the
 * block did not decide. */
static size_t rbe_block(const pq_columns *a, size_t k0, size_t n, const pq_params *p,
                        const f123_plan *rp, pq_format fmt, void *out, uint8_t *status,
                        pq_block *b) {
    size_t bad = 0;
    block_inputs(b, a, k0, n);
    pq_block_stage1(b, n, p, fmt);
    uint64_t all = fmt.kind != PQ_KIND_INT128;
    for (size_t m = 0; m < n; m++) all &= b->x_ok[m];
    if (all) {
        /* the usual block: every result decided, copied as it is (int64
         * values or float bits); otherwise element by element below, so
         * that out[k] is written only when status[k] = PQ_OK */
        for (size_t m = 0; m < n; m++) put_bits(fmt, out, k0 + m, (uint64_t)b->x[m]);
        memset(status + k0, PQ_OK, n);
        return 0;
    }
    for (size_t m = 0; m < n; m++) {
        size_t k = k0 + m;
        pq_value v;
        int st = PQ_RETRY;
        if (fmt.kind != PQ_KIND_INT128) {
            if (b->x_ok[m]) {
                put_bits(fmt, out, k, (uint64_t)b->x[m]);
                status[k] = PQ_OK;
                continue;
            }
        } else if (b->ok[m]) {
            st = round_f123((int)b->neg[m], pq_u128(b->Fhi[m], b->Flo[m]),
                            PQ_FAST_ERR_F << pq_fast_err_shift, rp, fmt, &v);
        }
        if (st == PQ_RETRY) st = rbe_core(b->R[m], b->T[m], b->i[m], b->j[m], p, rp, fmt, &v);
        bad += put(fmt, out, status, k, st, &v);
    }
    return bad;
}

size_t pq_rbe_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt, void *out,
                    uint8_t *status) {
    size_t bad = 0;
    if (k1 <= k0) return 0;
    if (!a || !out || !status) return k1 - k0;
    int fmt_ok = pq_format_check(fmt) == PQ_OK;
    f123_plan rp = plan_f123(fmt);
    /* the usual call has scalar options: read and check them once */
    int same = !(a->s_eps | a->s_log2_c | a->s_d_r | a->s_rot | a->s_d_theta);
    pq_params p0 = {a->eps[0], a->log2_c[0], a->d_r[0], a->rot[0], a->d_theta[0]};
    int ok0 = fmt_ok && params_ok(&p0);
    if (same && ok0 && !pq_force_slow && pq_block_level() > 0) {
        pq_block b;
        for (size_t k = k0; k < k1; k += PQ_BLOCK) {
            size_t n = k1 - k < PQ_BLOCK ? k1 - k : PQ_BLOCK;
            bad += rbe_block(a, k, n, &p0, &rp, fmt, out, status, &b);
        }
        return bad;
    }
    for (size_t k = k0; k < k1; k++) {
        pq_params p = p0;
        int ok = ok0;
        if (!same) {
            p.eps = a->eps[k * a->s_eps];
            p.log2_c = a->log2_c[k * a->s_log2_c];
            p.d_r = a->d_r[k * a->s_d_r];
            p.rot = a->rot[k * a->s_rot];
            p.d_theta = a->d_theta[k * a->s_d_theta];
            ok = fmt_ok && params_ok(&p);
        }
        pq_value v;
        int st = PQ_EDOM;
        if (ok)
            st = rbe_core(a->R[k * a->s_R], a->T[k * a->s_T], a->i[k * a->s_i], a->j[k * a->s_j],
                          &p, &rp, fmt, &v);
        bad += put(fmt, out, status, k, st, &v);
    }
    return bad;
}

/* ---- rbe_pipeline ----------------------------------------------------- */
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
    if (!p || !out || !params_ok(p) || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
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

/* ---- rbe_seed64 ------------------------------------------------------- */
int pq_rbe_seed64(uint64_t word, uint32_t i, uint32_t j, uint64_t eps, pq_format fmt,
                  pq_value *out) {
    pq_seed64_fields f;
    pq_seed64_unpack(word, &f);
    if (f.basis != 0) return PQ_EDOM; /* only the sine basis is defined */
    pq_params p = {eps, f.log2_c, f.d_r, f.rot, f.d_theta};
    return pq_rbe((uint64_t)f.r << 44, (uint64_t)f.theta << 40, i, j, &p, fmt, out);
}

/* ---- testing: expose an approximation and its bound ------------------- */
int pq_debug_approx(int which, uint64_t x, int W, uint64_t eps, int log2_c, int d_r, int *neg,
                    limb *m, int64_t *e, uint64_t *err) {
    pq_approx a;
    pq_params p = {eps, log2_c, d_r, 0, 0};
    if (W < 1 || W > PQ_W_MAX || !params_ok(&p)) return PQ_EDOM;
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

/* ---- testing: stage 1's F through the scalar kernels or the block ----- */
int pq_debug_stage1(int level, size_t n, const uint64_t *R, const uint64_t *T, const uint32_t *i,
                    const uint32_t *j, const pq_params *p, uint64_t *Fhi, uint64_t *Flo,
                    uint8_t *flags) {
    if (!p || !params_ok(p)) return PQ_EDOM;
    if (level == 0) {
        for (size_t k = 0; k < n; k++) {
            uint64_t Tp = turn_prime(T[k], p);
            uint32_t H = pq_hash(i[k], j[k]);
            u128 F = 0;
            int neg = 0;
            int ok = (Tp << 2) != 0 && (H << 2) != 0 && stage1_f(R[k], Tp, H, p, &F, &neg);
            if (!ok) F = 0, neg = 0;
            Fhi[k] = (uint64_t)(F >> 64);
            Flo[k] = (uint64_t)F;
            flags[k] = (uint8_t)(neg | (ok << 1));
        }
        return PQ_OK;
    }
    int saved = pq_block_level();
    if (pq_debug_set_simd(level) != PQ_OK) return PQ_EDOM;
    pq_block b;
    pq_columns cols = {R, T, i, j, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    for (size_t k0 = 0; k0 < n; k0 += PQ_BLOCK) {
        size_t m = n - k0 < PQ_BLOCK ? n - k0 : PQ_BLOCK;
        block_inputs(&b, &cols, k0, m);
        pq_block_stage1(&b, m, p, (pq_format){PQ_KIND_INT64, 62});
        for (size_t k = 0; k < m; k++) {
            int ok = (int)b.ok[k];
            Fhi[k0 + k] = ok ? b.Fhi[k] : 0;
            Flo[k0 + k] = ok ? b.Flo[k] : 0;
            flags[k0 + k] = (uint8_t)(((int)b.neg[k] & ok) | (ok << 1));
        }
    }
    pq_debug_set_simd(saved);
    return PQ_OK;
}
