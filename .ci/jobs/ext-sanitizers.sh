#!/usr/bin/env bash
# The package's extensions (poincare_q64._kernels with the _capi capsule
# module, and poincare_q64._search) built by gcc with AddressSanitizer and
# UndefinedBehaviorSanitizer, and the part of the test suite that drives the
# C code run against that build.
#
#     bash .ci/jobs/ext-sanitizers.sh        (from the repository root, with the
#                                             environment of `pip install -e ".[test]"`
#                                             active: .ci/run's, or a developer's)
#
# Where it builds: in a temporary copy of the working tree, never in the
# caller's tree, so the caller's editable build is left as it was.  The copy
# is what `git ls-files --cached --others --exclude-standard` lists, read
# from the working tree: tracked files with their uncommitted edits, plus
# new files not yet added (ignored files such as *.so, build/ and the
# generated _kernels.c are left out, so the build starts clean).
#
# Which interpreter: the caller's.  The test environment already holds
# everything the build and the tests need (numpy, Cython, setuptools,
# pytest, hypothesis), so no second venv is made and nothing is downloaded;
# the copy's package is put first on sys.path through PYTHONPATH (also for
# the subprocesses the tests start, such as the CLI), ahead of the caller's
# editable install, whose finder comes after sys.path.  The job checks that
# the imported extensions are the copy's and are instrumented, and that a
# sanitizer report really stops the process (two canaries), before the tests.
#
# A finding fails the job: the sanitizers abort the process on the first
# report (abort_on_error, halt_on_error, -fno-sanitize-recover=all), which
# fails the test run.  ASan also writes every report under a log directory
# that is checked at the end, so an ASan report from a child process (the
# CLI tests' subprocesses) fails the job even where a test accepts any
# non-zero exit.  UBSan does not honour log_path next to gcc's ASan runtime
# (its reports go to stderr): a child's UBSan report shows as an abort
# (exit 134), which the CLI tests' exact exit-status checks reject.
#
# Environment: PYTHON (default python), EXTSAN_KEEP=1 keeps the temporary
# directory (its path is printed) for a closer look.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
PY=${PYTHON:-python}

# The test selection (the one place where it is chosen).  Every file here
# calls the C kernels; together they reach every kernel (scalar, block
# lanes at each SIMD level, slow paths 0..3, the pipeline, seed64), every
# output format, the thread pool, the matrix decoder at each level, the
# encoder's search (_search), the file formats and the CLI, and the capsule
# through ctypes and cffi.  Left out, and why:
#   test_c_hardening.py, test_validation_campaign.py: build C programs with
#       gcc/clang (their own sanitizer build; the campaign's quad-precision
#       oracle), not this extension;
#   test_embedding.py except the capsule tests below: build the C example,
#       the Cython examples and layout probes, or read the headers' ABI
#       (no C runs);
#   test_threads.py::..._threadsanitizer and test_block.py::test_c_benchmark_...:
#       build C programs (ThreadSanitizer is another job);
#   test_cli_hardening.py::test_verify_endless_stream_...: runs the CLI under
#       a 1 GiB address-space limit, in which ASan cannot map its shadow memory;
#   test_reference.py, test_tables.py, test_architecture.py, test_metrics.py:
#       pure Python (the mpmath reference, the table generator, the import
#       graph, the transform metrics);
#   test_stack_usage.py, test_cli_newuser.py: build C programs, or start the
#       installed console script (this build is not installed);
#   test_validation_analysis.py, test_compression_audit.py: mostly Python
#       (error analysis, scikit-learn training) whose kernel calls repeat
#       the selection's.
# Measured with a gcov build (one run per test file): the files left out
# reach no line of src/*.c that the selection misses.
TESTS=(
    tests/test_agreement.py
    tests/test_api_errors.py
    tests/test_api_hardening.py
    tests/test_block.py
    tests/test_blocks.py
    tests/test_cli.py
    tests/test_cli_hardening.py
    tests/test_compress_cli.py
    tests/test_conformance.py
    tests/test_decode.py
    tests/test_decode_vectors.py
    tests/test_fuzz.py
    tests/test_encode.py
    tests/test_mpn.py
    tests/test_packing.py
    tests/test_pipeline.py
    tests/test_rbe_file.py
    tests/test_registry.py
    tests/test_search.py
    tests/test_slow_path.py
    tests/test_threads.py
    tests/test_vectors.py
    tests/test_embedding.py::test_ctypes_capsule_matches_python_api
    tests/test_embedding.py::test_ctypes_hash_and_seed64_match_python_api
    tests/test_embedding.py::test_ctypes_rbe_range_matches_python_api
    tests/test_embedding.py::test_ctypes_rbe_range_writes_out_only_where_status_is_ok
    tests/test_embedding.py::test_ctypes_status_codes_not_crashes
    tests/test_embedding.py::test_capsule_is_the_python_apis_copy_of_the_kernels
    tests/test_embedding.py::test_capsule_name_and_pointer
    tests/test_embedding.py::test_cffi_capsule_matches_python_api
    --deselect tests/test_threads.py::test_kernels_are_race_free_under_threadsanitizer
    --deselect tests/test_block.py::test_c_benchmark_builds_and_agrees_across_levels
    --deselect tests/test_cli_hardening.py::test_verify_endless_stream_subprocess_exits_2
)

SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
# -O1: three times faster to compile than the release -O3 under ASan, and
# the tests' time goes to Python, not to the kernels.
OPT=-O1

say() { printf '[ext-sanitizers] %s\n' "$*"; }
die() { printf '[ext-sanitizers] FAILED: %s\n' "$*" >&2; exit 1; }
T0=$SECONDS
T_STEP=$SECONDS
step_done() {
    say "$1: $((SECONDS - T_STEP)) s"
    T_STEP=$SECONDS
}

# ---- tools ------------------------------------------------------------------
command -v git >/dev/null || die "git is needed to list the working tree's files"
command -v gcc >/dev/null || die "gcc is not installed (apt-get install -y gcc)"
command -v readelf >/dev/null || die "readelf is not installed (apt-get install -y binutils)"
LIBASAN=$(gcc -print-file-name=libasan.so)
[[ "$LIBASAN" == /* && -e "$LIBASAN" ]] \
    || die "gcc's AddressSanitizer runtime (libasan.so) is missing: apt-get install -y libasan8 (or the libasan of gcc $(gcc -dumpversion))"
"$PY" -c "import numpy, Cython, setuptools, pytest, hypothesis" 2>/dev/null \
    || die "$PY lacks the test environment (numpy, Cython, setuptools, pytest, hypothesis): activate the venv of pip install -e \".[test]\""
step_done "tools (gcc $(gcc -dumpversion), $LIBASAN)"

# ---- copy -------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/poincare_q64-extsan.XXXXXX")
if [[ "${EXTSAN_KEEP:-}" == 1 ]]; then
    say "keeping $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi
SRC=$WORK/src
LOGS=$WORK/sanitizer-logs
mkdir -p "$SRC" "$LOGS" "$WORK/canary-logs"
# tracked files deleted in the working tree are listed by --cached: skipped
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$SRC"
step_done "copy of the working tree ($(find "$SRC" -type f | wc -l) files) to $SRC"

# ---- build ------------------------------------------------------------------
# $CFLAGS reaches both the compile and the link lines of setuptools; the
# optimisation level goes through POINCARE_Q64_OPT because setup.py's own
# -O3 comes last on the command line.
(
    cd "$SRC"
    env CC=gcc CFLAGS="$SAN_FLAGS" LDFLAGS="$SAN_FLAGS" POINCARE_Q64_OPT="$OPT" \
        "$PY" setup.py build_ext --inplace -j 2
) > "$WORK/build.log" 2>&1 || { tail -n 60 "$WORK/build.log" >&2; die "the sanitized build failed"; }
step_done "build ($OPT, $SAN_FLAGS)"

# ---- the run's environment ----------------------------------------------------
# detect_leaks=0: CPython and numpy keep their allocations at exit by design.
# allocator_may_return_null=1: a request too large for ASan's allocator
# returns NULL (numpy raises MemoryError, as the tests expect) instead of
# ending the process.  PYTHONMALLOC=malloc: Python's own small objects (bytes,
# ctypes buffers handed to the kernels) come from malloc, where ASan sees
# their bounds, not from pymalloc's pools.
run_env=(
    env
    LD_PRELOAD="$LIBASAN"
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:log_path=$LOGS/asan"
    UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
    PYTHONMALLOC=malloc
    PYTHONPATH="$SRC${PYTHONPATH:+:$PYTHONPATH}"
    PYTHONDONTWRITEBYTECODE=1
)
canary_env=("${run_env[@]}"
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$WORK/canary-logs/asan"
    UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1")

# ---- proof that the run uses the sanitized build --------------------------------
(cd "$WORK" && "${run_env[@]}" "$PY" - "$SRC") <<'EOF' || die "the copy's sanitized extensions are not the ones imported"
import os, sys
src = os.path.realpath(sys.argv[1]) + os.sep
import poincare_q64, poincare_q64._kernels, poincare_q64._search, poincare_q64.capi
from poincare_q64 import _testing  # noqa: F401 (the ctypes hooks reach the same library)
# the capsule module lives in the _kernels library (see _capimodule.c)
for mod in (poincare_q64, poincare_q64._kernels, poincare_q64._search, poincare_q64.capi._capi):
    path = os.path.realpath(mod.__file__)
    assert path.startswith(src), f"{mod.__name__} imported from {path}, not from {src}"
    print(f"[ext-sanitizers] {mod.__name__}: {path}")
EOF
for so in "$SRC"/poincare_q64/_kernels*.so "$SRC"/poincare_q64/_search*.so; do
    # read whole, not piped into grep -q (an early exit is a SIGPIPE under pipefail)
    dyn=$(readelf -d "$so")
    syms=$(readelf -W --dyn-syms "$so")
    grep -q 'NEEDED.*libasan' <<<"$dyn" || die "$so does not link libasan"
    grep -q 'NEEDED.*libubsan' <<<"$dyn" || die "$so does not link libubsan"
    grep -q '__asan_report_' <<<"$syms" || die "$so has no ASan checks"
    grep -q '__ubsan_handle_' <<<"$syms" || die "$so has no UBSan checks"
done

# Canary 1: a read past the end of a 2-limb array by the sanitized kernels
# (Knuth's division told the dividend has 8 limbs) must be reported and
# must stop the process.
# (the braces keep the shell's "Aborted" notice out of the log)
set +e
{ (cd "$WORK" && "${canary_env[@]}" "$PY" - ) > "$WORK/canary1.out" 2>&1; } 2>/dev/null <<'EOF'
import ctypes as C
import numpy as np
from poincare_q64 import _testing
a = np.ones(2, np.uint64)                      # the kernel reads 8 limbs
b = np.array([3], np.uint64)
q, r = np.zeros(16, np.uint64), np.zeros(16, np.uint64)
p = lambda x: x.ctypes.data_as(C.POINTER(C.c_uint64))
_testing._lib.pq_debug_divrem(p(q), p(r), p(a), 8, p(b), 1, C.byref(C.c_ulong()))
print("canary 1: the out-of-bounds read went unnoticed")
EOF
rc1=$?
set -e
if [[ $rc1 -eq 0 ]] || ! grep -qs 'ERROR: AddressSanitizer: heap-buffer-overflow' "$WORK"/canary-logs/asan.*; then
    cat "$WORK/canary1.out" "$WORK"/canary-logs/* 2>/dev/null >&2 || true
    die "canary 1: AddressSanitizer did not stop an out-of-bounds read in the extension (exit $rc1)"
fi
say "canary 1: $(grep -h -m1 'ERROR: AddressSanitizer' "$WORK"/canary-logs/asan.*) (exit $rc1)"
grep -h -m1 -E '#[0-9]+ .* in pq_mpn' "$WORK"/canary-logs/asan.* | sed 's/^/[ext-sanitizers]   /' || true
rm -f "$WORK"/canary-logs/*

# Canary 2: undefined behaviour (a signed overflow) in code built with the
# same flags, loaded the same way, must be reported and must stop the process.
printf 'int extsan_canary_add(int a, int b) { return a + b; }\n' > "$WORK/canary.c"
gcc $SAN_FLAGS $OPT -shared -fPIC "$WORK/canary.c" -o "$WORK/canary.so"
set +e
{ (cd "$WORK" && "${canary_env[@]}" "$PY" -c '
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
print("canary 2:", lib.extsan_canary_add(2**31 - 1, 1), "- the overflow went unnoticed")
' "$WORK/canary.so") > "$WORK/canary2.out" 2>&1; } 2>/dev/null
rc2=$?
set -e
if [[ $rc2 -eq 0 ]] || ! grep -qs 'runtime error: signed integer overflow' "$WORK/canary2.out"; then
    cat "$WORK/canary2.out" >&2 || true
    die "canary 2: UndefinedBehaviorSanitizer did not stop a signed overflow (exit $rc2)"
fi
say "canary 2: $(grep -h -m1 -o 'runtime error: .*' "$WORK/canary2.out") (exit $rc2)"
step_done "checks (the copy's extensions imported, instrumented; both canaries caught)"

# ---- the tests ----------------------------------------------------------------
# --capture=sys: pytest captures Python's sys.stdout/err only, so a UBSan
# report written to file descriptor 2 reaches the log before the abort
# (with fd capture it would die with the process in pytest's temporary file).
set +e
(cd "$SRC" && "${run_env[@]}" "$PY" -m pytest -p no:cacheprovider --capture=sys -q --durations=10 "${TESTS[@]}")
rc=$?
set -e
step_done "tests (pytest exit $rc)"

# Every report, from this process or any child, is in $LOGS; warnings (such
# as a refused huge allocation) are printed but do not fail.
reports=$(grep -l -s -E 'ERROR: (Address|LeakSanitizer)|runtime error:|SUMMARY: [A-Za-z]*Sanitizer' "$LOGS"/* || true)
for f in "$LOGS"/*; do
    [[ -e "$f" ]] || continue
    if grep -qxF "$f" <<<"$reports"; then
        say "sanitizer report $f:"
        head -n 80 "$f" >&2
    else
        say "sanitizer warnings $f (not failures; e.g. a refused huge allocation):"
        head -n 5 "$f"
    fi
done
say "total: $((SECONDS - T0)) s"
[[ -z "$reports" ]] || die "sanitizer reports (above): $(echo "$reports" | tr '\n' ' ')"
[[ $rc -eq 0 ]] || die "pytest exited $rc"
say "passed"
