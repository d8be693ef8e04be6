"""The C entry points under the UndefinedBehaviorSanitizer: an integer
format's ``frac`` outside 0..64 and negative column strides.

A small C program, compiled here by gcc (and by clang where it is
installed) with ``-fsanitize=undefined -fno-sanitize-recover=all`` against
the sources of :func:`poincare_q64.get_include`, calls the public
functions; the first undefined operation (a signed overflow, a shift by a
negative or too large count, pointer arithmetic that wraps) ends it with
"runtime error" on stderr.  A status code that happens to be right is not enough: the kernels
must check their arguments before computing anything from them.

- ``frac``: every entry point taking a format is called with an integer
  kind and ``frac`` far outside 0..64 (and with unknown kinds), at every
  SIMD level of the range; each must give PQ_EDOM and write nothing.
  The float kinds ignore ``frac``, whatever it is.
- strides: ``pq_rbe_range`` on columns read backwards (a numpy reversed
  view: the base is the last element, the stride negative), on the block
  path (options shared by the range) and element by element (options per
  element), at every SIMD level, must give for element k what ``pq_rbe``
  gives for ``base[k * stride]``; a few of those results are also checked
  against the reference.  An unsigned index that wraps (``k * stride``
  with an unsigned k) is seen by clang's pointer-overflow check only:
  gcc's build computes the same address and reports nothing.
- a range's own elements: ``pq_rbe_range`` on [k0, k1) reads no element
  outside it (gcc's build adds AddressSanitizer and poisons the rest).
"""
import os
import shutil
import subprocess

import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import reference as ref

PROGRAM = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poincare_q64.h"
#include "pq_testing.h" /* pq_block_set_level, pq_block_cpu_level */

#define N 300 /* two full blocks of PQ_BLOCK (128) and a tail */

