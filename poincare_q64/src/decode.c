/*
 * decode.c -- matrix decode: W_hat[i, j] = rbe(R, T, i, j, ...) for every
 * (i, j) of an m x n grid, bit-identical to pq_rbe (poincare_q64.h:
 * pq_decoder_init, pq_decoder_init_seed64, pq_decode_rows,
 * pq_decode_matrix, pq_decode_seed64, pq_phi_table_fill).
 *
 * Contract.  Inputs: one seed (R, T and the options of pq_params, or a
 * seed64 word and eps), a row range [row0, row1) of a grid with n_cols
 * columns, an output format, optionally a phi table.  Output: element
 * (i, j) is pq_rbe's result for the same arguments, in every format
 * (rounded once from the exact value, ties to even), written at row i of
 * out with the caller's row stride.  Every element is computed
 * independently, so any split of the rows (threads) gives the same bits.
 * Errors: PQ_EDOM (bad arguments, checked before any work; nothing
 * written), PQ_EOVERFLOW (an int result does not fit; *first_bad = the
 * row-major index i n_cols + j of the first such element of the range),
 * PQ_EUNDECIDED (never observed; reported like an overflow).
 *
 * How (docs/spec.md, "Matrix decode"):
 *  1. Per seed, once, after the arguments are checked: the exact cases.
 *     s = 0 (a quarter turn with sin 0) or g = 0 makes every element 0
 *     (+0.0 for floats).  Otherwise A = |g s| on the 128-bit path:
 *     g as its exact ratio to 128 bits (err <= 1) times s (the 128-bit
 *     sine, err <= 10, or exactly +-1 at a quarter turn), normalised,
 *     A = mA 2^eA with |A - mA 2^eA| <= errA 2^eA, errA <= 25.
 *  2. Per element: PHI = phi(H(i, j)) 2^126 from stage 1 (pq_fast_phi_w,
 *     within PQ_FAST_ERR_PHI) or from a phi table, then
 *     P = mulhi3(mA, PHI), so that |f| = P 2^(eA + 2) within
 *     err_P = PQ_FAST_ERR_PHI + errA + 5 units (spec), and Ziv's test at
 *     the format's rounding bit.
 *  3. An element whose test fails, whose phi is exact (H mod 2^30 = 0),
 *     whose float result would be subnormal or whose int result would not
 *     fit goes through pq_rbe itself, which decides it (or reports the
 *     overflow).  So the fast path changes which code computes a result,
 *     never the result.
 * The per-element step runs in SIMD lanes (AVX-512 / AVX2, decode_lanes.h
 * included by decode_avx2.c and decode_avx512.c, chosen by
 * pq_block_level()) on the same integers as the scalar code below; on a
 * CPU with AVX-512 IFMA (decode_ifma.c) the product and the test take the
 * IFMA form of pq_decode.h instead (Q of 52-bit limbs within errq, its
 * own bound in docs/spec.md): a different integer, the same decisions
 * wherever it decides, pq_rbe for the rest.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_decode.h"
#include "pq_fast.h"
#include "pq_hash.h"
#include "pq_round.h"
#include "pq_testing.h"

#define DECODER_MAGIC 0x70716465636f6465ULL /* "pqdecode" */

_Static_assert(sizeof(pq_decode_plan) <= sizeof(pq_decoder), "pq_decoder too small");

/* s = +-1 as a pq_approx at 2 limbs: exactly 2^127 2^-127 */
static void unit_128(int neg, pq_approx *a) {
    a->m[0] = 0;
    a->m[1] = 1ULL << 63;
    a->n = 2;
    a->e = -127;
    a->neg = neg;
    a->zero = 0;
    a->err = 0;
}

static void plan_zero(pq_decode_plan *pl) { pl->mode = PQ_DECODE_ZERO; }

