/*
 * check_vectors.c -- a C program that calls the poincare_q64 kernels through
 * their public header and checks them: first that bad arguments give status
 * codes (not crashes), then every vector of the files named on the command
 * line, bit for bit.
 *
 * Build: see the shell lines below this comment (no library to link, not
 * even -lm; C11 with unsigned __int128, i.e. GCC or Clang on a 64-bit target).
 *
 * Vector files: the project's vector grammar (docs/vectors.md, the grammar of
 * `poincare-q64 gen`): a header line naming the function and the format,
 *
 *   # poincare_q64 test vectors: function=rbe format=float64 version=0.1.0 count=172
 *
 * (count=N, the number of vectors, is optional; when it is there a file
 * holding another number of vectors is malformed: a truncated file must not
 * pass), then one vector per line, fixed-width fields separated by blanks, '#'
 * comment lines allowed:
 *
 *   8000000000000000 4000000000000000 00000005 00000007 +0 0000000000000000 0 0 0 => 3fe70b4e027ac1ab
 *
 * The vectors in vectors/ were written by make_vectors.py from the
 * independent reference (poincare_q64.reference), never from these kernels.
 *
 * Output, in the manner of Berkeley TestFloat: each mismatch as
 *   <inputs> => <got> expected: <expected>
 * then "N tests passed, M failure(s)".  -v prints every result.
 * Exit status: 0 all passed, 1 some failed, 2 an unreadable file or a
 * malformed line (the message names the file and line).
 */
// PQ=$(python -c "import poincare_q64; print(poincare_q64.get_include())")
// cc -O2 -std=c11 -I"$PQ" check_vectors.c "$PQ"/*.c -o check_vectors
// ./check_vectors vectors/*.txt
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poincare_q64.h"

static long passed, failed;
static int verbose;

/* ======================================================================
 * Part 1: bad arguments give status codes, and leave the output alone.
 * The expected codes are the contract of poincare_q64.h.
 * ====================================================================== */

static const char *status_name(int status) {
    switch (status) {
    case PQ_OK: return "PQ_OK";
    case PQ_EDOM: return "PQ_EDOM";
    case PQ_EOVERFLOW: return "PQ_EOVERFLOW";
    case PQ_EUNDECIDED: return "PQ_EUNDECIDED";
    default: return "an unknown status";
    }
}

static pq_value out, sentinel; /* out starts each check as a copy of sentinel */

static void expect(const char *call, int got, int want) {
    /* "on error *out is left unchanged" */
    int touched = want != PQ_OK && memcmp(&out, &sentinel, sizeof out) != 0;
    if (got == want && !touched) {
        passed++;
        if (verbose) printf("%s => %s\n", call, status_name(got));
    } else {
        failed++;
        printf("%s => %s%s expected: %s\n", call, status_name(got),
               touched ? " (output written)" : "", status_name(want));
    }
    out = sentinel;
}

/* CHECK(call, status): run the call, compare its status. */
#define CHECK(call, want) expect(#call, (call), (want))

