#!/usr/bin/env bash
# The C kernels under sanitizers: AddressSanitizer + UndefinedBehaviorSanitizer
# (gcc) and UndefinedBehaviorSanitizer (clang, whose pointer-overflow check
# sees a wrapping index that gcc's build computes silently).
#
#   bash .ci/jobs/c-sanitizers.sh          # from the repository root
#
# Needs gcc (with libasan and libubsan), clang and a `python` that imports
# poincare_q64 and its test dependencies (the worst cases' expected results
# come from poincare_q64.reference).  Two programs, built from the sources
# of poincare_q64/src with every report fatal (-fno-sanitize-recover=all):
#
#  1. tests/sanitize/check_levels.c: examples/c/check_vectors.c over every
#     golden file (tests/data/vectors, examples/c/vectors, the matrix
#     decoder's digest files included) and every worst case
#     (poincare_q64/data/worst_cases, results from the reference), at slow-path
#     levels 0, 1, 2, 3, and at level 0 at every SIMD level of this CPU
#     (and with the decoder's AVX-512 IFMA lanes off and on) with pq_rbe
#     routed through pq_rbe_range;
#  2. tests/sanitize/fuzz_kernels.c: a seeded fuzzer of every entry point of
#     poincare_q64.h (statuses, untouched outputs on error, agreement of
#     every path bit for bit).
#
# clang's build runs the level-0 vectors and a shorter fuzz.  Settings:
#   PQ_FUZZ_SEED      fuzz seed (default: today's date, UTC, as YYYYMMDD)
#   PQ_FUZZ_SECONDS   gcc fuzz budget (default 20); clang's is 2/5 of it
# A failing fuzz iteration is replayed with the commands the job prints.
# About 40 s on 2 idle cores (75 s with the cores shared): the build takes
# half of it, the vectors 3 s, the fuzzers run side by side.
# Exit status: 0 all clean; 1 a failure or a sanitizer report; 2 a missing tool.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seed="${PQ_FUZZ_SEED:-$(date -u +%Y%m%d)}"
fuzz_seconds="${PQ_FUZZ_SECONDS:-20}"
clang_fuzz_seconds=$(( fuzz_seconds * 2 / 5 > 0 ? fuzz_seconds * 2 / 5 : 1 ))
job_start=$(date +%s.%N)
src=poincare_q64/src

elapsed() { python -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }
step_start=""
step() { step_start=$(date +%s.%N); echo "== $*"; }
step_done() { echo "   ($(elapsed "$step_start") s)"; }
die() { echo "c-sanitizers: $1" >&2; exit "${2:-1}"; }

# ---- tools ------------------------------------------------------------------
command -v gcc >/dev/null || die "gcc not found: apt-get install -y gcc" 2
clang=""
for name in clang $(for v in $(seq 25 -1 14); do echo "clang-$v"; done); do
    if command -v "$name" >/dev/null; then clang="$(command -v "$name")"; break; fi
done
[ -n "$clang" ] || die "clang not found: apt-get install -y clang" 2
command -v python >/dev/null || die "python not found: activate the venv with the package's test dependencies (pip install -e \".[test]\")" 2
python -c "import poincare_q64.reference, mpmath" 2>/dev/null ||
    die "python cannot import poincare_q64 and mpmath: pip install -e \".[test]\" in the active venv" 2

build="$(mktemp -d "${TMPDIR:-/tmp}/pq-csan.XXXXXX")"
trap 'rm -rf "$build"' EXIT

common=(-std=c11 -O1 -g -fno-strict-aliasing -ffp-contract=off -fno-omit-frame-pointer
        -fno-sanitize-recover=all -Wall -I "$src")