static int plan_init(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt,
                     pq_decode_plan *pl) {
    /* arguments first: nothing below runs for a bad call */
    if (!p || !pl || !pq_params_ok(p) || pq_format_check(fmt) != PQ_OK) return PQ_EDOM;
    memset(pl, 0, sizeof *pl);
    pl->magic = DECODER_MAGIC;
    pl->R = R;
    pl->T = T;
    pl->p = *p;
    pl->fmt = fmt;
    if (pq_force_slow) { /* test switch: every element through pq_rbe */
        pl->mode = PQ_DECODE_SLOW;
        return PQ_OK;
    }
    uint64_t Tp = pq_turn_prime(T, p);
    int s_exact = (Tp << 2) == 0;
    if (s_exact && pq_sin_quarter(Tp) == 0) { /* s = 0: f = 0 everywhere */
        plan_zero(pl);
        return PQ_OK;
    }
    pq_approx a, s;
    pq_radial_approx(R, p, 2, &a);
    if (a.zero) { /* g = 0 (R = 0, d_r = 0) */
        plan_zero(pl);
        return PQ_OK;
    }
    if (s_exact)
        unit_128(pq_sin_quarter(Tp) < 0, &s);
    else
        pq_sin_turn(Tp, 2, &s);
    pq_approx_mul(&a, &s); /* A = |g s| = mA 2^eA within errA 2^eA */
    pl->neg = a.neg;
    pl->A_hi = a.m[1];
    pl->A_lo = a.m[0];
    pl->e = a.e + 2; /* |f| = (mA PHI / 2^128) 2^(eA + 2) */
    pl->err = (PQ_FAST_ERR_PHI << pq_fast_err_shift) + a.err + 5;
    pl->mode = PQ_DECODE_FAST;
    if (fmt.kind == PQ_KIND_INT64 || fmt.kind == PQ_KIND_INT128) {
        int64_t sb = -(pl->e + fmt.frac);
        if (sb >= 128) {
            /* P + err_P < 2^127 <= 2^(sb-1): every |f| 2^frac < 1/2, all 0 */
            plan_zero(pl);
            return PQ_OK;
        }
        if (sb < 1) { /* not reachable (|f| < 2.2); the general code decides */
            pl->mode = PQ_DECODE_SLOW;
            return PQ_OK;
        }
        pl->s = (int32_t)sb;
    } else {
        int p_bits = fmt.kind == PQ_KIND_FLOAT64 ? 53 : 24;
        int64_t emin = fmt.kind == PQ_KIND_FLOAT64 ? -1022 : -126;
        /* a normalising shift lz > maxlz would push err past 63 bits, or the
         * leading bit (exponent e + 127 - lz) below the smallest normal:
         * such elements go to pq_rbe (pq_round_u128 leaves them too) */
        int64_t maxlz = __builtin_clzll(pl->err) - 1;
        int64_t lz_norm = pl->e + 127 - emin;
        pl->maxlz = maxlz < lz_norm ? maxlz : lz_norm;
        pl->s = 128 - p_bits;
    }
    return PQ_OK;
}

int pq_decoder_init(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt, pq_decoder *dec) {
    pq_decode_plan pl;
    if (!dec) return PQ_EDOM;
    int st = plan_init(R, T, p, fmt, &pl);
    if (st != PQ_OK) return st;
    memset(dec, 0, sizeof *dec);
    memcpy(dec, &pl, sizeof pl);
    return PQ_OK;
}

static int seed64_params(uint64_t word, uint64_t eps, uint64_t *R, uint64_t *T, pq_params *p) {
    pq_seed64_fields f;
    pq_seed64_unpack(word, &f);
    if (f.basis != 0) return PQ_EDOM; /* only the sine basis is defined */
    *R = (uint64_t)f.r << 44;
    *T = (uint64_t)f.theta << 40;
    p->eps = eps;
    p->log2_c = f.log2_c;
    p->d_r = f.d_r;
    p->rot = f.rot;
    p->d_theta = f.d_theta;
    return PQ_OK;
}

int pq_decoder_init_seed64(uint64_t word, uint64_t eps, pq_format fmt, pq_decoder *dec) {
    uint64_t R, T;
    pq_params p;
    if (seed64_params(word, eps, &R, &T, &p) != PQ_OK) return PQ_EDOM;
    return pq_decoder_init(R, T, &p, fmt, dec);
}

