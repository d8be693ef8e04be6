"""Compressed files: the seeds of a block or multi-resolution transform in a
versioned ``.npz`` archive, and the compress / decompress round trip.

docs/rbe-file-format.md is the normative description of the format
(version 1): every member, its dtype and shape, and what a reader checks.
:func:`load_seeds` checks all of it and raises :class:`RbeFileError`, naming
the file and the problem, on anything else; :func:`save_seeds` writes
atomically (a failed write leaves no file, or the old one, behind).
"""
import os
import zipfile
import zlib

import numpy as np

from poincare_q64.transform.blocks import (
    SEED_DTYPE, BlockSeeds, MultiresSeeds, encode_blocks, encode_multires,
    multires_block)
from poincare_q64.transform.encode import check_matrix
from poincare_q64.transform.seed import SEED_FORMATS
from poincare_q64.vector_files import atomic_file

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "RbeFileError", "save_seeds",
           "load_seeds", "compress", "decompress", "write_npy"]

#: The value of the ``format`` member of every compressed file.
FORMAT_NAME = "poincare_q64.rbe"
#: The format version this module writes and reads.
FORMAT_VERSION = 1
_KINDS = ("blocks", "multires")
_Q64_FIELDS = tuple(SEED_DTYPE.names)
_MAX_DIM = 1 << 32


class RbeFileError(ValueError):
    """A file that is not a valid compressed file of this format version.

    The message names the file and what is wrong with it.
    """


def _member_names(seed_format, levels):
    fields = ("word",) if seed_format == "seed64" else _Q64_FIELDS
    names = ["format", "version", "kind", "shape", "seed_format", "levels"]
    for level in range(levels):
        names.append(f"block_{level}")
        names += [f"{name}_{level}" for name in fields]
    return names


def _members(seeds):
    """{member name: array} of a BlockSeeds or MultiresSeeds."""
    if isinstance(seeds, MultiresSeeds):
        kind, levels = "multires", seeds.levels
    elif isinstance(seeds, BlockSeeds):
        kind, levels = "blocks", [seeds]
    else:
        raise TypeError(f"save_seeds: seeds must be a BlockSeeds or a "
                        f"MultiresSeeds, got {type(seeds).__name__}")
    fmt = levels[0].seed_format
    if any(bs.seed_format != fmt for bs in levels):
        raise ValueError("save_seeds: every level must have the same "
                         "seed_format")
    out = {"format": np.array(FORMAT_NAME), "version": np.array(FORMAT_VERSION,
                                                                 dtype=np.int64),
           "kind": np.array(kind), "shape": np.array(levels[0].shape, dtype=np.int64),
           "seed_format": np.array(fmt),
           "levels": np.array(len(levels), dtype=np.int64)}
    for level, bs in enumerate(levels):
        out[f"block_{level}"] = np.array(bs.block, dtype=np.int64)
        if fmt == "seed64":
            out[f"word_{level}"] = bs.words
        else:
            for name in _Q64_FIELDS:
                out[f"{name}_{level}"] = np.ascontiguousarray(bs.fields[name])
    return out


def save_seeds(path, seeds):
    """Write seeds to a compressed file (format version 1), atomically.

    Parameters
    ----------
    path : path-like
        The file to write (conventionally ``*.rbe.npz``); it is replaced
        whole or, if anything fails, left as it was.
    seeds : BlockSeeds or MultiresSeeds

    Raises
    ------
    TypeError
        seeds is neither.
    OSError
        The file cannot be written.

    Examples
    --------
    >>> import tempfile, os
    >>> bs = encode_blocks(np.ones((4, 4)) / 2, (2, 2))
    >>> p = os.path.join(tempfile.mkdtemp(), "w.rbe.npz")
    >>> save_seeds(p, bs)
    >>> load_seeds(p) == bs
    True
    """
    members = _members(seeds)
    with atomic_file(path, "wb") as fh:
        np.savez_compressed(fh, **members)


def _fail(path, reason):
    where = os.fspath(path) if isinstance(path, (str, bytes, os.PathLike)) \
        else f"<{type(path).__name__}>"
    return RbeFileError(f"{where}: {reason}")


def _read_member(path, npz, name):
    try:
        return npz[name]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            KeyError) as exc:
        raise _fail(path, f"member {name!r} is damaged ({exc})") from None


def _scalar(path, npz, name, kind):
    """A 0-d member: a str (kind "U") or an int (kind "i")."""
    a = _read_member(path, npz, name)
    if a.shape != () or a.dtype.kind != kind or (kind == "i" and a.dtype != np.int64):
        want = "a 0-d string" if kind == "U" else "a 0-d int64"
        raise _fail(path, f"member {name!r} must be {want}, got dtype "
                          f"{a.dtype} and shape {a.shape}")
    return str(a[()]) if kind == "U" else int(a[()])


