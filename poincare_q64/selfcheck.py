"""``poincare-q64 selfcheck``: the compiled kernels against the reference.

``selfcheck`` is the installed package's proof of health on the machine it was
built on.  It draws random inputs (and the fixed hard ones of
:mod:`poincare_q64.inputs`) for every public function, evaluates them through
the public API as vectorised calls on arrays, evaluates each element again
through the independent scalar reference (:mod:`poincare_q64.reference`) and
compares the two element by element, bit for bit, in every output format.
Each mismatch is printed as
``<function> [<format>] <inputs> => <got> expected: <expected>`` (the shape
TestFloat's ``testfloat_ver`` uses); the last line is
``N tests passed, M failure(s)`` and the exit status is 1 on any mismatch.

One "test" is one element compared in one output format.  When the reference
raises (OverflowError for int64 results that do not fit, ValueError for a seed
word with basis != 0 or a field out of range), the API must raise the same
exception class for that element: such elements are evaluated one at a time
(as length-1 arrays), because a vectorised call raises for the whole array.

What is checked comes from :mod:`poincare_q64.registry`: every value function
with a rounded result in every format of ``FORMATS``, the functions without
one (spatial_hash), the matrix functions (decode_matrix, decode_seed64: small
matrices of hard and random seeds in every format, each element against the
reference's matrix), then the seed and conversion functions.
"""
import math
import os
import struct
import sys
import time
from fractions import Fraction

import numpy as np

from poincare_q64 import inputs, registry
from poincare_q64.inputs import RandomBits

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


def _narrow_dtype(x):
    """The narrowest numpy integer dtype holding every value of input x:
    the API must accept any integer array whose values are in range, so the
    check passes inputs in dtypes other than the kernels' own."""
    return np.result_type(np.min_scalar_type(x.lo), np.min_scalar_type(x.hi - 1))


_ARG_DTYPES = {name: _narrow_dtype(x) for name, x in registry.INPUTS.items()}

#: The value functions with a rounded result, checked in every format.
VALUE_FUNCS = tuple(f for f in registry.FUNCTIONS.values()
                    if f.rounds and not f.is_matrix)
#: The matrix functions, checked on small matrices in every format.
MATRIX_FUNCS = tuple(f for f in registry.FUNCTIONS.values() if f.is_matrix)
# Sides of selfcheck's matrices: the reference computes every element
# (about a millisecond each), so a few elements per seed.
_MATRIX_SIDE = 4
# The other groups (spatial_hash, pack_seed64, unpack_seed64, to_q64, turns)
# each get this fraction of the random budget; their reference is cheap.
_SMALL_SHARE = 0.04

SEED_FIELDS = tuple(f.name for f in registry.SEED64_FIELDS)

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
    """A tqdm bar on stderr when wanted and stderr is a terminal, else
    nothing."""

    def __init__(self, total, enabled, stream):
        self.stream = stream
        self.bar = None
        if enabled:
            from tqdm import tqdm
            # disable=None: no bar when stderr is not a terminal.
            self.bar = tqdm(total=total, file=sys.stderr, unit="ref",
                            disable=None, leave=False, desc="selfcheck")

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
        return {"dtype": np.dtype(kind)}
    return {"frac": frac, "dtype": np.dtype(kind)}


def _fmt_label(kind, frac):
    return kind if frac is None else f"{kind}/{frac}"


def _api_call(pq, func, elems, fmt_kw, threads):
    """The vectorised public call for a list of elements."""
    fn = registry.FUNCTIONS[func]
    arrays = {name: np.array([e[name] for e in elems], dtype=_ARG_DTYPES[name])
              for name in fn.inputs}
    kw = {name: arrays[name] for name in fn.keyword_inputs}
    if fn.threads:
        kw["threads"] = threads
    return getattr(pq, func)(*(arrays[name] for name in fn.positional_inputs),
                             **kw, **fmt_kw)


def _ref_call(ref, func, e, kind, frac):
    fn = registry.FUNCTIONS[func]
    fk = {"dtype": np.dtype(kind)}
    if frac is not None:
        fk["frac"] = frac
    return _outcome(getattr(ref, func), *(e[n] for n in fn.positional_inputs),
                    **{n: e[n] for n in fn.keyword_inputs}, **fk)


def _bad_array(got, kind, n):
    """Why an API result is not an array of the requested dtype, or None."""
    if not isinstance(got, np.ndarray):
        return f"returned {type(got).__name__}, not an ndarray"
    if got.dtype != np.dtype(kind):
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


