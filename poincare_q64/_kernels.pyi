"""Internal interface of the compiled module ``poincare_q64._kernels``.

Only ``poincare_q64/__init__.py`` (and its helper modules) call this; it does
no argument validation beyond what is stated: callers pass arrays of exactly
the dtypes below, 1-D and C-contiguous, each of length ``n`` or ``1`` (a
length-1 array is used for every element, so scalars need no broadcasting
copy).  All loops release the GIL and run under OpenMP ``prange`` with
at most ``threads`` threads (fewer for small arrays, where waking a thread
team would cost more than the work); results do not depend on ``threads``.
"""
import numpy as np
import numpy.typing as npt

# func codes for evaluate() (poincare_q64.registry: Function.kernel)
FUNC_RADIAL: int  # uses R, log2_c, eps, d_r
FUNC_ANGULAR: int  # uses T, rot, d_theta
FUNC_MODULATION: int  # uses i, j
FUNC_RBE: int  # uses everything
FUNC_RBE_PIPELINE: int  # uses everything
FUNC_RBE_SEED64: int  # R holds the 64-bit seed words; uses R, i, j, eps only

# The input slots of evaluate() and evaluate_scalar() follow the canonical
# input order of poincare_q64.registry.ORDER (log2_c before eps).

# output kinds
KIND_INT64: int  # out: int64[n]
KIND_INT128: int  # out: uint64[2*n], element k is lo=out[2k], hi=out[2k+1]
#                   (two's complement: value = int64(hi) * 2**64 + lo)
KIND_FLOAT64: int  # out: float64[n]
KIND_FLOAT32: int  # out: float32[n]

# per-element status codes (same values as the C PQ_* codes)
STATUS_OK: int  # 0
STATUS_EDOM: int  # 1: argument out of range (e.g. basis != 0 in a seed word)
STATUS_EOVERFLOW: int  # 2: result does not fit int64 at this frac
STATUS_EUNDECIDED: int  # 3: precision cap reached (never observed)

def evaluate(
    func: int,
    R: npt.NDArray[np.uint64],
    T: npt.NDArray[np.uint64],
    i: npt.NDArray[np.uint32],
    j: npt.NDArray[np.uint32],
    log2_c: npt.NDArray[np.int32],
    eps: npt.NDArray[np.uint64],
    d_r: npt.NDArray[np.int32],
    rot: npt.NDArray[np.int32],
    d_theta: npt.NDArray[np.int32],
    n: int,
    kind: int,
    frac: int,
    out: np.ndarray,
    status: npt.NDArray[np.uint8],
    threads: int,
) -> int:
    """Evaluate ``func`` for n elements into ``out``; write each element's
    status into ``status`` (uint8[n]) and return the number of nonzero
    statuses.  Elements whose status is nonzero have unspecified ``out``
    contents.  Ranges of R, T, eps (uint64) and i, j (uint32) are implied by
    the dtypes; log2_c/d_r/rot/d_theta/frac/kind must already be validated."""

def evaluate_scalar(
    func: int, R: int, T: int, i: int, j: int, log2_c: int, eps: int, d_r: int,
    rot: int, d_theta: int, kind: int, frac: int,
) -> tuple[int, int | float | None]:
    """One element, no arrays, no threads: ``(status, value)`` with value a
    Python int (int64/int128 kinds, the exact X) or float (float kinds; a
    float32 result is exactly representable as a double), None unless the
    status is STATUS_OK.  Arguments must already be in range (the C types
    are uint64/uint32/int32)."""

def spatial_hash_scalar(i: int, j: int) -> int: ...

# The scalar fast path of the public functions.  Each takes the public
# arguments as the user passed them and returns the public result (numpy.int64,
# int, numpy.float64 or numpy.float32; numpy.uint32 for the hash; a Python int
# for the packed word; 8 Python ints for the fields) when every numeric
# argument is a plain int in the registry's range, dtype is one of the
# spellings given to scalar_path_init(), frac valid for it, threads None or
# an int >= 1, and the kernel succeeds; otherwise None, and the caller takes
# the general path (which raises the errors).

def scalar_path_init(formats: list[tuple[object, int, int]]) -> None:
    """(dtype spelling, kind, frac for frac=None) triples, each resolved by
    the general path; classes and numpy dtypes match by identity, strings by
    value."""

def radial_fast(R: object, log2_c: object, eps: object, d_r: object,
                frac: object, dtype: object) -> object: ...
def angular_fast(T: object, rot: object, d_theta: object, frac: object,
                 dtype: object) -> object: ...
def modulation_fast(i: object, j: object, frac: object, dtype: object) -> object: ...
def rbe_fast(
    func: int, R: object, T: object, i: object, j: object, log2_c: object,
    eps: object, d_r: object, rot: object, d_theta: object, frac: object,
    dtype: object, threads: object,
) -> object:
    """func: FUNC_RBE or FUNC_RBE_PIPELINE (ValueError otherwise)."""
def rbe_seed64_fast(word: object, i: object, j: object, eps: object,
                    frac: object, dtype: object, threads: object) -> object: ...
def spatial_hash_fast(i: object, j: object) -> object: ...
def pack_seed64_fast(r: object, theta: object, basis: object, d_theta: object,
                     d_r: object, rot: object, log2_c: object,
                     reserved: object) -> int | None: ...
def unpack_seed64_fast(word: object) -> tuple[int, ...] | None: ...

def spatial_hash(
    i: npt.NDArray[np.uint32],
    j: npt.NDArray[np.uint32],
    n: int,
    out: npt.NDArray[np.uint32],
    threads: int,
) -> None: ...

def seed64_pack(
    r: npt.NDArray[np.int64],
    theta: npt.NDArray[np.int64],
    basis: npt.NDArray[np.int64],
    d_theta: npt.NDArray[np.int64],
    d_r: npt.NDArray[np.int64],
    rot: npt.NDArray[np.int64],
    log2_c: npt.NDArray[np.int64],
    reserved: npt.NDArray[np.int64],
    n: int,
    out: npt.NDArray[np.uint64],
    status: npt.NDArray[np.uint8],
) -> int:
    """Pack fields (each length n or 1) into out[n]; status 1 marks an
    element with a field out of range.  Returns the count of bad elements."""

def seed64_unpack(
    words: npt.NDArray[np.uint64], n: int
) -> tuple[np.ndarray, ...]:
    """Return 8 int64 arrays of length n in layout order:
    (r, theta, basis, d_theta, d_r, rot, log2_c, reserved); log2_c signed."""

def simd_level() -> int:
    """The SIMD code rbe's array path runs: 0 none, 1 AVX2, 2 AVX-512."""

def max_threads() -> int:
    """Threads used for threads=None (OpenMP's default, 1 without OpenMP)."""

def openmp_enabled() -> bool: ...
