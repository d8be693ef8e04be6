/*
 * decode_lanes.h -- one row of the matrix decoder in PQ_LANES-wide lanes.
 * Included by decode_avx2.c and decode_avx512.c, each after its
 * `#pragma GCC target` and with PQ_LANES and PQ_DECODE_FN defined; the
 * dispatch is pq_decode_lanes (decode.c).
 *
 * Per element the lanes compute what decode.c's scalar `decide` computes,
 * with the exact operations of pq_w.h (so the same integers): PHI from
 * stage 1 (pq_fast_phi_w) or the phi table, P = mulhi3(mA, PHI), and
 * Ziv's test at the plan's bit, as pq_block_lanes.h does for rbe's blocks
 * (int64 at bit s with the int64 range check; float64 / float32 after
 * normalising by lz = clz(P), lanes with lz > maxlz left out, the bits of
 * the normal result assembled directly).  Every element they do not decide
 * goes to pq_rbe through pq_decode_fallback.  Scratch: a few arrays of
 * PQ_DECODE_CHUNK words on the stack.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_decode.h"
#include "pq_fast.h"
#include "pq_hash.h"

PQ_INLINE pq_u dl_load(const uint64_t *p) {
    pq_u v;
    memcpy(&v, p, sizeof v);
    return v;
}
PQ_INLINE void dl_store(uint64_t *p, pq_u v) { memcpy(p, &v, sizeof v); }

/* One group of lanes: PHI (hi, lo), the exact-phi mask, the plan's
 * constants; x = the result (int64 value or float bits), ok = decided. */
