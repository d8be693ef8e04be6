/*
 * fuzz_kernels.c -- a seeded fuzzer of every public C entry point of
 * poincare_q64.h, meant to run under AddressSanitizer and
 * UndefinedBehaviorSanitizer (.ci/jobs/c-sanitizers.sh).
 *
 *   fuzz_kernels [--seed S] [--seconds T | --iterations N] [--iteration K]
 *
 *   gcc -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all
 *       -I poincare_q64/src tests/sanitize/fuzz_kernels.c poincare_q64/src/[a-z]*.c -o fuzz_kernels
 *   ./fuzz_kernels --seed 1 --seconds 20
 *
 * Correctness against the reference is the vector files' job; this program
 * looks for what they cannot show: memory errors and undefined behaviour
 * on any argument, and disagreement between the paths that must give the
 * same bits.  Each iteration draws its arguments from (S, iteration) alone,
 * so a failure names the iteration and `--seed S --iteration K` replays
 * just that one.  Arguments: random fields with their edges (0, 2^64 - 1,
 * quarter turns and their neighbours, index pairs whose hash makes phi
 * exact), options and formats in and out of range (unknown kinds, frac
 * outside 0..64, INT32_MIN/MAX), NULL pointers where the header says they
 * are checked.  Buffers are allocated to the exact size the header
 * promises to touch, so one element too many is a sanitizer report.
 *
 * What is asserted, from the header's contract:
 *  - statuses are the documented ones: PQ_EDOM exactly for bad arguments,
 *    PQ_EOVERFLOW only for the int64 kind, never PQ_EUNDECIDED; on an error
 *    the output (sentinel bytes) is untouched;
 *  - a valid call gives the same bits at every slow-path level (0..3) and,
 *    for the array entry points and the decoder, at every SIMD level of the
 *    CPU (and with the decoder's IFMA lanes off and on);
 *  - int64 and int128 results of one frac agree (overflow exactly when the
 *    int128 value is outside int64);
 *  - pq_rbe_range element k, whatever the strides (0: broadcast, negative:
 *    reversed), is pq_rbe of base[k * stride], written only where status
 *    is PQ_OK, nothing outside [k0, k1), and any split of the range gives
 *    the same; it returns the number of failed elements;
 *  - pq_rbe_seed64 is pq_rbe of the unpacked word; pack and unpack are
 *    inverse; pq_spatial_hash is MurmurHash3_x86_32 of LE32(i) || LE32(j);
 *  - the decoder (pq_decode_matrix, pq_decode_seed64, pq_decoder_init +
 *    pq_decode_rows, with or without a phi table, tables filled in pieces
 *    by pq_phi_table_fill) gives pq_rbe's bits element by element, the
 *    first failing element of an overflowing range, and writes nothing
 *    outside the rows asked for or between rows (a row stride > n_cols).
 *
 * Prints "N calls, M failure(s)" (N counts calls of the public and test
 * entry points) and exits 1 on any failure, 2 on a usage error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "poincare_q64.h"
#include "pq_testing.h"

static unsigned long long seed;
static long iteration;
static long calls, failures;

#define FAIL(...)                                                                        \
    do {                                                                                 \
        failures++;                                                                      \
        if (failures <= 20) {                                                            \
            printf("FAIL (--seed %llu --iteration %ld): ", seed, iteration);             \
            printf(__VA_ARGS__);                                                         \
            printf("\n");                                                                \
        }                                                                                \
    } while (0)

/* A sanitizer report ends the program before any FAIL line: name the
 * iteration to replay from the sanitizers' death callback (weak, so that a
 * build without sanitizers links too). */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
static void on_sanitizer_report(void) {
    fprintf(stderr, "fuzz_kernels: the report above came from --seed %llu --iteration %ld\n", seed,
            iteration);
}

/* ---- random arguments -------------------------------------------------- */

static uint64_t rng;
static uint64_t next(void) { /* splitmix64 */
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }
static int chance(int n) { return below((uint32_t)n) == 0; } /* probability 1/n */

/* A 64-bit field: uniform, or one of the edges the kernels treat apart. */
static uint64_t u64_field(void) {
    uint64_t x = next();
    switch (below(9)) {
    case 0: return x >> below(64);                            /* small */
    case 1: return ~(x >> below(64));                         /* just below 2^64 */
    case 2: return ((x & 3) << 62) + (uint64_t)below(3) - 1;  /* quarter turns, +-1 */
    case 3: return (1ULL << below(64)) + (uint64_t)below(3) - 1;
    case 4: return x & ~((1ULL << 44) - 1);                   /* the seed's R grid */
    case 5: return x & ~((1ULL << 40) - 1);                   /* the seed's T grid */
    case 6: return chance(2) ? 0 : UINT64_MAX;
    default: return x;
    }
}

/* MurmurHash3_x86_32 of LE32(i) || LE32(j), seed 0 (the header's
 * definition), and its inverse in j, to find index pairs whose hash is a
 * multiple of 2^30 (phi exact: the kernels' separate exact path). */
