/*
 * poincare_q64.h -- public C interface of the poincare_q64 kernels.
 *
 * The RBE function  f(R, T, i, j) = g(r) * sin(theta) * phi(i, j)  evaluated
 * bit-exactly: every result is the exact real value rounded ONCE to the
 * requested format, round-to-nearest, ties-to-even.  docs/spec.md is the
 * normative contract; this header restates it per function.
 *
 * Inputs are integers only:
 *   R    uint64   r = R / 2^64                      (0 <= r < 1)
 *   T    uint64   theta = 2*pi * T / 2^64           (turns, Q0.64)
 *   i, j uint32   matrix indices
 *   eps  uint64   epsilon = eps / 2^64; 0 = no regularisation; r~ = r/(1+epsilon*r)
 *   log2_c        -4..3, curvature c = 2^log2_c
 *   d_r           0..1, radial derivative order
 *   rot           0..15, adds rot/16 turn
 *   d_theta       0..3, angular derivative order (adds d_theta/4 turn)
 *
 * Thread safety: every function is pure (no global state, no allocation),
 * reentrant and callable from any number of threads at once, with or without
 * the GIL.  Results depend only on the arguments, never on the thread, the
 * CPU's instruction set (which SIMD code runs is detected once, atomically)
 * or an earlier call.  Stack: less than 48 KB per call at any optimisation
 * level (docs/spec.md, "Stack use"), so 64 KB worker-thread stacks suffice.
 *
 * Errors are returned as status codes (PQ_OK on success); on error *out is
 * left unchanged.  Nothing here aborts, prints or allocates.  An argument
 * outside its documented range, an unknown format kind, an integer format's
 * frac outside 0..64, or a NULL params/out pointer gives PQ_EDOM.
 *
 * Using it from C: compile every *.c file of this directory with your program
 * (python -c "import poincare_q64; print(poincare_q64.get_include())" prints
 * the directory); C11, no library to link (not even -lm).  Requires unsigned
 * __int128 (GCC or Clang on a 64-bit target).  poincare_q64_capi.h offers the
 * same functions as a table of pointers (the Python package's PyCapsule).
 * docs/embedding.md has an example for each route (C, Cython, capsule).
 */
#ifndef POINCARE_Q64_H
#define POINCARE_Q64_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PQ_VERSION_MAJOR 0
#define PQ_VERSION_MINOR 1

/* ---- status codes ---------------------------------------------------- */
#define PQ_OK 0
#define PQ_EDOM 1        /* an argument is outside its documented range      */
#define PQ_EOVERFLOW 2   /* the rounded result does not fit the output format */
#define PQ_EUNDECIDED 3  /* precision cap (2048 bits) reached without deciding
                            the rounding; never observed, see docs/spec.md   */

/* ---- output formats ---------------------------------------------------- */
#define PQ_KIND_INT64 0   /* X = round(v * 2^frac) as int64, 0 <= frac <= 64   */
#define PQ_KIND_INT128 1  /* same X as a two's-complement 128-bit integer       */
#define PQ_KIND_FLOAT64 2 /* v correctly rounded to IEEE binary64 (frac ignored) */
#define PQ_KIND_FLOAT32 3 /* v correctly rounded to IEEE binary32 (frac ignored) */
/* Every kind rounds to nearest, ties to even, once, from the exact value. */

typedef struct pq_format {
    int32_t kind; /* PQ_KIND_* */
    int32_t frac; /* fractional bits for the integer kinds, 0..64 */
} pq_format;

typedef struct pq_int128 {
    uint64_t lo;
    int64_t hi; /* value = hi * 2^64 + lo */
} pq_int128;

/* A result: the member named by the format's kind is the one written. */
typedef union pq_value {
    int64_t i64;
    pq_int128 i128;
    double f64;
    float f32;
} pq_value;

/* ---- RBE options ------------------------------------------------------- */
typedef struct pq_params {
    uint64_t eps;    /* E: epsilon = E / 2^64 */
    int32_t log2_c;  /* -4..3 */
    int32_t d_r;     /* 0..1  */
    int32_t rot;     /* 0..15 */
    int32_t d_theta; /* 0..3  */
} pq_params;

/* ---- kernels ----------------------------------------------------------- */

/* radial: g = 2 r~ / (1 + c r~^2), or with d_r = 1 its exact derivative
 * d/dr g(r~(r)) = 2 (1 - c r~^2) / ((1 + c r~^2)^2 (1 + epsilon r)^2).
 * g is rational in R and eps and is rounded exactly (ties to even).
 * Uses p->eps, p->log2_c, p->d_r; ignores rot and d_theta.
 * Errors: PQ_EDOM (bad params or format), PQ_EOVERFLOW (int64 range). */
