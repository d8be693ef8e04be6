"""The block transform over dask.array, for matrices larger than memory.

W is chunked by whole blocks (every chunk but the last in each direction is
a multiple of the block shape), so each chunk's blocks are blocks of the
whole matrix and a chunk is encoded by :func:`encode_blocks` on its own:
the seeds are those of the in-memory path, bit for bit, whatever the
chunking, scheduler or number of workers.  Decoding is by bands of rows
(:meth:`BlockSeeds.decode` with ``rows=``), equally exact.

The scheduler: dask's threads scheduler by default (a local pool, nothing
to start); ``scheduler="synchronous"`` or ``"processes"``; or the address
of a ``dask.distributed`` scheduler (``"tcp://host:8786"``), whose workers
must see the same files (a shared file system) when W is a path.
"""
import numpy as np

from poincare_q64.transform.blocks import (SEED_DTYPE, BlockSeeds, _pair,
                                           encode_blocks)
from poincare_q64.transform.seed import SEED_FORMATS

__all__ = ["open_npy", "encode_blocks_dask", "decode_dask", "compute"]

# Elements of W per chunk (float64: 32 MB).
_CHUNK_ELEMENTS = 1 << 22
_LOCAL = ("threads", "synchronous", "processes")


def _chunk_shape(shape, block, elements):
    """(rows, cols) of a chunk: whole blocks, about ``elements`` elements,
    whole rows of blocks when they fit."""
    (m, n), (p, q) = shape, block
    gc = -(-n // q)
    kc = gc if p * n <= elements else max(1, elements // (p * q))
    kr = max(1, elements // (p * q * kc))
    return min(kr * p, m), min(kc * q, n)


def _load(path, r0, r1, c0, c1):
    return np.array(np.load(path, mmap_mode="r")[r0:r1, c0:c1])


def open_npy(path, block=(1, 1), *, chunk_elements=_CHUNK_ELEMENTS):
    """A ``.npy`` matrix as a dask array chunked by whole blocks, each task
    reading its chunk from the file (memory-mapped).

    Parameters
    ----------
    path : path-like
        A 2-d ``.npy`` file.
    block : (int, int)
        The chunks are whole blocks of this shape.
    chunk_elements : int
        About this many elements per chunk.

    Returns
    -------
    dask.array.Array

    Raises
    ------
    ValueError
        The file is not a 2-d array.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "w.npy")
    >>> np.save(p, np.arange(20.0).reshape(4, 5))
    >>> open_npy(p, (2, 2), chunk_elements=8).chunks
    ((2, 2), (4, 1))
    """
    import dask
    import dask.array as da

    path = str(path)
    mm = np.load(path, mmap_mode="r", allow_pickle=False)
    if mm.ndim != 2:
        raise ValueError(f"open_npy: {path} holds a {mm.ndim}-d array; W must "
                         "be 2-d")
    shape, dtype = mm.shape, mm.dtype
    del mm
    rows, cols = _chunk_shape(shape, _pair("open_npy", "block", block),
                              chunk_elements)
    load = dask.delayed(_load, pure=True)
    grid = [[da.from_delayed(load(path, r0, min(r0 + rows, shape[0]),
                                  c0, min(c0 + cols, shape[1])),
                             (min(r0 + rows, shape[0]) - r0,
                              min(c0 + cols, shape[1]) - c0), dtype=dtype)
             for c0 in range(0, shape[1], cols)]
            for r0 in range(0, shape[0], rows)]
    return da.block(grid)


def compute(arr, scheduler=None, progress=None, desc="compute"):
    """Compute a dask collection on the chosen scheduler.

    Parameters
    ----------
    arr : dask collection
    scheduler : str, optional
        None or "threads" (default), "synchronous", "processes", or a
        dask.distributed scheduler address.
    progress : bool, optional
        A tqdm bar (local schedulers) or distributed's progress bar.

    Returns
    -------
    The computed result.

    Examples
    --------
    >>> import dask.array as da
    >>> int(compute(da.ones(4, chunks=2).sum()))
    4
    """
    if scheduler is None or scheduler in _LOCAL:
        if progress:
            from tqdm.dask import TqdmCallback
            with TqdmCallback(desc=desc, leave=False):
                return arr.compute(scheduler=scheduler or "threads")
        return arr.compute(scheduler=scheduler or "threads")
    from distributed import Client
    with Client(scheduler) as client:
        future = client.compute(arr)
        if progress:
            from distributed import progress as show
            show(future)
        return future.result()


def _encode_chunk(x, block, seed_format, encode_options):
    return encode_blocks(x, block, seed_format=seed_format, threads=1,
                         progress=False, **encode_options).fields.copy()


def _as_dask(W, block, chunk_elements):
    import dask.array as da

    if isinstance(W, da.Array):
        d = W
    else:
        a = np.asarray(W) if not hasattr(W, "shape") else W
        d = da.from_array(a, chunks=_chunk_shape(a.shape, block, chunk_elements))
    if d.ndim != 2:
        raise ValueError(f"encode_blocks_dask: W must be 2-d, got {d.ndim}-d")
    if d.dtype.kind not in "biuf":
        raise TypeError(f"encode_blocks_dask: W must be a real numeric array, "
                        f"got dtype {d.dtype}")
    if d.size == 0:
        raise ValueError(f"encode_blocks_dask: W is empty (shape {d.shape})")
    rows, cols = _chunk_shape(d.shape, block, chunk_elements)
    (p, q) = block
    aligned = all(c % p == 0 for c in d.chunks[0][:-1]) and \
        all(c % q == 0 for c in d.chunks[1][:-1])
    return d if aligned else d.rechunk((rows, cols))


def encode_blocks_dask(W, block, *, seed_format="seed64", scheduler=None,
                       progress=None, chunk_elements=_CHUNK_ELEMENTS,
                       **encode_options):
    """:func:`encode_blocks` over a dask array, chunk by chunk.

    Parameters
    ----------
    W : dask.array.Array, numpy array or memmap, or path-like of a .npy
        The matrix; a path is read by the tasks themselves
        (:func:`open_npy`).  Rechunked to whole blocks when needed.
    block : (int, int)
    seed_format : {"seed64", "q64"}
    scheduler : str, optional
        See :func:`compute` (default: dask's threads scheduler).
    progress : bool, optional
    chunk_elements : int
        About this many elements per chunk.
    **encode_options
        Passed to :func:`encode_blocks`.

    Returns
    -------
    BlockSeeds
        Equal to ``encode_blocks(W, block, ...)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`encode_blocks` (NaN or inf are found when their chunk is
        encoded).

    Examples
    --------
    >>> import dask.array as da
    >>> W = np.arange(30.0).reshape(5, 6) / 30
    >>> bs = encode_blocks_dask(da.from_array(W, chunks=(3, 4)), (2, 2))
    >>> bs == encode_blocks(W, (2, 2))
    True
    """
    import dask.array as da

    block = _pair("encode_blocks_dask", "block", block)
    if seed_format not in SEED_FORMATS:
        raise ValueError(f"encode_blocks_dask: seed_format must be one of "
                         f"{SEED_FORMATS}, got {seed_format!r}")
    if isinstance(W, (str, bytes)) or hasattr(W, "__fspath__"):
        W = open_npy(W, block, chunk_elements=chunk_elements)
    d = _as_dask(W, block, chunk_elements)
    p, q = block
    out_chunks = (tuple(-(-c // p) for c in d.chunks[0]),
                  tuple(-(-c // q) for c in d.chunks[1]))
    seeds = da.map_blocks(_encode_chunk, d, block, seed_format, encode_options,
                          dtype=SEED_DTYPE, chunks=out_chunks,
                          meta=np.empty((0, 0), dtype=SEED_DTYPE))
    fields = compute(seeds, scheduler, progress, desc="encode")
    return BlockSeeds(d.shape, block, fields, seed_format)


def _decode_band(seeds, r0, r1, dtype):
    return seeds.decode(dtype=dtype, threads=1, rows=(r0, r1))


def decode_dask(seeds, dtype=np.float64, *, band_rows=None,
                chunk_elements=_CHUNK_ELEMENTS):
    """The restoration of seeds as a lazy dask array, a band of rows per
    task.

    Parameters
    ----------
    seeds : BlockSeeds or MultiresSeeds
    dtype : numpy.float64 (default), numpy.float32, numpy.int64 (frac 62)
    band_rows : int, optional
        Rows per chunk (default: about ``chunk_elements`` elements, a
        multiple of the block height of a BlockSeeds).

    Returns
    -------
    dask.array.Array
        Its values are ``seeds.decode(dtype)``, bit for bit.

    Examples
    --------
    >>> bs = encode_blocks(np.eye(6), (4, 4))
    >>> np.array_equal(decode_dask(bs, band_rows=4).compute(), bs.decode())
    True
    """
    import dask
    import dask.array as da

    dtype = np.dtype(dtype)
    m, n = seeds.shape
    if band_rows is None:
        band_rows = max(1, chunk_elements // n)
        if isinstance(seeds, BlockSeeds):
            p = seeds.block[0]
            band_rows = max(p, band_rows // p * p)
    shared = dask.delayed(seeds, pure=True)
    band = dask.delayed(_decode_band, pure=True)
    parts = [da.from_delayed(band(shared, r0, min(r0 + band_rows, m), dtype),
                             (min(r0 + band_rows, m) - r0, n), dtype=dtype)
             for r0 in range(0, m, band_rows)]
    return da.concatenate(parts, axis=0)
