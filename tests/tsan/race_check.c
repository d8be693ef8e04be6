/*
 * race_check.c -- every public kernel from several threads at once, under
 * ThreadSanitizer (run by tests/test_threads.py).
 *
 *   inc=$(python -c "import poincare_q64; print(poincare_q64.get_include())")
 *   gcc -fsanitize=thread -O1 -g -std=c11 -fno-strict-aliasing -pthread -I "$inc" \
 *       tests/tsan/race_check.c $(find "$inc" -name '*.c') -o race_check
 *   TSAN_OPTIONS=halt_on_error=1 ./race_check
 *
 * NTHREADS threads, released together by a barrier, evaluate pq_rbe_range
 * (options shared by the range, so the SIMD block path, and options per
 * element), pq_rbe, pq_radial, pq_angular, pq_modulation, pq_rbe_pipeline,
 * pq_rbe_seed64, pq_spatial_hash and the seed's unpack/pack over the same
 * read-only inputs in every output format, each thread into its own
 * outputs and splitting the ranges at its own chunk size.  The matrix
 * decoder runs too: pq_decode_matrix and pq_decode_seed64 (without a phi
 * table), and pq_decode_rows with decoders and a phi table prepared
 * before the threads start and shared read-only by all of them, each
 * thread splitting the rows of every matrix at its own row count.  Then the main
 * thread evaluates everything alone, and every thread's outputs must equal
 * its own byte for byte.  ThreadSanitizer reports any unsynchronised access
 * to shared memory on the way; with halt_on_error=1 the first one ends the
 * run.  Plain pthreads, not OpenMP: libgomp is not built with
 * ThreadSanitizer, so its own synchronisation would show as races.
 *
 * The inputs take every path of the kernels: random elements (stage 1),
 * quarter turns (s exact, also through rot), indices whose hash makes phi
 * exact, both at once, R = 0 and R = 2^64 - 1, seeds with a basis other
 * than 0 (PQ_EDOM), and elements whose stage-1 rounding test fails at
 * frac 64 or 62, so that the 128-bit and multi-precision paths run
 * concurrently too.  Those are found before the threads start with the
 * private hook pq_debug_stage1 at level 0 (the scalar kernels; it keeps no
 * state).  The SIMD level of the block path is chosen on first use, which
 * happens in the threads: they race for it on purpose (relaxed atomics).
 *
 * The matrices' seeds are some of the elements' (random ones, quarter
 * turns, R = 0 with d_r = 1, whose int64/62 matrix overflows: the status
 * and the first failing element are compared, the partly written matrix
 * is not), over a grid of DROWS x DCOLS (a 64-element SIMD block and a
 * tail per row).  On the main thread every decoded element must also be
 * pq_rbe's (pq_rbe_seed64's) bit for bit.
 *
 * Prints "race_check: OK ..." and exits 0, or names the first difference
 * and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poincare_q64.h"
#include "pq_testing.h" /* pq_debug_stage1, pq_block_level, PQ_FAST_ERR_F */

#define NTHREADS 4
#define NRANDOM 640
#define MAXN 1024
#define NFMT 4
#define SCAN (1u << 20) /* stage-1 candidates scanned for deferrals (about 2^-16) */
#define MAXDEFER 48

#define DSEEDS 12 /* matrices per format and way of decoding */
#define DROWS 5
#define DCOLS 67
#define DELEMS (DROWS * DCOLS)
#define DWAYS 3 /* pq_decode_matrix, pq_decode_rows with the phi table, pq_decode_seed64 */

static const pq_format FMTS[NFMT] = {
    {PQ_KIND_INT64, 62}, {PQ_KIND_INT128, 64}, {PQ_KIND_FLOAT64, 0}, {PQ_KIND_FLOAT32, 0}};
static const char *FMT_NAMES[NFMT] = {"int64/62", "int128/64", "float64", "float32"};

