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
 * range of words, a block at a time: the words' fields go straight into
 * the block's inputs and option words, and at eps = 0 stage 1 runs on the
 * short kernels that R's low 44 and T's low 40 zero bits allow
 * (pq_block_seed64); with eps != 0, for int128 results and without SIMD
 * code, the words are unpacked into columns of pq_rbe_range.
 */
#include <string.h>

#include "pq_internal.h"
#include "pq_testing.h" /* pq_force_slow */

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

/* Words k0 .. k1 - 1 unpacked into columns of pq_rbe_range (int128
 * results, no SIMD code or stage 1 switched off: the general path). */
static __attribute__((noinline)) size_t seed_range_columns(const pq_columns *a, size_t k0,
                                                           size_t k1, pq_format fmt, void *out,
                                                           uint8_t *status) {
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

/* Words k0 .. k0 + n - 1 (n <= PQ_BLOCK) as a block.  At eps = 0 for the
 * whole block (the usual call) the block's R column holds the words
 * themselves and the short kernels' lanes (pq_block_seed64) read every
 * field from them; otherwise the fields go into the block's inputs and
 * option words (4 - log2_c, d_r, the turn offset; PQ_OPT_BAD for
 * basis != 0) for the general lanes with options per element.  Then
 * pq_rbe_seed64 for every element the block left undecided (PQ_EDOM for
 * basis != 0), as pq_rbe_range does with pq_rbe. */
static size_t seed_block(const pq_columns *a, size_t k0, size_t n, pq_format fmt, void *out,
                         uint8_t *status, pq_block *b) {
    uint64_t any_e = 0;
    if (a->s_eps == 0)
        any_e = a->eps[0];
    else
        for (size_t m = 0; m < n; m++) any_e |= a->eps[(ptrdiff_t)(k0 + m) * a->s_eps];
    if (!any_e) {
        pq_columns c = *a; /* the words as R (and as T, not read) */
        c.T = a->R;
        c.s_T = a->s_R;
        pq_block_inputs(b, &c, k0, n);
        pq_block_seed64(b, n, fmt);
    } else {
        size_t npad = (n + 7) / 8 * 8;
        for (size_t m = 0; m < n; m++) {
            ptrdiff_t k = (ptrdiff_t)(k0 + m); /* signed: a negative stride reads backwards */
            uint64_t w = a->R[k * a->s_R];
            uint64_t c = (w >> SHIFT_LOG2C) & 7;
            uint64_t wrong = (w >> SHIFT_BASIS) & 15 ? 1 : 0; /* basis != 0 */
            b->Rc[m] = w & ~((1ULL << SHIFT_R) - 1);                  /* r 2^44 */
            b->Tc[m] = ((w >> SHIFT_THETA) & ((1u << 24) - 1)) << 40; /* theta 2^40 */
            b->ic[m] = a->i[k * a->s_i];
            b->jc[m] = a->j[k * a->s_j];
            b->E[m] = a->eps[k * a->s_eps] & (wrong - 1);
            /* 4 - log2_c (1..8), d_r, and rot 2^60 + d_theta 2^62 mod 2^64 */
            b->opt[m] = (4 - c + 2 * (c & 4)) | (((w >> SHIFT_DR) & 1) << PQ_OPT_DR_BIT) |
                        (wrong * PQ_OPT_BAD) |
                        ((((w >> SHIFT_ROT) & 15) << 60) + (((w >> SHIFT_DTHETA) & 3) << 62));
        }
        for (size_t m = n; m < npad; m++) { /* valid stand-ins for the last group's lanes */
            b->Rc[m] = b->Tc[m] = 1;
            b->ic[m] = b->jc[m] = 0;
            b->E[m] = 0;
            b->opt[m] = 4;
        }
        b->R = b->Rc;
        b->T = b->Tc;
        b->i = b->ic;
        b->j = b->jc;
        pq_block_stage1(b, n, NULL, fmt);
        for (size_t m = 0; m < n; m++)
            if (b->opt[m] & PQ_OPT_BAD) b->x_ok[m] = 0; /* left to pq_rbe_seed64: PQ_EDOM */
    }
    if (pq_block_store_decided(b, n, 1, fmt, out, status, k0)) return 0; /* basis != 0: x_ok = 0 */
    size_t bad = 0;
    for (size_t m = 0; m < n; m++) {
        size_t k = k0 + m;
        pq_value v;
        if (b->x_ok[m]) {
            pq_store_bits(fmt, out, k, (uint64_t)b->x[m]);
            status[k] = PQ_OK;
            continue;
        }
        ptrdiff_t sk = (ptrdiff_t)k;
        int st = pq_rbe_seed64(a->R[sk * a->s_R], b->i[m], b->j[m], a->eps[sk * a->s_eps], fmt, &v);
        bad += pq_store_result(fmt, out, status, k, st, &v);
    }
    return bad;
}

/* The blocks of a range; a function of its own (never inlined) so that
 * its block, 12 KB, is not on the stack below seed_range_columns, whose
 * pq_rbe_range has its own (tests/test_stack_usage.py bounds the chains). */
static __attribute__((noinline)) size_t seed_range_blocks(const pq_columns *a, size_t k0,
                                                          size_t k1, pq_format fmt, void *out,
                                                          uint8_t *status) {
    pq_block b;
    size_t bad = 0;
    for (size_t k = k0; k < k1; k += PQ_BLOCK) {
        size_t n = k1 - k < PQ_BLOCK ? k1 - k : PQ_BLOCK;
        bad += seed_block(a, k, n, fmt, out, status, &b);
    }
    return bad;
}

size_t pq_rbe_seed64_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt, void *out,
                           uint8_t *status) {
    if (k1 <= k0) return 0;
    if (!a || !out || !status) return k1 - k0;
    if (pq_format_check(fmt) != PQ_OK) {
        memset(status + k0, PQ_EDOM, k1 - k0);
        return k1 - k0;
    }
    if (fmt.kind == PQ_KIND_INT128 || pq_force_slow || pq_block_level() == 0)
        return seed_range_columns(a, k0, k1, fmt, out, status);
    return seed_range_blocks(a, k0, k1, fmt, out, status);
}
