"""Bad input gives a clear error, never a wrong number.

Every rejection the contract lists is checked here: the exception type, that
the message names the argument (and shows the offending value), and that
``out`` is left exactly as it was.  The accepted side of every boundary is
checked too, against the reference, so that a range cannot be one off in
either direction.
"""
from fractions import Fraction

import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import _api
from poincare_q64 import reference as ref
from conftest import U64_MAX, index_for_hash

# Integer arguments of the value functions: (name, lowest, highest).
INT_ARGS = [("R", 0, U64_MAX), ("T", 0, U64_MAX), ("eps", 0, U64_MAX),
            ("i", 0, 2**32 - 1), ("j", 0, 2**32 - 1), ("log2_c", -4, 3),
            ("d_r", 0, 1), ("rot", 0, 15), ("d_theta", 0, 3)]
RBE_ARGS = dict(R=2**63, T=2**61, i=1, j=2, log2_c=0, eps=0, d_r=0, rot=0,
                d_theta=0)


def call_rbe(func="rbe", **changes):
    args = dict(RBE_ARGS, **changes)
    pos = [args.pop(k) for k in ("R", "T", "i", "j")]
    return getattr(pq, func)(*pos, **args)


# --------------------------------------------------------------------------
# Ranges of integer arguments
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name,lo,hi", INT_ARGS)
@pytest.mark.parametrize("func", ["rbe", "rbe_pipeline"])
def test_out_of_range_scalar_names_argument_and_value(func, name, lo, hi):
    for bad in (lo - 1, hi + 1, hi + 2**70, lo - 2**70):
        with pytest.raises(ValueError) as info:
            call_rbe(func, **{name: bad})
        msg = str(info.value)
        assert func in msg and f"{name} must be in" in msg and str(bad) in msg


@pytest.mark.parametrize("name,lo,hi", INT_ARGS)
def test_range_boundaries_are_accepted(name, lo, hi):
    """lo and hi themselves are valid (agreeing with the reference)."""
    for good in (lo, hi):
        args = dict(RBE_ARGS, **{name: good})
        got = call_rbe(dtype=object, frac=64, **{name: good})
        want = ref.rbe(args.pop("R"), args.pop("T"), args.pop("i"),
                       args.pop("j"), dtype=object, frac=64, **args)
        assert got == want


@pytest.mark.parametrize("container", ["int64", "int8", "object", "list"])
def test_out_of_range_array_element_reports_index(container):
    values = [[0, 5], [7, -1]]
    if container == "list":
        arr = values
    else:
        arr = np.array(values, dtype=container)
    with pytest.raises(ValueError, match=r"rbe: R must be in \[0, 2\*\*64\), got -1 \(at index \(1, 1\)\)"):
        pq.rbe(arr, 0, 0, 0)


def test_too_large_element_of_a_uint64_array_reports_index():
    arr = np.array([[0, 5], [7, 2**32]], dtype=np.uint64)
    with pytest.raises(ValueError, match=r"rbe: i must be in \[0, 2\*\*32\), got 4294967296 \(at index \(1, 1\)\)"):
        pq.rbe(0, 0, arr, 0)


def test_huge_python_ints_in_object_arrays():
    """Object arrays hold exact Python ints: 2**64 - 1 is fine, 2**64 and
    2**100 are named errors (no wrap-around through a fixed-width type)."""
    ok = np.array([U64_MAX, 0], dtype=object)
    assert pq.radial(ok, dtype=object).tolist() == [ref.radial(U64_MAX, dtype=object), 0]
    for bad in (2**64, 2**100):
        with pytest.raises(ValueError, match=rf"R must be in .*got {bad}"):
            pq.radial(np.array([1, bad], dtype=object))
        with pytest.raises(ValueError, match=rf"eps must be in .*got {bad}"):
            pq.radial([1, 2], eps=[0, bad])


@pytest.mark.parametrize("name,bad", [("log2_c", -5), ("log2_c", 4), ("d_r", 2), ("rot", 16),
                                      ("d_theta", 4), ("d_r", -1)])
