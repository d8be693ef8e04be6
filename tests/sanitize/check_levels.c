/*
 * check_levels.c -- examples/c/check_vectors.c at a chosen slow-path level
 * and SIMD level, and the matrix decoder's digest files.
 *
 * check_vectors.c is included unchanged (its main renamed), so its error
 * code checks and its vector checks run as they are; this file adds what a
 * public-API program cannot do:
 *
 *   --slow L      the private switch pq_debug_force_slow_path(L) (0..3):
 *                 every evaluation starts at a later path, so the 128-bit
 *                 and multi-precision paths meet every vector;
 *   --simd S      the array code at SIMD level S (0 none, 1 AVX2, 2
 *                 AVX-512; pq_debug_set_simd), exit 2 if the CPU lacks it;
 *   --ifma 0|1    the decoder's AVX-512 IFMA lanes off or on;
 *   --via-range   every pq_rbe call of the checker goes through
 *                 pq_rbe_range instead, on a range of 131 copies of the
 *                 element (a full block of the SIMD code and a tail), each
 *                 copy's result compared with the first;
 *   --cpu         print the CPU's SIMD level and IFMA availability, exit.
 *
 * Files of decode_matrix and decode_seed64, whose results are SHA-256
 * digests of a whole matrix (docs/vectors.md), are checked here: each
 * matrix is decoded twice, by pq_decode_matrix / pq_decode_seed64 without a
 * phi table and by pq_decoder_init + pq_decode_rows in two row ranges with
 * a phi table from pq_phi_table_fill, and both digests must be the file's.
 * Every other file goes to check_vectors, which prints the totals, these
 * checks included: "N tests passed, M failure(s)".
 *
 *   cc -std=c11 -I poincare_q64/src tests/sanitize/check_levels.c poincare_q64/src/[a-z]*.c
 *       -o check_levels
 *   ./check_levels --slow 2 tests/data/vectors/[a-z]*.txt
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poincare_q64.h"
#include "pq_testing.h"

static int via_range;
static int rbe_via_range(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                         pq_format fmt, pq_value *out);

#define pq_rbe rbe_via_range
#define main check_vectors_main
#include "../../examples/c/check_vectors.c"
#undef main
#undef pq_rbe

/* ---- pq_rbe through the array entry point ---------------------------- */

#define NRANGE 131 /* PQ_BLOCK (128) and a tail of 3 */

static size_t fmt_size(pq_format fmt) {
    switch (fmt.kind) {
    case PQ_KIND_INT64: return sizeof(int64_t);
    case PQ_KIND_INT128: return sizeof(pq_int128);
    case PQ_KIND_FLOAT64: return sizeof(double);
    default: return sizeof(float);
    }
}

static int rbe_via_range(uint64_t R, uint64_t T, uint32_t i, uint32_t j, const pq_params *p,
                         pq_format fmt, pq_value *out) {
    /* NULL pointers: the scalar call's contract, which the range has no
     * counterpart of (its NULL checks are check_vectors' own) */
    if (!via_range || !p || !out) return pq_rbe(R, T, i, j, p, fmt, out);
    static uint64_t Rs[NRANGE], Ts[NRANGE];
    static uint32_t Is[NRANGE], Js[NRANGE];
    static pq_int128 res[NRANGE];
    static uint8_t st[NRANGE];
    for (int k = 0; k < NRANGE; k++) Rs[k] = R, Ts[k] = T, Is[k] = i, Js[k] = j;
    /* R, T, i, j contiguous (the block code reads a full block in place),
     * the options broadcast (stride 0: the block path's condition) */
    pq_columns a = {Rs, Ts, Is, Js, &p->eps, &p->log2_c, &p->d_r, &p->rot, &p->d_theta,
                    1, 1, 1, 1, 0, 0, 0, 0, 0};
    memset(res, 0xA5, sizeof res);
    memset(st, 0xEE, sizeof st);
    size_t bad = pq_rbe_range(&a, 0, NRANGE, fmt, res, st);
    size_t size = fmt_size(fmt), nbad = 0;
    const unsigned char *r = (const unsigned char *)res;
    for (int k = 0; k < NRANGE; k++) {
        nbad += st[k] != PQ_OK;
        if (st[k] != st[0] || (st[k] == PQ_OK && memcmp(r + k * size, r, size) != 0)) {
            failed++;
            printf("pq_rbe_range: element %d of %d copies of (%016llx %016llx %08x %08x) "
                   "differs from element 0 (status %d, %d)\n", k, NRANGE,
                   (unsigned long long)R, (unsigned long long)T, i, j, st[k], st[0]);
            break;
        }
    }
    if (bad != nbad) {
        failed++;
        printf("pq_rbe_range returned %zu, %zu statuses are not PQ_OK\n", bad, nbad);
    }
    if (st[0] == PQ_OK) memcpy(out, r, size);
    return st[0];
}

