/*
 * mpn.c -- unsigned multi-word integers (little-endian 64-bit limbs).
 *
 * Only what the exact rational paths and the multi-precision Ziv path need:
 * add/sub, multiply, shifts, division by a limb and Knuth's algorithm D
 * (TAOCP vol. 2, 4.3.1).  Everything is exact; no allocation (callers pass
 * arrays of at most PQ_MPN_MAX limbs).
 */
#include "pq_internal.h"
#include "pq_testing.h"

void pq_mpn_zero(limb *r, int n) {
    for (int k = 0; k < n; k++) r[k] = 0;
}

void pq_mpn_copy(limb *r, const limb *a, int n) {
    for (int k = 0; k < n; k++) r[k] = a[k];
}

int pq_mpn_normlen(const limb *a, int n) {
    while (n > 0 && a[n - 1] == 0) n--;
    return n;
}

int64_t pq_mpn_bitlen(const limb *a, int n) {
    n = pq_mpn_normlen(a, n);
    if (n == 0) return 0;
    return 64 * (int64_t)n - __builtin_clzll(a[n - 1]);
}

int pq_mpn_cmp(const limb *a, const limb *b, int n) {
    for (int k = n - 1; k >= 0; k--)
        if (a[k] != b[k]) return a[k] < b[k] ? -1 : 1;
    return 0;
}

limb pq_mpn_add(limb *r, const limb *a, const limb *b, int n) {
    limb c = 0;
    for (int k = 0; k < n; k++) {
        u128 s = (u128)a[k] + b[k] + c;
        r[k] = (limb)s;
        c = (limb)(s >> 64);
    }
    return c;
}

limb pq_mpn_sub(limb *r, const limb *a, const limb *b, int n) {
    limb br = 0;
    for (int k = 0; k < n; k++) {
        u128 d = (u128)a[k] - b[k] - br;
        r[k] = (limb)d;
        br = (limb)(d >> 64) & 1;
    }
    return br;
}

limb pq_mpn_add_1(limb *r, const limb *a, int n, limb b) {
    for (int k = 0; k < n; k++) {
        u128 s = (u128)a[k] + b;
        r[k] = (limb)s;
        b = (limb)(s >> 64);
    }
    return b;
}

limb pq_mpn_sub_1(limb *r, const limb *a, int n, limb b) {
    for (int k = 0; k < n; k++) {
        limb x = a[k];
        r[k] = x - b;
        b = x < b;
    }
    return b;
}

limb pq_mpn_mul_1(limb *r, const limb *a, int n, limb b) {
    limb c = 0;
    for (int k = 0; k < n; k++) {
        u128 p = (u128)a[k] * b + c;
        r[k] = (limb)p;
        c = (limb)(p >> 64);
    }
    return c;
}

limb pq_mpn_divrem_1(limb *q, const limb *a, int n, limb d) {
    u128 rem = 0;
    for (int k = n - 1; k >= 0; k--) {
        u128 cur = (rem << 64) | a[k];
        q[k] = (limb)(cur / d);
        rem = cur % d;
    }
    return (limb)rem;
}

void pq_mpn_mul(limb *r, const limb *a, int an, const limb *b, int bn) {
    pq_mpn_zero(r, an + bn);
    for (int k = 0; k < bn; k++) {
        limb c = 0, bk = b[k];
        if (bk == 0) continue;
        for (int t = 0; t < an; t++) {
            u128 p = (u128)a[t] * bk + r[k + t] + c;
            r[k + t] = (limb)p;
            c = (limb)(p >> 64);
        }
        r[k + an] = c;
    }
}

void pq_mpn_shl(limb *r, int rn, const limb *a, int an, int64_t s) {
    int ls = (int)(s >> 6), bs = (int)(s & 63);
    /* r[k] takes bits from a[k - ls] (high part) and a[k - ls - 1] (low part);
     * walk downwards so r may alias a. */
    for (int k = rn - 1; k >= 0; k--) {
        int src = k - ls;
        limb hi = (src >= 0 && src < an) ? a[src] : 0;
        if (bs) {
            limb lo = (src >= 1 && src - 1 < an) ? a[src - 1] : 0;
            hi = (hi << bs) | (lo >> (64 - bs));
        }
        r[k] = hi;
        if (src < 0) { /* everything below is zero */
            for (int t = k - 1; t >= 0; t--) r[t] = 0;
            break;
        }
    }
}

