"""Bounded stack use: every kernel call fits a 64 KB thread stack, at every
optimisation level.

Worker threads (OpenMP, pthreads, thread pools) often run on stacks of 64 to
256 KB, so the kernels promise (docs/spec.md, "Stack use") that one call
needs less than CHAIN_LIMIT bytes of stack, whatever the optimisation level
they are built at.  A debug build is where this breaks: without
optimisation, compilers give every inlined copy of the SIMD lane code its
own stack slots, and a lane function expanded several times had a frame of
hundreds of KB.

The bound is checked per frame and per call chain.  The deepest chains run
from an entry point through the block or decoder lanes (pq_rbe_range ->
pq_block_stage1 -> the AVX-512 lanes -> stage 1's radial kernel -> the
256-bit product) or through Ziv's ladder into the multi-precision path;
they are about a dozen frames, a few of them large (the block's 9 KB of
columns, its 11 KB of per-group reciprocals).  A per-frame limit of
FRAME_LIMIT = 16 KB keeps any one of them from growing unnoticed, and the
sum along every chain, measured from gcc's call graph, must stay below
CHAIN_LIMIT = 48 KB (gcc 12: 33 KB at -O0, 22 KB at -O3), which leaves room
in a 64 KB stack for the caller's own frames and the thread's descriptor.

- ``test_frames``: every kernel source (poincare_q64.get_include()) is
  compiled by gcc with the flags setup.py uses, at each level of LEVELS
  (-O0 and -O3; POINCARE_Q64_STACK_LEVELS="-O0 -O1 -O2 -O3 -Os -Og" checks
  more), with -fstack-usage: no frame above FRAME_LIMIT, and no frame of
  unbounded size (a variable-length array or alloca: "dynamic" without
  "bounded").
- ``test_call_chains``: the same compilation's call graph
  (-fcallgraph-info=su): the deepest sum of frames along any call chain is
  below CHAIN_LIMIT.  The one indirect call, pq_ziv's call of its
  approximation function, stands for every function the sources pass to
  pq_ziv; library functions (memcpy, memset, libgcc's 128-bit division, the
  CPU probe) count LIBRARY_FRAME each; recursion would have no bound and
  fails.
- ``test_small_stack_thread``: a C program built at -O0 (by gcc from the
  same objects, and by clang) runs rbe's array path (the block path at
  every SIMD level of the CPU, also with stage 1's bounds widened so that
  blocks hand elements to the scalar paths), pq_rbe on the multi-precision
  path (slow-path level 2) and the matrix decoder (with and without a phi table, from a seed and
  from a seed64 word, at every SIMD level, IFMA lanes off and on) on a
  thread whose stack is THREAD_STACK bytes above a 1 MB inaccessible guard
  (a frame too large for the stack faults there), and compares every byte
  with the same calls on the main thread; some of the thread's results are
  checked against poincare_q64.reference.

gcc (and clang for its build) is needed; without it (or without
-fcallgraph-info, gcc >= 10) the tests fail when POINCARE_Q64_CI is set and
are skipped, saying why, otherwise.
"""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import reference as ref
from conftest import bits

FRAME_LIMIT = 16 * 1024
CHAIN_LIMIT = 48 * 1024
THREAD_STACK = 64 * 1024
LIBRARY_FRAME = 1024
LIBRARY = {"memcpy", "memmove", "memset", "__udivti3", "__umodti3", "__udivmodti4", "__divti3",
           "__modti3", "__cpu_indicator_init"}
LEVELS = os.environ.get("POINCARE_Q64_STACK_LEVELS", "-O0 -O3").split()
# the flags setup.py compiles the kernels with, less the optimisation level
CFLAGS = ["-std=c11", "-fno-strict-aliasing", "-ffp-contract=off", "-fno-fast-math", "-fopenmp"]

PROGRAM = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "poincare_q64.h"
#include "pq_testing.h" /* pq_debug_set_simd, pq_debug_force_slow_path, pq_debug_decode_ifma */