/* ---- SHA-256 (FIPS 180-4) for the matrix digests ---------------------- */

typedef struct {
    uint32_t h[8];
    unsigned char buf[64];
    uint64_t len;
} sha256;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(sha256 *s, const unsigned char *b) {
    uint32_t w[64], v[8];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)b[4 * t] << 24 | (uint32_t)b[4 * t + 1] << 16 |
               (uint32_t)b[4 * t + 2] << 8 | b[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    memcpy(v, s->h, sizeof v);
    for (int t = 0; t < 64; t++) {
        uint32_t S1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
        uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t t1 = v[7] + S1 + ch + K256[t] + w[t];
        uint32_t S0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
        uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof *v);
        v[4] += t1;
        v[0] = t1 + S0 + maj;
    }
    for (int k = 0; k < 8; k++) s->h[k] += v[k];
}

static void sha256_init(sha256 *s) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
}

static void sha256_update(sha256 *s, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t k = 0; k < n; k++) {
        s->buf[s->len++ % 64] = p[k];
        if (s->len % 64 == 0) sha256_block(s, s->buf);
    }
}

static void sha256_hex(sha256 *s, char hex[65]) {
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, zero = 0, L[8];
    sha256_update(s, &pad, 1);
    while (s->len % 64 != 56) sha256_update(s, &zero, 1);
    for (int k = 0; k < 8; k++) L[k] = (unsigned char)(bits >> (56 - 8 * k));
    sha256_update(s, L, 8);
    for (int k = 0; k < 8; k++) snprintf(hex + 8 * k, 9, "%08x", s->h[k]);
}

/* ---- decode_matrix / decode_seed64 files ------------------------------ */

static const char *matrix_function(const char *path, int *seed) {
    static char func[32];
    char line[256];
    FILE *in = fopen(path, "r");
    *seed = 0;
    if (!in) return NULL;
    int ok = fgets(line, sizeof line, in) &&
             sscanf(line, "# poincare_q64 test vectors: function=%31s", func) == 1;
    fclose(in);
    if (!ok) return NULL;
    if (strcmp(func, "decode_matrix") == 0) return func;
    if (strcmp(func, "decode_seed64") == 0) return *seed = 1, func;
    return NULL;
}

/* The matrix's digest, or "overflow", or the status; 0, or 1 if the two
 * decodings disagree (printed). */