PQ_INLINE void dl_group(pq_w PHI, pq_u exact, const pq_decode_plan *pl, int kind, pq_w A,
                        pq_u negm, pq_w half, pq_w mask, pq_u *x, pq_u *ok) {
    pq_w F = w_mulhi3(A, PHI);
    pq_u err = PQ_K(pl->err);
    if (kind == PQ_KIND_INT64) {
        pq_w f = w_make(F.hi & mask.hi, F.lo & mask.lo);
        pq_u gt = w_gt(f, half);
        pq_w d = w_sel(gt, w_sub(f, half), w_sub(half, f));
        pq_u decided = PQ_NE(d.hi, 0) | PQ_GT(d.lo, err);
        pq_w X = w_add(w_shr128(F, pl->s), w_from64(gt & 1));
        pq_u fits = PQ_EQ(X.hi, 0) & (PQ_LT(X.lo, 1ULL << 63) | (negm & PQ_EQ(X.lo, 1ULL << 63)));
        *x = sel64(negm, 0 - X.lo, X.lo);
        *ok = ~exact & decided & fits;
        return;
    }
    int f64 = kind == PQ_KIND_FLOAT64;
    pq_u y = F.hi, lz = PQ_K(0), m;
    m = PQ_LT(y, 1ULL << 32); y = sel64(m, y << 32, y); lz += m & 32;
    m = PQ_LT(y, 1ULL << 48); y = sel64(m, y << 16, y); lz += m & 16;
    m = PQ_LT(y, 1ULL << 56); y = sel64(m, y << 8, y); lz += m & 8;
    m = PQ_LT(y, 1ULL << 60); y = sel64(m, y << 4, y); lz += m & 4;
    m = PQ_LT(y, 1ULL << 62); y = sel64(m, y << 2, y); lz += m & 2;
    m = PQ_LT(y, 1ULL << 63); lz += m & 1;
    pq_u usable = PQ_LE(lz, (uint64_t)pl->maxlz) & PQ_NE(F.hi, 0);
    lz &= usable; /* keep the shifts in range in the other lanes */
    pq_w mm = w_shlv(F, lz);
    pq_u errs = err << lz;
    int fb = f64 ? 11 : 40; /* bits of mm.hi below the last bit */
    pq_w f = w_make(mm.hi & ((1ULL << fb) - 1), mm.lo);
    pq_w h = w_make(PQ_K(1ULL << (fb - 1)), PQ_K(0));
    pq_u gt = w_gt(f, h);
    pq_w d = w_sel(gt, w_sub(f, h), w_sub(h, f));
    pq_u decided = PQ_NE(d.hi, 0) | PQ_GT(d.lo, errs);
    pq_u X = (mm.hi >> fb) + (gt & 1); /* 2^(p-1) <= X <= 2^p */
    /* bits = (biased exponent - 1) << (p - 1) + X, the exponent of the
     * leading bit being e + 127 - lz; X = 2^p carries into the exponent */
    if (f64)
        *x = (((PQ_K((uint64_t)(pl->e + 1149)) - lz) << 52) + X) | (negm << 63);
    else
        *x = (((PQ_K((uint64_t)(pl->e + 253)) - lz) << 23) + X) | ((negm & 1) << 31);
    *ok = ~exact & usable & decided;
}

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
    for (uint32_t j0 = 0; j0 < n_cols; j0 += PQ_DECODE_CHUNK) {
        uint32_t nn = n_cols - j0 < PQ_DECODE_CHUNK ? n_cols - j0 : PQ_DECODE_CHUNK;
        uint32_t ng = (nn + PQ_LANES - 1) / PQ_LANES * PQ_LANES;
        const uint64_t *ph, *plo;
        if (phi_hi) {
            if (nn == PQ_DECODE_CHUNK) { /* read in place */
                ph = phi_hi + j0;
                plo = phi_lo + j0;
            } else { /* the row's tail, padded to whole groups */
                memcpy(Phh, phi_hi + j0, nn * sizeof(uint64_t));
                memcpy(Phl, phi_lo + j0, nn * sizeof(uint64_t));
                for (uint32_t k = nn; k < ng; k++) Phh[k] = PQ_PHI_EXACT, Phl[k] = 0;
                ph = Phh;
                plo = Phl;
            }
            for (uint32_t k = 0; k < ng; k += PQ_LANES) {
                pq_w PHI = w_make(dl_load(ph + k), dl_load(plo + k));
                pq_u x, ok;
                dl_group(PHI, PQ_EQ(PHI.hi, PQ_PHI_EXACT), pl, kind, A, negm, half, mask, &x, &ok);
                dl_store(X + k, x);
                dl_store(OK + k, ok);
            }
        } else {
            /* j0 + k may pass 2^32 - 1 in the padding: wraps, never used */
            for (uint32_t k = 0; k < ng; k++) H[k] = pq_hash(i, j0 + k);
            for (uint32_t k = 0; k < ng; k += PQ_LANES) {
                pq_u h = dl_load(H + k);
                pq_u x, ok;
                dl_group(pq_fast_phi_w(h), PQ_EQ(h << 34, 0), pl, kind, A, negm, half, mask, &x,
                         &ok);
                dl_store(X + k, x);
                dl_store(OK + k, ok);
            }
        }
        uint64_t all = ~0ULL;
        for (uint32_t k = 0; k < nn; k++) all &= OK[k];
        if (kind == PQ_KIND_FLOAT32) {
            float *r = (float *)row + j0;
            for (uint32_t k = 0; k < nn; k++) {
                uint32_t b = (uint32_t)X[k];
                memcpy(r + k, &b, sizeof b);
            }
        } else {
            memcpy((uint64_t *)row + j0, X, nn * sizeof(uint64_t)); /* int64 or double bits */
        }
        if (all) continue;
        for (uint32_t k = 0; k < nn; k++) {
            if (OK[k]) continue;
            ++*fallbacks;
            int st = pq_decode_fallback(pl, i, j0 + k, n_cols, row, first_bad);
            if (st != PQ_OK) return st;
        }
    }
    return PQ_OK;
}

int PQ_DECODE_FN(const pq_decode_plan *pl, uint32_t i, uint32_t n_cols, const uint64_t *phi_hi,
                 const uint64_t *phi_lo, void *row, uint64_t *first_bad, uint64_t *fallbacks) {
    switch (pl->fmt.kind) {
    case PQ_KIND_INT64:
        return dl_row(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks, PQ_KIND_INT64);
    case PQ_KIND_FLOAT64:
        return dl_row(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks, PQ_KIND_FLOAT64);
    default:
        return dl_row(pl, i, n_cols, phi_hi, phi_lo, row, first_bad, fallbacks, PQ_KIND_FLOAT32);
    }
}
