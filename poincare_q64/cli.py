"""Command line of poincare_q64: ``poincare-q64 selfcheck``, ``info``, and the
conformance tools ``gen``, ``verify`` and ``eval``.

Argument parsing and printing only: ``selfcheck`` is
:mod:`poincare_q64.selfcheck`; ``gen``, ``verify`` and ``eval`` are front
ends of :mod:`poincare_q64.conformance` (the line grammar is
:mod:`poincare_q64.vectors`; docs/vectors.md and docs/conformance.md describe
them).  The functions and their inputs come from
:mod:`poincare_q64.registry`.

Usage::

    poincare-q64 selfcheck                 # ~3000 random inputs + hard cases
    poincare-q64 selfcheck -n 20000 --seed 7 --threads 1
    poincare-q64 info
    poincare-q64 gen rbe --float64 -n 100000 --seed 1 -o rbe_float64.txt
    poincare-q64 verify their_rbe_float64.txt
    poincare-q64 eval rbe 0x8000000000000000 0x4000000000000000 5 7 --float64
    poincare-q64 gen decode_matrix --float32 -n 100 -o decode_float32.txt
    poincare-q64 eval decode_matrix 0x8000000000000000 0x4000000000000000 4 5 --elements
    poincare-q64 compress W.npy -o W.rbe.npz --block 32 32
    poincare-q64 decompress W.rbe.npz -o W_hat.npy --dtype float32

``compress`` and ``decompress`` are :mod:`poincare_q64.transform.cli`.
"""
import argparse
import contextlib
import os
import signal
import sys
import threading

from poincare_q64 import registry, vectors
from poincare_q64.selfcheck import GROUPS, run_selfcheck


def run_info(out=None):
    """Print the version and the build's threading facts."""
    import numpy

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
    print(f"numpy {numpy.__version__}, python {sys.version.split()[0]}",
          file=stream)
    return 0


def _version():
    import poincare_q64
    return poincare_q64.__version__


def spellings(name):
    """The option strings of a multi-word option: its name and the same
    with ``-`` and ``_`` exchanged, so that ``--log2-c`` and ``--log2_c``,
    ``--no-progress`` and ``--no_progress`` are the same option (the first
    is the one ``--help`` names first).

    Examples
    --------
    >>> spellings("--log2_c"), spellings("--seed")
    (['--log2_c', '--log2-c'], ['--seed'])
    """
    body = name[2:]
    other = body.replace("_", "-") if "_" in body else body.replace("-", "_")
    return [name] if other == body else [name, "--" + other]


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


