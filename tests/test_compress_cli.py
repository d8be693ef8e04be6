"""``poincare-q64 compress`` / ``decompress``: outputs, summaries, exit codes
and one-line messages, atomic outputs.  Run in-process through
poincare_q64.cli.main (one subprocess checks the installed console script).
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from poincare_q64.cli import main
from poincare_q64.transform.blocks import encode_blocks, encode_multires
from poincare_q64.transform.rbe_file import load_seeds, save_seeds


@pytest.fixture
def W_path(tmp_path):
    W = np.random.default_rng(0).normal(size=(40, 24)).astype(np.float32)
    np.save(tmp_path / "W.npy", W)
    return tmp_path / "W.npy"


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compress_blocks_writes_the_seeds_and_prints_the_summary(tmp_path, W_path, capsys):
    out = tmp_path / "W.rbe.npz"
    code, text, err = _run(capsys, "compress", W_path, "-o", out, "--block", 8, 8,
                           "--no-progress")
    assert code == 0, err
    W = np.load(W_path)
    bs = encode_blocks(W, (8, 8))
    assert load_seeds(out) == bs
    rmse = float(np.sqrt(np.mean((W.astype(np.float64) - bs.decode()) ** 2)))
    assert "stored bits: 960 " in text            # 5 x 3 seeds of 64 bits
    assert "bits per weight: 1" in text           # 960 / 960 weights
    assert "ratio: 32:1" in text
    assert f"RMSE: {rmse:.6g}" in text


def test_compress_defaults_to_one_seed_and_takes_levels_and_q64(tmp_path, W_path, capsys):
    code, text, _ = _run(capsys, "compress", W_path, "-o", tmp_path / "a.npz")
    assert code == 0 and "stored bits: 64 " in text
    assert load_seeds(tmp_path / "a.npz").block == (40, 24)
    code, text, _ = _run(capsys, "compress", W_path, "-o", tmp_path / "m.npz",
                         "--levels", 3, "--seed-format", "q64", "--threads", 1)
    assert code == 0
    assert load_seeds(tmp_path / "m.npz") == encode_multires(
        np.load(W_path), 3, seed_format="q64")
    assert f"stored bits: {128 * 21} " in text


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_decompress_writes_the_restoration(tmp_path, W_path, capsys, dtype):
    ms = encode_multires(np.load(W_path), 2)
    save_seeds(tmp_path / "m.npz", ms)
    code, _, err = _run(capsys, "decompress", tmp_path / "m.npz", "-o",
                        tmp_path / "W_hat.npy", "--dtype", dtype)
    assert code == 0, err
    got = np.load(tmp_path / "W_hat.npy")
    assert got.dtype == np.dtype(dtype)
    assert np.array_equal(got, ms.decode(dtype=np.dtype(dtype)))


def test_dask_and_in_memory_commands_agree(tmp_path, W_path, capsys):
    assert _run(capsys, "compress", W_path, "-o", tmp_path / "a.npz",
                "--block", 16, 5)[0] == 0
    code, text, _ = _run(capsys, "compress", W_path, "-o", tmp_path / "b.npz",
                         "--block", 16, 5, "--dask")
    assert code == 0 and "RMSE" in text
    assert load_seeds(tmp_path / "a.npz") == load_seeds(tmp_path / "b.npz")
    assert _run(capsys, "decompress", tmp_path / "a.npz", "-o", tmp_path / "a.npy")[0] == 0
    assert _run(capsys, "decompress", tmp_path / "a.npz", "-o", tmp_path / "b.npy",
                "--dask")[0] == 0
    assert np.array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def _bad(capsys, argv, match):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert match in err, err
    return err


@pytest.mark.parametrize("content,match", [
    (np.full((3, 3), np.nan), "NaN or inf"),
    (np.array([[1.0, np.inf]]), "NaN or inf"),
    (np.zeros((2, 2, 2)), "must be 2-d, got a 3-d array"),
    (np.zeros(5), "must be 2-d, got a 1-d array"),
    (np.array([["a", "b"]]), "real numeric array"),
    (np.zeros((0, 3)), "empty"),
])
def test_compress_refuses_bad_matrices(tmp_path, capsys, content, match):
    np.save(tmp_path / "bad.npy", content)
    out = tmp_path / "x.npz"
    _bad(capsys, ["compress", tmp_path / "bad.npy", "-o", out], match)
    assert not out.exists()


def test_compress_refuses_unreadable_inputs(tmp_path, W_path, capsys):
    _bad(capsys, ["compress", tmp_path / "nope.npy", "-o", tmp_path / "x.npz"],
         "no such file")
    (tmp_path / "t.npy").write_bytes(W_path.read_bytes()[:200])
    _bad(capsys, ["compress", tmp_path / "t.npy", "-o", tmp_path / "x.npz"],
         "not a readable .npy array")
    np.savez(tmp_path / "z.npz", a=np.zeros((2, 2)))
    _bad(capsys, ["compress", tmp_path / "z.npz", "-o", tmp_path / "x.npz"],
         "an npz archive, not a .npy array")
    _bad(capsys, ["compress", W_path, "-o", tmp_path / "no" / "x.npz"],
         "cannot write")
    _bad(capsys, ["compress", W_path, "-o", tmp_path / "x.npz", "--levels", 2,
                  "--dask"], "--levels works in memory only")
    assert sorted(os.listdir(tmp_path)) == ["W.npy", "t.npy", "z.npz"]


def test_decompress_refuses_bad_files_and_keeps_the_old_output(tmp_path, W_path, capsys):
    out = tmp_path / "W_hat.npy"
    out.write_bytes(b"previous")
    _bad(capsys, ["decompress", W_path, "-o", out], "not an npz archive")
    _bad(capsys, ["decompress", tmp_path / "nope.npz", "-o", out], "no such file")
    save_seeds(tmp_path / "s.npz", encode_blocks(np.load(W_path), (8, 8)))
    data = (tmp_path / "s.npz").read_bytes()
    (tmp_path / "t.npz").write_bytes(data[:len(data) // 2])
    _bad(capsys, ["decompress", tmp_path / "t.npz", "-o", out], "t.npz: not a compressed file")
    with np.load(tmp_path / "s.npz") as z:
        members = {k: z[k] for k in z.files}
    members["version"] = np.array(7)
    np.savez(tmp_path / "v.npz", **members)
    _bad(capsys, ["decompress", tmp_path / "v.npz", "-o", out], "format version 7")
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "W.npy", "W_hat.npy", "s.npz", "t.npz", "v.npz"]


def test_usage_errors_exit_2(tmp_path, W_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["compress", str(W_path), "-o", str(tmp_path / "x.npz"),
              "--block", "0", "4"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["compress", str(W_path), "-o", str(tmp_path / "x.npz"),
              "--block", "4", "4", "--levels", "2"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_console_script_runs(tmp_path, W_path):
    res = subprocess.run([sys.executable, "-m", "poincare_q64.cli", "decompress",
                          str(W_path), "-o", str(tmp_path / "x.npy")],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.startswith("poincare-q64 decompress: error: ")
    assert "Traceback" not in res.stderr
