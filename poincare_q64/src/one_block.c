/*
 * one_block.c -- radial, angular and modulation on arrays (pq_one_range):
 * blocks of PQ_BLOCK elements whose stage 1 and rounding run in the SIMD
 * lanes (pq_block_one, with each element's options read per lane), every
 * element the lanes leave (a failed rounding test, an exact case, a result
 * the lane rounding does not write, int128 results, options out of range)
 * through the scalar kernel, pq_radial, pq_angular or pq_modulation.  The
 * lanes compute the scalar stage 1's words (docs/spec.md, "Options per
 * element") and round them with the same test, so every result is the
 * scalar kernel's.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_testing.h"

static int one_scalar(int which, const pq_columns *a, size_t k, pq_format fmt, pq_value *v) {
    ptrdiff_t s = (ptrdiff_t)k;
    pq_params p = pq_columns_params(a, k);
    if (which == PQ_ONE_RADIAL) return pq_radial(a->R[s * a->s_R], &p, fmt, v);
    if (which == PQ_ONE_ANGULAR) return pq_angular(a->T[s * a->s_T], &p, fmt, v);
    return pq_modulation(a->i[s * a->s_i], a->j[s * a->s_j], fmt, v);
}

size_t pq_one_range(int which, const pq_columns *a, size_t k0, size_t k1, pq_format fmt,
                    void *out, uint8_t *status) {
    if (k1 <= k0) return 0;
    if (!a || !out || !status || which < 0 || which > 2) return k1 - k0;
    if (pq_format_check(fmt) != PQ_OK) {
        memset(status + k0, PQ_EDOM, k1 - k0);
        return k1 - k0;
    }
    int lanes = !pq_force_slow && pq_block_level() > 0 && fmt.kind != PQ_KIND_INT128;
    size_t bad = 0;
    pq_block b;
    for (size_t b0 = k0; b0 < k1; b0 += PQ_BLOCK) {
        size_t n = k1 - b0 < PQ_BLOCK ? k1 - b0 : PQ_BLOCK;
        int have = 0;
        if (lanes) {
            pq_block_inputs(&b, a, b0, n);
            pq_block_options(&b, a, b0, n);
            have = pq_block_one(&b, n, which, fmt);
        }
        for (size_t m = 0; m < n; m++) {
            size_t k = b0 + m;
            if (have && b.x_ok[m] && !(b.opt[m] & PQ_OPT_BAD)) {
                pq_store_bits(fmt, out, k, (uint64_t)b.x[m]);
                status[k] = PQ_OK;
                continue;
            }
            pq_value v;
            bad += pq_store_result(fmt, out, status, k, one_scalar(which, a, k, fmt, &v), &v);
        }
    }
    return bad;
}
