/* Independent quad-precision oracle of the correct-rounding campaign.
 *
 * Written for poincare_q64/validation/campaign.py from docs/spec.md alone: it shares no
 * code, table or constant with poincare_q64/src (the code under test) nor with
 * poincare_q64/reference.py.  Arithmetic is IEEE binary128 (__float128,
 * 113-bit significand, unit roundoff u = 2^-113) with libquadmath's sinq/cosq.
 *
 * Every value comes with a relative error bound; the rounding step
 * (orc_round) reports whether that bound decides the rounding, i.e. whether
 * no rounding midpoint of the format lies within the error interval.  The
 * caller (poincare_q64/validation/oracle.py) sends every undecided element, and every
 * rational value that binary128 cannot hold exactly, to an exact or mpmath
 * fallback.  The derivation of each bound is in poincare_q64/validation/oracle.py's
 * docstring and validation/reports/campaign.md; the constants below are
 * its results (units of 2^-112, before the safety factor).
 *
 * Build: gcc -O2 -shared -fPIC oracle.c -lquadmath (poincare_q64/validation/oracle.py).
 */
#include <math.h>
#include <quadmath.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

typedef unsigned __int128 u128;

/* pi/2 correctly rounded to binary128 (113 bits).  Written as a hex literal
 * so that no decimal-to-binary conversion is involved; mpmath gives
 * 0x1921fb54442d18469898cc51701b8 * 2^-112 with relative error 0.287 * 2^-113
 * (checked by tests/test_validation_campaign.py). */
static const __float128 PI_2 = 0x1.921fb54442d18469898cc51701b8p+0Q;

/* Relative error bounds, in units of 2^-112 (see oracle.py for each line of
 * the derivation).  LIB_ULP is the accuracy assumed of libquadmath's sinq and
 * cosq on [0, pi/4]: glibc's ldbl-128 kernels, whose known maximum error is
 * below 2 ulp; the mpmath validation measures it. */
#define LIB_ULP 2.0
#define ERR_S (1.12 + LIB_ULP)                 /* sin of a reduced angle */
#define ERR_S_SIN_T (2 * ERR_S + 1.0)          /* table sin, phi's angle */
#define ERR_S_COS_T (1.415 * (2 * ERR_S + 0.5) + 0.5)  /* table cos */
#define ERR_G0 2.51                            /* g, d_r = 0 */
#define ERR_G1 4.01                            /* g', d_r = 1 */
#define ERR_PROD 1.01                          /* two products, 2^-113 each */

/* The factor by which the stated bound is enlarged before it is used to
 * decide a rounding.  It costs almost nothing (a result is undecided with
 * probability about bound/ulp, far below 2^-30) and covers a derivation slip
 * or a libquadmath inaccuracy up to ~16x what is assumed. */
#define SAFETY 16.0

/* flags of a value */
enum { V_APPROX = 0,     /* v within err * |v| of the exact value */
       V_EXACT = 1,      /* v is the exact value (err = 0) */
       V_RATIONAL = 2 }; /* exact value rational but not held: fallback */

/* status of a rounding */
enum { R_DECIDED = 0, R_UNDECIDED = 1, R_FALLBACK = 2, R_OVERFLOW = 3 };

/* output kinds */
enum { K_INT = 0, K_FLOAT64 = 1, K_FLOAT32 = 2 };

/* ------------------------------------------------------------------------
 * MurmurHash3_x86_32 (Austin Appleby's public algorithm), 8-byte key
 * LE32(i) || LE32(j), seed 0.
 * ---------------------------------------------------------------------- */

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t mix_block(uint32_t h, uint32_t k)
{
    k *= 0xcc9e2d51u;
    k = rotl32(k, 15);
    k *= 0x1b873593u;
    h ^= k;
    h = rotl32(h, 13);
    return h * 5u + 0xe6546b64u;
}

