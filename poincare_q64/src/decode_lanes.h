/*
 * decode_lanes.h -- one row of the matrix decoder in PQ_LANES-wide lanes.
 * Included by decode_avx2.c, decode_avx512.c and decode_ifma.c, each after
 * its `#pragma GCC target` and with PQ_LANES and PQ_DECODE_FN defined (and
 * PQ_PHI_FILL_FN for a phi table's rows, PQ_DECODE_IFMA for the IFMA
 * form of the product); the dispatch is pq_decode_lanes (decode.c).
 *
 * Per element the lanes compute what decode.c's scalar `decide` computes,
 * with the exact operations of pq_w.h (so the same integers): PHI from
 * stage 1 (pq_fast_phi_w) or the phi table, P = mulhi3(mA, PHI), and
 * Ziv's test at the plan's bit, as pq_block_lanes.h does for rbe's blocks
 * (int64 at bit s with the int64 range check; float64 / float32 after
 * normalising by lz = clz(P), lanes with lz > maxlz left out, the bits of
 * the normal result assembled directly).  Every element they do not decide
 * goes to pq_rbe through pq_decode_fallback.  With PQ_DECODE_IFMA the
 * product and the test are the IFMA form instead (dl_row_ifma: a different
 * integer Q with its own bound, pq_decode.h), for every plan that has one.
 * Scratch: a few arrays of PQ_DECODE_CHUNK words on the stack.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_decode.h"
#include "pq_fast.h"
#include "pq_hash.h"
#include "pq_lane_round.h"

PQ_INLINE pq_u dl_load(const uint64_t *p) {
    pq_u v;
    memcpy(&v, p, sizeof v);
    return v;
}
PQ_INLINE void dl_store(uint64_t *p, pq_u v) { memcpy(p, &v, sizeof v); }
/* every lane of the mask v set */
PQ_INLINE int dl_all(pq_u v) {
#if PQ_LANES == 8
    return _mm512_cmpneq_epi64_mask((__m512i)v, _mm512_setzero_si512()) == 0xFF;
#else
    return _mm256_movemask_pd((__m256d)v) == 0xF;
#endif
}

/* A chunk's inputs (columns j0 .. j0 + nn - 1, padded to ng, a whole
 * number of groups): with a table its words, read in place for a whole
 * chunk, else copied with the padding marked exact (so pq_rbe would take
 * it, and it is never stored); without a table the hashes of the row's
 * elements (j0 + k may pass 2^32 - 1 in the padding: wraps, never used). */
PQ_INLINE void dl_chunk_inputs(const uint64_t *phi_hi, const uint64_t *phi_lo, uint32_t i,
                               uint32_t j0, uint32_t nn, uint32_t ng, uint64_t *Phh,
                               uint64_t *Phl, uint64_t *H, const uint64_t **ph,
                               const uint64_t **plo) {
    if (!phi_hi) {
        for (uint32_t k = 0; k < ng; k++) H[k] = pq_hash(i, j0 + k);
        return;
    }
    if (nn == PQ_DECODE_CHUNK) {
        *ph = phi_hi + j0;
        *plo = phi_lo + j0;
        return;
    }
    memcpy(Phh, phi_hi + j0, nn * sizeof(uint64_t));
    memcpy(Phl, phi_lo + j0, nn * sizeof(uint64_t));
    for (uint32_t k = nn; k < ng; k++) Phh[k] = PQ_PHI_EXACT, Phl[k] = 0;
    *ph = Phh;
    *plo = Phl;
}

/* A chunk's results, computed into X unless they went straight into the
 * row (direct): float32 bits narrowed to 4 bytes, int64 or double bits
 * copied.  The undecided lanes are overwritten afterwards. */
PQ_INLINE void dl_chunk_store(int kind, int direct, void *row, uint32_t j0, const uint64_t *X,
                              uint32_t nn) {
    if (kind == PQ_KIND_FLOAT32) {
        float *r = (float *)row + j0;
        for (uint32_t k = 0; k < nn; k++) {
            uint32_t b = (uint32_t)X[k];
            memcpy(r + k, &b, sizeof b);
        }
    } else if (!direct) {
        memcpy((uint64_t *)row + j0, X, nn * sizeof(uint64_t));
    }
}

