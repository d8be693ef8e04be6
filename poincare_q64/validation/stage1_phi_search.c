/*
 * stage1_phi_search.c -- the error of stage 1's phi (pq_fast_phi_w) at every
 * hash value of a quarter turn, as a fraction of PQ_FAST_ERR_PHI.
 * Driven by poincare_q64/validation/stage1_phi_search.py, which compiles it against the
 * package's own headers and table (so the integers are the kernel's) and
 * writes the exact Taylor coefficients of each table row to stdin.
 *
 * Input (stdin), one line per table row i = 0..2048:
 *   the floors of S/10 2^130 (hi lo) and c1/10 2^141 (hi lo) and of
 *   c_k/10 2^89 for k = 2..6 (signed), their fractional parts (7 doubles),
 *   then c7..c10 (doubles, units 2^-89): the exact coefficients of
 *   tau -> sin(b_i + kappa tau)/10 in the table's units.
 * Output: for each row, the H of quadrant 0 (H < 2^30) where |error| is
 * largest and that error in units of 2^-126 (signed: kernel minus exact).
 * The other quadrants repeat these values: H, 2^31 - H, 2^31 + H and
 * 2^32 - H reduce to the same table point and offset.
 *
 * The error is computed without rounding anything that matters: the
 * kernel's PHI is an integer; the part of the exact value that the table
 * words give (floor F_k of each coefficient times tau^k) is summed exactly
 * in 128-bit integers, with the fractions of the divisions by powers of two
 * as doubles; the fractional parts of the coefficients and the series
 * terms past tau^6 are doubles below 2^38 units.  The result is good to
 * about 2^-10 units of 2^-126, against a bound of 9 2^37 + 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "pq_fast.h"

typedef __int128 i128;
#define ROWS 2049

struct row {
    unsigned long long Sh, Sl, C1h, C1l;
    long long F[7]; /* F[2..6] */
    double frac[7]; /* 0: S, 1: c1, 2..6: c_k */
    double c[4]; /* c7..c10 */
};

/* x / 2^s as an exact integer part plus a fractional double */
static void split(i128 x, int s, i128 *ip, double *fp) {
    i128 q = x >> s; /* floor */
    *ip += q;
    *fp += (double)(x - (q << s)) / ldexp(1.0, s);
}

static double phi_error(const struct row *r, long H) {
    long i = (H + (1L << 18)) >> 19, d = H - (i << 19); /* the kernel's table point */
    pq_w P = pq_fast_phi_w((uint64_t)H);
    i128 phi = (i128)(((unsigned __int128)P.hi << 64) | P.lo) - ((i128)1 << 126);
    i128 ip = 0;
    double fp = 0;
    double tau = (double)d / 262144.0;
    /* S/10 2^130 / 16 and c1 tau (2^-141 -> 2^-126: d / 2^(18 + 15)) */
    split((i128)r->Sh << 64 | r->Sl, 4, &ip, &fp);
    split(((i128)r->C1h * d) << 31, 0, &ip, &fp);
    split((i128)r->C1l * d, 33, &ip, &fp);
    /* c_k tau^k 2^37 = F_k d^k / 2^(18 k - 37) */
    i128 dk = (i128)d * d;
    ip += (i128)r->F[2] * dk * 2;
    for (int k = 3; k <= 6; k++) {
        dk *= d;
        split((i128)r->F[k] * dk, 18 * k - 37, &ip, &fp);
    }
    double t = 1;
    fp += r->frac[0] / 16 + r->frac[1] * tau / 32768.0;
    t = tau;
    for (int k = 2; k <= 6; k++) {
        t *= tau;
        fp += r->frac[k] * t * 137438953472.0; /* 2^37 */
    }
    fp += (((r->c[3] * tau + r->c[2]) * tau + r->c[1]) * tau + r->c[0]) * t * tau * 137438953472.0;
    return (double)(phi - ip) - fp;
}

int main(int argc, char **argv) {
    /* argv[1]: the smallest |d| (offset from the table point, of 2^18)
     * searched; argv[2] (optional): one H, whose error is printed alone */
    static struct row rows[ROWS];
    long dmin = argc > 1 ? atol(argv[1]) : 0;
    for (int i = 0; i < ROWS; i++) {
        struct row *r = &rows[i];
        if (scanf("%llu %llu %llu %llu %lld %lld %lld %lld %lld", &r->Sh, &r->Sl, &r->C1h, &r->C1l,
                  &r->F[2], &r->F[3], &r->F[4], &r->F[5], &r->F[6]) != 9)
            return 2;
        for (int k = 0; k < 7; k++)
            if (scanf("%lf", &r->frac[k]) != 1) return 2;
        for (int k = 0; k < 4; k++)
            if (scanf("%lf", &r->c[k]) != 1) return 2;
    }
    if (argc > 2) {
        long H = atol(argv[2]);
        printf("%ld %.6f\n", H, phi_error(&rows[(H + (1L << 18)) >> 19], H));
        return 0;
    }
    for (long i = 0; i < ROWS; i++) {
        long best_h = -1;
        double best = 0;
        for (long d = -(1L << 18); d < (1L << 18); d++) {
            long H = (i << 19) + d;
            if ((d < dmin && d > -dmin) || H <= 0 || H >= (1L << 30)) continue;
            double e = phi_error(&rows[i], H);
            if (fabs(e) > fabs(best)) {
                best = e;
                best_h = H;
            }
        }
        printf("%ld %.6f\n", best_h, best);
    }
    return 0;
}
