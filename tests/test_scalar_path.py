"""The scalar path: a call with plain Python ints is the general call.

A call of a value function whose numeric arguments are all Python ints, with
a usual format and no ``out``, is checked and evaluated in compiled code
(``_kernels.*_fast``); anything else, a failed check included, goes through
the general path, which raises the errors.  These tests hold the two
together:

* with the scalar path disabled, the same public call gives the same result
  (value and type) or the same exception (type and message), for valid and
  invalid arguments alike;
* the result equals the general path's result for the same inputs as 0-d
  arrays (shape ``()``), and the reference on a sample;
* plain ints in range really take the scalar path, and every input's range
  there is the registry's, boundary by boundary.
"""
import contextlib
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

import poincare_q64 as pq
from poincare_q64 import _api, _kernels, packing, registry
from poincare_q64 import reference as ref
from conftest import index_for_hash, scaled

VALUE_FUNCS = [f for f in registry.FUNCTIONS.values() if not f.is_matrix]
ROUNDED = [f for f in VALUE_FUNCS if f.rounds]

# The scalar path's entry points, as the public functions reach them.
_FAST_API = ["_radial_fast", "_angular_fast", "_modulation_fast", "_rbe_fast",
             "_rbe_seed64_fast", "_spatial_hash_fast"]
_FAST_KERNELS = ["pack_seed64_fast", "unpack_seed64_fast"]


def _no_fast(*args):
    return None


@contextlib.contextmanager
def general_path():
    """Every public function with its scalar path turned off."""
    saved = ([(_api, n, getattr(_api, n)) for n in _FAST_API]
             + [(_kernels, n, getattr(_kernels, n)) for n in _FAST_KERNELS])
    for mod, n, _ in saved:
        setattr(mod, n, _no_fast)
    try:
        yield
    finally:
        for mod, n, f in saved:
            setattr(mod, n, f)


def outcome(call):
    """What a call does: ("ok", type, value) or ("raises", type, message)."""
    try:
        res = call()
    except Exception as exc:  # noqa: BLE001 -- the exception is the outcome
        return ("raises", type(exc), str(exc))
    if isinstance(res, tuple):  # Seed64Fields
        return ("ok", type(res), tuple((type(x), x) for x in res))
    if isinstance(res, (float, np.floating)):
        # bit patterns: -0.0 and 0.0 must not compare equal
        return ("ok", type(res), np.asarray(res).tobytes())
    return ("ok", type(res), res)


def call(fn, args, **opts):
    """The public function ``fn`` (a registry row) on ``args`` (input name
    -> value), positional inputs by position."""
    pos = [args[k] for k in fn.positional_inputs]
    kw = {k: args[k] for k in fn.keyword_inputs if k in args}
    return getattr(pq, fn.name)(*pos, **kw, **opts)


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------

def in_range(name):
    """Valid Python ints of an input, its boundaries often."""
    x = registry.INPUTS[name]
    edges = [e for e in (x.lo, x.lo + 1, (x.lo + x.hi) // 2, x.hi - 2, x.hi - 1,
                         1 << 31, 1 << 62) if x.lo <= e < x.hi]
    return st.one_of(st.integers(x.lo, x.hi - 1), st.sampled_from(edges))


def sin_word():
    """Seed words with basis 0 (the only one defined)."""
    return st.integers(0, (1 << 64) - 1).map(lambda w: w & ~(0xF << 16))


def valid_args(fn):
    parts = {k: sin_word() if k == "word" else in_range(k) for k in fn.inputs}
    return st.fixed_dictionaries(
        {k: v for k, v in parts.items() if k in fn.positional_inputs},
        optional={k: v for k, v in parts.items() if k not in fn.positional_inputs})


def near_range(name):
    """Plain ints just outside an input's range, and beyond any C type."""
    x = registry.INPUTS[name]
    return st.sampled_from([x.lo - 1, x.hi, x.hi + 1, x.lo - (1 << 64),
                            x.hi + (1 << 64), 1 << 200, -(1 << 200)])