static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static uint32_t mix_k(uint32_t k) { return rotl32(k * 0xcc9e2d51u, 15) * 0x1b873593u; }
static uint32_t murmur(uint32_t i, uint32_t j) {
    uint32_t h = 0;
    h = rotl32(h ^ mix_k(i), 13) * 5 + 0xe6546b64u;
    h = rotl32(h ^ mix_k(j), 13) * 5 + 0xe6546b64u;
    h ^= 8;
    h ^= h >> 16, h *= 0x85ebca6bu, h ^= h >> 13, h *= 0xc2b2ae35u, h ^= h >> 16;
    return h;
}
static uint32_t inv32(uint32_t a) { /* a odd: a^-1 mod 2^32 by Newton's iteration */
    uint32_t x = a;
    for (int k = 0; k < 5; k++) x *= 2 - a * x;
    return x;
}
static uint32_t murmur_j_for(uint32_t i, uint32_t H) {
    uint32_t h = H;
    h ^= h >> 16;
    h *= inv32(0xc2b2ae35u);
    h ^= (h >> 13) ^ (h >> 26);
    h *= inv32(0x85ebca6bu);
    h ^= h >> 16;
    h ^= 8;
    h = rotl32((h - 0xe6546b64u) * inv32(5), 32 - 13);
    uint32_t h1 = rotl32(mix_k(i), 13) * 5 + 0xe6546b64u;
    uint32_t k = h ^ h1;
    return rotl32(k * inv32(0x1b873593u), 32 - 15) * inv32(0xcc9e2d51u);
}

static void index_pair(uint32_t *i, uint32_t *j) {
    *i = (uint32_t)next();
    switch (below(6)) {
    case 0: /* phi exact (H = k 2^30), or next to it */
        *j = murmur_j_for(*i, (uint32_t)below(4) << 30 ^ (chance(2) ? 0 : (uint32_t)next() & 1));
        return;
    case 1: *i >>= below(32); *j = (uint32_t)next() >> below(32); return;
    case 2: *i = chance(2) ? 0 : UINT32_MAX; *j = chance(2) ? 0 : UINT32_MAX; return;
    default: *j = (uint32_t)next(); return;
    }
}

static const int32_t BAD_INT[] = {-1, -2, -5, 2, 4, 16, 64, 65, 100, INT32_MIN, INT32_MIN + 1,
                                  INT32_MAX, INT32_MAX - 1};
static int32_t bad_int(void) {
    return chance(4) ? (int32_t)next() : BAD_INT[below(sizeof BAD_INT / sizeof *BAD_INT)];
}
static int radial_ok(const pq_params *p) {
    return p->log2_c >= -4 && p->log2_c <= 3 && p->d_r >= 0 && p->d_r <= 1;
}
static int angle_ok(const pq_params *p) {
    return p->rot >= 0 && p->rot <= 15 && p->d_theta >= 0 && p->d_theta <= 3;
}
static int params_ok(const pq_params *p) { return radial_ok(p) && angle_ok(p); }

static pq_params params(int bad_one_in) {
    pq_params p;
    p.eps = chance(3) ? 0 : u64_field();
    p.log2_c = (int32_t)below(8) - 4;
    p.d_r = (int32_t)below(2);
    p.rot = (int32_t)below(16);
    p.d_theta = (int32_t)below(4);
    if (bad_one_in && chance(bad_one_in)) { /* a field out of range, maybe more */
        do {
            switch (below(4)) {
            case 0: p.log2_c = bad_int(); break;
            case 1: p.d_r = bad_int(); break;
            case 2: p.rot = bad_int(); break;
            default: p.d_theta = bad_int(); break;
            }
        } while (params_ok(&p));
    }
    return p;
}

static int fmt_ok(pq_format f) {
    if (f.kind == PQ_KIND_FLOAT64 || f.kind == PQ_KIND_FLOAT32) return 1;
    return (f.kind == PQ_KIND_INT64 || f.kind == PQ_KIND_INT128) && f.frac >= 0 && f.frac <= 64;
}

static pq_format format(int bad_one_in) {
    static const int32_t FRACS[] = {0, 1, 30, 52, 53, 60, 61, 62, 63, 64};
    pq_format f;
    f.kind = (int32_t)below(4);
    f.frac = chance(2) ? FRACS[below(10)] : (int32_t)below(65);
    if (f.kind >= PQ_KIND_FLOAT64 && chance(4)) f.frac = bad_int(); /* ignored */
    if (bad_one_in && chance(bad_one_in)) {
        do {
            if (chance(2)) f.kind = bad_int();
            else f.kind = (int32_t)below(2), f.frac = bad_int();
        } while (fmt_ok(f));
    }
    return f;
}

static size_t fmt_size(pq_format f) {
    switch (f.kind) {
    case PQ_KIND_INT64: return sizeof(int64_t);
    case PQ_KIND_INT128: return sizeof(pq_int128);
    case PQ_KIND_FLOAT64: return sizeof(double);
    default: return sizeof(float);
    }
}

/* ---- levels ------------------------------------------------------------ */

/* SIMD configurations: level 0..top, and at level 2 the decoder's IFMA
 * lanes off and on. */
static int n_simd, simd_level[4], simd_ifma[4];

static void set_simd(int c) {
    pq_debug_set_simd(simd_level[c]);
    pq_debug_decode_ifma(simd_ifma[c]);
}
static void set_best(void) {
    pq_debug_set_simd(-1);
    if (pq_debug_decode_ifma(-1)) pq_debug_decode_ifma(1);
    pq_debug_force_slow_path(0);
}
/* slow-path levels to compare with level 0: 1 and 3 often, 2 (the
 * multi-precision path for everything, the slowest) less often */
