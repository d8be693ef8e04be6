/*
 * pq_lane_round.h -- the final rounding of a group of lanes, shared by
 * rbe's blocks (pq_block_lanes.h) and the matrix decoder (decode_lanes.h):
 * Ziv's test on a 128-bit |f| F with the bound err, then the rounded
 * result, as pq_round.h's ziv_round / pq_round_u128 do for one element.
 * Included after pq_w.h with PQ_LANES defined.  A tie needs err = 0, so
 * it fails the test here too and the caller's scalar path decides (but
 * the _exact functions, for an F with no error, round ties to even).
 */
#ifndef PQ_LANE_ROUND_H
#define PQ_LANE_ROUND_H

#include "pq_w.h"

/* Ziv's test at bit s of F (1 <= s <= 127, mask = 2^s - 1,
 * half = 2^(s-1)), as ziv_round: *X = F >> s rounded to nearest, and the
 * mask of lanes where no midpoint lies within err of F (a tie needs
 * err = 0, so it fails and the scalar path decides). */
PQ_INLINE pq_u pq_lane_ziv(pq_w F, pq_w half, pq_w mask, int s, pq_u err, pq_w *X) {
    pq_w f = w_make(F.hi & mask.hi, F.lo & mask.lo);
    pq_u gt = w_gt(f, half);
    pq_w d = w_sel(gt, w_sub(f, half), w_sub(half, f));
    *X = w_add(w_shr128(F, s), w_from64(gt & 1));
    return PQ_NE(d.hi, 0) | PQ_GT(d.lo, err);
}

/* int64 at bit s of F (mask = 2^s - 1, half = 2^(s-1)): *x = the signed
 * rounded value; the mask of lanes that passed the test and fit int64. */
PQ_INLINE pq_u pq_lane_round_int64(pq_w F, pq_u negm, pq_w half, pq_w mask, int s, pq_u err,
                                   pq_u *x) {
    pq_w X;
    pq_u decided = pq_lane_ziv(F, half, mask, s, err, &X);
    pq_u fits = PQ_EQ(X.hi, 0) & (PQ_LT(X.lo, 1ULL << 63) | (negm & PQ_EQ(X.lo, 1ULL << 63)));
    *x = sel64(negm, 0 - X.lo, X.lo);
    return decided & fits;
}

/* int64 at bit s of an exact F (no error bound), as ziv_round with err = 0
 * and emit_fixed128: *x = the signed value rounded to nearest, ties to
 * even (common when F is a shifted integer, as rbe_pipeline's P2: one
 * result in four at frac 62); the mask of lanes whose value fits int64. */
PQ_INLINE pq_u pq_lane_round_int64_exact(pq_w F, pq_u negm, pq_w half, pq_w mask, int s,
                                         pq_u *x) {
    pq_w f = w_make(F.hi & mask.hi, F.lo & mask.lo);
    pq_w X = w_shr128(F, s);
    pq_u tie = PQ_EQ(f.hi, half.hi) & PQ_EQ(f.lo, half.lo);
    pq_u up = w_gt(f, half) | (tie & (PQ_K(0) - (X.lo & 1)));
    X = w_add(X, w_from64(up & 1));
    pq_u fits = PQ_EQ(X.hi, 0) & (PQ_LT(X.lo, 1ULL << 63) | (negm & PQ_EQ(X.lo, 1ULL << 63)));
    *x = sel64(negm, 0 - X.lo, X.lo);
    return fits;
}

/* The leading zeros of each lane of y, 64 for y = 0: vplzcntq on AVX-512
 * (CD), else a six-step search (64 only through the caller's y != 0
 * test: the search gives 63 for 0). */
