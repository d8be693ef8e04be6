"""Every function of the registry is present in every place it must be.

poincare_q64.registry writes once what each public value function is.  A new
row there, or a place forgotten when a function is added, must fail here
loudly, naming the place: the Python API (signature included), the
reference, the vector grammar, selfcheck, the input generators, the kernel
dispatch, the C header, the capsule table (C, ctypes, Cython) and the Cython
declarations.  The C kernels keep range checks of their own; the last tests
hold them to the registry's ranges through the capsule.
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
PKG = os.path.dirname(os.path.abspath(pq.__file__))


def _read(*parts):
    with open(os.path.join(PKG, *parts), encoding="utf-8") as fh:
        return fh.read()


def _c_params(text, c_name):
    """Parameter names of the C function c_name declared in text."""
    m = re.search(rf"\b{c_name}\s*\(([^)]*)\)\s*;", text)
    assert m, f"{c_name} is not declared"
    return [re.split(r"[\s*]+", p.strip())[-1] for p in m.group(1).split(",")]


def test_canonical_order_covers_every_input_once():
    assert registry.ORDER == ("R", "T", "word", "i", "j", "log2_c", "eps",
                              "d_r", "rot", "d_theta")
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
    assert set(keywords) == extra
    assert func.__doc__ and "Raises" in func.__doc__


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_reference_function(f):
    params = inspect.signature(getattr(reference, f.name)).parameters
    names = [n for n in params if n not in ("frac", "dtype")]
    assert tuple(names) == f.inputs


@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
def test_vector_grammar(f):
    assert vectors.INPUTS[f.vector_name] == f.inputs
    assert vectors.formats_for(f.vector_name) == f.formats
    assert vectors.column_line(f.vector_name, vectors.VectorFormat(
        f.formats[0], 62 if f.rounds else None)).split()[1:-2] == list(f.inputs)


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
    rest = set(f.inputs) - set(scalars)
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
    users = [f for f in FUNCTIONS if name in f.inputs and f.name != "rbe_seed64"]
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


_VALID = {"R": 1 << 63, "T": 1 << 61, "word": 0, "i": 5, "j": 7}


@pytest.mark.parametrize("array", [False, True], ids=["scalar", "array"])
@pytest.mark.parametrize("f", FUNCTIONS, ids=IDS)
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