static int slow_levels(int lv[3]) {
    int n = 0;
    if (chance(3)) lv[n++] = 1;
    if (chance(3)) lv[n++] = 3;
    if (chance(8)) lv[n++] = 2;
    return n;
}

static int untouched(const void *buf, size_t n, unsigned char byte) {
    const unsigned char *b = buf;
    for (size_t k = 0; k < n; k++)
        if (b[k] != byte) return 0;
    return 1;
}

static int status_ok_for(int st, pq_format f) {
    return st == PQ_OK || (st == PQ_EOVERFLOW && f.kind == PQ_KIND_INT64);
}

/* ---- scalar entry points ----------------------------------------------- */

enum { F_RADIAL, F_ANGULAR, F_MODULATION, F_RBE, F_PIPELINE, F_SEED64, NSCALAR };
static const char *const SCALAR_NAME[] = {"pq_radial", "pq_angular", "pq_modulation", "pq_rbe",
                                          "pq_rbe_pipeline", "pq_rbe_seed64"};

typedef struct {
    uint64_t R, T, word, eps;
    uint32_t i, j;
} args_t;

static int call_scalar(int f, const args_t *a, const pq_params *p, pq_format fmt, pq_value *out) {
    calls++;
    switch (f) {
    case F_RADIAL: return pq_radial(a->R, p, fmt, out);
    case F_ANGULAR: return pq_angular(a->T, p, fmt, out);
    case F_MODULATION: return pq_modulation(a->i, a->j, fmt, out);
    case F_RBE: return pq_rbe(a->R, a->T, a->i, a->j, p, fmt, out);
    case F_PIPELINE: return pq_rbe_pipeline(a->R, a->T, a->i, a->j, p, fmt, out);
    default: return pq_rbe_seed64(a->word, a->i, a->j, a->eps, fmt, out);
    }
}

static int expected_edom(int f, const args_t *a, const pq_params *p, pq_format fmt, int out_null) {
    if (out_null || !fmt_ok(fmt)) return 1;
    switch (f) {
    case F_RADIAL: return !p || !radial_ok(p);
    case F_ANGULAR: return !p || !angle_ok(p);
    case F_MODULATION: return 0;
    case F_SEED64: return ((a->word >> 16) & 0xF) != 0; /* basis */
    default: return !p || !params_ok(p);
    }
}

static void fuzz_scalar(void) {
    args_t a;
    a.R = u64_field();
    a.T = u64_field();
    index_pair(&a.i, &a.j);
    a.eps = chance(2) ? 0 : u64_field();
    a.word = next();
    if (!chance(4)) a.word &= ~(0xFULL << 16); /* basis 0, mostly */
    pq_params p = params(6);
    pq_format fmt = format(6);
    for (int f = 0; f < NSCALAR; f++) {
        const pq_params *pp = chance(20) ? NULL : &p;
        int out_null = chance(20);
        pq_value v, s;
        memset(&v, 0xA5, sizeof v);
        s = v;
        int st = call_scalar(f, &a, pp, fmt, out_null ? NULL : &v);
        int edom = expected_edom(f, &a, pp, fmt, out_null);
        if (edom) {
            if (st != PQ_EDOM) FAIL("%s: status %d for bad arguments, expected PQ_EDOM", SCALAR_NAME[f], st);
        } else if (!status_ok_for(st, fmt)) {
            FAIL("%s (kind %d frac %d): status %d", SCALAR_NAME[f], fmt.kind, fmt.frac, st);
        }
        if (st != PQ_OK && memcmp(&v, &s, sizeof v) != 0)
            FAIL("%s: status %d but the output was written", SCALAR_NAME[f], st);
        if (st != PQ_OK) continue;

        /* the same bits at the slow-path levels */
        int lv[3], nl = slow_levels(lv);
        for (int l = 0; l < nl; l++) {
            pq_value w;
            memset(&w, 0xA5, sizeof w);
            pq_debug_force_slow_path(lv[l]);
            int st2 = call_scalar(f, &a, pp, fmt, &w);
            pq_debug_force_slow_path(0);
            if (st2 != st || memcmp(&w, &v, fmt_size(fmt)) != 0)
                FAIL("%s R=%016llx T=%016llx i=%08x j=%08x kind %d frac %d: slow-path level %d "
                     "differs from level 0 (status %d)", SCALAR_NAME[f], (unsigned long long)a.R,
                     (unsigned long long)a.T, a.i, a.j, fmt.kind, fmt.frac, lv[l], st2);
        }
    }

    /* int64 and int128 of one frac */
    if (params_ok(&p)) {
        int frac = (int32_t)below(65), f = (int)below(NSCALAR);
        pq_value x64, x128;
        int s64 = call_scalar(f, &a, &p, (pq_format){PQ_KIND_INT64, frac}, &x64);
        int s128 = call_scalar(f, &a, &p, (pq_format){PQ_KIND_INT128, frac}, &x128);
        if (f == F_SEED64 && ((a.word >> 16) & 0xF) != 0) {
            if (s64 != PQ_EDOM || s128 != PQ_EDOM) FAIL("pq_rbe_seed64 basis != 0: %d %d", s64, s128);
        } else if (s128 != PQ_OK) {
            FAIL("%s int128 frac %d: status %d", SCALAR_NAME[f], frac, s128);
        } else {
            int fits = (x128.i128.hi == 0 && !(x128.i128.lo >> 63)) ||
                       (x128.i128.hi == -1 && (x128.i128.lo >> 63));
            if (s64 == PQ_OK ? !fits || (uint64_t)x64.i64 != x128.i128.lo
                             : s64 != PQ_EOVERFLOW || fits)
                FAIL("%s frac %d: int64 (status %d, %016llx) and int128 (%016llx %016llx) "
                     "disagree", SCALAR_NAME[f], frac, s64, (unsigned long long)x64.i64,
                     (unsigned long long)x128.i128.hi, (unsigned long long)x128.i128.lo);
        }
    }

    /* rbe_seed64 is rbe of the unpacked word */
    if (((a.word >> 16) & 0xF) == 0 && fmt_ok(fmt)) {
        pq_seed64_fields sf;
        pq_value x, y;
        pq_seed64_unpack(a.word, &sf);
        calls++;
        pq_params q = {a.eps, sf.log2_c, sf.d_r, sf.rot, sf.d_theta};
        args_t b = a;
        b.R = (uint64_t)sf.r << 44;
        b.T = (uint64_t)sf.theta << 40;
        memset(&x, 0, sizeof x), memset(&y, 0, sizeof y);
        int s1 = call_scalar(F_SEED64, &a, NULL, fmt, &x);
        int s2 = call_scalar(F_RBE, &b, &q, fmt, &y);
        if (s1 != s2 || (s1 == PQ_OK && memcmp(&x, &y, fmt_size(fmt)) != 0))
            FAIL("pq_rbe_seed64(%016llx) and pq_rbe of its fields differ (status %d, %d)",
                 (unsigned long long)a.word, s1, s2);
    }
}

