/*
 * round.c -- the one place where values are rounded to an output format.
 *
 * Two entry points:
 *  - pq_round_ratio: exact rational num/den, rounded with the remainder
 *    (ties to even).  Used for every rational result (radial always; angular,
 *    modulation and rbe in their exact cases; rbe_pipeline's last step).
 *  - pq_round_approx: an approximation with an error bound (pq_approx);
 *    Ziv's test: the rounding is taken only when no rounding boundary
 *    (midpoint between two representable outputs) lies within err of the
 *    approximation; otherwise PQ_RETRY asks the caller for more precision.
 *
 * Formats: integer kinds give X = round(v * 2^frac); float kinds give the
 * IEEE value nearest to v (subnormals handled, though |v| >= 2^-125 here).
 * A float result is built as X * 2^q with X < 2^(p+1), an exact product
 * represent exactly: no floating-point rounding ever happens.
 */
#include "pq_internal.h"
#include "pq_round.h"

int pq_format_check(pq_format fmt) {
    switch (fmt.kind) {
    case PQ_KIND_INT64:
    case PQ_KIND_INT128:
        return (fmt.frac >= 0 && fmt.frac <= 64) ? PQ_OK : PQ_EDOM;
    case PQ_KIND_FLOAT64:
    case PQ_KIND_FLOAT32:
        return PQ_OK;
    default:
        return PQ_EDOM;
    }
}

/* Integer result: magnitude X (xn limbs), sign neg. */
static int emit_fixed(int neg, const limb *X, int xn, pq_format fmt, pq_value *out) {
    int n = pq_mpn_normlen(X, xn);
    if (n > 2) return PQ_EOVERFLOW;
    return emit_fixed128(neg, pq_u128(n > 1 ? X[1] : 0, n > 0 ? X[0] : 0), fmt, out);
}

static int emit_zero(pq_format fmt, pq_value *out) {
    if (fmt.kind == PQ_KIND_INT64 || fmt.kind == PQ_KIND_INT128) return emit_fixed128(0, 0, fmt, out);
    return emit_float(0, 0, 0, fmt, out);
}

int pq_round_ratio(int neg, const limb *num, int nn, const limb *den, int dn, pq_format fmt,
                   pq_value *out) {
    limb a[PQ_MPN_MAX], q[PQ_MPN_MAX], r[PQ_MPN_MAX], r2[PQ_MPN_MAX], d2[PQ_MPN_MAX];
    int an, qn;
    nn = pq_mpn_normlen(num, nn);
    dn = pq_mpn_normlen(den, dn);
    if (dn == 0) return PQ_EDOM;
    if (nn == 0) return emit_zero(fmt, out);

    int64_t k; /* value = (q + rem/den) * 2^-k */
    if (fmt.kind == PQ_KIND_INT64 || fmt.kind == PQ_KIND_INT128) {
        k = fmt.frac;
    } else {
        int p;
        int64_t emin, emax;
        float_params(fmt.kind, &p, &emin, &emax);
        /* enough quotient bits: q >= 2^(p+2), so at least 2 bits below the ulp */
        k = p + 3 - (pq_mpn_bitlen(num, nn) - pq_mpn_bitlen(den, dn));
        if (k < 0) k = 0;
    }
    an = nn + (int)(k / 64) + 2;
    if (an < dn) an = dn;
    if (an > PQ_MPN_MAX) return PQ_EDOM; /* not reachable with valid inputs */
    pq_mpn_shl(a, an, num, nn, k);
    qn = an - dn + 1;
    pq_mpn_divrem(q, r, a, an, den, dn);
    int sticky = pq_mpn_normlen(r, dn) != 0;

    if (fmt.kind == PQ_KIND_INT64 || fmt.kind == PQ_KIND_INT128) {
        /* compare 2r with den: above the midpoint, on it (tie), or below */
        pq_mpn_shl(r2, dn + 1, r, dn, 1);
        pq_mpn_copy(d2, den, dn);
        d2[dn] = 0;
        int c = pq_mpn_cmp(r2, d2, dn + 1);
        if (c > 0 || (c == 0 && (q[0] & 1))) pq_mpn_add_1(q, q, qn, 1);
        return emit_fixed(neg, q, qn, fmt, out);
    }

    int p;
    int64_t emin, emax;
    float_params(fmt.kind, &p, &emin, &emax);
    int64_t bq = pq_mpn_bitlen(q, qn);
    int64_t lead = bq - 1 - k; /* exponent of the leading bit of the value */
    int64_t ulp = lead - (p - 1);
    if (ulp < emin) ulp = emin;
    int64_t drop = ulp + k; /* quotient bits below the ulp; >= 2 by choice of k */
    limb X[PQ_MPN_MAX];
    pq_mpn_shr(X, qn, q, qn, drop);
    int half = (int)((drop - 1) / 64 < qn ? (q[(drop - 1) / 64] >> ((drop - 1) % 64)) & 1 : 0);
    int below = sticky || pq_mpn_lowbits_nonzero(q, qn, drop - 1);
    if (half && (below || (X[0] & 1))) pq_mpn_add_1(X, X, qn, 1);
    return emit_float(neg, X[0], ulp, fmt, out);
}