enum { F_RBE, F_RADIAL, F_ANGULAR, F_MODULATION, F_PIPELINE, F_SEED64, F_HASH_PACK, NFUNC };
static const char *FUNC_NAMES[NFUNC] = {"rbe", "radial", "angular", "modulation",
                                        "rbe_pipeline", "rbe_seed64", "spatial_hash/pack"};

/* shared, read-only once the threads start */
static size_t N;
static uint64_t R[MAXN], T[MAXN], EPS[MAXN], SEED[MAXN];
static uint32_t I[MAXN], J[MAXN];
static int32_t LOG2C[MAXN], DR[MAXN], ROT[MAXN], DTH[MAXN];
static const uint64_t EPS0 = 0;
static const int32_t ZERO = 0;

/* shared, read-only once the threads start: the seeds' decoders (by
 * format) and the phi table of the grid */
static size_t DSEED[DSEEDS]; /* element indices whose R, T, options and word are the seeds */
static pq_decoder DEC[NFMT][DSEEDS];
static int DEC_ST[NFMT][DSEEDS];
static uint64_t PHI_HI[DELEMS], PHI_LO[DELEMS];
static pq_phi_table PHI;

typedef struct {
    unsigned char m[DWAYS][NFMT][DSEEDS][DELEMS * sizeof(pq_int128)];
    int st[DWAYS][NFMT][DSEEDS];
    uint64_t bad[DWAYS][NFMT][DSEEDS];
} matrices;