#define N 300    /* two blocks of PQ_BLOCK (128) and a tail */
#define NSLOW 6  /* elements on the multi-precision path, per format and options */
#define ROWS 3
#define COLS 70  /* a whole chunk of the decoder's lanes (64) and a tail */
#define GUARD (1 << 20) /* below the stack: a large frame lands in it, never in other memory */

static const pq_format FMTS[] = {{PQ_KIND_INT64, 62}, {PQ_KIND_INT64, 20}, {PQ_KIND_INT128, 64},
                                 {PQ_KIND_FLOAT64, 0}, {PQ_KIND_FLOAT32, 0}};
#define NF (int)(sizeof FMTS / sizeof *FMTS)
/* every combination of eps != 0 and d_r (the block's four loops) */
static const pq_params PARAMS[] = {{0, 0, 0, 0, 0},
                                   {0x3000000000000000ULL, -2, 0, 3, 1},
                                   {0, 1, 1, 0, 2},
                                   {0x0123456789ABCDEFULL, 3, 1, 7, 3}};
#define NP (int)(sizeof PARAMS / sizeof *PARAMS)

static uint64_t Rs[N], Ts[N];
static uint32_t Is[N], Js[N];
static int max_level, has_ifma, spots;

/* every result and status of a run, in call order */
static unsigned char *buf;
static size_t pos, cap;
static void put(const void *p, size_t n) {
    if (pos + n <= cap) memcpy(buf + pos, p, n);
    pos += n;
}

/* a result for the caller to check against the reference */
static void spot(const char *what, uint64_t R, uint64_t T, uint32_t i, uint32_t j,
                 const pq_params *p, pq_format f, int st, const void *v) {
    if (!spots) return;
    uint64_t b[2] = {0, 0};
    if (f.kind == PQ_KIND_FLOAT32) {
        uint32_t w;
        memcpy(&w, v, 4);
        b[0] = w;
    } else {
        memcpy(b, v, f.kind == PQ_KIND_INT128 ? 16 : 8);
    }
    printf("spot %s %llu %llu %u %u %llu %d %d %d %d %d %d %d %016llx%016llx\n", what,
           (unsigned long long)R, (unsigned long long)T, i, j, (unsigned long long)p->eps,
           p->log2_c, p->d_r, p->rot, p->d_theta, f.kind, f.frac, st, (unsigned long long)b[1],
           (unsigned long long)b[0]);
}

static size_t fmt_size(pq_format f) {
    return f.kind == PQ_KIND_INT128 ? 16 : f.kind == PQ_KIND_FLOAT32 ? 4 : 8;
}

/* pq_rbe_range on the block path (options shared) at every SIMD level,
 * normally and with stage 1's bounds widened (its hand-over to the
 * scalar paths inside a block) */
static void ranges(void) {
    static pq_int128 out[N];
    static uint8_t status[N];
    for (int level = 0; level <= max_level; level++) {
        pq_debug_set_simd(level);
        for (int slow = 0; slow <= 3; slow += 3) {
            pq_debug_force_slow_path(slow);
            for (int pi = 0; pi < NP; pi++) {
                const pq_params *p = &PARAMS[pi];
                pq_columns a = {Rs, Ts, Is, Js, &p->eps, &p->log2_c, &p->d_r, &p->rot,
                                &p->d_theta, 1, 1, 1, 1, 0, 0, 0, 0, 0};
                for (int fi = 0; fi < NF; fi++) {
                    memset(out, 0, sizeof out);
                    pq_rbe_range(&a, 0, N, FMTS[fi], out, status);
                    put(out, sizeof out);
                    put(status, sizeof status);
                    if (level == max_level && slow == 0)
                        for (int k = 0; k < N; k += 149)
                            spot("range", Rs[k], Ts[k], Is[k], Js[k], p, FMTS[fi], status[k],
                                 (char *)out + k * fmt_size(FMTS[fi]));
                }
            }
        }
    }
    pq_debug_force_slow_path(0);
    pq_debug_set_simd(-1);
}

