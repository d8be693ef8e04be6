/*
 * pq_testing.h -- the kernels' test switches and hooks.  PRIVATE: not part
 * of the public C interface (poincare_q64.h), of the capsule table or of
 * the frozen ABI (tests/abi/abi.json); they may change in any release.
 *
 * Why they exist: the later paths of every kernel (the 128-bit path and the
 * multi-precision path) decide about one evaluation in 2^17 and one in 2^50,
 * so random inputs never test them.  The switches force them; the hooks
 * expose each approximation and its error bound, so that the test suite
 * checks every stated bound against mpmath and every path against the
 * others, bit for bit.  Python reaches the hooks through
 * poincare_q64/_testing.py (ctypes on the loaded extension, so they act on
 * the very kernels the Python API calls).
 *
 * Thread safety: the two switches and the SIMD override are process-wide
 * and not synchronised.  Set them only while no thread evaluates; the
 * kernels only read them.  The hooks themselves keep no state.
 */
#ifndef PQ_TESTING_H
#define PQ_TESTING_H

#include "pq_internal.h"

/* ---- switches (defined in pq_testing.c, read by the kernels) ------------
 * pq_force_slow: 0 normal; 1 skip stage 1 (start at the 128-bit path);
 * 2 skip stage 1 and the 128-bit path (start at the multi-precision path).
 * pq_fast_err_shift: 16 at level 3, widening stage 1's bounds 2^16-fold so
 * that its rounding test fails often and the hand-over is exercised. */
extern int pq_force_slow;
extern int pq_fast_err_shift;

/* level 0: normal.  1: every evaluation skips stage 1 (the 64-bit table
 * kernels).  2: it also skips the 128-bit path and is decided by the
 * multi-precision path.  3: stage 1 runs with its error bounds widened
 * 2^16-fold, so it often defers to the later paths.  Other levels act as 0.
 * Results are identical at every level; evaluation is 10-1000x slower. */
void pq_debug_force_slow_path(int level);

/* Run rbe's array path at SIMD level (0 = none: the scalar loop, 1 AVX2,
 * 2 AVX-512) instead of the CPU's best; -1 = back to the CPU's best.
 * PQ_EDOM if the CPU (or the build) lacks the level. */
int pq_debug_set_simd(int level);

/* F = |f| 2^123 of rbe's stage 1 as Fhi:Flo and flags (bit 0 the sign,
 * bit 1 ok; F = 0 when not ok) for n elements, through the scalar kernels
 * (level 0) or the block code at that SIMD level; PQ_EDOM if the CPU lacks
 * it or p is invalid.  Levels 1 and 2 set the SIMD override for the call. */
int pq_debug_stage1(int level, size_t n, const uint64_t *R, const uint64_t *T, const uint32_t *i,
                    const uint32_t *j, const pq_params *p, uint64_t *Fhi, uint64_t *Flo,
                    uint8_t *flags);
/* The same with each element's options from the columns a (every stride 1):
 * levels 1 and 2 read them per lane (pq_block_options). */
int pq_debug_stage1_columns(int level, size_t n, const pq_columns *a, uint64_t *Fhi,
                            uint64_t *Flo, uint8_t *flags);

/* The same for n seed words at eps = 0 through rbe_seed64's short kernels
 * (pq_fast_seed_g, pq_fast_sin40_w): level 0 compiled scalar, in the form
 * for each word's d_r or (mixed = 1) the form with d_r per lane; levels 1
 * and 2 the block code (pq_block_seed64).  PQ_EDOM for a word with
 * basis != 0 or a level the CPU lacks.  The claim under test: the words
 * of pq_debug_stage1 at R = r 2^44, T = theta 2^40 and the word's options. */
int pq_debug_stage1_seed64(int level, size_t n, const uint64_t *W, const uint32_t *i,
                           const uint32_t *j, int mixed, uint64_t *Fhi, uint64_t *Flo,
                           uint8_t *flags);

/* An approximation and its bound: which = 0 sin(2 pi x/2^64), 1 phi(H = x),
 * 2 radial g(R = x) (eps, log2_c and d_r as given); W = 1 is stage 1 (m
 * receives 2 limbs, not normalised), W >= 2 the series paths (m receives W
 * limbs).  The claim under test: |exact - (-1)^neg m 2^e| <= err 2^e.
 * PQ_EDOM for an exact case (no approximation) or bad arguments. */
int pq_debug_approx(int which, uint64_t x, int W, uint64_t eps, int log2_c, int d_r, int *neg,
                    limb *m, int64_t *e, uint64_t *err);

/* pq_mpn_divrem (q: an - bn + 1 limbs, r: bn limbs), and in *addbacks how
 * often its rare add-back step ran, so that a test can show its inputs
 * reach it.  PQ_EDOM unless 1 <= bn <= an <= PQ_MPN_MAX and b[bn-1] != 0. */
int pq_debug_divrem(limb *q, limb *r, const limb *a, int an, const limb *b, int bn,
                    unsigned long *addbacks);

/* The matrix decoder (decode.c) on rows [0, m) of an n-column grid into out
 * (row stride n), without a phi table, and in *fallbacks how many elements
 * its fast path left to pq_rbe (Ziv's test failed, exact phi, a subnormal
 * float or an int that does not fit; every element when the plan is
 * SLOW, none when it is ZERO).  Returns pq_decode_rows' status. */
int pq_debug_decode_fallbacks(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt,
                              uint32_t m, uint32_t n, void *out, uint64_t *fallbacks);

/* The decoder's fast-path value of element (i, j): P = Phi:Plo with
 * |f| = P 2^e within err 2^e (the claim under test), the sign, and the
 * plan's mode (PQ_DECODE_FAST = 2; ZERO and SLOW have no P).  PQ_EDOM for
 * bad arguments or an exact phi (no stage-1 value). */
int pq_debug_decode_elem(uint64_t R, uint64_t T, const pq_params *p, uint32_t i, uint32_t j,
                         uint64_t *Phi, uint64_t *Plo, int64_t *e, uint64_t *err, int *neg,
                         int *mode);

/* The IFMA form of element (i, j) in format fmt (pq_decode.h's
 * pq_decode_ifma): Q = Qhi:Qlo with |f| = V 2^scale, |V - Q| < errq (the
 * claim under test), and f's sign.  PQ_EDOM for bad arguments, an exact
 * phi, a plan that is not in fast mode or has no IFMA form. */
int pq_debug_decode_elem_ifma(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt,
                              uint32_t i, uint32_t j, uint64_t *Qhi, uint64_t *Qlo,
                              int64_t *scale, uint64_t *errq, int *neg);

/* The decoder's IFMA lanes: on = 0 keeps them off, 1 lets them run where the
 * CPU has AVX-512 IFMA and CD (the default).  PQ_EDOM for on = 1 on a CPU
 * or build without them (nothing changed).  on < 0 changes nothing and
 * returns 1 when the CPU and build have them, else 0. */
int pq_debug_decode_ifma(int on);

/* ---- what the hooks need from the kernels' files ------------------------ */
/* mpn.c: pq_mpn_divrem counting its add-backs (pq_mpn_divrem itself is the
 * same code with the counting compiled out). */
void pq_mpn_divrem_counted(limb *q, limb *r, const limb *a, int an, const limb *b, int bn,
                           unsigned long *addbacks);
/* rbe_block.c: the best SIMD level of this CPU and build, and the override. */
int pq_block_cpu_level(void);
void pq_block_set_level(int level);

#endif /* PQ_TESTING_H */
