"""Write the example vector files of check_vectors.c, from the reference.

    python make_vectors.py [-o DIR] [--seed S] [--count N]

Each file holds one function in one format, in the project's vector grammar
(:mod:`poincare_q64.vectors`, docs/vectors.md), which is what ``poincare-q64
gen`` writes and ``verify`` reads.  Every expected result is computed by
:mod:`poincare_q64.reference` (pure Python, exact rationals and interval
arithmetic; it shares no code with the C kernels), never by the kernels that
check_vectors.c tests.  An int64 result that does not fit (the reference's
OverflowError) is written as the grammar's ``overflow``.  Same seed, same
files, byte for byte; each file is written atomically.
"""
import argparse
import os
import random
import sys
import tempfile

import numpy as np

from poincare_q64 import __version__, reference, vectors

HERE = os.path.dirname(os.path.abspath(__file__))
Q = 1 << 62            # a quarter turn
U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1

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

# Hard inputs, in the order of vectors.INPUTS: boundaries, exact values
# (quarter turns; i = j = 0 has H mod 2^30 != 0 but 0 and U32_MAX are edges),
# a quarter turn's neighbours, the largest |f| (c = 1/16, r -> 1), every
# option at its limits.
HARD = {
    "radial": [(0, 0, 0, 0), (U64_MAX, -4, 0, 0), (U64_MAX, -4, U64_MAX, 1),
               (1 << 63, 3, 0, 1), (1, 0, 0, 0)],
    "angular": [(t, 0, 0) for t in (0, Q, 2 * Q, 3 * Q, Q - 1, Q + 1, U64_MAX)]
               + [(12345, 15, 3)],
    "spatial_hash": [(0, 0), (U32_MAX, U32_MAX), (5, 7)],
    "modulation": [(0, 0), (U32_MAX, U32_MAX), (5, 7)],
    "rbe": [(1 << 63, Q, 5, 7, 0, 0, 0, 0, 0), (U64_MAX, Q, 0, 0, -4, 0, 0, 0, 0),
            (U64_MAX, 3 * Q, U32_MAX, U32_MAX, -4, 0, 0, 0, 0),
            (1 << 63, 0, 5, 7, 0, 0, 0, 0, 0), (1 << 63, Q + 1, 5, 7, 3, U64_MAX, 1, 15, 3)],
    "seed64": [(0, 0, 0, 0), (U64_MAX & ~(0xF << 16), U32_MAX, U32_MAX, U64_MAX)],
}
HARD["rbe_pipeline"] = HARD["rbe"]


def _random_inputs(rng, function):
    draw = {"R": lambda: rng.getrandbits(64), "T": lambda: rng.getrandbits(64),
            "word": lambda: rng.getrandbits(64) & ~(0xF << 16),  # basis 0: sin
            "eps": lambda: rng.choice([0, rng.getrandbits(64)]),
            "i": lambda: rng.getrandbits(32), "j": lambda: rng.getrandbits(32),
            "log2_c": lambda: rng.randint(-4, 3), "d_r": lambda: rng.randint(0, 1),
            "rot": lambda: rng.randint(0, 15), "d_theta": lambda: rng.randint(0, 3)}
    return tuple(draw[name]() for name in vectors.INPUTS[function])


def expected(function, fmt, inputs):
    """The reference's result for one vector, as :func:`vectors.format_result` takes it."""
    if function == "spatial_hash":
        return reference.spatial_hash(*inputs)
    out = {"dtype": {"int64": np.int64, "object": object, "float64": np.float64,
                     "float32": np.float32}[fmt.kind]}
    if fmt.frac is not None:
        out["frac"] = fmt.frac
    args = dict(zip(vectors.INPUTS[function], inputs))
    try:
        if function == "radial":
            return reference.radial(args.pop("R"), **args, **out)
        if function == "angular":
            return reference.angular(args.pop("T"), **args, **out)
        if function == "modulation":
            return reference.modulation(args["i"], args["j"], **out)
        if function == "seed64":
            return reference.rbe_seed64(args["word"], args["i"], args["j"], eps=args["eps"],
                                        **out)
        positional = [args.pop(k) for k in ("R", "T", "i", "j")]
        return getattr(reference, function)(*positional, **args, **out)
    except OverflowError:  # an int64 result that does not fit
        return vectors.OVERFLOW


def file_text(function, format_name, seed, count):
    """The text of one vector file."""
    fmt = vectors.parse_format(format_name, function)
    # one stream per file, so adding a file does not change the others
    rng = random.Random(f"{seed}:{function}:{format_name}")
    cases = HARD[function] + [_random_inputs(rng, function) for _ in range(count)]
    lines = [vectors.header_line(function, fmt, __version__),
             f"# expected values: poincare_q64.reference (examples/c/make_vectors.py "
             f"--seed {seed} --count {count})",
             vectors.column_line(function, fmt)]
    lines += [vectors.format_line(function, fmt, inputs, expected(function, fmt, inputs))
              for inputs in cases]
    return "\n".join(lines) + "\n"


def file_name(function, format_name):
    return f"{function}_{format_name.replace('/', '-')}.txt"


def write_atomic(path, text):
    """Write `text` to `path` through a temporary file renamed into place."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".vectors-")
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


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
        write_atomic(os.path.join(args.output, file_name(function, format_name)),
                     file_text(function, format_name, args.seed, args.count))
    print(f"wrote {len(FILES)} files to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