int pq_radial(uint64_t R, const pq_params *p, pq_format fmt, pq_value *out);

/* angular: s = sin(2 pi T' / 2^64), T' = T + rot*2^60 + d_theta*2^62 mod 2^64.
 * Exact (0, +-1) at quarter turns, otherwise irrational: Ziv's test on
 * stage 1 (64-bit table kernels), then on the 128-bit path, then at rising
 * precision.  Uses p->rot, p->d_theta.
 * Errors: PQ_EDOM, PQ_EOVERFLOW, PQ_EUNDECIDED. */
int pq_angular(uint64_t T, const pq_params *p, pq_format fmt, pq_value *out);

/* spatial_hash: MurmurHash3_x86_32 of the 8 bytes LE32(i) || LE32(j),
 * seed 0.  Total function, no errors. */
uint32_t pq_spatial_hash(uint32_t i, uint32_t j);

/* modulation: phi = 1 + sin(2 pi H / 2^32) / 10, H = pq_spatial_hash(i, j).
 * Exact (1, 11/10, 9/10) when H mod 2^30 == 0.
 * Errors: PQ_EDOM, PQ_EOVERFLOW, PQ_EUNDECIDED. */
int pq_modulation(uint32_t i, uint32_t j, pq_format fmt, pq_value *out);

/* rbe: f = g * s * phi, rounded once from the exact product.
 * Errors: PQ_EDOM, PQ_EOVERFLOW, PQ_EUNDECIDED. */
int pq_rbe(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
           pq_format fmt, pq_value *out);

/* Input columns for the array entry points: element k of a column is
 * base[k * stride], the product signed, so stride 0 repeats one value for
 * every element and a negative stride reads backwards from base (a numpy
 * reversed view: base is the element k = 0 reads, the column's last). */
typedef struct pq_columns {
    const uint64_t *R;
    const uint64_t *T;
    const uint32_t *i;
    const uint32_t *j;
    const uint64_t *eps;
    const int32_t *log2_c;
    const int32_t *d_r;
    const int32_t *rot;
    const int32_t *d_theta;
    ptrdiff_t s_R, s_T, s_i, s_j, s_eps, s_log2_c, s_d_r, s_rot, s_d_theta;
} pq_columns;

/* rbe for elements k0 <= k < k1: the result of element k is written to
 * out[k], an array of the format's C type (int64_t, pq_int128, double or
 * float), only when status[k] = PQ_OK; status[k] receives the code pq_rbe
 * would return.  Returns the number of elements whose status is not PQ_OK.
 * Any stride is accepted, negative ones included (pq_columns).
 * An empty range (k1 <= k0) writes nothing and returns 0.  If a, out or
 * status is NULL, nothing is written and k1 - k0 is returned.
 * The nine column pointers must be valid for the range and aligned for
 * their types, as C requires of any pointer read (they are not checked);
 * only the elements of [k0, k1) are read.
 * Every element is computed by the same code as pq_rbe, independently, so
 * any split of a range across threads gives the same results.  Thread-safe. */
size_t pq_rbe_range(const pq_columns *a, size_t k0, size_t k1, pq_format fmt, void *out,
                    uint8_t *status);

/* rbe_pipeline: the source's fixed-point model.  g, s, phi each rounded to
 * Q64 (frac 64, ties to even); P1 = round(g64 * s64 / 2^64);
 * P2 = round(P1 * phi64 / 2^64); then P2 / 2^64 rounded to fmt.  Every step
 * is exact integer arithmetic, so the result is deterministic; its distance
 * from rbe is bounded in docs/spec.md.  Errors: as rbe. */
int pq_rbe_pipeline(uint64_t R, uint64_t T, uint32_t i, uint32_t j,
                    const pq_params *p, pq_format fmt, pq_value *out);

/* ---- 64-bit seed (source 002), most significant field first:
 *   r:20 | theta:24 | basis:4 | d_theta:2 | d_r:1 | rot:4 | log2_c:3 | reserved:6
 * log2_c is stored as 3-bit two's complement (-4..3). */
typedef struct pq_seed64_fields {
    uint32_t r;       /* 0 .. 2^20-1 */
    uint32_t theta;   /* 0 .. 2^24-1 */
    int32_t basis;    /* 0..15 */
    int32_t d_theta;  /* 0..3  */
    int32_t d_r;      /* 0..1  */
    int32_t rot;      /* 0..15 */
    int32_t log2_c;   /* -4..3 */
    int32_t reserved; /* 0..63 */
} pq_seed64_fields;

/* Errors: PQ_EDOM if any field is out of range or a pointer is NULL (word
 * unchanged). */
int pq_seed64_pack(const pq_seed64_fields *f, uint64_t *word);
/* Total function of the word; f must not be NULL (not checked). */
void pq_seed64_unpack(uint64_t word, pq_seed64_fields *f);