def test_option_arrays_checked_per_element(name, bad):
    vals = np.zeros(6, dtype=np.int16)
    vals[4] = bad
    func = "radial" if name in ("log2_c", "d_r") else "angular"
    with pytest.raises(ValueError, match=rf"{func}: {name} must be in .*got {bad} \(at index \(4,\)\)"):
        getattr(pq, func)(np.arange(6, dtype=np.uint64), **{name: vals})


def test_numpy_integer_scalars_of_any_dtype_are_range_checked():
    assert pq.radial(np.int8(0)) == 0
    with pytest.raises(ValueError, match="R must be in"):
        pq.radial(np.int8(-1))
    with pytest.raises(ValueError, match="i must be in"):
        pq.modulation(np.uint64(2**32), 0)
    with pytest.raises(ValueError, match="log2_c must be in"):
        pq.radial(1, log2_c=np.int64(-2**63))


# --------------------------------------------------------------------------
# Types of integer arguments
# --------------------------------------------------------------------------

FLOATS = [0.5, 1.0, np.float64(1.0), np.float32(0.0), np.array([0.5, 0.25]),
          [1, 2.0], np.array([1.0], dtype=np.float16)]


@pytest.mark.parametrize("value", FLOATS, ids=repr)
@pytest.mark.parametrize("name", ["R", "T", "eps", "i", "j", "log2_c", "rot"])
def test_float_is_a_type_error_pointing_to_conversions(name, value):
    with pytest.raises(TypeError) as info:
        call_rbe(**{name: value})
    msg = str(info.value)
    assert f"rbe: {name} must be" in msg and "to_q64" in msg and "turns" in msg


BOOLS = [True, False, np.bool_(True), np.array([True, False]), [1, True]]


@pytest.mark.parametrize("value", BOOLS, ids=repr)
@pytest.mark.parametrize("name", ["R", "i", "d_r"])
def test_bool_is_a_type_error(name, value):
    with pytest.raises(TypeError, match=rf"{name} must be .*bool"):
        call_rbe(**{name: value})


@pytest.mark.parametrize("value", [1j, np.complex128(1), np.array([1j]), "5", b"5", None,
                                   Fraction(1, 1), object(), [1, "2"], np.array(["1"]),
                                   np.array(["2020-01-01"], dtype="datetime64[D]")],
                         ids=repr)
def test_other_types_are_type_errors(value):
    with pytest.raises(TypeError, match="rbe: T must be"):
        call_rbe(T=value)


def test_spatial_hash_and_rbe_seed64_check_their_arguments():
    with pytest.raises(ValueError, match=r"spatial_hash: j must be in \[0, 2\*\*32\), got 4294967296"):
        pq.spatial_hash(0, 2**32)
    with pytest.raises(TypeError, match="spatial_hash: i must be"):
        pq.spatial_hash(1.0, 0)
    with pytest.raises(ValueError, match=r"rbe_seed64: word must be in .*got -1"):
        pq.rbe_seed64(-1, 0, 0)
    with pytest.raises(ValueError, match="rbe_seed64: eps must be in"):
        pq.rbe_seed64(0, 0, 0, eps=2**64)
    with pytest.raises(TypeError, match="rbe_seed64: word must be"):
        pq.rbe_seed64(0.0, 0, 0)


# --------------------------------------------------------------------------
# dtype, frac, threads, shapes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int32, "uint64", np.float16, np.complex128, "foo", None, str,
                                   np.dtype(">i8"), 5])
def test_bad_dtype_is_a_type_error(dtype):
    with pytest.raises(TypeError, match="radial: dtype must be"):
        pq.radial(1, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.int64, "int64", np.dtype("int64"), object, "object",
                                   np.float64, "float64", np.dtype("float32"), np.float32])
def test_every_spelling_of_the_four_dtypes_is_accepted(dtype):
    got = pq.radial(2**63, dtype=dtype)
    if np.dtype(dtype) == object:
        assert type(got) is int
    else:
        assert type(got) is np.dtype(dtype).type
    assert got == ref.radial(2**63, dtype=dtype)