static uint32_t murmur3_pair(uint32_t i, uint32_t j)
{
    uint32_t h = 0;            /* seed */
    h = mix_block(h, i);       /* bytes 0..3, little-endian = i */
    h = mix_block(h, j);       /* bytes 4..7 */
    h ^= 8u;                   /* length */
    h ^= h >> 16;              /* fmix32 */
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

void orc_hash(size_t n, const uint32_t *i, const uint32_t *j, uint32_t *out)
{
    for (size_t k = 0; k < n; k++)
        out[k] = murmur3_pair(i[k], j[k]);
}

/* ------------------------------------------------------------------------
 * sin(2 pi t / 2^64), t a uint64, with an exact reduction.
 *
 * q = t >> 62 (quarter turn), u = t mod 2^62, x = pi/2 * u / 2^62:
 *   q = 0: sin x, 1: cos x, 2: -sin x, 3: -cos x.
 * cos x = sin(pi/2 (2^62 - u) / 2^62), so |s| = sin(pi/2 v / 2^62) with v in
 * [0, 2^62].  For v > 2^61, sin(pi/2 v/2^62) = cos(pi/2 (2^62 - v)/2^62).  The
 * argument passed to sinq/cosq is therefore fl(PI_2 * w 2^-62) with w <= 2^61:
 * w 2^-62 is exact (w has at most 62 bits), so the argument has relative
 * error <= 2^-113 (PI_2) + 2^-113 (product), and lies in (0, pi/4].
 * Returns the flag; *err is the relative error in units of 2^-112.
 * ---------------------------------------------------------------------- */

static int sin_turns(uint64_t t, __float128 *out, double *err)
{
    const uint64_t Q = (uint64_t)1 << 62;
    unsigned q = (unsigned)(t >> 62);
    uint64_t u = t & (Q - 1);
    uint64_t v = (q & 1) ? Q - u : u;
    int neg = q >= 2;
    __float128 s;
    if (v == 0) {                       /* s = 0: a half-turn multiple */
        *out = 0;
        *err = 0;
        return V_EXACT;
    }
    if (v == Q) {                       /* |s| = 1 */
        s = 1;
        *err = 0;
        *out = neg ? -s : s;
        return V_EXACT;
    }
    if (v <= Q / 2) {
        __float128 x = PI_2 * ((__float128)v * 0x1p-62Q);
        s = sinq(x);
    } else {
        __float128 x = PI_2 * ((__float128)(Q - v) * 0x1p-62Q);
        s = cosq(x);
    }
    *err = ERR_S;
    *out = neg ? -s : s;
    return V_APPROX;
}

static uint64_t reduced_angle(uint64_t T, int rot, int d_theta)
{
    /* T' = (T + rot 2^60 + d_theta 2^62) mod 2^64: uint64 wraps. */
    return T + ((uint64_t)rot << 60) + ((uint64_t)d_theta << 62);
}

/* ------------------------------------------------------------------------
 * phi = 1 + sin(2 pi H / 2^32) / 10.
 *
 * H has 32 bits, so after the same exact reduction as sin_turns the angle is
 * x = pi/2 w'/2^30 with w' = w >> 32 <= 2^29.  Splitting w' = a 2^15 + b
 * (a <= 2^14, b < 2^15), x = x_a + x_b and
 *   sin x = sin x_a cos x_b + cos x_a sin x_b,
 *   cos x = cos x_a cos x_b - sin x_a sin x_b,
 * with four tables made by sinq/cosq once per process (orc_init).  That is
 * a quarter of the cost of one sinq per element, which matters for the 2^32
 * sweep.  Each entry is within ERR_S of its exact value (same argument
 * analysis as sin_turns; x_a <= pi/4).  sin mode: both terms are >= 0, so
 * the sum keeps the terms' relative error 2 ERR_S + 0.5 plus 0.5 for the
 * sum: 7.24 units.  cos mode: the terms' absolute errors add up to
 * (2 ERR_S + 0.5) (cos x_a cos x_b + sin x_a sin x_b) = (2 ERR_S + 0.5)
 * cos(x_a - x_b), and cos(x_a - x_b)/cos x <= 1/cos(pi/4) = 1.415, so
 * 1.415 (2 ERR_S + 0.5) + 0.5 = 10.04 units.
 * ---------------------------------------------------------------------- */

#define TA (1 << 14)
#define TB (1 << 15)
static __float128 SA[TA + 1], CA[TA + 1], SB[TB], CB[TB];
static int tables_ready;

/* Fill the tables; called once per process from oracle.py (under a lock)
 * before any other entry point. */
void orc_init(void)
{
    if (tables_ready)
        return;
    for (int a = 0; a <= TA; a++) {
        __float128 x = PI_2 * ((__float128)a * 0x1p-15Q);   /* a 2^15/2^30 */
        SA[a] = sinq(x);
        CA[a] = cosq(x);
    }
    for (int b = 0; b < TB; b++) {
        __float128 x = PI_2 * ((__float128)b * 0x1p-30Q);
        SB[b] = sinq(x);
        CB[b] = cosq(x);
    }
    tables_ready = 1;
}

static int sin_hash(uint32_t H, __float128 *out, double *err)
{
    const uint64_t Q = (uint64_t)1 << 62;
    uint64_t t = (uint64_t)H << 32;
    unsigned q = (unsigned)(t >> 62);
    uint64_t u = t & (Q - 1);
    uint64_t v = (q & 1) ? Q - u : u;
    int neg = q >= 2;
    if (v == 0) {
        *out = 0;
        *err = 0;
        return V_EXACT;
    }
    if (v == Q) {
        *out = neg ? -1 : 1;
        *err = 0;
        return V_EXACT;
    }
    int cos_mode = v > Q / 2;
    uint64_t w = (cos_mode ? Q - v : v) >> 32;   /* exact: v = k 2^32 */
    unsigned a = (unsigned)(w >> 15), b = (unsigned)(w & (TB - 1));
    __float128 s;
    if (cos_mode) {
        s = CA[a] * CB[b] - SA[a] * SB[b];
        *err = ERR_S_COS_T;
    } else {
        s = SA[a] * CB[b] + CA[a] * SB[b];
        *err = ERR_S_SIN_T;
    }
    *out = neg ? -s : s;
    return V_APPROX;
}

static int phi_of_hash(uint32_t H, __float128 *out, double *err)
{
    __float128 s;
    double es;
    int f = sin_hash(H, &s, &es);
    *out = 1 + s / 10;
    if (f == V_EXACT && s != 0) {       /* phi = 11/10 or 9/10: not held */
        *err = 1.0;
        return V_RATIONAL;
    }
    if (f == V_EXACT) {                 /* s = 0: phi = 1 exactly */
        *err = 0;
        return V_EXACT;
    }
    *err = 0.112 * (es + 0.5) + 0.5;
    return V_APPROX;
}

/* ------------------------------------------------------------------------
 * g as an exact ratio of integers (docs/spec.md, "g is always rational"),
 * with multiword unsigned integers (6 little-endian 64-bit limbs, 384 bits:
 * the largest value, (A + B), is below 2^261).
 *
 *   D = 2^128 + E R,  A = D^2,  B = R^2 2^(128 + log2_c)
 *   d_r = 0: g  = R D 2^65 / (A + B)
 *   d_r = 1: g' = (A - B) 2^257 / (A + B)^2
 *
 * Each integer is converted to binary128 by truncation to its top 113 bits
 * (relative error < 2^-112), then one division (and for d_r = 1 one squaring)
 * in binary128.
 * ---------------------------------------------------------------------- */

#define NL 6
typedef struct { uint64_t w[NL]; } mw;

static mw mw_zero(void) { mw a; memset(&a, 0, sizeof a); return a; }

static mw mw_add(mw a, mw b)
{
    mw r;
    u128 c = 0;
    for (int k = 0; k < NL; k++) {
        c += (u128)a.w[k] + b.w[k];
        r.w[k] = (uint64_t)c;
        c >>= 64;
    }
    return r;
}

/* a - b, requires a >= b */
static mw mw_sub(mw a, mw b)
{
    mw r;
    uint64_t borrow = 0;
    for (int k = 0; k < NL; k++) {
        uint64_t x = a.w[k], y = b.w[k];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x == y && borrow) ? 1 : 0;
        r.w[k] = d;
    }
    return r;
}

