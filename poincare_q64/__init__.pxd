# cimport poincare_q64 -- the C kernels for Cython, the way `cimport numpy`
# and `from numpy.random cimport bitgen_t` work (see docs/embedding.md).
#
#   from poincare_q64 cimport pq_rbe, pq_params, pq_format, pq_value, PQ_OK
#
# All kernels are declared nogil and noexcept (they report errors as status
# codes), so they can be called inside `with nogil` blocks and prange loops.
# Two ways to reach them:
#   - call pq_* directly: the extension compiles the C sources of
#     poincare_q64.get_include() with its own code (one private copy);
#   - call through the table of the installed library, pq_import_capi(),
#     which needs the headers only.
from poincare_q64.c_kernels cimport *
from poincare_q64.c_capi cimport *
