/*
 * ziv.c -- the accurate path shared by angular, modulation and rbe: Ziv's
 * strategy at rising precision.
 *
 * Input: an approximation function f(ctx, W, out) that returns the value at
 * W limbs (64W bits) as a pq_approx with a proven bound err (W = 2: the
 * 128-bit table path; W >= 4: the multi-precision series; bounds in
 * docs/spec.md, "The 128-bit path and the multi-precision path"), and the
 * output format.  Output: the value correctly rounded to fmt, or PQ_EOVERFLOW.
 *
 * The values reaching here are irrational (the callers decide the rational
 * cases exactly), hence never a rounding midpoint: at some precision the
 * error interval no longer contains one and pq_round_approx decides.  The
 * ladder is W = 2, 4, 8, 16, 32 (128 to 2048 bits); PQ_EUNDECIDED past it has
 * never been observed.  With the test switch at level 2 the ladder starts at
 * W = 4, so that the multi-precision path is tested on every input.
 */
#include "pq_internal.h"
#include "pq_testing.h"

int pq_ziv(pq_approx_fn f, const void *ctx, pq_format fmt, pq_value *out) {
    pq_approx a;
    for (int W = pq_force_slow >= 2 ? PQ_W_START : 2; W <= PQ_W_MAX; W = (W == 2) ? PQ_W_START : 2 * W) {
        f(ctx, W, &a);
        int rc = pq_round_approx(&a, fmt, out);
        if (rc != PQ_RETRY) return rc;
    }
    return PQ_EUNDECIDED;
}