static int mw_cmp(mw a, mw b)
{
    for (int k = NL - 1; k >= 0; k--)
        if (a.w[k] != b.w[k])
            return a.w[k] < b.w[k] ? -1 : 1;
    return 0;
}

static mw mw_mul(mw a, mw b)        /* low NL limbs of a b (no overflow here) */
{
    mw r = mw_zero();
    for (int x = 0; x < NL; x++) {
        if (!a.w[x]) continue;
        u128 c = 0;
        for (int y = 0; x + y < NL; y++) {
            c += (u128)a.w[x] * b.w[y] + r.w[x + y];
            r.w[x + y] = (uint64_t)c;
            c >>= 64;
        }
    }
    return r;
}

static mw mw_shl(mw a, int s)       /* a << s, s >= 0 */
{
    mw r = mw_zero();
    int limbs = s / 64, bits = s % 64;
    for (int k = NL - 1; k >= limbs; k--) {
        uint64_t v = a.w[k - limbs] << bits;
        if (bits && k - limbs - 1 >= 0)
            v |= a.w[k - limbs - 1] >> (64 - bits);
        r.w[k] = v;
    }
    return r;
}

static mw mw_u64(uint64_t x) { mw a = mw_zero(); a.w[0] = x; return a; }

static mw mw_u128(u128 x)
{
    mw a = mw_zero();
    a.w[0] = (uint64_t)x;
    a.w[1] = (uint64_t)(x >> 64);
    return a;
}

