/*
 * bench_range.c -- time pq_rbe_range in C, without Python, at each SIMD
 * level of rbe's array path.
 *
 *   cd poincare_q64/src && gcc -O3 -std=c11 -fno-strict-aliasing -I. \
 *       ../../benchmarks/bench_range.c *.c -o /tmp/bench_range
 *   /tmp/bench_range [n] [repeats] [kind] [level]
 *
 * n elements (default 10^6) of xorshift-random R, T, i, j with the default
 * options; kind 0 = int64 at frac 62 (default), 1 = float64; level 0 = the
 * scalar loop, 1 = AVX2, 2 = AVX-512, -1 (default) = the CPU's best.
 * Prints the best of `repeats` (default 5) runs in ns per element and a
 * checksum (FNV-1a of the output bytes), which must not depend on the level.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pq_internal.h"
#include "pq_testing.h" /* pq_debug_set_simd: the level to time */
#include "bench_util.h" /* xorshift, now */


int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    int kind = argc > 3 ? atoi(argv[3]) : 0;
    int level = argc > 4 ? atoi(argv[4]) : -1;
    if (pq_debug_set_simd(level) != PQ_OK) {
        fprintf(stderr, "SIMD level %d is not available on this CPU\n", level);
        return 2;
    }
    uint64_t *R = malloc(8 * n), *T = malloc(8 * n);
    uint32_t *I = malloc(4 * n), *J = malloc(4 * n);
    unsigned char *out = malloc(8 * n);
    uint8_t *status = malloc(n);
    if (!R || !T || !I || !J || !out || !status) return 1;
    for (size_t k = 0; k < n; k++) {
        R[k] = xorshift();
        T[k] = xorshift();
        uint64_t w = xorshift();
        I[k] = (uint32_t)w;
        J[k] = (uint32_t)(w >> 32);
    }
    uint64_t eps = 0;
    int32_t zero = 0;
    pq_columns c = {R, T, I, J, &eps, &zero, &zero, &zero, &zero, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    pq_format fmt = {kind ? PQ_KIND_FLOAT64 : PQ_KIND_INT64, kind ? 0 : 62};
    double best = 1e30;
    size_t bad = 0;
    for (int r = 0; r <= reps; r++) { /* run 0 warms up */
        double t0 = now();
        bad = pq_rbe_range(&c, 0, n, fmt, out, status);
        double t1 = now();
        if (r && t1 - t0 < best) best = t1 - t0;
    }
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < 8 * n; k++) {
        h ^= out[k];
        h *= 1099511628211ULL;
    }
    printf("level %d: %.2f ns/element, %zu errors, checksum %016llx\n", pq_block_level(),
           best / n * 1e9, bad, (unsigned long long)h);
    return 0;
}
