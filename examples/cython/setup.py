"""Build the Cython examples:  python setup.py build_ext --inplace

rbe_prange  cimports the kernels and compiles the C sources with itself;
rbe_capsule calls the installed library's kernels through the capsule and
            compiles only its own .pyx (it needs the headers, not the sources).

Both need the headers (poincare_q64.get_include()) and the .pxd files, which
Cython finds in the directory holding the poincare_q64 package.  OpenMP makes
prange parallel; set NO_OPENMP=1 for a compiler without it (the results are
the same, only serial).
"""
import glob
import os

import poincare_q64
from Cython.Build import cythonize
from setuptools import Extension, setup

include = poincare_q64.get_include()
kernels = sorted(glob.glob(os.path.join(include, "*.c")))
# the directory that holds poincare_q64/__init__.pxd (site-packages, or the
# source tree of an editable install, which sys.path may not show)
pxd_root = os.path.dirname(os.path.dirname(os.path.abspath(poincare_q64.__file__)))
openmp = [] if os.environ.get("NO_OPENMP") else ["-fopenmp"]

extensions = [
    Extension("rbe_prange", ["rbe_prange.pyx"] + kernels, include_dirs=[include],
              extra_compile_args=["-O2"] + openmp, extra_link_args=openmp),
    Extension("rbe_capsule", ["rbe_capsule.pyx"], include_dirs=[include],
              extra_compile_args=["-O2"] + openmp, extra_link_args=openmp),
]

setup(
    name="poincare_q64_cython_example",
    ext_modules=cythonize(extensions, include_path=[pxd_root]),
)