static int mw_bitlen(mw a)
{
    for (int k = NL - 1; k >= 0; k--)
        if (a.w[k])
            return 64 * k + 64 - __builtin_clzll(a.w[k]);
    return 0;
}

/* a as binary128, truncated to its top 113 bits: relative error < 2^-112. */
static __float128 mw_to_quad(mw a)
{
    int L = mw_bitlen(a);
    if (L == 0)
        return 0;
    int sh = L > 113 ? L - 113 : 0;
    /* the 113 (or fewer) bits starting at bit sh */
    u128 top = 0;
    for (int b = 0; b < 2; b++) {       /* gather 128 bits from bit sh */
        int bit = sh + 64 * b;
        int limb = bit / 64, off = bit % 64;
        uint64_t v = 0;
        if (limb < NL) {
            v = a.w[limb] >> off;
            if (off && limb + 1 < NL)
                v |= a.w[limb + 1] << (64 - off);
        }
        top |= (u128)v << (64 * b);
    }
    top &= (((u128)1) << 113) - 1;      /* bits above L - sh are zero anyway */
    return scalbnq((__float128)top, sh);
}

/* g (d_r = 0) or g' (d_r = 1).  Flag V_EXACT only for g = 0. */
static int radial_value(uint64_t R, int log2_c, uint64_t E, int d_r,
                        __float128 *out, double *err)
{
    mw D = mw_add(mw_shl(mw_u64(1), 128), mw_u128((u128)E * R));
    mw A = mw_mul(D, D);
    mw B = mw_shl(mw_u128((u128)R * R), 128 + log2_c);
    mw S = mw_add(A, B);
    if (d_r == 0) {
        if (R == 0) {
            *out = 0;
            *err = 0;
            return V_EXACT;
        }
        mw num = mw_mul(mw_u64(R), D);
        *out = scalbnq(mw_to_quad(num) / mw_to_quad(S), 65);
        *err = ERR_G0;
        return V_APPROX;
    }
    int c = mw_cmp(A, B);
    if (c == 0) {
        *out = 0;
        *err = 0;
        return V_EXACT;
    }
    mw N = c > 0 ? mw_sub(A, B) : mw_sub(B, A);
    __float128 s = mw_to_quad(S);
    __float128 g = scalbnq(mw_to_quad(N) / (s * s), 257);
    *out = c > 0 ? g : -g;
    *err = ERR_G1;
    return V_APPROX;
}

/* ------------------------------------------------------------------------
 * Batch entry points: values and their bounds.
 * v: binary128 values; err: relative error bound in units of 2^-112 (before
 * the safety factor); flag: V_APPROX / V_EXACT / V_RATIONAL.
 * ---------------------------------------------------------------------- */

void orc_radial(size_t n, const uint64_t *R, const int8_t *log2_c,
                const uint64_t *E, const int8_t *d_r,
                __float128 *v, double *err, uint8_t *flag)
{
    for (size_t k = 0; k < n; k++) {
        int f = radial_value(R[k], log2_c[k], E[k], d_r[k], &v[k], &err[k]);
        /* a nonzero g is rational and rarely a binary128 number: only the
         * bound decides it; ties are left to the exact fallback. */
        flag[k] = (uint8_t)f;
    }
}