/* rbe_seed64: rbe with R = r << 44, T = theta << 40 and the seed's
 * log2_c, d_r, rot, d_theta.  Errors: PQ_EDOM if basis != 0 (only the sine
 * basis is defined), else as pq_rbe. */
int pq_rbe_seed64(uint64_t word, uint32_t i, uint32_t j, uint64_t eps,
                  pq_format fmt, pq_value *out);

/* ---- matrix decode (decode.c) ---------------------------------------------
 * W_hat[i, j] = rbe(R, T, i, j, p) for the rows row0 <= i < row1 of a grid
 * with n_cols columns (0 <= j < n_cols): every element bit-identical to
 * pq_rbe with the same arguments, in every format.  Everything but phi(i, j)
 * is one number per seed, computed once (pq_decoder_init); each element
 * then costs phi (or a phi table read), one 128 x 128-bit product and
 * Ziv's rounding test, and goes through pq_rbe itself when the test fails
 * (docs/spec.md, "Matrix decode").
 *
 * Output: row i of the result starts at element i * out_row_stride of out,
 * an array of the format's C type (int64_t, pq_int128, double, float); out
 * points at row 0 of the matrix whatever row0 is, so that threads given
 * disjoint row ranges share one out.  Every element is computed
 * independently: any split of the rows gives the same bits.
 *
 * Errors: PQ_EDOM (bad params or format, basis != 0 for a seed64 word, a
 * NULL or uninitialised decoder, NULL out, n_cols == 0, a phi table smaller
 * than the grid): nothing written.  PQ_EOVERFLOW (an int result does not
 * fit) and PQ_EUNDECIDED (never observed): *first_bad (if not NULL)
 * receives the row-major index i * n_cols + j of the first such element of
 * the range; rows are done in order, and the range's elements may be
 * partly written.  The arguments are checked first, for an empty range
 * too: an empty range (row1 <= row0) with valid arguments writes nothing
 * and returns PQ_OK.  Thread-safe; no allocation. */

/* A decoder: one seed and one output format, prepared once (opaque; copy
 * it freely, share it read-only across threads). */
typedef struct pq_decoder {
    uint64_t opaque[16];
} pq_decoder;

/* The phi table of an n_rows x n_cols grid: the stage-1 value
 * phi(H(i, j)) 2^126 of element (i, j) as hi[k] 2^64 + lo[k],
 * k = i * n_cols + j (UINT64_MAX in hi for the exact phi of
 * H mod 2^30 == 0).  16 bytes per element.  A table serves any grid of at
 * most n_rows rows and n_cols columns; results are the same with or
 * without one. */
typedef struct pq_phi_table {
    const uint64_t *hi;
    const uint64_t *lo;
    uint32_t n_rows, n_cols;
} pq_phi_table;

/* Prepare a decoder (checks p and fmt; PQ_EDOM leaves *dec unchanged). */
int pq_decoder_init(uint64_t R, uint64_t T, const pq_params *p, pq_format fmt, pq_decoder *dec);
/* The same for a 64-bit seed (R = r << 44, T = theta << 40, the word's
 * options; PQ_EDOM if basis != 0). */
int pq_decoder_init_seed64(uint64_t word, uint64_t eps, pq_format fmt, pq_decoder *dec);
/* Rows row0 <= i < row1 of the decoder's matrix; phi may be NULL. */
int pq_decode_rows(const pq_decoder *dec, uint32_t n_cols, uint32_t row0, uint32_t row1,
                   const pq_phi_table *phi, void *out, ptrdiff_t out_row_stride,
                   uint64_t *first_bad);
/* pq_decoder_init then pq_decode_rows, in one call (the set-up, about a
 * microsecond, is repeated by every call). */
int pq_decode_matrix(uint64_t R, uint64_t T, const pq_params *p, uint32_t n_cols, uint32_t row0,
                     uint32_t row1, const pq_phi_table *phi, pq_format fmt, void *out,
                     ptrdiff_t out_row_stride, uint64_t *first_bad);
int pq_decode_seed64(uint64_t word, uint64_t eps, uint32_t n_cols, uint32_t row0, uint32_t row1,
                     const pq_phi_table *phi, pq_format fmt, void *out, ptrdiff_t out_row_stride,
                     uint64_t *first_bad);
/* Fill rows row0 <= i < row1 of a phi table with n_cols columns (hi and lo
 * hold n_rows * n_cols words; element k = i * n_cols + j).  PQ_EDOM for a
 * NULL array or n_cols == 0. */
int pq_phi_table_fill(uint64_t *hi, uint64_t *lo, uint32_t n_cols, uint32_t row0, uint32_t row1);

#ifdef __cplusplus
}
#endif
#endif /* POINCARE_Q64_H */
