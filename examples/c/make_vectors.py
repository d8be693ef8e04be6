"""Write the example vector files of check_vectors.c, from the reference.

    python make_vectors.py [-o DIR] [--seed S] [--count N]

Each file holds one function in one format, in the project's vector grammar
(:mod:`poincare_q64.vectors`, docs/vectors.md), which is what ``poincare-q64
gen`` writes and ``verify`` reads, with the same inputs as ``gen`` (the hard
cases of :mod:`poincare_q64.inputs`, then COUNT random ones).  Every expected
result is computed by :mod:`poincare_q64.reference` (pure Python, exact
rationals and interval arithmetic; it shares no code with the C kernels),
never by the kernels that check_vectors.c tests.  An int64 result that does
not fit (the reference's OverflowError) is written as the grammar's
``overflow``.  Same seed, same files, byte for byte; each file is written
atomically.
"""
import argparse
import os
import sys

from poincare_q64 import conformance, vector_files, vectors

HERE = os.path.dirname(os.path.abspath(__file__))

# (function, format) of each file: every function, every kind of format, and
# the extreme fracs (int64/63 has results that overflow, object/64 is the
# canonical Q64.64).
FILES = [
    ("radial", "float64"), ("radial", "object/64"),
    ("angular", "float32"), ("angular", "int64/62"),
    ("spatial_hash", "uint32"),
    ("modulation", "int64/62"),
    ("rbe", "float64"), ("rbe", "float32"), ("rbe", "int64/62"), ("rbe", "int64/63"),
    ("rbe", "int64/0"), ("rbe", "object/64"),
    ("rbe_pipeline", "float64"),
    ("seed64", "float64"),
]


def file_lines(function, format_name, seed, count):
    """The lines of one vector file: gen's inputs, the reference's results."""
    fmt = vectors.parse_format(format_name, function)
    comment = (f"expected values: poincare_q64.reference (examples/c/make_vectors.py "
               f"--seed {seed} --count {count})")
    return conformance.generate_lines(
        function, fmt, conformance.VectorInputs(function, count, seed),
        evaluator=conformance.evaluate_reference, comments=[comment])


def file_name(function, format_name):
    return f"{function}_{format_name.replace('/', '-')}.txt"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=os.path.join(HERE, "vectors"), metavar="DIR",
                    help="directory to write (default: vectors/ beside this script)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--count", type=int, default=8,
                    help="random vectors per file, on top of the hard ones (default 8)")
    args = ap.parse_args(argv)
    os.makedirs(args.output, exist_ok=True)
    for function, format_name in FILES:
        vector_files.write_atomic(os.path.join(args.output, file_name(function, format_name)),
                                  file_lines(function, format_name, args.seed, args.count))
    print(f"wrote {len(FILES)} files to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