static void check_error_codes(void) {
    const uint64_t R = 1ULL << 63, T = 1ULL << 62, U64_MAX = ~0ULL;
    const pq_params ok = {0};
    const pq_format f64 = {PQ_KIND_FLOAT64, 0}, q62 = {PQ_KIND_INT64, 62};
    pq_params p;
    pq_format fmt;

    memset(&sentinel, 0xA5, sizeof sentinel);
    out = sentinel;

    /* a valid call first, so that the EDOM checks below mean something */
    CHECK(pq_rbe(R, T, 5, 7, &ok, f64, &out), PQ_OK);
    out = sentinel;

    /* each option just outside its range */
    p = ok; p.log2_c = 4;  CHECK(pq_rbe(R, T, 5, 7, &p, f64, &out), PQ_EDOM);
    p = ok; p.log2_c = -5; CHECK(pq_rbe(R, T, 5, 7, &p, f64, &out), PQ_EDOM);
    p = ok; p.d_r = 2;     CHECK(pq_radial(R, &p, f64, &out), PQ_EDOM);
    p = ok; p.d_r = -1;    CHECK(pq_rbe_pipeline(R, T, 5, 7, &p, f64, &out), PQ_EDOM);
    p = ok; p.rot = 16;    CHECK(pq_angular(T, &p, f64, &out), PQ_EDOM);
    p = ok; p.rot = -1;    CHECK(pq_rbe(R, T, 5, 7, &p, f64, &out), PQ_EDOM);
    p = ok; p.d_theta = 4; CHECK(pq_angular(T, &p, f64, &out), PQ_EDOM);
    p = ok; p.d_theta = -1; CHECK(pq_rbe(R, T, 5, 7, &p, f64, &out), PQ_EDOM);

    /* formats: unknown kinds, frac outside 0..64 */
    fmt.kind = 4; fmt.frac = 0;   CHECK(pq_rbe(R, T, 5, 7, &ok, fmt, &out), PQ_EDOM);
    fmt.kind = -1; fmt.frac = 0;  CHECK(pq_modulation(5, 7, fmt, &out), PQ_EDOM);
    fmt.kind = PQ_KIND_INT64; fmt.frac = 65;  CHECK(pq_rbe(R, T, 5, 7, &ok, fmt, &out), PQ_EDOM);
    fmt.kind = PQ_KIND_INT64; fmt.frac = -1;  CHECK(pq_radial(R, &ok, fmt, &out), PQ_EDOM);
    fmt.kind = PQ_KIND_INT128; fmt.frac = 65; CHECK(pq_angular(T, &ok, fmt, &out), PQ_EDOM);

    /* NULL pointers */
    CHECK(pq_radial(R, NULL, f64, &out), PQ_EDOM);
    CHECK(pq_angular(T, NULL, f64, &out), PQ_EDOM);
    CHECK(pq_rbe(R, T, 5, 7, NULL, f64, &out), PQ_EDOM);
    CHECK(pq_rbe_pipeline(R, T, 5, 7, NULL, f64, &out), PQ_EDOM);
    CHECK(pq_radial(R, &ok, f64, NULL), PQ_EDOM);
    CHECK(pq_angular(T, &ok, f64, NULL), PQ_EDOM);
    CHECK(pq_modulation(5, 7, f64, NULL), PQ_EDOM);
    CHECK(pq_rbe(R, T, 5, 7, &ok, f64, NULL), PQ_EDOM);
    CHECK(pq_rbe_pipeline(R, T, 5, 7, &ok, f64, NULL), PQ_EDOM);
    CHECK(pq_rbe_seed64(0, 5, 7, 0, f64, NULL), PQ_EDOM);

    /* a result too large for int64: g(r) -> 1.88 as r -> 1 with c = 1/16 */
    p = ok; p.log2_c = -4;
    fmt.kind = PQ_KIND_INT64; fmt.frac = 63;
    CHECK(pq_radial(U64_MAX, &p, fmt, &out), PQ_EOVERFLOW);
    CHECK(pq_radial(U64_MAX, &p, q62, &out), PQ_OK); /* ... fits at frac 62 */
    out = sentinel;

    /* seed64: basis 1 is undefined; packing refuses fields out of range */
    CHECK(pq_rbe_seed64(1ULL << 16, 5, 7, 0, f64, &out), PQ_EDOM);
    {
        pq_seed64_fields f = {0};
        uint64_t word = 12345;
        f.r = 1u << 20;
        CHECK(pq_seed64_pack(&f, &word), PQ_EDOM);
        f.r = 0; f.log2_c = 4;
        CHECK(pq_seed64_pack(&f, &word), PQ_EDOM);
        f.log2_c = 0; f.reserved = 64;
        CHECK(pq_seed64_pack(&f, &word), PQ_EDOM);
        if (word != 12345) {
            failed++;
            printf("pq_seed64_pack wrote the word on error\n");
        }
        f.reserved = 0;
        CHECK(pq_seed64_pack(NULL, &word), PQ_EDOM);
        CHECK(pq_seed64_pack(&f, NULL), PQ_EDOM);
    }

    /* the array entry: NULL pointers give "all n failed", a bad option in a
     * column gives that element's status */
    {
        uint64_t Rs[3] = {R, R, R}, Ts[3] = {T, T, T}, zero64 = 0;
        uint32_t ij[3] = {5, 6, 7};
        int32_t rot[3] = {0, 16, 0}, zero32 = 0;
        double res[3] = {0, 0, 0};
        uint8_t st[3] = {9, 9, 9};
        pq_columns cols = {Rs, Ts, ij, ij, &zero64, &zero32, &zero32, rot, &zero32,
                           1, 1, 1, 1, 0, 0, 0, 1, 0};
        size_t bad;
        bad = pq_rbe_range(NULL, 0, 3, f64, res, st);
        bad += pq_rbe_range(&cols, 0, 3, f64, NULL, st);
        bad += pq_rbe_range(&cols, 0, 3, f64, res, NULL);
        if (bad != 9 || st[0] != 9 || res[0] != 0) {
            failed++;
            printf("pq_rbe_range with a NULL pointer => %zu, wrote: %s expected: 9, nothing\n",
                   bad, st[0] != 9 || res[0] != 0 ? "yes" : "no");
        } else {
            passed++;
        }
        bad = pq_rbe_range(&cols, 0, 3, f64, res, st);
        if (bad != 1 || st[0] != PQ_OK || st[1] != PQ_EDOM || st[2] != PQ_OK) {
            failed++;
            printf("pq_rbe_range with rot = 16 in element 1 => %zu, status %d %d %d "
                   "expected: 1, status 0 1 0\n", bad, st[0], st[1], st[2]);
        } else {
            passed++;
        }
    }
}