/* ---- hash, pack, unpack -------------------------------------------------- */

static void fuzz_seed_and_hash(void) {
    uint32_t i, j;
    index_pair(&i, &j);
    calls++;
    if (pq_spatial_hash(i, j) != murmur(i, j))
        FAIL("pq_spatial_hash(%08x, %08x) = %08x, MurmurHash3_x86_32 gives %08x", i, j,
             pq_spatial_hash(i, j), murmur(i, j));

    uint64_t w = next(), w2 = ~w;
    pq_seed64_fields f;
    pq_seed64_unpack(w, &f);
    calls += 2;
    if (pq_seed64_pack(&f, &w2) != PQ_OK || w2 != w)
        FAIL("pq_seed64_pack(pq_seed64_unpack(%016llx)) = %016llx", (unsigned long long)w,
             (unsigned long long)w2);

    pq_seed64_fields g = {below(1u << 20), below(1u << 24), (int32_t)below(16),
                          (int32_t)below(4),   (int32_t)below(2),   (int32_t)below(16),
                          (int32_t)below(8) - 4, (int32_t)below(64)};
    int bad = chance(3);
    if (bad) {
        switch (below(8)) {
        case 0: g.r = chance(2) ? 1u << 20 : (uint32_t)next() | 1u << 31; break;
        case 1: g.theta = chance(2) ? 1u << 24 : (uint32_t)next() | 1u << 31; break;
        case 2: g.basis = bad_int(); if (g.basis >= 0 && g.basis <= 15) g.basis = 16; break;
        case 3: g.d_theta = bad_int(); if (g.d_theta >= 0 && g.d_theta <= 3) g.d_theta = 4; break;
        case 4: g.d_r = bad_int(); if (g.d_r >= 0 && g.d_r <= 1) g.d_r = 2; break;
        case 5: g.rot = bad_int(); if (g.rot >= 0 && g.rot <= 15) g.rot = 16; break;
        case 6: g.log2_c = bad_int(); if (g.log2_c >= -4 && g.log2_c <= 3) g.log2_c = 4; break;
        default: g.reserved = bad_int(); if (g.reserved >= 0 && g.reserved <= 63) g.reserved = 64; break;
        }
    }
    int null = (int)below(12); /* 0: NULL fields, 1: NULL word */
    uint64_t word = 0x5A5A5A5A5A5A5A5AULL;
    calls++;
    int st = pq_seed64_pack(null == 0 ? NULL : &g, null == 1 ? NULL : &word);
    if (bad || null <= 1) {
        if (st != PQ_EDOM || word != 0x5A5A5A5A5A5A5A5AULL)
            FAIL("pq_seed64_pack with a bad field or NULL: status %d, word %s", st,
                 word != 0x5A5A5A5A5A5A5A5AULL ? "written" : "untouched");
    } else {
        pq_seed64_fields h;
        pq_seed64_unpack(word, &h);
        calls++;
        if (st != PQ_OK || memcmp(&g, &h, sizeof g) != 0)
            FAIL("pq_seed64_pack then unpack does not give the fields back (status %d)", st);
    }
}

/* ---- pq_rbe_range ------------------------------------------------------- */

/* A column of k1 elements read at stride s: the exact bytes it spans,
 * base[k * s] for 0 <= k < k1 (the header's base is element 0). */
typedef struct {
    void *buf;
    char *base;
    size_t len;
    ptrdiff_t s;
} column;

static void column_make(column *c, size_t k1, ptrdiff_t s, size_t size) {
    size_t span = s < 0 ? (size_t)-s : (size_t)s;
    c->len = k1 == 0 || s == 0 ? 1 : (k1 - 1) * span + 1;
    c->buf = malloc(c->len * size);
    c->s = s;
    c->base = (char *)c->buf + (s < 0 ? (c->len - 1) * size : 0);
}