gcc_flags=("${common[@]}" -fsanitize=address,undefined)
clang_flags=("${common[@]}" -fsanitize=undefined)
echo 'int main(void) { return 0; }' > "$build/probe.c"
gcc "${gcc_flags[@]}" "$build/probe.c" -o "$build/probe" 2>"$build/probe.err" ||
    die "gcc cannot build with -fsanitize=address,undefined ($(head -c 300 "$build/probe.err")): apt-get install -y libasan8 libubsan1" 2
"$clang" "${clang_flags[@]}" "$build/probe.c" -o "$build/probe" 2>"$build/probe.err" ||
    die "$clang cannot build with -fsanitize=undefined ($(head -c 300 "$build/probe.err")): apt-get install -y clang" 2

# Every report ends the program with a nonzero status; the messages name
# the file and line.  LeakSanitizer (part of ASan) reports leaks at exit.
export ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# ---- build (both compilers at once, one kernel object per file) -----------
step "build: gcc -fsanitize=address,undefined and $(basename "$clang") -fsanitize=undefined"
mkdir -p "$build/gcc" "$build/clang"
export gcc_flags_s="${gcc_flags[*]}" clang_flags_s="${clang_flags[*]}"
# the SIMD lane files first: gcc takes longest on them (clang builds the
# scalar code only, the kernels' choice), so the two workers end together
sources=($(ls -S "$src"/*_avx*.c "$src"/*_ifma.c) tests/sanitize/fuzz_kernels.c
         tests/sanitize/check_levels.c)
for s in "$src"/*.c; do
    case " ${sources[*]} " in *" $s "*) ;; *) sources+=("$s");; esac
done
{
    for s in "${sources[@]}"; do echo "gcc $build/gcc $s"; done
    for s in "${sources[@]}"; do echo "$clang $build/clang $s"; done
} | xargs -P 2 -L 1 bash -c '
    cc="$0" dir="$1" s="$2"
    case "$(basename "$cc")" in gcc) read -r -a f <<< "$gcc_flags_s";; *) read -r -a f <<< "$clang_flags_s";; esac
    "$cc" "${f[@]}" -c "$s" -o "$dir/$(basename "${s%.c}").o" || exit 255' ||
    die "the sanitizer build failed (the compiler's messages are above)"
for cc_dir in "gcc:$build/gcc" "$clang:$build/clang"; do
    cc="${cc_dir%%:*}" dir="${cc_dir#*:}"
    if [ "$cc" = gcc ]; then flags=("${gcc_flags[@]}"); else flags=("${clang_flags[@]}"); fi
    kernels=()
    for s in "$src"/*.c; do kernels+=("$dir/$(basename "${s%.c}").o"); done
    "$cc" "${flags[@]}" "$dir/check_levels.o" "${kernels[@]}" -o "$dir/check_levels"
    "$cc" "${flags[@]}" "$dir/fuzz_kernels.o" "${kernels[@]}" -o "$dir/fuzz_kernels"
done
step_done

# ---- the vector files -------------------------------------------------------
step "worst cases: expected results from poincare_q64.reference"
python tests/sanitize/worst_case_vectors.py "$build/worst" poincare_q64/data/worst_cases/*.txt
step_done
# Every file the checker reads; none is left out (the decoder's digest
# files are check_levels' own).
vectors=(tests/data/vectors/*.txt examples/c/vectors/*.txt "$build"/worst/*.txt)
echo "   ${#vectors[@]} vector files"

read -r simd_top ifma <<< "$("$build/gcc/check_levels" --cpu | sed 's/simd=\([0-9]*\) ifma=\([0-9]*\)/\1 \2/')"
configs=("--slow 0" "--slow 1" "--slow 2" "--slow 3")
for level in $(seq 0 "$simd_top"); do
    if [ "$level" = 2 ] && [ "$ifma" = 1 ]; then
        configs+=("--simd 2 --ifma 0 --via-range" "--simd 2 --ifma 1 --via-range")
    else
        configs+=("--simd $level --via-range")
    fi
done

failed=0
run_vectors() { # compiler-dir label args...
    local dir="$1" label="$2"; shift 2
    local log="$build/vectors.$label.${*// /_}.log" rc=0
    "$dir/check_levels" "$@" "${vectors[@]}" >"$log" 2>&1 || rc=$?
    local line
    line="$(grep -E '^[0-9]+ tests passed, [0-9]+ failure\(s\)$' "$log" | tail -1 || true)"
    printf '   %-6s %-32s %s\n' "$label" "$*" "${line:-no result line (exit $rc)}"
    if [ "$rc" != 0 ] || [ -z "$line" ]; then
        failed=1
        grep -vE '^ +(0x[0-9a-f]+:|Shadow|Addressable|Partially|Heap|Freed|Stack|Global|Poisoned|Container|Array|Intra|ASan|Left|Right)' "$log" |
            sed -n '1,30p' | sed 's/^/     | /'
    fi
}

