"""Conformance tools behind ``poincare-q64 gen``, ``verify`` and ``eval``.

poincare_q64 is a golden reference: another implementation of the contract
(docs/spec.md) is checked against it the way Berkeley TestFloat checks a
floating-point unit.  ``gen`` writes test vectors (inputs and our correctly
rounded results, in the line grammar of :mod:`poincare_q64.vectors`); the
other implementation reads the inputs and writes its own results in the same
grammar; ``verify`` compares them with ours and prints every mismatch as
``<inputs> => <got> expected: <expected>``.  docs/conformance.md shows the
whole round trip.

Which path computes "ours"
--------------------------
``gen`` and ``verify`` use the compiled kernels (the public API): they are
the library's answer and fast.  The committed golden files under
``tests/data/vectors`` are made by ``tests/data/make_vectors.py`` with the
same inputs but with :mod:`poincare_q64.reference` as the evaluator, and the
test suite verifies the kernels against them.  ``eval --reference`` uses the
reference too.

Matrix functions
----------------
A vector of ``decode_matrix`` or ``decode_seed64`` is one seed and a shape;
its result is the SHA-256 of the whole matrix
(:func:`poincare_q64.vectors.matrix_digest`), so ``verify`` compares
matrices, one per line.  :func:`element_lines` writes the matrix behind a
digest as a vector file of its element function (``rbe``, ``seed64``), one
element per line, which ``verify`` checks element by element
(``poincare-q64 eval decode_matrix ... --elements``).

Inputs
------
:class:`VectorInputs` gives, in this order: the hard cases (every level), the
worst cases of ``poincare_q64/data/worst_cases/<function>.txt`` (level 2), then
``count`` random inputs.  The random inputs come from :class:`RandomBits`,
which uses only :meth:`random.Random.random`, the one method whose sequence
Python guarantees for a given seed across versions; so the same seed gives
the same file, byte for byte, on any machine (for one version of this
package, whose version is in the header).
"""
import collections
import contextlib
import itertools
import os
import sys
from fractions import Fraction

import numpy as np

from poincare_q64 import registry, vectors as V
from poincare_q64.inputs import RandomBits, hard_inputs, random_input
from poincare_q64.vector_files import worst_case_inputs, write_atomic

# Vectors evaluated per call of the compiled kernels (and per progress step).
CHUNK = 8192

#: Longest line ``verify`` reads (characters, without the newline).  The
#: longest vector line is a few hundred characters; a longer line means the
#: file is not a vector file (``verify /dev/zero``), and reading it whole
#: could exhaust the memory.
MAX_LINE = 1 << 16

#: Most elements of one matrix vector that ``verify`` decodes (2^24: a
#: 4096 x 4096 matrix, 128 MiB as int64).  The grammar allows shapes up to
#: (2^32 - 1) x (2^32 - 1), beyond any memory; ``gen`` writes at most
#: 1024 x 1024.  A larger matrix is refused as a malformed line (exit 2),
#: never an allocation failure halfway through the file.
MAX_MATRIX_ELEMENTS = 1 << 24




class VectorInputs:
    """All inputs of a vector file: hard, worst (level 2), then random.

    A sized, re-iterable sequence: the fixed cases are held in a list, the
    ``count`` random inputs are drawn lazily on each iteration (from a fresh
    :class:`RandomBits`), so a file of millions of vectors needs no memory
    for its inputs, and iterating twice gives the same inputs.

    Parameters
    ----------
    function : str
        One of ``vectors.FUNCTIONS``.
    count : int
        Number of random inputs.
    seed : int
        Seed of the random inputs (>= 0).
    level : {1, 2}
        2 adds the worst cases; their file is read here, so a missing or
        malformed one fails before anything is written.  For a matrix
        function 2 also means larger shapes (hard and random; there are no
        worst-case files of matrices).
    worst_dir : path-like, optional
        Directory of the worst-case files (default
        :func:`poincare_q64.vector_files.default_worst_case_dir`).

    Examples
    --------
    >>> a = VectorInputs("angular", 5, seed=3)
    >>> list(a) == list(VectorInputs("angular", 5, seed=3))
    True
    >>> len(a) - len(hard_inputs("angular"))
    5
    """

    def __init__(self, function, count, seed, level=1, worst_dir=None):
        if function not in V.INPUTS:
            raise ValueError(f"unknown function {function!r}")
        self.function, self.count, self.seed = function, count, seed
        if level not in (1, 2):
            raise ValueError(f"level must be 1 or 2, got {level}")
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        RandomBits(seed)  # checks the seed now rather than mid-iteration
        self.level = level
        self.fixed = hard_inputs(function, level)
        if level == 2:
            self.fixed += worst_case_inputs(function, worst_dir)

    def __len__(self):
        return len(self.fixed) + self.count

    def __iter__(self):
        yield from self.fixed
        b = RandomBits(self.seed)
        for _ in range(self.count):
            yield random_input(self.function, b, self.level)


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------