static ptrdiff_t stride(void) {
    static const ptrdiff_t S[] = {1, 1, 1, 1, 0, 2, 3, -1, -1, -2, 7};
    return S[below(sizeof S / sizeof *S)];
}

static void fuzz_range(void) {
    size_t k1 = below(8) == 0 ? below(4) : below(300), k0 = chance(2) ? 0 : below((uint32_t)k1 + 1);
    if (chance(16)) k0 = k1 + below(3); /* empty */
    pq_format fmt = format(10);
    size_t size = fmt_size(fmt);
    column c[9];
    static const size_t SIZE[9] = {8, 8, 4, 4, 8, 4, 4, 4, 4};
    int shared = !chance(3); /* options broadcast: the block path */
    for (int k = 0; k < 9; k++) column_make(&c[k], k1, k < 4 ? stride() : shared ? 0 : stride(), SIZE[k]);
    /* fill: every element in the span, those between elements too */
    pq_params p0 = params(8);
    for (int k = 0; k < 4; k++)
        for (size_t m = 0; m < c[k].len; m++) {
            if (k < 2) ((uint64_t *)c[k].buf)[m] = u64_field();
            else ((uint32_t *)c[k].buf)[m] = (uint32_t)next() >> (chance(4) ? below(32) : 0);
        }
    for (size_t k = 0; k < k1; k++) /* some elements with an exact phi, or next to it */
        if (chance(6)) {
            uint32_t *i = (uint32_t *)c[2].base + (ptrdiff_t)k * c[2].s;
            uint32_t *j = (uint32_t *)c[3].base + (ptrdiff_t)k * c[3].s;
            index_pair(i, j);
        }
    for (int k = 4; k < 9; k++)
        for (size_t m = 0; m < c[k].len; m++) {
            pq_params q = shared ? p0 : params(8);
            if (k == 4) ((uint64_t *)c[k].buf)[m] = q.eps;
            else ((int32_t *)c[k].buf)[m] = k == 5 ? q.log2_c : k == 6 ? q.d_r : k == 7 ? q.rot : q.d_theta;
        }
    pq_columns a = {(const uint64_t *)c[0].base, (const uint64_t *)c[1].base,
                    (const uint32_t *)c[2].base, (const uint32_t *)c[3].base,
                    (const uint64_t *)c[4].base, (const int32_t *)c[5].base,
                    (const int32_t *)c[6].base, (const int32_t *)c[7].base,
                    (const int32_t *)c[8].base, c[0].s, c[1].s, c[2].s, c[3].s, c[4].s, c[5].s,
                    c[6].s, c[7].s, c[8].s};
    size_t nel = k1 ? k1 : 1;
    unsigned char *out0 = malloc(nel * size), *out = malloc(nel * size);
    uint8_t *st0 = malloc(nel), *st = malloc(nel);
    size_t want_bad = k1 > k0 ? k1 - k0 : 0;

    /* NULL pointers: k1 - k0 returned, nothing written */
    if (chance(12)) {
        memset(out, 0xA5, nel * size), memset(st, 0xEE, nel);
        int which = (int)below(3);
        calls++;
        size_t bad = pq_rbe_range(which == 0 ? NULL : &a, k0, k1, fmt, which == 1 ? NULL : out,
                                  which == 2 ? NULL : st);
        if (bad != want_bad || !untouched(out, nel * size, 0xA5) || !untouched(st, nel, 0xEE))
            FAIL("pq_rbe_range with a NULL pointer: %zu returned (expected %zu) or written", bad,
                 want_bad);
    }

    /* level 0 at the CPU's best SIMD level, then every other level */
    memset(out0, 0xA5, nel * size), memset(st0, 0xEE, nel);
    set_best();
    calls++;
    size_t bad0 = pq_rbe_range(&a, k0, k1, fmt, out0, st0);
    for (int cfg = 0; cfg < n_simd + 3; cfg++) {
        int slow = cfg >= n_simd ? cfg - n_simd + 1 : 0;
        if (slow && (k1 - k0 > 64 || (slow == 2 ? !chance(6) : !chance(2)))) continue;
        if (!slow) set_simd(cfg);
        pq_debug_force_slow_path(slow);
        memset(out, 0xA5, nel * size), memset(st, 0xEE, nel);
        calls++;
        size_t bad = pq_rbe_range(&a, k0, k1, fmt, out, st);
        if (chance(3) && k1 > k0) { /* and split in two at m: the same */
            size_t m = k0 + below((uint32_t)(k1 - k0 + 1));
            memset(out, 0xA5, nel * size), memset(st, 0xEE, nel);
            calls += 2;
            bad = pq_rbe_range(&a, k0, m, fmt, out, st) + pq_rbe_range(&a, m, k1, fmt, out, st);
        }
        set_best();
        if (bad != bad0 || memcmp(out, out0, nel * size) != 0 || memcmp(st, st0, nel) != 0)
            FAIL("pq_rbe_range (%zu..%zu, kind %d frac %d, strides R %td T %td i %td j %td, "
                 "options %s): SIMD level %d slow-path level %d and the default (the CPU's best SIMD level, slow-path level 0) differ", k0, k1,
                 fmt.kind, fmt.frac, a.s_R, a.s_T, a.s_i, a.s_j, shared ? "shared" : "per element",
                 slow ? -1 : simd_level[cfg], slow);
    }

    /* element k is pq_rbe of base[k * stride]; nothing outside [k0, k1) */
    size_t nbad = 0;
    for (size_t k = 0; k < k1; k++) {
        unsigned char *o = out0 + k * size;
        if (k < k0) {
            if (!untouched(o, size, 0xA5) || st0[k] != 0xEE) {
                FAIL("pq_rbe_range (%zu..%zu) wrote element %zu", k0, k1, k);
                break;
            }
            continue;
        }
        ptrdiff_t sk = (ptrdiff_t)k;
        pq_params p = {a.eps[sk * a.s_eps], a.log2_c[sk * a.s_log2_c], a.d_r[sk * a.s_d_r],
                       a.rot[sk * a.s_rot], a.d_theta[sk * a.s_d_theta]};
        pq_value v;
        memset(&v, 0xA5, sizeof v);
        calls++;
        int s = pq_rbe(a.R[sk * a.s_R], a.T[sk * a.s_T], a.i[sk * a.s_i], a.j[sk * a.s_j], &p, fmt, &v);
        nbad += s != PQ_OK;
        if (st0[k] != s || (s == PQ_OK ? memcmp(o, &v, size) != 0 : !untouched(o, size, 0xA5))) {
            FAIL("pq_rbe_range (%zu..%zu, kind %d frac %d, strides R %td T %td i %td j %td, "
                 "options %s) element %zu: status %d, pq_rbe gives %d%s", k0, k1, fmt.kind,
                 fmt.frac, a.s_R, a.s_T, a.s_i, a.s_j, shared ? "shared" : "per element", k,
                 st0[k], s, s == PQ_OK ? " (or the bits differ)" : " (or the output was written)");
            break;
        }
    }
    if (bad0 != nbad && k1 > k0)
        FAIL("pq_rbe_range returned %zu, %zu elements failed", bad0, nbad);
    if (k1 <= k0 && (bad0 != 0 || !untouched(out0, nel * size, 0xA5) || !untouched(st0, nel, 0xEE)))
        FAIL("pq_rbe_range on an empty range: %zu returned, or something written", bad0);
    for (int k = 0; k < 9; k++) free(c[k].buf);
    free(out0), free(out), free(st0), free(st);
}

