"""p x q blocks with one seed each (source 000, 8.8), and multi-resolution
residual levels (source 000, 8.5.3).

A matrix W of shape (m, n) is cut into blocks of shape (p, q), read in row
order; the last block row has ``m % p`` rows and the last block column
``n % q`` columns when p, q do not divide m, n.  Block (bi, bj) is restored
as its own matrix ``R(s_b, p_b, q_b)`` with local indices ``0..p_b-1``,
``0..q_b-1`` (so every block of one shape shares the modulation matrix Phi).

docs/transform-blocks.md is the page of this module: the block grid, the
multi-resolution levels and how they are summed.
"""
import concurrent.futures
import math
import os
import sys

import numpy as np

from poincare_q64 import _api, packing, registry
from poincare_q64.transform.decode import check_shape, decode_batch
from poincare_q64.transform.encode import (best_seed_for_amplitude,
                                           check_matrix, encode_matrix,
                                           optimal_amplitude)
from poincare_q64.transform.seed import SEED_FORMATS, Seed, seed_bits

__all__ = ["SEED_DTYPE", "BlockSeeds", "encode_blocks", "decode_blocks",
           "MultiresSeeds", "encode_multires", "multires_block",
           "MULTIRES_FRAC"]

#: One seed as a record, its fields in the spec's canonical input order.
SEED_DTYPE = np.dtype([("R", "<u8"), ("T", "<u8"), ("log2_c", "i1"),
                       ("eps", "<u8"), ("d_r", "u1"), ("rot", "u1"),
                       ("d_theta", "u1")])
_OPTIONS = ("log2_c", "eps", "d_r", "rot", "d_theta")
# (lo, hi) of each option, as rbe takes them (docs/spec.md, Inputs).
_OPTION_RANGE = {"log2_c": (-4, 3), "eps": (0, (1 << 64) - 1),
                 "d_r": (0, 1), "rot": (0, 15), "d_theta": (0, 3)}
_R_SHIFT, _T_SHIFT = 44, 40

#: The fixed-point position at which multi-resolution levels are summed:
#: each level is decoded as ``round(f * 2**62)`` (rbe's default int64
#: format), the levels are added exactly, and the sum is rounded once.
MULTIRES_FRAC = 62

# Blocks per task of the encoder's thread pool: large enough that numpy's
# per-call overhead is small, small enough that two threads share the work.
_CHUNK_BLOCKS = 256
# progress=None shows a bar only for at least this many blocks.
_PROGRESS_BLOCKS = 4096