def _call_args(fn, inputs):
    """(positional arrays, keyword arrays) of the public call for inputs."""
    cols = [np.array([v[k] for v in inputs],
                     dtype=registry.INPUTS[name].dtype)
            for k, name in enumerate(fn.inputs)]
    return (cols[:fn.positional],
            dict(zip(fn.keyword_inputs, cols[fn.positional:])))


def _format_kwargs(fmt):
    if fmt.kind in ("int64", "object"):
        return {"frac": fmt.frac, "dtype": np.dtype(fmt.kind)}
    return {"dtype": np.dtype(fmt.kind)}


def _digests(fn, fmt, inputs, func, **extra):
    """The digest (or OVERFLOW) of the matrix of each input, by ``func``
    (the public matrix function or the reference's)."""
    fk = _format_kwargs(fmt)
    out = []
    for v in inputs:
        kw = dict(zip(fn.keyword_inputs, v[fn.positional:]))
        try:
            W = func(*v[:fn.positional], **kw, **fk, **extra)
        except OverflowError:
            if fmt.kind != "int64":
                raise
            out.append(V.OVERFLOW)
            continue
        out.append(V.matrix_digest(W, fmt))
    return out


def evaluate(function, fmt, inputs, threads=None):
    """Results of the compiled kernels (the public API) for a list of inputs.

    Parameters
    ----------
    function : str
    fmt : poincare_q64.vectors.VectorFormat
    inputs : list of tuple
    threads : int, optional
        For the functions that take ``threads`` (registry: ``Function.threads``;
        default: all cores).

    Returns
    -------
    list
        One result per input, as :func:`poincare_q64.vectors.format_result`
        takes it: ints, float bits, a matrix's digest or ``OVERFLOW``.

    Examples
    --------
    >>> evaluate("radial", V.VectorFormat("int64", 62), [(0, 0, 0, 1), (1 << 63, 0, 0, 0)])
    ['overflow', 3689348814741910323]
    >>> evaluate("decode_matrix", V.VectorFormat("int64", 62),
    ...          [(0, 1 << 62, 2, 2, 0, 0, 1, 0, 0)])   # g' = 2: |f| >= 1.8
    ['overflow']
    """
    import poincare_q64 as pq

    if not inputs:
        return []
    fn = registry.function(function)
    if fn.is_matrix:
        return _digests(fn, fmt, inputs, getattr(pq, fn.name), threads=threads)
    pos, kw = _call_args(fn, inputs)
    func = getattr(pq, fn.name)
    if not fn.rounds:
        return func(*pos).tolist()
    if fn.threads:
        kw["threads"] = threads
    kind = fmt.kind
    if kind == "int64":
        try:
            return func(*pos, **kw, frac=fmt.frac, dtype=np.int64).tolist()
        except OverflowError:
            # Some element does not fit: the exact integers say which
            # (dtype=object gives the same X wherever int64 has it).
            xs = func(*pos, **kw, frac=fmt.frac, dtype=object).tolist()
            return [x if -(1 << 63) <= x < 1 << 63 else V.OVERFLOW
                    for x in xs]
    if kind == "object":
        return func(*pos, **kw, frac=fmt.frac, dtype=object).tolist()
    out = func(*pos, **kw, dtype=np.dtype(kind))
    return out.view(np.uint64 if kind == "float64" else np.uint32).tolist()