/* ======================================================================
 * Part 2: vector files.
 * ====================================================================== */

enum { R_, T_, I_, J_, LOG2_C_, EPS_, D_R_, ROT_, D_THETA_, WORD_ };

/* The input fields: name, width in characters, largest value. */
static const struct {
    const char *name;
    int width;
    uint64_t max;
} FIELD[] = {
    [R_] = {"R", 16, UINT64_MAX},     [T_] = {"T", 16, UINT64_MAX},
    [I_] = {"i", 8, UINT32_MAX},      [J_] = {"j", 8, UINT32_MAX},
    [LOG2_C_] = {"log2_c", 2, 0},     /* sign and digit, -4..+3 */
    [EPS_] = {"eps", 16, UINT64_MAX}, [D_R_] = {"d_r", 1, 1},
    [ROT_] = {"rot", 1, 15},          [D_THETA_] = {"d_theta", 1, 3},
    [WORD_] = {"word", 16, UINT64_MAX},
};

/* Each function's input fields, in line order (docs/vectors.md). */
static const struct {
    const char *name;
    int n;
    int in[9];
} FUNCTION[] = {
    {"radial", 4, {R_, LOG2_C_, EPS_, D_R_}},
    {"angular", 3, {T_, ROT_, D_THETA_}},
    {"spatial_hash", 2, {I_, J_}},
    {"modulation", 2, {I_, J_}},
    {"rbe", 9, {R_, T_, I_, J_, LOG2_C_, EPS_, D_R_, ROT_, D_THETA_}},
    {"rbe_pipeline", 9, {R_, T_, I_, J_, LOG2_C_, EPS_, D_R_, ROT_, D_THETA_}},
    {"seed64", 4, {WORD_, I_, J_, EPS_}},
};
enum { RADIAL, ANGULAR, SPATIAL_HASH, MODULATION, RBE, RBE_PIPELINE, SEED64, NFUNCTIONS };

static int parse_hex(const char *tok, int width, uint64_t *value) {
    if ((int)strlen(tok) != width) return -1;
    for (const char *c = tok; *c; c++)
        if (!isxdigit((unsigned char)*c)) return -1;
    *value = strtoull(tok, NULL, 16);
    return 0;
}

/* One input field into v[field]; the log2_c field is stored as its value + 4. */
static int parse_field(int field, const char *tok, uint64_t v[]) {
    if (field == LOG2_C_) {
        if (strlen(tok) != 2 || (tok[0] != '+' && tok[0] != '-') || !isdigit((unsigned char)tok[1]))
            return -1;
        int x = (tok[0] == '-' ? -1 : 1) * (tok[1] - '0');
        if (x < -4 || x > 3 || strcmp(tok, "-0") == 0) return -1;
        v[field] = (uint64_t)(x + 4);
        return 0;
    }
    return parse_hex(tok, FIELD[field].width, &v[field]) || v[field] > FIELD[field].max ? -1 : 0;
}

