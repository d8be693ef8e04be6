"""Command line of poincare_q64: ``poincare-q64 selfcheck``, ``info``, and the
conformance tools ``gen``, ``verify`` and ``eval``.

``gen``, ``verify`` and ``eval`` are thin argparse front ends of
:mod:`poincare_q64.conformance` (the line grammar is
:mod:`poincare_q64.vectors`; docs/vectors.md and docs/conformance.md describe
them).  The rest of this module is ``selfcheck``.

``selfcheck`` is the installed package's proof of health on the machine it was
built on.  It draws random inputs (and a fixed set of hard ones) for every
public function, evaluates them through the public API as vectorised calls on
arrays, evaluates each element again through the independent scalar
reference (:mod:`poincare_q64.reference`) and compares the two element by
element, bit for bit, in every output format.  Each mismatch is printed as
``<function> [<format>] <inputs> => <got> expected: <expected>`` (the shape
TestFloat's ``testfloat_ver`` uses); the last line is
``N tests passed, M failure(s)`` and the exit status is 1 on any mismatch.

One "test" is one element compared in one output format.  When the reference
raises (OverflowError for int64 results that do not fit, ValueError for a seed
word with basis != 0 or a field out of range), the API must raise the same
exception class for that element: such elements are evaluated one at a time
(as length-1 arrays), because a vectorised call raises for the whole array.

Usage::

    poincare-q64 selfcheck                 # ~3000 random inputs + hard cases
    poincare-q64 selfcheck -n 20000 --seed 7 --threads 1
    poincare-q64 info
    poincare-q64 gen rbe --float64 -n 100000 --seed 1 -o rbe_float64.txt
    poincare-q64 verify their_rbe_float64.txt
    poincare-q64 eval rbe 0x8000000000000000 0x4000000000000000 5 7 --float64
"""
import argparse
import math
import os
import random
import struct
import sys
import time
from fractions import Fraction

import numpy as np

from poincare_q64 import vectors

TWO32 = 1 << 32
TWO62 = 1 << 62
TWO64 = 1 << 64

# Output formats every value function is checked in: (dtype name, frac).
# ("int64", 62) is the default format and is requested by omitting both
# keywords, so the defaults are checked too.  int64 at frac 64 overflows for
# |value| >= 1/2; those elements check that the API raises OverflowError
# exactly where the reference does.
FORMATS = (
    ("int64", 0), ("int64", 31), ("int64", 62), ("int64", 64),
    ("object", 64), ("float64", None), ("float32", None),
)
_DTYPES = {"int64": np.int64, "object": object, "float64": np.float64,
           "float32": np.float32}

# Input arrays are built with a mix of integer dtypes on purpose: the API
# must accept any numpy integer array whose values are in range.
_ARG_DTYPES = {
    "R": np.uint64, "T": np.uint64, "eps": np.uint64, "word": np.uint64,
    "i": np.uint32, "j": np.int64, "log2_c": np.int8, "d_r": np.int64,
    "rot": np.uint8, "d_theta": np.int32,
}

_RBE_ARGS = (("R", "T", "i", "j"), ("log2_c", "eps", "d_r", "rot", "d_theta"))
# name -> (positional argument names, keyword argument names, takes threads)
VALUE_FUNCS = {
    "radial": (("R",), ("log2_c", "eps", "d_r"), False),
    "angular": (("T",), ("rot", "d_theta"), False),
    "modulation": (("i", "j"), (), False),
    "rbe": _RBE_ARGS + (True,),
    "rbe_pipeline": _RBE_ARGS + (True,),
    "rbe_seed64": (("word", "i", "j"), ("eps",), True),
}
# Share of the random budget per value function (rbe counts double: it is
# the function the package exists for).
_WEIGHTS = {"radial": 1, "angular": 1, "modulation": 1, "rbe": 2,
            "rbe_pipeline": 1, "rbe_seed64": 1}
# The other groups (spatial_hash, pack_seed64, unpack_seed64, to_q64, turns)
# each get this fraction of the random budget; their reference is cheap.
_SMALL_SHARE = 0.04

SEED_FIELDS = ("r", "theta", "basis", "d_theta", "d_r", "rot", "log2_c",
               "reserved")
# (lowest value, number of values) of each seed field.
_SEED_RANGES = {"r": (0, 1 << 20), "theta": (0, 1 << 24), "basis": (0, 16),
                "d_theta": (0, 4), "d_r": (0, 2), "rot": (0, 16),
                "log2_c": (-4, 8), "reserved": (0, 64)}


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

_M32 = 0xFFFFFFFF


def _rotr32(x, n):
    return ((x >> n) | (x << (32 - n))) & _M32


def index_for_hash(H, j):
    """The index i with MurmurHash3_x86_32(LE32(i) || LE32(j), 0) == H.

    For a fixed j every step of the 8-byte hash is a bijection of the 32-bit
    state, so it can be undone step by step.  This gives the hard cases
    H mod 2^30 == 0 (phi exactly 1, 11/10, 9/10) and their neighbours, which
    random indices hit once in 2^30.  Callers confirm the result with the
    reference's hash.

    Examples
    --------
    >>> from poincare_q64 import reference
    >>> i = index_for_hash(1 << 30, 12345)
    >>> reference.spatial_hash(i, 12345) == 1 << 30
    True
    """
    inv = lambda c: pow(c, -1, TWO32)  # noqa: E731  (odd constants invert)
    h = H
    h ^= h >> 16                                 # fmix, backwards
    h = h * inv(0xC2B2AE35) & _M32
    h ^= (h >> 13) ^ (h >> 26)
    h = h * inv(0x85EBCA6B) & _M32
    h ^= h >> 16
    h ^= 8                                       # the length
    k2 = _rotr32(j * 0xCC9E2D51 & _M32, 17) * 0x1B873593 & _M32
    h = _rotr32((h - 0xE6546B64) * inv(5) & _M32, 13) ^ k2   # block j
    k1 = _rotr32((h - 0xE6546B64) * inv(5) & _M32, 13)       # block i
    return _rotr32(k1 * inv(0x1B873593) & _M32, 15) * inv(0xCC9E2D51) & _M32