def evaluate_reference(function, fmt, inputs):
    """Results of :mod:`poincare_q64.reference` (same form as :func:`evaluate`).

    Examples
    --------
    >>> evaluate_reference("angular", V.VectorFormat("float64"), [(1 << 62, 0, 0)])
    [4607182418800017408]
    """
    from poincare_q64 import reference as ref

    out = []
    fn = registry.function(function)
    npos = fn.positional
    func = getattr(ref, fn.name)
    if fn.is_matrix:
        return _digests(fn, fmt, inputs, func)
    for v in inputs:
        if not fn.rounds:
            out.append(func(*v))
            continue
        kw = dict(zip(fn.keyword_inputs, v[npos:]))
        if fmt.frac is not None:
            kw["frac"] = fmt.frac
        try:
            x = func(*v[:npos], **kw, dtype=np.dtype(fmt.kind))
        except OverflowError:
            if fmt.kind != "int64":
                raise
            out.append(V.OVERFLOW)
            continue
        if fmt.kind in ("float64", "float32"):
            x = V.float_bits(x, fmt.kind)
        out.append(int(x))  # a Python int, as evaluate gives
    return out


# --------------------------------------------------------------------------
# gen
# --------------------------------------------------------------------------

def generate_lines(function, fmt, inputs, evaluator=None, comments=(),
                   progress=None, chunk=None):
    """The lines of a vector file (without newlines), lazily.

    Parameters
    ----------
    function : str
    fmt : VectorFormat
    inputs : iterable of tuple
    evaluator : callable, optional
        ``evaluator(function, fmt, inputs_chunk) -> results``:
        :func:`evaluate` (the kernels, the default) or
        :func:`evaluate_reference`.
    comments : iterable of str
        Extra comment lines (without ``#``) after the header.
    progress : object with ``update(n)``, optional
    chunk : int, optional
        Inputs evaluated per evaluator call (default ``CHUNK``).

    Yields
    ------
    str
        The header, the column names, the comments, then one vector per
        input.

    Examples
    --------
    >>> for line in generate_lines("angular", V.VectorFormat("float64"),
    ...                            [(1 << 62, 0, 0), (0, 0, 2)]):
    ...     print(line)  # doctest: +ELLIPSIS
    # poincare_q64 test vectors: function=angular format=float64 version=...
    # T rot d_theta => X
    4000000000000000 0 0 => 3ff0000000000000
    0000000000000000 0 2 => 0000000000000000
    """
    import poincare_q64

    fmt = V.parse_format(fmt.name, function)  # refuses a wrong pairing
    evaluator = evaluator or evaluate
    chunk = chunk or CHUNK
    # The count goes in the header whenever it is known before the first
    # vector (a sized sequence such as VectorInputs): verify compares it
    # with the vectors it reads, so a truncated results file fails.
    count = len(inputs) if hasattr(inputs, "__len__") else None
    yield V.header_line(function, fmt, poincare_q64.__version__, count)
    yield V.column_line(function, fmt)
    for c in comments:
        yield f"# {c}"
    it = iter(inputs)
    while True:
        part = list(itertools.islice(it, chunk))
        if not part:
            break
        for v, res in zip(part, evaluator(function, fmt, part)):
            yield V.format_line(function, fmt, v, res)
        if progress is not None:
            progress.update(len(part))


# --------------------------------------------------------------------------
# verify
# --------------------------------------------------------------------------

def _ordinal(bits, width):
    """Float bits -> integer that orders like the floats (+-0 both 0)."""
    sign = bits >> (width - 1)
    mag = bits & ((1 << (width - 1)) - 1)
    return -mag if sign else mag


def _is_nan(bits, width):
    exp_bits = 11 if width == 64 else 8
    mant = bits & ((1 << (width - 1 - exp_bits)) - 1)
    return (bits >> (width - 1 - exp_bits)) & ((1 << exp_bits) - 1) == \
        (1 << exp_bits) - 1 and mant != 0


def ulp_error(fmt, got, expected):
    """Distance of a result from the correctly rounded one, in ulps.

    For the integer formats an ulp is 2^-frac, so the error is
    ``|got - expected|``.  For the float formats it is the number of
    representable values from one to the other (so a result one float away
    is 1 ulp; +0.0 and -0.0 are 0 ulp apart although their bits differ).
    None when no distance applies: ``overflow`` on either side, a NaN, a
    hash (uint32) or a matrix's digest.

    Examples
    --------
    >>> ulp_error(V.VectorFormat("int64", 62), 5, 3)
    2
    >>> ulp_error(V.VectorFormat("float64"), 0x3ff0000000000001, 0x3fefffffffffffff)
    2
    >>> ulp_error(V.VectorFormat("float32"), 0x80000001, 0x00000001)
    2
    """
    if V.OVERFLOW in (got, expected) or isinstance(got, str) \
            or isinstance(expected, str):
        return None
    if fmt.kind in ("int64", "object"):
        return abs(got - expected)
    if fmt.kind in ("float64", "float32"):
        width = 64 if fmt.kind == "float64" else 32
        if _is_nan(got, width) or _is_nan(expected, width):
            return None
        return abs(_ordinal(got, width) - _ordinal(expected, width))
    return None