step "vectors under gcc ASan+UBSan: slow-path levels 0-3, SIMD levels 0-$simd_top at level 0"
for c in "${configs[@]}"; do
    # shellcheck disable=SC2086
    run_vectors "$build/gcc" gcc $c
done
step_done

# ---- fuzz: gcc's long run and clang's work side by side ----------------------
step "fuzz (seed $seed): gcc ASan+UBSan ${fuzz_seconds} s, clang UBSan ${clang_fuzz_seconds} s and level-0 vectors"
"$build/gcc/fuzz_kernels" --seed "$seed" --seconds "$fuzz_seconds" >"$build/fuzz.gcc.log" 2>&1 &
gcc_pid=$!
# clang's build has no SIMD lanes (the kernels compile them with gcc only)
read -r clang_top _ <<< "$("$build/clang/check_levels" --cpu | sed 's/simd=\([0-9]*\) ifma=\([0-9]*\)/\1 \2/')"
clang_runs=1
run_vectors "$build/clang" clang --slow 0
for level in $(seq 0 "$clang_top"); do
    run_vectors "$build/clang" clang --simd "$level" --via-range
    clang_runs=$(( clang_runs + 1 ))
done
clang_rc=0
"$build/clang/fuzz_kernels" --seed "$seed" --seconds "$clang_fuzz_seconds" >"$build/fuzz.clang.log" 2>&1 ||
    clang_rc=$?
gcc_rc=0
wait "$gcc_pid" || gcc_rc=$?
for label in gcc clang; do
    log="$build/fuzz.$label.log"
    [ -f "$log" ] || continue
    line="$(grep -E '^[0-9]+ calls, [0-9]+ failure\(s\)' "$log" | tail -1 || true)"
    printf '   %-6s fuzz: %s\n' "$label" "${line:-no result line}"
    rc=$gcc_rc; [ "$label" = clang ] && rc=$clang_rc
    if [ "$rc" != 0 ] || [ -z "$line" ]; then
        failed=1
        # the report's first lines and innermost frames, the FAIL lines, the replay
        grep -E 'ERROR|SUMMARY|runtime error|^ +#[0-5] |^FAIL|report above came from' "$log" |
            sed -n '1,30p' | sed 's/^/     | /'
        if [ "$label" = gcc ]; then cc=gcc flags="${gcc_flags[*]}"; else cc="$clang" flags="${clang_flags[*]}"; fi
        echo "     replay (the --iteration K of the first FAIL or report line):"
        echo "       $cc $flags tests/sanitize/fuzz_kernels.c $src/*.c -o fuzz_kernels"
        echo "       ./fuzz_kernels --seed $seed --iteration K"
    fi
done
[ "$clang_rc" = 0 ] || failed=1
step_done

total="$(elapsed "$job_start")"
if [ "$failed" = 0 ]; then
    echo "c-sanitizers: OK (${#configs[@]} gcc vector runs, $clang_runs clang vector runs, fuzz seed $seed; ${total} s)"
else
    echo "c-sanitizers: FAILED (fuzz seed $seed; ${total} s)"
    exit 1
fi