def other_scalar(name):
    """Scalars that are not plain ints: numpy ints (in range or not), bools,
    floats, int subclasses, objects that are not numbers."""
    x = registry.INPUTS[name]
    v = max(x.lo, 0)
    return st.sampled_from([np.int64(v), np.uint64(v), np.int8(-1), np.uint32(v),
                            True, False, float(v), np.float64(v), None, str(v),
                            Fraction(v), complex(v), _Int(v), np.array(v),
                            np.timedelta64(1, "ns")])


class _Int(int):
    """An int subclass: the scalar path leaves it to the general path."""


@st.composite
def any_args(draw, fn):
    """Valid arguments with none, one or two of them spoilt."""
    args = draw(valid_args(fn))
    for name in draw(st.lists(st.sampled_from(fn.inputs), max_size=2,
                              unique=True)):
        args[name] = draw(st.one_of(near_range(name), other_scalar(name)))
    return args


OMIT = object()  # the keyword not passed
USUAL_DTYPES = [np.int64, "int64", np.dtype(np.int64), object, "object",
                np.dtype(object), np.object_, np.float64, "float64", float,
                np.dtype(np.float64), np.float32, "float32",
                np.dtype(np.float32), int]
USUAL_FRACS = [None, 0, 1, 31, 61, 62, 63, 64]
OTHER_DTYPES = ["i8", "O", "f8", "f4", None, np.int32, ">f8", "bogus", 5,
                np.uint64, np.dtype([("a", "i8")]), complex]
OTHER_FRACS = [-1, 65, 1 << 64, -(1 << 64), True, 62.0, np.int8(3),
               np.uint64(64), "62", _Int(62)]
THREADS = [None, 1, 2, 1 << 70, 0, -1, -(1 << 70), True, 2.0, np.int64(2),
           _Int(2), "2"]


def opts(fn, valid):
    """dtype / frac / threads / out keywords for ``fn``."""
    def choice(usual, other):
        # half of the invalid calls' choices usual, so that a lone bad one
        # (or a lone bad combination: frac with a float dtype) is common
        return st.sampled_from(usual) | st.sampled_from(other) if not valid \
            else st.sampled_from(usual)
    o = {}
    if fn.rounds:
        o["dtype"] = choice([OMIT] + USUAL_DTYPES, OTHER_DTYPES)
        o["frac"] = choice([OMIT] + USUAL_FRACS, OTHER_FRACS)
    if fn.threads:
        o["threads"] = choice([OMIT] + THREADS[:4], THREADS[4:])
        if not valid:
            o["out"] = st.sampled_from([OMIT, None, np.zeros(()),
                                        np.zeros((), dtype=np.int64)])
    return st.fixed_dictionaries(o).map(
        lambda d: {k: v for k, v in d.items() if v is not OMIT})


def _valid_opts(fn, o):
    """Drop frac from a float format: that is an error, not a result."""
    if (o.get("frac") is not None
            and np.dtype(o.get("dtype", np.int64)).kind == "f"):
        del o["frac"]
    return o


# --------------------------------------------------------------------------
# The scalar path and the general path agree
# --------------------------------------------------------------------------

@pytest.mark.parametrize("fn", VALUE_FUNCS, ids=lambda f: f.name)
@scaled(150)
@given(data=st.data())
def test_any_scalar_call_has_the_general_paths_outcome(fn, data):
    """Result or exception, type and message: the same with and without the
    scalar path, for any scalar arguments."""
    args = data.draw(any_args(fn), "args")
    o = data.draw(opts(fn, valid=False), "opts")
    fast = outcome(lambda: call(fn, args, **o))
    with general_path():
        general = outcome(lambda: call(fn, args, **o))
    assert fast == general


@pytest.mark.parametrize("fn", VALUE_FUNCS, ids=lambda f: f.name)
@scaled(150)
@given(data=st.data())
def test_plain_int_call_equals_the_array_call(fn, data):
    """Plain ints in range: the value and type of the general path on 0-d
    arrays of the kernel dtypes (OverflowError where that raises it)."""
    args = data.draw(valid_args(fn), "args")
    o = _valid_opts(fn, data.draw(opts(fn, valid=True), "opts"))
    arrays = {k: np.array(v, dtype=registry.INPUTS[k].dtype)
              for k, v in args.items()}
    try:
        want = call(fn, arrays, **o)
    except OverflowError:
        with pytest.raises(OverflowError, match=f"^{fn.name}: the result for "):
            call(fn, args, **o)
        return
    assert isinstance(want, np.ndarray) and want.shape == ()
    got = call(fn, args, **o)
    assert outcome(lambda: got) == outcome(lambda: want[()])