def _ulp_unit(fmt):
    if fmt.kind in ("int64", "object"):
        return f"ulp = 2^-{fmt.frac}"
    return f"ulp of {fmt.kind}"


class VerifyReport:
    """Counts of a verify run (also what ``run_verify`` prints).

    ``sizes`` counts the mismatches by the size of their error in ulps,
    in the classes of ``ERROR_CLASSES``: one worst error alone can hide what
    most mismatches look like (a single wrong sign near zero is a huge
    number of ulps).
    """

    def __init__(self, function, fmt):
        self.function = function
        self.format = fmt
        self.passed = 0
        self.failed = 0
        self.worst = None          # (ulps, lineno)
        self.sizes = collections.Counter()
        self.no_distance = 0       # mismatches without an ulp distance
        self.stopped = False
        self.first_mismatch = None  # (lineno, inputs) of the first mismatch
        self.header_count = None   # the header's count=N, if it has one

    @property
    def checked(self):
        """The vectors compared so far."""
        return self.passed + self.failed

    def count_problem(self, allow_empty=False):
        """Why the number of vectors read is wrong, or None.

        A results file with fewer vectors than its header's ``count=N`` is
        what a harness that crashed halfway leaves behind, and a file with
        no vectors at all checks nothing: either would otherwise pass.
        Not judged after a stop at ``--errors`` (the rest was not read).

        Examples
        --------
        >>> r = VerifyReport("rbe", V.VectorFormat("int64", 62))
        >>> r.passed, r.header_count = 46, 10108
        >>> r.count_problem()
        'the header says count=10108 but the file holds 46 vectors: it looks truncated'
        """
        if self.stopped:
            return None
        n = self.checked
        if self.header_count is not None and n != self.header_count:
            how = ("it looks truncated" if n < self.header_count else
                   "more than the header announces (files joined, or a "
                   "vector written twice?)")
            return (f"the header says count={self.header_count} but the "
                    f"file holds {n} vector{'s' * (n != 1)}: {how}")
        if n == 0 and not allow_empty:
            return ("the file holds no vectors, so nothing was checked "
                    "(--allow-empty accepts such a file)")
        return None


def _metered(fh, bar):
    """Iterate over a file's lines, advancing a byte-counting bar."""
    pending = 0
    for n, line in enumerate(fh, 1):
        pending += len(line)
        if n % 4096 == 0:
            bar.update(pending)
            pending = 0
        yield line
    bar.update(pending)


def _bounded_lines(stream, limit=None):
    """The lines of a text stream, each read with at most ``limit``
    characters (default :data:`MAX_LINE`) besides its newline.

    Raises
    ------
    poincare_q64.vectors.VectorSyntaxError
        A line is longer (named by its number), before more of it is read.
    """
    limit = MAX_LINE if limit is None else limit
    for lineno in itertools.count(1):
        # limit + 2 leaves room for the line's newline and one character
        # more, which tells a line at the limit from a longer one.
        line = stream.readline(limit + 2)
        if not line:
            return
        if len(line.rstrip("\n")) > limit:
            raise V.VectorSyntaxError(
                lineno, f"longer than {limit} characters (not a vector "
                "file?)")
        yield line


