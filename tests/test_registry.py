"""Every function of the registry is present in every place it must be.

poincare_q64.registry writes once what each public function is (the value
functions and the matrix functions built on them).  A new row there, or a
place forgotten when a function is added, must fail here loudly, naming the
place: the Python API (signature included), the reference, the vector
grammar, the golden vector files, selfcheck, the input generators, the
kernel dispatch, the C header, the capsule table (C, ctypes, Cython), the
Cython declarations and the ThreadSanitizer check.  The C kernels keep range
checks of their own; the last tests hold them, and the public API, to the
registry's ranges.
"""
import ctypes as C
import inspect
import os
import re

import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import _kernels, capi, inputs, reference, registry, selfcheck, vectors

FUNCTIONS = list(registry.FUNCTIONS.values())
IDS = [f.name for f in FUNCTIONS]
MATRIX = [f for f in FUNCTIONS if f.is_matrix]
PKG = os.path.dirname(os.path.abspath(pq.__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the tests' tree


def _read(*parts):
    with open(os.path.join(PKG, *parts), encoding="utf-8") as fh:
        return fh.read()


def _c_params(text, c_name):
    """Parameter names of the C function c_name declared in text."""
    m = re.search(rf"\b{c_name}\s*\(([^)]*)\)\s*;", text)
    assert m, f"{c_name} is not declared"
    return [re.split(r"[\s*]+", p.strip())[-1] for p in m.group(1).split(",")]


def test_canonical_order_covers_every_input_once():
    assert registry.ORDER == ("R", "T", "word", "i", "j", "m", "n", "log2_c",
                              "eps", "d_r", "rot", "d_theta")
    for f in FUNCTIONS:
        positions = [registry.ORDER.index(name) for name in f.inputs]
        assert positions == sorted(positions), f.name
        assert 0 < f.positional <= len(f.inputs), f.name
        # options have defaults, required inputs do not
        for name in f.positional_inputs:
            assert registry.INPUTS[name].default is None, (f.name, name)
        for name in f.keyword_inputs:
            assert registry.INPUTS[name].default is not None, (f.name, name)


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_python_api_signature(f):
    func = getattr(pq, f.name)
    assert f.name in pq.__all__
    assert func.__module__ == "poincare_q64"
    params = inspect.signature(func).parameters
    positional = [n for n, p in params.items()
                  if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert tuple(positional) == f.positional_inputs
    keywords = {n: p.default for n, p in params.items()
                if p.kind == p.KEYWORD_ONLY}
    for name in f.keyword_inputs:
        assert keywords.pop(name) == registry.INPUTS[name].default, name
    extra = {"frac", "dtype"} if f.rounds else set()
    if f.threads:
        extra |= {"out", "threads"}
    if f.is_matrix:
        extra |= {"phi_table"}
    assert set(keywords) == extra
    assert func.__doc__ and "Raises" in func.__doc__


@pytest.mark.parametrize("f", MATRIX, ids=[f.name for f in MATRIX])
def test_matrix_row_is_its_element_on_a_grid(f):
    """A matrix function's inputs are its element's with (i, j) replaced by
    the shape (m, n), in the same places; its elements are the element
    function's results on the grid."""
    assert f.shape_inputs == ("m", "n")
    el = registry.FUNCTIONS[f.element]
    assert not el.is_matrix and el.formats == f.formats
    assert tuple({"m": "i", "n": "j"}.get(x, x) for x in f.inputs) == el.inputs
    assert f.positional == el.positional and f.threads
    assert f.kernel is None
    seed = inputs.hard_inputs(f.name)[0]
    m, n = (seed[f.inputs.index(k)] for k in f.shape_inputs)
    kw = dict(zip(f.keyword_inputs, seed[f.positional:]))
    W = getattr(pq, f.name)(*seed[:f.positional], **kw, dtype=np.float64)
    i, j = np.arange(m)[:, None], np.arange(n)
    pos = [{"m": i, "n": j}.get(x, v) for x, v in
           zip(f.positional_inputs, seed)]
    E = getattr(pq, f.element)(*pos, **kw, dtype=np.float64)
    assert W.shape == (m, n) and W.tobytes() == E.tobytes()


def test_the_value_functions_are_not_matrix_functions():
    for f in FUNCTIONS:
        assert f.is_matrix == bool(f.shape_inputs) == (f.element is not None)
        assert not set(f.shape_inputs) & {"i", "j"}


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_reference_function(f):
    params = inspect.signature(getattr(reference, f.name)).parameters
    names = [n for n in params if n not in ("frac", "dtype")]
    assert tuple(names) == f.inputs


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_vector_grammar(f):
    assert vectors.INPUTS[f.vector_name] == f.inputs
    assert vectors.formats_for(f.vector_name) == f.formats
    columns = vectors.column_line(f.vector_name, vectors.VectorFormat(
        f.formats[0], 62 if f.rounds else None)).split()
    assert columns[1:-2] == list(f.inputs)
    assert (columns[-1] == "DIGEST") == f.is_matrix
    assert (f.vector_name in vectors.MATRIX) == f.is_matrix


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_golden_vector_files(f):
    """tests/data/vectors holds reference-made files of every function."""
    names = os.listdir(os.path.join(ROOT, "tests", "data", "vectors"))
    mine = [x for x in names if x.rsplit("_", 1)[0] == f.vector_name
            or x.startswith(f.vector_name + "_int64_")
            or x.startswith(f.vector_name + "_object_")]
    want = ({f"{f.vector_name}_{k}.txt" for k in
             ("int64_62", "object_64", "float64", "float32")}
            if f.rounds else {f"{f.vector_name}_uint32.txt"})
    assert want <= set(mine), sorted(mine)


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_selfcheck_group_and_inputs(f):
    assert f.name in selfcheck.GROUPS
    hard = inputs.hard_inputs(f.name)
    drawn = [inputs.random_input(f.name, inputs.RandomBits(1)) for _ in range(50)]
    assert hard
    for t in hard + drawn:
        assert len(t) == len(f.inputs)
        for name, v in zip(f.inputs, t):
            x = registry.INPUTS[name]
            assert x.lo <= v < x.hi, (f.name, name, v)


@pytest.mark.parametrize("f", [f for f in FUNCTIONS if f.kernel is not None],
                         ids=[f.name for f in FUNCTIONS if f.kernel is not None])
def test_kernel_dispatch_code(f):
    assert getattr(_kernels, "FUNC_" + f.name.upper()) == f.kernel
    codes = [g.kernel for g in FUNCTIONS if g.kernel is not None]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_c_entry_point_takes_the_inputs_in_order(f):
    header = _read("src", "poincare_q64.h")
    params = _c_params(header, f.c_name)
    scalars = [p for p in params if p in registry.INPUTS]
    # the named inputs come in the canonical order; the rest are pq_params'
    assert scalars == [n for n in f.inputs if n in scalars]
    rest = set(f.inputs) - set(scalars) - set(f.shape_inputs)
    if f.is_matrix:
        # the grid: a column count and a row range (docs/spec.md), after
        # the seed
        k = params.index("n_cols")
        assert params[k:k + 3] == ["n_cols", "row0", "row1"]
        assert k > params.index(scalars[-1])
    if rest:
        assert "p" in params
        assert rest <= {name for name, _ in capi.pq_params._fields_}


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_capsule_slot(f):
    assert re.search(rf"\(\*{f.name}\)\s*\(", _read("src", "poincare_q64_capi.h"))
    assert re.search(rf"\(\*{f.name}\)\s*\(", _read("c_capi.pxd"))
    assert re.search(rf"\.{f.name}\s*=\s*{f.c_name}\b", _read("src", "capi.c"))
    assert callable(getattr(capi.ctypes, f.name))


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_pxd_declaration(f):
    assert re.search(rf"\b{f.c_name}\s*\(", _read("c_kernels.pxd"))


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_thread_race_check_calls_the_kernel(f):
    """tests/tsan/race_check.c runs every public kernel from several
    threads (tests/test_threads.py builds and runs it)."""
    with open(os.path.join(ROOT, "tests", "tsan", "race_check.c"),
              encoding="utf-8") as fh:
        text = re.sub(r"/\*.*?\*/", " ", fh.read(), flags=re.S)
    assert re.search(rf"\b{f.c_name}\s*\(", text)


def test_seed_fields():
    assert pq.Seed64Fields._fields == tuple(x.name for x in registry.SEED64_FIELDS)
    assert sum(x.width for x in registry.SEED64_FIELDS) == 64
    assert selfcheck.SEED_FIELDS == pq.Seed64Fields._fields


# --------------------------------------------------------------------------
# The C range checks agree with the registry
# --------------------------------------------------------------------------

OPTIONS = [name for name, x in registry.INPUTS.items() if x.dtype == "int32"]


@pytest.mark.parametrize("name", OPTIONS)
def test_c_kernels_accept_exactly_the_registry_range(name):
    x = registry.INPUTS[name]
    fmt = capi.pq_format(capi.PQ_KIND_FLOAT64, 0)
    users = [f for f in FUNCTIONS if name in f.inputs and f.name != "rbe_seed64"
             and not f.is_matrix]
    assert users
    for f in users:
        for v, ok in ((x.lo - 1, False), (x.lo, True), (x.hi - 1, True),
                      (x.hi, False)):
            params, value = capi.pq_params(), capi.pq_value()
            setattr(params, name, v)
            fixed = {"R": 1 << 63, "T": 5 << 58, "i": 5, "j": 7}
            args = [fixed[n] for n in f.positional_inputs]
            st = getattr(capi.ctypes, f.name)(*args, C.byref(params), fmt,
                                              C.byref(value))
            assert (st == capi.PQ_OK) == ok, (f.name, name, v, st)


def _decode_status(f, params, n_cols, row0=0, row1=2):
    """Status of the capsule's decoder entry for a 2 x n_cols float64 grid
    (row0 == row1: nothing to write)."""
    fmt = capi.pq_format(capi.PQ_KIND_FLOAT64, 0)
    out = np.zeros(2 * 3)
    bad = C.c_uint64(0)
    seed = (1 << 63, 5 << 58) if f.name == "decode_matrix" else (1 << 63, 0)
    args = (*seed, C.byref(params)) if f.name == "decode_matrix" else seed
    return getattr(capi.ctypes, f.name)(*args, n_cols, row0, row1, None, fmt,
                                       out.ctypes.data, 3, C.byref(bad))


@pytest.mark.parametrize("name", OPTIONS)
def test_c_decoders_accept_exactly_the_registry_range(name):
    x = registry.INPUTS[name]
    users = [f for f in MATRIX if name in f.inputs]
    for f in users:
        for v, ok in ((x.lo - 1, False), (x.lo, True), (x.hi - 1, True),
                      (x.hi, False)):
            params = capi.pq_params()
            setattr(params, name, v)
            assert (_decode_status(f, params, 3) == capi.PQ_OK) == ok, (f.name, name, v)


@pytest.mark.parametrize("f", MATRIX, ids=[f.name for f in MATRIX])
def test_c_decoders_take_the_registry_shape(f):
    """n (n_cols) in [1, 2^32): 0 is refused, 1 and 2^32 - 1 (an empty row
    range, nothing written) are accepted; 2^32 is not a uint32.  m is the
    end of the row range, a uint32 too."""
    n = registry.INPUTS["n"]
    assert (n.lo, n.hi) == (1, 1 << 32) == (registry.INPUTS["m"].lo,
                                            registry.INPUTS["m"].hi)
    p = capi.pq_params()
    assert _decode_status(f, p, n.lo - 1) == capi.PQ_EDOM
    assert _decode_status(f, p, n.lo - 1, 0, 0) == capi.PQ_EDOM
    assert _decode_status(f, p, n.lo) == capi.PQ_OK
    assert _decode_status(f, p, n.hi - 1, 7, 7) == capi.PQ_OK
    assert _decode_status(f, p, 3) == capi.PQ_OK


_FIRST_OK = {"R": 1 << 63, "T": 1 << 61, "word": 0, "i": 5, "j": 7, "m": 2, "n": 3}


def _largest_valid(name):
    x = registry.INPUTS[name]
    # a word's basis field must be 0 (only sin): the largest such word
    return x.hi - 1 - (0xF << 16) if name == "word" else x.hi - 1


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_every_input_is_range_checked_through_the_public_api(f):
    """Each input at lo - 1 and hi is refused naming it; at lo and hi - 1 it
    passes the range check (proved by the next check, a bad dtype, or for
    spatial_hash by a result).  hi - 1 of m and n is a matrix far beyond
    memory: the range check must not be what refuses it."""
    func = getattr(pq, f.name)
    for name in f.inputs:
        x = registry.INPUTS[name]
        for v, ok in ((x.lo - 1, False), (x.lo, True), (_largest_valid(name), True),
                      (x.hi, False)):
            args = {k: _FIRST_OK.get(k, registry.INPUTS[k].default) for k in f.inputs}
            args[name] = v
            pos = [args.pop(k) for k in f.positional_inputs]
            if not ok:
                with pytest.raises(ValueError, match=rf"^{f.name}: {name} must be in"):
                    func(*pos, **args)
            elif f.rounds:
                with pytest.raises(TypeError, match="dtype must be"):
                    func(*pos, **args, dtype="not a dtype")
            else:
                func(*pos, **args)


@pytest.mark.parametrize("name", OPTIONS)
def test_python_api_refuses_just_outside_the_registry_range(name):
    x = registry.INPUTS[name]
    for f in FUNCTIONS:
        if name not in f.inputs:
            continue
        args = [np.uint64(1 << 63) if n in ("R", "T") else 5
                for n in f.positional_inputs]
        for v in (x.lo - 1, x.hi):
            with pytest.raises(ValueError, match=f"{name} must be in"):
                getattr(pq, f.name)(*args, **{name: v})
        getattr(pq, f.name)(*args, **{name: x.hi - 1}, dtype=np.float64)


_VALID = _FIRST_OK


# Matrix functions take one seed: scalars only, so no array variant.
@pytest.mark.parametrize("f, array", [
    pytest.param(f, array, id=f"{f.name}-{'array' if array else 'scalar'}")
    for f in FUNCTIONS for array in (False, True)
    if not (array and f.is_matrix)])
def test_arguments_are_checked_in_the_canonical_order(f, array):
    """With inputs[k:] all out of range, the error names inputs[k]: the
    wrapper hands its arguments over in the registry's order."""
    for k, name in enumerate(f.inputs):
        args = {}
        for m, n in enumerate(f.inputs):
            x = registry.INPUTS[n]
            v = x.hi if m >= k else _VALID.get(n, x.default)
            args[n] = [v] if array else v
        pos = [args.pop(n) for n in f.positional_inputs]
        with pytest.raises(ValueError, match=rf"^{f.name}: {name} must be in"):
            getattr(pq, f.name)(*pos, **args)