void orc_angular(size_t n, const uint64_t *T, const int8_t *rot,
                 const int8_t *d_theta, __float128 *v, double *err,
                 uint8_t *flag)
{
    for (size_t k = 0; k < n; k++)
        flag[k] = (uint8_t)sin_turns(reduced_angle(T[k], rot[k], d_theta[k]),
                                     &v[k], &err[k]);
}

void orc_modulation(size_t n, const uint32_t *i, const uint32_t *j,
                    __float128 *v, double *err, uint8_t *flag, uint32_t *H)
{
    for (size_t k = 0; k < n; k++) {
        H[k] = murmur3_pair(i[k], j[k]);
        flag[k] = (uint8_t)phi_of_hash(H[k], &v[k], &err[k]);
    }
}

void orc_rbe(size_t n, const uint64_t *R, const uint64_t *T,
             const uint32_t *i, const uint32_t *j, const int8_t *log2_c,
             const uint64_t *E, const int8_t *d_r, const int8_t *rot,
             const int8_t *d_theta, __float128 *v, double *err,
             uint8_t *flag)
{
    for (size_t k = 0; k < n; k++) {
        __float128 g, s, p;
        double eg, es, ep;
        int fg = radial_value(R[k], log2_c[k], E[k], d_r[k], &g, &eg);
        int fs = sin_turns(reduced_angle(T[k], rot[k], d_theta[k]), &s, &es);
        int fp = phi_of_hash(murmur3_pair(i[k], j[k]), &p, &ep);
        if ((fg == V_EXACT && g == 0) || (fs == V_EXACT && s == 0)) {
            v[k] = 0;                    /* an exact zero factor */
            err[k] = 0;
            flag[k] = V_EXACT;
            continue;
        }
        v[k] = g * s * p;
        err[k] = eg + es + ep + ERR_PROD;
        /* f is rational only when s and phi both are (docs/spec.md); g is
         * always rational, and held exactly only if it is 0 (above). */
        flag[k] = (fs == V_EXACT && fp != V_APPROX) ? V_RATIONAL : V_APPROX;
    }
}

/* ------------------------------------------------------------------------
 * Rounding with the decision test, in integer arithmetic.
 *
 * A nonzero binary128 v is (-1)^sign m 2^E with m in [2^112, 2^113).  Scaled
 * to the format's ulps, |y| = m 2^-sh: sh = -(E + frac) for K_INT, and for
 * the floats sh = -(E + p - 1 - e') with e = E + 112 = floor(log2 |v|) and
 * e' = max(e, emin) (the subnormal quantum).  The integer part of |y| is
 * m >> sh and its fraction f = m mod 2^sh, so the distance to the midpoint
 * is exactly diff = f - 2^(sh-1) units of 2^-sh.  The value's error, at most
 * SAFETY err 2^-112 |y| ulps, is SAFETY err m 2^-112 of those units.
 *
 * kind K_INT: X = round(v 2^frac), ties to even, as a signed 128-bit integer
 *   in (lo, hi); R_OVERFLOW if int64_range and X does not fit int64.
 * kind K_FLOAT64 / K_FLOAT32: the IEEE bits in lo (hi = 0).
 * dist: y - floor(y) - 1/2 in ulps (y signed for K_INT, |v| / quantum for
 *   the floats): the signed distance to the nearest midpoint, as in
 *   tests/data/find_worst_cases.py.  NaN for an exact zero or a fallback.
 * status: R_DECIDED, R_UNDECIDED, R_FALLBACK (V_RATIONAL), R_OVERFLOW.
 * ---------------------------------------------------------------------- */

static void decode(__float128 x, int *sign, u128 *m, int *E)
{
    u128 bits;
    memcpy(&bits, &x, 16);
    *sign = (int)(bits >> 127);
    int ex = (int)((bits >> 112) & 0x7FFF);
    u128 man = bits & ((((u128)1) << 112) - 1);
    /* our values are normal binary128 numbers (|v| > 2^-300) */
    *m = man | (((u128)1) << 112);
    *E = ex - 16383 - 112;
}