static int fails;
#define CHECK(cond, ...) do { if (!(cond)) { fails++; printf("FAIL: " __VA_ARGS__); \
    printf("\n"); } } while (0)

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void) { /* splitmix64 */
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ---- frac outside 0..64 ---------------------------------------------- */
static int bad_frac(void) {
    static const int32_t fracs[] = {-1, -2, -64, -65, -1000, 65, 66, 122, 123, 124, 127, 128,
                                    129, 200, 1000, INT32_MIN, INT32_MIN + 1, INT32_MAX,
                                    INT32_MAX - 1};
    static const int32_t kinds[] = {PQ_KIND_INT64, PQ_KIND_INT128};
    static const int32_t bad_kinds[] = {-1, 4, 7, INT32_MIN, INT32_MAX};
    uint64_t R[N], T[N];
    uint32_t I[N], J[N];
    int32_t zero = 0;
    uint64_t eps0 = 0;
    for (int k = 0; k < N; k++) {
        R[k] = next();
        T[k] = next();
        I[k] = (uint32_t)next();
        J[k] = (uint32_t)next();
    }
    pq_columns a = {R, T, I, J, &eps0, &zero, &zero, &zero, &zero, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    pq_params p = {0, 0, 0, 0, 0};
    int nf = (int)(sizeof fracs / sizeof *fracs), nk = (int)(sizeof kinds / sizeof *kinds);
    int nformats = 0;
    pq_format fmts[64];
    for (int ki = 0; ki < nk; ki++)
        for (int fi = 0; fi < nf; fi++) fmts[nformats++] = (pq_format){kinds[ki], fracs[fi]};
    for (int b = 0; b < (int)(sizeof bad_kinds / sizeof *bad_kinds); b++)
        fmts[nformats++] = (pq_format){bad_kinds[b], 0};
    int top = pq_block_cpu_level();
    for (int f = 0; f < nformats; f++) {
        pq_format fmt = fmts[f];
        for (int level = 0; level <= top; level++) {
            pq_block_set_level(level);
            static pq_int128 out[N]; /* the largest C type of a result */
            uint8_t status[N];
            memset(out, 0xA5, sizeof out);
            memset(status, 0xEE, sizeof status);
            size_t bad = pq_rbe_range(&a, 0, N, fmt, out, status);
            CHECK(bad == N, "rbe_range kind %d frac %d level %d: %zu bad", fmt.kind, fmt.frac,
                  level, bad);
            int all = 1;
            for (int k = 0; k < N; k++) all &= status[k] == PQ_EDOM;
            CHECK(all, "rbe_range kind %d frac %d level %d: a status is not PQ_EDOM", fmt.kind,
                  fmt.frac, level);
            const unsigned char *o = (const unsigned char *)out;
            int untouched = 1;
            for (size_t k = 0; k < sizeof out; k++) untouched &= o[k] == 0xA5;
            CHECK(untouched, "rbe_range kind %d frac %d level %d: out written", fmt.kind,
                  fmt.frac, level);
            /* options per element: the element-by-element loop */
            a.s_log2_c = 0;
            a.s_rot = 1;
            int32_t rot[N];
            for (int k = 0; k < N; k++) rot[k] = k % 16;
            a.rot = rot;
            bad = pq_rbe_range(&a, 0, N, fmt, out, status);
            CHECK(bad == N, "rbe_range (options per element) kind %d frac %d: %zu bad",
                  fmt.kind, fmt.frac, bad);
            a.rot = &zero;
            a.s_rot = 0;
        }
        pq_block_set_level(-1);
        pq_value v, before;
        memset(&v, 0xA5, sizeof v);
        before = v;
        pq_decoder dec;
        memset(&dec, 0x5A, sizeof dec);
        pq_decoder dec0 = dec;
        pq_int128 m[4 * 8];
        memset(m, 0xA5, sizeof m);
        uint64_t first_bad = 77;
        int st[10];
        st[0] = pq_rbe(R[0], T[0], I[0], J[0], &p, fmt, &v);
        st[1] = pq_radial(R[0], &p, fmt, &v);
        st[2] = pq_angular(T[0], &p, fmt, &v);
        st[3] = pq_modulation(I[0], J[0], fmt, &v);
        st[4] = pq_rbe_pipeline(R[0], T[0], I[0], J[0], &p, fmt, &v);
        st[5] = pq_rbe_seed64(R[1] & ~(0xFULL << 16), I[0], J[0], 0, fmt, &v); /* basis 0 */
        st[6] = pq_decoder_init(R[0], T[0], &p, fmt, &dec);
        st[7] = pq_decoder_init_seed64(R[1] & ~(0xFULL << 16), 0, fmt, &dec);
        st[8] = pq_decode_matrix(R[0], T[0], &p, 8, 0, 4, NULL, fmt, m, 8, &first_bad);
        st[9] = pq_decode_seed64(R[1] & ~(0xFULL << 16), 0, 8, 0, 4, NULL, fmt, m, 8,
                                 &first_bad);
        for (int e = 0; e < 10; e++)
            CHECK(st[e] == PQ_EDOM, "entry point %d, kind %d frac %d: status %d", e, fmt.kind,
                  fmt.frac, st[e]);
        CHECK(memcmp(&v, &before, sizeof v) == 0, "kind %d frac %d: *out written", fmt.kind,
              fmt.frac);
        CHECK(memcmp(&dec, &dec0, sizeof dec) == 0, "kind %d frac %d: decoder written",
              fmt.kind, fmt.frac);
        CHECK(first_bad == 77, "kind %d frac %d: first_bad written", fmt.kind, fmt.frac);
        const unsigned char *o = (const unsigned char *)m;
        int untouched = 1;
        for (size_t k = 0; k < sizeof m; k++) untouched &= o[k] == 0xA5;
        CHECK(untouched, "kind %d frac %d: matrix written", fmt.kind, fmt.frac);
    }
    /* the float kinds ignore frac, whatever it is */
    for (int kind = PQ_KIND_FLOAT64; kind <= PQ_KIND_FLOAT32; kind++)
        for (int fi = 0; fi < nf; fi++) {
            pq_format fmt = {kind, fracs[fi]}, fmt0 = {kind, 0};
            for (int level = 0; level <= top; level++) {
                pq_block_set_level(level);
                double out[N], out0[N];
                uint8_t status[N], status0[N];
                size_t bad = pq_rbe_range(&a, 0, N, fmt, out, status);
                size_t bad0 = pq_rbe_range(&a, 0, N, fmt0, out0, status0);
                CHECK(bad == bad0 && !memcmp(status, status0, N), "float kind %d frac %d", kind,
                      fmt.frac);
                size_t size = kind == PQ_KIND_FLOAT64 ? sizeof(double) : sizeof(float);
                CHECK(!memcmp(out, out0, N * size), "float kind %d frac %d: results", kind,
                      fmt.frac);
            }
            pq_block_set_level(-1);
            pq_value v, v0;
            memset(&v, 0, sizeof v);
            memset(&v0, 0, sizeof v0);
            int s = pq_rbe(R[0], T[0], I[0], J[0], &p, fmt, &v);
            int s0 = pq_rbe(R[0], T[0], I[0], J[0], &p, fmt0, &v0);
            CHECK(s == s0 && !memcmp(&v, &v0, sizeof v), "pq_rbe float kind %d frac %d", kind,
                  fmt.frac);
        }
    return fails;
}

/* ---- negative strides ------------------------------------------------ */
/* element k of a column with base b and stride s, as the header defines it */
#define AT(b, s, k) ((b)[(ptrdiff_t)(k) * (s)])

static int strides(void) {
    enum { M = 2 * N }; /* room for stride -2 */
    static uint64_t R[M], T[M], E[M];
    static uint32_t I[M], J[M];
    static int32_t LC[M], DR[M], ROT[M], DT[M];
    for (int k = 0; k < M; k++) {
        R[k] = next();
        T[k] = next();
        I[k] = (uint32_t)next() % 4096;
        J[k] = (uint32_t)next() % 4096;
        E[k] = k % 3 ? 0 : next() >> 4;
        LC[k] = (int32_t)(next() % 8) - 4;
        DR[k] = (int32_t)(next() % 2);
        ROT[k] = (int32_t)(next() % 16);
        DT[k] = (int32_t)(next() % 4);
    }
    /* options out of range for a few elements of `each` only (the block
     * path reads them per lane): those are PQ_EDOM, with out unwritten */
    LC[N - 1 - 50] = 4;
    DR[M - 1 - 2 * 130] = 2;
    ROT[N - 1 - 131] = -1;
    DT[N - 1 - 298] = 4;
    /* R and i backwards (stride -1), T every other element backwards
     * (stride -2), j forwards: bases at the element k = 0 reads */
    pq_columns shared = {R + N - 1, T + M - 2, I + N - 1, J, E + 5, LC + 6, DR + 7, ROT + 8,
                         DT + 9, -1, -2, -1, 1, 0, 0, 0, 0, 0};
    pq_columns each = {R + N - 1, T + M - 2, I + N - 1, J, E + N - 1, LC + N - 1, DR + M - 1,
                       ROT + N - 1, DT + N - 1, -1, -2, -1, 1, -1, -1, -2, -1, -1};
    const pq_columns *cases[2] = {&shared, &each};
    pq_format fmts[3] = {{PQ_KIND_INT64, 62}, {PQ_KIND_INT128, 64}, {PQ_KIND_FLOAT64, 0}};
    int top = pq_block_cpu_level();
    for (int c = 0; c < 2; c++) {
        const pq_columns *a = cases[c];
        for (int f = 0; f < 3; f++) {
            pq_format fmt = fmts[f];
            size_t size = fmt.kind == PQ_KIND_INT128 ? 16 : 8;
            /* expected: pq_rbe on base[k * stride] */
            static unsigned char want[N * 16];
            uint8_t want_st[N];
            for (int k = 0; k < N; k++) {
                pq_params p = {AT(a->eps, a->s_eps, k), AT(a->log2_c, a->s_log2_c, k),
                               AT(a->d_r, a->s_d_r, k), AT(a->rot, a->s_rot, k),
                               AT(a->d_theta, a->s_d_theta, k)};
                pq_value v;
                want_st[k] = (uint8_t)pq_rbe(AT(a->R, a->s_R, k), AT(a->T, a->s_T, k),
                                             AT(a->i, a->s_i, k), AT(a->j, a->s_j, k), &p, fmt,
                                             &v);
                memset(want + k * size, 0, size);
                if (want_st[k] == PQ_OK) memcpy(want + k * size, &v, size);
            }
            for (int level = 0; level <= top; level++) {
                pq_block_set_level(level);
                /* the whole range, and a range split as threads split it */
                static const size_t cuts[][2] = {{0, N}, {0, 37}, {37, 200}, {200, N}};
                static unsigned char got[N * 16];
                uint8_t st[N];
                memset(got, 0xA5, sizeof got);
                for (int r = 0; r < 4; r++) {
                    size_t k0 = cuts[r][0], k1 = cuts[r][1], bad = 0;
                    for (size_t k = k0; k < k1; k++) bad += want_st[k] != PQ_OK;
                    size_t got_bad = pq_rbe_range(a, k0, k1, fmt, got, st);
                    CHECK(got_bad == bad, "strides case %d kind %d level %d [%zu, %zu): %zu bad,"
                          " expected %zu", c, fmt.kind, level, k0, k1, got_bad, bad);
                }
                CHECK(!memcmp(st, want_st, N), "strides case %d kind %d level %d: statuses", c,
                      fmt.kind, level);
                for (int k = 0; k < N; k++)
                    if (want_st[k] != PQ_OK) {
                        int untouched = 1;
                        for (size_t b = 0; b < size; b++) untouched &= got[k * size + b] == 0xA5;
                        CHECK(untouched, "strides case %d kind %d level %d: out[%d] written "
                              "with status %d", c, fmt.kind, level, k, want_st[k]);
                        memset(got + k * size, 0, size);
                    }
                CHECK(!memcmp(got, want, N * size), "strides case %d kind %d level %d: results",
                      c, fmt.kind, level);
            }
            pq_block_set_level(-1);
            if (fmt.kind == PQ_KIND_INT64) /* a few for the reference */
                for (int k = 0; k < N; k += 23) {
                    int64_t x;
                    memcpy(&x, want + k * size, 8);
                    printf("ref %d %llu %llu %u %u %llu %d %d %d %d %u %lld\n", c,
                           (unsigned long long)AT(a->R, a->s_R, k),
                           (unsigned long long)AT(a->T, a->s_T, k), AT(a->i, a->s_i, k),
                           AT(a->j, a->s_j, k), (unsigned long long)AT(a->eps, a->s_eps, k),
                           AT(a->log2_c, a->s_log2_c, k), AT(a->d_r, a->s_d_r, k),
                           AT(a->rot, a->s_rot, k), AT(a->d_theta, a->s_d_theta, k),
                           want_st[k], (long long)x);
                }
        }
    }
    return fails;
}

/* ---- a range reads only its own elements ---------------------------- */
/* AddressSanitizer's poisoning, where the build has it: a read of a
 * poisoned element is reported and ends the program */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static int window(void) {
    /* columns of 2W elements with per-element options; elements [0, W) are
     * poisoned while pq_rbe_range evaluates [W, 2W), as a caller's columns
     * may be valid for its range only */
    enum { W = 160 };
    static uint64_t R[2 * W], T[2 * W], E[2 * W];
    static uint32_t I[2 * W], J[2 * W];
    static int32_t LC[2 * W], DR[2 * W], ROT[2 * W], DT[2 * W];
    for (int k = 0; k < 2 * W; k++) {
        R[k] = next();
        T[k] = next();
        I[k] = (uint32_t)next();
        J[k] = (uint32_t)next();
        E[k] = k % 3 ? 0 : next() >> 4;
        LC[k] = (int32_t)(next() % 8) - 4;
        DR[k] = (int32_t)(next() % 2);
        ROT[k] = (int32_t)(next() % 16);
        DT[k] = (int32_t)(next() % 4);
    }
    pq_format fmt = {PQ_KIND_INT64, 62};
    int64_t want[2 * W], got[2 * W];
    uint8_t want_st[2 * W], st[2 * W];
    for (int k = W; k < 2 * W; k++) {
        pq_params p = {E[k], LC[k], DR[k], ROT[k], DT[k]};
        pq_value v;
        want_st[k] = (uint8_t)pq_rbe(R[k], T[k], I[k], J[k], &p, fmt, &v);
        want[k] = want_st[k] == PQ_OK ? v.i64 : 0;
    }
    pq_columns a = {R, T, I, J, E, LC, DR, ROT, DT, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    void *cols[] = {R, T, E, I, J, LC, DR, ROT, DT};
    size_t sizes[] = {8, 8, 8, 4, 4, 4, 4, 4, 4};
    int top = pq_block_cpu_level();
    for (int level = 0; level <= top; level++) {
        pq_block_set_level(level);
        for (int c = 0; c < 9; c++) POISON(cols[c], W * sizes[c]);
        size_t bad = pq_rbe_range(&a, W, 2 * W, fmt, got, st);
        for (int c = 0; c < 9; c++) UNPOISON(cols[c], W * sizes[c]);
        size_t want_bad = 0;
        for (int k = W; k < 2 * W; k++) {
            want_bad += want_st[k] != PQ_OK;
            if (st[k] != PQ_OK) got[k] = 0;
        }
        CHECK(bad == want_bad && !memcmp(st + W, want_st + W, W) &&
              !memcmp(got + W, want + W, W * sizeof *got), "window level %d", level);
    }
    pq_block_set_level(-1);
    return fails;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    int bad = !strcmp(argv[1], "frac")      ? bad_frac()
              : !strcmp(argv[1], "strides") ? strides()
              : !strcmp(argv[1], "window")  ? window()
                                            : -1;
    if (bad < 0) return 2;
    printf(bad ? "hardening: %d FAILED\n" : "hardening: OK\n", bad);
    return bad != 0;
}
"""


def _clang():
    for name in ["clang"] + [f"clang-{v}" for v in range(25, 13, -1)]:
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module", params=["gcc", "clang"])
def program(request, tmp_path_factory):
    """The C program above, built with UBSan (aborting on the first report)
    against the sources of get_include(), by gcc and by clang.  gcc is
    required (fails, never skips, without it).  clang's pointer-overflow
    check sees an unsigned index that wraps (a negative stride times an
    unsigned k), which gcc's does not, so only a clang build shows that
    class of defect: .ci/run installs clang from the system packages and
    sets POINCARE_Q64_CI, under which a missing clang fails; elsewhere (a
    newcomer's machine without it) that build is skipped, saying so."""
    if request.param == "gcc":
        cc = shutil.which("gcc")
        assert cc, "gcc is needed to build the UndefinedBehaviorSanitizer checks"
    else:
        cc = _clang()
        if cc is None:
            why = ("clang is not installed, and gcc's UBSan cannot see a wrapping unsigned "
                   "index: apt-get install -y clang (.ci/run does)")
            if os.environ.get("POINCARE_Q64_CI"):
                pytest.fail(why)
            pytest.skip(why)
    include = pq.get_include()
    sources = sorted(os.path.join(include, f) for f in os.listdir(include) if f.endswith(".c"))
    d = tmp_path_factory.mktemp("c_hardening_" + request.param)
    (d / "hardening.c").write_text(PROGRAM)
    exe = d / "hardening"
    # gcc's build adds AddressSanitizer, for the reads outside a range
    sanitize = "-fsanitize=address,undefined" if request.param == "gcc" else "-fsanitize=undefined"
    build = subprocess.run(
        [cc, sanitize, "-fno-sanitize-recover=all", "-O1", "-g", "-std=c11",
         "-fno-strict-aliasing", "-I", include, str(d / "hardening.c"), *sources, "-o", str(exe)],
        capture_output=True, text=True, timeout=300)
    if build.returncode != 0 and "ubsan" in build.stderr:
        pytest.fail("the UndefinedBehaviorSanitizer runtime (libubsan) is missing; install "
                    "it (Debian/Ubuntu: the libubsan package of this gcc):\n" + build.stderr)
    assert build.returncode == 0, build.stderr
    return exe


def _run(exe, what):
    env = dict(os.environ, UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
               ASAN_OPTIONS="detect_leaks=0")
    run = subprocess.run([str(exe), what], capture_output=True, text=True, timeout=120, env=env)
    assert "runtime error" not in run.stderr, run.stderr
    assert "AddressSanitizer" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stdout + run.stderr
    assert "hardening: OK" in run.stdout, run.stdout
    return run.stdout


def test_frac_outside_0_64_is_refused_before_any_computation(program):
    """Integer kinds with frac outside 0..64, and unknown kinds: PQ_EDOM from
    pq_rbe_range (block path at every SIMD level, and options per element),
    pq_rbe, pq_radial, pq_angular, pq_modulation, pq_rbe_pipeline,
    pq_rbe_seed64, both decoder inits and both matrix decodes, nothing
    written, and no undefined behaviour on the way."""
    _run(program, "frac")


def test_negative_strides_read_base_k_times_stride(program):
    """pq_rbe_range on reversed columns (strides -1 and -2, options shared
    and per element, whole and split ranges, every SIMD level) gives
    pq_rbe's result for base[k * stride] without undefined behaviour; some
    of them agree with the reference."""
    out = _run(program, "strides")
    rows = [line.split()[1:] for line in out.splitlines() if line.startswith("ref ")]
    assert len(rows) == 2 * 14
    for case, R, T, i, j, eps, log2_c, d_r, rot, d_theta, status, x in rows:
        assert int(status) == 0, (case, R, T)
        want = ref.rbe(int(R), int(T), int(i), int(j), eps=int(eps), log2_c=int(log2_c),
                       d_r=int(d_r), rot=int(rot), d_theta=int(d_theta), frac=62,
                       dtype=np.int64)
        assert int(want) == int(x), (case, R, T, i, j)


def test_a_range_reads_only_its_own_elements(program):
    """pq_rbe_range on [W, 2W) of columns whose elements [0, W) are poisoned
    (AddressSanitizer, gcc's build), options per element, at every SIMD
    level: no read outside the range, and pq_rbe's results."""
    _run(program, "window")
