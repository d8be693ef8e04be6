"""The ``compress`` and ``decompress`` subcommands of ``poincare-q64``.

Usage::

    poincare-q64 compress W.npy -o W.rbe.npz [--block P Q | --levels K]
                 [--seed-format seed64|q64] [--threads N]
                 [--dask] [--scheduler ADDRESS] [--no-progress]
    poincare-q64 decompress W.rbe.npz -o W_hat.npy [--dtype float64|float32]
                 [--threads N] [--dask] [--scheduler ADDRESS] [--no-progress]

Exit status 0 on success; 2 with a one-line message on standard error
(never a traceback) for a bad input matrix, a bad compressed file or a file
that cannot be written, and the output file is then not written (or left
as it was).  The file format is docs/rbe-file-format.md.
"""
import argparse
import math
import os
import re
import sys
import zipfile

import numpy as np

from poincare_q64.transform.blocks import BlockSeeds, MultiresSeeds
from poincare_q64.transform.metrics import metrics
from poincare_q64.transform.rbe_file import (RbeFileError, compress,
                                             load_seeds, save_seeds, write_npy)
from poincare_q64.transform.seed import SEED_FORMATS

__all__ = ["add_parsers", "run"]

COMMANDS = ("compress", "decompress")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_parsers(sub):
    """Add the compress and decompress subparsers to ``sub`` (the
    subparsers of the ``poincare-q64`` parser)."""
    c = sub.add_parser(
        "compress", help="compress a matrix (.npy) into seeds (.rbe.npz)",
        description="Encode the 2-d matrix of a .npy file into seeds: one "
                    "seed for the whole matrix (default), one per P x Q "
                    "block (--block), or K multi-resolution levels "
                    "(--levels; level l has a 2^l x 2^l grid of blocks). "
                    "Writes the compressed file (docs/rbe-file-format.md) "
                    "atomically and prints the stored bits, bits per weight, "
                    "compression ratio against 32-bit floats and the RMSE of "
                    "the restoration. Exit status 2 with a one-line message "
                    "on a bad matrix or an unwritable file.")
    c.add_argument("input", metavar="W.npy", help="the matrix, a 2-d .npy "
                   "array of a real dtype, finite")
    c.add_argument("-o", dest="output", required=True, metavar="FILE",
                   help="the compressed file to write (e.g. W.rbe.npz)")
    shape = c.add_mutually_exclusive_group()
    shape.add_argument("--block", nargs=2, type=_positive_int,
                       metavar=("P", "Q"),
                       help="blocks of P rows and Q columns, one seed each "
                            "(the last row and column of blocks are smaller "
                            "when P, Q do not divide the shape)")
    shape.add_argument("--levels", type=_positive_int, metavar="K",
                       help="K multi-resolution levels, each fitted to the "
                            "residual of the ones before it")
    c.add_argument("--seed-format", "--seed_format", dest="seed_format",
                   choices=SEED_FORMATS, default="seed64",
                   help="seed64: one 64-bit word per seed (default); q64: "
                        "R and T as 64-bit words, plus the options")
    _common(c)
    d = sub.add_parser(
        "decompress", help="restore a matrix (.npy) from a compressed file",
        description="Read a compressed file (docs/rbe-file-format.md, every "
                    "member checked) and write the restored matrix as a "
                    ".npy file, atomically, a band of rows at a time. Each "
                    "element is correctly rounded (multi-resolution: the "
                    "exact sum of the levels at frac 62, rounded once). "
                    "Exit status 2 with a one-line message on a bad file.")
    d.add_argument("input", metavar="FILE.rbe.npz", help="the compressed file")
    d.add_argument("-o", dest="output", required=True, metavar="W_hat.npy",
                   help="the .npy file to write")
    d.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="the output format, correctly rounded (default "
                        "float64)")
    _common(d)


def _common(p):
    p.add_argument("--threads", type=_positive_int, default=None, metavar="N",
                   help="threads (default: all cores); the result does not "
                        "depend on it")
    p.add_argument("--dask", action="store_true",
                   help="work chunk by chunk with dask (matrices larger than "
                        "memory), on dask's local threads scheduler unless "
                        "--scheduler is given; identical results")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="a dask.distributed scheduler to run on (implies "
                        "--dask; the workers must see the files)")
    p.add_argument("--no-progress", "--no_progress", dest="no_progress",
                   action="store_true",
                   help="no progress bars (shown on stderr only when it is a "
                        "terminal)")


def _progress(args):
    return not args.no_progress and sys.stderr.isatty()


def _write(path, writer, *a, **kw):
    """Run a writer of ``path``; an OSError becomes a one-line failure."""
    try:
        writer(path, *a, **kw)
    except OSError as exc:
        raise _Failure(f"{path}: cannot write ({exc.strerror or exc})") from None


def _api_message(exc):
    """An API error's message without the function name it starts with
    (``compress: W holds NaN or inf``): the command already names itself.

    Examples
    --------
    >>> _api_message(ValueError("encode_blocks_dask: W is empty (shape (0, 3))"))
    'W is empty (shape (0, 3))'
    """
    return re.sub(r"^[a-z][a-z0-9_]*: ", "", str(exc), count=1)


