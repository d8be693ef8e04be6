/*
 * seed64.c -- the 64-bit seed of source 002 (pq_seed64_pack, _unpack) and
 * pq_rbe_seed64, rbe of the point a seed names (poincare_q64.h).
 *
 * Layout, most significant field first:
 *   r:20 | theta:24 | basis:4 | d_theta:2 | d_r:1 | rot:4 | log2_c:3 | reserved:6
 * log2_c is 3-bit two's complement (0b100..0b111 = -4..-1).  pack checks
 * every field (PQ_EDOM, word unchanged); unpack is total.  pq_rbe_seed64 is
 * pq_rbe at R = r 2^44, T = theta 2^40 (r and theta are the top bits of the
 * Q0.64 inputs) with the seed's options; only basis 0 (the sine) is
 * defined, any other is PQ_EDOM.  pq_rbe_seed64_range is the same for a
 * range of words: unpacked a block at a time into columns of pq_rbe_range,
 * which reads their options per element (per lane on the SIMD path).
 */
#include <string.h>

#include "pq_internal.h"

#define SHIFT_R 44
#define SHIFT_THETA 20
#define SHIFT_BASIS 16
#define SHIFT_DTHETA 14
#define SHIFT_DR 13
#define SHIFT_ROT 9
#define SHIFT_LOG2C 6
#define FIELD(w, shift, bits) ((uint32_t)(((w) >> (shift)) & ((1u << (bits)) - 1)))

int pq_seed64_pack(const pq_seed64_fields *f, uint64_t *word) {
    if (!f || !word) return PQ_EDOM;
    if (f->r >= (1u << 20) || f->theta >= (1u << 24) || f->basis < 0 || f->basis > 15 ||
        f->d_theta < 0 || f->d_theta > 3 || f->d_r < 0 || f->d_r > 1 || f->rot < 0 || f->rot > 15 ||
        f->log2_c < -4 || f->log2_c > 3 || f->reserved < 0 || f->reserved > 63)
        return PQ_EDOM;
    *word = ((uint64_t)f->r << SHIFT_R) | ((uint64_t)f->theta << SHIFT_THETA) |
            ((uint64_t)f->basis << SHIFT_BASIS) | ((uint64_t)f->d_theta << SHIFT_DTHETA) |
            ((uint64_t)f->d_r << SHIFT_DR) | ((uint64_t)f->rot << SHIFT_ROT) |
            ((uint64_t)(f->log2_c & 7) << SHIFT_LOG2C) | (uint64_t)f->reserved;
    return PQ_OK;
}

void pq_seed64_unpack(uint64_t word, pq_seed64_fields *f) {
    uint32_t c = FIELD(word, SHIFT_LOG2C, 3);
    f->r = FIELD(word, SHIFT_R, 20);
    f->theta = FIELD(word, SHIFT_THETA, 24);
    f->basis = (int32_t)FIELD(word, SHIFT_BASIS, 4);
    f->d_theta = (int32_t)FIELD(word, SHIFT_DTHETA, 2);
    f->d_r = (int32_t)FIELD(word, SHIFT_DR, 1);
    f->rot = (int32_t)FIELD(word, SHIFT_ROT, 4);
    f->log2_c = (int32_t)c - ((c & 4) ? 8 : 0);
    f->reserved = (int32_t)FIELD(word, 0, 6);
}

int pq_rbe_seed64(uint64_t word, uint32_t i, uint32_t j, uint64_t eps, pq_format fmt,
                  pq_value *out) {
    pq_seed64_fields f;
    pq_seed64_unpack(word, &f);
    if (f.basis != 0) return PQ_EDOM; /* only the sine basis is defined */
    pq_params p = {eps, f.log2_c, f.d_r, f.rot, f.d_theta};
    return pq_rbe((uint64_t)f.r << 44, (uint64_t)f.theta << 40, i, j, &p, fmt, out);
}

size_t pq_rbe_seed64_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt, void *out,
                           uint8_t *status) {
    if (k1 <= k0) return 0;
    if (!a || !out || !status) return k1 - k0;
    if (pq_format_check(fmt) != PQ_OK) {
        memset(status + k0, PQ_EDOM, k1 - k0);
        return k1 - k0;
    }
    size_t size = fmt.kind == PQ_KIND_INT128 ? sizeof(pq_int128)
                  : fmt.kind == PQ_KIND_FLOAT32 ? sizeof(float) : sizeof(uint64_t);
    uint64_t R[PQ_BLOCK], T[PQ_BLOCK];
    int32_t lc[PQ_BLOCK], dr[PQ_BLOCK], rot[PQ_BLOCK], dth[PQ_BLOCK];
    size_t bad = 0;
    for (size_t b0 = k0; b0 < k1; b0 += PQ_BLOCK) {
        size_t n = k1 - b0 < PQ_BLOCK ? k1 - b0 : PQ_BLOCK;
        for (size_t m = 0; m < n; m++) {
            uint64_t w = a->R[(ptrdiff_t)(b0 + m) * a->s_R];
            uint32_t c = FIELD(w, SHIFT_LOG2C, 3);
            R[m] = (uint64_t)FIELD(w, SHIFT_R, 20) << 44;
            T[m] = (uint64_t)FIELD(w, SHIFT_THETA, 24) << 40;
            /* basis != 0 is PQ_EDOM: an out-of-range log2_c makes it so */
            lc[m] = FIELD(w, SHIFT_BASIS, 4) ? 99 : (int32_t)c - ((c & 4) ? 8 : 0);
            dr[m] = (int32_t)FIELD(w, SHIFT_DR, 1);
            rot[m] = (int32_t)FIELD(w, SHIFT_ROT, 4);
            dth[m] = (int32_t)FIELD(w, SHIFT_DTHETA, 2);
        }
        /* the block's columns from element 0: i, j and eps at b0 */
        pq_columns c = {R, T, a->i + (ptrdiff_t)b0 * a->s_i, a->j + (ptrdiff_t)b0 * a->s_j,
                        a->eps + (ptrdiff_t)b0 * a->s_eps, lc, dr, rot, dth,
                        1, 1, a->s_i, a->s_j, a->s_eps, 1, 1, 1, 1};
        bad += pq_rbe_range(&c, 0, n, fmt, (char *)out + b0 * size, status + b0);
    }
    return bad;
}