def verify(lines, max_errors=20, out=None, threads=None):
    """Compare another implementation's vector lines with our results.

    Parameters
    ----------
    lines : iterable of str
        A vector file (header first) holding the other implementation's
        results.
    max_errors : int
        Stop after this many mismatches (0: never stop).
    out : file, optional
        Where mismatch lines and the summary go (default sys.stdout).
    threads : int, optional
        Threads of the kernels.

    Returns
    -------
    VerifyReport

    Raises
    ------
    poincare_q64.vectors.VectorSyntaxError
        A malformed line, after the vectors before it were checked and their
        mismatches printed.

    Examples
    --------
    >>> report = verify([
    ...     "# poincare_q64 test vectors: function=spatial_hash "
    ...     "format=uint32 version=0.1.0",
    ...     "00000005 00000007 => c252a358",
    ...     "00000005 00000008 => ff94c6c0"])
    00000005 00000008 => ff94c6c0 expected: ff94c6c1
    >>> report.passed, report.failed
    (1, 1)
    """
    out = out or sys.stdout
    header, vecs = V.read_vectors(lines)
    function, fmt = header.function, header.format
    report = VerifyReport(function, fmt)
    report.header_count = header.count
    fn = registry.function(function)
    if fn.is_matrix:
        vecs = _decodable(fn, vecs)
    for part in _chunks(vecs, CHUNK):
        expected = evaluate(function, fmt, [v.inputs for v in part], threads)
        for v, exp in zip(part, expected):
            got = v.result
            if got == exp:
                report.passed += 1
                continue
            report.failed += 1
            if report.first_mismatch is None:
                report.first_mismatch = (v.lineno, v.inputs)
            print(f"{V.format_inputs(function, v.inputs)} {V.ARROW} "
                  f"{V.format_result(fmt, got, function)} expected: "
                  f"{V.format_result(fmt, exp, function)}", file=out)
            err = ulp_error(fmt, got, exp)
            if err is None:
                report.no_distance += 1
            else:
                report.sizes[_error_class(err)] += 1
                if report.worst is None or err > report.worst[0]:
                    report.worst = (err, v.lineno)
            if max_errors and report.failed >= max_errors:
                report.stopped = True
                return report
    return report


def _decodable(fn, vectors):
    """The vectors of a matrix function, refusing a shape of more than
    :data:`MAX_MATRIX_ELEMENTS` elements as a malformed line."""
    im, in_ = (fn.inputs.index(name) for name in fn.shape_inputs)
    for v in vectors:
        m, n = v.inputs[im], v.inputs[in_]
        if m * n > MAX_MATRIX_ELEMENTS:
            raise V.VectorSyntaxError(
                v.lineno, f"a {m} x {n} matrix ({m * n} elements) is more than "
                f"verify decodes (2^{MAX_MATRIX_ELEMENTS.bit_length() - 1} "
                "elements per vector)")
        yield v


def _chunks(vectors, size):
    """Lists of up to ``size`` vectors from an iterator of parsed vectors.

    A malformed line ends the list it falls in: that list is yielded first,
    so the vectors before the line are checked (as TestFloat would have
    checked them line by line), and the error is raised at the next step.
    """
    while True:
        part = []
        try:
            for v in vectors:
                part.append(v)
                if len(part) == size:
                    break
        except V.VectorSyntaxError:
            if part:
                yield part
            raise
        if not part:
            return
        yield part


#: Classes of errors (lower bound, label) for verify's summary: 0 ulp is a
#: zero of the wrong sign; 2^64 ulp and more only happen to floats whose
#: sign or binade is wrong.
ERROR_CLASSES = ((0, "0"), (1, "1"), (2, "2-3"), (4, "4-15"),
                 (16, "16-255"), (1 << 8, "2^8-2^16"), (1 << 16, "2^16-2^32"),
                 (1 << 32, ">=2^32"))


def _error_class(err):
    return max(k for k, (lo, _) in enumerate(ERROR_CLASSES) if err >= lo)


def print_summary(report, out=None, max_errors=20):
    """Print verify's closing lines, the last ``N tests passed, M failure(s)``.

    Examples
    --------
    >>> r = VerifyReport("rbe", V.VectorFormat("int64", 62))
    >>> r.passed, r.failed, r.worst = 7, 3, (5, 12)
    >>> r.sizes.update({1: 2, 3: 1})
    >>> print_summary(r)
    worst error: 5 ulp (ulp = 2^-62) at line 12
    mismatches by error in ulp: 1: 2, 4-15: 1
    7 tests passed, 3 failure(s)
    """
    out = out or sys.stdout
    fmt = report.format
    if report.worst is not None:
        print(f"worst error: {report.worst[0]} ulp ({_ulp_unit(fmt)}) at "
              f"line {report.worst[1]}", file=out)
        print("mismatches by error in ulp: " + ", ".join(
            f"{ERROR_CLASSES[k][1]}: {report.sizes[k]}"
            for k in sorted(report.sizes)), file=out)
    if report.no_distance:
        print(f"{report.no_distance} mismatch(es) without an ulp distance "
              "(overflow, NaN, hash or matrix digest)", file=out)
    if report.first_mismatch is not None and report.function in V.MATRIX:
        lineno, inputs = report.first_mismatch
        print(f"first mismatching matrix: line {lineno}; its elements, as "
              f"{_element_name(report.function)} vectors to put yours in and "
              "verify: poincare-q64 "
              + eval_command(report.function, fmt, inputs) + " --elements",
              file=out)
    if report.stopped:
        print(f"stopped after {max_errors} failure(s) (--errors {max_errors});"
              " the rest of the file was not checked", file=out)
    print(f"{report.passed} tests passed, {report.failed} failure(s)",
          file=out)