/* Evaluate one vector with the kernels; its result as the grammar writes it. */
static void evaluate(int func, pq_format fmt, const uint64_t v[], char *res, size_t n) {
    pq_params p = {v[EPS_], (int32_t)v[LOG2_C_] - 4, (int32_t)v[D_R_], (int32_t)v[ROT_],
                   (int32_t)v[D_THETA_]};
    pq_value x;
    int st = PQ_OK;
    switch (func) {
    case SPATIAL_HASH: /* format uint32: H itself */
        snprintf(res, n, "%08" PRIx32, pq_spatial_hash((uint32_t)v[I_], (uint32_t)v[J_]));
        return;
    case RADIAL: st = pq_radial(v[R_], &p, fmt, &x); break;
    case ANGULAR: st = pq_angular(v[T_], &p, fmt, &x); break;
    case MODULATION: st = pq_modulation((uint32_t)v[I_], (uint32_t)v[J_], fmt, &x); break;
    case RBE: st = pq_rbe(v[R_], v[T_], (uint32_t)v[I_], (uint32_t)v[J_], &p, fmt, &x); break;
    case RBE_PIPELINE:
        st = pq_rbe_pipeline(v[R_], v[T_], (uint32_t)v[I_], (uint32_t)v[J_], &p, fmt, &x);
        break;
    case SEED64:
        st = pq_rbe_seed64(v[WORD_], (uint32_t)v[I_], (uint32_t)v[J_], v[EPS_], fmt, &x);
        break;
    }
    if (st == PQ_EOVERFLOW && fmt.kind == PQ_KIND_INT64) {
        snprintf(res, n, "overflow"); /* the grammar's token for it */
        return;
    }
    if (st != PQ_OK) {            /* never a valid result token: a mismatch */
        snprintf(res, n, "%s", status_name(st));
        return;
    }
    uint64_t bits;
    uint32_t bits32;
    switch (fmt.kind) {
    case PQ_KIND_INT64: snprintf(res, n, "%016" PRIx64, (uint64_t)x.i64); break;
    case PQ_KIND_INT128: {
        /* "object": sign and 17 hex digits of |X| (|X| < 2^66) */
        uint64_t lo = x.i128.lo, hi = (uint64_t)x.i128.hi;
        int neg = x.i128.hi < 0;
        if (neg) { /* two's complement negation of hi:lo */
            lo = ~lo + 1;
            hi = ~hi + (lo == 0);
        }
        snprintf(res, n, "%c%01" PRIx64 "%016" PRIx64, neg ? '-' : '+', hi, lo);
        break;
    }
    case PQ_KIND_FLOAT64:
        memcpy(&bits, &x.f64, sizeof bits); /* the bits, not a decimal rendering */
        snprintf(res, n, "%016" PRIx64, bits);
        break;
    default:
        memcpy(&bits32, &x.f32, sizeof bits32);
        snprintf(res, n, "%08" PRIx32, bits32);
        break;
    }
}

static int malformed(const char *path, long lineno, const char *why) {
    fprintf(stderr, "%s:%ld: %s\n", path, lineno, why);
    return 2;
}