/* pq_rbe on the multi-precision path (slow-path level 2) */
static void slow(void) {
    pq_debug_force_slow_path(2);
    for (int k = 0; k < NSLOW; k++)
        for (int pi = 0; pi < NP; pi++)
            for (int fi = 0; fi < NF; fi++) {
                pq_value v;
                memset(&v, 0, sizeof v);
                int st = pq_rbe(Rs[k], Ts[k], Is[k], Js[k], &PARAMS[pi], FMTS[fi], &v);
                put(&st, sizeof st);
                put(&v, sizeof v);
                if (k == 0) spot("slow", Rs[k], Ts[k], Is[k], Js[k], &PARAMS[pi], FMTS[fi], st, &v);
            }
    pq_debug_force_slow_path(0);
}

/* the matrix decoder: with and without a phi table, from (R, T, options)
 * and from a seed64 word, at every SIMD level, with the IFMA lanes off and on */
static void decodes(void) {
    static pq_int128 out[ROWS * COLS];
    static uint64_t hi[ROWS * COLS], lo[ROWS * COLS];
    static const uint64_t SR[] = {0xC000000000000000ULL, 0x1234567890ABCDEFULL};
    static const uint64_t ST[] = {0x199999999999999AULL, 0x9999999999999999ULL};
    pq_phi_table tab = {hi, lo, ROWS, COLS};
    pq_seed64_fields sf = {0xABCDE, 0x123456, 0, 1, 1, 5, -3, 0};
    uint64_t word;
    pq_seed64_pack(&sf, &word);
    for (int level = 0; level <= max_level; level++) {
        pq_debug_set_simd(level);
        for (int ifma = 0; ifma <= (level == 2 && has_ifma); ifma++) {
            if (has_ifma) pq_debug_decode_ifma(ifma);
            int st = pq_phi_table_fill(hi, lo, COLS, 0, ROWS);
            put(&st, sizeof st);
            put(hi, sizeof hi);
            put(lo, sizeof lo);
            for (int s = 0; s < 2; s++)
                for (int pi = 0; pi < NP; pi++)
                    for (int fi = 0; fi < NF; fi++)
                        for (int t = 0; t < 2; t++) {
                            uint64_t bad = 0;
                            memset(out, 0, sizeof out);
                            st = pq_decode_matrix(SR[s], ST[s], &PARAMS[pi], COLS, 0, ROWS,
                                                  t ? &tab : NULL, FMTS[fi], out, COLS, &bad);
                            put(&st, sizeof st);
                            put(&bad, sizeof bad);
                            put(out, sizeof out);
                            if (level == max_level && ifma == has_ifma && t == 0 && st == PQ_OK)
                                spot("decode", SR[s], ST[s], ROWS - 1, COLS - 1, &PARAMS[pi],
                                     FMTS[fi], st,
                                     (char *)out + (ROWS * COLS - 1) * fmt_size(FMTS[fi]));
                        }
            for (int fi = 0; fi < NF; fi++) {
                uint64_t bad = 0;
                memset(out, 0, sizeof out);
                st = pq_decode_seed64(word, 0x0F0F0F0F0F0F0F0FULL, COLS, 0, ROWS, NULL, FMTS[fi],
                                      out, COLS, &bad);
                put(&st, sizeof st);
                put(&bad, sizeof bad);
                put(out, sizeof out);
            }
        }
    }
    if (has_ifma) pq_debug_decode_ifma(1);
    pq_debug_set_simd(-1);
}

static void *run(void *arg) {
    (void)arg;
    pos = 0;
    ranges();
    slow();
    decodes();
    return NULL;
}