/* One group of lanes: PHI (hi, lo), the exact-phi mask, the plan's
 * constants; x = the result (int64 value or float bits), ok = decided. */
PQ_INLINE void dl_group(pq_w PHI, pq_u exact, const pq_decode_plan *pl, int kind, pq_w A,
                        pq_u negm, pq_w half, pq_w mask, pq_u *x, pq_u *ok) {
    pq_w F = w_mulhi3(A, PHI);
    pq_u err = PQ_K(pl->err);
    if (kind == PQ_KIND_INT64) {
        *ok = ~exact & pq_lane_round_int64(F, negm, half, mask, pl->s, err, x);
        return;
    }
    /* the leading bit of the result has exponent e + 127 - lz */
    int f64 = kind == PQ_KIND_FLOAT64;
    pq_u ebias = PQ_K((uint64_t)(pl->e + (f64 ? 1149 : 253)));
    *ok = ~exact & pq_lane_round_float(F, negm, err, (uint64_t)pl->maxlz, f64, ebias, x);
}

#if defined(PQ_DECODE_IFMA)
/* The IFMA product (decode_ifma.c; pq_decode.h's pq_decode_ifma and
 * docs/spec.md): Q = a1 p1 + hi52(a1 p0) + hi52(a0 p1) from four
 * vpmadd52[lh]uq, which read bits 0..51 of each operand (so p0 needs no
 * mask).  int64: the accumulator of Q's low word starts at half + errq, so
 * that bits 0..F-1 of the sum exceed 2 errq exactly when |t - half| >
 * errq (t = Q mod 2^F), and the sum shifted by F is then Q rounded to
 * nearest (docs/spec.md).  Floats: F from Q's leading bit (vplzcntq), the
 * fraction tested at the top of a word against errq scaled by the largest
 * shift.  Written with intrinsics and mask registers: the lanes' decisions
 * stay in k registers instead of vectors. */
typedef struct dl_ifma {
    __m512i a1, a0, al0, twoerr, mask, lim, ahlim, fc, c52, c64, errtop, top, kc, sign;
    __m128i F, shl;
    int p;
} dl_ifma;

PQ_INLINE void dl_ifma_init(const pq_decode_ifma *k, const pq_decode_plan *pl, int kind,
                            dl_ifma *d) {
    d->a1 = _mm512_set1_epi64((long long)k->a1);
    d->a0 = _mm512_set1_epi64((long long)k->a0);
    d->twoerr = _mm512_set1_epi64((long long)(2 * k->errq));
    d->sign = _mm512_setzero_si512();
    if (kind == PQ_KIND_INT64) {
        d->F = _mm_cvtsi32_si128(k->F);
        d->shl = _mm_cvtsi32_si128(52 - k->F);
        d->al0 = _mm512_set1_epi64((long long)((1ULL << (k->F - 1)) + k->errq));
        d->mask = _mm512_set1_epi64((long long)((1ULL << k->F) - 1));
        d->lim = _mm512_set1_epi64((long long)(pl->neg ? 1ULL << 63 : (1ULL << 63) - 1));
        /* ah < 2^52 <= 2^(F + 11) needs no check when F >= 41 */
        d->ahlim = _mm512_set1_epi64((long long)(k->F < 41 ? 1ULL << (k->F + 11) : 0));
        return;
    }
    int f64 = kind == PQ_KIND_FLOAT64;
    d->p = f64 ? 53 : 24;
    d->al0 = _mm512_setzero_si512();
    /* L = 115 - lz (Q = ah' 2^52 + al', ah' >= 1), F = L - (p - 1) */
    d->fc = _mm512_set1_epi64(116 - d->p);
    d->c52 = _mm512_set1_epi64(116 - d->p - 52); /* 52 - F = lz - c52 */
    d->c64 = _mm512_set1_epi64(116 - d->p - 64); /* 64 - F = lz - c64, mod 2^64 */
    /* F >= Fmin = 49 (float64) or 50 (float32): E = errq 2^(64 - Fmin) */
    uint64_t E = k->errq << (64 - (f64 ? 49 : 50));
    d->errtop = _mm512_set1_epi64((long long)(E - (1ULL << 63)));
    d->twoerr = _mm512_set1_epi64((long long)(2 * E));
    d->top = _mm512_set1_epi64((long long)(1ULL << 63));
    /* bits = (biased exponent of L - 1) << (p - 1) + X */
    d->kc = _mm512_set1_epi64((long long)(k->scale + 114 + (f64 ? 1023 : 127)));
    d->sign = _mm512_set1_epi64((long long)(pl->neg ? (f64 ? 1ULL << 63 : 1ULL << 31) : 0));
}

