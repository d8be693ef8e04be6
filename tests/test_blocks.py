"""Block transform and multi-resolution levels (poincare_q64.transform.blocks).

Blocks are checked against encode_matrix / decode_matrix called on each
block by hand; the multi-resolution sum against exact Fractions of the
levels' frac-62 integers, rounded by the independent reference's
fraction_to_float.
"""
from fractions import Fraction

import numpy as np
import pytest

from poincare_q64 import reference
from poincare_q64.transform import blocks as B
from poincare_q64.transform.blocks import (BlockSeeds, MultiresSeeds,
                                           decode_blocks, encode_blocks,
                                           encode_multires, multires_block)
from poincare_q64.transform.decode import decode_matrix
from poincare_q64.transform.encode import encode_matrix
from poincare_q64.transform.seed import Seed

SHAPES = [((12, 16), (4, 8)),    # blocks divide the matrix
          ((13, 18), (4, 5)),    # ragged last row and column of blocks
          ((7, 9), (7, 2)),      # ragged columns only
          ((5, 5), (8, 8)),      # one block larger than the matrix
          ((6, 4), (1, 1))]      # one seed per element


def _matrix(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("seed_format", ["seed64", "q64"])
@pytest.mark.parametrize("shape,block", SHAPES)
def test_blocks_match_encode_matrix_and_decode_matrix_per_block(shape, block, seed_format):
    W = _matrix(shape)
    bs = encode_blocks(W, block, seed_format=seed_format)
    W_hat = bs.decode()
    p, q = block
    for bi in range(bs.grid[0]):
        for bj in range(bs.grid[1]):
            rows = slice(bi * p, min(bi * p + p, shape[0]))
            cols = slice(bj * q, min(bj * q + q, shape[1]))
            seed = encode_matrix(W[rows, cols], seed_format=seed_format).seed
            assert bs.seed(bi, bj) == seed
            local = decode_matrix(seed.R, seed.T, rows.stop - rows.start,
                                  cols.stop - cols.start, dtype=np.float64,
                                  **seed.options())
            assert np.array_equal(W_hat[rows, cols], local)


def test_ragged_grid_and_block_shapes():
    bs = encode_blocks(_matrix((13, 18)), (4, 5))
    assert bs.grid == (4, 4)
    assert bs.block_slices(3, 3) == (slice(12, 13), slice(15, 18))
    sub = bs.subgrid(3, 4, 2, 4)
    assert sub.shape == (1, 8)
    assert np.array_equal(sub.decode(), bs.decode()[12:13, 10:18])


def test_encode_options_go_through_encode_matrix(monkeypatch):
    seen = []

    def fake(W, *, seed_format, marker):
        seen.append((W.shape, marker))
        return encode_matrix(W, seed_format=seed_format)

    monkeypatch.setattr(B, "encode_matrix", fake)
    bs = encode_blocks(_matrix((5, 6)), (2, 4), marker=7, threads=1)
    assert sorted(seen) == sorted([((2, 4), 7)] * 2 + [((2, 2), 7)] * 2
                                  + [((1, 4), 7), ((1, 2), 7)])
    assert bs == encode_blocks(_matrix((5, 6)), (2, 4))


@pytest.mark.parametrize("seed_format", ["seed64", "q64"])
def test_threads_do_not_change_seeds_or_matrices(seed_format):
    W = _matrix((14, 18), seed=1)
    one = encode_blocks(W, (4, 5), seed_format=seed_format, threads=1)
    two = encode_blocks(W, (4, 5), seed_format=seed_format, threads=2)
    assert one == two
    assert np.array_equal(one.decode(threads=1), two.decode(threads=2))


@pytest.mark.parametrize("dtype,frac", [(np.float64, None), (np.float32, None),
                                        (np.int64, 62), (object, 64)])
def test_decode_formats_and_row_bands_agree_with_per_block_rbe(dtype, frac):
    bs = encode_blocks(_matrix((11, 7), seed=2), (4, 3), seed_format="q64")
    full = bs.decode(dtype, frac)
    for bi in range(bs.grid[0]):
        for bj in range(bs.grid[1]):
            rows, cols = bs.block_slices(bi, bj)
            s = bs.seed(bi, bj)
            want = decode_matrix(s.R, s.T, rows.stop - rows.start,
                                 cols.stop - cols.start, dtype=dtype,
                                 frac=frac, **s.options())
            assert np.array_equal(full[rows, cols], want)
    for r0, r1 in [(0, 11), (1, 3), (3, 9), (10, 11), (4, 8)]:
        assert np.array_equal(bs.decode(dtype, frac, rows=(r0, r1)), full[r0:r1])


def test_decode_blocks_is_the_method():
    bs = encode_blocks(_matrix((6, 6)), (4, 4))
    assert np.array_equal(decode_blocks(bs, np.float32), bs.decode(np.float32))
    with pytest.raises(TypeError, match="BlockSeeds"):
        decode_blocks("seeds")


def test_seed64_words_round_trip_and_options_survive():
    fields = np.zeros((2, 2), dtype=B.SEED_DTYPE)
    fields["R"] = [[1 << 63, 5 << 44], [0, ((1 << 20) - 1) << 44]]
    fields["T"] = [[1 << 62, 7 << 40], [3 << 62, 0]]
    fields["log2_c"] = [[-4, 3], [0, -1]]
    fields["rot"] = [[15, 0], [1, 2]]
    fields["d_theta"] = [[3, 0], [1, 2]]
    fields["d_r"] = [[1, 0], [0, 1]]
    bs = BlockSeeds((3, 4), (2, 2), fields)
    back = BlockSeeds.from_words((3, 4), (2, 2), bs.words)
    assert back == bs
    s = bs.seed(0, 0)
    assert s == Seed(1 << 63, 1 << 62, log2_c=-4, d_r=1, rot=15, d_theta=3)
    assert np.array_equal(
        bs.decode()[:2, :2],
        decode_matrix(s.R, s.T, 2, 2, dtype=np.float64, **s.options()))


def test_stored_bits_count_the_seeds():
    W = _matrix((10, 10))
    assert encode_blocks(W, (5, 5)).stored_bits == 4 * 64
    assert encode_blocks(W, (5, 5), seed_format="q64").stored_bits == 4 * 128
    fields = np.zeros((1, 2), dtype=B.SEED_DTYPE)
    fields["eps"] = [[0, 1]]
    fields["rot"] = [[3, 0]]
    bits = BlockSeeds((2, 4), (2, 2), fields, "q64").stored_bits
    if B.seed_bits is None:   # each option some block uses, at full width
        assert bits == 2 * (128 + 64 + 4)
    else:                     # the encoder's count, over the values used
        assert bits == 2 * B.seed_bits("q64", eps=[0, 1], rot=[0, 3])


def test_equality_looks_at_every_part():
    W = _matrix((8, 8))
    a = encode_blocks(W, (4, 4))
    assert a == encode_blocks(W.copy(), (4, 4))
    assert a != encode_blocks(W, (4, 8))
    assert a != encode_blocks(W, (4, 4), seed_format="q64")
    assert a != encode_blocks(W + 1, (4, 4))


@pytest.mark.parametrize("kwargs,err,match", [
    (dict(seeds=np.zeros((2, 2), dtype=B.SEED_DTYPE)), ValueError, "grid of 1 x 1"),
    (dict(seeds=np.zeros((1, 1))), TypeError, "SEED_DTYPE"),
    (dict(block=(0, 2)), ValueError, "block must be >= 1"),
    (dict(block=(2.0, 2)), TypeError, "block must be a pair of ints"),
    (dict(seed_format="q128"), ValueError, "seed_format"),
])
def test_bad_block_seeds_are_refused(kwargs, err, match):
    args = dict(shape=(2, 2), block=(2, 2),
                seeds=np.zeros((1, 1), dtype=B.SEED_DTYPE), seed_format="seed64")
    args.update(kwargs)
    with pytest.raises(err, match=match):
        BlockSeeds(**args)


@pytest.mark.parametrize("field,value,match", [
    ("log2_c", 4, "log2_c = 4 is outside"), ("d_r", 2, "d_r = 2"),
    ("rot", 16, "rot = 16"), ("d_theta", 4, "d_theta = 4"),
    ("R", 1, "multiple of 2\\*\\*44"), ("T", 1 << 39, "multiple of 2\\*\\*40"),
    ("eps", 1, "eps is not 0"),
])
def test_seeds_out_of_range_name_the_block_and_field(field, value, match):
    fields = np.zeros((2, 3), dtype=B.SEED_DTYPE)
    fields[1, 2][field] = value
    with pytest.raises(ValueError, match=r"block \(1, 2\): .*" + match):
        BlockSeeds((4, 6), (2, 2), fields, "seed64")


def test_words_with_basis_or_reserved_bits_are_refused():
    with pytest.raises(ValueError, match="basis 1"):
        BlockSeeds.from_words((1, 1), (1, 1), [[1 << 16]])
    with pytest.raises(ValueError, match="reserved 1"):
        BlockSeeds.from_words((1, 1), (1, 1), [[1]])


@pytest.mark.parametrize("W,err", [(np.full((2, 2), np.nan), ValueError),
                                   (np.zeros(4), ValueError),
                                   (np.zeros((2, 2), dtype=complex), TypeError)])
def test_bad_matrices_are_refused(W, err):
    with pytest.raises(err, match="encode_blocks"):
        encode_blocks(W, (1, 1))


# --------------------------------------------------------------------------
# multi-resolution
# --------------------------------------------------------------------------

def test_multires_levels_have_a_2_to_the_l_grid():
    ms = encode_multires(_matrix((16, 8)), levels=3)
    assert [bs.grid for bs in ms.levels] == [(1, 1), (2, 2), (4, 4)]
    assert [bs.block for bs in ms.levels] == [multires_block((16, 8), l)
                                              for l in range(3)]
    assert multires_block((16, 8), 3) == (2, 1)
    assert multires_block((16, 8), 9) == (1, 1)
    assert multires_block((5, 3), 2) == (2, 1)
    assert ms.stored_bits == 64 * (1 + 4 + 16)


def _exact_level_sum(ms, k):
    total = None
    for bs in ms.levels[:k + 1]:
        x = bs.decode(dtype=object, frac=B.MULTIRES_FRAC)
        total = x if total is None else total + x
    return total


@pytest.mark.parametrize("seed_format", ["seed64", "q64"])
def test_multires_decode_is_the_exact_level_sum_rounded_once(seed_format):
    W = _matrix((6, 5), seed=4) * 3
    ms = encode_multires(W, levels=3, seed_format=seed_format)
    for k in range(3):
        S = _exact_level_sum(ms, k)
        for dtype, name in ((np.float64, "float64"), (np.float32, "float32")):
            got = ms.decode(k, dtype=dtype)
            want = np.array([[reference.fraction_to_float(
                Fraction(int(s), 1 << 62), name) for s in row] for row in S],
                dtype=dtype)
            assert np.array_equal(got, want)
        assert np.array_equal(ms.decode(k, dtype=object, frac=62), S)
        if all(-(1 << 63) <= int(s) < (1 << 63) for s in S.ravel()):
            assert np.array_equal(ms.decode(k, dtype=np.int64, frac=62),
                                  S.astype(np.int64))
        else:
            with pytest.raises(OverflowError, match="int64 at frac 62"):
                ms.decode(k, dtype=np.int64, frac=62)
        halves = ms.decode(k, dtype=object, frac=61)
        assert all(int(h) == reference.round_fraction(Fraction(int(s), 2), 0)
                   for h, s in zip(halves.ravel(), S.ravel()))


def test_multires_residual_levels_reduce_the_error():
    W = _matrix((16, 16), seed=5)
    ms = encode_multires(W, levels=3)
    mse = [float(np.mean((W - ms.decode(k)) ** 2)) for k in range(3)]
    assert all(a >= b for a, b in zip(mse, mse[1:]))
    # level 1 fits the residual of level 0, as encode_blocks does
    assert ms.levels[1] == encode_blocks(W - ms.decode(0), (8, 8))


def test_float32_sum_rounds_once_not_through_float64():
    # S / 2**62 = 1 + 2**-24 + 2**-62: through float64 it becomes the float32
    # midpoint 1 + 2**-24, which ties to 1.0; rounded once it is 1 + 2**-23.
    S = (1 << 62) + (1 << 38) + 1
    hi, lo = np.array([S >> 32]), np.array([S & 0xFFFFFFFF])
    assert B._round_sum(hi, lo, np.float32, None)[0] == np.float32(1 + 2.0 ** -23)
    assert B._round_sum(-hi - 1, (1 << 32) - lo, np.float32, None)[0] \
        == np.float32(-(1 + 2.0 ** -23))
    # exact ties at frac 61: round half to even
    hi, lo = np.array([0, 0, -1]), np.array([1, 3, (1 << 32) - 1])
    assert list(B._round_sum(hi, lo, object, 61)) == [0, 2, 0]


def test_multires_threads_and_rows_do_not_change_the_result():
    W = _matrix((12, 10), seed=6)
    one = encode_multires(W, levels=3, threads=1)
    two = encode_multires(W, levels=3, threads=2)
    assert one == two
    full = one.decode(threads=1)
    assert np.array_equal(full, two.decode(threads=2))
    assert np.array_equal(one.decode(rows=(3, 11)), full[3:11])


@pytest.mark.parametrize("call,err,match", [
    (lambda W: encode_multires(W, levels=0), ValueError, "levels = 0"),
    (lambda W: encode_multires(W, levels=2.0), TypeError, "levels must be an int"),
    (lambda W: encode_multires(W, 2).decode(k=2), ValueError, r"k = 2 is outside \[0, 1\]"),
    (lambda W: encode_multires(W, 2).decode(rows=(3, 2)), ValueError, "not a range of rows"),
    (lambda W: MultiresSeeds((4, 4), [encode_blocks(W, (2, 2))]), ValueError,
     "expected"),
])
def test_bad_multires_arguments(call, err, match):
    with pytest.raises(err, match=match):
        call(_matrix((4, 4)))


def test_multires_levels_beyond_int64_at_frac_62_are_summed_exactly():
    # R = 0 with d_r = 1 gives g' = 2, so f = 2 phi reaches 2.2: rbe's int64
    # at frac 62 overflows and the level is summed from exact integers.
    fields = np.zeros((1, 1), dtype=B.SEED_DTYPE)
    fields["T"], fields["d_r"] = 1 << 62, 1
    big = BlockSeeds((2, 3), (2, 3), fields)
    small = encode_blocks(_matrix((2, 3)), multires_block((2, 3), 1))
    ms = MultiresSeeds((2, 3), [big, small])
    S = _exact_level_sum(ms, 1)
    want = np.array([[reference.fraction_to_float(Fraction(int(s), 1 << 62),
                                                  "float64") for s in row]
                     for row in S])
    assert np.array_equal(ms.decode(), want)
    with pytest.raises(OverflowError):
        big.decode(np.int64, 62)


# --------------------------------------------------------------------------
# dask (poincare_q64.transform.dask_blocks)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed_format", ["seed64", "q64"])
def test_dask_path_equals_in_memory_path(seed_format):
    import dask.array as da
    from poincare_q64.transform import dask_blocks as D

    W = _matrix((20, 17), seed=7)
    want = encode_blocks(W, (8, 6), seed_format=seed_format)
    # chunks that are not whole blocks are rechunked; small chunks give
    # many tasks
    for chunks in [(16, 12), (10, 7), (20, 17)]:
        got = D.encode_blocks_dask(da.from_array(W, chunks=chunks), (8, 6),
                                   seed_format=seed_format,
                                   chunk_elements=200)
        assert got == want
    lazy = D.decode_dask(want, np.float64, band_rows=8)
    assert np.array_equal(lazy.compute(), want.decode())
    ms = encode_multires(W, levels=3)
    assert np.array_equal(D.decode_dask(ms, np.float32, band_rows=5).compute(),
                          ms.decode(dtype=np.float32))


def test_dask_path_reads_a_memory_mapped_npy(tmp_path):
    from poincare_q64.transform import dask_blocks as D

    W = _matrix((13, 20), seed=8).astype(np.float32)
    path = tmp_path / "W.npy"
    np.save(path, W)
    want = encode_blocks(W, (4, 8))
    assert D.encode_blocks_dask(path, (4, 8), chunk_elements=100) == want
    mm = np.load(path, mmap_mode="r")
    assert D.encode_blocks_dask(mm, (4, 8), scheduler="synchronous",
                                chunk_elements=100) == want
    assert D.open_npy(path, (4, 8), chunk_elements=100).chunks[0][0] % 4 == 0


def test_dask_path_on_a_distributed_scheduler(tmp_path):
    import distributed
    from poincare_q64.transform import dask_blocks as D

    W = _matrix((20, 20), seed=9)
    path = tmp_path / "W.npy"
    np.save(path, W)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2,
                                  processes=False, dashboard_address=None) as cluster:
        got = D.encode_blocks_dask(path, (6, 6), scheduler=cluster.scheduler_address,
                                   chunk_elements=72)
    assert got == encode_blocks(W, (6, 6))


def test_dask_path_reports_bad_values_of_a_chunk():
    import dask.array as da
    from poincare_q64.transform import dask_blocks as D

    W = _matrix((8, 8))
    W[7, 7] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        D.encode_blocks_dask(da.from_array(W, chunks=4), (4, 4))


@pytest.mark.parametrize("words, exc", [
    (np.array([[-1]]), ValueError),                         # would wrap to 2**64 - 1
    ([[1 << 64]], ValueError),
    (np.ma.masked_array([[5]], mask=[[1]]), TypeError),     # the mask cannot be honoured
    ([[1.5]], TypeError)])
def test_from_words_checks_every_word_as_a_seed_word(words, exc):
    with pytest.raises(exc, match="from_words: words must"):
        BlockSeeds.from_words((2, 2), (2, 2), words)