/* ---- the matrix decoder ------------------------------------------------- */

enum { D_MATRIX, D_SEED64, D_ROWS, D_GARBAGE };

typedef struct {
    int how;
    uint64_t R, T, word, eps;
    pq_params p;
    pq_format fmt;
    uint32_t n_cols, row0, row1;
    ptrdiff_t stride;
    const pq_phi_table *phi;
    int out_null, first_bad_null;
    int whole; /* D_ROWS: one call (a table too small for the rows, an empty range) */
} decode_args;

/* One decode into out (sentinel-filled by the caller). */
static int decode(const decode_args *d, void *out, uint64_t *first_bad) {
    void *o = d->out_null ? NULL : out;
    uint64_t *fb = d->first_bad_null ? NULL : first_bad;
    pq_decoder dec;
    switch (d->how) {
    case D_MATRIX:
        calls++;
        return pq_decode_matrix(d->R, d->T, &d->p, d->n_cols, d->row0, d->row1, d->phi, d->fmt,
                                o, d->stride, fb);
    case D_SEED64:
        calls++;
        return pq_decode_seed64(d->word, d->eps, d->n_cols, d->row0, d->row1, d->phi, d->fmt, o,
                                d->stride, fb);
    case D_ROWS: {
        int st;
        pq_decoder before;
        memset(&dec, 0x3C, sizeof dec);
        before = dec;
        calls++;
        if (d->word) st = pq_decoder_init_seed64(d->word, d->eps, d->fmt, &dec);
        else st = pq_decoder_init(d->R, d->T, &d->p, d->fmt, &dec);
        if (st != PQ_OK && memcmp(&dec, &before, sizeof dec) != 0)
            FAIL("pq_decoder_init%s: status %d but the decoder was written", d->word ? "_seed64" : "", st);
        if (st != PQ_OK) return st;
        /* the rows in two calls, in order: the same as one */
        uint32_t mid = d->whole ? d->row1 : d->row0 + below(d->row1 - d->row0 + 1);
        calls += 2;
        st = pq_decode_rows(&dec, d->n_cols, d->row0, mid, d->phi, o, d->stride, fb);
        if (st == PQ_OK) st = pq_decode_rows(&dec, d->n_cols, mid, d->row1, d->phi, o, d->stride, fb);
        return st;
    }
    default: /* a decoder never initialised: zeros, or garbage */
        if (chance(2)) memset(&dec, 0, sizeof dec);
        else for (int k = 0; k < 16; k++) dec.opaque[k] = next();
        calls++;
        return pq_decode_rows(chance(4) ? NULL : &dec, d->n_cols, d->row0, d->row1, d->phi, o,
                              d->stride, fb);
    }
}

