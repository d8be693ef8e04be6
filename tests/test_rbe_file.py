"""Compressed files (poincare_q64.transform.rbe_file, docs/rbe-file-format.md):
the round trip gives the exact seeds back, and every kind of bad file is
refused with an RbeFileError naming the file and the problem.
"""
import io
import os

import numpy as np
import pytest

from poincare_q64.transform import rbe_file as F
from poincare_q64.transform.blocks import SEED_DTYPE, BlockSeeds, encode_blocks, encode_multires
from poincare_q64.transform.rbe_file import (RbeFileError, compress, decompress,
                                             load_seeds, save_seeds, write_npy)


def _matrix(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.fixture(params=["seed64", "q64"])
def seed_format(request):
    return request.param


def _members(path):
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def _write(path, members):
    # a hand-made file: plain np.savez, not the module's writer
    np.savez(path, **members)
    return path


def test_round_trip_gives_the_exact_seeds_back(tmp_path, seed_format):
    bs = encode_blocks(_matrix((13, 10)), (4, 3), seed_format=seed_format)
    save_seeds(tmp_path / "b.rbe.npz", bs)
    back = load_seeds(tmp_path / "b.rbe.npz")
    assert back == bs and np.array_equal(back.fields, bs.fields)
    ms = encode_multires(_matrix((9, 16)), levels=3, seed_format=seed_format)
    save_seeds(tmp_path / "m.rbe.npz", ms)
    assert load_seeds(tmp_path / "m.rbe.npz") == ms


def test_q64_options_and_eps_survive_the_round_trip(tmp_path):
    fields = np.zeros((2, 1), dtype=SEED_DTYPE)
    for name, values in [("R", [(1 << 64) - 1, 12345]), ("T", [1, (1 << 64) - 1]),
                         ("eps", [(1 << 64) - 1, 7]), ("log2_c", [-4, 3]),
                         ("d_r", [1, 0]), ("rot", [15, 3]), ("d_theta", [3, 1])]:
        fields[name] = np.array(values, dtype=SEED_DTYPE[name])[:, None]
    bs = BlockSeeds((3, 2), (2, 2), fields, "q64")
    save_seeds(tmp_path / "q.npz", bs)
    back = load_seeds(tmp_path / "q.npz")
    assert back == bs
    assert np.array_equal(back.decode(object, 64), bs.decode(object, 64))


def test_the_members_are_those_the_format_lists(tmp_path):
    save_seeds(tmp_path / "b.npz", encode_blocks(_matrix((5, 5)), (2, 3)))
    z = _members(tmp_path / "b.npz")
    assert sorted(z) == sorted(["format", "version", "kind", "shape",
                                "seed_format", "levels", "block_0", "word_0"])
    assert str(z["format"]) == "poincare_q64.rbe" and int(z["version"]) == 1
    assert z["word_0"].dtype == np.uint64 and z["word_0"].shape == (3, 2)
    assert z["shape"].dtype == np.int64 and list(z["shape"]) == [5, 5]
    save_seeds(tmp_path / "q.npz", encode_multires(_matrix((4, 4)), 2, seed_format="q64"))
    z = _members(tmp_path / "q.npz")
    assert str(z["kind"]) == "multires" and int(z["levels"]) == 2
    assert {z[f"{f}_1"].dtype.str for f in SEED_DTYPE.names} == \
        {"<u8", "|i1", "|u1"}


def test_decompress_and_write_npy_give_decode(tmp_path, seed_format):
    W = _matrix((11, 7), seed=1)
    bs = compress(W, block=(3, 3), seed_format=seed_format)
    assert bs == encode_blocks(W, (3, 3), seed_format=seed_format)
    save_seeds(tmp_path / "b.npz", bs)
    assert np.array_equal(decompress(tmp_path / "b.npz"), bs.decode())
    for band_rows in (1, 4, 11):
        write_npy(tmp_path / "w.npy", bs, np.float32, band_rows=band_rows)
        assert np.array_equal(np.load(tmp_path / "w.npy"), bs.decode(np.float32))
    ms = compress(W, levels=3, seed_format=seed_format)
    write_npy(tmp_path / "m.npy", ms, band_rows=3)
    assert np.array_equal(np.load(tmp_path / "m.npy"), ms.decode())
    assert compress(W).block == (11, 7)
    with pytest.raises(ValueError, match="not both"):
        compress(W, block=(2, 2), levels=2)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    bs = encode_blocks(_matrix((6, 6)), (2, 2))
    target = tmp_path / "w.npy"
    target.write_bytes(b"old")

    def broken(seeds, r0, r1, dtype):
        if r0 > 0:
            raise RuntimeError("disk on fire")
        return seeds.decode(dtype=dtype, rows=(r0, r1))

    with pytest.raises(RuntimeError):
        write_npy(target, bs, band_rows=2, decode_band=broken)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["w.npy"]
    with pytest.raises(TypeError):
        save_seeds(tmp_path / "s.npz", "not seeds")
    assert os.listdir(tmp_path) == ["w.npy"]


# --------------------------------------------------------------------------
# bad files
# --------------------------------------------------------------------------

@pytest.fixture
def good(tmp_path):
    """A valid seed64 block file and a valid q64 multires file, as members."""
    save_seeds(tmp_path / "b.npz", encode_blocks(_matrix((6, 5)), (4, 2)))
    save_seeds(tmp_path / "m.npz", encode_multires(_matrix((6, 5)), 2,
                                                  seed_format="q64"))
    return _members(tmp_path / "b.npz"), _members(tmp_path / "m.npz")


def _refused(path, match):
    with pytest.raises(RbeFileError, match=match) as info:
        load_seeds(path)
    assert str(path) in str(info.value)


def test_not_an_npz(tmp_path):
    (tmp_path / "t.npz").write_text("hello\n")
    _refused(tmp_path / "t.npz", "not a compressed file")
    np.save(tmp_path / "a.npy", np.zeros(3))
    _refused(tmp_path / "a.npy", "single .npy array")
    (tmp_path / "e.npz").write_bytes(b"")
    _refused(tmp_path / "e.npz", "not a compressed file")
    with pytest.raises(FileNotFoundError):
        load_seeds(tmp_path / "missing.npz")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated_files(tmp_path, keep):
    save_seeds(tmp_path / "b.npz", encode_multires(_matrix((40, 40)), 4,
                                                  seed_format="q64"))
    data = (tmp_path / "b.npz").read_bytes()
    (tmp_path / "t.npz").write_bytes(data[:int(len(data) * keep)])
    _refused(tmp_path / "t.npz", "not a compressed file|damaged")


def test_corrupted_member_data(tmp_path):
    # an uncompressed archive whose seed bytes are flipped: the CRC fails
    save_seeds(tmp_path / "b.npz", encode_blocks(_matrix((16, 16)), (4, 4)))
    z = _members(tmp_path / "b.npz")
    _write(tmp_path / "u.npz", z)
    data = bytearray((tmp_path / "u.npz").read_bytes())
    at = bytes(data).find(z["word_0"].tobytes()[:16])
    assert at > 0
    data[at + 8] ^= 0xFF
    (tmp_path / "c.npz").write_bytes(bytes(data))
    _refused(tmp_path / "c.npz", "member 'word_0' is damaged")


def test_pickled_members_are_refused(tmp_path, good):
    z = dict(good[0])
    z["shape"] = np.array([6, 5], dtype=object)
    _write(tmp_path / "p.npz", z)
    _refused(tmp_path / "p.npz", "'shape' is damaged")


@pytest.mark.parametrize("edit,match", [
    (lambda z: z.pop("format"), "no 'format' member"),
    (lambda z: z.update(format=np.array("other.rbe")), "format 'other.rbe'"),
    (lambda z: z.update(format=np.array(1)), "'format' must be a 0-d string"),
    (lambda z: z.pop("version"), "no format version"),
    (lambda z: z.update(version=np.array(2)), "version 2 .newer than this reader. is not supported"),
    (lambda z: z.update(version=np.array(0)), "version 0 is not supported"),
    (lambda z: z.update(version=np.array(1.0)), "'version' must be a 0-d int64"),
    (lambda z: z.update(version=np.array([1])), "'version' must be a 0-d int64"),
    (lambda z: z.pop("kind"), "'kind' is missing"),
    (lambda z: z.update(kind=np.array("tree")), "kind 'tree'"),
    (lambda z: z.update(seed_format=np.array("q128")), "seed_format 'q128'"),
    (lambda z: z.update(levels=np.array(2)), "exactly 1 level"),
    (lambda z: z.pop("word_0"), "'word_0' is missing"),
    (lambda z: z.pop("block_0"), "'block_0' is missing"),
    (lambda z: z.update(extra=np.zeros(1)), "unknown member 'extra'"),
    (lambda z: z.update(shape=np.array([6, 5, 1])), "'shape' must be int64 of shape .2,."),
    (lambda z: z.update(shape=np.array([6.0, 5.0])), "'shape' must be int64"),
    (lambda z: z.update(shape=np.array([0, 5])), "outside"),
    (lambda z: z.update(shape=np.array([9, 5])), "'word_0' must be uint64 of shape .3, 3."),
    (lambda z: z.update(block_0=np.array([2, 2])), "'word_0' must be uint64 of shape .3, 3."),
    (lambda z: z.update(word_0=z["word_0"].astype(np.int64)), "'word_0' must be uint64"),
    (lambda z: z.update(word_0=z["word_0"] | np.uint64(1 << 16)), "out of range.*basis"),
    (lambda z: z.update(word_0=z["word_0"] | np.uint64(1)), "out of range.*reserved"),
])
def test_bad_block_files(tmp_path, good, edit, match):
    z = dict(good[0])
    edit(z)
    _refused(_write(tmp_path / "bad.npz", z), match)


@pytest.mark.parametrize("edit,match", [
    (lambda z: z.update(levels=np.array(3)), "'block_2' is missing"),
    (lambda z: z.update(levels=np.array(0)), "levels = 0"),
    (lambda z: z.update(block_1=np.array([2, 2])), "block_1 is .2, 2., but level 1"),
    (lambda z: z.update(rot_1=z["rot_1"] + np.uint8(16)), "out of range.*rot = 16"),
    (lambda z: z.update(log2_c_0=np.array([[4]], dtype=np.int8)), "out of range.*log2_c = 4"),
    (lambda z: z.update(d_r_1=np.full((2, 2), 2, dtype=np.uint8)), "out of range.*d_r = 2"),
    (lambda z: z.update(R_0=z["R_0"].astype(np.float64)), "'R_0' must be uint64"),
    (lambda z: z.update(T_1=z["T_1"][:1]), "'T_1' must be uint64 of shape .2, 2."),
    (lambda z: z.update(seed_format=np.array("seed64")), "'word_0' is missing"),
])
def test_bad_multires_files(tmp_path, good, edit, match):
    z = dict(good[1])
    edit(z)
    _refused(_write(tmp_path / "bad.npz", z), match)


def test_a_file_object_reads_like_a_path(tmp_path, good):
    buf = io.BytesIO()
    np.savez(buf, **good[0])
    _write(tmp_path / "b.npz", good[0])
    assert load_seeds(io.BytesIO(buf.getvalue())) == load_seeds(tmp_path / "b.npz")
    with pytest.raises(RbeFileError, match="not a compressed file"):
        load_seeds(io.BytesIO(b"PK garbage"))
