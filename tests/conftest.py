"""Shared test configuration: hypothesis profiles, strategies and helpers.

Hypothesis runs derandomized by default so that CI is deterministic (the same
examples every run); ``HYPOTHESIS_PROFILE=thorough`` draws many more random
examples for a local validation campaign, and ``HYPOTHESIS_PROFILE=fuzz``
runs the fuzz tests of tests/test_fuzz.py long and randomly
(.ci/jobs/fuzz.sh).  No deadline: the reference module takes about a
millisecond per irrational evaluation.

The strategies mix uniform draws with the hard values the contract names
(R near 0 and 2^64, quarter turns and their neighbours, indices at 0 and
2^32 - 1, every option value, the extreme fracs), so that random tests visit
the edges too.  Test modules import them with ``from conftest import ...``
(pytest puts this directory on sys.path in its default import mode).
"""
import os
import struct

import numpy as np
from hypothesis import HealthCheck, settings, strategies as st

from poincare_q64 import inputs
from poincare_q64.inputs import index_for_hash  # noqa: F401 (for test modules)

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=40,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
# The fuzz tests' long run (.ci/jobs/fuzz.sh): random, not derandomized, so
# every run explores new inputs; the job passes a fresh --hypothesis-seed and
# prints it, so a failure replays with that seed.  tests/test_fuzz.py sizes
# its own max_examples per target (FUZZ_EXAMPLES) to fit the job's time.
settings.register_profile(
    "fuzz",
    deadline=None,
    max_examples=1000,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
    print_blob=True,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def scaled(n):
    """Settings for a test worth n examples in CI (50x more when thorough)."""
    return settings(max_examples=n if PROFILE == "ci" else 50 * n)

TWO64 = 1 << 64
TWO62 = 1 << 62
U64_MAX = TWO64 - 1
U32_MAX = (1 << 32) - 1

# --------------------------------------------------------------------------
# Hard values
# --------------------------------------------------------------------------

# The hard values of poincare_q64.inputs (shared with selfcheck, gen and
# the validation campaign), as lists for sampled_from and parametrize.
HARD_R = list(inputs.HARD_R)
HARD_EPS = list(inputs.HARD_EPS)
HARD_T = list(inputs.HARD_T)
HARD_IJ = list(inputs.HARD_IJ)
#: fracs the contract singles out.
HARD_FRACS = [0, 1, 31, 61, 62, 63, 64]
LOG2_CS = list(range(-4, 4))

# --------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------

u64 = st.integers(0, U64_MAX)
u32 = st.integers(0, U32_MAX)

#: R: uniform, hard values, and small values (r near 0, where g is tiny).
Rs = st.one_of(u64, st.sampled_from(HARD_R), st.integers(0, 2**20),
               st.integers(U64_MAX - 2**20, U64_MAX))
#: T: uniform, hard values, and a small offset from a random quarter turn.
Ts = st.one_of(
    u64, st.sampled_from(HARD_T),
    st.builds(lambda k, d: (k * TWO62 + d) % TWO64,
              st.integers(0, 3), st.integers(-(2**24), 2**24)))
epss = st.one_of(st.just(0), u64, st.sampled_from(HARD_EPS))
ijs = st.one_of(u32, st.sampled_from(HARD_IJ))
log2_cs = st.integers(-4, 3)
d_rs = st.integers(0, 1)
rots = st.integers(0, 15)
d_thetas = st.integers(0, 3)
#: Seed words with basis 0 (the only one rbe_seed64 accepts).
seed_words = st.builds(lambda w: w & ~(0xF << 16), u64)

INT_DTYPES = {"int64": [np.int64, "int64", np.dtype("int64")],
              "object": [object, "object", np.dtype(object)]}
FLOAT_DTYPES = {"float64": [np.float64, "float64", np.dtype("float64")],
                "float32": [np.float32, "float32", np.dtype("float32")]}
fracs = st.one_of(st.sampled_from(HARD_FRACS), st.integers(0, 64))


@st.composite
def formats(draw):
    """(kind, dtype spelling, frac or None): every output format.

    ``kind`` is the canonical name ("int64", "object", "float64",
    "float32"); the dtype is drawn from its accepted spellings.  For the
    integer kinds frac is None (meaning 62) or an int in [0, 64].
    """
    kind = draw(st.sampled_from(["int64", "object", "float64", "float32"]))
    if kind in INT_DTYPES:
        dtype = draw(st.sampled_from(INT_DTYPES[kind]))
        frac = draw(st.one_of(st.none(), fracs))
    else:
        dtype = draw(st.sampled_from(FLOAT_DTYPES[kind]))
        frac = None
    return kind, dtype, frac


#: Formats for explicit (non-hypothesis) grids: each kind, and int64/object at
#: every hard frac.
ALL_FORMATS = ([("int64", np.int64, f) for f in HARD_FRACS]
               + [("object", object, f) for f in HARD_FRACS]
               + [("int64", np.int64, None), ("float64", np.float64, None),
                  ("float32", np.float32, None)])
#: A smaller set for grids whose reference cost is high.
CORE_FORMATS = [("int64", np.int64, 62), ("object", object, 64),
                ("float64", np.float64, None), ("float32", np.float32, None)]


def fmt_kwargs(dtype, frac):
    """Keyword arguments selecting a format (frac omitted when None)."""
    return {"dtype": dtype} if frac is None else {"dtype": dtype, "frac": frac}


def fmt_id(fmt):
    kind, _, frac = fmt
    return kind if frac is None else f"{kind}-frac{frac}"


# --------------------------------------------------------------------------
# Comparing results
# --------------------------------------------------------------------------

_SCALAR_TYPES = {"int64": np.int64, "float64": np.float64,
                 "float32": np.float32}


def bits(kind, x):
    """A value's exact identity in its format: the int, or the float's IEEE
    bit pattern (so -0.0 != 0.0 and the float32 rounding is checked, not a
    float64 widening of it)."""
    if kind in ("int64", "object"):
        return int(x)
    if kind == "float64":
        return struct.unpack("<Q", struct.pack("<d", float(x)))[0]
    return int(np.float32(x).view(np.uint32))


def assert_scalar_type(kind, x):
    """Scalars in, scalar of the dtype out (Python int for object)."""
    if kind == "object":
        assert type(x) is int, (kind, type(x))
    else:
        assert type(x) is _SCALAR_TYPES[kind], (kind, type(x))


def reference_outcome(func, *args, **kwargs):
    """("ok", value) or ("raise", exception type) from a reference call."""
    try:
        return "ok", func(*args, **kwargs)
    except (OverflowError, ArithmeticError, ValueError) as exc:
        return "raise", type(exc)