class _Draw:
    """Random inputs biased towards the places where rounding is hard."""

    def __init__(self, rng):
        self.rng = rng

    def u64(self):
        rng = self.rng
        k = rng.random()
        if k < 0.5:
            return rng.getrandbits(64)
        if k < 0.8:  # log-uniform magnitude: tiny radii and angles
            return rng.getrandbits(rng.randint(0, 64))
        return TWO64 - 1 - rng.getrandbits(rng.randint(0, 64))  # near 2^64

    def angle(self):
        rng = self.rng
        if rng.random() < 0.3:  # close to a quarter turn, either side
            d = rng.getrandbits(rng.randint(0, 40)) * rng.choice((-1, 1))
            return ((rng.randrange(4) << 62) + d) % TWO64
        return self.u64()

    def index(self):
        rng = self.rng
        k = rng.random()
        if k < 0.8:
            return rng.getrandbits(32)
        if k < 0.9:
            return rng.getrandbits(rng.randint(0, 32))
        return rng.choice((0, 1, TWO32 - 1))

    def eps(self):
        return 0 if self.rng.random() < 0.5 else self.u64()

    def options(self):
        rng = self.rng
        return dict(log2_c=rng.randint(-4, 3), eps=self.eps(),
                    d_r=rng.randint(0, 1), rot=rng.randint(0, 15),
                    d_theta=rng.randint(0, 3))

    def seed_fields(self, basis=0):
        rng = self.rng
        f = {name: lo + rng.randrange(n)
             for name, (lo, n) in _SEED_RANGES.items()}
        if rng.random() < 0.3:  # quarter turns of the seed's theta
            f["theta"] = (rng.randrange(4) << 22) + rng.choice((-1, 0, 1))
            f["theta"] %= 1 << 24
        f["basis"] = basis
        return f

    def element(self, func):
        """One random input of a value function, as a dict of ints."""
        if func == "radial":
            o = self.options()
            return dict(R=self.u64(), log2_c=o["log2_c"], eps=o["eps"],
                        d_r=o["d_r"])
        if func == "angular":
            o = self.options()
            return dict(T=self.angle(), rot=o["rot"], d_theta=o["d_theta"])
        if func == "modulation":
            return dict(i=self.index(), j=self.index())
        if func == "rbe_seed64":
            return dict(word=_pack(self.seed_fields()), i=self.index(),
                        j=self.index(), eps=self.eps())
        return dict(R=self.u64(), T=self.angle(), i=self.index(),
                    j=self.index(), **self.options())


def _pack(f):
    """Seed word from fields (layout of docs/spec.md), for making inputs.

    Independent of both the API and the reference on purpose: the packed
    words are inputs here, and pack_seed64 itself is checked separately.
    """
    word = 0
    for name in SEED_FIELDS:
        width = _SEED_RANGES[name][1].bit_length() - 1
        # f % 2^width is the two's-complement field of a negative log2_c.
        word = (word << width) | (f[name] % (1 << width))
    return word