/* ---- the rows ------------------------------------------------------------ */
static inline void store_value(pq_format fmt, void *row, uint32_t j, const pq_value *v) {
    switch (fmt.kind) {
    case PQ_KIND_INT64: ((int64_t *)row)[j] = v->i64; break;
    case PQ_KIND_INT128: ((pq_int128 *)row)[j] = v->i128; break;
    case PQ_KIND_FLOAT64: ((double *)row)[j] = v->f64; break;
    default: ((float *)row)[j] = v->f32; break;
    }
}

static inline size_t elem_size(int kind) {
    switch (kind) {
    case PQ_KIND_INT64: return sizeof(int64_t);
    case PQ_KIND_INT128: return sizeof(pq_int128);
    case PQ_KIND_FLOAT64: return sizeof(double);
    default: return sizeof(float);
    }
}

/* Stage 1's phi 2^126 of H, or PQ_PHI_EXACT for the exact cases. */
static inline void phi_of(uint32_t H, uint64_t *hi, uint64_t *lo) {
    if ((H << 2) == 0) {
        *hi = PQ_PHI_EXACT;
        *lo = 0;
        return;
    }
    pq_w w = pq_fast_phi_w((uint64_t)H);
    *hi = w.hi;
    *lo = w.lo;
}

/* The fast path of one element: 1 and *v set when decided, 0 when the
 * element must go to pq_rbe. */
static inline int decide(const pq_decode_plan *pl, u128 mA, u128 half, uint64_t phi_hi,
                         uint64_t phi_lo, int kind, pq_value *v) {
    if (phi_hi == PQ_PHI_EXACT) return 0;
    pq_w P = w_mulhi3(w_make((uint64_t)(mA >> 64), (uint64_t)mA), w_make(phi_hi, phi_lo));
    u128 F = ((u128)P.hi << 64) | P.lo;
    if (kind == PQ_KIND_INT64 || kind == PQ_KIND_INT128) {
        u128 x;
        if (!ziv_round(F, pl->s, half, pl->err, &x)) return 0;
        /* an overflow is left to pq_rbe, which reports it */
        return emit_fixed128(pl->neg, x, pl->fmt, v) == PQ_OK;
    }
    const pq_format f64 = {PQ_KIND_FLOAT64, 0}, f32 = {PQ_KIND_FLOAT32, 0};
    return pq_round_u128(pl->neg, F, pl->e, pl->err, kind == PQ_KIND_FLOAT64 ? f64 : f32, v) ==
           PQ_OK;
}

/* Element (i, j) through pq_rbe; on an error, *first_bad. */
static inline int slow_elem(const pq_decode_plan *pl, uint32_t i, uint32_t j, uint32_t n_cols,
                            void *row, uint64_t *first_bad) {
    pq_value v;
    int st = pq_rbe(pl->R, pl->T, i, j, &pl->p, pl->fmt, &v);
    if (st != PQ_OK) {
        *first_bad = (uint64_t)i * n_cols + j;
        return st;
    }
    store_value(pl->fmt, row, j, &v);
    return PQ_OK;
}

/* One row, columns [0, n_cols), fast mode, scalar code. */
static inline int row_fast(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols,
                           const uint64_t *phi_hi, const uint64_t *phi_lo, int kind, void *row,
                           uint64_t *first_bad, uint64_t *fallbacks) {
    u128 mA = ((u128)pl->A_hi << 64) | pl->A_lo;
    u128 half = kind <= PQ_KIND_INT128 ? (u128)1 << (pl->s - 1) : 0;
    for (uint32_t j = 0; j < n_cols; j++) {
        uint64_t hi, lo;
        pq_value v;
        if (phi_hi) {
            hi = phi_hi[j];
            lo = phi_lo[j];
        } else {
            phi_of(pq_hash(i, j), &hi, &lo);
        }
        if (decide(pl, mA, half, hi, lo, kind, &v)) {
            store_value(pl->fmt, row, j, &v);
            continue;
        }
        ++*fallbacks;
        int st = slow_elem(pl, i, j, n_cols, row, first_bad);
        if (st != PQ_OK) return st;
    }
    return PQ_OK;
}