int main(int argc, char **argv) {
    size_t stack = argc > 1 ? (size_t)strtoull(argv[1], NULL, 0) : 65536;
    setvbuf(stdout, NULL, _IOLBF, 0); /* what was printed survives a crash */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int k = 0; k < N; k++) { /* splitmix64 */
        uint64_t z[4];
        for (int m = 0; m < 4; m++) {
            uint64_t v = (x += 0x9E3779B97F4A7C15ULL);
            v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ULL;
            v = (v ^ (v >> 27)) * 0x94D049BB133111EBULL;
            z[m] = v ^ (v >> 31);
        }
        Rs[k] = z[0], Ts[k] = z[1], Is[k] = (uint32_t)z[2], Js[k] = (uint32_t)z[3];
    }
    max_level = 0;
    while (max_level < 2 && pq_debug_set_simd(max_level + 1) == PQ_OK) max_level++;
    pq_debug_set_simd(-1);
    has_ifma = pq_debug_decode_ifma(-1);
    printf("simd levels 0..%d, ifma %d\n", max_level, has_ifma);

    /* the main thread's results (its stack is the process's, megabytes) */
    run(NULL);
    size_t len = pos;
    cap = len;
    unsigned char *want = malloc(len), *got = malloc(len);
    if (!want || !got) return 3;
    buf = want;
    run(NULL);

    /* the same calls on a thread whose stack is `stack` bytes, above a large
     * inaccessible guard, painted so that its deepest use can be read back */
    size_t page = 4096;
    stack = (stack + page - 1) / page * page;
    unsigned char *map = mmap(NULL, GUARD + stack, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || mprotect(map, GUARD, PROT_NONE) != 0) return 3;
    unsigned char *base = map + GUARD;
    memset(base, 0xA5, stack);
    pthread_attr_t attr;
    pthread_t th;
    if (pthread_attr_init(&attr) || pthread_attr_setstack(&attr, base, stack)) return 3;
    buf = got;
    spots = 1;
    if (pthread_create(&th, &attr, run, NULL) || pthread_join(th, NULL)) return 3;
    size_t untouched = 0;
    while (untouched < stack && base[untouched] == 0xA5) untouched++;
    printf("stack: %zu of %zu bytes used\n", stack - untouched, stack);
    if (pos != len) {
        printf("FAIL: %zu bytes of results on the thread, %zu on the main thread\n", pos, len);
        return 1;
    }
    if (memcmp(want, got, len) != 0) {
        size_t k = 0;
        while (want[k] == got[k]) k++;
        printf("FAIL: results differ from the main thread's at byte %zu of %zu\n", k, len);
        return 1;
    }
    printf("stack_thread: OK (%zu bytes of results)\n", len);
    return 0;
}
"""


def _need(why):
    if os.environ.get("POINCARE_Q64_CI"):
        pytest.fail(why)
    pytest.skip(why)


def _sources():
    include = pq.get_include()
    return include, sorted(os.path.join(include, f) for f in os.listdir(include)
                           if f.endswith(".c"))


_BUILDS = {}


def _compile(level, tmp_path_factory):
    """Every kernel source compiled by gcc at one level (once per session),
    with its stack usage (.su) and call graph (.ci) files.  Without
    identical code folding: a function folded into an identical one (the
    block's loops for d_r = 1 with and without eps) would be called in the
    graph but have no node; unfolded, it has its own, of the same size."""
    if level in _BUILDS:
        return _BUILDS[level]
    gcc = shutil.which("gcc")
    if gcc is None:
        _need("gcc is not installed; the stack checks need it (apt-get install -y gcc)")
    include, sources = _sources()
    d = tmp_path_factory.mktemp("stack" + level)
    run = subprocess.run(
        [gcc, level, *CFLAGS, "-fstack-usage", "-fcallgraph-info=su", "-fno-ipa-icf", "-I",
         include, "-c", *sources], cwd=d, capture_output=True, text=True, timeout=300)
    if run.returncode != 0 and "callgraph-info" in run.stderr:
        _need("this gcc has no -fcallgraph-info (gcc >= 10 has): " + run.stderr)
    assert run.returncode == 0, run.stderr
    _BUILDS[level] = (level, d, sources)
    return _BUILDS[level]


@pytest.fixture(scope="module", params=LEVELS)
def build(request, tmp_path_factory):
    return _compile(request.param, tmp_path_factory)


def _frames(d):
    """(function, bytes, kind) of every .su line."""
    out = []
    for su in sorted(d.glob("*.su")):
        for line in su.read_text().splitlines():
            where, size, kind = line.rsplit("\t", 2)
            out.append((where, int(size), kind))
    return out


NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
FRAME = re.compile(r"\\n(\d+) bytes \(")


def _graph(d):
    """Frames and call edges of every function of the .ci files (titles:
    "file:name" for a static function, "name" for an external one)."""
    frames, edges = {}, {}
    for ci in sorted(d.glob("*.ci")):
        for line in ci.read_text().splitlines():
            m = NODE.search(line)
            if m:
                size = FRAME.search(m.group(2))
                if size:
                    frames[m.group(1)] = int(size.group(1))
                continue
            m = EDGE.search(line)
            if m:
                edges.setdefault(m.group(1), set()).add(m.group(2))
    return frames, edges


def _approx_functions(sources):
    """The functions the sources pass to pq_ziv (its indirect call)."""
    names = set()
    for s in sources:
        with open(s) as fh:
            names.update(re.findall(r"\bpq_ziv\(\s*(\w+)\s*,", fh.read()))
    return names


def _deepest(frames, edges, indirect):
    """For every function, the largest sum of frames along a call chain
    starting there, and that chain."""
    memo = {}

    def walk(f, path):
        if f in memo:
            return memo[f]
        assert f not in path, "recursion (no stack bound): " + " -> ".join(path + [f])
        if f in LIBRARY:
            return LIBRARY_FRAME, [f]
        assert f in frames, f"a call to {f}, which no kernel source defines: {path}"
        best = (0, [])
        for t in sorted(edges.get(f, ())):
            if t == "__indirect_call":
                assert f == "pq_ziv", f"an indirect call in {f}: its targets are not known"
                targets = indirect
            else:
                targets = [t]
            for u in targets:
                c = walk(u, path + [f])
                if c[0] > best[0]:
                    best = c
        memo[f] = (frames[f] + best[0], [f] + best[1])
        return memo[f]

    return {f: walk(f, []) for f in frames}


def test_frames(build):
    """No frame above FRAME_LIMIT, no frame of unbounded size."""
    level, d, sources = build
    frames = _frames(d)
    assert len(list(d.glob("*.su"))) == len(sources), sorted(d.glob("*.su"))
    big = [f for f in frames if f[1] > FRAME_LIMIT]
    assert not big, f"frames above {FRAME_LIMIT} bytes at {level}: {big}"
    unbounded = [f for f in frames if f[2] not in ("static", "dynamic,bounded")]
    assert not unbounded, f"frames of unbounded size at {level}: {unbounded}"
    # the lanes were compiled (not the empty units of a non-x86 or non-gcc build)
    names = {f[0].rsplit(":", 1)[-1] for f in frames}
    assert {"pq_block_stage1_avx512", "pq_decode_row_ifma"} <= names, sorted(names)


def test_call_chains(build):
    """The deepest call chain from any kernel function stays below
    CHAIN_LIMIT."""
    level, d, sources = build
    frames, edges = _graph(d)
    approx = _approx_functions(sources)
    indirect = [t for t in frames if t.rsplit(":", 1)[-1] in approx]
    assert len(indirect) == 3, indirect  # sin_approx, phi_approx, rbe_approx
    deepest = _deepest(frames, edges, indirect)
    total, chain = max(deepest.values())
    shown = " -> ".join(f"{f.rsplit(':', 1)[-1]} ({frames.get(f, LIBRARY_FRAME)})" for f in chain)
    print(f"{level}: deepest chain {total} bytes: {shown}")
    assert total < CHAIN_LIMIT, f"{level}: a call chain of {total} bytes: {shown}"
    # the chains the bound is about are in the graph
    assert deepest["pq_rbe_range"][0] > deepest["pq_block_stage1_avx512"][0] > 0
    assert "pq_decode_row_ifma" in deepest["pq_decode_matrix"][1] or \
        deepest["pq_decode_matrix"][0] >= deepest["pq_decode_row_ifma"][0]


KINDS = {0: ("int64", np.int64), 1: ("object", object), 2: ("float64", np.float64),
         3: ("float32", np.float32)}


def _spot_value(kind, word):
    x = int(word, 16)
    if kind == "int64":
        x &= (1 << 64) - 1
        return x - (1 << 64) if x >> 63 else x
    if kind == "object":
        return x - (1 << 128) if x >> 127 else x
    return x  # float bits


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_small_stack_thread(cc, tmp_path_factory, tmp_path):
    """The kernels on a THREAD_STACK-byte thread stack, built at -O0 (where
    frames are largest) by gcc (with the SIMD lanes) and by clang (which
    builds the scalar paths only): the same bytes as on the main thread,
    and some of them the reference's."""
    level = "-O0"
    (tmp_path / "stack_thread.c").write_text(PROGRAM)
    exe = tmp_path / "stack_thread"
    if cc == "gcc":
        level, d, sources = _compile(level, tmp_path_factory)
        inputs = sorted(str(o) for o in d.glob("*.o"))
    else:
        if shutil.which("clang") is None:
            _need("clang is not installed; the small-stack check of a clang build needs it "
                  "(apt-get install -y clang)")
        inputs = _sources()[1]
    # the kernel sources have no OpenMP pragmas (the extension's threads are
    # _kernels.pyx's), and clang's OpenMP runtime is often not installed
    flags = CFLAGS if cc == "gcc" else [f for f in CFLAGS if f != "-fopenmp"]
    link = subprocess.run(
        [shutil.which(cc), level, *flags, "-pthread", "-I", pq.get_include(),
         str(tmp_path / "stack_thread.c"), *inputs, "-o", str(exe)],
        capture_output=True, text=True, timeout=300)
    assert link.returncode == 0, link.stderr
    run = subprocess.run([str(exe), str(THREAD_STACK)], capture_output=True, text=True,
                         timeout=300)
    out = [line for line in run.stdout.splitlines() if not line.startswith("spot ")]
    print("\n".join(out))
    assert run.returncode == 0, (
        f"exit status {run.returncode} (a negative status is the signal: -11 a stack "
        f"overflow into the guard):\n" + "\n".join(out) + run.stderr)
    assert "stack_thread: OK" in run.stdout, run.stdout
    used = int(re.search(r"stack: (\d+) of", run.stdout).group(1))
    assert used < THREAD_STACK
    spots = [line.split()[1:] for line in run.stdout.splitlines() if line.startswith("spot ")]
    assert len(spots) > 50, len(spots)
    for what, R, T, i, j, eps, lc, dr, rot, dth, kind, frac, st, word in spots:
        name, dtype = KINDS[int(kind)]
        fkw = {"dtype": dtype} if name.startswith("float") else {"dtype": dtype, "frac": int(frac)}
        args = dict(eps=int(eps), log2_c=int(lc), d_r=int(dr), rot=int(rot), d_theta=int(dth))
        try:
            want = ref.rbe(int(R), int(T), int(i), int(j), **args, **fkw)
        except OverflowError:
            assert int(st) == 2, (what, R, T, i, j, args, fkw, st)  # PQ_EOVERFLOW
            continue
        assert int(st) == 0, (what, R, T, i, j, args, fkw, st)
        assert _spot_value(name, word) == bits(name, want), (what, R, T, i, j, args, fkw)