def run_verify(path, max_errors=20, threads=None, progress=True, out=None,
               err=None, allow_empty=False):
    """``poincare-q64 verify``: returns the exit status (0, 1 or 2).

    0: every vector matches; 1: at least one mismatch; 2: the file cannot
    be read or a line is malformed (the message names the line), which
    includes a line longer than :data:`MAX_LINE` characters, or the file
    holds another number of vectors than its header's ``count=N`` says, or
    none at all (unless ``allow_empty``).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    bar = None
    try:
        if path == "-":
            fh = contextlib.nullcontext(sys.stdin)
            size = None
        else:
            fh = open(path, encoding="ascii", errors="strict", newline=None)
            size = os.path.getsize(path)
    except OSError as exc:
        print(f"poincare-q64 verify: {exc}", file=err)
        return 2
    with fh as stream:
        lines = _bounded_lines(stream)
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=size, unit="B", unit_scale=True, file=sys.stderr,
                       disable=None, leave=False, desc="verify")
            lines = _metered(lines, bar)
        try:
            report = verify(lines, max_errors, out, threads)
        except V.VectorSyntaxError as exc:
            print(f"poincare-q64 verify: {path}: {exc}", file=err)
            return 2
        except UnicodeDecodeError as exc:
            print(f"poincare-q64 verify: {path}: not an ASCII text file "
                  f"({exc.reason} at byte {exc.start})", file=err)
            return 2
        finally:
            if bar is not None:
                bar.close()
    print_summary(report, out, max_errors)
    problem = report.count_problem(allow_empty)
    if problem is not None:
        print(f"poincare-q64 verify: {path}: {problem}", file=err)
        return 2
    return 1 if report.failed else 0


# --------------------------------------------------------------------------
# gen and eval
# --------------------------------------------------------------------------

def format_flags(fmt):
    """The command-line options that select ``fmt``.

    Examples
    --------
    >>> format_flags(V.VectorFormat("object", 64)), format_flags(V.VectorFormat("float32"))
    ('--object --frac 64', '--float32')
    """
    if fmt.kind == "int64":
        return f"--frac {fmt.frac}"
    if fmt.kind == "object":
        return f"--object --frac {fmt.frac}"
    if fmt.kind in ("float64", "float32"):
        return f"--{fmt.kind}"
    return ""


def run_gen(function, fmt, count, seed, level=1, output=None, worst_dir=None,
            progress=True, out=None):
    """``poincare-q64 gen``: write a vector file; returns the exit status.

    Expected results come from the compiled kernels.  With ``output`` the
    file is written atomically (:func:`write_atomic`); without it (or with
    ``-``) the lines go to ``out`` (default sys.stdout).
    """
    inputs = VectorInputs(function, count, seed, level, worst_dir)
    flags = " ".join(x for x in (function, format_flags(fmt), f"-n {count}",
                                 f"--seed {seed}", f"--level {level}") if x)
    comments = [f"made by: poincare-q64 gen {flags}",
                "expected results: the compiled kernels of poincare_q64"]
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(inputs), file=sys.stderr, disable=None,
                   leave=False, unit="vec", desc=f"gen {function}")
    try:
        lines = generate_lines(function, fmt, inputs, evaluate, comments, bar)
        if output is None or output == "-":
            stream = out or sys.stdout
            for line in lines:
                stream.write(line + "\n")
            stream.flush()
        else:
            write_atomic(output, lines)
    finally:
        if bar is not None:
            bar.close()
    return 0


def evaluate_one(function, fmt, inputs, use_reference=False):
    """One correctly rounded result, from the kernels or the reference.

    Raises
    ------
    ValueError
        An input out of range (the message names it), or a seed word with
        basis != 0.

    Examples
    --------
    >>> evaluate_one("radial", V.VectorFormat("object", 0), (1 << 63, 0, 0, 0))
    1
    >>> evaluate_one("radial", V.VectorFormat("int64", 62), (0, 0, 0, 1))
    'overflow'
    """
    V.format_inputs(function, inputs)  # range checks, naming the input
    if use_reference:
        return evaluate_reference(function, fmt, [tuple(inputs)])[0]
    return evaluate(function, fmt, [tuple(inputs)])[0]


def describe(fmt, result):
    """``<result field> <decimal>``, as ``poincare-q64 eval`` prints it.

    For the integer formats the decimal is X itself, followed by the value
    it stands for, X / 2^frac, to 17 significant digits.

    Examples
    --------
    >>> describe(V.VectorFormat("float64"), 0x3fe999999999999a)
    '3fe999999999999a 0.8'
    >>> describe(V.VectorFormat("int64", 62), -(1 << 61))
    'e000000000000000 -2305843009213693952 (X / 2^62 = -0.5)'
    """
    token = V.format_result(fmt, result)
    if result == V.OVERFLOW:
        return (f"{token} (X does not fit int64 at frac {fmt.frac}; "
                "--object gives the exact integer)")
    if fmt.kind == "float64":
        return f"{token} {V.bits_float(result, 'float64')!r}"
    if fmt.kind == "float32":
        return f"{token} {np.float32(V.bits_float(result, 'float32'))}"
    if fmt.kind == "uint32":
        return f"{token} {result}"
    value = float(Fraction(result, 1 << fmt.frac))
    return f"{token} {result} (X / 2^{fmt.frac} = {value:.17g})"


# --------------------------------------------------------------------------
# Matrices: the elements behind a digest
# --------------------------------------------------------------------------

def _element_name(function):
    """The vector name of a matrix function's element function."""
    return registry.FUNCTIONS[registry.function(function).element].vector_name