static void fuzz_decode(void) {
    decode_args d;
    memset(&d, 0, sizeof d);
    d.how = chance(12) ? D_GARBAGE : (int)below(3);
    d.R = u64_field();
    d.T = u64_field();
    d.eps = chance(2) ? 0 : u64_field();
    d.p = params(8);
    d.p.eps = d.eps;
    d.fmt = format(8);
    if (d.how == D_SEED64 || (d.how == D_ROWS && chance(2))) {
        d.word = next();
        if (!chance(6)) d.word &= ~(0xFULL << 16);
        if (d.word == 0) d.word = 1; /* D_ROWS: 0 means "no word" */
    }
    static const uint32_t COLS[] = {1, 2, 7, 63, 64, 65, 127, 128, 129};
    d.n_cols = chance(16) ? 0 : chance(2) ? COLS[below(9)] : 1 + below(140);
    d.row1 = below(6);
    d.row0 = chance(2) ? 0 : below(d.row1 + 1);
    if (chance(16)) d.row0 = d.row1 + below(3);
    int empty = d.row1 <= d.row0;
    d.stride = (ptrdiff_t)d.n_cols + (chance(2) ? 0 : below(4));
    d.out_null = chance(20);
    d.first_bad_null = chance(10);

    /* the phi table: none, one that fits (or is larger), one too small */
    pq_phi_table tab;
    uint64_t *hi = NULL, *lo = NULL;
    int small = 0;
    if (chance(2) && d.n_cols > 0) {
        uint32_t tr = d.row1 + (chance(2) ? 0 : below(3)), tc = d.n_cols + (chance(2) ? 0 : below(3));
        if (!empty && chance(10)) {
            small = 1;
            if (chance(2) && tr > 0) tr = d.row1 - 1;
            else tc = d.n_cols - 1;
        }
        size_t cnt = tr && tc ? (size_t)tr * tc : 1;
        hi = malloc(cnt * 8), lo = malloc(cnt * 8);
        memset(hi, 0xCC, cnt * 8), memset(lo, 0xCC, cnt * 8);
        tab = (pq_phi_table){hi, lo, tr, tc};
        /* filled in two pieces, each at a random SIMD level */
        uint32_t mid = tr ? below(tr + 1) : 0;
        int st1 = PQ_OK, st2 = PQ_OK;
        if (tc > 0) {
            set_simd((int)below((uint32_t)n_simd));
            calls += 2;
            st1 = pq_phi_table_fill(hi, lo, tc, mid, tr);
            set_simd((int)below((uint32_t)n_simd));
            st2 = pq_phi_table_fill(hi, lo, tc, 0, mid);
            set_best();
        }
        if (st1 != PQ_OK || st2 != PQ_OK) FAIL("pq_phi_table_fill: status %d %d", st1, st2);
        if (chance(4) && tr > 0 && tc > 0) { /* a row filled alone: the same words */
            uint32_t r = below(tr);
            uint64_t *rh = malloc((size_t)tc * 8 * (r + 1)), *rl = malloc((size_t)tc * 8 * (r + 1));
            calls++;
            pq_phi_table_fill(rh, rl, tc, r, r + 1);
            if (memcmp(rh + (size_t)r * tc, hi + (size_t)r * tc, (size_t)tc * 8) != 0 ||
                memcmp(rl + (size_t)r * tc, lo + (size_t)r * tc, (size_t)tc * 8) != 0)
                FAIL("pq_phi_table_fill: row %u of %u x %u differs when filled alone", r, tr, tc);
            free(rh), free(rl);
        }
        d.phi = &tab;
    }
    d.whole = small || empty;
    if (chance(20)) { /* NULL table arrays */
        uint64_t one = 0;
        calls += 2;
        if (pq_phi_table_fill(NULL, &one, 4, 0, 1) != PQ_EDOM ||
            pq_phi_table_fill(&one, &one, 0, 0, 1) != PQ_EDOM || one != 0)
            FAIL("pq_phi_table_fill with a NULL array or n_cols 0: not PQ_EDOM, or written");
    }

    size_t size = fmt_size(d.fmt);
    size_t nel = d.row1 == 0 || d.n_cols == 0 ? 1 : (size_t)(d.row1 - 1) * (size_t)d.stride + d.n_cols;
    unsigned char *out0 = malloc(nel * size), *out = malloc(nel * size);
    uint64_t fb0 = 0x77, fb = 0x77;
    memset(out0, 0xA5, nel * size);
    set_best();
    int st0 = decode(&d, out0, &fb0);

    /* what the header promises */
    int basis_bad = d.word && ((d.word >> 16) & 0xF) != 0;
    pq_params wp = d.p;
    uint64_t R = d.R, T = d.T;
    if (d.word) {
        pq_seed64_fields f;
        pq_seed64_unpack(d.word, &f);
        wp = (pq_params){d.eps, f.log2_c, f.d_r, f.rot, f.d_theta};
        R = (uint64_t)f.r << 44, T = (uint64_t)f.theta << 40;
    }
    int edom = d.how == D_GARBAGE || basis_bad || !params_ok(&wp) || !fmt_ok(d.fmt) ||
               d.out_null || d.n_cols == 0 || small;
    if (edom || empty) {
        if (st0 != (edom ? PQ_EDOM : PQ_OK) || !untouched(out0, nel * size, 0xA5) || fb0 != 0x77)
            FAIL("decode (way %d, %s): status %d, expected %s, nothing written", d.how,
                 edom ? "bad arguments" : "empty range", st0, edom ? "PQ_EDOM" : "PQ_OK");
        goto done;
    }
    /* element by element against pq_rbe */
    int want = PQ_OK;
    uint64_t want_fb = 0;
    for (uint32_t i = 0; i < d.row1; i++)
        for (uint32_t j = 0; j < (uint32_t)d.stride; j++) {
            unsigned char *o = out0 + ((size_t)i * (size_t)d.stride + j) * size;
            if (i < d.row0 || j >= d.n_cols) { /* outside the rows, or between them */
                if ((size_t)i * (size_t)d.stride + j < nel && !untouched(o, size, 0xA5)) {
                    FAIL("decode (way %d) wrote outside rows %u..%u x %u columns (row %u col %u)",
                         d.how, d.row0, d.row1, d.n_cols, i, j);
                    goto done;
                }
                continue;
            }
            pq_value v;
            calls++;
            int s = pq_rbe(R, T, i, j, &wp, d.fmt, &v);
            if (s != PQ_OK && want == PQ_OK) want = s, want_fb = (uint64_t)i * d.n_cols + j;
            if (s == PQ_OK && (want == PQ_OK || !untouched(o, size, 0xA5)) && memcmp(o, &v, size) != 0) {
                FAIL("decode (way %d, kind %d frac %d, %u x %u) element (%u, %u) differs from pq_rbe",
                     d.how, d.fmt.kind, d.fmt.frac, d.row1, d.n_cols, i, j);
                goto done;
            }
        }
    if (st0 != want || (want != PQ_OK && !d.first_bad_null && fb0 != want_fb))
        FAIL("decode (way %d, kind %d frac %d): status %d first bad %llu, pq_rbe gives %d at %llu",
             d.how, d.fmt.kind, d.fmt.frac, st0, (unsigned long long)fb0, want,
             (unsigned long long)want_fb);
    if (st0 != PQ_OK) goto done;
    /* the same bits at every SIMD and slow-path level */
    for (int cfg = 0; cfg < n_simd + 3; cfg++) {
        int slow = cfg >= n_simd ? cfg - n_simd + 1 : 0;
        if (slow && (slow == 2 ? !chance(8) : !chance(3))) continue;
        if (!slow) set_simd(cfg);
        pq_debug_force_slow_path(slow);
        memset(out, 0xA5, nel * size);
        int st = decode(&d, out, &fb);
        set_best();
        if (st != st0 || memcmp(out, out0, nel * size) != 0)
            FAIL("decode (way %d, kind %d frac %d, %u x %u): SIMD level %d IFMA %d slow-path "
                 "level %d and the default (the CPU's best, slow-path level 0) differ", d.how, d.fmt.kind, d.fmt.frac, d.row1,
                 d.n_cols, slow ? -1 : simd_level[cfg], slow ? -1 : simd_ifma[cfg], slow);
    }
done:
    free(out0), free(out), free(hi), free(lo);
}