def check_matrix(pq, ref, func, seeds, threads, tally, progress):
    """A matrix function in every format: each element of the API's matrix
    against the reference's; a matrix the reference refuses (OverflowError,
    a basis other than 0) must be refused with the same exception."""
    fn = registry.FUNCTIONS[func]
    for kind, frac in FORMATS:
        label = _fmt_label(kind, frac)
        fmt_kw = _format_kwargs(kind, frac)
        for t in seeds:
            e = dict(zip(fn.inputs, t))
            pos = [e[name] for name in fn.positional_inputs]
            kw = {name: e[name] for name in fn.keyword_inputs}
            expected = _ref_call(ref, func, e, kind, frac)
            progress.update(t[fn.inputs.index("m")] * t[fn.inputs.index("n")])
            got = _outcome(getattr(pq, func), *pos, **kw, **fmt_kw,
                           threads=threads)
            where = show_inputs(e)
            if isinstance(expected, Raised) or isinstance(got, Raised):
                ok = same(kind, got, expected) and _overflow_message_ok(
                    func, frac, got)
                tally.record(func, label, ok, where, got, expected, kind)
                continue
            shape = (e["m"], e["n"])
            why = None
            if not isinstance(got, np.ndarray):
                why = f"returned {type(got).__name__}, not an ndarray"
            elif got.dtype != np.dtype(kind) or got.shape != shape:
                why = (f"returned {got.dtype} of shape {got.shape}, "
                       f"expected {kind} of shape {shape}")
            if why:
                tally.record(func, label, False, where, Raised(TypeError(why)),
                             expected.ravel()[0], kind)
                continue
            for (i, j), x in np.ndenumerate(expected):
                tally.record(func, label, same(kind, got[i, j], x),
                             f"{where} at (i, j) = ({i}, {j})", got[i, j], x,
                             kind)


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
    """Values fixed from outside the reference: the seed word of the
    README's example (0x7FFFF800000AFB6A) and its fields, packed, unpacked
    and converted from floats."""
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
GROUPS = (tuple(f.name for f in VALUE_FUNCS)
          + tuple(f.name for f in registry.FUNCTIONS.values() if not f.rounds)
          + tuple(f.name for f in MATRIX_FUNCS)
          + ("pack_seed64", "unpack_seed64", "to_q64", "turns",
             "known_answers"))


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
        Show a tqdm bar on stderr (when it is a terminal).
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
    b = RandomBits(seed)
    start = time.perf_counter()

    total_weight = sum(f.weight for f in VALUE_FUNCS)
    value_budget = n * (1 - 5 * _SMALL_SHARE)
    small = max(1, int(n * _SMALL_SHARE))

    def elements(fn, tuples):
        return [dict(zip(fn.inputs, t)) for t in tuples]

    # Draw everything first (so that the progress bar knows its total, and
    # so that --only does not change the inputs of the groups it keeps).
    plan = []
    for fn in VALUE_FUNCS:
        per_format = max(1, round(value_budget * fn.weight / total_weight
                                  / len(FORMATS)))
        hard = elements(fn, inputs.hard_inputs(fn.name)
                        + inputs.rejected_inputs(fn.name))
        for kind, frac in FORMATS:
            elems = elements(fn, (inputs.random_input(fn.name, b)
                                  for _ in range(per_format)))
            plan.append((fn.name, kind, frac, elems + hard))
    hash_pairs = [inputs.random_input("spatial_hash", b)
                  for _ in range(small)]
    hash_pairs += inputs.hard_inputs("spatial_hash")
    pack_fields = [inputs.random_seed_fields(b, basis=b.below(16))
                   for _ in range(small)]
    for field in registry.SEED64_FIELDS:
        # the ends of the field's range and one beyond each
        for v in (field.lo, field.hi - 1, field.lo - 1, field.hi):
            f = dict.fromkeys(SEED_FIELDS, 0)
            f[field.name] = v
            pack_fields.append(f)
    words = [b.bits(64) for _ in range(small)] + [0, TWO64 - 1]
    q64_xs = [b.random() for _ in range(small)] + [
        0.0, -0.0, 2.0**-65, 3 * 2.0**-65, 2.0**-66, 0.5, 1 - 2.0**-53,
        1 - 2.0**-64, Fraction(1, 3), Fraction(2**64 - 1, 2**64), 1.0, -1e-300,
        float("nan"), float("inf")]
    turn_xs = [b.uniform(-100, 100) for _ in range(small)] + [
        0.0, -0.0, math.pi, -math.pi, math.pi / 2, 2 * math.pi, 1e-300,
        -5e-324, 1e15, 1e300, Fraction(355, 113), 7, float("nan")]

    # Matrices: the hard seeds (what makes them hard is the seed: their
    # shapes are cut to 2 x 2) and random seeds with sides up to
    # _MATRIX_SIDE (drawn last, so that the inputs of the other groups are
    # those of earlier versions for the same seed).
    matrix_seeds = {}
    for fn in MATRIX_FUNCS:
        m_at, n_at = (fn.inputs.index(k) for k in fn.shape_inputs)
        chosen = []
        for t in inputs.hard_inputs(fn.name) + inputs.rejected_inputs(fn.name):
            t = list(t)
            t[m_at], t[n_at] = min(t[m_at], 2), min(t[n_at], 2)
            if tuple(t) not in chosen:
                chosen.append(tuple(t))
        for _ in range(max(1, small // 40)):
            t = list(inputs.random_input(fn.name, b))
            t[m_at] = 1 + b.below(_MATRIX_SIDE)
            t[n_at] = 1 + b.below(_MATRIX_SIDE)
            chosen.append(tuple(t))
        matrix_seeds[fn.name] = chosen

    def matrix_check(name):
        return lambda bar: check_matrix(pq, ref, name, matrix_seeds[name],
                                        threads, tally, bar)

    def matrix_elements(name):
        fn = registry.FUNCTIONS[name]
        m_at, n_at = (fn.inputs.index(k) for k in fn.shape_inputs)
        return range(len(FORMATS) * sum(t[m_at] * t[n_at]
                                        for t in matrix_seeds[name]))

    plan = [p for p in plan if p[0] in wanted]
    others = [
        ("spatial_hash", hash_pairs,
         lambda bar: check_spatial_hash(pq, ref, hash_pairs, tally, bar)),
        *((fn.name, matrix_elements(fn.name), matrix_check(fn.name))
          for fn in MATRIX_FUNCS),
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