int pq_decode_rows_counted(const pq_decoder *dec, uint32_t n_cols, uint32_t row0, uint32_t row1,
                           const pq_phi_table *phi, void *out, ptrdiff_t out_row_stride,
                           uint64_t *first_bad, uint64_t *fallbacks) {
    pq_decode_plan pl;
    uint64_t fb_dummy, count = 0;
    if (!dec || !out || n_cols == 0) return PQ_EDOM;
    memcpy(&pl, dec, sizeof pl);
    if (pl.magic != DECODER_MAGIC || pq_format_check(pl.fmt) != PQ_OK || !pq_params_ok(&pl.p))
        return PQ_EDOM;
    if (phi && (!phi->hi || !phi->lo || phi->n_cols < n_cols || phi->n_rows < row1))
        return PQ_EDOM;
    if (!first_bad) first_bad = &fb_dummy;
    int st = PQ_OK;
    size_t es = elem_size(pl.fmt.kind);
    for (uint32_t i = row0; i < row1 && st == PQ_OK; i++) {
        void *row = (char *)out + (ptrdiff_t)i * out_row_stride * (ptrdiff_t)es;
        if (pl.mode == PQ_DECODE_ZERO) {
            memset(row, 0, (size_t)n_cols * es); /* int 0 and +0.0 are all-zero bits */
            continue;
        }
        if (pl.mode == PQ_DECODE_SLOW) {
            for (uint32_t j = 0; j < n_cols && st == PQ_OK; j++)
                st = slow_elem(&pl, i, j, n_cols, row, first_bad);
            count += n_cols;
            continue;
        }
        const uint64_t *ph = phi ? phi->hi + (size_t)i * phi->n_cols : NULL;
        const uint64_t *pl_ = phi ? phi->lo + (size_t)i * phi->n_cols : NULL;
        if (pq_decode_lanes(&pl, i, n_cols, ph, pl_, row, first_bad, &count, &st)) continue;
        switch (pl.fmt.kind) {
        case PQ_KIND_INT64:
            st = row_fast(&pl, i, n_cols, ph, pl_, PQ_KIND_INT64, row, first_bad, &count);
            break;
        case PQ_KIND_INT128:
            st = row_fast(&pl, i, n_cols, ph, pl_, PQ_KIND_INT128, row, first_bad, &count);
            break;
        case PQ_KIND_FLOAT64:
            st = row_fast(&pl, i, n_cols, ph, pl_, PQ_KIND_FLOAT64, row, first_bad, &count);
            break;
        default:
            st = row_fast(&pl, i, n_cols, ph, pl_, PQ_KIND_FLOAT32, row, first_bad, &count);
            break;
        }
    }
    if (fallbacks) *fallbacks = count;
    return st;
}

/* The lanes' undecided elements: pq_rbe for each (shared with the lane files
 * through pq_decode.h so that they stay free of the scalar path). */
int pq_decode_fallback(const pq_decode_plan *pl, uint32_t i, uint32_t j, uint32_t n_cols,
                       void *row, uint64_t *first_bad) {
    return slow_elem(pl, i, j, n_cols, row, first_bad);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PQ_NO_SIMD)
#define PQ_DECODE_SIMD 1
#else
#define PQ_DECODE_SIMD 0
#endif

/* ---- the IFMA form of the product ---------------------------------------- */
#define M52 ((1ULL << 52) - 1)