/* One group: PHI's table words (hi, lo) and the exact-phi mask; x = the
 * result (int64 value or float bits), the mask of the decided lanes. */
PQ_INLINE __mmask8 dl_group_ifma(__m512i hi, __m512i lo, __mmask8 exact, const dl_ifma *d,
                                 int kind, int wrap, int neg, __m512i *x) {
    __m512i p1 = _mm512_srli_epi64(hi, 11);
    __m512i p0 = _mm512_or_si512(_mm512_slli_epi64(hi, 41), _mm512_srli_epi64(lo, 23));
    __m512i ah = _mm512_madd52hi_epu64(_mm512_setzero_si512(), d->a1, p1);
    __m512i al = _mm512_madd52lo_epu64(d->al0, d->a1, p1);
    al = _mm512_madd52hi_epu64(al, d->a1, p0);
    al = _mm512_madd52hi_epu64(al, d->a0, p1);
    if (kind == PQ_KIND_INT64) {
        __m512i X = _mm512_add_epi64(_mm512_sll_epi64(ah, d->shl), _mm512_srl_epi64(al, d->F));
        __mmask8 ok = _mm512_mask_cmpgt_epu64_mask((__mmask8)~exact,
                                                   _mm512_and_si512(al, d->mask), d->twoerr);
        ok = _mm512_mask_cmple_epu64_mask(ok, X, d->lim);
        if (wrap) ok = _mm512_mask_cmplt_epu64_mask(ok, ah, d->ahlim);
        *x = neg ? _mm512_sub_epi64(_mm512_setzero_si512(), X) : X;
        return ok;
    }
    __m512i lz = _mm512_lzcnt_epi64(_mm512_add_epi64(ah, _mm512_srli_epi64(al, 52)));
    __m512i F = _mm512_sub_epi64(d->fc, lz);
    __m512i X = _mm512_add_epi64(_mm512_sllv_epi64(ah, _mm512_sub_epi64(lz, d->c52)),
                                 _mm512_srlv_epi64(al, F));
    /* tt = t 2^(64 - F): half is 2^63, errq scaled by the largest shift
     * 2^(64 - Fmin) (at least errq 2^(64 - F): a sound, slightly wider
     * test); (tt + E - 2^63) mod 2^64 > 2 E is |tt - 2^63| > E */
    __m512i tt = _mm512_sllv_epi64(al, _mm512_sub_epi64(lz, d->c64));
    __mmask8 ok = _mm512_mask_cmpgt_epu64_mask(
        (__mmask8)~exact, _mm512_add_epi64(tt, d->errtop), d->twoerr);
    /* 2^(p-1) <= X <= 2^p: 2^p carries into the exponent */
    X = _mm512_mask_add_epi64(X, _mm512_cmpgt_epu64_mask(tt, d->top), X,
                              _mm512_set1_epi64(1));
    __m512i e = _mm512_sub_epi64(d->kc, lz);
    e = kind == PQ_KIND_FLOAT64 ? _mm512_slli_epi64(e, 52) : _mm512_slli_epi64(e, 23);
    *x = _mm512_or_si512(_mm512_add_epi64(e, X), d->sign);
    return ok;
}

