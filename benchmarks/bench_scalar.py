"""Nanoseconds per scalar call of each public value function.

A call with plain Python ints (a testbench's call per transaction) is
timed as a user makes it, through ``poincare_q64.<function>``: argument
checks, the kernel and the boxing of the result.  Each figure is the best of
``--repeats`` runs of ``--number`` calls (``timeit``), divided by
``--number``.  ``--general`` times the same calls with the compiled scalar
path turned off (every call through the general, array-based path), for a
comparison on the same machine.

    python benchmarks/bench_scalar.py
    python benchmarks/bench_scalar.py --general --number 20000

It is a plain script, not a test: the figures depend on the machine and its
load.  With an in-place build run it as ``PYTHONPATH=. python
benchmarks/bench_scalar.py`` from the repository root.
"""
import argparse
import contextlib
import timeit

import numpy as np

import poincare_q64 as pq
from poincare_q64 import _api, _kernels

# (label, statement); every argument a plain Python int.
CALLS = [
    ("radial", "pq.radial(2**63)"),
    ("angular", "pq.angular(2**61)"),
    ("modulation", "pq.modulation(5, 7)"),
    ("spatial_hash", "pq.spatial_hash(5, 7)"),
    ("rbe", "pq.rbe(2**63, 2**61, 5, 7)"),
    ("rbe dtype=object frac=64",
     "pq.rbe(2**63, 2**61, 5, 7, dtype=object, frac=64)"),
    ("rbe dtype='float64'", "pq.rbe(2**63, 2**61, 5, 7, dtype='float64')"),
    ("rbe all options", "pq.rbe(2**63, 2**61, 5, 7, log2_c=-2, eps=3, d_r=1, "
     "rot=5, d_theta=1, frac=40, dtype=np.int64, threads=1)"),
    ("rbe_pipeline", "pq.rbe_pipeline(2**63, 2**61, 5, 7)"),
    ("rbe_seed64", "pq.rbe_seed64(2**63, 5, 7)"),
    ("pack_seed64", "pq.pack_seed64(5, 7, d_theta=1, log2_c=-1)"),
    ("unpack_seed64", "pq.unpack_seed64(2**63)"),
]

_FAST_API = ["_radial_fast", "_angular_fast", "_modulation_fast", "_rbe_fast",
             "_rbe_seed64_fast", "_spatial_hash_fast"]
_FAST_KERNELS = ["pack_seed64_fast", "unpack_seed64_fast"]


@contextlib.contextmanager
def general_path():
    """The public functions with the compiled scalar path turned off."""
    saved = ([(_api, n, getattr(_api, n)) for n in _FAST_API]
             + [(_kernels, n, getattr(_kernels, n)) for n in _FAST_KERNELS])
    for mod, n, _ in saved:
        setattr(mod, n, lambda *args: None)
    try:
        yield
    finally:
        for mod, n, f in saved:
            setattr(mod, n, f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--number", type=int, default=200_000,
                    help="calls per run (default 200000)")
    ap.add_argument("--repeats", type=int, default=5,
                    help="runs; the best is reported (default 5)")
    ap.add_argument("--general", action="store_true",
                    help="also time every call through the general path")
    args = ap.parse_args(argv)
    if args.number < 1 or args.repeats < 1:
        ap.error("--number and --repeats must be >= 1")

    def ns(stmt):
        t = timeit.Timer(stmt, globals={"pq": pq, "np": np})
        t.timeit(min(args.number, 1000))  # warm-up
        return min(t.repeat(args.repeats, args.number)) / args.number * 1e9

    head = f"{'call':28s} {'ns/call':>9s}"
    if args.general:
        head += f" {'general':>9s}"
    print(f"poincare_q64 {pq.__version__}: scalar calls, best of "
          f"{args.repeats} x {args.number}")
    print(head)
    for label, stmt in CALLS:
        line = f"{label:28s} {ns(stmt):9.0f}"
        if args.general:
            with general_path():
                line += f" {ns(stmt):9.0f}"
        print(line)


if __name__ == "__main__":
    main()