def hard_elements(func, quarter_pairs):
    """Fixed hard inputs of a value function (a list of dicts of ints).

    R = 0, 1, 2^63 and 2^64 - 1 and their neighbours; quarter turns
    T = k 2^62 and T = k 2^62 +- 1; indices 0 and 2^32 - 1 and index pairs
    whose hash is a multiple of 2^30 (and +- 1); every log2_c, d_r, rot,
    d_theta; exact ties (c = 4, r = 1/2 gives g = 1/2); results so small
    that float32 is subnormal or underflows to +-0.0.
    """
    hard_R = [0, 1, 2, 1 << 32, TWO62, (1 << 63) - 1, 1 << 63,
              (1 << 63) + 1, TWO64 - 2, TWO64 - 1]
    hard_T = sorted({((k << 62) + d) % TWO64 for k in range(4)
                     for d in (-1, 0, 1)})
    hard_eps = [0, 1, 1 << 63, TWO64 - 1]
    edge_ij = [(0, 0), (0, TWO32 - 1), (TWO32 - 1, 0), (TWO32 - 1, TWO32 - 1),
               (1, 0), (0, 1)]
    exact_ij = [quarter_pairs[q << 30] for q in range(4)]
    near_ij = [quarter_pairs[h] for h in sorted(quarter_pairs)
               if h % (1 << 30)]
    out = []
    if func == "radial":
        for R in hard_R:
            for log2_c in range(-4, 4):
                for d_r in (0, 1):
                    for eps in hard_eps:
                        out.append(dict(R=R, log2_c=log2_c, eps=eps, d_r=d_r))
    elif func == "angular":
        pairs = [(rot, 0) for rot in range(16)]
        pairs += [(0, d) for d in (1, 2, 3)] + [(15, 3), (5, 2), (2, 1)]
        for T in hard_T + [2, 1 << 60, (1 << 60) - 1]:
            for rot, d_theta in pairs:
                out.append(dict(T=T, rot=rot, d_theta=d_theta))
    elif func == "modulation":
        for i, j in edge_ij + exact_ij + near_ij:
            out.append(dict(i=i, j=j))
    elif func in ("rbe", "rbe_pipeline"):
        n = 0
        ijs = edge_ij[:2] + exact_ij + near_ij[:2]
        for R in (0, 1, 1 << 63, TWO64 - 1):
            for T in hard_T:
                for i, j in ijs:
                    # Cycle the options so that every value of each meets
                    # many (R, T, i, j); rot = 7n mod 16 takes all 16 values,
                    # a quarter of them keeping T' on a quarter turn.
                    out.append(dict(R=R, T=T, i=i, j=j, log2_c=-4 + n % 8,
                                    eps=hard_eps[(n // 5) % 4],
                                    d_r=(n // 8) % 2, rot=(n * 7) % 16,
                                    d_theta=(n // 16) % 4))
                    n += 1
        # Exact ties: c = 4, r = 1/2 gives g = 1/2; with s = +-1 and phi = 1
        # the product is +-1/2 (a midpoint at frac 0), with phi = 11/10 or
        # 9/10 a rational that is not dyadic; with d_r = 1 it is exactly 0.
        for T in (1 << 62, 3 << 62):
            for i, j in exact_ij:
                for d_r in (0, 1):
                    out.append(dict(R=1 << 63, T=T, i=i, j=j, log2_c=2, eps=0,
                                    d_r=d_r, rot=0, d_theta=0))
        # Tiny values: with c = 4, R = eps = 2^64 - 1 and d_r = 1,
        # D = 2^128 + eps R gives D - 2^65 R = 1, so 1 - 4 r~^2 = (2D - 1)/D^2
        # and g' is about 2^-131.  float32 results are then subnormal or
        # underflow to zero, which keeps the sign of a negative value (-0.0).
        for T in (1, TWO64 - 1, TWO62 - 1, TWO62 + 1, 1 << 40,
                  (1 << 63) + (1 << 30)):
            for i, j in (edge_ij[0], exact_ij[1]):
                out.append(dict(R=TWO64 - 1, T=T, i=i, j=j, log2_c=2,
                                eps=TWO64 - 1, d_r=1, rot=0, d_theta=0))
        if func == "rbe_pipeline":
            out = out[::2]
    elif func == "rbe_seed64":
        n = 0
        for r in (0, 1, 1 << 19, (1 << 20) - 1):
            for theta in (0, 1, (1 << 22) - 1, 1 << 22, (1 << 22) + 1, 1 << 23,
                          3 << 22, (1 << 24) - 1):
                for log2_c in range(-4, 4):
                    f = dict(r=r, theta=theta, basis=0, d_theta=(n // 3) % 4,
                             d_r=n % 2, rot=(n // 2) % 16, log2_c=log2_c,
                             reserved=(n * 7) % 64)
                    i, j = (edge_ij + exact_ij)[n % 10]
                    out.append(dict(word=_pack(f), i=i, j=j,
                                    eps=hard_eps[n % 4]))
                    n += 1
        # basis != 0: only sin is defined, both sides must raise ValueError.
        for basis in (1, 10, 15):
            f = dict(r=1 << 19, theta=1 << 22, basis=basis, d_theta=0, d_r=0,
                     rot=0, log2_c=0, reserved=0)
            out.append(dict(word=_pack(f), i=5, j=7, eps=0))
    return out


def quarter_hash_pairs(ref):
    """{H: (i, j)} for H = k 2^30 and k 2^30 +- 1, checked by the reference."""
    pairs = {}
    for k in range(4):
        for d in (-1, 0, 1):
            H = ((k << 30) + d) % TWO32
            j = 12345 + k
            i = index_for_hash(H, j)
            if ref.spatial_hash(i, j) != H:  # cannot happen; fail loudly
                raise AssertionError(f"hash inversion failed for H={H:#x}")
            pairs[H] = (i, j)
    return pairs


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

class Raised:
    """An outcome that is an exception (compared by exact class)."""

    def __init__(self, exc):
        self.cls = type(exc)
        self.msg = str(exc)

    def __eq__(self, other):
        return isinstance(other, Raised) and self.cls is other.cls

    def __repr__(self):
        return f"{self.cls.__name__}({self.msg!r})"


def _outcome(fn, *args, **kwargs):
    """fn's result, or the exception it raised as a Raised (any exception:
    an API that crashes is reported as a mismatch, not a traceback)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        return Raised(exc)


def same(kind, got, expected):
    """Bit-for-bit equality of one element in the format ``kind``.

    Examples
    --------
    >>> same("float64", -0.0, 0.0), same("float64", 0.5, 0.5)
    (False, True)
    >>> same("object", np.int64(3), 3)   # object results must be Python ints
    False
    """
    try:
        return _same(kind, got, expected)
    except (TypeError, ValueError, OverflowError):  # not even a number
        return False


def _same(kind, got, expected):
    if isinstance(got, Raised) or isinstance(expected, Raised):
        return got == expected
    if kind == "float64":
        return struct.pack("<d", float(got)) == struct.pack("<d", expected)
    if kind == "float32":
        return (struct.pack("<f", float(got))
                == struct.pack("<f", float(expected)))
    if kind == "object":
        return type(got) is int and got == expected
    return int(got) == expected


def show(kind, x):
    """A value as printed in a mismatch line (floats exactly, in hex)."""
    if isinstance(x, Raised):
        return repr(x)
    if kind in ("float64", "float32"):
        return f"{float(x).hex()} ({float(x)!r})"
    if kind in ("uint32", "uint64"):
        return f"{int(x):#x}"
    return f"{x!r}" if kind == "object" else str(int(x))


def show_inputs(e):
    parts = []
    for k, v in e.items():
        big = k in ("R", "T", "eps", "word") and isinstance(v, int)
        parts.append(f"{k}={v:#x}" if big else f"{k}={v!r}")
    return " ".join(parts)


class Tally:
    """Counts per group, prints mismatches (at most max_errors of them)."""

    def __init__(self, max_errors, progress):
        self.max_errors = max_errors
        self.progress = progress
        self.passed = {}
        self.failed = {}
        self.formats = {}
        self.shown = 0

    def group(self, name, fmt=None):
        self.passed.setdefault(name, 0)
        self.failed.setdefault(name, 0)
        labels = self.formats.setdefault(name, [])
        if fmt and fmt not in labels:
            labels.append(fmt)

    def record(self, name, fmt, ok, inputs="", got=None, expected=None,
               kind="int64"):
        self.group(name, fmt)
        if ok:
            self.passed[name] += 1
            return
        self.failed[name] += 1
        if self.shown < self.max_errors:
            where = f" [{fmt}]" if fmt else ""
            self.progress.write(
                f"{name}{where} {inputs} => {show(kind, got)} "
                f"expected: {show(kind, expected)}")
        elif self.shown == self.max_errors:
            self.progress.write(
                "(further mismatches not shown; raise --errors to see them)")
        self.shown += 1

    @property
    def total_passed(self):
        return sum(self.passed.values())

    @property
    def total_failed(self):
        return sum(self.failed.values())


class _Progress:
    """tqdm on stderr when installed (and wanted), else nothing."""

    def __init__(self, total, enabled, stream):
        self.stream = stream
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                # disable=None: no bar when stderr is not a terminal.
                self.bar = tqdm(total=total, file=sys.stderr, unit="ref",
                                disable=None, leave=False,
                                desc="selfcheck")

    def update(self, n=1):
        if self.bar is not None:
            self.bar.update(n)

    def write(self, line):
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream)

    def close(self):
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------

def _format_kwargs(kind, frac):
    if (kind, frac) == ("int64", 62):
        return {}  # the defaults: frac=None (62) and dtype=int64
    if frac is None:
        return {"dtype": _DTYPES[kind]}
    return {"frac": frac, "dtype": _DTYPES[kind]}


def _fmt_label(kind, frac):
    return kind if frac is None else f"{kind}/{frac}"


def _api_call(pq, func, elems, fmt_kw, threads):
    """The vectorised public call for a list of elements."""
    pos, kws, takes_threads = VALUE_FUNCS[func]
    arrays = {name: np.array([e[name] for e in elems], dtype=_ARG_DTYPES[name])
              for name in pos + kws}
    kw = {name: arrays[name] for name in kws}
    if takes_threads:
        kw["threads"] = threads
    return getattr(pq, func)(*(arrays[name] for name in pos), **kw, **fmt_kw)


def _ref_call(ref, func, e, kind, frac):
    pos, kws, _ = VALUE_FUNCS[func]
    fk = {"dtype": _DTYPES[kind]}
    if frac is not None:
        fk["frac"] = frac
    return _outcome(getattr(ref, func), *(e[n] for n in pos),
                    **{n: e[n] for n in kws}, **fk)


def _bad_array(got, kind, n):
    """Why an API result is not an array of the requested dtype, or None."""
    if not isinstance(got, np.ndarray):
        return f"returned {type(got).__name__}, not an ndarray"
    if got.dtype != np.dtype(_DTYPES.get(kind, kind)):
        return f"returned dtype {got.dtype}, expected {kind}"
    if got.shape != (n,):
        return f"returned shape {got.shape}, expected ({n},)"
    return None


def _overflow_message_ok(func, frac, outcome):
    """The contract: the OverflowError names the function and the format."""
    return (not isinstance(outcome, Raised)
            or outcome.cls is not OverflowError
            or (func in outcome.msg and f"frac={frac}" in outcome.msg
                and "int64" in outcome.msg))


def check_values(pq, ref, func, elems, kind, frac, threads, tally, progress):
    """Compare one value function in one format on a list of elements."""
    label = _fmt_label(kind, frac)
    fmt_kw = _format_kwargs(kind, frac)
    tally.group(func, label)
    expected = []
    for e in elems:
        expected.append(_ref_call(ref, func, e, kind, frac))
        progress.update()
    good = [k for k, x in enumerate(expected) if not isinstance(x, Raised)]
    bad = [k for k, x in enumerate(expected) if isinstance(x, Raised)]

    def one_by_one(indices):
        for k in indices:
            got = _outcome(_api_call, pq, func, [elems[k]], fmt_kw, threads)
            if not isinstance(got, Raised):
                why = _bad_array(got, kind, 1)
                got = Raised(TypeError(why)) if why else got[0]
            ok = same(kind, got, expected[k])
            if ok and not _overflow_message_ok(func, frac, got):
                ok = False
                got.msg += (f" [the message must name {func}, int64 and "
                            f"frac={frac}]")
            tally.record(func, label, ok, show_inputs(elems[k]), got,
                         expected[k], kind)

    if good:
        got = _outcome(_api_call, pq, func, [elems[k] for k in good], fmt_kw,
                       threads)
        why = None if isinstance(got, Raised) else _bad_array(got, kind,
                                                              len(good))
        if isinstance(got, Raised) or why:
            # The whole call failed: find the elements that make it fail.
            one_by_one(good)
        else:
            for n, k in enumerate(good):
                tally.record(func, label, same(kind, got[n], expected[k]),
                             show_inputs(elems[k]), got[n], expected[k], kind)
    # Elements the reference rejects are tried alone: a vectorised call
    # raises for the whole array, so only single calls show agreement.
    one_by_one(bad)


def check_spatial_hash(pq, ref, pairs, tally, progress):
    name = "spatial_hash"
    tally.group(name, "uint32")
    expected = []
    for i, j in pairs:
        expected.append(ref.spatial_hash(i, j))
        progress.update()
    got = _outcome(pq.spatial_hash,
                   np.array([p[0] for p in pairs], dtype=np.uint32),
                   np.array([p[1] for p in pairs], dtype=np.uint64))
    why = None if isinstance(got, Raised) else _bad_array(got, "uint32",
                                                          len(pairs))
    for n, (i, j) in enumerate(pairs):
        g = got if isinstance(got, Raised) else (
            Raised(TypeError(why)) if why else got[n])
        ok = not isinstance(g, Raised) and same("uint32", g, expected[n])
        tally.record(name, "uint32", ok, f"i={i} j={j}", g, expected[n],
                     "uint32")


def _field(fields, name):
    """A field of unpack_seed64's result (named tuple or mapping)."""
    return fields[name] if isinstance(fields, dict) else getattr(fields, name)


def check_pack(pq, ref, field_dicts, tally, progress):
    """pack_seed64 with every field an array, against the reference."""
    name = "pack_seed64"
    tally.group(name, "uint64")
    expected = []
    for f in field_dicts:
        expected.append(_outcome(ref.pack_seed64, **f))
        progress.update()
    good = [k for k, x in enumerate(expected) if not isinstance(x, Raised)]
    bad = [k for k, x in enumerate(expected) if isinstance(x, Raised)]

    def call(ks):
        return pq.pack_seed64(**{n: np.array([field_dicts[k][n] for k in ks],
                                             dtype=np.int64)
                                 for n in SEED_FIELDS})

    got = _outcome(call, good) if good else None
    why = None if got is None or isinstance(got, Raised) else \
        _bad_array(got, "uint64", len(good))
    if isinstance(got, Raised) or why:
        bad = good + bad  # localise the failure element by element
    else:
        for n, k in enumerate(good):
            tally.record(name, "uint64", same("uint64", got[n], expected[k]),
                         show_inputs(field_dicts[k]), got[n], expected[k],
                         "uint64")
    for k in bad:
        g = _outcome(call, [k])
        if not isinstance(g, Raised):
            w = _bad_array(g, "uint64", 1)
            g = Raised(TypeError(w)) if w else g[0]
        tally.record(name, "uint64", same("uint64", g, expected[k]),
                     show_inputs(field_dicts[k]), g, expected[k], "uint64")


def check_unpack(pq, ref, words, tally, progress):
    name = "unpack_seed64"
    tally.group(name, "fields")
    expected = []
    for w in words:
        expected.append(ref.unpack_seed64(w))
        progress.update()
    got = _outcome(pq.unpack_seed64, np.array(words, dtype=np.uint64))
    for n, w in enumerate(words):
        exp = dict(zip(SEED_FIELDS, expected[n]))
        try:
            g = {f: int(_field(got, f)[n]) for f in SEED_FIELDS}
        except Exception as exc:  # noqa: BLE001  (any failure is a mismatch)
            g = got if isinstance(got, Raised) else Raised(exc)
        tally.record(name, "fields", g == exp, f"word={w:#x}", g, exp,
                     "object")


def check_scalar(pq, ref, name, xs, tally, progress):
    """to_q64 / turns: scalar functions, compared value by value."""
    tally.group(name, "int")
    for x in xs:
        exp = _outcome(getattr(ref, name), x)
        got = _outcome(getattr(pq, name), x)
        progress.update()
        if not isinstance(got, Raised):
            got = int(got)
        tally.record(name, "int", same("object", got, exp), f"x={x!r}", got,
                     exp, "object")


def check_known_answers(pq, tally):
    """Values fixed from outside the reference: the issue's seed answers."""
    name = "known_answers"
    tally.group(name)
    word = 0x7FFFF800000AFB6A
    fields = dict(r=0x7FFFF, theta=0x800000, basis=10, d_theta=3, d_r=1,
                  rot=13, log2_c=-3, reserved=42)
    got = _outcome(pq.unpack_seed64, word)
    try:
        g = {f: int(_field(got, f)) for f in SEED_FIELDS}
    except Exception as exc:  # noqa: BLE001
        g = Raised(exc)
    tally.record(name, None, g == fields, f"unpack_seed64({word:#x})", g,
                 fields, "object")
    got = _outcome(pq.pack_seed64, **fields)
    tally.record(name, None, not isinstance(got, Raised) and got == word,
                 "pack_seed64(fields of 0x7ffff800000afb6a)", got, word,
                 "uint64")
    other = {k: v for k, v in fields.items() if k not in ("r", "theta")}
    cases = [
        ((0.5, math.pi), other, 0x80000800000AFB6A),
        # r >= 1 clamps to the top field value; r = 0, theta = 0 is word 0.
        ((1.0, 0.0), {}, 0xFFFFF << 44),
        ((0.0, 0.0), {}, 0),
        # float 2*pi is just below 2 pi: theta/(2 pi) rounds up to a whole
        # turn, which wraps to theta field 0.
        ((0.25, 2 * math.pi), {}, 0x40000 << 44),
    ]
    for args, kw, want in cases:
        got = _outcome(pq.seed64_from_float, *args, **kw)
        tally.record(name, None, not isinstance(got, Raised) and got == want,
                     f"seed64_from_float{args} {kw}", got, want, "uint64")


# Every check group, in report order; ``--only`` selects among them.
GROUPS = tuple(VALUE_FUNCS) + ("spatial_hash", "pack_seed64", "unpack_seed64",
                               "to_q64", "turns", "known_answers")


def run_selfcheck(n=3000, seed=None, threads=None, max_errors=20,
                  progress=True, only=None, out=None):
    """Compare the public API with the reference; return the exit status.

    Parameters
    ----------
    n : int
        Number of random elements in all (spread over functions and output
        formats); the fixed hard cases come on top.
    seed : int or None
        Seed of the random inputs; None draws one (printed for repeats).
    threads : int or None
        Passed to the functions that take ``threads``.
    max_errors : int
        Mismatch lines printed at most (all are counted).
    progress : bool
        Show a tqdm bar on stderr if tqdm is installed.
    only : iterable of str or None
        Run only these groups (names from ``GROUPS``).  The random inputs are
        drawn as in a full run, so a seed reproduces the same inputs.
    out : file or None
        Where the report goes (default sys.stdout).

    Returns
    -------
    int
        0 if every test passed, 1 otherwise.
    """
    import poincare_q64 as pq
    from poincare_q64 import reference as ref

    wanted = set(GROUPS if only is None else only)
    unknown = wanted - set(GROUPS)
    if unknown:
        raise ValueError(f"only: unknown group(s) {sorted(unknown)}")
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    draw = _Draw(rng)
    start = time.perf_counter()

    pairs = quarter_hash_pairs(ref)
    total_weight = sum(_WEIGHTS.values())
    value_budget = n * (1 - 5 * _SMALL_SHARE)
    small = max(1, int(n * _SMALL_SHARE))

    # Draw everything first (so that the progress bar knows its total, and
    # so that --only does not change the inputs of the groups it keeps).
    plan = []
    for func in VALUE_FUNCS:
        per_format = max(1, round(value_budget * _WEIGHTS[func] / total_weight
                                  / len(FORMATS)))
        hard = hard_elements(func, pairs)
        for kind, frac in FORMATS:
            elems = [draw.element(func) for _ in range(per_format)]
            plan.append((func, kind, frac, elems + hard))
    hash_pairs = [(draw.index(), draw.index()) for _ in range(small)]
    hash_pairs += [(i, j) for i in (0, 1, TWO32 - 1) for j in (0, 1, TWO32 - 1)]
    pack_fields = [draw.seed_fields(basis=rng.randrange(16))
                   for _ in range(small)]
    for name, (lo, count) in _SEED_RANGES.items():
        for v in (lo, lo + count - 1, lo - 1, lo + count):  # edges and beyond
            f = dict(r=0, theta=0, basis=0, d_theta=0, d_r=0, rot=0,
                     log2_c=0, reserved=0)
            f[name] = v
            pack_fields.append(f)
    words = [rng.getrandbits(64) for _ in range(small)] + [0, TWO64 - 1]
    q64_xs = [rng.random() for _ in range(small)] + [
        0.0, -0.0, 2.0**-65, 3 * 2.0**-65, 2.0**-66, 0.5, 1 - 2.0**-53,
        1 - 2.0**-64, Fraction(1, 3), Fraction(2**64 - 1, 2**64), 1.0, -1e-300,
        float("nan"), float("inf")]
    turn_xs = [rng.uniform(-100, 100) for _ in range(small)] + [
        0.0, -0.0, math.pi, -math.pi, math.pi / 2, 2 * math.pi, 1e-300,
        -5e-324, 1e15, 1e300, Fraction(355, 113), 7, float("nan")]

    plan = [p for p in plan if p[0] in wanted]
    others = [
        ("spatial_hash", hash_pairs,
         lambda bar: check_spatial_hash(pq, ref, hash_pairs, tally, bar)),
        ("pack_seed64", pack_fields,
         lambda bar: check_pack(pq, ref, pack_fields, tally, bar)),
        ("unpack_seed64", words,
         lambda bar: check_unpack(pq, ref, words, tally, bar)),
        ("to_q64", q64_xs,
         lambda bar: check_scalar(pq, ref, "to_q64", q64_xs, tally, bar)),
        ("turns", turn_xs,
         lambda bar: check_scalar(pq, ref, "turns", turn_xs, tally, bar)),
        ("known_answers", [], lambda bar: check_known_answers(pq, tally)),
    ]
    others = [o for o in others if o[0] in wanted]
    total = sum(len(p[3]) for p in plan) + sum(len(o[1]) for o in others)

    stream = out or sys.stdout
    print(f"poincare-q64 selfcheck: seed {seed}, {n} random inputs plus hard "
          f"cases, threads={'all' if threads is None else threads}",
          file=stream)
    stream.flush()
    bar = _Progress(total, progress, stream)
    tally = Tally(max_errors, bar)
    try:
        for func, kind, frac, elems in plan:
            check_values(pq, ref, func, elems, kind, frac, threads, tally, bar)
        for _, _, run in others:
            run(bar)
    finally:
        bar.close()

    width = max([len(k) for k in tally.passed] + [1])
    for name in tally.passed:
        p, f = tally.passed[name], tally.failed[name]
        fmts = " ".join(tally.formats[name])
        print(f"{name:<{width}}  {p:6d} passed  {f:4d} failed  {fmts}".rstrip(),
              file=stream)
    print(f"elapsed {time.perf_counter() - start:.1f} s", file=stream)
    print(f"{tally.total_passed} tests passed, {tally.total_failed} "
          f"failure(s)", file=stream)
    return 1 if tally.total_failed else 0


def run_info(out=None):
    """Print the version and the build's threading facts."""
    import poincare_q64 as pq
    from poincare_q64 import _kernels

    stream = out or sys.stdout
    print(f"poincare_q64 {pq.__version__}", file=stream)
    print(f"location: {os.path.dirname(os.path.abspath(pq.__file__))}",
          file=stream)
    print(f"OpenMP: {'yes' if _kernels.openmp_enabled() else 'no'}",
          file=stream)
    print(f"threads for threads=None: {_kernels.max_threads()}", file=stream)
    simd = {0: "none (scalar loop)", 1: "AVX2", 2: "AVX-512"}[_kernels.simd_level()]
    print(f"SIMD for rbe arrays: {simd}", file=stream)
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}",
          file=stream)
    return 0


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _nonnegative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="poincare-q64",
        description="Tools of poincare_q64, the bit-exact golden reference "
                    "for the RBE function.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    sc = sub.add_parser(
        "selfcheck",
        help="compare the compiled kernels with the independent reference",
        description="Evaluate random and hard inputs of every public function "
                    "in every output format through the public API and "
                    "compare each element with poincare_q64.reference. Prints "
                    "'N tests passed, M failure(s)'; exit status 1 on any "
                    "mismatch.")
    sc.add_argument("-n", type=_nonnegative_int, default=3000, metavar="N",
                    help="random inputs in all, spread over the functions and "
                         "formats; the hard cases come on top (default 3000)")
    sc.add_argument("--seed", type=int, default=None, metavar="S",
                    help="seed of the random inputs (default: a fresh one, "
                         "printed so that a run can be repeated)")
    sc.add_argument("--threads", type=_positive_int, default=None,
                    metavar="K",
                    help="threads for rbe, rbe_pipeline and rbe_seed64 "
                         "(default: all cores)")
    sc.add_argument("--errors", type=_nonnegative_int, default=20,
                    metavar="E",
                    help="print at most E mismatches (all are counted; "
                         "default 20)")
    sc.add_argument("--only", action="append", choices=GROUPS,
                    metavar="GROUP",
                    help="check only this group (repeatable): "
                         + ", ".join(GROUPS) + "; the random inputs stay "
                         "those of a full run with the same --seed")
    sc.add_argument("--no-progress", action="store_true",
                    help="no progress bar (it is shown only if tqdm is "
                         "installed and stderr is a terminal)")
    sub.add_parser(
        "info", help="print the version and whether OpenMP is in the build",
        description="Print the package version, its location, whether the "
                    "compiled kernels use OpenMP and how many threads "
                    "threads=None uses.")
    _add_gen(sub)
    _add_verify(sub)
    _add_eval(sub)
    return parser


# --------------------------------------------------------------------------
# gen, verify, eval (front ends of poincare_q64.conformance)
# --------------------------------------------------------------------------

_FUNCTION_HELP = ("FUNCTION is one of " + ", ".join(vectors.FUNCTIONS)
                  + " (seed64 is rbe_seed64)")


def _frac(text):
    value = int(text)
    if not 0 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be in 0..64, got {value}")
    return value


def _int_literal(text):
    """An integer written in decimal or with a 0x / 0o / 0b prefix."""
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an integer: {text!r} (decimal, or hex with 0x)") from None


def _format_options():
    """Parent parser with the output-format options of gen and eval."""
    parent = argparse.ArgumentParser(add_help=False)
    ex = parent.add_mutually_exclusive_group()
    ex.add_argument("--frac", type=_frac, metavar="N",
                    help="output format int64 with X = round(value * 2^N), N "
                         "in 0..64 (the default format is int64 at frac 62; "
                         "spatial_hash is always uint32)")
    ex.add_argument("--float64", action="store_true",
                    help="IEEE binary64, correctly rounded")
    ex.add_argument("--float32", action="store_true",
                    help="IEEE binary32, correctly rounded")
    parent.add_argument("--object", action="store_true",
                       help="the exact integer X (dtype=object: never "
                            "overflows, |X| < 2^66) instead of int64; with "
                            "--frac (64: the canonical Q64.64)")
    return parent


def _resolve_format(parser, function, args):
    """The VectorFormat the options select, or a usage error."""
    chosen = args.float64 or args.float32 or args.frac is not None \
        or args.object
    if function == "spatial_hash":
        if chosen:
            parser.error("spatial_hash results are always uint32; --frac, "
                         "--object, --float64 and --float32 do not apply")
        return vectors.VectorFormat("uint32")
    if args.object and (args.float64 or args.float32):
        parser.error("--object selects an integer format; it cannot be "
                     "combined with --float64 or --float32")
    if args.float64 or args.float32:
        return vectors.VectorFormat("float64" if args.float64 else "float32")
    frac = 62 if args.frac is None else args.frac
    return vectors.VectorFormat("object" if args.object else "int64", frac)


def _add_gen(sub):
    p = sub.add_parser(
        "gen", parents=[_format_options()],
        help="write test vectors (inputs and correctly rounded results)",
        description="Write test vectors of FUNCTION, one per line, in the "
                    "grammar of docs/vectors.md: a header line, then "
                    "'<inputs> => <result>' in fixed-width hex. The inputs "
                    "are the hard cases, the worst cases (level 2) and COUNT "
                    "random inputs; results come from the compiled kernels. "
                    "The same arguments give the same file, byte for byte. "
                    + _FUNCTION_HELP + ".")
    p.add_argument("function", choices=vectors.FUNCTIONS, metavar="FUNCTION",
                   help="the function (see above)")
    p.add_argument("-n", dest="count", type=_nonnegative_int, default=10000,
                   metavar="COUNT",
                   help="random vectors, on top of the hard (and worst) "
                        "cases (default 10000)")
    p.add_argument("--seed", type=_nonnegative_int, default=1, metavar="S",
                   help="seed of the random inputs (default 1)")
    p.add_argument("--level", type=int, choices=(1, 2), default=1,
                   help="1: random inputs and the hard cases (boundaries, "
                        "quarter turns and neighbours, every option value); "
                        "2: also the hardest-to-round cases of "
                        "tests/data/worst_cases (default 1)")
    p.add_argument("-o", dest="output", metavar="FILE", default=None,
                   help="output file, written atomically (a temporary file "
                        "renamed into place: never half-written); default "
                        "or '-': standard output")
    p.add_argument("--worst-cases", metavar="DIR", default=None,
                   help="directory of the worst-case files for --level 2 "
                        "(default: tests/data/worst_cases of the source "
                        "tree)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (shown on stderr only when it is a "
                        "terminal)")
    p.set_defaults(parser=p)


def _add_verify(sub):
    p = sub.add_parser(
        "verify",
        help="compare another implementation's results with ours",
        description="Read a vector file holding another implementation's "
                    "results (the grammar of docs/vectors.md; the header "
                    "names the function and format) and compare each result "
                    "with the compiled kernels'. Each mismatch is printed "
                    "as '<inputs> => <got> expected: <expected>'; then the "
                    "worst error in ulps, the mismatches counted by the size "
                    "of their error and, last, 'N tests passed, M "
                    "failure(s)'. Exit status: 0 no mismatch, 1 mismatches, "
                    "2 an unreadable file or a malformed line (the message "
                    "names the line).")
    p.add_argument("file", metavar="FILE",
                   help="the vector file ('-': standard input)")
    p.add_argument("--errors", type=_nonnegative_int, default=20,
                   metavar="N",
                   help="stop after N mismatches (0: check the whole file; "
                        "default 20)")
    p.add_argument("--threads", type=_positive_int, default=None,
                   metavar="K",
                   help="threads of the kernels (default: all cores)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (shown on stderr only when it is a "
                        "terminal)")


# eval: the positional inputs of each function, and its keyword options.
_EVAL_OPTION_HELP = {
    "log2_c": "curvature c = 2^log2_c, -4..3 (default 0)",
    "eps": "regularisation eps / 2^64, 0..2^64-1 (default 0)",
    "d_r": "radial derivative order, 0 or 1 (default 0)",
    "rot": "rotation in sixteenths of a turn, 0..15 (default 0)",
    "d_theta": "angular derivative order, 0..3 (default 0)",
}
_EVAL_INPUT_HELP = {
    "R": "radius R / 2^64, 0..2^64-1",
    "T": "angle in turns T / 2^64, 0..2^64-1",
    "i": "row index, 0..2^32-1",
    "j": "column index, 0..2^32-1",
    "word": "64-bit seed word",
}


def _add_eval(sub):
    p = sub.add_parser(
        "eval", help="print one correctly rounded result (hex and decimal)",
        description="Evaluate one function at one input and print the "
                    "correctly rounded result: its field as in a vector "
                    "line (docs/vectors.md), then its decimal value (for "
                    "int64 and object, X and X / 2^frac). "
                    "Integers may be decimal or 0x hex. "
                    + _FUNCTION_HELP + ".")
    fsub = p.add_subparsers(dest="function", metavar="FUNCTION")
    fsub.required = True
    fmt_parent = _format_options()
    for function in vectors.FUNCTIONS:
        from poincare_q64.conformance import API_NAME, N_POSITIONAL
        names = vectors.INPUTS[function]
        npos = N_POSITIONAL[function]
        fp = fsub.add_parser(
            function, parents=[fmt_parent],
            help=f"{API_NAME[function]}({', '.join(names[:npos])}"
                 + (", *, " + ", ".join(names[npos:]) if names[npos:] else "")
                 + ")",
            description=f"Print {API_NAME[function]} at one input, "
                        "correctly rounded.")
        for name in names[:npos]:
            fp.add_argument(name, type=_int_literal,
                            help=_EVAL_INPUT_HELP[name])
        for name in names[npos:]:
            fp.add_argument(f"--{name}", type=_int_literal, default=0,
                            metavar="K", help=_EVAL_OPTION_HELP[name])
        fp.add_argument("--reference", action="store_true",
                        help="evaluate with poincare_q64.reference (slower, "
                             "independent) instead of the compiled kernels")
        fp.set_defaults(parser=fp)


def _run_gen(args):
    from poincare_q64 import conformance

    fmt = _resolve_format(args.parser, args.function, args)
    try:
        return conformance.run_gen(
            args.function, fmt, args.count, args.seed, args.level,
            args.output, args.worst_cases, progress=not args.no_progress)
    except (OSError, ValueError) as exc:  # also VectorSyntaxError
        print(f"poincare-q64 gen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        where = f"; {args.output} was not written" if args.output not in (
            None, "-") else ""
        print(f"poincare-q64 gen: interrupted{where}", file=sys.stderr)
        return 130


def _run_eval(args):
    from poincare_q64 import conformance

    fmt = _resolve_format(args.parser, args.function, args)
    inputs = tuple(getattr(args, name)
                   for name in vectors.INPUTS[args.function])
    try:
        result = conformance.evaluate_one(args.function, fmt, inputs,
                                          args.reference)
    except (ValueError, TypeError) as exc:
        args.parser.error(str(exc))
    print(conformance.describe(fmt, result))
    return 0


def main(argv=None):
    """Entry point of the ``poincare-q64`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # The reader went away (``poincare-q64 verify f | head``): stop
        # quietly, as a Unix filter does, and keep the interpreter from
        # complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _dispatch(args):
    if args.command == "selfcheck":
        return run_selfcheck(n=args.n, seed=args.seed, threads=args.threads,
                             max_errors=args.errors,
                             progress=not args.no_progress, only=args.only)
    if args.command == "gen":
        return _run_gen(args)
    if args.command == "verify":
        from poincare_q64 import conformance
        return conformance.run_verify(args.file, args.errors, args.threads,
                                      progress=not args.no_progress)
    if args.command == "eval":
        return _run_eval(args)
    return run_info()


if __name__ == "__main__":
    sys.exit(main())
