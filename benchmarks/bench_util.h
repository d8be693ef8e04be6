/*
 * bench_util.h -- what the C timing programs of benchmarks/ share: a
 * monotonic clock and the xorshift64 generator of their inputs (fixed seed,
 * so every program and every run times the same inputs).
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

static uint64_t bench_state = 88172645463325252ULL;
static inline uint64_t xorshift(void) {
    bench_state ^= bench_state << 13;
    bench_state ^= bench_state >> 7;
    bench_state ^= bench_state << 17;
    return bench_state;
}

/* seconds on CLOCK_MONOTONIC */
static inline double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