@pytest.mark.parametrize("frac", [-1, 65, 2**70])
def test_frac_out_of_range(frac):
    with pytest.raises(ValueError, match=rf"angular: frac must be in \[0, 64\], got {frac}"):
        pq.angular(1, frac=frac)
    with pytest.raises(ValueError, match="frac must be in"):
        pq.angular(1, frac=frac, dtype=object)


@pytest.mark.parametrize("frac", [62.0, True, "62", Fraction(62)])
def test_frac_of_wrong_type(frac):
    with pytest.raises(TypeError, match="modulation: frac must be an integer") as info:
        pq.modulation(1, 2, frac=frac)
    assert "to_q64" not in str(info.value)  # the float hint is for data arguments


@pytest.mark.parametrize("dtype", [np.float64, "float32"])
def test_frac_with_float_dtype(dtype):
    for frac in (62, 0):
        with pytest.raises(ValueError, match="frac applies only to integer dtypes"):
            pq.rbe(1, 2, 3, 4, frac=frac, dtype=dtype)


def test_frac_none_means_62():
    assert pq.radial(2**63) == pq.radial(2**63, frac=62) == round(Fraction(4, 5) * 2**62)


@pytest.mark.parametrize("threads", [0, -1])
def test_threads_below_one(threads):
    with pytest.raises(ValueError, match="rbe: threads must be >= 1"):
        pq.rbe(1, 2, 3, 4, threads=threads)


@pytest.mark.parametrize("threads", [1.0, True, "2"])
def test_threads_of_wrong_type(threads):
    with pytest.raises(TypeError, match="rbe_pipeline: threads must be an integer"):
        pq.rbe_pipeline(1, 2, 3, 4, threads=threads)