def _pair_member(path, npz, name, what):
    a = _read_member(path, npz, name)
    if a.dtype != np.int64 or a.shape != (2,):
        raise _fail(path, f"member {name!r} must be int64 of shape (2,), "
                          f"got dtype {a.dtype} and shape {a.shape}")
    m, n = (int(x) for x in a)
    if not (1 <= m < _MAX_DIM and 1 <= n < _MAX_DIM):
        raise _fail(path, f"member {name!r}: {what} ({m}, {n}) is outside "
                          "[1, 2**32) in some direction")
    return m, n


def _open(path):
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _fail(path, f"not a compressed file (not a readable npz "
                          f"archive: {exc})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise _fail(path, "not a compressed file (a single .npy array, "
                          "not an npz archive)")
    return npz


def load_seeds(path):
    """Read a compressed file, checking everything docs/rbe-file-format.md
    requires.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    BlockSeeds or MultiresSeeds
        By the file's ``kind``: "blocks" or "multires".

    Raises
    ------
    RbeFileError (a ValueError)
        Not an npz archive, truncated or damaged, another format, a
        missing, newer or unknown version, missing or unknown members,
        members of the wrong dtype or shape, shapes that do not fit
        together, seeds out of range.
    FileNotFoundError
        No such file.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "w.rbe.npz")
    >>> save_seeds(p, encode_multires(np.eye(8), levels=2))
    >>> ms = load_seeds(p)
    >>> type(ms).__name__, len(ms), ms.shape
    ('MultiresSeeds', 2, (8, 8))
    """
    with _open(path) as npz:
        names = set(npz.files)
        if "format" not in names:
            raise _fail(path, "not a compressed file of poincare_q64 (no "
                              "'format' member)")
        if _scalar(path, npz, "format", "U") != FORMAT_NAME:
            raise _fail(path, f"not a compressed file of poincare_q64 (format "
                              f"{_scalar(path, npz, 'format', 'U')!r}, expected "
                              f"{FORMAT_NAME!r})")
        if "version" not in names:
            raise _fail(path, "no format version (member 'version' is missing)")
        version = _scalar(path, npz, "version", "i")
        if version != FORMAT_VERSION:
            newer = " (newer than this reader)" if version > FORMAT_VERSION else ""
            raise _fail(path, f"format version {version}{newer} is not "
                              f"supported; this reader reads version "
                              f"{FORMAT_VERSION}")
        for name in ("kind", "shape", "seed_format", "levels"):
            if name not in names:
                raise _fail(path, f"member {name!r} is missing")
        kind = _scalar(path, npz, "kind", "U")
        if kind not in _KINDS:
            raise _fail(path, f"kind {kind!r} is not one of {_KINDS}")
        fmt = _scalar(path, npz, "seed_format", "U")
        if fmt not in SEED_FORMATS:
            raise _fail(path, f"seed_format {fmt!r} is not one of {SEED_FORMATS}")
        levels = _scalar(path, npz, "levels", "i")
        if kind == "blocks" and levels != 1:
            raise _fail(path, f"kind 'blocks' has exactly 1 level, got {levels}")
        if not 1 <= levels <= 33:
            raise _fail(path, f"levels = {levels} is outside [1, 33]")
        expected = _member_names(fmt, levels)
        missing = [n for n in expected if n not in names]
        if missing:
            raise _fail(path, f"member {missing[0]!r} is missing")
        unknown = sorted(names - set(expected))
        if unknown:
            raise _fail(path, f"unknown member {unknown[0]!r} (not in format "
                              f"version {FORMAT_VERSION})")
        shape = _pair_member(path, npz, "shape", "the matrix shape")
        out = []
        for level in range(levels):
            block = _pair_member(path, npz, f"block_{level}", "the block shape")
            if kind == "multires" and block != multires_block(shape, level):
                raise _fail(path, f"block_{level} is {block}, but level "
                                  f"{level} of a {shape[0]} x {shape[1]} "
                                  f"matrix has blocks of "
                                  f"{multires_block(shape, level)}")
            grid = (-(-shape[0] // block[0]), -(-shape[1] // block[1]))
            out.append(_level(path, npz, fmt, level, shape, block, grid))
    return out[0] if kind == "blocks" else MultiresSeeds(shape, out)


def _grid_member(path, npz, name, dtype, grid):
    a = _read_member(path, npz, name)
    if a.dtype != dtype or a.shape != grid:
        raise _fail(path, f"member {name!r} must be {np.dtype(dtype)} of "
                          f"shape {grid} (the block grid), got dtype "
                          f"{a.dtype} and shape {a.shape}")
    return a


def _level(path, npz, fmt, level, shape, block, grid):
    try:
        if fmt == "seed64":
            words = _grid_member(path, npz, f"word_{level}", np.uint64, grid)
            return BlockSeeds.from_words(shape, block, words)
        fields = np.zeros(grid, dtype=SEED_DTYPE)
        for name in _Q64_FIELDS:
            fields[name] = _grid_member(path, npz, f"{name}_{level}",
                                        SEED_DTYPE[name], grid)
        return BlockSeeds(shape, block, fields, seed_format=fmt)
    except ValueError as exc:
        if isinstance(exc, RbeFileError):
            raise
        raise _fail(path, f"level {level}: seeds out of range: {exc}") from None


# --------------------------------------------------------------------------
# compress / decompress
# --------------------------------------------------------------------------

def compress(W, *, block=None, levels=None, seed_format="seed64", threads=None,
             progress=None, **encode_options):
    """Seeds of W: blocks (:func:`encode_blocks`) or multi-resolution levels
    (:func:`encode_multires`).

    Parameters
    ----------
    W : array_like, 2-d, real, finite
    block : (int, int), optional
        The block shape; default: one block, the whole matrix.
    levels : int, optional
        Multi-resolution with this many levels (instead of ``block``).
    seed_format, threads, progress, **encode_options
        As for :func:`encode_blocks`.

    Returns
    -------
    BlockSeeds, or MultiresSeeds when ``levels`` is given

    Raises
    ------
    TypeError, ValueError
        Bad W or arguments, or both ``block`` and ``levels``.

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4) / 24
    >>> compress(W).block, compress(W, block=(2, 2)).grid, len(compress(W, levels=2))
    ((3, 4), (2, 2), 2)
    """
    if block is not None and levels is not None:
        raise ValueError("compress: give block or levels, not both")
    if levels is not None:
        return encode_multires(W, levels, seed_format=seed_format,
                               threads=threads, progress=progress,
                               **encode_options)
    a = check_matrix("compress", W)
    return encode_blocks(a, a.shape if block is None else block,
                         seed_format=seed_format, threads=threads,
                         progress=progress, **encode_options)


def decompress(seeds, dtype=np.float64, threads=None, progress=None):
    """The restored matrix of seeds, or of the compressed file at a path.

    Parameters
    ----------
    seeds : BlockSeeds, MultiresSeeds or path-like
    dtype : numpy.float64 (default) or numpy.float32 (or the integer
        formats of :meth:`BlockSeeds.decode`)
    threads : int, optional
    progress : bool, optional

    Returns
    -------
    numpy.ndarray
        ``seeds.decode(...)``: each block correctly rounded, or the
        multi-resolution sum of every level rounded once.

    Raises
    ------
    RbeFileError, FileNotFoundError
        For a path: see :func:`load_seeds`.

    Examples
    --------
    >>> bs = compress(np.full((2, 3), 0.25))
    >>> np.array_equal(decompress(bs), bs.decode())
    True
    """
    if not isinstance(seeds, (BlockSeeds, MultiresSeeds)):
        seeds = load_seeds(seeds)
    if isinstance(seeds, MultiresSeeds):
        return seeds.decode(dtype=dtype, threads=threads)
    return seeds.decode(dtype=dtype, threads=threads, progress=progress)


_BAND_ELEMENTS = 1 << 22  # elements decoded at once by write_npy


def write_npy(path, seeds, dtype=np.float64, *, threads=None, band_rows=None,
              decode_band=None, progress=None):
    """Decode seeds into a ``.npy`` file, a band of rows at a time,
    atomically.

    Memory stays at one band (about 4 M elements by default), so the
    matrix need not fit in memory.

    Parameters
    ----------
    path : path-like
    seeds : BlockSeeds or MultiresSeeds
    dtype : numpy.float64 or numpy.float32 (or int64 / frac 62)
    threads : int, optional
    band_rows : int, optional
        Rows per band (default: about 4 M elements).
    decode_band : callable, optional
        ``decode_band(seeds, r0, r1, dtype)`` -> the rows [r0, r1) of the
        restoration; default ``seeds.decode(..., rows=(r0, r1))`` (the
        dask path passes its own).
    progress : bool, optional
        A tqdm bar over the rows.

    Examples
    --------
    >>> import tempfile, os
    >>> bs = compress(np.eye(5), block=(2, 2))
    >>> p = os.path.join(tempfile.mkdtemp(), "w.npy")
    >>> write_npy(p, bs, band_rows=2)
    >>> np.array_equal(np.load(p), bs.decode())
    True
    """
    dtype = np.dtype(dtype)
    m, n = seeds.shape
    if band_rows is None:
        band_rows = max(1, _BAND_ELEMENTS // n)
    if decode_band is None:
        def decode_band(s, r0, r1, dt):
            return s.decode(dtype=dt, threads=threads, rows=(r0, r1))
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=m, desc="decompress", unit="row", leave=False)
    try:
        with atomic_file(path, "wb") as fh:
            np.lib.format.write_array_header_1_0(
                fh, {"descr": np.lib.format.dtype_to_descr(dtype),
                     "fortran_order": False, "shape": (m, n)})
            for r0 in range(0, m, band_rows):
                r1 = min(r0 + band_rows, m)
                band = np.ascontiguousarray(decode_band(seeds, r0, r1, dtype),
                                            dtype=dtype)
                if band.shape != (r1 - r0, n):
                    raise ValueError("write_npy: decode_band returned shape "
                                     f"{band.shape}, expected {(r1 - r0, n)}")
                fh.write(band.tobytes())
                if bar is not None:
                    bar.update(r1 - r0)
    finally:
        if bar is not None:
            bar.close()
