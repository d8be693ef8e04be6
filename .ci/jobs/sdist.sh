#!/usr/bin/env bash
# Release job: the source distribution and the wheel, as a packager and a
# user get them.
#
#     bash .ci/jobs/sdist.sh        (from the repository root, with the
#                                    environment of `pip install -e ".[test]"`
#                                    active: .ci/run's, or a developer's)
#
# 1. `python -m build` makes the sdist, then the wheel from the unpacked
#    sdist (so the sdist must build); `twine check --strict` checks both.
# 2. The sdist holds every file of the working tree that git knows (tracked,
#    or untracked and not ignored), so a file the tests, docs, examples,
#    benchmarks or validation need cannot be left out, and no build product
#    (compiled modules, Cython's generated C, bytecode).  The wheel holds the
#    license, the SPDX license expression, the package data (headers and
#    kernel sources, .pxd, worst cases, the campaign's C programs), and was
#    compiled without -march (it runs on any x86-64; the kernels choose
#    AVX2 / AVX-512 at run time).
# 3. In a fresh venv, the wheel alone (no compiler needed: binary only):
#    `poincare-q64 --version` and `poincare-q64 selfcheck`, run outside
#    the tree.
# 4. The same venv gets the test extra, and the test suite of the unpacked
#    sdist runs against the installed wheel: `python -m pytest tests
#    --pyargs poincare_q64` from the unpacked tree, with PYTHONSAFEPATH=1
#    (python -P) so that neither pytest nor a Python subprocess a test starts
#    puts the current directory first on sys.path, where the bare source
#    tree (no compiled module) would shadow the installed package;
#    `--pyargs poincare_q64` collects the doctests from the installed
#    package.  That tests both: the sdist's tests and data, and the wheel's
#    contents.
#
# Environment: PYTHON (default python), SDIST_KEEP=1 keeps the temporary
# directory (its path is printed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
PY=${PYTHON:-python}

work=$(mktemp -d "${TMPDIR:-/tmp}/poincare_q64-sdist.XXXXXX")
if [ "${SDIST_KEEP:-0}" = 1 ]; then
    echo "sdist: keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi

"$PY" -m pip install -q "build>=1.2" "twine>=6.1"

# 1. Build both (the wheel from the sdist) and check their metadata.
echo "sdist: python -m build"
"$PY" -m build --outdir "$work/dist" "$ROOT" >"$work/build.log" 2>&1 \
    || { tail -n 60 "$work/build.log"; exit 1; }
sdist=$(ls "$work"/dist/*.tar.gz)
wheel=$(ls "$work"/dist/*.whl)
"$PY" -m twine check --strict "$sdist" "$wheel"
if grep -E '^(gcc|cc|clang|x86_64-linux-gnu-gcc)' "$work/build.log" | grep -q -- '-march'; then
    echo "sdist: the wheel was compiled with -march (it must run on any x86-64):" >&2
    grep -E -- '-march' "$work/build.log" | head -n 3 >&2
    exit 1
fi

# 2. What the two archives hold.
listed="$work/git-files.txt"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$ROOT" ls-files --cached --others --exclude-standard >"$listed"
else
    echo "sdist: not a git checkout; the sdist is not compared with git's files"
    : >"$listed"
fi
"$PY" - "$sdist" "$wheel" "$listed" <<'EOF'
import os
import re
import sys
import tarfile
import zipfile

sdist, wheel, listed = sys.argv[1:]
with tarfile.open(sdist) as tf:
    names = [m.name.split("/", 1)[1] for m in tf.getmembers()
             if m.isfile() and "/" in m.name]
in_sdist = set(names)
problems = []
# Build products never belong in the sdist.
product = re.compile(r"(\.so|\.o|\.pyc|\.pyd)$|(^|/)__pycache__/"
                     r"|^poincare_q64/_(kernels|search)\.c$|^build/|^dist/")
problems += [f"build product in the sdist: {n}" for n in names
             if product.search(n)]
# Every file git knows, except git's and the editor's own.
not_shipped = {".gitignore", ".gitattributes"}
with open(listed) as fh:
    known = [line.strip() for line in fh if line.strip()]
problems += [f"missing from the sdist: {n}" for n in known
             if n not in in_sdist and n not in not_shipped
             and os.path.isfile(n)]
for need in ("LICENSE", "CHANGELOG.md", "tests/conftest.py",
             "tests/abi/abi.json", "poincare_q64/validation/oracle.c"):
    if need not in in_sdist:
        problems.append(f"missing from the sdist: {need}")

with zipfile.ZipFile(wheel) as zf:
    wnames = zf.namelist()
    meta_name = next(n for n in wnames if n.endswith(".dist-info/METADATA"))
    meta = zf.read(meta_name).decode()
for line in ("License-Expression: Apache-2.0", "License-File: LICENSE"):
    if line not in meta.splitlines():
        problems.append(f"wheel METADATA lacks {line!r}")
for pattern in (r"\.dist-info/licenses/LICENSE$", r"^poincare_q64/_kernels\..*\.so$",
                r"^poincare_q64/src/poincare_q64\.h$", r"^poincare_q64/__init__\.pxd$",
                r"^poincare_q64/data/worst_cases/rbe\.txt$",
                r"^poincare_q64/validation/oracle\.c$"):
    if not any(re.search(pattern, n) for n in wnames):
        problems.append(f"the wheel has no file matching {pattern}")
problems += [f"generated C in the wheel: {n}" for n in wnames
             if re.search(r"^poincare_q64/_(kernels|search)\.c$", n)]
print(f"sdist: {len(names)} files, {os.path.getsize(sdist)} bytes; "
      f"wheel: {len(wnames)} files, {os.path.getsize(wheel)} bytes")
for p in problems:
    print("sdist:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# 3. The wheel alone, in a fresh venv, outside the tree.
"$PY" -m venv "$work/venv"
vpy="$work/venv/bin/python"
"$vpy" -m pip install -q --only-binary=:all: "$wheel"
version=$(cd "$work" && "$work/venv/bin/poincare-q64" --version)
echo "sdist: $version"
want="poincare_q64 $(cd "$work" && "$vpy" -c 'import importlib.metadata as m; print(m.version("poincare_q64"))')"
[ "$version" = "$want" ] || { echo "sdist: --version says '$version', the metadata '$want'" >&2; exit 1; }
(cd "$work" && "$work/venv/bin/poincare-q64" selfcheck --no-progress)

# 4. The sdist's test suite against the installed wheel.
mkdir "$work/src"
tar -xzf "$sdist" -C "$work/src"
tree=$(ls -d "$work"/src/*/)
"$vpy" -m pip install -q "$wheel[test]"
cd "$tree"
echo "sdist: the test suite of $(basename "$tree") against the wheel"
PYTHONSAFEPATH=1 "$vpy" -m pytest tests --pyargs poincare_q64 -q -r fEs
# the tests imported the wheel, not the tree (a check of the check)
site=$("$vpy" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
imported=$(PYTHONSAFEPATH=1 "$vpy" -c 'import poincare_q64, os; print(os.path.dirname(poincare_q64.__file__))')
[ "$imported" = "$site/poincare_q64" ] || { echo "sdist: poincare_q64 imported from $imported, not $site" >&2; exit 1; }