typedef struct {
    pq_value v[NFUNC][NFMT][MAXN];
    uint8_t st[NFUNC][NFMT][MAXN];
    unsigned char range[2][NFMT][MAXN * sizeof(pq_int128)]; /* 0 shared options, 1 per element */
    uint8_t range_st[2][NFMT][MAXN];
    size_t range_bad[2][NFMT];
    matrices dec;
} results;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void) { /* xorshift64 */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void add(uint64_t r, uint64_t t, uint32_t i, uint32_t j, uint64_t eps, int32_t lc,
                int32_t dr, int32_t rot, int32_t dth) {
    if (N >= MAXN) return;
    R[N] = r, T[N] = t, I[N] = i, J[N] = j, EPS[N] = eps;
    LOG2C[N] = lc, DR[N] = dr, ROT[N] = rot, DTH[N] = dth;
    SEED[N] = next() & ~(0xFULL << 16); /* basis 0 */
    if (N % 16 == 5) SEED[N] |= 3ULL << 16; /* basis 3: PQ_EDOM */
    N++;
}

/* Elements whose stage-1 rounding test fails for int64 at frac 62 or
 * int128 at frac 64 (F's fraction within err_F of a midpoint at bit
 * s = 123 - frac), with the options all zero. */
static size_t add_deferrals(void) {
    enum { B = 4096 };
    static uint64_t r[B], t[B], hi[B], lo[B];
    static uint32_t i[B], j[B];
    static uint8_t fl[B];
    const pq_params p0 = {0, 0, 0, 0, 0};
    size_t found = 0;
    for (unsigned n = 0; n < SCAN && found < MAXDEFER; n += B) {
        for (int k = 0; k < B; k++) {
            r[k] = next(), t[k] = next();
            uint64_t w = next();
            i[k] = (uint32_t)w, j[k] = (uint32_t)(w >> 32);
        }
        if (pq_debug_stage1(0, B, r, t, i, j, &p0, hi, lo, fl) != PQ_OK) return 0;
        for (int k = 0; k < B && found < MAXDEFER; k++) {
            if (!(fl[k] & 2)) continue;
            int defer = 0;
            for (int s = 59; s <= 61; s += 2) { /* frac 64 and 62: s < 64, the low word */
                uint64_t f = lo[k] & ((1ULL << s) - 1), half = 1ULL << (s - 1);
                uint64_t d = f > half ? f - half : half - f;
                defer |= d <= PQ_FAST_ERR_F;
            }
            if (defer) {
                add(r[k], t[k], i[k], j[k], 0, 0, 0, 0, 0);
                found++;
            }
        }
    }
    return found;
}

static size_t make_inputs(void) {
    /* (i, j) with spatial_hash(i, j) = 0, 2^30, 2^31, 3 2^30: phi exact */
    static const uint32_t PHI_EXACT[][2] = {
        {0x705e1bd7u, 5}, {0x99798086u, 0xdeadbeefu}, {0x0f365e24u, 5}, {0x36fe6256u, 0xdeadbeefu},
        {0xec06ad61u, 5}, {0x22b0122au, 0xdeadbeefu}, {0xb785fa94u, 5}, {0xbfbb9460u, 0xdeadbeefu}};
    for (int k = 0; k < NRANDOM; k++) {
        uint64_t o = next();
        add(next(), next(), (uint32_t)next(), (uint32_t)next(), (o & 1) ? next() : 0,
            (int32_t)((o >> 1) & 7) - 4, (int32_t)((o >> 4) & 1), (int32_t)((o >> 5) & 15),
            (int32_t)((o >> 9) & 3));
    }
    for (int q = 0; q < 4; q++) {
        uint64_t Tq = (uint64_t)q << 62;
        add(next(), Tq, (uint32_t)next(), 7, 0, 0, 0, 0, 0);                   /* s exact */
        add(next(), Tq, (uint32_t)next(), 7, next(), -2, 1, 0, 0);             /* s exact, g' */
        add(next(), Tq - (3ULL << 60), (uint32_t)next(), 7, 0, 1, 0, 3, 0);   /* via rot */
        add(next(), Tq - (1ULL << 62), (uint32_t)next(), 7, 0, 0, 1, 0, 1);   /* via d_theta */
        add(0, Tq, 1, 2, 0, 0, q & 1, 0, 0);                                   /* R = 0 */
        add(~0ULL, Tq + 1, 3, 4, 0, -4, 1, 0, 0);                              /* R max */
    }
    for (int k = 0; k < 8; k++) {
        uint32_t i = PHI_EXACT[k][0], j = PHI_EXACT[k][1];
        if ((pq_spatial_hash(i, j) << 2) != 0) {
            fprintf(stderr, "race_check: (%#x, %#x) does not make phi exact\n", i, j);
            exit(2);
        }
        add(next(), next(), i, j, 0, 0, 0, 0, 0);                       /* phi exact */
        add(next(), (uint64_t)(k & 3) << 62, i, j, next(), 2, k & 1, 0, 0); /* both exact */
    }
    size_t deferred = add_deferrals();
    for (size_t k = N; k < MAXN; k++) add(next(), next(), (uint32_t)next(), (uint32_t)next(), 0, 0, 0, 0, 0);
    return deferred;
}

static size_t elem_size(pq_format fmt) {
    return fmt.kind == PQ_KIND_INT128 ? sizeof(pq_int128)
           : fmt.kind == PQ_KIND_FLOAT32 ? sizeof(float)
                                          : sizeof(int64_t);
}

/* The seeds of the matrices: elements of every kind (random, quarter
 * turns, R = 0 with g' = 2, tiny R) and the decoders and phi table that
 * the threads share. */
static int prepare_decode(void) {
    static const size_t PICK[DSEEDS] = {0, 1, 2, 3, 4, 5, 7, 640, 641, 644, 645, 650};
    for (int k = 0; k < DSEEDS; k++) DSEED[k] = PICK[k];
    if (pq_phi_table_fill(PHI_HI, PHI_LO, DCOLS, 0, DROWS) != PQ_OK) return 0;
    PHI = (pq_phi_table){PHI_HI, PHI_LO, DROWS, DCOLS};
    for (int f = 0; f < NFMT; f++)
        for (int k = 0; k < DSEEDS; k++) {
            size_t e = DSEED[k];
            pq_params p = {EPS[e], LOG2C[e], DR[e], ROT[e], DTH[e]};
            DEC_ST[f][k] = pq_decoder_init(R[e], T[e], &p, FMTS[f], &DEC[f][k]);
        }
    return 1;
}

/* One matrix, rows split into calls of `rows` rows; after a failing call
 * the rest is not decoded and the matrix is cleared (its content is then
 * unspecified), so that only the status and the first failing element are
 * compared. */
static void decode_one(matrices *d, int way, int f, int k, uint32_t rows) {
    size_t e = DSEED[k];
    pq_format fmt = FMTS[f];
    pq_params p = {EPS[e], LOG2C[e], DR[e], ROT[e], DTH[e]};
    unsigned char *out = d->m[way][f][k];
    int st = PQ_OK;
    uint64_t bad = 0;
    for (uint32_t r0 = 0; r0 < DROWS && st == PQ_OK; r0 += rows) {
        uint32_t r1 = r0 + rows < DROWS ? r0 + rows : DROWS;
        if (way == 0)
            st = pq_decode_matrix(R[e], T[e], &p, DCOLS, r0, r1, NULL, fmt, out, DCOLS, &bad);
        else if (way == 1)
            st = DEC_ST[f][k] != PQ_OK ? DEC_ST[f][k]
                                       : pq_decode_rows(&DEC[f][k], DCOLS, r0, r1, &PHI, out,
                                                        DCOLS, &bad);
        else
            st = pq_decode_seed64(SEED[e], EPS[e], DCOLS, r0, r1, (k & 1) ? &PHI : NULL, fmt,
                                  out, DCOLS, &bad);
    }
    if (st != PQ_OK) memset(out, 0, sizeof d->m[way][f][k]);
    d->st[way][f][k] = st;
    d->bad[way][f][k] = st == PQ_OK ? 0 : bad;
}

static void evaluate_all(results *res, size_t chunk) {
    pq_columns same = {R, T, I, J, &EPS0, &ZERO, &ZERO, &ZERO, &ZERO, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    pq_columns each = {R, T, I, J, EPS, LOG2C, DR, ROT, DTH, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (int f = 0; f < NFMT; f++) {
        pq_format fmt = FMTS[f];
        for (size_t k0 = 0; k0 < N; k0 += chunk) {
            size_t k1 = k0 + chunk < N ? k0 + chunk : N;
            res->range_bad[0][f] += pq_rbe_range(&same, k0, k1, fmt, res->range[0][f],
                                                 res->range_st[0][f]);
            res->range_bad[1][f] += pq_rbe_range(&each, k0, k1, fmt, res->range[1][f],
                                                 res->range_st[1][f]);
        }
        for (size_t k = 0; k < N; k++) {
            pq_params p = {EPS[k], LOG2C[k], DR[k], ROT[k], DTH[k]};
            res->st[F_RBE][f][k] = (uint8_t)pq_rbe(R[k], T[k], I[k], J[k], &p, fmt, &res->v[F_RBE][f][k]);
            res->st[F_RADIAL][f][k] = (uint8_t)pq_radial(R[k], &p, fmt, &res->v[F_RADIAL][f][k]);
            res->st[F_ANGULAR][f][k] = (uint8_t)pq_angular(T[k], &p, fmt, &res->v[F_ANGULAR][f][k]);
            res->st[F_MODULATION][f][k] =
                (uint8_t)pq_modulation(I[k], J[k], fmt, &res->v[F_MODULATION][f][k]);
            res->st[F_PIPELINE][f][k] =
                (uint8_t)pq_rbe_pipeline(R[k], T[k], I[k], J[k], &p, fmt, &res->v[F_PIPELINE][f][k]);
            res->st[F_SEED64][f][k] =
                (uint8_t)pq_rbe_seed64(SEED[k], I[k], J[k], EPS[k], fmt, &res->v[F_SEED64][f][k]);
        }
    }
    for (int way = 0; way < DWAYS; way++)
        for (int f = 0; f < NFMT; f++)
            for (int k = 0; k < DSEEDS; k++)
                decode_one(&res->dec, way, f, k, (uint32_t)(1 + chunk % DROWS));
    for (size_t k = 0; k < N; k++) {
        pq_seed64_fields fields;
        uint64_t word = 0;
        res->v[F_HASH_PACK][0][k].i64 = pq_spatial_hash(I[k], J[k]);
        pq_seed64_unpack(SEED[k], &fields);
        res->st[F_HASH_PACK][1][k] = (uint8_t)pq_seed64_pack(&fields, &word);
        res->v[F_HASH_PACK][1][k].i64 = (int64_t)word;
    }
}

typedef struct {
    pthread_barrier_t *start;
    results *res;
    size_t chunk;
} job;

static void *worker(void *arg) {
    job *j = arg;
    pthread_barrier_wait(j->start);
    evaluate_all(j->res, j->chunk);
    return NULL;
}

/* the first difference between a thread's results and the reference */
static int report(const results *a, const results *ref, int t) {
    for (int fn = 0; fn < NFUNC; fn++)
        for (int f = 0; f < NFMT; f++)
            for (size_t k = 0; k < N; k++)
                if (a->st[fn][f][k] != ref->st[fn][f][k] ||
                    memcmp(&a->v[fn][f][k], &ref->v[fn][f][k], sizeof(pq_value)) != 0) {
                    fprintf(stderr, "race_check: thread %d: %s %s element %zu differs\n", t,
                            FUNC_NAMES[fn], FMT_NAMES[f], k);
                    return 1;
                }
    for (int w = 0; w < 2; w++)
        for (int f = 0; f < NFMT; f++)
            if (memcmp(a->range[w][f], ref->range[w][f], sizeof a->range[w][f]) != 0 ||
                memcmp(a->range_st[w][f], ref->range_st[w][f], sizeof a->range_st[w][f]) != 0 ||
                a->range_bad[w][f] != ref->range_bad[w][f]) {
                fprintf(stderr, "race_check: thread %d: rbe_range (%s options) %s differs\n", t,
                        w ? "per-element" : "shared", FMT_NAMES[f]);
                return 1;
            }
    for (int w = 0; w < DWAYS; w++)
        for (int f = 0; f < NFMT; f++)
            for (int k = 0; k < DSEEDS; k++)
                if (a->dec.st[w][f][k] != ref->dec.st[w][f][k] ||
                    a->dec.bad[w][f][k] != ref->dec.bad[w][f][k] ||
                    memcmp(a->dec.m[w][f][k], ref->dec.m[w][f][k], sizeof a->dec.m[w][f][k])) {
                    fprintf(stderr, "race_check: thread %d: decode (way %d) %s matrix %d differs\n",
                            t, w, FMT_NAMES[f], k);
                    return 1;
                }
    return 0;
}

/* On one thread: every decoded element is pq_rbe's (ways 0 and 1) or
 * pq_rbe_seed64's (way 2), and a failing matrix fails where they do. */
static int check_decode_elements(const results *ref, size_t *checked, size_t *failing) {
    for (int f = 0; f < NFMT; f++) {
        size_t size = elem_size(FMTS[f]);
        for (int w = 0; w < DWAYS; w++)
            for (int k = 0; k < DSEEDS; k++) {
                size_t e = DSEED[k];
                pq_params p = {EPS[e], LOG2C[e], DR[e], ROT[e], DTH[e]};
                int first_st = PQ_OK;
                uint64_t first = 0;
                for (uint32_t i = 0; i < DROWS; i++)
                    for (uint32_t j = 0; j < DCOLS; j++) {
                        pq_value v;
                        int st = w < 2 ? pq_rbe(R[e], T[e], i, j, &p, FMTS[f], &v)
                                       : pq_rbe_seed64(SEED[e], i, j, EPS[e], FMTS[f], &v);
                        if (st != PQ_OK) {
                            if (first_st == PQ_OK) first_st = st, first = (uint64_t)i * DCOLS + j;
                            continue;
                        }
                        if (ref->dec.st[w][f][k] == PQ_OK &&
                            memcmp(ref->dec.m[w][f][k] + ((size_t)i * DCOLS + j) * size, &v,
                                   size) != 0) {
                            fprintf(stderr, "race_check: decode (way %d) %s matrix %d element "
                                    "(%u, %u) differs from the element function\n",
                                    w, FMT_NAMES[f], k, i, j);
                            return 1;
                        }
                        (*checked)++;
                    }
                if (ref->dec.st[w][f][k] != first_st ||
                    (first_st != PQ_OK && ref->dec.bad[w][f][k] != first)) {
                    fprintf(stderr, "race_check: decode (way %d) %s matrix %d: status %d at "
                            "%llu, the element function %d at %llu\n", w, FMT_NAMES[f], k,
                            ref->dec.st[w][f][k], (unsigned long long)ref->dec.bad[w][f][k],
                            first_st, (unsigned long long)first);
                    return 1;
                }
                *failing += first_st != PQ_OK;
            }
    }
    return 0;
}

int main(void) {
    size_t deferred = make_inputs();
    if (deferred == 0) {
        fprintf(stderr, "race_check: no stage-1 deferral found in %u candidates\n", SCAN);
        return 2;
    }
    if (!prepare_decode()) {
        fprintf(stderr, "race_check: pq_phi_table_fill failed\n");
        return 2;
    }
    results *res = calloc(NTHREADS + 1, sizeof(results)); /* zeroed: unwritten bytes compare equal */
    if (!res) return 2;
    pthread_t th[NTHREADS];
    job jobs[NTHREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (int t = 0; t < NTHREADS; t++) {
        jobs[t] = (job){&start, &res[t], 37 * (size_t)(t + 1)}; /* ranges split differently */
        if (pthread_create(&th[t], NULL, worker, &jobs[t]) != 0) return 2;
    }
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);

    results *ref = &res[NTHREADS];
    evaluate_all(ref, N); /* alone, the whole range in one call */
    int bad = 0;
    for (int t = 0; t < NTHREADS && !bad; t++) bad = report(&res[t], ref, t);
    /* the block path and the per-element calls agree too */
    for (int f = 0; f < NFMT && !bad; f++) {
        size_t size = FMTS[f].kind == PQ_KIND_INT128   ? sizeof(pq_int128)
                      : FMTS[f].kind == PQ_KIND_FLOAT32 ? sizeof(float)
                                                        : sizeof(int64_t);
        for (size_t k = 0; k < N && !bad; k++) {
            if (ref->range_st[1][f][k] != ref->st[F_RBE][f][k] ||
                (ref->st[F_RBE][f][k] == PQ_OK &&
                 memcmp(ref->range[1][f] + k * size, &ref->v[F_RBE][f][k], size) != 0)) {
                fprintf(stderr, "race_check: rbe_range and rbe differ at %s element %zu\n",
                        FMT_NAMES[f], k);
                bad = 1;
            }
        }
    }
    size_t dec_checked = 0, dec_failing = 0;
    if (!bad) bad = check_decode_elements(ref, &dec_checked, &dec_failing);
    if (!bad && dec_failing == 0) {
        fprintf(stderr, "race_check: no decoded matrix fails (overflow, basis): that path is "
                        "not exercised\n");
        bad = 1;
    }
    if (bad) return 1;
    printf("race_check: OK: %d threads, %zu elements (%zu stage-1 deferrals), %d formats, "
           "%d matrices of %d x %d decoded %d ways (%zu elements equal to rbe's, %zu failing), "
           "SIMD level %d\n",
           NTHREADS, N, deferred, NFMT, DSEEDS * NFMT, DROWS, DCOLS, DWAYS, dec_checked,
           dec_failing, pq_block_level());
    free(res);
    return 0;
}