static int decode_both(int seed, const uint64_t v[], pq_format fmt, char *res, size_t nres) {
    uint32_t m = (uint32_t)v[I_], n = (uint32_t)v[J_];
    pq_params p = {v[EPS_], (int32_t)v[LOG2_C_] - 4, (int32_t)v[D_R_], (int32_t)v[ROT_],
                   (int32_t)v[D_THETA_]};
    size_t size = fmt_size(fmt), count = (size_t)m * n;
    unsigned char *W1 = malloc(count * size), *W2 = malloc(count * size);
    uint64_t *hi = malloc(count * sizeof *hi), *lo = malloc(count * sizeof *lo);
    if (!W1 || !W2 || !hi || !lo) {
        fprintf(stderr, "out of memory for a %u x %u matrix\n", m, n);
        exit(2);
    }
    uint64_t bad1 = UINT64_MAX, bad2 = UINT64_MAX;
    int st1, st2, rc = 0;
    pq_decoder dec;
    memset(W1, 0xA5, count * size);
    memset(W2, 0x5A, count * size);
    if (seed) {
        st1 = pq_decode_seed64(v[WORD_], v[EPS_], n, 0, m, NULL, fmt, W1, n, &bad1);
        st2 = pq_decoder_init_seed64(v[WORD_], v[EPS_], fmt, &dec);
    } else {
        st1 = pq_decode_matrix(v[R_], v[T_], &p, n, 0, m, NULL, fmt, W1, n, &bad1);
        st2 = pq_decoder_init(v[R_], v[T_], &p, fmt, &dec);
    }
    if (st2 == PQ_OK) {
        pq_phi_table tab = {hi, lo, m, n};
        uint32_t half = m / 2;
        st2 = pq_phi_table_fill(hi, lo, n, half, m);
        if (st2 == PQ_OK) st2 = pq_phi_table_fill(hi, lo, n, 0, half);
        if (st2 == PQ_OK) st2 = pq_decode_rows(&dec, n, half, m, &tab, W2, n, &bad2);
        /* rows in order: the first bad element is the lower half's, if any */
        if (st2 == PQ_OK || st2 == PQ_EOVERFLOW) {
            uint64_t bad_hi = bad2;
            int st_lo = pq_decode_rows(&dec, n, 0, half, &tab, W2, n, &bad2);
            if (st_lo != PQ_OK) st2 = st_lo;
            else bad2 = bad_hi;
        }
    }
    if (st1 == PQ_OK) {
        sha256 s;
        sha256_init(&s);
        sha256_update(&s, W1, count * size);
        char hex[65];
        sha256_hex(&s, hex);
        snprintf(res, nres, "%s", hex);
    } else if (st1 == PQ_EOVERFLOW && fmt.kind == PQ_KIND_INT64) {
        snprintf(res, nres, "overflow");
    } else {
        snprintf(res, nres, "%s", status_name(st1));
    }
    if (st1 != st2 || (st1 == PQ_OK && memcmp(W1, W2, count * size) != 0) ||
        (st1 == PQ_EOVERFLOW && bad1 != bad2)) {
        printf("%u x %u matrix: pq_decode_%s gives status %d (first bad %llu), pq_decode_rows "
               "with a phi table status %d (first bad %llu)%s\n", m, n,
               seed ? "seed64" : "matrix", st1, (unsigned long long)bad1, st2,
               (unsigned long long)bad2, st1 == st2 ? ", different elements" : "");
        rc = 1;
    }
    free(W1), free(W2), free(hi), free(lo);
    return rc;
}

