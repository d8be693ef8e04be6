/*
 * stage1_sin_search.c -- random search for large errors of stage 1's sine
 * (pq_fast_sin_w), driven by poincare_q64/validation/stage1_sin_search.py.
 *
 * The kernel's integer steps are repeated here (from pq_fast.h, on the
 * package's own PQ_FAST_POLY) so that each floor's dropped fraction is
 * known; the driver re-measures the best inputs through the kernel itself
 * against mpmath, which catches any difference.  In units U = 2^-86 the
 * error of |s| is, with tau = t / 2^62 and the fractions f in [0, 1) that
 * the floors drop,
 *
 *   sum_k e_k tau^k - tau^2 (f_A + f_P5 + f_P6) - tau^4 f_B - f_tq
 *   - f_t2 p / 2^62 - (the series past tau^6)
 *
 * (e_k: the table's rounding error of c_k; p: the kernel's q in units U),
 * up to terms below 2^-20 U.
 *
 * stdin: per table row i = 0..2048, e_2..e_6 and c_7..c_9 (doubles, U).
 * argv: n (samples per row), tau_min, seed, sign (-1, 1 or 0 for both),
 * then the rows to search.  Output per row: the offset d (|d| <= 2^50) with
 * the largest |error| found and that error in U.
 * With argv[1] = "one": argv[2] = v in (0, 2^62), its row, d and error.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq_tables.h"

typedef __int128 i128;
#define ROWS 2049

static double ek[ROWS][7], tail[ROWS][3];

/* floor(x / 2^62) and the fraction it drops */
static int64_t fl62(i128 x, double *f) {
    int64_t q = (int64_t)(x >> 62);
    *f = ldexp((double)(x - ((i128)q << 62)), -62);
    return q;
}

static double sin_error(int i, int64_t d) {
    const uint64_t *r = PQ_FAST_POLY[i];
    int64_t c2 = (int64_t)r[4], c3 = (int64_t)r[5], c4 = (int64_t)r[6], c5 = (int64_t)r[7],
            c6 = (int64_t)PQ_FAST_POLY_C6[i];
    int64_t t = d * 4096; /* tau 2^62 */
    double tau = ldexp((double)t, -62), fA, fB, ft2, ft4, f5, f6, ftq;
    int64_t A = c2 + fl62((i128)t * c3, &fA);
    int64_t B = c4 + fl62((i128)t * c5, &fB);
    int64_t t2 = fl62((i128)t * t, &ft2);
    int64_t t4 = fl62((i128)t2 * t2, &ft4);
    int64_t p = A + fl62((i128)t2 * B, &f5);
    p += fl62((i128)t4 * c6, &f6);
    fl62((i128)t2 * p, &ftq);
    double tt = tau * tau;
    double E = -tt * (fA + f5 + f6) - tt * tt * fB - ftq - ft2 * ldexp((double)p, -62);
    double tk = tt;
    for (int k = 2; k <= 6; k++) {
        E += ek[i][k] * tk;
        tk *= tau;
    }
    return E - (tail[i][0] + tau * (tail[i][1] + tau * tail[i][2])) * tk; /* tk = tau^7 */
}

int main(int argc, char **argv) {
    for (int i = 0; i < ROWS; i++) {
        for (int k = 2; k <= 6; k++)
            if (scanf("%lf", &ek[i][k]) != 1) return 2;
        for (int k = 0; k < 3; k++)
            if (scanf("%lf", &tail[i][k]) != 1) return 2;
    }
    if (argc == 3 && strcmp(argv[1], "one") == 0) {
        uint64_t v = strtoull(argv[2], 0, 0);
        int i = (int)((v + (1ULL << 50)) >> 51);
        int64_t d = (int64_t)(v - ((uint64_t)i << 51));
        printf("%d %lld %.6f\n", i, (long long)d, sin_error(i, d));
        return 0;
    }
    if (argc < 6) return 2;
    long n = atol(argv[1]);
    double tau_min = atof(argv[2]);
    uint64_t x = 88172645463325252ULL ^ (strtoull(argv[3], 0, 0) * 0x9E3779B97F4A7C15ULL);
    int sign = atoi(argv[4]);
    uint64_t span = (uint64_t)((1.0 - tau_min) * ldexp(1.0, 50)) + 1;
    for (int a = 5; a < argc; a++) {
        int i = atoi(argv[a]);
        double best = 0;
        int64_t best_d = 0;
        for (long m = 0; m < n; m++) {
            x ^= x << 13; /* xorshift64 */
            x ^= x >> 7;
            x ^= x << 17;
            int neg = sign < 0 || (sign == 0 && (x & 1));
            int64_t mag = (int64_t)((1ULL << 50) - (x >> 1) % span); /* |d| in (2^50 - span, 2^50] */
            int64_t d = neg ? -mag : mag - 1;                       /* d in [-2^50, 2^50) */
            if ((i == 0 && d <= 0) || (i == ROWS - 1 && d >= 0)) continue;
            double E = sin_error(i, d);
            if (fabs(E) > fabs(best)) {
                best = E;
                best_d = d;
            }
        }
        printf("%d %lld %.6f\n", i, (long long)best_d, best);
    }
    return 0;
}
