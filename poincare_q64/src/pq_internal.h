/*
 * pq_internal.h -- integer building blocks shared by the kernels.
 *
 * Two layers:
 *  - u128 helpers (inline): stage 1 and the 128-bit path work on unsigned __int128.
 *  - mpn: unsigned multi-word integers, little-endian arrays of 64-bit limbs,
 *    used for the exact rational paths and the rising-precision Ziv path.
 *
 * And the one representation every approximating step hands on:
 *  pq_approx: value = (-1)^neg * m * 2^e with |exact - value| <= err * 2^e,
 *  m normalised (top bit of its n limbs set).  err == 0 means m * 2^e is the
 *  exact value.  docs/spec.md derives each producer's err.
 */
#ifndef PQ_INTERNAL_H
#define PQ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "poincare_q64.h"

typedef unsigned __int128 u128;
typedef uint64_t limb;

#define PQ_RETRY (-1) /* internal: rounding not decided at this precision */

/* Working precisions of the Ziv loop, in limbs: the 128-bit path is 2 (128
 * bits); the multi-precision path climbs PQ_W_START, x2, ... up to PQ_W_MAX
 * (2048 bits), then reports PQ_EUNDECIDED. */
#define PQ_W_START 4
#define PQ_W_MAX 32
/* Scratch sizes: products of two W_MAX+1 numbers, plus shifts by <= 2 limbs. */
#define PQ_MPN_MAX (2 * PQ_W_MAX + 8)

/* ---- u128 --------------------------------------------------------------- */
static inline u128 pq_u128(limb hi, limb lo) { return ((u128)hi << 64) | lo; }

