/*
 * bench_decode_rows.c -- time pq_decode_rows in C, without Python: the
 * matrix decoder with a phi table (or without, computing phi), on m rows
 * of 1024 columns, at a chosen SIMD level, with or without the IFMA lanes.
 *
 *   cd poincare_q64/src && gcc -O3 -std=c11 -fno-strict-aliasing -I. \
 *       ../../benchmarks/bench_decode_rows.c *.c -o /tmp/bench_decode_rows
 *   /tmp/bench_decode_rows [m] [repeats] [kind] [table] [level] [ifma]
 *
 * m rows (default 1024; 8 keeps the table in L2), each call decoding all
 * of them `repeats` times (default 8); kind 0 = int64 at frac 62
 * (default), 2 = float64, 3 = float32; table 1 (default) reads a phi table,
 * 0 computes phi; level -1 (default) = the CPU's best, 0 / 1 / 2 = scalar /
 * AVX2 / AVX-512; ifma 1 (default) lets the IFMA lanes run, 0 keeps them
 * off.  The seed is bench_decode.py's (R = 0.75, T = 0.1 turn).  Prints the
 * best of 7 calls in ns per element and a checksum (FNV-1a of the output
 * bytes), which must not depend on the level or on ifma.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pq_internal.h"
#include "pq_decode.h" /* pq_decode_ifma_cpu, pq_decode_ifma_on */
#include "pq_testing.h"
#include "bench_util.h" /* xorshift, now */


int main(int argc, char **argv) {
    uint32_t m = argc > 1 ? (uint32_t)atoi(argv[1]) : 1024, n = 1024;
    int reps = argc > 2 ? atoi(argv[2]) : 8;
    int kind = argc > 3 ? atoi(argv[3]) : 0;
    int use_table = argc > 4 ? atoi(argv[4]) : 1;
    int level = argc > 5 ? atoi(argv[5]) : -1;
    int ifma = argc > 6 ? atoi(argv[6]) : 1;
    if (m < 1 || reps < 1 || (kind != 0 && kind != 2 && kind != 3) ||
        pq_debug_set_simd(level) != PQ_OK) {
        fprintf(stderr, "bad arguments (or a level / IFMA this CPU lacks)\n");
        return 2;
    }
    pq_debug_decode_ifma(ifma && pq_decode_ifma_cpu());
    size_t es = kind == 3 ? 4 : 8;
    uint64_t *hi = malloc(8u * (size_t)m * n), *lo = malloc(8u * (size_t)m * n);
    unsigned char *out = malloc(es * (size_t)m * n);
    if (!hi || !lo || !out) return 2;
    pq_phi_table_fill(hi, lo, n, 0, m);
    pq_phi_table tab = {hi, lo, m, n};
    pq_params p = {0, 0, 0, 0, 0};
    pq_format f = {kind, kind == 0 ? 62 : 0};
    pq_decoder d;
    if (pq_decoder_init(0xC000000000000000ULL, 0x1999999999999999ULL, &p, f, &d) != PQ_OK) return 2;
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        for (int k = 0; k < reps; k++)
            if (pq_decode_rows(&d, n, 0, m, use_table ? &tab : NULL, out, n, NULL) != PQ_OK)
                return 1;
        t0 = now() - t0;
        if (t0 < best) best = t0;
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t k = 0; k < es * (size_t)m * n; k++) h = (h ^ out[k]) * 0x100000001b3ULL;
    printf("m=%u kind=%d table=%d level=%d ifma=%d: %.3f ns/element, checksum %016llx\n", m,
           kind, use_table, pq_block_level(), pq_decode_ifma_on(),
           best / ((double)m * n * reps) * 1e9, (unsigned long long)h);
    return 0;
}
