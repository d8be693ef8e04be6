/*
 * bench_calls.c -- the C rows of benchmarks/suite.py: pq_rbe called once
 * per element, and pq_rbe_range over a whole array, without Python.
 * suite.py builds it at run time against poincare_q64.get_include():
 *
 *   INC=$(python -c "import poincare_q64; print(poincare_q64.get_include())")
 *   gcc -O3 -std=c11 -fno-strict-aliasing -I$INC bench_calls.c $INC/*.c -lm -o /tmp/bench_calls
 *
 *   /tmp/bench_calls time API KIND LEVEL N REPEATS   -> "<ns per element> <checksum>"
 *   /tmp/bench_calls check API KIND LEVEL < inputs   -> one result per line
 *
 * API 0 = pq_rbe per element, 1 = pq_rbe_range; KIND 0 = int64 at frac 62,
 * 2 = float64, 3 = float32; LEVEL -1 = the CPU's best SIMD level, 0 / 1 / 2
 * = scalar / AVX2 / AVX-512 (pq_rbe_range only; pq_rbe has no lanes).
 * Timing inputs are xorshift-random with the default options.  The check
 * mode reads "R T i j" lines (decimal) so that suite.py can compare these
 * very calls with poincare_q64.reference: int64 results print in decimal,
 * floats as the hex digits of their bits.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pq_internal.h"
#include "pq_testing.h" /* pq_debug_set_simd */
#include "bench_util.h" /* xorshift, now */


static uint64_t eps0 = 0;
static int32_t zero = 0;

/* Writes n results into out (8 bytes each, 4 for float32); nonzero on any error. */
static int evaluate(int api, pq_format fmt, size_t n, const uint64_t *R, const uint64_t *T,
                    const uint32_t *I, const uint32_t *J, unsigned char *out, uint8_t *status) {
    size_t es = fmt.kind == PQ_KIND_FLOAT32 ? 4 : 8;
    if (api == 0) {
        pq_params p = {0, 0, 0, 0, 0};
        int bad = 0;
        for (size_t k = 0; k < n; k++) {
            pq_value v;
            bad |= pq_rbe(R[k], T[k], I[k], J[k], &p, fmt, &v);
            memcpy(out + es * k, &v, es);
        }
        return bad;
    }
    pq_columns c = {R, T, I, J, &eps0, &zero, &zero, &zero, &zero, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    return pq_rbe_range(&c, 0, n, fmt, out, status) != 0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s time|check API KIND LEVEL [N REPEATS]\n", argv[0]);
        return 2;
    }
    int check = strcmp(argv[1], "check") == 0;
    int api = atoi(argv[2]), kind = atoi(argv[3]), level = atoi(argv[4]);
    if (pq_debug_set_simd(level) != PQ_OK) {
        fprintf(stderr, "SIMD level %d is not available on this CPU\n", level);
        return 2;
    }
    pq_format fmt = {kind, kind == PQ_KIND_INT64 ? 62 : 0};
    size_t es = kind == PQ_KIND_FLOAT32 ? 4 : 8;
    size_t n = 0, cap = 1024;
    if (!check) {
        if (argc < 7) return 2;
        n = cap = strtoull(argv[5], NULL, 10);
    }
    uint64_t *R = malloc(8 * cap), *T = malloc(8 * cap);
    uint32_t *I = malloc(4 * cap), *J = malloc(4 * cap);
    if (!R || !T || !I || !J) return 2;
    if (check) {
        unsigned long long r, t;
        unsigned long i, j;
        while (scanf("%llu %llu %lu %lu", &r, &t, &i, &j) == 4) {
            if (n == cap) {
                cap *= 2;
                R = realloc(R, 8 * cap);
                T = realloc(T, 8 * cap);
                I = realloc(I, 4 * cap);
                J = realloc(J, 4 * cap);
                if (!R || !T || !I || !J) return 2;
            }
            R[n] = r;
            T[n] = t;
            I[n] = (uint32_t)i;
            J[n] = (uint32_t)j;
            n++;
        }
    } else {
        for (size_t k = 0; k < n; k++) {
            R[k] = xorshift();
            T[k] = xorshift();
            uint64_t w = xorshift();
            I[k] = (uint32_t)w;
            J[k] = (uint32_t)(w >> 32);
        }
    }
    unsigned char *out = malloc(8 * (n ? n : 1));
    uint8_t *status = malloc(n ? n : 1);
    if (!out || !status) return 2;
    if (check) {
        if (evaluate(api, fmt, n, R, T, I, J, out, status)) return 1;
        for (size_t k = 0; k < n; k++) {
            if (kind == PQ_KIND_INT64) {
                int64_t v;
                memcpy(&v, out + 8 * k, 8);
                printf("%lld\n", (long long)v);
            } else if (kind == PQ_KIND_FLOAT64) {
                uint64_t v;
                memcpy(&v, out + 8 * k, 8);
                printf("%016llx\n", (unsigned long long)v);
            } else {
                uint32_t v;
                memcpy(&v, out + 4 * k, 4);
                printf("%08lx\n", (unsigned long)v);
            }
        }
        return 0;
    }
    int reps = atoi(argv[6]);
    double best = 1e30;
    for (int r = 0; r <= reps; r++) { /* run 0 warms up */
        double t0 = now();
        if (evaluate(api, fmt, n, R, T, I, J, out, status)) return 1;
        double t1 = now();
        if (r && t1 - t0 < best) best = t1 - t0;
    }
    /* the checksum keeps the compiler from dropping the results */
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < es * n; k++) h = (h ^ out[k]) * 1099511628211ULL;
    printf("%.3f %016llx\n", best / (double)n * 1e9, (unsigned long long)h);
    return 0;
}