/* One row in IFMA lanes (the structure of dl_row below). */
PQ_INLINE int dl_row_ifma(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols,
                          const uint64_t *phi_hi, const uint64_t *phi_lo, void *row,
                          uint64_t *first_bad, uint64_t *fallbacks, int kind, int wrap,
                          int neg, const pq_decode_ifma *ifk) {
    uint64_t H[PQ_DECODE_CHUNK], Phh[PQ_DECODE_CHUNK], Phl[PQ_DECODE_CHUNK];
    uint64_t X[PQ_DECODE_CHUNK];
    uint8_t OK[PQ_DECODE_CHUNK / 8];
    dl_ifma dk;
    dl_ifma_init(ifk, pl, kind, &dk);
    const __m512i ones = _mm512_set1_epi64(-1);
    for (uint32_t j0 = 0; j0 < n_cols; j0 += PQ_DECODE_CHUNK) {
        uint32_t nn = n_cols - j0 < PQ_DECODE_CHUNK ? n_cols - j0 : PQ_DECODE_CHUNK;
        uint32_t ng = (nn + 7) / 8 * 8;
        int direct = kind != PQ_KIND_FLOAT32 && nn == PQ_DECODE_CHUNK;
        uint64_t *dst = direct ? (uint64_t *)row + j0 : X;
        uint64_t bad = 0; /* bit g: group g has an undecided lane */
        const uint64_t *ph = NULL, *plo = NULL;
        dl_chunk_inputs(phi_hi, phi_lo, i, j0, nn, ng, Phh, Phl, H, &ph, &plo);
        for (uint32_t k = 0; k < ng; k += 8) {
            __m512i hi, lo, x;
            __mmask8 ex;
            if (phi_hi) {
                hi = _mm512_loadu_si512(ph + k);
                lo = _mm512_loadu_si512(plo + k);
                ex = _mm512_cmpeq_epi64_mask(hi, ones);
            } else {
                pq_u h = dl_load(H + k);
                pq_w PHI = pq_fast_phi_w(h);
                hi = (__m512i)PHI.hi;
                lo = (__m512i)PHI.lo;
                ex = _mm512_cmpeq_epi64_mask(_mm512_slli_epi64((__m512i)h, 34),
                                             _mm512_setzero_si512());
            }
            __mmask8 ok = dl_group_ifma(hi, lo, ex, &dk, kind, wrap, neg, &x);
            _mm512_storeu_si512(dst + k, x);
            if (ok != 0xFF) {
                OK[k / 8] = ok;
                bad |= 1ULL << (k / 8);
            }
        }
        dl_chunk_store(kind, direct, row, j0, X, nn);
        for (; bad; bad &= bad - 1) {
            uint32_t g = (uint32_t)__builtin_ctzll(bad);
            for (uint32_t k = g * 8; k < g * 8 + 8 && k < nn; k++) {
                if ((OK[g] >> (k - g * 8)) & 1) continue;
                ++*fallbacks;
                int st = pq_decode_fallback(pl, i, j0 + k, n_cols, row, first_bad);
                if (st != PQ_OK) return st;
            }
        }
    }
    return PQ_OK;
}
#endif