void pq_mpn_shr(limb *r, int rn, const limb *a, int an, int64_t s) {
    int64_t ls64 = s >> 6;
    int bs = (int)(s & 63);
    if (ls64 >= an) {
        pq_mpn_zero(r, rn);
        return;
    }
    int ls = (int)ls64;
    /* walk upwards so r may alias a */
    for (int k = 0; k < rn; k++) {
        int src = k + ls;
        if (src >= an) {
            for (; k < rn; k++) r[k] = 0;
            break;
        }
        limb lo = a[src];
        if (bs) {
            limb hi = src + 1 < an ? a[src + 1] : 0;
            lo = (lo >> bs) | (hi << (64 - bs));
        }
        r[k] = lo;
    }
}

int pq_mpn_lowbits_nonzero(const limb *a, int an, int64_t s) {
    int64_t full = s / 64;
    int bs = (int)(s % 64);
    for (int64_t k = 0; k < full && k < an; k++)
        if (a[k]) return 1;
    if (bs && full < an && (a[full] & ((1ULL << bs) - 1))) return 1;
    return 0;
}

/* Knuth D.  Normalise b so its top limb has the top bit set (shift both by
 * the same amount), then produce one quotient limb per step: estimate from
 * the top two remainder limbs over the top divisor limb, refine with the
 * second divisor limb (the estimate is then at most one too large), and
 * correct by adding back when the multiply-subtract borrows.  The add-back
 * runs with probability about 2^-64 per quotient limb, so a test must show
 * that its inputs reach it: addbacks, when not NULL, counts them.  It is a
 * pointer to the caller's counter, not a global, so that the kernels keep
 * no state and threads share nothing; the two callers below are inlined
 * with a constant addbacks, so the production copy has no counting at all. */
static inline __attribute__((always_inline)) void divrem(limb *q, limb *r, const limb *a, int an,
                                                         const limb *b, int bn,
                                                         unsigned long *addbacks) {
    limb un[PQ_MPN_MAX + 1], vn[PQ_MPN_MAX];
    int s = __builtin_clzll(b[bn - 1]);

    if (bn == 1) {
        limb rem = pq_mpn_divrem_1(q, a, an, b[0]);
        r[0] = rem;
        return;
    }
    pq_mpn_shl(vn, bn, b, bn, s);
    pq_mpn_shl(un, an + 1, a, an, s);

    for (int jq = an - bn; jq >= 0; jq--) {
        u128 num = ((u128)un[jq + bn] << 64) | un[jq + bn - 1];
        u128 qhat = num / vn[bn - 1];
        u128 rhat = num % vn[bn - 1];
        while (qhat >> 64 || qhat * vn[bn - 2] > ((rhat << 64) | un[jq + bn - 2])) {
            qhat--;
            rhat += vn[bn - 1];
            if (rhat >> 64) break;
        }
        /* un[jq .. jq+bn] -= qhat * vn */
        limb borrow = 0, carry = 0;
        for (int k = 0; k < bn; k++) {
            u128 p = (u128)(limb)qhat * vn[k] + carry;
            carry = (limb)(p >> 64);
            limb pl = (limb)p;
            limb x = un[jq + k];
            limb d = x - pl - borrow;
            borrow = (x < pl) || (x - pl < borrow);
            un[jq + k] = d;
        }
        {
            limb x = un[jq + bn];
            limb d = x - carry - borrow;
            borrow = (x < carry) || (x - carry < borrow);
            un[jq + bn] = d;
        }
        if (borrow) { /* qhat was one too large: add vn back */
            if (addbacks) (*addbacks)++;
            qhat--;
            limb c = pq_mpn_add(un + jq, un + jq, vn, bn);
            un[jq + bn] += c;
        }
        q[jq] = (limb)qhat;
    }
    /* remainder = un[0 .. bn-1] >> s */
    pq_mpn_shr(r, bn, un, bn + 1, s);
}

void pq_mpn_divrem(limb *q, limb *r, const limb *a, int an, const limb *b, int bn) {
    divrem(q, r, a, an, b, bn, NULL);
}

void pq_mpn_divrem_counted(limb *q, limb *r, const limb *a, int an, const limb *b, int bn,
                           unsigned long *addbacks) {
    divrem(q, r, a, an, b, bn, addbacks);
}