void orc_round(size_t n, const __float128 *v, const double *err,
               const uint8_t *flag, int kind, int frac, int int64_range,
               int64_t *lo, int64_t *hi, double *dist, uint8_t *status)
{
    const int p = kind == K_FLOAT64 ? 53 : 24;
    const int emin = kind == K_FLOAT64 ? -1022 : -126;
    const int bias = kind == K_FLOAT64 ? 1023 : 127;
    for (size_t k = 0; k < n; k++) {
        lo[k] = hi[k] = 0;
        if (flag[k] == V_RATIONAL) {
            dist[k] = __builtin_nan("");
            status[k] = R_FALLBACK;
            continue;
        }
        if (v[k] == 0) {                /* exact zero: 0 and +0.0 */
            dist[k] = __builtin_nan("");
            status[k] = R_DECIDED;
            continue;
        }
        int sign, E, e = 0, sh;
        u128 m;
        decode(v[k], &sign, &m, &E);
        if (kind == K_INT) {
            sh = -(E + frac);
        } else {
            e = E + 112;
            if (e < emin)
                e = emin;
            sh = -(E + p - 1 - e);
        }
        /* |v| < 4 and frac <= 64 give sh >= 113 - 66; the floats have
         * sh >= 113 - p.  So sh > 0 (y has fraction bits); anything else
         * would be a value outside the contract: leave it to the fallback. */
        if (sh <= 0) {
            dist[k] = __builtin_nan("");
            status[k] = R_FALLBACK;
            continue;
        }
        u128 ip;
        __int128 diff;                  /* f - 2^(sh-1), units of 2^-sh */
        double dd;
        if (sh >= 114) {                /* |y| < 1/2 */
            ip = 0;
            dd = ldexp((double)m, -sh) - 0.5;   /* only for the note */
            diff = -1;                  /* just the sign matters below */
        } else {
            u128 f = m & ((((u128)1) << sh) - 1);
            ip = m >> sh;
            diff = (__int128)f - (__int128)(((u128)1) << (sh - 1));
            dd = ldexp((double)diff, -sh);
        }
        double bound = SAFETY * err[k] * ldexp((double)m, -112) * 1.01;
        int up;
        if (sh >= 114) {
            up = 0;                     /* far below the midpoint 1/2 */
            status[k] = R_DECIDED;
        } else if (diff == 0 && err[k] == 0) {
            up = (int)(ip & 1);         /* an exact tie: to even */
            status[k] = R_DECIDED;
        } else {
            double ad = diff < 0 ? -(double)diff : (double)diff;
            status[k] = ad > bound ? R_DECIDED : R_UNDECIDED;
            up = diff > 0;
        }
        u128 M = ip + (u128)up;         /* round(|y|) */
        if (kind == K_INT) {
            /* y - floor(y) = 1 - frac(|y|) for y < 0 (frac != 0) */
            dist[k] = sign && (sh >= 114 || diff != -(((__int128)1) << (sh - 1)))
                      ? -dd : dd;
            __int128 xi = sign ? -(__int128)M : (__int128)M;
            lo[k] = (int64_t)(uint64_t)xi;
            hi[k] = (int64_t)(xi >> 64);
            if (int64_range && (xi > INT64_MAX || xi < INT64_MIN)
                    && status[k] == R_DECIDED)
                status[k] = R_OVERFLOW;
        } else {
            dist[k] = dd;
            int ee = e;
            if (M == ((u128)1) << p) {  /* carried into the next binade */
                M >>= 1;
                ee++;
            }
            uint64_t biased, field;
            if (M < ((u128)1) << (p - 1)) {     /* subnormal or zero */
                biased = 0;
                field = (uint64_t)M;
            } else {
                biased = (uint64_t)(ee + bias);
                field = (uint64_t)M - ((uint64_t)1 << (p - 1));
            }
            uint64_t bits = (biased << (p - 1)) | field;
            bits |= (uint64_t)sign << (kind == K_FLOAT64 ? 63 : 31);
            lo[k] = (int64_t)bits;
        }
    }
}

/* For tests: the constants as the rest of the campaign sees them. */
double orc_safety(void) { return SAFETY; }
void orc_pi_2(__float128 *out) { *out = PI_2; }