def eval_command(function, fmt, inputs):
    """The ``eval`` command line (without ``poincare-q64``) for one vector.

    Examples
    --------
    >>> eval_command("decode_seed64", V.VectorFormat("float32"), (5, 2, 3, 0))
    'eval decode_seed64 0x5 2 3 --eps 0x0 --float32'
    """
    fn = registry.function(function)
    parts = ["eval", fn.name]
    for name, v in zip(fn.inputs, inputs):
        # Decimal unless it would be as long as the vector field, which eval
        # reads as hex (or refuses as ambiguous): then 0x.
        x = registry.INPUTS[name]
        text = f"{v:#x}" if x.width == 16 or (
            not x.signed and len(str(v)) >= x.width > 1) else str(v)
        parts.append(text if name in fn.positional_inputs
                     else f"--{name} {text}")
    flags = format_flags(fmt)
    return " ".join(parts + ([flags] if flags else []))


def matrix_elements(function, fmt, inputs, use_reference=False, threads=None):
    """The elements of a matrix vector: ``(element inputs, result)`` pairs.

    Parameters
    ----------
    function : str
        A matrix function (``decode_matrix``, ``decode_seed64``).
    fmt : VectorFormat
    inputs : tuple of int
        One vector's inputs (the seed and m, n).
    use_reference : bool
        Decode with :mod:`poincare_q64.reference` (slow) instead of the
        compiled kernels.
    threads : int, optional
        Threads of the kernels.

    Returns
    -------
    list of (tuple, object)
        In row-major order: the inputs of the element function (the shape
        replaced by the indices i, j) and the element as
        :func:`poincare_q64.vectors.format_result` takes it (``OVERFLOW``
        for an int64 element that does not fit).

    Examples
    --------
    >>> matrix_elements("decode_matrix", V.VectorFormat("int64", 62),
    ...                 (1 << 63, 0, 1, 2, 0, 0, 0, 0, 0))
    [((9223372036854775808, 0, 0, 0, 0, 0, 0, 0, 0), 0), ((9223372036854775808, 0, 0, 1, 0, 0, 0, 0, 0), 0)]
    """
    import poincare_q64 as pq
    from poincare_q64 import reference as ref

    fn = registry.function(function)
    if not fn.is_matrix:
        raise ValueError(f"{function} is not a matrix function")
    V.format_inputs(fn.vector_name, inputs)  # range checks, naming the input
    func = getattr(ref if use_reference else pq, fn.name)
    extra = {} if use_reference else {"threads": threads}
    pos = inputs[:fn.positional]
    kw = dict(zip(fn.keyword_inputs, inputs[fn.positional:]))
    fk = _format_kwargs(fmt)
    try:
        W = func(*pos, **kw, **fk, **extra)
        values = (V.float_bits(x, fmt.kind) for x in W.ravel()) \
            if fmt.kind in ("float64", "float32") else \
            (int(x) for x in W.ravel())
    except OverflowError:
        if fmt.kind != "int64":
            raise
        # the exact integers say which elements do not fit
        W = func(*pos, **kw, frac=fmt.frac, dtype=object, **extra)
        values = (int(x) if -(1 << 63) <= x < 1 << 63 else V.OVERFLOW
                  for x in W.ravel())
    m_at, n_at = (fn.inputs.index(k) for k in fn.shape_inputs)
    m, n = inputs[m_at], inputs[n_at]
    out = []
    for (i, j), x in zip(((i, j) for i in range(m) for j in range(n)),
                         values):
        e = list(inputs)
        e[m_at], e[n_at] = i, j
        out.append((tuple(e), x))
    return out


