"""Build the Cython/C core.

OpenMP is probed, not assumed: if the compiler cannot build and link a tiny
OpenMP program, the extension is built serially (a notice is printed).  The
results are bit-identical either way because every element is computed
independently by the same integer code.  Set POINCARE_Q64_NO_OPENMP=1 to opt
out explicitly.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

SRC = os.path.join("poincare_q64", "src")
C_SOURCES = sorted(
    os.path.join(SRC, f) for f in os.listdir(SRC) if f.endswith(".c")
)


def _compiler():
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return cc.split()


def _check_int128():
    """The kernels need unsigned __int128 (GCC/Clang on 64-bit targets)."""
    code = "int main(void){unsigned __int128 x = 1; x <<= 100; return (int)(x >> 127);}\n"
    if not _try_compile(code, []):
        sys.exit(
            "poincare_q64 needs a C compiler with unsigned __int128 "
            "(GCC or Clang on a 64-bit target); see README 'Supported compilers'."
        )


def _try_compile(code, flags):
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as fh:
            fh.write(code)
        cmd = _compiler() + [src, "-o", os.path.join(tmp, "probe")] + flags
        res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return res.returncode == 0
    except OSError:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _openmp_flags():
    if os.environ.get("POINCARE_Q64_NO_OPENMP"):
        print("poincare_q64: POINCARE_Q64_NO_OPENMP set, building without OpenMP")
        return []
    code = (
        "#include <omp.h>\n"
        "int main(void){int n = 0;\n#pragma omp parallel reduction(+:n)\nn += 1;\n"
        "return n > 0 ? 0 : 1;}\n"
    )
    if _try_compile(code, ["-fopenmp"]):
        return ["-fopenmp"]
    print(
        "poincare_q64: NOTICE: the compiler does not support OpenMP; building a "
        "serial extension (results are identical, only slower on many cores)"
    )
    return []


def _opt_level():
    """-O3 unless POINCARE_Q64_OPT names another level.  extra_compile_args
    come after $CFLAGS on gcc's command line, so $CFLAGS cannot lower -O3:
    the sanitizer build (.ci/jobs/ext-sanitizers.sh) asks for -O1 here, which
    compiles three times faster under ASan."""
    opt = os.environ.get("POINCARE_Q64_OPT", "-O3")
    if opt not in ("-O0", "-O1", "-O2", "-O3", "-Og", "-Os"):
        sys.exit(f"POINCARE_Q64_OPT={opt!r}: expected one of -O0 -O1 -O2 -O3 -Og -Os")
    return opt


_check_int128()
OMP = _openmp_flags()
CFLAGS = [_opt_level(), "-std=c11", "-fno-strict-aliasing"] + OMP
# The kernels' arithmetic is integer; the seed64 search (_search.pyx) relies
# on each float64 operation being the one written: no contraction (fused
# multiply-add) and no reassociation.
CFLAGS += ["-ffp-contract=off", "-fno-fast-math"]

# _capimodule.c adds the module poincare_q64._capi (the C API capsule) to the
# same shared library, so the capsule and the Python API share one copy of
# the kernels (see the comment at the top of that file).
ext = Extension(
    "poincare_q64._kernels",
    sources=[os.path.join("poincare_q64", "_kernels.pyx"),
             os.path.join("poincare_q64", "_capimodule.c")] + C_SOURCES,
    # headers hold inline kernels and tables: a change must rebuild
    depends=sorted(os.path.join(SRC, f) for f in os.listdir(SRC) if f.endswith(".h")),
    include_dirs=[SRC, numpy.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=CFLAGS,
    extra_link_args=OMP,
)

# The seed64 encoder's search loop: plain C on float64 tables, no kernels.
search_ext = Extension(
    "poincare_q64._search",
    sources=[os.path.join("poincare_q64", "_search.pyx")],
    include_dirs=[numpy.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=CFLAGS,
    extra_link_args=OMP,
)

setup(
    ext_modules=cythonize(
        [ext, search_ext],
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
)
