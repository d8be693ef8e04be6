"""Write the golden vector files tests/data/vectors/*.txt.

Usage (from anywhere; about fifteen seconds, most of it the reference's
matrices)::

    python tests/data/make_vectors.py            # rewrites the files
    python tests/data/make_vectors.py -o /tmp/v  # somewhere else

Each file is a vector file in the grammar of docs/vectors.md, made exactly
like ``poincare-q64 gen FUNCTION <format> -n COUNT --seed SEED --level 1``
(same header, same inputs in the same order: the hard cases, then COUNT
random inputs; COUNT is 64, and 16 for the matrix functions, whose vectors
hold up to 64 x 64 elements each), except that the expected results come from
:mod:`poincare_q64.reference`, the independent pure-Python reference, and
never from the compiled kernels that the files test.  The second comment
line of each file says so.

tests/test_vectors.py checks the compiled kernels against every vector of
every file, checks that the inputs are still those this script draws, and
re-evaluates a sample of each file with the reference.  Run this script
again after a change of the grammar, of the hard cases or of the random
input generator, and commit the files with the change; the same version of
the package gives the same files, byte for byte.
"""
import argparse
import sys
from pathlib import Path

# Run as a script, it belongs to the source tree: use the package beside it,
# whether or not one is installed.  Imported (by the tests), it uses the
# package the importer has.
ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__" and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from poincare_q64 import conformance as C  # noqa: E402
from poincare_q64 import registry  # noqa: E402
from poincare_q64 import vector_files  # noqa: E402
from poincare_q64 import vectors as V  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent / "vectors"
SEED = 1
COUNT = 64  # random inputs per file, on top of the hard cases
MATRIX_COUNT = 16  # the same for a matrix function (a matrix per vector)


def count(function):
    """Random inputs of the function's files (vector name)."""
    return MATRIX_COUNT if function in V.MATRIX else COUNT

_MAIN = ("int64/62", "object/64", "float64", "float32")
#: (function, format) of every golden file.  int64/62 holds ``overflow``
#: results (g' = 2 at R = 0 gives X = 2^63); rbe int64/0 holds the exact
#: ties f = +-1/2 (c = 4, r = 1/2, s = +-1, phi = 1), which round to even;
#: angular int64/64 crosses the frac-64 overflow threshold s >= 1/2 - 2^-65;
#: decode_matrix int64/64 overflows wherever |f| >= 1/2 (whole matrices).
FILES = tuple(
    [(f.vector_name, "uint32") for f in registry.FUNCTIONS.values()
     if not f.rounds]
    + [(f.vector_name, fmt) for f in registry.FUNCTIONS.values() if f.rounds
       for fmt in _MAIN]
    + [("rbe", "int64/0"), ("angular", "int64/64"),
       ("decode_matrix", "int64/64")])


def file_name(function, fmt_name):
    """``rbe_int64_62.txt``, ``rbe_float64.txt``, ...

    Examples
    --------
    >>> file_name("rbe", "int64/62")
    'rbe_int64_62.txt'
    """
    return f"{function}_{fmt_name.replace('/', '_')}.txt"


def gen_command(function, fmt):
    """The ``poincare-q64 gen`` command that draws the same inputs."""
    flags = C.format_flags(fmt)
    return " ".join(x for x in ("poincare-q64 gen", function, flags,
                                f"-n {count(function)}", f"--seed {SEED}",
                                "--level 1") if x)


def lines(function, fmt_name):
    """The lines of one golden file (expected results from the reference)."""
    fmt = V.parse_format(fmt_name, function)
    comments = [f"made by: python tests/data/make_vectors.py (the inputs of "
                f"'{gen_command(function, fmt)}')",
                "expected results: poincare_q64.reference (the independent "
                "pure-Python reference)"]
    inputs = C.VectorInputs(function, count(function), SEED)
    return C.generate_lines(function, fmt, inputs, C.evaluate_reference,
                            comments)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", dest="out_dir", type=Path, default=OUT_DIR,
                        help="output directory (default: tests/data/vectors "
                             "beside this script)")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for function, fmt_name in FILES:
        path = args.out_dir / file_name(function, fmt_name)
        vector_files.write_atomic(path, lines(function, fmt_name))
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