@pytest.mark.parametrize("fn", ROUNDED, ids=lambda f: f.name)
@pytest.mark.parametrize("dtype", [np.int64, object, "float64", np.float32,
                                   "i8", None, "bogus"])
@pytest.mark.parametrize("frac", [OMIT, None, 0, 64, -1, 65, 62.0, np.int8(3)])
def test_every_format_has_the_general_paths_outcome(fn, dtype, frac):
    args = {k: (0 if k == "word" else registry.INPUTS[k].hi - 1)
            for k in fn.inputs}
    o = {"dtype": dtype} if frac is OMIT else {"dtype": dtype, "frac": frac}
    fast = outcome(lambda: call(fn, args, **o))
    with general_path():
        assert fast == outcome(lambda: call(fn, args, **o))


@scaled(150)
@given(fields=st.tuples(*(st.integers(f.lo, f.hi - 1)
                          for f in registry.SEED64_FIELDS)),
       word=st.integers(0, (1 << 64) - 1))
def test_seed_packing_scalar_path_agrees(fields, word):
    fast = outcome(lambda: pq.pack_seed64(*fields))
    unpacked = outcome(lambda: pq.unpack_seed64(word))
    with general_path():
        assert fast == outcome(lambda: pq.pack_seed64(*fields))
        assert unpacked == outcome(lambda: pq.unpack_seed64(word))
    assert fast[2] == ref.pack_seed64(*fields)
    assert unpacked[2] == tuple((int, v) for v in ref.unpack_seed64(word))


@pytest.mark.parametrize("bad", [-1, 1 << 64, 1 << 200, True, np.uint64(3),
                                 3.0, None, "3", _Int(3)])
@pytest.mark.parametrize("slot", range(9))
def test_seed_packing_errors_agree(bad, slot):
    """Each field (and the word) out of range or not an int: the same
    exception with and without the scalar path."""
    if slot < 8:
        fields = [0] * 8
        fields[slot] = bad
        c = lambda: pq.pack_seed64(*fields)  # noqa: E731
    else:
        c = lambda: pq.unpack_seed64(bad)  # noqa: E731
    fast = outcome(c)
    with general_path():
        assert fast == outcome(c)


# --------------------------------------------------------------------------
# Against the reference
# --------------------------------------------------------------------------

@pytest.mark.parametrize("fn", ROUNDED, ids=lambda f: f.name)
@scaled(8)
@given(data=st.data())
def test_plain_int_call_equals_the_reference(fn, data):
    args = data.draw(valid_args(fn), "args")
    for o in (dict(dtype=object, frac=64), dict(dtype="float64"),
              dict(dtype=np.float32)):
        got = call(fn, args, **o)
        want = getattr(ref, fn.name)(
            *[args[k] for k in fn.positional_inputs],
            **{k: args[k] for k in fn.keyword_inputs if k in args}, **o)
        if isinstance(got, int):
            assert type(got) is int and got == want
        else:
            assert type(got) is np.dtype(o["dtype"]).type
            assert math.copysign(1, got) == math.copysign(1, want) and got == want


def test_known_answers_through_the_scalar_path():
    i = index_for_hash(0, 0)  # H(i, 0) = 0: phi = 1
    assert pq.spatial_hash(0, 0) == np.uint32(1669671676)
    assert type(pq.spatial_hash(0, 0)) is np.uint32
    assert pq.radial(2**63, frac=64, dtype=object) == 14757395258967641293
    assert pq.rbe(2**63, 2**62, i, 0, log2_c=2, frac=0, dtype=object) == 0
    r = pq.rbe(2**63, 2**62, i, 0, log2_c=2, d_theta=2, dtype="float32")
    assert type(r) is np.float32 and r == -0.5
    # a value beyond int64 (f = 2.2 * 2**64 > 2**63) as an exact int
    big = pq.radial(2**63, d_r=1, log2_c=-4, frac=64, dtype=object)
    assert big == ref.radial(2**63, d_r=1, log2_c=-4, frac=64, dtype=object)
    assert big > 2**64
    assert hex(pq.pack_seed64(0x7FFFF, 0x800000, basis=10, d_theta=3, d_r=1,
                              rot=13, log2_c=-3, reserved=42)) == "0x7ffff800000afb6a"
    assert pq.unpack_seed64(0x7FFFF800000AFB6A) == (524287, 8388608, 10, 3, 1,
                                                   13, -3, 42)