int pq_decode_ifma_consts(const pq_decode_plan *pl, pq_decode_ifma *k) {
    int kind = pl->fmt.kind, c;
    if (pl->mode != PQ_DECODE_FAST) return 0;
    if (kind == PQ_KIND_INT64) {
        /* the rounding bit s of P is bit F = s + 1 - c of Q; c >= 24 keeps
         * A_l below 2^104, F <= 52 keeps it in Q's low word */
        int F = pl->s - 23 < 52 ? pl->s - 23 : 52;
        if (F < 20) return 0;
        c = pl->s + 1 - F;
        k->F = F;
        k->scale = -(int64_t)(pl->fmt.frac + F);
    } else if (kind == PQ_KIND_FLOAT64 || kind == PQ_KIND_FLOAT32) {
        /* A_l in [2^103, 2^104) (float64) or [2^75, 2^76) (float32): Q's
         * leading bit L is 101..103 or 73..75, so F = L - (p - 1) is 49..51
         * or 50..52; the smallest value 2^(scale + L) must be normal */
        int f64 = kind == PQ_KIND_FLOAT64;
        c = f64 ? 24 : 52;
        k->F = 0;
        k->scale = pl->e + c - 1;
        if (k->scale + (f64 ? 101 : 73) < (f64 ? -1022 : -126)) return 0;
    } else {
        return 0;
    }
    u128 Al = (((u128)pl->A_hi << 64) | pl->A_lo) >> c;
    k->c = c;
    k->a1 = (uint64_t)(Al >> 52);
    k->a0 = (uint64_t)Al & M52;
    /* |V - Q| < 3 + 0.55 (errA / 2^c + 1) + E_phi / 2^23 + 1, and
     * errA / 2^c + E_phi / 2^23 <= err / 2^23 (c > 23, errA + E_phi <= err) */
    k->errq = (pl->err >> 23) + 6;
    /* the test needs errq well inside half a unit: int64 at bit F; the
     * floats scale it by 2^(64 - Fmin) <= 2^15 and need that below 2^61 */
    if (kind == PQ_KIND_INT64 && 2 * k->errq >= 1ULL << (k->F - 1)) return 0;
    if (kind != PQ_KIND_INT64 && k->errq >= 1ULL << 46) return 0;
    return 1;
}

u128 pq_decode_ifma_q(const pq_decode_ifma *k, uint64_t phi_hi, uint64_t phi_lo) {
    uint64_t p1 = phi_hi >> 11, p0 = ((phi_hi << 41) | (phi_lo >> 23)) & M52;
    u128 a1p1 = (u128)k->a1 * p1;
    uint64_t al = ((uint64_t)a1p1 & M52) + (uint64_t)(((u128)k->a1 * p0) >> 52) +
                  (uint64_t)(((u128)k->a0 * p1) >> 52);
    return ((a1p1 >> 52) << 52) + al;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PQ_NO_SIMD)
static int ifma_allowed = 1; /* the test switch; relaxed atomics */
static int ifma_cpu = -1;    /* -1 = not probed yet */

int pq_decode_ifma_cpu(void) {
    int c = __atomic_load_n(&ifma_cpu, __ATOMIC_RELAXED);
    if (c < 0) {
        __builtin_cpu_init();
        c = pq_block_cpu_level() == 2 && __builtin_cpu_supports("avx512ifma") &&
            __builtin_cpu_supports("avx512cd");
        __atomic_store_n(&ifma_cpu, c, __ATOMIC_RELAXED); /* same value from any thread */
    }
    return c;
}
void pq_decode_ifma_allow(int on) { __atomic_store_n(&ifma_allowed, on != 0, __ATOMIC_RELAXED); }
int pq_decode_ifma_on(void) {
    return pq_block_level() == 2 && __atomic_load_n(&ifma_allowed, __ATOMIC_RELAXED) &&
           pq_decode_ifma_cpu();
}
#else
int pq_decode_ifma_cpu(void) { return 0; }
void pq_decode_ifma_allow(int on) { (void)on; }
int pq_decode_ifma_on(void) { return 0; }
#endif

int pq_decode_lanes(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols, const uint64_t *phi_hi,
                    const uint64_t *phi_lo, void *row, uint64_t *first_bad, uint64_t *fallbacks,
                    int *st) {
#if PQ_DECODE_SIMD
    /* int128 results are rounded by the scalar loop; a float plan whose
     * every normalising shift is out of range has nothing for the lanes */
    if (pl->fmt.kind == PQ_KIND_INT128) return 0;
    if (pl->fmt.kind != PQ_KIND_INT64 && pl->maxlz < 0) return 0;
    int level = pq_block_level();
    if (level == 2 && pq_decode_ifma_on())
        *st = pq_decode_row_ifma(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks);
    else if (level == 2)
        *st = pq_decode_row_avx512(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks);
    else if (level == 1)
        *st = pq_decode_row_avx2(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks);
    else
        return 0;
    return 1;
#else
    (void)pl, (void)i, (void)n_cols, (void)phi_hi, (void)phi_lo, (void)row, (void)first_bad;
    (void)fallbacks, (void)st;
    return 0;
#endif
}