def element_lines(function, fmt, inputs, use_reference=False, threads=None):
    """The matrix behind a digest, as a vector file of its element function.

    The lines of an ``rbe`` (``decode_matrix``) or ``seed64``
    (``decode_seed64``) vector file, one element per line in row-major
    order, with the digest and the command in comments: ``verify`` checks
    it element by element, and another implementation's elements put in
    place of ours show where two matrices differ.

    Examples
    --------
    r = 1/2 and half a turn (the theta field 2^23): sin = 0, every element
    is +0.0:

    >>> word = (1 << 19) << 44 | (1 << 23) << 20
    >>> for line in element_lines("decode_seed64", V.VectorFormat("float64"),
    ...                           (word, 1, 2, 0)):
    ...     print(line)  # doctest: +ELLIPSIS
    # poincare_q64 test vectors: function=seed64 format=float64 version=...
    # word i j eps => X
    # the 1 x 2 matrix of: poincare-q64 eval decode_seed64 0x8000080000000000 1 2 --eps 0x0 --float64
    # SHA-256 of the matrix (docs/vectors.md): 374708fff7719dd5979ec875d56cd2286f6d3cf7ec317a3b25632aab28ec37bb
    8000080000000000 00000000 00000000 0000000000000000 => 0000000000000000
    8000080000000000 00000000 00000001 0000000000000000 => 0000000000000000

    (the digest is ``hashlib.sha256(bytes(16)).hexdigest()``: two +0.0).
    """
    import poincare_q64

    fn = registry.function(function)
    el = _element_name(function)
    elements = matrix_elements(function, fmt, inputs, use_reference, threads)
    digest = evaluate_reference(fn.vector_name, fmt, [inputs])[0] \
        if use_reference else evaluate(fn.vector_name, fmt, [inputs],
                                       threads)[0]
    m, n = (inputs[fn.inputs.index(k)] for k in fn.shape_inputs)
    yield V.header_line(el, fmt, poincare_q64.__version__, len(elements))
    yield V.column_line(el, fmt)
    yield (f"# the {m} x {n} matrix of: poincare-q64 "
           + eval_command(function, fmt, inputs))
    yield f"# SHA-256 of the matrix (docs/vectors.md): {digest}"
    for e, x in elements:
        yield V.format_line(el, fmt, e, x)


def describe_matrix(function, fmt, inputs, digest):
    """``eval``'s line for a matrix function: the digest and what it is.

    Examples
    --------
    >>> describe_matrix("decode_matrix", V.VectorFormat("int64", 62),
    ...                 (0, 1 << 62, 2, 3, 0, 0, 1, 0, 0), V.OVERFLOW)
    'overflow (an element of the 2 x 3 matrix does not fit int64 at frac 62; --elements shows which)'
    """
    fn = registry.function(function)
    m, n = (inputs[fn.inputs.index(k)] for k in fn.shape_inputs)
    if digest == V.OVERFLOW:
        return (f"overflow (an element of the {m} x {n} matrix does not fit "
                f"int64 at frac {fmt.frac}; --elements shows which)")
    return (f"{digest} (SHA-256 of the {m} x {n} {fmt.name} matrix; "
            "--elements prints its elements)")