/* ---- driver ------------------------------------------------------------- */

static double now(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC); /* C11: no POSIX feature macro needed */
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int usage(const char *argv0) {
    fprintf(stderr, "usage: %s [--seed S] [--seconds T | --iterations N] [--iteration K]\n", argv0);
    return 2;
}

int main(int argc, char **argv) {
    double seconds = 0;
    long iterations = -1, only = -1;
    for (int a = 1; a < argc; a += 2) {
        char *end = NULL;
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
        if (!v) return usage(argv[0]);
        if (strcmp(argv[a], "--seed") == 0) seed = strtoull(v, &end, 0);
        else if (strcmp(argv[a], "--seconds") == 0) seconds = strtod(v, &end);
        else if (strcmp(argv[a], "--iterations") == 0) iterations = strtol(v, &end, 0);
        else if (strcmp(argv[a], "--iteration") == 0) only = strtol(v, &end, 0);
        else return usage(argv[0]);
        if (!end || *end || end == v) return usage(argv[0]);
    }
    if (iterations < 0 && seconds <= 0) iterations = 1000;

    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(on_sanitizer_report);
    int top = pq_block_cpu_level(), ifma = pq_debug_decode_ifma(-1);
    for (int l = 0; l <= top; l++) {
        simd_level[n_simd] = l, simd_ifma[n_simd++] = 0;
        if (l == 2 && ifma) simd_level[n_simd] = 2, simd_ifma[n_simd++] = 1;
    }
    if (only < 0)
        printf("fuzz_kernels: seed %llu, SIMD levels 0..%d%s, %s %g\n", seed, top,
               ifma ? " (and AVX-512 IFMA)" : "", iterations >= 0 ? "iterations" : "seconds",
               iterations >= 0 ? (double)iterations : seconds);
    double t0 = now();
    for (iteration = only >= 0 ? only : 0;; iteration++) {
        if (only >= 0 ? iteration > only
                      : iterations >= 0 ? iteration >= iterations
                                        : (iteration % 16 == 0 && now() - t0 >= seconds))
            break;
        rng = seed * 0xD1B54A32D192ED03ULL + (uint64_t)iteration * 0x9E3779B97F4A7C15ULL;
        set_best();
        switch (below(8)) {
        case 0: case 1: case 2: fuzz_scalar(); break;
        case 3: fuzz_seed_and_hash(); break;
        case 4: case 5: fuzz_range(); break;
        default: fuzz_decode(); break;
        }
    }
    double dt = now() - t0;
    printf("%ld calls, %ld failure(s) (%ld iterations, %.1f s, %.0f calls/s)\n", calls, failures,
           iteration - (only >= 0 ? only : 0), dt, dt > 0 ? calls / dt : 0.0);
    return failures ? 1 : 0;
}