def _pair(func, name, value):
    """(a, b) of two ints >= 1 (a block or matrix shape)."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise TypeError(f"{func}: {name} must be a pair of ints (p, q), "
                        f"got {value!r}") from None
    out = []
    for v in (a, b):
        if not _api._is_integer(v):
            raise TypeError(f"{func}: {name} must be a pair of ints, got "
                            f"{value!r}")
        if int(v) < 1:
            raise ValueError(f"{func}: {name} must be >= 1 in both "
                             f"directions, got {tuple(value)!r}")
        out.append(int(v))
    return tuple(out)


def _resolve_threads(func, threads):
    return _api.resolve_threads(func, threads)


def _rows(func, rows, m):
    """(r0, r1) with 0 <= r0 < r1 <= m."""
    try:
        r0, r1 = (int(x) for x in rows)
    except (TypeError, ValueError):
        raise TypeError(f"{func}: rows must be a pair of ints (r0, r1), got "
                        f"{rows!r}") from None
    if not 0 <= r0 < r1 <= m:
        raise ValueError(f"{func}: rows ({r0}, {r1}) is not a range of rows "
                         f"of a matrix with {m} rows (0 <= r0 < r1 <= {m})")
    return r0, r1


def _show_progress(progress, count):
    if progress is None:
        return count >= _PROGRESS_BLOCKS and sys.stderr.isatty()
    return bool(progress)


def _bar(progress, total, desc):
    """A tqdm bar, or None."""
    if not _show_progress(progress, total):
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="block", file=sys.stderr,
                leave=False)


def _groups(shape, block):
    """The block shapes of a grid: ``(bi0, bi1, bj0, bj1, pb, qb)`` for
    the blocks ``[bi0, bi1) x [bj0, bj1)``, all of shape ``(pb, qb)``.

    At most four groups: the full blocks, the short last column, the short
    last row and the corner.
    """
    (m, n), (p, q) = shape, block
    rows = [(0, m // p, p)] + ([(m // p, m // p + 1, m % p)] if m % p else [])
    cols = [(0, n // q, q)] + ([(n // q, n // q + 1, n % q)] if n % q else [])
    return [(bi0, bi1, bj0, bj1, pb, qb)
            for bi0, bi1, pb in rows if bi1 > bi0
            for bj0, bj1, qb in cols if bj1 > bj0]


def _stack(a, block, group):
    """The blocks of one group as a C-contiguous ``(K, pb * qb)`` array, in
    row order of the grid, each row one block in row order."""
    p, q = block
    bi0, bi1, bj0, bj1, pb, qb = group
    region = a[bi0 * p:bi0 * p + (bi1 - bi0) * pb,
               bj0 * q:bj0 * q + (bj1 - bj0) * qb]
    return np.ascontiguousarray(
        region.reshape(bi1 - bi0, pb, bj1 - bj0, qb).transpose(0, 2, 1, 3)
    ).reshape(-1, pb * qb)


def _unstack(stack, group):
    """Inverse of :func:`_stack`: ``(K, pb, qb)`` blocks to their region."""
    bi0, bi1, bj0, bj1, pb, qb = group
    return stack.reshape(bi1 - bi0, bj1 - bj0, pb, qb).transpose(
        0, 2, 1, 3).reshape((bi1 - bi0) * pb, (bj1 - bj0) * qb)


def _check_fields(func, fields, seed_format):
    """ValueError naming the first block whose seed is out of range."""
    def where(bad):
        k = tuple(int(x) for x in np.argwhere(bad)[0])
        return f"block {k}"
    for name in ("log2_c", "d_r", "rot", "d_theta"):
        lo, hi = _OPTION_RANGE[name]
        v = fields[name].astype(np.int64)
        bad = (v < lo) | (v > hi)
        if bad.any():
            raise ValueError(f"{func}: {where(bad)}: {name} = "
                             f"{int(v[bad][0])} is outside [{lo}, {hi}]")
    if seed_format == "seed64":
        for name, shift in (("R", _R_SHIFT), ("T", _T_SHIFT)):
            bad = fields[name] % np.uint64(1 << shift) != 0
            if bad.any():
                raise ValueError(
                    f"{func}: {where(bad)}: {name} = {int(fields[name][bad][0])} "
                    f"is not a multiple of 2**{shift}, so the seed64 format "
                    "cannot hold it (use seed_format='q64')")
        bad = fields["eps"] != 0
        if bad.any():
            raise ValueError(f"{func}: {where(bad)}: eps is not 0, which the "
                             "seed64 format cannot hold (use seed_format='q64')")


def _seed_bits(seed_format, fields):
    """Stored bits of one seed in ``seed_format``: the encoder's
    ``seed_bits`` with, as the allowed values of each option, the values
    the blocks use (an option every block leaves at one value is implied,
    not stored)."""
    return seed_bits(seed_format, **{
        name: sorted(int(v) for v in np.unique(fields[name])) or [0]
        for name in _OPTIONS})


class BlockSeeds:
    """One seed per block of an m x n matrix cut into p x q blocks.

    Parameters
    ----------
    shape : (int, int)
        The matrix shape (m, n).
    block : (int, int)
        The block shape (p, q); the last block row and column are smaller
        (``m % p`` rows, ``n % q`` columns) when p, q do not divide m, n.
    seeds : ndarray
        The seeds on the grid of ``(ceil(m / p), ceil(n / q))`` blocks:
        a structured array of :data:`SEED_DTYPE` (fields R, T, log2_c, eps,
        d_r, rot, d_theta), or an object array of :class:`Seed`.
    seed_format : {"seed64", "q64"}
        How the seeds are stored (:mod:`poincare_q64.transform.seed`);
        with "seed64" every seed must fit the 64-bit word.

    Attributes
    ----------
    shape, block, seed_format
        As given (shape and block as tuples of ints).
    grid : (int, int)
        The number of block rows and columns.
    fields : ndarray of SEED_DTYPE
        The seeds, one record per block (read-only).

    Raises
    ------
    TypeError, ValueError
        A bad shape or block, seeds of the wrong shape or dtype, an option
        out of its range, or a seed the seed64 format cannot hold.

    Examples
    --------
    >>> import numpy as np
    >>> bs = BlockSeeds((3, 5), (2, 4), np.array([[Seed(1 << 63, 1 << 62)] * 2] * 2),
    ...                 seed_format="seed64")
    >>> bs.grid, bs.stored_bits
    ((2, 2), 256)
    >>> W_hat = bs.decode()
    >>> W_hat.shape, float(W_hat[2, 4]) == float(W_hat[0, 0])
    ((3, 5), True)
    """

    def __init__(self, shape, block, seeds, seed_format="seed64"):
        func = "BlockSeeds"
        self.shape = check_shape(func, *_pair(func, "shape", shape))
        self.block = _pair(func, "block", block)
        if seed_format not in SEED_FORMATS:
            raise ValueError(f"{func}: seed_format must be one of "
                             f"{SEED_FORMATS}, got {seed_format!r}")
        self.seed_format = seed_format
        (m, n), (p, q) = self.shape, self.block
        self.grid = (-(-m // p), -(-n // q))
        seeds = np.asarray(seeds)
        if seeds.dtype == object:
            fields = np.zeros(seeds.shape, dtype=SEED_DTYPE)
            for k, s in np.ndenumerate(seeds):
                if not isinstance(s, Seed):
                    raise TypeError(f"{func}: seeds[{k}] is a "
                                    f"{type(s).__name__}, not a Seed")
                fields[k] = (s.R, s.T, s.log2_c, s.eps, s.d_r, s.rot, s.d_theta)
        elif seeds.dtype == SEED_DTYPE:
            fields = seeds.copy()
        else:
            raise TypeError(f"{func}: seeds must be a structured array of "
                            f"SEED_DTYPE or an object array of Seed, got "
                            f"dtype {seeds.dtype}")
        if fields.shape != self.grid:
            raise ValueError(f"{func}: seeds has shape {fields.shape}, but "
                             f"{m} x {n} in blocks of {p} x {q} is a grid of "
                             f"{self.grid[0]} x {self.grid[1]}")
        _check_fields(func, fields, seed_format)
        fields.flags.writeable = False
        self.fields = fields

    @classmethod
    def from_words(cls, shape, block, words):
        """BlockSeeds in the seed64 format from a grid of packed words.

        Parameters
        ----------
        shape, block : (int, int)
            As for :class:`BlockSeeds`.
        words : array_like of uint64
            The grid of seed64 words; their basis and reserved fields must be
            0.

        Returns
        -------
        BlockSeeds

        Raises
        ------
        ValueError
            A word with a nonzero basis or reserved field, or a grid of the
            wrong shape.

        Examples
        --------
        >>> bs = BlockSeeds.from_words((2, 2), (2, 2), [[0x8000040000000000]])
        >>> bs.fields["R"][0, 0] == 1 << 63, bs.words[0, 0] == 0x8000040000000000
        (np.True_, np.True_)
        """
        # checked as every seed word is (integers in [0, 2**64), no floats,
        # no masked arrays), not converted blindly
        x = registry.INPUTS["word"]
        words, _ = _api.as_int_array("BlockSeeds.from_words", "words", words, x.lo,
                                     x.hi, np.dtype(np.uint64))
        if words.ndim != 2:
            raise ValueError(f"BlockSeeds.from_words: words must be 2-d, got "
                             f"{words.ndim}-d")
        f = packing.unpack_seed64(words)
        for name in ("basis", "reserved"):
            bad = np.asarray(getattr(f, name)) != 0
            if bad.any():
                k = tuple(int(x) for x in np.argwhere(bad)[0])
                raise ValueError(
                    f"BlockSeeds.from_words: block {k}: word "
                    f"{int(words[k]):#018x} has {name} "
                    f"{int(np.asarray(getattr(f, name))[k])}, which must be 0")
        fields = np.zeros(words.shape, dtype=SEED_DTYPE)
        fields["R"] = np.asarray(f.r, dtype=np.uint64) << np.uint64(_R_SHIFT)
        fields["T"] = np.asarray(f.theta, dtype=np.uint64) << np.uint64(_T_SHIFT)
        for name in ("log2_c", "d_r", "rot", "d_theta"):
            fields[name] = getattr(f, name)
        return cls(shape, block, fields, seed_format="seed64")

    @property
    def words(self):
        """The grid of packed seed64 words (uint64), for the seed64 format.

        Raises
        ------
        ValueError
            The format is q64 (its seeds need not fit a word).
        """
        if self.seed_format != "seed64":
            raise ValueError("BlockSeeds.words: the seeds are in the q64 "
                             "format; only seed64 seeds are packed words")
        f = self.fields
        if f.size == 0:
            return np.zeros(f.shape, dtype=np.uint64)
        w = packing.pack_seed64(f["R"] >> np.uint64(_R_SHIFT),
                                f["T"] >> np.uint64(_T_SHIFT),
                                d_theta=f["d_theta"], d_r=f["d_r"],
                                rot=f["rot"], log2_c=f["log2_c"])
        return np.asarray(w, dtype=np.uint64).reshape(f.shape)

    @property
    def seeds(self):
        """The seeds as an object array of :class:`Seed` on the grid."""
        out = np.empty(self.grid, dtype=object)
        for k, rec in np.ndenumerate(self.fields):
            out[k] = Seed(*(int(rec[name]) for name in ("R", "T")),
                          **{name: int(rec[name]) for name in _OPTIONS})
        return out

    def seed(self, bi, bj):
        """The :class:`Seed` of block (bi, bj)."""
        rec = self.fields[bi, bj]
        return Seed(int(rec["R"]), int(rec["T"]),
                    **{name: int(rec[name]) for name in _OPTIONS})

    @property
    def block_count(self):
        """The number of blocks (seeds)."""
        return self.grid[0] * self.grid[1]

    @property
    def stored_bits(self):
        """The bits the seeds take: the number of blocks times one seed's
        bits (64 for seed64; 128 plus the options in use for q64).  The
        shapes (matrix and block) are not counted."""
        return self.block_count * _seed_bits(self.seed_format, self.fields)

    def block_slices(self, bi, bj):
        """The (rows, cols) slices of block (bi, bj) in the matrix."""
        (m, n), (p, q) = self.shape, self.block
        return (slice(bi * p, min(bi * p + p, m)),
                slice(bj * q, min(bj * q + q, n)))

    def subgrid(self, bi0, bi1, bj0, bj1):
        """The blocks ``[bi0, bi1) x [bj0, bj1)`` as a BlockSeeds of the
        region they cover; its decode is that region of this one's."""
        rows, cols = self.block_slices(bi1 - 1, bj1 - 1)
        p, q = self.block
        shape = (rows.stop - bi0 * p, cols.stop - bj0 * q)
        return BlockSeeds(shape, self.block, self.fields[bi0:bi1, bj0:bj1],
                          self.seed_format)

    def _decode_rows(self, rows, dt, frac, threads, progress):
        """Rows [r0, r1): the whole block rows inside them through
        :meth:`decode` of a subgrid, the cut block rows at the ends on
        their own rows."""
        (r0, r1), (m, n), (p, q) = rows, self.shape, self.block
        out = np.empty((r1 - r0, n), dtype=dt)
        full0, full1 = -(-r0 // p), r1 // p if r1 < m else -(-m // p)
        if full0 < full1:
            sub = self.subgrid(full0, full1, 0, self.grid[1])
            a = full0 * p - r0
            out[a:a + sub.shape[0]] = sub.decode(dt, frac, threads, progress)
        for bi in {r0 // p, (r1 - 1) // p}:
            b0, b1 = bi * p, min(bi * p + p, m)
            if full0 <= bi < full1:
                continue
            lo, hi = max(r0, b0), min(r1, b1)
            out[lo - r0:hi - r0] = self._block_row_part(bi, lo - b0, hi - b0,
                                                        dt, frac, threads)
        return out

    def _block_row_part(self, bi, a, b, dt, frac, threads):
        """Local rows [a, b) of every block of block row bi.

        decode_batch restores whole blocks only; these rows are rbe on
        the same local indices, so the values are the same
        (decode_matrix's contract: rbe on the grid).
        """
        n, q = self.shape[1], self.block[1]
        out = np.empty((b - a, n), dtype=dt)
        i = np.arange(a, b, dtype=np.uint32)[None, :, None]
        for bj0, bj1, qb in ((0, n // q, q), (n // q, n // q + 1, n % q)):
            if bj1 <= bj0 or qb == 0:
                continue
            f = self.fields[bi, bj0:bj1]
            col = {name: f[name][:, None, None] for name in SEED_DTYPE.names}
            res = _api.rbe(col["R"], col["T"], i,
                           np.arange(qb, dtype=np.uint32)[None, None, :],
                           **{name: col[name] for name in _OPTIONS},
                           frac=frac, dtype=dt, threads=threads)
            out[:, bj0 * q:bj0 * q + (bj1 - bj0) * qb] = \
                res.transpose(1, 0, 2).reshape(b - a, -1)
        return out

    def __eq__(self, other):
        if not isinstance(other, BlockSeeds):
            return NotImplemented
        return (self.shape == other.shape and self.block == other.block
                and self.seed_format == other.seed_format
                and np.array_equal(self.fields, other.fields))

    __hash__ = None

    def __repr__(self):
        return (f"BlockSeeds(shape={self.shape}, block={self.block}, "
                f"grid={self.grid}, seed_format={self.seed_format!r})")

    def decode(self, dtype=np.float64, frac=None, threads=None, progress=None,
               rows=None):
        """The restored m x n matrix: each block ``rbe`` on its local grid.

        ``W_hat[r, c] = rbe(R_b, T_b, r - r0, c - c0, <options of b>)`` for
        the block b = (bi, bj) holding (r, c), whose first row and column
        are r0, c0; every element is rounded once into the format, exactly
        as :func:`poincare_q64.rbe` rounds it.

        Parameters
        ----------
        dtype : numpy.float64 (default), numpy.float32, numpy.int64 or object
            The output format, as for :func:`poincare_q64.rbe`.
        frac : int, optional
            For the integer formats (default 62).
        threads : int, optional
            Threads of the kernels (default: all cores); the result does not
            depend on it.
        progress : bool, optional
            A progress bar on stderr (None: only for many blocks on a
            terminal).
        rows : (int, int), optional
            Only the rows ``[r0, r1)`` of the matrix (the same values as
            ``decode(...)[r0:r1]``), for matrices decoded a band at a time.

        Returns
        -------
        numpy.ndarray of shape (m, n), or (r1 - r0, n) with ``rows``

        Raises
        ------
        OverflowError
            An int64 element does not fit (see :func:`poincare_q64.rbe`).
        ValueError
            ``rows`` is not a range of rows of the matrix.

        Examples
        --------
        >>> bs = encode_blocks(np.full((4, 6), 0.5), (2, 3))
        >>> bs.decode().shape, bs.decode(np.float32).dtype
        ((4, 6), dtype('float32'))
        """
        dt, _, _ = _api.resolve_format("BlockSeeds.decode", dtype, frac)
        threads = _resolve_threads("BlockSeeds.decode", threads)
        if rows is not None:
            return self._decode_rows(_rows("BlockSeeds.decode", rows,
                                           self.shape[0]),
                                     dt, frac, threads, progress)
        out = np.empty(self.shape, dtype=dt)
        p, q = self.block
        bar = _bar(progress, self.block_count, "decode")
        try:
            for group in _groups(self.shape, self.block):
                bi0, bi1, bj0, bj1, pb, qb = group
                f = self.fields[bi0:bi1, bj0:bj1].reshape(-1)
                # Blocks of one shape share their index grid: one batch call.
                # A band of block rows at a time keeps the temporary small.
                step = max(1, (1 << 22) // max(1, (bj1 - bj0) * pb * qb))
                for r in range(bi0, bi1, step):
                    r1 = min(r + step, bi1)
                    sub = f[(r - bi0) * (bj1 - bj0):(r1 - bi0) * (bj1 - bj0)]
                    res = decode_batch(
                        sub["R"], sub["T"], pb, qb,
                        **{name: sub[name] for name in _OPTIONS},
                        frac=frac, dtype=dt, threads=threads)
                    out[r * p:r * p + (r1 - r) * pb,
                        bj0 * q:bj0 * q + (bj1 - bj0) * qb] = _unstack(
                            res, (r, r1, bj0, bj1, pb, qb))
                    if bar is not None:
                        bar.update(len(sub))
        finally:
            if bar is not None:
                bar.close()
        return out


def decode_blocks(bs, dtype=np.float64, frac=None, threads=None, progress=None):
    """The restored matrix of a :class:`BlockSeeds` (its :meth:`~BlockSeeds.decode`).

    Parameters
    ----------
    bs : BlockSeeds
    dtype, frac, threads, progress : optional
        As for :meth:`BlockSeeds.decode` (default float64).

    Returns
    -------
    numpy.ndarray
        The m x n matrix, each block rbe on its own local grid.

    Raises
    ------
    TypeError
        bs is not a BlockSeeds, or as for :meth:`BlockSeeds.decode`.
    ValueError, OverflowError
        As for :meth:`BlockSeeds.decode`.

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4) / 12
    >>> bs = encode_blocks(W, (2, 2))
    >>> np.array_equal(decode_blocks(bs), bs.decode())
    True
    """
    if not isinstance(bs, BlockSeeds):
        raise TypeError(f"decode_blocks: bs must be a BlockSeeds, got "
                        f"{type(bs).__name__}")
    return bs.decode(dtype=dtype, frac=frac, threads=threads, progress=progress)


# --------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------

def _encode_group(a, block, group, seed_format, pool, bar, encode_options):
    """The seeds of one group of equally shaped blocks (a 1-d record array
    in row order of the grid)."""
    bi0, bi1, bj0, bj1, pb, qb = group
    stack = _stack(a, block, group)
    k = stack.shape[0]
    chunks = [(s, min(s + _CHUNK_BLOCKS, k)) for s in range(0, k, _CHUNK_BLOCKS)]
    out = np.zeros(k, dtype=SEED_DTYPE)
    searched = {k: v for k, v in encode_options.items() if k != "progress"}
    if set(searched) <= set(_OPTIONS) | {"method"} and \
            searched.get("method", "optimal") == "optimal":
        # encode_matrix's optimum is best_seed_for_amplitude(optimal_amplitude
        # of the block): the projections per block, the seeds in one call.
        searched.pop("method", None)

        def work(lo, hi):
            A = np.array([optimal_amplitude(stack[t].reshape(pb, qb))
                          for t in range(lo, hi)])
            # the pool's threads share the chunks: one search thread each
            seeds = best_seed_for_amplitude(A, seed_format, threads=1, **searched)
            for t, s in zip(range(lo, hi), seeds):
                out[t] = (s.R, s.T, s.log2_c, s.eps, s.d_r, s.rot, s.d_theta)
            return hi - lo
    else:
        def work(lo, hi):
            for t in range(lo, hi):
                s = encode_matrix(stack[t].reshape(pb, qb),
                                  seed_format=seed_format,
                                  **encode_options).seed
                out[t] = (s.R, s.T, s.log2_c, s.eps, s.d_r, s.rot, s.d_theta)
            return hi - lo
    for done in pool.map(lambda c: work(*c), chunks):
        if bar is not None:
            bar.update(done)
    return out


def encode_blocks(W, block, *, seed_format="seed64", threads=None,
                  progress=None, **encode_options):
    """One seed per p x q block of W (source 000, section 8.8).

    Each block is encoded as :func:`encode_matrix` encodes a matrix, on its
    own values and local indices: the seed of block (bi, bj) is
    ``encode_matrix(W[block rows, block cols], seed_format=...,
    **encode_options).seed``.  With no encode options, the blocks of one
    shape share Phi and their least-squares amplitudes are one vectorised
    computation; with options, each block goes through ``encode_matrix``.

    Parameters
    ----------
    W : array_like, 2-d, real, finite
        The matrix (converted to float64).
    block : (int, int)
        The block shape (p, q); ragged last row and column of blocks.
    seed_format : {"seed64", "q64"}
    threads : int, optional
        Threads encoding blocks at once (default: all cores); the seeds do
        not depend on it.
    progress : bool, optional
        A tqdm bar on stderr (None: only for many blocks on a terminal).
    **encode_options
        Passed to :func:`encode_matrix` for every block.

    Returns
    -------
    BlockSeeds

    Raises
    ------
    TypeError, ValueError
        W not a finite real 2-d array, a bad block or seed_format.

    Examples
    --------
    >>> W = np.arange(35.0).reshape(5, 7) / 35
    >>> bs = encode_blocks(W, (2, 3))
    >>> bs.grid, bs.block, bs.stored_bits
    ((3, 3), (2, 3), 576)
    >>> bs.seed(2, 2) == encode_matrix(W[4:, 6:]).seed
    True
    """
    func = "encode_blocks"
    a = check_matrix(func, W)
    block = _pair(func, "block", block)
    if seed_format not in SEED_FORMATS:
        raise ValueError(f"{func}: seed_format must be one of {SEED_FORMATS},"
                         f" got {seed_format!r}")
    threads = _resolve_threads(func, threads)
    shape = a.shape
    grid = (-(-shape[0] // block[0]), -(-shape[1] // block[1]))
    fields = np.zeros(grid, dtype=SEED_DTYPE)
    bar = _bar(progress, grid[0] * grid[1], "encode")
    try:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            for group in _groups(shape, block):
                bi0, bi1, bj0, bj1, _, _ = group
                fields[bi0:bi1, bj0:bj1] = _encode_group(
                    a, block, group, seed_format, pool, bar,
                    encode_options).reshape(bi1 - bi0, bj1 - bj0)
    finally:
        if bar is not None:
            bar.close()
    return BlockSeeds(shape, block, fields, seed_format)


# --------------------------------------------------------------------------
# Multi-resolution (source 000, 8.5.3)
# --------------------------------------------------------------------------

def multires_block(shape, level):
    """The block shape of level ``level``: ``(ceil(m / 2**l), ceil(n / 2**l))``.

    Level l cuts the matrix into a 2**l x 2**l grid of blocks when 2**l
    divides m and n (fewer, with a ragged last block, otherwise; blocks are
    never smaller than 1 x 1).

    Examples
    --------
    >>> [multires_block((8, 6), l) for l in range(4)]
    [(8, 6), (4, 3), (2, 2), (1, 1)]
    """
    m, n = shape
    return (-(-m // (1 << level)), -(-n // (1 << level)))


def _split(x):
    """Integers (int64 or object array) as (hi, lo) int64 with
    x = hi * 2**32 + lo, 0 <= lo < 2**32."""
    hi = (x >> 32).astype(np.int64)
    lo = (x & 0xFFFFFFFF).astype(np.int64)
    return hi, lo


class _LevelSum:
    """The exact sum of levels at frac MULTIRES_FRAC, as int64 (hi, lo)
    halves (S = hi * 2**32 + lo): no int64 overflow for up to 2**30 levels,
    since every level's |X| < 2.2 * 2**62 < 2**64."""

    def __init__(self, shape):
        self.hi = np.zeros(shape, dtype=np.int64)
        self.lo = np.zeros(shape, dtype=np.int64)

    def add(self, bs, threads, rows=None):
        try:
            x = bs.decode(dtype=np.int64, frac=MULTIRES_FRAC, threads=threads,
                          rows=rows)
        except OverflowError:
            # |f| >= 2 - 2**-63 (d_r = 1 or c < 1): the exact integers.
            x = bs.decode(dtype=object, frac=MULTIRES_FRAC, threads=threads,
                          rows=rows)
        hi, lo = _split(x)
        self.hi += hi
        self.lo += lo

    def round(self, dtype, frac):
        return _round_sum(self.hi, self.lo, dtype, frac)


def _round_sum(hi, lo, dtype, frac):
    """``S / 2**MULTIRES_FRAC`` rounded once into the format, for
    S = hi * 2**32 + lo (int64 arrays, |hi| < 2**52)."""
    dt, kind, frac = _api.resolve_format("MultiresSeeds.decode", dtype, frac)
    hi = hi + (lo >> 32)
    lo = lo & 0xFFFFFFFF
    if dt.kind == "f":
        a = hi.astype(np.float64) * 2.0 ** 32  # exact: |hi| < 2**53
        b = lo.astype(np.float64)              # exact: lo < 2**32
        s = a + b                              # one IEEE rounding of S
        scale = 2.0 ** -MULTIRES_FRAC          # exact: S = 0 or |S| >= 1
        if dt == np.float64:
            return s * scale
        # float32: round S to 53 bits by round-to-odd, then to 24 bits; two
        # roundings equal one when the first is to odd with >= 2 extra bits.
        bb = s - a
        err = (a - (s - bb)) + (b - bb)        # TwoSum: S - s exactly
        odd = (s.view(np.uint64) & np.uint64(1)) == 1
        fix = (err != 0) & ~odd
        s = np.where(fix, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
        return (s * scale).astype(np.float32)
    S = hi.astype(object) * (1 << 32) + lo.astype(object)
    shift = MULTIRES_FRAC - frac
    if shift <= 0:
        X = S * (1 << -shift)
    else:
        q, r = S // (1 << shift), S % (1 << shift)
        half = 1 << (shift - 1)
        X = q + ((r > half) | ((r == half) & (q % 2 == 1)))
    if dt == object:
        return X
    lo64, hi64 = -(1 << 63), (1 << 63) - 1
    bad = (X < lo64) | (X > hi64)
    if np.any(bad):
        raise OverflowError(f"MultiresSeeds.decode: a sum does not fit int64 "
                            f"at frac {frac} (use dtype=object or a smaller "
                            "frac)")
    return X.astype(np.int64)


class MultiresSeeds:
    """The levels of a multi-resolution transform, level 0 first.

    Level l is a :class:`BlockSeeds` whose blocks have the shape
    :func:`multires_block` ``(shape, l)``; the restoration at level k is
    the sum of levels 0..k (:meth:`decode`).

    Parameters
    ----------
    shape : (int, int)
    levels : list of BlockSeeds
        Level l must have the matrix shape and the block shape of level l.

    Examples
    --------
    >>> ms = encode_multires(np.arange(16.0).reshape(4, 4) / 16, levels=2)
    >>> [bs.grid for bs in ms.levels], ms.stored_bits
    ([(1, 1), (2, 2)], 320)
    """

    def __init__(self, shape, levels):
        func = "MultiresSeeds"
        self.shape = check_shape(func, *_pair(func, "shape", shape))
        levels = list(levels)
        if not levels:
            raise ValueError(f"{func}: at least one level is needed")
        for l, bs in enumerate(levels):
            if not isinstance(bs, BlockSeeds):
                raise TypeError(f"{func}: level {l} is a {type(bs).__name__}, "
                                "not a BlockSeeds")
            want = multires_block(self.shape, l)
            if bs.shape != self.shape or bs.block != want:
                raise ValueError(f"{func}: level {l} has shape {bs.shape} and "
                                 f"block {bs.block}; expected {self.shape} "
                                 f"and {want}")
        self.levels = levels

    @property
    def seed_format(self):
        """The format of level 0's seeds (every level's, when encoded by
        :func:`encode_multires`)."""
        return self.levels[0].seed_format

    @property
    def stored_bits(self):
        """The sum of the levels' stored bits."""
        return sum(bs.stored_bits for bs in self.levels)

    def __len__(self):
        return len(self.levels)

    def __eq__(self, other):
        if not isinstance(other, MultiresSeeds):
            return NotImplemented
        return self.shape == other.shape and self.levels == other.levels

    __hash__ = None

    def __repr__(self):
        return (f"MultiresSeeds(shape={self.shape}, levels={len(self.levels)}, "
                f"seed_format={self.seed_format!r})")

    def decode(self, k=None, dtype=np.float64, frac=None, threads=None,
               rows=None):
        """The restoration at level k: ``W_hat^(k) = sum_{l <= k} R_l``.

        Each level is decoded at frac 62 (``X_l = round(f_l * 2**62)``, the
        level's blocks exactly as :meth:`BlockSeeds.decode` with
        ``dtype=np.int64, frac=62`` gives them), the ``X_l`` are added
        exactly, and the exact sum ``S / 2**62`` is rounded once, to
        nearest with ties to even, into the output format.  The result does
        not depend on the order of the levels or on ``threads``.

        Parameters
        ----------
        k : int, optional
            The last level summed, 0..len(levels) - 1 (default: the last).
        dtype : numpy.float64 (default), numpy.float32, numpy.int64 or object
        frac : int, optional
            For the integer formats (default 62): ``round(S * 2**(frac - 62))``.
        threads : int, optional
        rows : (int, int), optional
            Only the rows ``[r0, r1)`` (as :meth:`BlockSeeds.decode`).

        Returns
        -------
        numpy.ndarray of shape (m, n)

        Raises
        ------
        ValueError
            k out of range.
        OverflowError
            An int64 element does not fit.

        Examples
        --------
        >>> ms = encode_multires(np.eye(4), levels=3)
        >>> ms.decode(0).shape, ms.decode(2, dtype=np.float32).dtype
        ((4, 4), dtype('float32'))
        """
        if k is None:
            k = len(self.levels) - 1
        if not _api._is_integer(k):
            raise TypeError(f"MultiresSeeds.decode: k must be an int, got "
                            f"{type(k).__name__}")
        if not 0 <= k < len(self.levels):
            raise ValueError(f"MultiresSeeds.decode: k = {k} is outside "
                             f"[0, {len(self.levels) - 1}]")
        _api.resolve_format("MultiresSeeds.decode", dtype, frac)
        threads = _resolve_threads("MultiresSeeds.decode", threads)
        if rows is not None:
            rows = _rows("MultiresSeeds.decode", rows, self.shape[0])
        shape = self.shape if rows is None else (rows[1] - rows[0], self.shape[1])
        acc = _LevelSum(shape)
        for bs in self.levels[:k + 1]:
            acc.add(bs, threads, rows)
        return acc.round(dtype, frac)


_MAX_LEVELS = 33  # level 32 has 1 x 1 blocks for any shape of < 2**32


def encode_multires(W, levels, *, seed_format="seed64", threads=None,
                    progress=None, **encode_options):
    """Multi-resolution levels (source 000, 8.5.3), each fitted to the
    residual of the levels before it.

    Level 0 is one seed for the whole matrix; level l cuts W into a
    2**l x 2**l grid of blocks (:func:`multires_block`) and encodes the
    residual ``W - W_hat^(l-1)`` with :func:`encode_blocks`, where
    ``W_hat^(l-1)`` is the float64 restoration of the levels before it
    (:meth:`MultiresSeeds.decode`).

    Parameters
    ----------
    W : array_like, 2-d, real, finite
    levels : int
        The number of levels K >= 1 (levels 0..K-1).
    seed_format, threads, progress, **encode_options
        As for :func:`encode_blocks`, for every level.

    Returns
    -------
    MultiresSeeds

    Raises
    ------
    TypeError, ValueError
        Bad W, levels not an int in [1, 33], bad seed_format or options.

    Examples
    --------
    >>> W = np.random.default_rng(0).normal(size=(8, 8))
    >>> ms = encode_multires(W, levels=3)
    >>> [bs.block for bs in ms.levels]
    [(8, 8), (4, 4), (2, 2)]
    >>> err = [float(np.mean((W - ms.decode(k)) ** 2)) for k in range(3)]
    >>> err[0] >= err[1] >= err[2]
    True
    """
    func = "encode_multires"
    a = check_matrix(func, W)
    if not _api._is_integer(levels):
        raise TypeError(f"{func}: levels must be an int, got "
                        f"{type(levels).__name__}")
    if not 1 <= levels <= _MAX_LEVELS:
        raise ValueError(f"{func}: levels = {levels} is outside "
                         f"[1, {_MAX_LEVELS}]")
    threads = _resolve_threads(func, threads)
    acc = _LevelSum(a.shape)
    out, residual = [], a
    for level in range(int(levels)):
        bs = encode_blocks(residual, multires_block(a.shape, level),
                           seed_format=seed_format, threads=threads,
                           progress=progress, **encode_options)
        out.append(bs)
        if level + 1 < levels:
            acc.add(bs, threads)
            residual = a - acc.round(np.float64, None)
    return MultiresSeeds(a.shape, out)