/* floor(a * b / 2^128), exact. */
static inline u128 pq_mulhi(u128 a, u128 b) {
    limb a0 = (limb)a, a1 = (limb)(a >> 64), b0 = (limb)b, b1 = (limb)(b >> 64);
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u128 mid = (p00 >> 64) + (limb)p01 + (limb)p10; /* < 3 * 2^64, no overflow */
    return p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

/* Full 256-bit product a*b as (hi, lo). */
static inline void pq_mul256(u128 a, u128 b, u128 *hi, u128 *lo) {
    limb a0 = (limb)a, a1 = (limb)(a >> 64), b0 = (limb)b, b1 = (limb)(b >> 64);
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u128 mid = (p00 >> 64) + (limb)p01 + (limb)p10;
    *lo = ((u128)(limb)mid << 64) | (limb)p00;
    *hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

static inline int pq_clz128(u128 x) { /* x != 0 */
    limb hi = (limb)(x >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((limb)x);
}

/* ---- mpn (little-endian limbs; n >= 1 unless stated) -------------------- */
void pq_mpn_zero(limb *r, int n);
void pq_mpn_copy(limb *r, const limb *a, int n);
int pq_mpn_normlen(const limb *a, int n);                   /* limbs without leading zeros (0 for zero) */
int64_t pq_mpn_bitlen(const limb *a, int n);                /* 0 for zero */
int pq_mpn_cmp(const limb *a, const limb *b, int n);        /* -1, 0, 1 */
limb pq_mpn_add(limb *r, const limb *a, const limb *b, int n); /* returns carry */
limb pq_mpn_sub(limb *r, const limb *a, const limb *b, int n); /* returns borrow */
limb pq_mpn_add_1(limb *r, const limb *a, int n, limb b);
limb pq_mpn_sub_1(limb *r, const limb *a, int n, limb b);
limb pq_mpn_mul_1(limb *r, const limb *a, int n, limb b);   /* returns high limb */
limb pq_mpn_divrem_1(limb *q, const limb *a, int n, limb d); /* returns remainder, d != 0 */
void pq_mpn_mul(limb *r, const limb *a, int an, const limb *b, int bn); /* r: an+bn limbs, no overlap */
/* r = a << s (any s >= 0); r has rn limbs, high bits that do not fit are lost. */
void pq_mpn_shl(limb *r, int rn, const limb *a, int an, int64_t s);
/* r = floor(a / 2^s); r has rn limbs. */
void pq_mpn_shr(limb *r, int rn, const limb *a, int an, int64_t s);
/* 1 if any of the low s bits of a is set. */
int pq_mpn_lowbits_nonzero(const limb *a, int an, int64_t s);
/* Division: q = floor(a / b), r = a mod b.  q has an - bn + 1 limbs, r has bn
 * limbs; b[bn-1] != 0; an >= bn; an <= PQ_MPN_MAX. */
void pq_mpn_divrem(limb *q, limb *r, const limb *a, int an, const limb *b, int bn);

/* ---- approximations and rounding ---------------------------------------- */
typedef struct pq_approx {
    int neg;    /* sign of the value */
    int zero;   /* exact zero (then m, e, err are unused) */
    int n;      /* limbs in m */
    int64_t e;  /* value = m * 2^e */
    uint64_t err; /* |exact - m 2^e| <= err 2^e; 0 = exact */
    limb m[PQ_W_MAX + 1];
} pq_approx;

int pq_format_check(pq_format fmt);
/* Round the exact rational (-1)^neg * num/den to fmt (num may be zero). */
int pq_round_ratio(int neg, const limb *num, int nn, const limb *den, int dn, pq_format fmt,
                   pq_value *out);
/* Round an approximation; PQ_RETRY if [v - err, v + err] straddles a
 * rounding boundary of fmt (Ziv's test), else PQ_OK / PQ_EOVERFLOW. */
int pq_round_approx(const pq_approx *a, pq_format fmt, pq_value *out);
/* num/den (num > 0 or zero) to W limbs, err <= 1 (0 when exact). */
void pq_ratio_approx(int neg, const limb *num, int nn, const limb *den, int dn, int W,
                     pq_approx *out);
/* a <- a * b, error bounds combined (docs/spec.md, "products"). */
void pq_approx_mul(pq_approx *a, const pq_approx *b);
/* Normalise: shift m so its top bit is set, scaling err with it. */
void pq_approx_normalize(pq_approx *a);
/* Exact value of a rational factor as num/den with num, den < 2^64. */
static inline int pq_round_small_ratio(int neg, uint64_t num, uint64_t den, pq_format fmt,
                                       pq_value *out) {
    limb n = num, d = den;
    return pq_round_ratio(neg, &n, 1, &d, 1, fmt, out);
}

/* ---- the accurate path (ziv.c) -------------------------------------------
 * f(ctx, W, out) approximates an irrational value to W limbs with a proven
 * err; pq_ziv rounds it at W = 2 (the 128-bit path), then W = 4, 8, 16, 32,
 * until Ziv's test decides, and reports PQ_EUNDECIDED past 2048 bits. */
typedef void (*pq_approx_fn)(const void *ctx, int W, pq_approx *out);
int pq_ziv(pq_approx_fn f, const void *ctx, pq_format fmt, pq_value *out);

/* ---- arguments ----------------------------------------------------------- */
static inline int pq_radial_ok(const pq_params *p) {
    return p->log2_c >= -4 && p->log2_c <= 3 && (p->d_r == 0 || p->d_r == 1);
}
static inline int pq_angle_ok(const pq_params *p) {
    return p->rot >= 0 && p->rot <= 15 && p->d_theta >= 0 && p->d_theta <= 3;
}
static inline int pq_params_ok(const pq_params *p) { return pq_radial_ok(p) && pq_angle_ok(p); }
/* T' = T + rot/16 turn + d_theta/4 turn: the derivative of order d_theta of
 * sin is sin shifted by d_theta quarter turns */
static inline uint64_t pq_turn_prime(uint64_t T, const pq_params *p) {
    return T + ((uint64_t)p->rot << 60) + ((uint64_t)p->d_theta << 62); /* mod 2^64 */
}

/* ---- stage 1: 64-bit table kernels (pq_fast.h) ---------------------------
 * Fixed-point results with constant absolute error bounds, derived in
 * docs/spec.md ("Stage 1"):
 *   pq_fast_sin     |sin(2 pi T/2^64)| * 2^127, T mod 2^62 != 0   err PQ_FAST_ERR_S
 *   pq_fast_phi     phi(H) * 2^126, H mod 2^30 != 0               err PQ_FAST_ERR_PHI
 *   pq_fast_radial  |g| * 2^126                                   err pq_fast_err_g(eps, d_r)
 *                   (G0 for eps = 0 and d_r = 0, else G1)
 *                   (PQ_RETRY if the Newton residual check fails)
 *   f = g s phi as mulhi3(mulhi3(G, S), PHI) * 2^-123            err PQ_FAST_ERR_F */
#define PQ_FAST_ERR_S (9ULL << 41)
#define PQ_FAST_ERR_PHI ((9ULL << 37) + 1)
#define PQ_FAST_ERR_G0 ((1ULL << 35) + (1ULL << 23))
#define PQ_FAST_ERR_G1 ((1ULL << 36) + (1ULL << 24))
#define PQ_FAST_ERR_F (3ULL << 40)
static inline uint64_t pq_fast_err_g(uint64_t eps, int d_r) {
    return (eps || d_r) ? PQ_FAST_ERR_G1 : PQ_FAST_ERR_G0;
}

/* ---- stage 1 on blocks (rbe_block.c) --------------------------------------
 * pq_rbe_range hands up to PQ_BLOCK elements to pq_block_stage1 in a
 * pq_block, with options the same for the block (p) or per element (p =
 * NULL: the block's E and opt, pq_block_options), which computes for each
 * what rbe's stage 1 computes
 * (F = |f| 2^123 as Fhi:Flo, neg, ok = Newton check passed and neither s
 * nor phi exact) and, for int64 results at frac, x = the rounded value
 * (for float64 and float32 results, x = the bits of the rounded value)
 * with x_ok = ok, Ziv's test passed and the result fits the format
 * (x_ok = 0 for int128 results: the caller rounds F itself).  It returns 0
 * (and writes nothing) when no SIMD code is available for this CPU. */
#define PQ_BLOCK 128
typedef struct pq_block {
    /* the inputs (T before rot and d_theta): the caller's arrays for a full
     * block of unit strides, else the copies below, valid up to a whole
     * group of lanes after n */
    const uint64_t *R, *T;
    const uint32_t *i, *j;
    uint64_t Rc[PQ_BLOCK], Tc[PQ_BLOCK];
    uint32_t ic[PQ_BLOCK], jc[PQ_BLOCK];
    /* the results: rbe's stage 1 (pq_block_stage1) or rbe_pipeline's
     * product (pq_block_factors) */
    uint64_t Fhi[PQ_BLOCK], Flo[PQ_BLOCK], neg[PQ_BLOCK], ok[PQ_BLOCK], x_ok[PQ_BLOCK];
    int64_t x[PQ_BLOCK];
    /* per-element options (pq_block_options): eps, and in one word what
     * the lanes need of the others (PQ_OPT_*) */
    uint64_t E[PQ_BLOCK], opt[PQ_BLOCK];
} pq_block;
/* opt: 4 - log2_c (1..8) in bits 0..3, d_r in bit 8, PQ_OPT_BAD when the
 * options are out of range (the element is PQ_EDOM; its lanes run on
 * valid stand-ins), and rot + 4 d_theta mod 16 in bits 60..63: the turn
 * offset rot 2^60 + d_theta 2^62 mod 2^64 as it is added to T */
#define PQ_OPT_DR_BIT 8
#define PQ_OPT_BAD (1ULL << 9)
#define PQ_OPT_TOFF (15ULL << 60)
int pq_block_stage1(pq_block *b, size_t n, const pq_params *p, pq_format fmt);
/* The block's rounding: for int64 results at bit s of F (59 <= s <= 123)
 * with mask = 2^s - 1 and half = 2^(s-1); for float64 and float32 with
 * maxlz = the largest normalising shift that keeps err below 2^63.
 * err = stage 1's bound. */
typedef struct pq_round_plan {
    uint64_t mask_hi, mask_lo, half_hi, half_lo, err, maxlz;
    uint64_t ebias; /* pq_lane_round_float's ebias for the block's scale of F */
    int kind, s;
} pq_round_plan;
/* The plan for a value F = |v| 2^scale with stage-1 bound err: int64 at
 * bit s = scale - frac, floats with ebias = bias + 126 - scale. */
void pq_round_plan_init(pq_round_plan *rp, pq_format fmt, int scale, uint64_t err);
/* The block's inputs: elements k0 .. k0 + n - 1 of a's R, T, i, j, read in
 * place for a full block of unit strides, else copied, with valid inputs up
 * to the next multiple of 8 (the lanes run in whole groups). */
void pq_block_inputs(pq_block *b, const pq_columns *a, size_t k0, size_t n);
/* The same for a's options, always copied into E and opt; returns 1 when
 * any element's options are out of range. */
int pq_block_options(pq_block *b, const pq_columns *a, size_t k0, size_t n);
/* The option words E and opt of n elements from contiguous columns (E may
 * be Eo itself): pq_params_ok's ranges as unsigned comparisons, without
 * branches, so that the loop vectorises (the lane files compile it for
 * their instruction set: pq_block_option_words_avx2 / _avx512); an
 * element out of range gets PQ_OPT_BAD with log2_c = 0, eps = 0 standing
 * in.  Returns nonzero when any element is out of range. */
static inline uint64_t pq_option_words(size_t n, const uint64_t *E, const int32_t *restrict lc,
                                       const int32_t *restrict dr, const int32_t *restrict rot,
                                       const int32_t *restrict dth, uint64_t *Eo,
                                       uint64_t *restrict opt) {
    uint64_t any_bad = 0;
    for (size_t m = 0; m < n; m++) {
        uint64_t lcs = (uint64_t)(4 - (int64_t)lc[m]); /* 1..8 when valid */
        uint64_t bad = (uint64_t)((lcs - 1 > 7) | ((uint32_t)dr[m] > 1) |
                                  ((uint32_t)rot[m] > 15) | ((uint32_t)dth[m] > 3));
        uint64_t keep = bad - 1; /* all ones for valid options */
        any_bad |= bad;
        Eo[m] = E[m] & keep;
        opt[m] = ((lcs | ((uint64_t)dr[m] << PQ_OPT_DR_BIT) |
                   (((uint64_t)rot[m] + 4 * (uint64_t)dth[m]) << 60)) & keep) |
                 ((4 | PQ_OPT_BAD) & ~keep); /* log2_c = 0 stands in */
    }
    return any_bad;
}
uint64_t pq_block_option_words_avx2(size_t n, const uint64_t *E, const int32_t *lc,
                                    const int32_t *dr, const int32_t *rot, const int32_t *dth,
                                    uint64_t *Eo, uint64_t *opt);
uint64_t pq_block_option_words_avx512(size_t n, const uint64_t *E, const int32_t *lc,
                                      const int32_t *dr, const int32_t *rot, const int32_t *dth,
                                      uint64_t *Eo, uint64_t *opt);
/* The options an element's opt and E stand for: the same T' = T + rot 2^60
 * + d_theta 2^62, with d_theta folded into rot. */
static inline pq_params pq_block_params(const pq_block *b, size_t m) {
    uint64_t o = b->opt[m];
    pq_params q = {b->E[m], 4 - (int32_t)(o & 15), (int32_t)((o >> PQ_OPT_DR_BIT) & 1),
                   (int32_t)(o >> 60), 0};
    return q;
}
/* the lane code (rbe_block_avx2.c, rbe_block_avx512.c): n rounded up to
 * whole groups of lanes, so the block must hold valid inputs up to there */
void pq_block_stage1_avx2(pq_block *b, size_t n, const pq_params *p, const pq_round_plan *rp);
void pq_block_stage1_avx512(pq_block *b, size_t n, const pq_params *p, const pq_round_plan *rp);
/* rbe_seed64's stage 1 for a block of seed words at eps = 0
 * (pq_rbe_seed64_range): the words as the block's R column (read in place
 * or copied by pq_block_inputs), i and j; T, E and opt are not read.  Sets
 * what pq_block_stage1 sets, the same words as for the words' R, T and
 * options, through the short kernels (pq_fast_seed_g, pq_fast_sin40_w),
 * with ok = x_ok = 0 for basis != 0.  Returns 0 (and writes nothing) when
 * no SIMD code is available. */
int pq_block_seed64(pq_block *b, size_t n, pq_format fmt);
void pq_block_seed64_lanes4(pq_block *b, size_t n, const pq_round_plan *rp);
void pq_block_seed64_lanes8(pq_block *b, size_t n, const pq_round_plan *rp);
/* rbe_pipeline for a block with the same options p, valid, or (p = NULL)
 * options per element (pq_block_options), as pq_block_stage1 is rbe:
 * |g|, |s| and phi correctly rounded to Q64 from the scalar stage 1's
 * values (pq_fast_radial, pq_fast_sin, pq_fast_phi) with Ziv's test on
 * their bounds, then P1 and P2 as pq_rbe_pipeline forms them, exactly:
 * F = Fhi:Flo = P2 (|f| 2^64, < 2^67), neg its sign and ok = the Newton
 * check passed, neither s nor phi is exact and the three tests passed
 * (else the caller computes the element itself); and x, x_ok as
 * pq_block_stage1 sets them, P2 / 2^64 rounded to fmt with no error bound
 * (ties to even; x_ok = 0 for int128, a result that does not fit, and
 * P2 < 8 for floats: the caller rounds P2 itself).
 * Returns 0 (and writes nothing) when no SIMD code is available. */
int pq_block_factors(pq_block *b, size_t n, const pq_params *p, pq_format fmt);
void pq_block_factors_avx2(pq_block *b, size_t n, const pq_params *p, const pq_round_plan *rp);
void pq_block_factors_avx512(pq_block *b, size_t n, const pq_params *p, const pq_round_plan *rp);
/* radial, angular or modulation (PQ_ONE_*) for a block with options per
 * element (pq_block_options): the function's stage-1 word (|g| 2^126,
 * |s| 2^127 or phi 2^126) and its rounding to fmt (int64, float64,
 * float32) in the lanes, with x and x_ok as pq_block_stage1 sets them; an
 * element with x_ok = 0 is left to the scalar kernel.  Returns 0 (and
 * writes nothing) when no SIMD code is available or fmt is int128. */
#define PQ_ONE_RADIAL 0
#define PQ_ONE_ANGULAR 1
#define PQ_ONE_MODULATION 2
int pq_block_one(pq_block *b, size_t n, int which, pq_format fmt);
void pq_block_one_avx2(pq_block *b, size_t n, int which, const pq_round_plan *rp);
void pq_block_one_avx512(pq_block *b, size_t n, int which, const pq_round_plan *rp);
/* radial, angular or modulation for elements k0 <= k < k1, as pq_rbe_range
 * is rbe (one_block.c): R, T or i and j from a's columns with each
 * element's options. */
size_t pq_one_range(int which, const pq_columns *a, size_t k0, size_t k1, pq_format fmt,
                    void *out, uint8_t *status);
/* 0 none, 1 AVX2, 2 AVX-512: the SIMD code pq_block_stage1 runs, chosen
 * from the CPU on first use */
int pq_block_level(void);

/* Element k's options from a's columns (signed index: a negative stride
 * reads backwards from the base). */
static inline pq_params pq_columns_params(const pq_columns *a, size_t k) {
    ptrdiff_t s = (ptrdiff_t)k;
    pq_params p = {a->eps[s * a->s_eps], a->log2_c[s * a->s_log2_c], a->d_r[s * a->s_d_r],
                   a->rot[s * a->s_rot], a->d_theta[s * a->s_d_theta]};
    return p;
}

/* The array loops' stores: out[k] = v, out an array of fmt's C type
 * (int64_t, pq_int128, double, float) ... */
static inline void pq_store_value(pq_format fmt, void *out, size_t k, const pq_value *v) {
    switch (fmt.kind) {
    case PQ_KIND_INT64: ((int64_t *)out)[k] = v->i64; break;
    case PQ_KIND_INT128: ((pq_int128 *)out)[k] = v->i128; break;
    case PQ_KIND_FLOAT64: ((double *)out)[k] = v->f64; break;
    default: ((float *)out)[k] = v->f32; break;
    }
}
/* status[k] = st and, on success, out[k] = v; 1 for an error */
static inline size_t pq_store_result(pq_format fmt, void *out, uint8_t *status, size_t k, int st,
                                     const pq_value *v) {
    status[k] = (uint8_t)st;
    if (st != PQ_OK) return 1;
    pq_store_value(fmt, out, k, v);
    return 0;
}
/* ... and out[k] = a block's result x (an int64 value or the bits of a
 * float; not int128) */
static inline void pq_store_bits(pq_format fmt, void *out, size_t k, uint64_t x) {
    if (fmt.kind == PQ_KIND_FLOAT32) {
        uint32_t x32 = (uint32_t)x;
        memcpy((float *)out + k, &x32, sizeof x32);
    } else {
        memcpy((int64_t *)out + k, &x, sizeof x); /* int64 or double: 8 bytes */
    }
}

/* The usual block: when ok and the lanes decided every one of its n
 * results (x_ok), they are stored as they are (int64 values or float
 * bits) at k0 .. k0 + n - 1 with status PQ_OK, and 1 is returned; else
 * nothing is written (the caller goes element by element, so that out[k]
 * is written only when status[k] = PQ_OK). */
static inline int pq_block_store_decided(const pq_block *b, size_t n, int ok, pq_format fmt,
                                         void *out, uint8_t *status, size_t k0) {
    uint64_t all = ok != 0;
    for (size_t m = 0; m < n; m++) all &= b->x_ok[m];
    if (!all) return 0;
    for (size_t m = 0; m < n; m++) pq_store_bits(fmt, out, k0 + m, (uint64_t)b->x[m]);
    memset(status + k0, PQ_OK, n);
    return 1;
}

/* rbe_seed64 for elements k0 <= k < k1, as pq_rbe_range is rbe: the seed
 * word of element k is a->R[k * s_R], its i, j and eps from a's columns
 * (T and the other options are not read); status and out as pq_rbe_range. */
size_t pq_rbe_seed64_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt, void *out,
                           uint8_t *status);

/* rbe_pipeline for elements k0 <= k < k1, as pq_rbe_range is rbe. */
size_t pq_rbe_pipeline_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt,
                             void *out, uint8_t *status);

/* ---- kernels used across files ------------------------------------------ */
/* g as an exact ratio: num/den with sign; sizes written to *nn, *dn. */
#define PQ_RADIAL_LIMBS 12
void pq_radial_ratio(uint64_t R, const pq_params *p, int *neg, limb *num, int *nn, limb *den,
                     int *dn);
/* g to W limbs (W >= 2), err <= 1. */
void pq_radial_approx(uint64_t R, const pq_params *p, int W, pq_approx *out);

/* sin(2 pi T / 2^64) for T with T mod 2^62 != 0 (irrational): W == 2 is the
 * table path, W > 2 the multi-precision series. */
void pq_sin_turn(uint64_t T, int W, pq_approx *out);
/* phi for H with H mod 2^30 != 0 (modulation.c). */
void pq_phi_approx(uint32_t H, int W, pq_approx *out);
/* Exact value of a quarter-turn sine, T mod 2^62 == 0: -1, 0 or 1. */
static inline int pq_sin_quarter(uint64_t T) {
    static const int v[4] = {0, 1, 0, -1};
    return v[T >> 62];
}
/* phi at H mod 2^30 == 0 is 1 + sin(2 pi H/2^32)/10 with the sine 0, 1, 0
 * or -1: this returns its numerator over 10 (10, 11, 10, 9). */
static inline uint64_t pq_phi_exact_num(uint32_t H) {
    return (uint64_t)(10 + pq_sin_quarter((uint64_t)H << 32));
}

#endif /* PQ_INTERNAL_H */