PQ_INLINE int dl_row(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols, const uint64_t *phi_hi,
                     const uint64_t *phi_lo, void *row, uint64_t *first_bad, uint64_t *fallbacks,
                     int kind) {
    uint64_t H[PQ_DECODE_CHUNK], Phh[PQ_DECODE_CHUNK], Phl[PQ_DECODE_CHUNK];
    uint64_t X[PQ_DECODE_CHUNK], OK[PQ_DECODE_CHUNK];
    pq_w A = w_make(PQ_K(pl->A_hi), PQ_K(pl->A_lo));
    pq_u negm = PQ_K(pl->neg ? ~0ULL : 0);
    pq_w half = w_make(PQ_K(0), PQ_K(0)), mask = half;
    if (kind == PQ_KIND_INT64) {
        int s = pl->s; /* 1..127 */
        half = w_make(PQ_K(s <= 64 ? 0 : 1ULL << (s - 65)), PQ_K(s <= 64 ? 1ULL << (s - 1) : 0));
        mask = w_make(PQ_K(s < 64 ? 0 : (s == 64 ? 0 : (1ULL << (s - 64)) - 1)),
                      PQ_K(s < 64 ? (1ULL << s) - 1 : ~0ULL));
    }
#define DL_GROUP(PHI_, EX_, X_, OK_) dl_group(PHI_, EX_, pl, kind, A, negm, half, mask, X_, OK_)
    for (uint32_t j0 = 0; j0 < n_cols; j0 += PQ_DECODE_CHUNK) {
        uint32_t nn = n_cols - j0 < PQ_DECODE_CHUNK ? n_cols - j0 : PQ_DECODE_CHUNK;
        uint32_t ng = (nn + PQ_LANES - 1) / PQ_LANES * PQ_LANES;
        /* whole chunks of int64 / double bits go straight into the row; the
         * undecided lanes are overwritten below */
        int direct = kind != PQ_KIND_FLOAT32 && nn == PQ_DECODE_CHUNK;
        uint64_t *dst = direct ? (uint64_t *)row + j0 : X;
        uint64_t bad = 0; /* bit g: group g has an undecided lane */
        const uint64_t *ph = NULL, *plo = NULL;
        dl_chunk_inputs(phi_hi, phi_lo, i, j0, nn, ng, Phh, Phl, H, &ph, &plo);
        for (uint32_t k = 0; k < ng; k += PQ_LANES) {
            pq_u x, ok;
            if (phi_hi) {
                pq_w PHI = w_make(dl_load(ph + k), dl_load(plo + k));
                DL_GROUP(PHI, PQ_EQ(PHI.hi, PQ_PHI_EXACT), &x, &ok);
            } else {
                pq_u h = dl_load(H + k);
                DL_GROUP(pq_fast_phi_w(h), PQ_EQ(h << 34, 0), &x, &ok);
            }
            dl_store(dst + k, x);
            if (!dl_all(ok)) {
                dl_store(OK + k, ok);
                bad |= 1ULL << (k / PQ_LANES);
            }
        }
        dl_chunk_store(kind, direct, row, j0, X, nn);
        for (; bad; bad &= bad - 1) {
            uint32_t k0 = (uint32_t)__builtin_ctzll(bad) * PQ_LANES;
            for (uint32_t k = k0; k < k0 + PQ_LANES && k < nn; k++) {
                if (OK[k]) continue;
                ++*fallbacks;
                int st = pq_decode_fallback(pl, i, j0 + k, n_cols, row, first_bad);
                if (st != PQ_OK) return st;
            }
        }
    }
    return PQ_OK;
#undef DL_GROUP
}

/* Each combination of the constants (kind; for IFMA also wrap and the
 * sign) as its own function, never inlined into PQ_DECODE_FN: a frame then
 * holds the temporaries of one expansion of the row, not nine.  Compilers
 * share few stack slots between inlined bodies when they optimise little
 * (-Og: 30 KB for the IFMA rows as one function; -O0 with forced
 * inlining: 370 KB), and worker threads may have 64 KB stacks (docs/spec.md,
 * "Stack use").  One call per row costs nothing measurable. */
#define DL_ARGS                                                                                \
    const pq_decode_plan *pl, uint32_t i, uint32_t n_cols, const uint64_t *phi_hi,             \
        const uint64_t *phi_lo, void *row, uint64_t *first_bad, uint64_t *fallbacks
#define DL_ROW_FN(NAME, KIND)                                                                  \
    static __attribute__((noinline)) int NAME(DL_ARGS) {                                       \
        return dl_row(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks, KIND);        \
    }
DL_ROW_FN(dl_row_int64, PQ_KIND_INT64)
DL_ROW_FN(dl_row_float64, PQ_KIND_FLOAT64)
DL_ROW_FN(dl_row_float32, PQ_KIND_FLOAT32)
#undef DL_ROW_FN