int pq_decode_rows(const pq_decoder *dec, uint32_t n_cols, uint32_t row0, uint32_t row1,
                   const pq_phi_table *phi, void *out, ptrdiff_t out_row_stride,
                   uint64_t *first_bad) {
    return pq_decode_rows_counted(dec, n_cols, row0, row1, phi, out, out_row_stride, first_bad,
                                  NULL);
}

int pq_decode_matrix(uint64_t R, uint64_t T, const pq_params *p, uint32_t n_cols, uint32_t row0,
                     uint32_t row1, const pq_phi_table *phi, pq_format fmt, void *out,
                     ptrdiff_t out_row_stride, uint64_t *first_bad) {
    pq_decoder dec;
    int st = pq_decoder_init(R, T, p, fmt, &dec);
    if (st != PQ_OK) return st;
    return pq_decode_rows(&dec, n_cols, row0, row1, phi, out, out_row_stride, first_bad);
}

int pq_decode_seed64(uint64_t word, uint64_t eps, uint32_t n_cols, uint32_t row0, uint32_t row1,
                     const pq_phi_table *phi, pq_format fmt, void *out, ptrdiff_t out_row_stride,
                     uint64_t *first_bad) {
    pq_decoder dec;
    int st = pq_decoder_init_seed64(word, eps, fmt, &dec);
    if (st != PQ_OK) return st;
    return pq_decode_rows(&dec, n_cols, row0, row1, phi, out, out_row_stride, first_bad);
}

/* 1 when no element of the seed's matrix can overflow int64 at frac:
 * every |f| 2^frac <= (P + err) 2^-s (the plan's bound) with
 * P <= mA PHI / 2^128 < (A_hi + 1) PHI_max, PHI < 0x4666666666666668 2^64
 * (phi <= 11/10, PHI within E_phi < 2^64 of phi 2^126); so a sum below
 * (2^63 - 1) 2^s leaves every rounded result below 2^63.  0 when the plan
 * cannot tell (or the arguments are bad: the decode reports them). */
int pq_decode_int64_bounded(uint64_t R, uint64_t T, const pq_params *p, int frac) {
    pq_decoder dec;
    pq_decode_plan pl;
    if (pq_decoder_init(R, T, p, (pq_format){PQ_KIND_INT64, frac}, &dec) != PQ_OK) return 0;
    memcpy(&pl, &dec, sizeof pl);
    if (pl.mode == PQ_DECODE_ZERO) return 1;
    if (pl.mode != PQ_DECODE_FAST || pl.s < 1) return 0;
    if (pl.s >= 66) return 1; /* (2^63 - 1) 2^s > 2^128 > Pmax + err */
    u128 Pmax = ((u128)pl.A_hi + 1) * 0x4666666666666668ULL; /* widened first: A_hi + 1 can be 2^64 */
    return Pmax + pl.err < (((u128)1 << 63) - 1) << pl.s;
}

/* ---- the phi table ------------------------------------------------------- */
int pq_phi_table_fill(uint64_t *hi, uint64_t *lo, uint32_t n_cols, uint32_t row0, uint32_t row1) {
    if (!hi || !lo || n_cols == 0) return PQ_EDOM;
    for (uint32_t i = row0; i < row1; i++) {
        size_t k = (size_t)i * n_cols;
#if PQ_DECODE_SIMD
        /* the lanes compute the same words as phi_of */
        int level = pq_block_level();
        if (level == 2) {
            pq_phi_fill_row_avx512(hi + k, lo + k, n_cols, i);
            continue;
        }
        if (level == 1) {
            pq_phi_fill_row_avx2(hi + k, lo + k, n_cols, i);
            continue;
        }
#endif
        for (uint32_t j = 0; j < n_cols; j++) phi_of(pq_hash(i, j), &hi[k + j], &lo[k + j]);
    }
    return PQ_OK;
}