/* Is the low-s-bits fraction f of m at distance > err from the midpoint
 * 2^(s-1)?  Sets *up when f is above the midpoint.  Returns 1 if decided. */
static int ziv_test(const limb *m, int n, int64_t s, uint64_t err, int *up) {
    limb f[PQ_MPN_MAX], h[PQ_MPN_MAX], d[PQ_MPN_MAX];
    int fn = n + 1;
    if (s - 1 >= 64 * (int64_t)fn) {
        /* midpoint far above every bit of m: value*2^frac < 2^(64n) << 1/2 */
        *up = 0;
        return 1;
    }
    /* f = m mod 2^s */
    pq_mpn_zero(f, fn);
    pq_mpn_copy(f, m, n);
    if (s < 64 * (int64_t)fn) {
        int64_t ls = s / 64;
        int bs = (int)(s % 64);
        for (int k = (int)ls + 1; k < fn; k++) f[k] = 0;
        if (ls < fn) f[ls] &= bs ? ((1ULL << bs) - 1) : 0;
    }
    pq_mpn_zero(h, fn);
    h[(s - 1) / 64] = 1ULL << ((s - 1) % 64);
    int c = pq_mpn_cmp(f, h, fn);
    if (c == 0) { /* exactly on the midpoint */
        *up = -1;
        return err == 0;
    }
    if (c > 0)
        pq_mpn_sub(d, f, h, fn);
    else
        pq_mpn_sub(d, h, f, fn);
    *up = c > 0;
    if (pq_mpn_normlen(d + 1, fn - 1) != 0) return 1;
    return d[0] > err;
}

int pq_round_approx(const pq_approx *a, pq_format fmt, pq_value *out) {
    limb X[PQ_MPN_MAX];
    int n = a->n, up;
    int64_t s;
    if (a->zero) return emit_zero(fmt, out);
    if (n == 2) {
        /* normalised, so only a shift count outside [1, 127] or a subnormal
         * float result takes the general code below */
        int rc = pq_round_u128(a->neg, pq_u128(a->m[1], a->m[0]), a->e, a->err, fmt, out);
        if (rc != PQ_RETRY) return rc;
        if (fmt.kind == PQ_KIND_INT64 || fmt.kind == PQ_KIND_INT128) {
            s = -(a->e + fmt.frac);
            if (s >= 1 && s <= 127) return PQ_RETRY;
        } else {
            int p;
            int64_t emin, emax;
            float_params(fmt.kind, &p, &emin, &emax);
            if (a->e + 128 - p >= emin) return PQ_RETRY;
        }
    }

    if (fmt.kind == PQ_KIND_INT64 || fmt.kind == PQ_KIND_INT128) {
        s = -(a->e + fmt.frac);
        if (s <= 0) return PQ_EOVERFLOW; /* |v| 2^frac >= 2^(64n-1) >= 2^127 */
        if (!ziv_test(a->m, n, s, a->err, &up)) return PQ_RETRY;
        pq_mpn_shr(X, n, a->m, n, s);
        if (up == 1 || (up == -1 && (X[0] & 1))) pq_mpn_add_1(X, X, n, 1);
        return emit_fixed(a->neg, X, n, fmt, out);
    }
    int p;
    int64_t emin, emax;
    float_params(fmt.kind, &p, &emin, &emax);
    int64_t lead = a->e + 64 * (int64_t)n - 1; /* m is normalised */
    int64_t ulp = lead - (p - 1);
    if (ulp < emin) ulp = emin;
    s = ulp - a->e; /* >= 64n - p > 0 */
    if (!ziv_test(a->m, n, s, a->err, &up)) return PQ_RETRY;
    pq_mpn_shr(X, n, a->m, n, s);
    if (up == 1 || (up == -1 && (X[0] & 1))) pq_mpn_add_1(X, X, n, 1);
    return emit_float(a->neg, X[0], ulp, fmt, out);
}

