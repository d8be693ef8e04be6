/*
 * pq_round.h -- the output step shared by round.c and the inline stage-1
 * path of every entry point (radial.c, angular.c, modulation.c, rbe.c):
 * writing an integer or float result, and Ziv's test on a 128-bit
 * approximation.  Inline so that the common path of an evaluation is one
 * function with no calls.
 *
 * Float results are built as X * 2^q with X < 2^(p+1) and 2^q an exact
 * power of two, so the conversion itself never rounds.
 */
#ifndef PQ_ROUND_H
#define PQ_ROUND_H

#include "pq_internal.h"

static inline void float_params(int kind, int *p, int64_t *emin, int64_t *emax) {
    if (kind == PQ_KIND_FLOAT64) {
        *p = 53;
        *emin = -1074; /* exponent of the smallest subnormal */
        *emax = 1024;  /* values must stay below 2^emax */
    } else {
        *p = 24;
        *emin = -149;
        *emax = 128;
    }
}

/* Integer result (-1)^neg * mag. */
static inline int emit_fixed128(int neg, u128 mag, pq_format fmt, pq_value *out) {
    const u128 lim = (u128)1 << 63;
    if (fmt.kind == PQ_KIND_INT64) {
        /* -2^63 is representable, +2^63 is not */
        if (mag > (neg ? lim : lim - 1)) return PQ_EOVERFLOW;
        out->i64 = neg ? (int64_t)(0 - (limb)mag) : (int64_t)(limb)mag;
        return PQ_OK;
    }
    if (mag > (neg ? lim << 64 : (lim << 64) - 1)) return PQ_EOVERFLOW;
    u128 v = neg ? (u128)0 - mag : mag;
    out->i128.lo = (limb)v;
    out->i128.hi = (int64_t)(limb)(v >> 64);
    return PQ_OK;
}

/* 2^q as a double, -1074 <= q <= 1023, exact. */
static inline double pow2(int64_t q) {
    union { uint64_t u; double d; } b;
    if (q >= -1022) {
        b.u = (uint64_t)(q + 1023) << 52;
        return b.d;
    }
    b.u = 1ULL << (q + 1074); /* subnormal power of two */
    return b.d;
}

/* Float result: (-1)^neg * X * 2^q, X < 2^(p+1).  The product is exact:
 * X has at most p+1 bits and, for a result in range, X 2^q is a value of
 * the format (the caller chose q as its ulp), so no rounding happens. */
static inline int emit_float(int neg, limb X, int64_t q, pq_format fmt, pq_value *out) {
    int p;
    int64_t emin, emax;
    float_params(fmt.kind, &p, &emin, &emax);
    if (X != 0 && q + (64 - __builtin_clzll(X)) > emax) return PQ_EOVERFLOW;
    double v = X ? (double)X * pow2(q) : 0.0;
    if (neg) v = -v;
    if (fmt.kind == PQ_KIND_FLOAT64)
        out->f64 = v;
    else
        out->f32 = (float)v; /* exact: v is a binary32 value */
    return PQ_OK;
}

/* Ziv's test on m with its low s bits as the fraction, 1 <= s <= 127,
 * half = 2^(s-1) (callers that round many values at one s pass it
 * precomputed): decided when no midpoint lies within err of m; then *x = m
 * rounded to an integer (ties to even, which needs err == 0). */
static inline int ziv_round(u128 m, int s, u128 half, uint64_t err, u128 *x) {
    u128 f = m & ((half << 1) - 1), d;
    *x = m >> s;
    if (f == half) {
        if (err) return 0;
        *x += *x & 1; /* tie: to even */
        return 1;
    }
    d = f > half ? f - half : half - f;
    if (d <= err) return 0;
    *x += f > half;
    return 1;
}

static inline int ziv_test2(u128 m, int s, uint64_t err, u128 *x) {
    return ziv_round(m, s, (u128)1 << (s - 1), err, x);
}

/* Round (-1)^neg * m * 2^e, |exact - value| <= err 2^e, m not necessarily
 * normalised.  PQ_RETRY when the test fails, or for the cases left to the
 * general code (integer shift outside [1, 127]; float results that are
 * subnormal or whose bound would overflow when m is normalised). */
static inline int pq_round_u128(int neg, u128 m, int64_t e, uint64_t err, pq_format fmt,
                                pq_value *out) {
    u128 x;
    if (fmt.kind == PQ_KIND_INT64 || fmt.kind == PQ_KIND_INT128) {
        int64_t s = -(e + fmt.frac);
        if (s < 1 || s > 127) return PQ_RETRY;
        if (!ziv_test2(m, (int)s, err, &x)) return PQ_RETRY;
        return emit_fixed128(neg, x, fmt, out);
    }
    int p;
    int64_t emin, emax;
    float_params(fmt.kind, &p, &emin, &emax);
    if (m == 0) return PQ_RETRY;
    int lz = pq_clz128(m);
    /* err << lz must stay below 2^63; a larger bound could not pass anyway */
    if (lz && (err >> (63 - (lz < 63 ? lz : 63))) != 0) return PQ_RETRY;
    m <<= lz;
    if (err) err <<= lz; /* lz < 64 here; err = 0 (an exact m) allows any lz */
    e -= lz;
    int64_t ulp = e + 128 - p;
    if (ulp < emin) return PQ_RETRY;
    if (!ziv_test2(m, 128 - p, err, &x)) return PQ_RETRY;
    return emit_float(neg, (limb)x, ulp, fmt, out);
}

#endif /* PQ_ROUND_H */