/* Check every vector of one file; 0, or 2 for an unreadable or malformed file. */
static int check_file(const char *path) {
    FILE *in = fopen(path, "r");
    if (!in) {
        perror(path);
        return 2;
    }
    char line[512], func_s[32], fmt_s[32], version[32];
    int rc = 0, func = -1, hash_format = 0;
    pq_format fmt = {0, 0};
    long lineno = 1, count = -1, vectors = 0; /* count -1: the header has none */
    int after_version = 0;
    if (!fgets(line, sizeof line, in) ||
        sscanf(line, "# poincare_q64 test vectors: function=%31s format=%31s version=%31s%n",
               func_s, fmt_s, version, &after_version) != 3) {
        fclose(in);
        return malformed(path, 1, "not a vector file header (# poincare_q64 test vectors: "
                                  "function=F format=FMT version=V [count=N])");
    }
    {
        const char *rest = line + after_version;
        int used_count = 0;
        if (sscanf(rest, " count=%9ld%n", &count, &used_count) == 1) rest += used_count;
        else count = -1;
        if (rest[strspn(rest, " \t\r\n")] != '\0' || (used_count && count < 0)) {
            fclose(in);
            return malformed(path, 1, "header: after version=V only count=N may follow");
        }
    }
    for (int f = 0; f < NFUNCTIONS; f++)
        if (strcmp(func_s, FUNCTION[f].name) == 0) func = f;
    int frac = -1, used = 0;
    if (strcmp(fmt_s, "float64") == 0) fmt.kind = PQ_KIND_FLOAT64;
    else if (strcmp(fmt_s, "float32") == 0) fmt.kind = PQ_KIND_FLOAT32;
    else if (strcmp(fmt_s, "uint32") == 0) hash_format = 1;
    else if (sscanf(fmt_s, "int64/%2d%n", &frac, &used) == 1 && fmt_s[used] == '\0')
        fmt.kind = PQ_KIND_INT64, fmt.frac = frac;
    else if (sscanf(fmt_s, "object/%2d%n", &frac, &used) == 1 && fmt_s[used] == '\0')
        fmt.kind = PQ_KIND_INT128, fmt.frac = frac; /* the exact X, as 128 bits */
    else frac = -2;
    if (func < 0 || frac == -2 || frac > 64 || hash_format != (func == SPATIAL_HASH)) {
        fclose(in);
        return malformed(path, 1, "unknown function or format, or a format the function does "
                                  "not have");
    }

    while (fgets(line, sizeof line, in)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(in)) {
            rc = malformed(path, lineno, "line too long");
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *text = line + strspn(line, " \t");
        if (*text == '\0' || *text == '#') continue;

        char *arrow = strstr(text, "=>");
        if (!arrow) {
            rc = malformed(path, lineno, "no '=>'");
            break;
        }
        /* the inputs as written, for the messages (strtok below cuts the line) */
        int inputs_len = (int)(arrow - text);
        while (inputs_len > 0 && (text[inputs_len - 1] == ' ' || text[inputs_len - 1] == '\t'))
            inputs_len--;
        char inputs[sizeof line];
        snprintf(inputs, sizeof inputs, "%.*s", inputs_len, text);

        /* expected result: the tokens after '=>', joined by one space, lower case */
        char expected[128] = "";
        size_t elen = 0;
        for (char *tok = strtok(arrow + 2, " \t"); tok; tok = strtok(NULL, " \t")) {
            size_t tlen = strlen(tok);
            if (elen + tlen + 2 > sizeof expected) break;
            if (elen) expected[elen++] = ' ';
            for (size_t c = 0; c < tlen; c++) expected[elen++] = (char)tolower((unsigned char)tok[c]);
            expected[elen] = '\0';
        }
        *arrow = '\0';

        uint64_t v[10] = {0};
        v[LOG2_C_] = 4; /* log2_c 0 */
        int nf = 0;
        for (char *tok = strtok(text, " \t"); tok; tok = strtok(NULL, " \t"), nf++) {
            if (nf >= FUNCTION[func].n || parse_field(FUNCTION[func].in[nf], tok, v) != 0) {
                nf = -1;
                break;
            }
        }
        if (nf != FUNCTION[func].n || !*expected) {
            char why[160];
            snprintf(why, sizeof why, "malformed vector (%s takes %d fixed-width input "
                     "fields, '=>' and the result)", FUNCTION[func].name, FUNCTION[func].n);
            rc = malformed(path, lineno, why);
            break;
        }
        if (func == SEED64 && ((v[WORD_] >> 16) & 0xF) != 0) {
            rc = malformed(path, lineno, "seed64 word with a basis field other than 0");
            break;
        }

        vectors++;
        char result[128];
        evaluate(func, fmt, v, result, sizeof result);
        if (verbose) printf("%s => %s\n", inputs, result);
        if (strcmp(result, expected) == 0) {
            passed++;
        } else {
            failed++;
            printf("%s => %s expected: %s\n", inputs, result, expected);
        }
    }
    fclose(in);
    if (rc == 0 && count >= 0 && vectors != count) {
        char why[160];
        snprintf(why, sizeof why, "the header says count=%ld but the file holds %ld vectors%s",
                 count, vectors, vectors < count ? " (truncated?)" : "");
        rc = malformed(path, lineno, why);
    }
    return rc;
}

int main(int argc, char **argv) {
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = 1;
        first = 2;
    }
    if (argc > first && argv[first][0] == '-') {
        fprintf(stderr, "usage: %s [-v] [VECTOR_FILE...]\n", argv[0]);
        return 2;
    }
    check_error_codes();
    for (int a = first; a < argc; a++)
        if (check_file(argv[a]) != 0) return 2;
    printf("%ld tests passed, %ld failure(s)\n", passed, failed);
    return failed ? 1 : 0;
}