PQ_INLINE pq_u pq_lane_clz(pq_u y) {
#if PQ_LANES == 8 /* AVX-512 CD, which every AVX-512 level here requires */
    return (pq_u)_mm512_lzcnt_epi64((__m512i)y);
#else
    pq_u lz = PQ_K(0), m;
    m = PQ_LT(y, 1ULL << 32); y = sel64(m, y << 32, y); lz += m & 32;
    m = PQ_LT(y, 1ULL << 48); y = sel64(m, y << 16, y); lz += m & 16;
    m = PQ_LT(y, 1ULL << 56); y = sel64(m, y << 8, y); lz += m & 8;
    m = PQ_LT(y, 1ULL << 60); y = sel64(m, y << 4, y); lz += m & 4;
    m = PQ_LT(y, 1ULL << 62); y = sel64(m, y << 2, y); lz += m & 2;
    m = PQ_LT(y, 1ULL << 63); lz += m & 1;
    return lz;
#endif
}

/* The bits of the float X 2^(ebias - lz - bias - p + 1) with the sign of
 * negm, for 2^(p-1) <= X <= 2^p: X = 2^p carries into the exponent */
PQ_INLINE pq_u pq_lane_float_bits(pq_u X, pq_u lz, pq_u negm, int f64, pq_u ebias) {
    if (f64) return (((ebias - lz) << 52) + X) | (negm << 63);
    return (((ebias - lz) << 23) + X) | ((negm & 1) << 31);
}

/* float64 / float32: normalise F by lz = clz(F) (lanes with lz > maxlz,
 * where the shifted bound would not fit 63 bits, and F < 2^64 are left to
 * the scalar path), test at the format's last bit, and assemble the bits
 * of the normal result directly: the value is exactly representable, so
 * this is the conversion emit_float does.  ebias - lz is the biased
 * exponent less one of the result's leading bit (the caller's scale of F);
 * X = 2^p carries into the exponent.  Returns the mask of lanes decided. */
PQ_INLINE pq_u pq_lane_round_float(pq_w F, pq_u negm, pq_u err, uint64_t maxlz, int f64,
                                   pq_u ebias, pq_u *x) {
    pq_u lz = pq_lane_clz(F.hi);
    pq_u usable = PQ_LE(lz, maxlz) & PQ_NE(F.hi, 0);
    lz &= usable; /* keep the shifts in range in the other lanes */
    pq_w mm = w_shlv(F, lz);
    pq_u errs = err << lz;
    int fb = f64 ? 11 : 40; /* bits of mm.hi below the last bit */
    pq_w f = w_make(mm.hi & ((1ULL << fb) - 1), mm.lo);
    pq_w half = w_make(PQ_K(1ULL << (fb - 1)), PQ_K(0));
    pq_u gt = w_gt(f, half);
    pq_w d = w_sel(gt, w_sub(f, half), w_sub(half, f));
    pq_u decided = PQ_NE(d.hi, 0) | PQ_GT(d.lo, errs);
    *x = pq_lane_float_bits((mm.hi >> fb) + (gt & 1), lz, negm, f64, ebias);
    return usable & decided;
}

/* float64 / float32 from an exact F (no error bound), as pq_round_u128
 * with err = 0: pq_lane_round_float's normalisation and assembly, and the
 * rounding to nearest with ties to even (common when F is a shifted
 * integer, as rbe_pipeline's P2: about one float64 result in 200 on
 * uniform inputs).  Lanes with F < 2^64 are left to the scalar path (the
 * mask returned is F >= 2^64). */
PQ_INLINE pq_u pq_lane_round_float_exact(pq_w F, pq_u negm, int f64, pq_u ebias, pq_u *x) {
    pq_u usable = PQ_NE(F.hi, 0);
    pq_u lz = pq_lane_clz(F.hi) & usable; /* keep the shifts in range in the other lanes */
    pq_w mm = w_shlv(F, lz);
    int fb = f64 ? 11 : 40; /* bits of mm.hi below the last bit */
    pq_w f = w_make(mm.hi & ((1ULL << fb) - 1), mm.lo);
    pq_w half = w_make(PQ_K(1ULL << (fb - 1)), PQ_K(0));
    pq_u X = mm.hi >> fb;
    pq_u tie = PQ_EQ(f.hi, half.hi) & PQ_EQ(f.lo, 0);
    pq_u up = w_gt(f, half) | (tie & (PQ_K(0) - (X & 1)));
    *x = pq_lane_float_bits(X + (up & 1), lz, negm, f64, ebias);
    return usable;
}

#endif /* PQ_LANE_ROUND_H */
