#!/usr/bin/env bash
# Docs job: the API reference site and the pages' examples.
#
#     bash .ci/jobs/docs.sh        (from the repository root, with the
#                                   environment of `pip install -e ".[test]"`
#                                   active: .ci/run's, or a developer's)
#
# 1. The pinned tools of the `docs` extra are installed into the active
#    environment (only them: the package itself is not rebuilt).
# 2. `sphinx-build -W --keep-going -b html docs OUT`: the API reference from
#    the docstrings (numpydoc) and every page of docs/ (myst-parser); any
#    warning fails the job, after all of them are listed.
# 3. The `>>>` examples of every page (docs/*.md, README.md) run as doctests
#    (pytest --doctest-glob), so a page's example that no longer holds fails.
#
# Environment: DOCS_OUT=DIR keeps the HTML in DIR (default: a temporary
# directory, removed at the end).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=${PYTHON:-python}

mapfile -t reqs < <("$PY" - <<'PYEOF'
import tomllib
with open("pyproject.toml", "rb") as fh:
    print("\n".join(tomllib.load(fh)["project"]["optional-dependencies"]["docs"]))
PYEOF
)
"$PY" -m pip install -q "${reqs[@]}"

if [ -n "${DOCS_OUT:-}" ]; then
    out=$DOCS_OUT
else
    out=$(mktemp -d "${TMPDIR:-/tmp}/poincare_q64-docs.XXXXXX")
    trap 'rm -rf "$out"' EXIT
fi
log=$(mktemp "${TMPDIR:-/tmp}/poincare_q64-docs-log.XXXXXX")
status=0
"$PY" -m sphinx -W --keep-going -q -b html docs "$out" 2>"$log" || status=$?
warnings=$(grep -c -E 'WARNING|ERROR' "$log" || true)
cat "$log"
rm -f "$log"
echo "docs: sphinx-build exit status $status, $warnings warning(s)${DOCS_OUT:+; HTML in $DOCS_OUT}"
[ "$status" -eq 0 ] || exit "$status"

# The pages' examples (the package's own docstrings run in the test suite).
"$PY" -m pytest -q -p no:cacheprovider -o addopts="" \
    -o doctest_optionflags="NORMALIZE_WHITESPACE" \
    --doctest-glob="*.md" docs README.md