class _Failure(Exception):
    """A one-line error for the user (exit status 2)."""


def _read_matrix(path, mmap):
    """The .npy matrix at path (memory-mapped with mmap), checked for what
    can be checked without reading it."""
    try:
        a = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise _Failure(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise _Failure(f"{path}: not a readable .npy array ({exc})") from None
    if not isinstance(a, np.ndarray):
        a.close()
        raise _Failure(f"{path}: an npz archive, not a .npy array")
    if a.ndim != 2:
        raise _Failure(f"{path}: W must be 2-d, got a {a.ndim}-d array of "
                       f"shape {a.shape}")
    if a.dtype.kind not in "biuf":
        raise _Failure(f"{path}: W must be a real numeric array, got dtype "
                       f"{a.dtype}")
    return a


def _describe(seeds):
    if isinstance(seeds, MultiresSeeds):
        blocks = ", ".join(f"{p} x {q}" for p, q in
                           (bs.block for bs in seeds.levels))
        count = sum(bs.block_count for bs in seeds.levels)
        return (f"{len(seeds)} levels (blocks of {blocks}), {count} seeds, "
                f"{seeds.seed_format}")
    return (f"{seeds.grid[0]} x {seeds.grid[1]} blocks of {seeds.block[0]} x "
            f"{seeds.block[1]}, {seeds.block_count} seeds, {seeds.seed_format}")


def _run_compress(args):
    use_dask = args.dask or args.scheduler is not None
    if use_dask and args.levels is not None:
        raise _Failure("--levels works in memory only (level 0 is one seed "
                       "for the whole matrix); leave out --dask/--scheduler")
    W = _read_matrix(args.input, mmap=use_dask)
    progress = _progress(args)
    try:
        if use_dask:
            from poincare_q64.transform import dask_blocks
            block = tuple(args.block) if args.block else W.shape
            del W
            seeds = dask_blocks.encode_blocks_dask(
                args.input, block, seed_format=args.seed_format,
                scheduler=args.scheduler, progress=progress)
        else:
            seeds = compress(W, block=tuple(args.block) if args.block else None,
                             levels=args.levels, seed_format=args.seed_format,
                             threads=args.threads, progress=progress)
    except (ValueError, TypeError) as exc:
        raise _Failure(f"{args.input}: {_api_message(exc)}") from None
    _write(args.output, save_seeds, seeds)
    m, n = seeds.shape
    bits = seeds.stored_bits
    if use_dask:
        from poincare_q64.transform import dask_blocks
        Wd = dask_blocks.open_npy(args.input, seeds.block)
        diff = Wd.astype(np.float64) - dask_blocks.decode_dask(seeds)
        mse = float(dask_blocks.compute((diff * diff).mean(), args.scheduler,
                                        progress, desc="rmse"))
        summary = {"rmse": math.sqrt(mse), "bits_per_weight": bits / (m * n),
                   "compression_ratio": 32 * m * n / bits}
    else:
        W_hat = seeds.decode(dtype=np.float64, threads=args.threads)
        summary = metrics(W, W_hat, stored_bits=bits)
        if hasattr(summary, "as_dict"):
            summary = summary.as_dict()
    print(f"{args.input}: {m} x {n} -> {args.output}")
    print(f"  seeds: {_describe(seeds)}")
    print(f"  stored bits: {bits} (the seeds; the shapes are not counted)")
    print(f"  bits per weight: {summary['bits_per_weight']:.6g}")
    print(f"  ratio: {summary['compression_ratio']:.6g}:1 (against 32-bit "
          "floats)")
    print(f"  RMSE: {summary['rmse']:.6g}")
    return 0


def _run_decompress(args):
    use_dask = args.dask or args.scheduler is not None
    try:
        seeds = load_seeds(args.input)
    except FileNotFoundError:
        raise _Failure(f"{args.input}: no such file") from None
    except IsADirectoryError:
        raise _Failure(f"{args.input}: a directory, not a file") from None
    dtype = np.dtype(args.dtype)
    progress = _progress(args)
    if use_dask:
        from poincare_q64.transform import dask_blocks
        lazy = dask_blocks.decode_dask(seeds, dtype)

        def band(_, r0, r1, dt):
            return dask_blocks.compute(lazy[r0:r1], args.scheduler)
        _write(args.output, write_npy, seeds, dtype,
               band_rows=lazy.chunks[0][0] * 4, decode_band=band,
               progress=progress)
    else:
        _write(args.output, write_npy, seeds, dtype, threads=args.threads,
               progress=progress)
    m, n = seeds.shape
    print(f"{args.input}: {_describe(seeds)} -> {args.output} ({m} x {n}, "
          f"{args.dtype})")
    return 0


def run(args):
    """Run ``compress`` or ``decompress`` from parsed arguments; the exit
    status."""
    name = args.command
    try:
        if name == "compress":
            return _run_compress(args)
        return _run_decompress(args)
    except (_Failure, RbeFileError) as exc:
        print(f"poincare-q64 {name}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # the reader of stdout went away: the main command ends quietly
    except OSError as exc:
        print(f"poincare-q64 {name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"poincare-q64 {name}: interrupted; {args.output} was not "
              "written", file=sys.stderr)
        return 130
