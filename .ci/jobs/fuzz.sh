#!/usr/bin/env bash
# Fuzz job: the fuzz tests of tests/test_fuzz.py, long and random (~90 s).
#
# Run from the repository root with the CI virtual environment active (the
# package installed editable with its test extra, as .ci/run does):
#
#     bash .ci/jobs/fuzz.sh
#
# The normal suite runs the same tests with a few derandomized examples;
# here the hypothesis profile "fuzz" (tests/conftest.py) runs many more,
# drawn from a fresh seed that is printed first, so that a failure replays
# with
#
#     HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py --hypothesis-seed=SEED
#
# POINCARE_Q64_FUZZ_SEED=N fixes the seed; POINCARE_Q64_FUZZ_SCALE=K runs K
# times as many examples (K=10: about a quarter of an hour).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! python -c "import poincare_q64._kernels, hypothesis" 2>/dev/null; then
    echo "fuzz: poincare_q64 (built) and hypothesis must be importable: activate" \
         "the CI virtual environment (pip install -e '.[test]') first" >&2
    exit 2
fi

seed="${POINCARE_Q64_FUZZ_SEED:-$(python -c 'import secrets; print(secrets.randbits(32))')}"
echo "fuzz: hypothesis seed $seed"
echo "fuzz: replay with HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py --hypothesis-seed=$seed"

SECONDS=0
status=0
HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py -q -p no:cacheprovider \
    --hypothesis-seed="$seed" --hypothesis-show-statistics --durations=0 \
    || status=$?
echo "fuzz: ${SECONDS} s, seed $seed, exit status $status"
exit "$status"