def test_shapes_that_do_not_broadcast_name_the_arguments():
    with pytest.raises(ValueError) as info:
        pq.rbe(np.zeros(3, np.uint64), np.zeros(4, np.uint64), 0, 0)
    msg = str(info.value)
    assert "rbe" in msg and "R (3,)" in msg and "T (4,)" in msg
    with pytest.raises(ValueError, match=r"log2_c \(2,\)"):
        pq.radial([1, 2, 3], log2_c=[0, 1])
    with pytest.raises(ValueError, match="spatial_hash"):
        pq.spatial_hash([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="pack_seed64"):
        pq.pack_seed64([1, 2], [1, 2, 3])


def test_ragged_sequences_are_rejected():
    with pytest.raises((TypeError, ValueError), match="R"):
        pq.radial([[1, 2], [3]])


# --------------------------------------------------------------------------
# out=
# --------------------------------------------------------------------------

def test_out_wrong_dtype_shape_or_type():
    R = np.arange(4, dtype=np.uint64)
    with pytest.raises(TypeError, match="rbe: out has dtype float64, expected int64"):
        pq.rbe(R, 0, 0, 0, out=np.zeros(4))
    with pytest.raises(TypeError, match="out has dtype int64, expected object"):
        pq.rbe(R, 0, 0, 0, dtype=object, out=np.zeros(4, np.int64))
    with pytest.raises(ValueError, match=r"out has shape \(5,\), expected the broadcast shape \(4,\)"):
        pq.rbe(R, 0, 0, 0, out=np.zeros(5, np.int64))
    with pytest.raises(ValueError, match=r"out has shape \(1, 4\)"):
        pq.rbe_pipeline(R, 0, 0, 0, out=np.zeros((1, 4), np.int64))
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        pq.rbe_seed64(R, 0, 0, out=[0, 0, 0, 0])
    ro = np.zeros(4, np.int64)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        pq.rbe(R, 0, 0, 0, out=ro)


def test_out_with_scalar_arguments_is_0d():
    out = np.zeros((), dtype=np.float64)
    assert pq.rbe(2**63, 2**62, index_for_hash(0, 0), 0, dtype=np.float64, out=out) is out
    assert out[()] == 0.8


def test_out_noncontiguous_view_is_filled():
    base = np.zeros((4, 6), dtype=np.int64)
    view = base[:, ::2]
    R = np.array([[0], [2**62], [2**63], [U64_MAX]], dtype=np.uint64)
    T = np.array([2**62, 2**61, 3 * 2**62], dtype=np.uint64)
    assert pq.rbe(R, T, 5, 6, out=view) is view
    assert (base[:, 1::2] == 0).all()
    for a in range(4):
        for b in range(3):
            assert view[a, b] == ref.rbe(int(R[a, 0]), int(T[b]), 5, 6)


# an element whose rbe is 2.2 (g' = 2, s = 1, phi = 11/10): int64 at frac 62
# overflows there and nowhere else in the arrays below
_OVF = dict(R=0, T=2**62, i=index_for_hash(1 << 30, 5), j=5, d_r=1)


def _overflow_args(n, k):
    R = np.full(n, 2**63, dtype=np.uint64)
    T = np.full(n, 2**61, dtype=np.uint64)
    i = np.full(n, 3, dtype=np.uint32)
    j = np.full(n, 4, dtype=np.uint32)
    d_r = np.zeros(n, dtype=np.int64)
    R[k], T[k], i[k], j[k], d_r[k] = _OVF["R"], _OVF["T"], _OVF["i"], _OVF["j"], _OVF["d_r"]
    return R, T, i, j, d_r


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("func", ["rbe", "rbe_pipeline"])
def test_overflow_message_and_no_partial_write(func, threads):
    R, T, i, j, d_r = _overflow_args(3000, 2345)
    out = np.full(3000, -7, dtype=np.int64)
    with pytest.raises(OverflowError) as info:
        getattr(pq, func)(R, T, i, j, d_r=d_r, out=out, threads=threads)
    msg = str(info.value)
    assert msg.startswith(f"{func}:")
    assert "int64 with frac=62" in msg and "dtype=object" in msg
    assert "index (2345,)" in msg
    assert f"R=0, T={2**62}, i={_OVF['i']}, j=5" in msg and "d_r=1" in msg
    assert (out == -7).all()
    # the same element in object format: the exact value, 2.2 rounded
    assert getattr(pq, func)(0, 2**62, _OVF["i"], 5, d_r=1, dtype=object) == \
        ref.rbe(0, 2**62, _OVF["i"], 5, d_r=1, dtype=object)


def test_overflow_index_is_the_multi_index_of_the_broadcast_shape():
    R = np.array([[2**63], [0]], dtype=np.uint64)          # shape (2, 1)
    T = np.array([2**61, 2**62, 2**60], dtype=np.uint64)   # shape (3,)
    with pytest.raises(OverflowError, match=r"rbe: .* at index \(1, 1\) \(R=0, T=4611686018427387904"):
        pq.rbe(R, T, _OVF["i"], 5, d_r=1)


def test_scalar_overflow_names_function_format_and_inputs():
    with pytest.raises(OverflowError) as info:
        pq.radial(0, d_r=1)  # g' = 2: 2**63 at frac 62
    msg = str(info.value)
    assert "radial" in msg and "int64 with frac=62" in msg and "dtype=object" in msg
    assert "R=0" in msg and "index" not in msg
    assert pq.radial(0, d_r=1, dtype=object) == 2**63
    with pytest.raises(OverflowError, match="angular: .*int64 with frac=64"):
        pq.angular(2**62, frac=64)
    with pytest.raises(OverflowError, match="modulation: .*int64 with frac=64"):
        pq.modulation(0, 0, frac=64)  # phi >= 0.9, 0.9 * 2**64 > 2**63


@pytest.mark.parametrize("kind,dtype,fill", [("float64", np.float64, -3.5),
                                             ("object", object, "sentinel"),
                                             ("int64", np.int64, 99)])
def test_argument_errors_leave_out_untouched(kind, dtype, fill):
    out = np.empty(4, dtype=dtype)
    out[...] = fill
    before = out.copy()
    bad_calls = [
        dict(R=[1, 2, 3, -1]), dict(T=[0.5] * 4), dict(i=[True] * 4),
        dict(j=[0, 0, 0, 2**32]), dict(rot=[0, 0, 0, 16]),
        dict(R=np.zeros(4, np.uint64), T=np.zeros(3, np.uint64)),
    ]
    for bad in bad_calls:
        args = dict(RBE_ARGS, R=np.zeros(4, np.uint64))
        args.update(bad)
        with pytest.raises((TypeError, ValueError)):
            pq.rbe(args.pop("R"), args.pop("T"), args.pop("i"), args.pop("j"), **args,
                   dtype=dtype, out=out)
        assert (out == before).all()
    with pytest.raises(ValueError):
        pq.rbe([1, 2, 3, 4], 0, 0, 0, dtype=dtype, out=out, threads=0)
    assert (out == before).all()


def test_rbe_seed64_basis_error_names_word_and_leaves_out():
    good = ref.pack_seed64(1 << 19, 1 << 22)
    bad = ref.pack_seed64(1 << 19, 1 << 22, basis=10)
    words = np.array([good, good, bad, good], dtype=np.uint64)
    out = np.full(4, 1.25)
    with pytest.raises(ValueError) as info:
        pq.rbe_seed64(words, 1, 2, dtype=np.float64, out=out)
    msg = str(info.value)
    assert "rbe_seed64" in msg and f"word={bad:#x}" in msg and "basis field 10" in msg
    assert "index (2,)" in msg
    assert (out == 1.25).all()
    with pytest.raises(ValueError, match="only basis 0"):
        pq.rbe_seed64(bad, 1, 2)
    # basis is checked before evaluating, so it wins over an int64 overflow
    ovf = ref.pack_seed64(0, 1 << 22, d_r=1)
    with pytest.raises(ValueError, match="basis"):
        pq.rbe_seed64([ovf, bad], _OVF["i"], 5, frac=64)


# --------------------------------------------------------------------------
# Kernel status codes -> exceptions (the codes C never returns in practice
# are produced by wrapping the kernel call)
# --------------------------------------------------------------------------

def _failing_evaluate(real, code, k):
    def evaluate(func, *args):
        *inputs, n, kind, frac, buf, status, threads = args
        bad = real(func, *inputs, n, kind, frac, buf, status, threads)
        assert bad == 0
        buf[...] = 0          # scribble over the whole temporary
        status[k] = code
        return 1
    return evaluate


@pytest.mark.parametrize("code,exc,text", [
    ("STATUS_EUNDECIDED", ArithmeticError, "could not be decided"),
    ("STATUS_EDOM", ValueError, "out of range"),
    ("STATUS_EOVERFLOW", OverflowError, "int64 with frac=62"),
])
def test_status_codes_map_to_exceptions(monkeypatch, code, exc, text):
    real = _api._kernels.evaluate
    monkeypatch.setattr(_api._kernels, "evaluate",
                        _failing_evaluate(real, getattr(_api._kernels, code), 3))
    out = np.full((2, 3), 5, dtype=np.int64)
    R = np.arange(6, dtype=np.uint64).reshape(2, 3)
    with pytest.raises(exc) as info:
        pq.rbe(R, 2**61, 7, 8, out=out)
    msg = str(info.value)
    assert "rbe" in msg and text in msg and "index (1, 0)" in msg and "R=3" in msg
    assert (out == 5).all()
    if exc is ArithmeticError:
        assert not isinstance(info.value, (OverflowError, ValueError))


# --------------------------------------------------------------------------
# Seed fields and the real-number helpers
# --------------------------------------------------------------------------

FIELD_RANGES = [("r", 0, 2**20 - 1), ("theta", 0, 2**24 - 1), ("basis", 0, 15),
                ("d_theta", 0, 3), ("d_r", 0, 1), ("rot", 0, 15), ("log2_c", -4, 3),
                ("reserved", 0, 63)]


@pytest.mark.parametrize("name,lo,hi", FIELD_RANGES)
def test_pack_seed64_field_out_of_range(name, lo, hi):
    fields = dict(r=0, theta=0)
    for bad in (lo - 1, hi + 1):
        with pytest.raises(ValueError, match=rf"pack_seed64: {name} must be in .*got {bad}"):
            pq.pack_seed64(**dict(fields, **{name: bad}))
        with pytest.raises(ValueError, match=rf"pack_seed64: {name} must be in .*got {bad} \(at index \(1,\)\)"):
            pq.pack_seed64(**dict(fields, **{name: np.array([lo, bad])}))
    with pytest.raises(TypeError, match=rf"pack_seed64: {name} must be an integer"):
        pq.pack_seed64(**dict(fields, **{name: float(lo)}))
    for good in (lo, hi):
        assert pq.pack_seed64(**dict(fields, **{name: good})) == \
            ref.pack_seed64(**dict(fields, **{name: good}))


@pytest.mark.parametrize("word", [-1, 2**64, 2**80])
def test_unpack_seed64_word_out_of_range(word):
    with pytest.raises(ValueError, match=rf"unpack_seed64: word must be in .*got {word}"):
        pq.unpack_seed64(word)
    with pytest.raises(TypeError, match="unpack_seed64: word must be"):
        pq.unpack_seed64(float(abs(word)))


@pytest.mark.parametrize("x", [-0.25, 1.0, 1, 2.5, Fraction(-1, 2**70), float("nan"), float("inf"),
                               -float("inf"), np.float32("nan"), Fraction(2**66 - 1, 2**66)],
                         ids=repr)
def test_to_q64_value_errors(x):
    with pytest.raises(ValueError, match="to_q64: x"):
        pq.to_q64(x)


def test_to_q64_rounding_up_to_two_64_is_an_error_just_below_is_not():
    # x * 2**64 = 2**64 - 1/2 is a tie between 2**64 - 1 (odd) and 2**64
    # (even): it rounds to 2**64, an error; just below rounds to 2**64 - 1.
    with pytest.raises(ValueError, match="rounds to 2\\*\\*64"):
        pq.to_q64(Fraction(2**65 - 1, 2**65))
    assert pq.to_q64(Fraction(2**66 - 3, 2**66)) == U64_MAX


@pytest.mark.parametrize("x", [True, np.bool_(False), "0.5", 0.5j, None, [0.5, "a"]], ids=repr)
def test_real_helpers_type_errors(x):
    for func, name in ((pq.to_q64, "x"), (pq.turns, "theta")):
        with pytest.raises(TypeError, match=rf"{func.__name__}: {name} must be a real number"):
            func(x)


@pytest.mark.parametrize("theta", [float("nan"), float("inf"), -float("inf"), np.float64("inf")],
                         ids=repr)
def test_turns_non_finite(theta):
    with pytest.raises(ValueError, match="turns: theta must be finite"):
        pq.turns(theta)
    with pytest.raises(ValueError, match="seed64_from_float: theta must be finite"):
        pq.seed64_from_float(0.5, theta)


def test_seed64_from_float_errors():
    for r in (-1e-300, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="seed64_from_float: r must be"):
            pq.seed64_from_float(r, 0.0)
    with pytest.raises(TypeError, match="seed64_from_float: r must be a real number"):
        pq.seed64_from_float("0.5", 0.0)
    with pytest.raises(ValueError, match=r"seed64_from_float: rot must be in \[0, 15\], got 16"):
        pq.seed64_from_float(0.5, 0.0, rot=16)
    with pytest.raises(ValueError, match=r"seed64_from_float: basis must be in"):
        pq.seed64_from_float(0.5, 0.0, basis=-1)
    with pytest.raises(TypeError):
        pq.seed64_from_float(0.5, 0.0, colour=1)  # not a field
    with pytest.raises(ValueError, match=r"r must be >= 0.*at index \(1,\)"):
        pq.seed64_from_float([0.5, -0.5], 0.0)


def test_to_q64_array_error_reports_index():
    with pytest.raises(ValueError, match=r"to_q64: x must be in \[0, 1\).*at index \(0, 1\)"):
        pq.to_q64(np.array([[0.5, 1.5]]))