#if defined(PQ_DECODE_IFMA)
#define DL_IFMA_FN(NAME, KIND, WRAP, NEG)                                                      \
    static __attribute__((noinline)) int NAME(DL_ARGS, const pq_decode_ifma *k) {             \
        return dl_row_ifma(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks, KIND,    \
                           WRAP, NEG, k);                                                      \
    }
DL_IFMA_FN(dl_ifma_int64_w1_n1, PQ_KIND_INT64, 1, 1)
DL_IFMA_FN(dl_ifma_int64_w1_n0, PQ_KIND_INT64, 1, 0)
DL_IFMA_FN(dl_ifma_int64_w0_n1, PQ_KIND_INT64, 0, 1)
DL_IFMA_FN(dl_ifma_int64_w0_n0, PQ_KIND_INT64, 0, 0)
DL_IFMA_FN(dl_ifma_float64, PQ_KIND_FLOAT64, 0, 0)
DL_IFMA_FN(dl_ifma_float32, PQ_KIND_FLOAT32, 0, 0)
#undef DL_IFMA_FN
#endif

int PQ_DECODE_FN(DL_ARGS) {
#if defined(PQ_DECODE_IFMA)
    /* a plan without an IFMA form runs the 32-bit products here too */
    pq_decode_ifma k;
    if (pq_decode_ifma_consts(pl, &k)) {
        /* the sign and the int64 wrap check as constants of each copy */
#define DL_IFMA(NAME) NAME(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks, &k)
        switch (pl->fmt.kind) {
        case PQ_KIND_INT64:
            if (k.F < 41)
                return pl->neg ? DL_IFMA(dl_ifma_int64_w1_n1) : DL_IFMA(dl_ifma_int64_w1_n0);
            return pl->neg ? DL_IFMA(dl_ifma_int64_w0_n1) : DL_IFMA(dl_ifma_int64_w0_n0);
        case PQ_KIND_FLOAT64:
            return DL_IFMA(dl_ifma_float64);
        default:
            return DL_IFMA(dl_ifma_float32);
        }
#undef DL_IFMA
    }
#endif
    switch (pl->fmt.kind) {
    case PQ_KIND_INT64:
        return dl_row_int64(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks);
    case PQ_KIND_FLOAT64:
        return dl_row_float64(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks);
    default:
        return dl_row_float32(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks);
    }
}
#undef DL_ARGS

#if defined(PQ_PHI_FILL_FN)
/* Row i of a phi table (pq_phi_table_fill): stage 1's PHI in the lanes,
 * the same words as the scalar phi_of (decode.c), PQ_PHI_EXACT for an
 * exact phi. */
void PQ_PHI_FILL_FN(uint64_t *hi, uint64_t *lo, uint32_t n_cols, uint32_t i) {
    uint64_t H[PQ_DECODE_CHUNK], Hi[PQ_DECODE_CHUNK], Lo[PQ_DECODE_CHUNK];
    for (uint32_t j0 = 0; j0 < n_cols; j0 += PQ_DECODE_CHUNK) {
        uint32_t nn = n_cols - j0 < PQ_DECODE_CHUNK ? n_cols - j0 : PQ_DECODE_CHUNK;
        uint32_t ng = (nn + PQ_LANES - 1) / PQ_LANES * PQ_LANES;
        int direct = nn == PQ_DECODE_CHUNK;
        uint64_t *dh = direct ? hi + j0 : Hi, *dl = direct ? lo + j0 : Lo;
        for (uint32_t k = 0; k < ng; k++) H[k] = pq_hash(i, j0 + k);
        for (uint32_t k = 0; k < ng; k += PQ_LANES) {
            pq_u h = dl_load(H + k);
            pq_u ex = PQ_EQ(h << 34, 0);
            pq_w PHI = pq_fast_phi_w(h);
            dl_store(dh + k, sel64(ex, PQ_K(PQ_PHI_EXACT), PHI.hi));
            dl_store(dl + k, sel64(ex, PQ_K(0), PHI.lo));
        }
        if (!direct) {
            memcpy(hi + j0, Hi, nn * sizeof(uint64_t));
            memcpy(lo + j0, Lo, nn * sizeof(uint64_t));
        }
    }
}
#endif