_THREADED = ", ".join(f.name for f in registry.FUNCTIONS.values() if f.threads)
_THREADED = " and ".join(_THREADED.rsplit(", ", 1))


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser for which the two spellings of an option
    (:func:`spellings`) are one option when abbreviated: ``--log2`` is
    ``--log2_c``, not ambiguous between it and ``--log2-c``."""

    def _get_option_tuples(self, option_string):
        seen, unique = set(), []
        for t in super()._get_option_tuples(option_string):
            if t[0] not in seen:  # t[0] is the action
                seen.add(t[0])
                unique.append(t)
        return unique


def build_parser():
    parser = _Parser(
        prog="poincare-q64",
        description="Tools of poincare_q64, the bit-exact golden reference "
                    "for the RBE function.")
    parser.add_argument("--version", action="version",
                        version=f"poincare_q64 {_version()}")
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
                    help=f"threads for {_THREADED} (default: all cores)")
    sc.add_argument("--errors", type=_nonnegative_int, default=20,
                    metavar="E",
                    help="print at most E mismatches (all are counted; "
                         "default 20)")
    sc.add_argument("--only", action="append", choices=GROUPS,
                    metavar="GROUP",
                    help="check only this group (repeatable): "
                         + ", ".join(GROUPS) + "; the random inputs stay "
                         "those of a full run with the same --seed")
    sc.add_argument(*spellings("--no-progress"), action="store_true",
                    help="no progress bar (shown on stderr only when it is a "
                         "terminal)")
    sub.add_parser(
        "info", help="print the version and whether OpenMP is in the build",
        description="Print the package version, its location, whether the "
                    "compiled kernels use OpenMP and how many threads "
                    "threads=None uses.")
    _add_gen(sub)
    _add_verify(sub)
    _add_eval(sub)
    from poincare_q64.transform import cli as transform_cli
    transform_cli.add_parsers(sub)
    return parser


# --------------------------------------------------------------------------
# gen, verify, eval (front ends of poincare_q64.conformance)
# --------------------------------------------------------------------------

# FUNCTION names a function as the API does; the name a vector file's
# header uses is accepted too where it differs (seed64 for rbe_seed64).
_ALIASES = {f.name: [f.vector_name] if f.vector_name != f.name else []
            for f in registry.FUNCTIONS.values()}
_FUNCTION_HELP = ("FUNCTION is one of " + ", ".join(registry.FUNCTIONS)
                  + "".join(f" ({a} in vector files, accepted too)"
                            for aliases in _ALIASES.values() for a in aliases))


def _function(args):
    """The vector name of the function the arguments select."""
    return registry.function(args.function).vector_name


def _frac(text):
    value = int(text)
    if not 0 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be in 0..64, got {value}")
    return value


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def parse_eval_input(text, field):
    """The value of one ``eval`` input, read so that no text has two
    meanings.

    * ``0x...`` (``0o``, ``0b``) is hex (octal, binary); a sign may lead.
    * A field as a vector line writes it, exactly the field's width in hex
      digits (16 for R, T, eps and word, 8 for i, j, m and n, one hex digit
      for rot), is hex: a field copied from a vector line means what it
      meant there.  ``log2_c`` is a signed decimal in both.
    * Anything else is decimal, without leading zeros.

    A token of the field's width made of decimal digits only and not
    starting with 0 (``8000000000000000`` for R, ``12345678`` for i) reads
    as a vector field and as a decimal with different values: it is
    refused, with the two ways to write each meaning.

    Parameters
    ----------
    text : str
    field : poincare_q64.registry.Input

    Raises
    ------
    ValueError
        Not an integer in any of these forms, or ambiguous.

    Examples
    --------
    >>> from poincare_q64.registry import INPUTS
    >>> parse_eval_input("0000000000000010", INPUTS["R"])   # a vector field
    16
    >>> parse_eval_input("16", INPUTS["R"]), parse_eval_input("0x10", INPUTS["R"])
    (16, 16)
    >>> parse_eval_input("a", INPUTS["rot"]), parse_eval_input("-4", INPUTS["log2_c"])
    (10, -4)
    >>> parse_eval_input("8000000000000000", INPUTS["R"])
    Traceback (most recent call last):
    ...
    ValueError: R: '8000000000000000' is ambiguous: 16 digits is the width of R in a vector line (hex) but reads as a decimal too; write 0x8000000000000000 for the hex field, or 8_000_000_000_000_000 for the decimal
    """
    name = field.name
    if not field.signed and len(text) == field.width \
            and set(text) <= _HEX_DIGITS:
        # A decimal is written without leading zeros, so a leading 0 or a
        # letter leaves one reading; one digit means the same in both.
        if field.width > 1 and text.isdigit() and text[0] != "0":
            raise ValueError(
                f"{name}: {text!r} is ambiguous: {field.width} digits is "
                f"the width of {name} in a vector line (hex) but reads as "
                f"a decimal too; write 0x{text} for the hex field, or "
                f"{int(text):_d} for the decimal")
        return int(text, 16)
    try:
        return int(text, 0)
    except ValueError:
        pass
    hint = ("a sign and a decimal digit, e.g. -4 or +3" if field.signed
            else f"decimal without leading zeros, 0x for hex, or {field.width}"
                 f" hex digit{'s' * (field.width > 1)} as in a vector line")
    raise ValueError(f"{name}: not an integer: {text!r} ({hint})")


def _eval_input(field):
    """The argparse type of an eval input (:func:`parse_eval_input`)."""
    def convert(text):
        try:
            return parse_eval_input(text, field)
        except ValueError as exc:
            # argparse names the argument already
            raise argparse.ArgumentTypeError(
                str(exc).removeprefix(f"{field.name}: ")) from None
    convert.__name__ = field.name
    return convert


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
    fn = registry.function(function)
    if not fn.rounds:  # one format, nothing to choose
        if chosen:
            parser.error(f"{fn.name} results are always {fn.formats[0]}; "
                         "--frac, --object, --float64 and --float32 do not "
                         "apply")
        return vectors.VectorFormat(fn.formats[0])
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
                    "grammar of docs/vectors.md: a header line (function, "
                    "format, version and the number of vectors), then "
                    "'<inputs> => <result>' in fixed-width hex. The inputs "
                    "are the hard cases, the worst cases (level 2) and COUNT "
                    "random inputs; results come from the compiled kernels. "
                    "The same arguments give the same file, byte for byte. "
                    + _FUNCTION_HELP + ".")
    p.add_argument("function", metavar="FUNCTION",
                   choices=[*registry.FUNCTIONS,
                            *(a for v in _ALIASES.values() for a in v)],
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
                        "--worst-cases (default 1). Matrix "
                        "functions: shapes up to 64 x 64 at level 1, up to "
                        "1024 x 1024 at level 2")
    p.add_argument("-o", dest="output", metavar="FILE", default=None,
                   help="output file, written atomically (a temporary file "
                        "renamed into place: never half-written; a symlink's "
                        "target is written, a FIFO or device is written to "
                        "in place); default or '-': standard output")
    p.add_argument(*spellings("--worst-cases"), dest="worst_cases",
                   metavar="DIR", default=None,
                   help="directory of the worst-case files for --level 2 "
                        "(default: those that ship with the package, "
                        "poincare_q64/data/worst_cases)")
    p.add_argument(*spellings("--no-progress"), action="store_true",
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
                    "2 an unreadable file, a malformed line (the message "
                    "names the line), a file holding another number of "
                    "vectors than its header's count=N (a harness that "
                    "stopped halfway: copy gen's header line unchanged) or "
                    "none at all (see --allow-empty); 130 on Ctrl-C.")
    p.add_argument("file", metavar="FILE",
                   help="the vector file ('-': standard input)")
    p.add_argument("--errors", type=_nonnegative_int, default=20,
                   metavar="N",
                   help="stop after N mismatches (0: check the whole file; "
                        "default 20)")
    p.add_argument("--threads", type=_positive_int, default=None,
                   metavar="K",
                   help="threads of the kernels (default: all cores)")
    p.add_argument(*spellings("--allow-empty"), action="store_true",
                   help="a file without vectors passes (by default it is an "
                        "error, exit status 2: a harness that wrote no "
                        "results should not look green)")
    p.add_argument(*spellings("--no-progress"), action="store_true",
                   help="no progress bar (shown on stderr only when it is a "
                        "terminal)")


# eval: the positional inputs of each function, and its keyword options.
def _add_eval(sub):
    p = sub.add_parser(
        "eval", help="print one correctly rounded result (hex and decimal)",
        description="Evaluate one function at one input and print the "
                    "correctly rounded result: its field as in a vector "
                    "line (docs/vectors.md), then its decimal value (for "
                    "int64 and object, X and X / 2^frac). "
                    "An integer is decimal (no leading zeros), hex with 0x, "
                    "or a field copied from a vector line: exactly the "
                    "field's width in hex digits (16 for R, T, eps, word; 8 "
                    "for i, j, m, n; one for rot) is hex, as there. A field "
                    "width of decimal digits that reads both ways "
                    "(8000000000000000 for R) is refused: write "
                    "0x8000000000000000, or 8_000_000_000_000_000 for the "
                    "decimal. "
                    + _FUNCTION_HELP + ".")
    fsub = p.add_subparsers(dest="function", metavar="FUNCTION")
    fsub.required = True
    fmt_parent = _format_options()
    for fn in registry.FUNCTIONS.values():
        names, npos = fn.inputs, fn.positional
        fp = fsub.add_parser(
            fn.name, aliases=_ALIASES[fn.name], parents=[fmt_parent],
            help=f"{fn.name}({', '.join(names[:npos])}"
                 + (", *, " + ", ".join(names[npos:]) if names[npos:] else "")
                 + ")",
            description=f"Print {fn.name} at one input, "
                        "correctly rounded.")
        for name in names[:npos]:
            fp.add_argument(name, type=_eval_input(registry.INPUTS[name]),
                            help=registry.INPUTS[name].doc)
        for name in names[npos:]:
            x = registry.INPUTS[name]
            fp.add_argument(*spellings(f"--{name}"), dest=name,
                            type=_eval_input(x), default=x.default,
                            metavar="K", help=f"{x.doc} (default {x.default})")
        fp.add_argument("--reference", action="store_true",
                        help="evaluate with poincare_q64.reference (slower, "
                             "independent) instead of the compiled kernels")
        if fn.is_matrix:
            element = registry.FUNCTIONS[fn.element].vector_name
            fp.add_argument(
                "--elements", action="store_true",
                help=f"print the matrix behind the digest: a {element} "
                     "vector file (docs/vectors.md) of its m x n elements, "
                     "one per line in row-major order, which verify "
                     "checks element by element")
        fp.set_defaults(parser=fp)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like KeyboardInterrupt, so the
    temporary file of an atomic write is removed."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _terminate_as_exception():
    """Within the block, SIGTERM and SIGHUP raise :class:`_Terminated`
    instead of killing the process outright (which skips all clean-up)."""
    def handler(signum, frame):
        raise _Terminated(signum)

    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
              if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        wanted = []  # handlers can only be set from the main thread
    saved = {}
    try:
        for signum in wanted:
            previous = signal.getsignal(signum)
            if previous is signal.SIG_IGN:
                continue  # nohup: the caller asked to ignore it
            saved[signum] = previous
            signal.signal(signum, handler)
        yield
    finally:
        for signum, previous in saved.items():
            signal.signal(signum, previous)


def _run_gen(args):
    from poincare_q64 import conformance

    function = _function(args)
    fmt = _resolve_format(args.parser, function, args)
    where = f"; {args.output} was not written" if args.output not in (
        None, "-") else ""
    try:
        with _terminate_as_exception():
            return conformance.run_gen(
                function, fmt, args.count, args.seed, args.level,
                args.output, args.worst_cases, progress=not args.no_progress)
    except BrokenPipeError:
        raise  # the reader of stdout went away: main() ends quietly
    except OSError as exc:
        # The path the user gave, never the temporary file next to it.
        if args.output not in (None, "-") and exc.filename is not None:
            print(f"poincare-q64 gen: error: {args.output}: cannot write "
                  f"({exc.strerror or exc})", file=sys.stderr)
        else:
            print(f"poincare-q64 gen: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # also VectorSyntaxError
        print(f"poincare-q64 gen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"poincare-q64 gen: interrupted{where}", file=sys.stderr)
        return 130
    except _Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(f"poincare-q64 gen: terminated by {name}{where}",
              file=sys.stderr)
        return 128 + exc.signum


def _run_eval(args):
    from poincare_q64 import conformance

    function = _function(args)
    fmt = _resolve_format(args.parser, function, args)
    inputs = tuple(getattr(args, name) for name in vectors.INPUTS[function])
    try:
        result = conformance.evaluate_one(function, fmt, inputs,
                                          args.reference)
    except (ValueError, TypeError) as exc:
        args.parser.error(str(exc))
    if function not in vectors.MATRIX:
        print(conformance.describe(fmt, result))
    elif getattr(args, "elements", False):
        for line in conformance.element_lines(function, fmt, inputs,
                                              args.reference):
            print(line)
    else:
        print(conformance.describe_matrix(function, fmt, inputs, result))
    return 0


#: Exit status after the reader of standard output went away: what a shell
#: reports for a Unix tool that SIGPIPE ended (128 + 13).
EXIT_BROKEN_PIPE = 141


def main(argv=None):
    """Entry point of the ``poincare-q64`` console script."""
    args = build_parser().parse_args(argv)
    try:
        status = _dispatch(args)
        # Flushed here, not at exit, so that a reader gone away by now is
        # noticed where it can be handled.
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader went away (``poincare-q64 gen rbe | head -1``): normal
        # in a pipeline, so no message; stdout goes to devnull so that the
        # interpreter does not complain again when it flushes at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass  # stdout is not a real file (in-process callers)
        return EXIT_BROKEN_PIPE


def _interrupted(command):
    """Ctrl-C: one line instead of a traceback, and the status a shell
    gives to a process that SIGINT ended (128 + 2)."""
    print(f"poincare-q64 {command}: interrupted", file=sys.stderr)
    return 130


def _dispatch(args):
    if args.command == "selfcheck":
        try:
            return run_selfcheck(n=args.n, seed=args.seed,
                                 threads=args.threads, max_errors=args.errors,
                                 progress=not args.no_progress,
                                 only=args.only)
        except KeyboardInterrupt:
            return _interrupted("selfcheck")
    if args.command == "gen":
        return _run_gen(args)
    if args.command == "verify":
        from poincare_q64 import conformance
        try:
            return conformance.run_verify(
                args.file, args.errors, args.threads,
                progress=not args.no_progress, allow_empty=args.allow_empty)
        except KeyboardInterrupt:
            return _interrupted("verify")
    if args.command == "eval":
        return _run_eval(args)
    if args.command in ("compress", "decompress"):
        from poincare_q64.transform import cli as transform_cli
        return transform_cli.run(args)
    return run_info()


if __name__ == "__main__":
    sys.exit(main())