static int check_matrix_file(const char *path, int seed) {
    FILE *in = fopen(path, "r");
    char line[512], fmt_s[32];
    pq_format fmt = {0, 0};
    int frac = -1, used = 0;
    long lineno = 1;
    if (!in) {
        perror(path);
        return 2;
    }
    if (!fgets(line, sizeof line, in) || !strstr(line, " format=") ||
        sscanf(strstr(line, " format="), " format=%31s", fmt_s) != 1) {
        fclose(in);
        return malformed(path, 1, "no format in the header");
    }
    if (strcmp(fmt_s, "float64") == 0) fmt.kind = PQ_KIND_FLOAT64;
    else if (strcmp(fmt_s, "float32") == 0) fmt.kind = PQ_KIND_FLOAT32;
    else if (sscanf(fmt_s, "int64/%2d%n", &frac, &used) == 1 && fmt_s[used] == '\0')
        fmt.kind = PQ_KIND_INT64, fmt.frac = frac;
    else if (sscanf(fmt_s, "object/%2d%n", &frac, &used) == 1 && fmt_s[used] == '\0')
        fmt.kind = PQ_KIND_INT128, fmt.frac = frac;
    else {
        fclose(in);
        return malformed(path, 1, "unknown format");
    }
    /* the fields are rbe's (seed64's) with m and n where i and j stand */
    int func = seed ? SEED64 : RBE, rc = 0;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *text = line + strspn(line, " \t");
        if (*text == '\0' || *text == '#') continue;
        char *arrow = strstr(text, "=>");
        if (!arrow) {
            rc = malformed(path, lineno, "no '=>'");
            break;
        }
        char expected[80] = "", inputs[sizeof line];
        *arrow = '\0';
        snprintf(inputs, sizeof inputs, "%s", text);
        if (sscanf(arrow + 2, "%79s", expected) != 1) {
            rc = malformed(path, lineno, "no result");
            break;
        }
        for (char *c = expected; *c; c++) *c = (char)tolower((unsigned char)*c);
        uint64_t v[10] = {0};
        v[LOG2_C_] = 4;
        int nf = 0;
        for (char *tok = strtok(text, " \t"); tok; tok = strtok(NULL, " \t"), nf++)
            if (nf >= FUNCTION[func].n || parse_field(FUNCTION[func].in[nf], tok, v) != 0) {
                nf = -1;
                break;
            }
        if (nf != FUNCTION[func].n) {
            rc = malformed(path, lineno, "malformed matrix vector");
            break;
        }
        char result[80];
        int differ = decode_both(seed, v, fmt, result, sizeof result);
        if (strcmp(result, expected) == 0 && !differ) {
            passed++;
            if (verbose) printf("%s=> %s\n", inputs, result);
        } else {
            failed++;
            printf("%s=> %s expected: %s\n", inputs, result, expected);
        }
    }
    fclose(in);
    return rc;
}

static int level_arg(const char *s, int lo, int hi, const char *opt) {
    char *end;
    errno = 0;
    long x = strtol(s ? s : "", &end, 10);
    if (!s || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "%s takes an integer %d..%d\n", opt, lo, hi);
        exit(2);
    }
    return (int)x;
}

int main(int argc, char **argv) {
    int slow = 0, simd = -1, ifma = -1, a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (strcmp(argv[a], "--cpu") == 0) {
            printf("simd=%d ifma=%d\n", pq_block_cpu_level(), pq_debug_decode_ifma(-1));
            return 0;
        } else if (strcmp(argv[a], "--slow") == 0) {
            slow = level_arg(argv[++a], 0, 3, "--slow");
        } else if (strcmp(argv[a], "--simd") == 0) {
            simd = level_arg(argv[++a], 0, 2, "--simd");
        } else if (strcmp(argv[a], "--ifma") == 0) {
            ifma = level_arg(argv[++a], 0, 1, "--ifma");
        } else if (strcmp(argv[a], "--via-range") == 0) {
            via_range = 1;
        } else if (strcmp(argv[a], "-v") == 0) {
            verbose = 1;
        } else {
            fprintf(stderr, "usage: %s [--slow L] [--simd S] [--ifma 0|1] [--via-range] [-v] "
                            "VECTOR_FILE...\n       %s --cpu\n", argv[0], argv[0]);
            return 2;
        }
    }
    if (simd >= 0 && pq_debug_set_simd(simd) != PQ_OK) {
        fprintf(stderr, "this CPU (or build) has no SIMD level %d\n", simd);
        return 2;
    }
    if (ifma >= 0 && pq_debug_decode_ifma(ifma) != PQ_OK) {
        fprintf(stderr, "this CPU (or build) has no AVX-512 IFMA\n");
        return 2;
    }
    pq_debug_force_slow_path(slow);
    /* check_vectors' argument list: its own files, the matrix files done here */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    rest[nrest++] = argv[0];
    if (verbose) rest[nrest++] = "-v";
    for (; a < argc; a++) {
        int seed;
        if (matrix_function(argv[a], &seed)) {
            if (check_matrix_file(argv[a], seed) != 0) return 2;
        } else {
            rest[nrest++] = argv[a];
        }
    }
    int rc = check_vectors_main(nrest, rest);
    free(rest);
    return rc;
}