# --------------------------------------------------------------------------
# The scalar path is taken, and only for what it checks
# --------------------------------------------------------------------------

def _refuse(*args, **kwargs):
    raise AssertionError("the general path was taken")


@pytest.mark.parametrize("fn", VALUE_FUNCS, ids=lambda f: f.name)
@pytest.mark.parametrize("dtype", [None] + USUAL_DTYPES)
def test_plain_ints_take_the_scalar_path(fn, dtype, monkeypatch):
    monkeypatch.setattr(_api, "evaluate", _refuse)
    monkeypatch.setattr(_api, "as_int_array", _refuse)
    monkeypatch.setattr(packing, "_pack", _refuse)
    args = {k: registry.INPUTS[k].hi - 1 for k in fn.inputs}
    if "word" in args:
        args["word"] = 0x7FFFF800000A3FFF & ~(0xF << 16)  # basis 0
    o = {}
    if fn.rounds and dtype is not None:
        o["dtype"] = dtype
        if np.dtype(dtype).kind != "f":
            o["frac"] = 40
    if fn.threads:
        o["threads"] = 1
    call(fn, args, **o)
    pq.pack_seed64(1, 2, 3, 3, 1, 15, -4, 63)
    pq.unpack_seed64((1 << 64) - 1)


@pytest.mark.parametrize("name", [n for n in registry.ORDER
                                  if n not in ("m", "n")])
def test_scalar_path_ranges_are_the_registrys(name):
    """rbe_fast (unpack_seed64_fast for the word, whose basis field
    rbe_seed64 also checks) takes exactly [lo, hi) of the registry."""
    x = registry.INPUTS[name]
    base = dict(R=0, T=0, i=0, j=0, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0)

    def fast(v):
        if name == "word":
            return _kernels.unpack_seed64_fast(v)
        a = dict(base, **{name: v})
        return _kernels.rbe_fast(_kernels.FUNC_RBE, *(a[k] for k in (
            "R", "T", "i", "j", "log2_c", "eps", "d_r", "rot", "d_theta")),
            0, object, None)

    for v in (x.lo, x.hi - 1):
        assert fast(v) is not None, v
    for v in (x.lo - 1, x.hi, x.lo - (1 << 64), x.hi + (1 << 64)):
        assert fast(v) is None, v


def test_scalar_path_leaves_the_rest_to_the_general_path():
    f = _kernels.rbe_fast
    rbe = _kernels.FUNC_RBE
    ok = (rbe, 1, 2, 3, 4, 0, 0, 0, 0, 0, None, np.int64, None)
    assert f(*ok) is not None
    for k, bad in [(1, np.uint64(1)), (2, True), (3, 3.0), (4, _Int(4)),
                   (5, np.int32(0)), (10, -1), (10, 65), (10, np.int8(3)),
                   (11, "i8"), (11, np.int32), (11, None), (12, 0),
                   (12, 2.0)]:
        args = list(ok)
        args[k] = bad
        assert f(*args) is None, (k, bad)
    # frac with a float format; the basis field; an int64 overflow
    assert f(rbe, 1, 2, 3, 4, 0, 0, 0, 0, 0, 3, np.float64, None) is None
    assert _kernels.rbe_seed64_fast(1 << 16, 0, 0, 0, None, np.int64, None) is None
    assert _kernels.radial_fast(2**63, 0, 0, 1, 64, np.int64) is None
    with pytest.raises(ValueError, match="rbe_fast"):
        f(_kernels.FUNC_RADIAL, *ok[1:])