void pq_approx_normalize(pq_approx *a) {
    int64_t bl = pq_mpn_bitlen(a->m, a->n);
    if (bl == 0) {
        a->zero = 1;
        return;
    }
    int64_t sh = 64 * (int64_t)a->n - bl;
    if (sh == 0) return;
    pq_mpn_shl(a->m, a->n, a->m, a->n, sh);
    a->e -= sh;
    /* err scales with the shift; saturate rather than wrap so an absurd
     * bound can only make Ziv's test fail (more precision), never pass. */
    if (a->err) a->err = (sh >= 40 || a->err > (UINT64_MAX >> 41)) ? (UINT64_MAX >> 1) : a->err << sh;
}

void pq_approx_mul(pq_approx *a, const pq_approx *b) {
    limb P[2 * (PQ_W_MAX + 1)];
    int n = a->n, sh, lost;
    if (a->zero || b->zero) {
        a->zero = 1;
        return;
    }
    if (n == 2) {
        u128 hi, lo;
        pq_mul256(pq_u128(a->m[1], a->m[0]), pq_u128(b->m[1], b->m[0]), &hi, &lo);
        sh = (int)(1 - (limb)(hi >> 127));
        if (sh) {
            hi = (hi << 1) | (lo >> 127);
            lo <<= 1;
        }
        lost = lo != 0;
        a->m[0] = (limb)hi;
        a->m[1] = (limb)(hi >> 64);
    } else {
        pq_mpn_mul(P, a->m, n, b->m, n);
        sh = (P[2 * n - 1] >> 63) ? 0 : 1;
        lost = pq_mpn_lowbits_nonzero(P, 2 * n, 64 * (int64_t)n - sh);
        pq_mpn_shr(a->m, n, P, 2 * n, 64 * (int64_t)n - sh);
    }
    a->e = a->e + b->e + 64 * (int64_t)n - sh;
    a->neg ^= b->neg;
    /* |(ma+ea)(mb+eb) - ma mb| <= ea mb + eb ma + ea eb < (ea + eb + 1) 2^(64n);
     * the shift by sh doubles it, truncation adds < 1 unit. */
    if (a->err == 0 && b->err == 0)
        a->err = lost ? 1 : 0;
    else {
        uint64_t e = a->err + b->err + 1;
        if (e < a->err || e > (UINT64_MAX >> 2)) e = UINT64_MAX >> 2;
        a->err = (e << sh) + 1;
    }
}

void pq_ratio_approx(int neg, const limb *num, int nn, const limb *den, int dn, int W,
                     pq_approx *out) {
    limb a[PQ_MPN_MAX], q[PQ_MPN_MAX], r[PQ_MPN_MAX];
    nn = pq_mpn_normlen(num, nn);
    dn = pq_mpn_normlen(den, dn);
    out->n = W;
    out->neg = neg;
    out->zero = (nn == 0);
    if (out->zero) return;
    /* Scale so the quotient has 64W+1 or 64W+2 bits, then keep the top 64W:
     * the dropped bits plus the remainder are less than one unit. */
    int64_t k = 64 * (int64_t)W + 1 + pq_mpn_bitlen(den, dn) - pq_mpn_bitlen(num, nn);
    int an = nn + (int)(k / 64) + 2;
    if (an < dn) an = dn;
    pq_mpn_shl(a, an, num, nn, k);
    int qn = an - dn + 1;
    pq_mpn_divrem(q, r, a, an, den, dn);
    int64_t t = pq_mpn_bitlen(q, qn) - 64 * (int64_t)W; /* 1 or 2 */
    int inexact = pq_mpn_normlen(r, dn) != 0 || pq_mpn_lowbits_nonzero(q, qn, t);
    pq_mpn_shr(out->m, W, q, qn, t);
    out->e = t - k;
    out->err = inexact ? 1 : 0;
}
