"""The command line on hostile files: endless lines, special files, signals.

``verify`` reads lines of bounded length, so a file with an endless line
(``/dev/zero``) is a malformed file (exit 2), not an out-of-memory crash.
``gen -o`` keeps its atomic write for regular files, follows symlinks to
their target and writes through to anything else (a FIFO here; a device
node such as /dev/null is never touched by these tests), and cleans up its
temporary file when SIGTERM or SIGHUP stop it, as it does on Ctrl-C.
"""
import contextlib
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import poincare_q64
from poincare_q64 import cli, conformance

PACKAGE_PARENT = str(Path(poincare_q64.__file__).resolve().parent.parent)
GEN = ["gen", "spatial_hash", "-n", "50", "--seed", "4", "--no-progress"]


def cli_env():
    path = [PACKAGE_PARENT] + [p for p in os.environ.get(
        "PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(path))


def expected_text(capsys):
    """What ``gen`` writes to standard output with the same arguments."""
    assert cli.main(GEN) == 0
    return capsys.readouterr().out


def leftovers(directory):
    return sorted(p.name for p in Path(directory).iterdir()
                  if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------
# verify: bounded lines
# --------------------------------------------------------------------------

def test_verify_endless_line_is_a_malformed_file(tmp_path, capsys):
    # One line longer than the cap, no newline: a FIFO fed forever would be
    # the same to the reader, without a file this large on disk.
    path = tmp_path / "endless.txt"
    path.write_bytes(b"\0" * (conformance.MAX_LINE + 10))
    status = cli.main(["verify", str(path), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert f"{path}: line 1:" in err
    assert f"longer than {conformance.MAX_LINE}" in err


def test_verify_long_line_after_good_lines_names_its_line(tmp_path, capsys):
    good = expected_text(capsys).splitlines()
    path = tmp_path / "v.txt"
    lines = good[:5] + ["0" * (conformance.MAX_LINE + 1)] + good[5:]
    path.write_text("\n".join(lines) + "\n")
    status = cli.main(["verify", str(path), "--no-progress"])
    cap = capsys.readouterr()
    assert status == 2
    assert cap.err.strip().endswith(
        f"line 6: longer than {conformance.MAX_LINE} characters "
        "(not a vector file?)")


def test_verify_line_at_the_cap_is_read_whole(tmp_path, capsys):
    # A comment exactly MAX_LINE characters long (newline excluded) is a
    # line like any other.
    good = expected_text(capsys).splitlines()
    comment = "#" + "x" * (conformance.MAX_LINE - 1)
    path = tmp_path / "v.txt"
    path.write_text("\n".join(good[:2] + [comment] + good[2:]) + "\n")
    assert cli.main(["verify", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    vectors = [line for line in good if not line.startswith("#")]
    assert out.endswith(f"{len(vectors)} tests passed, 0 failure(s)\n")


def _feed_zeros(path):
    """Write NULs into the FIFO until its reader goes away."""
    with contextlib.suppress(BrokenPipeError, OSError):
        with open(path, "wb") as fh:
            block = b"\0" * (1 << 16)
            while True:
                fh.write(block)


def _limit_memory():
    # Without the cap on the line length, verify reads the endless line
    # until it has no memory left; 1 GiB keeps that quick and harmless.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_verify_endless_stream_subprocess_exits_2(tmp_path):
    # The /dev/zero of the defect, as a FIFO fed forever.
    fifo = tmp_path / "zeros"
    os.mkfifo(fifo)
    writer = threading.Thread(target=_feed_zeros, args=(fifo,), daemon=True)
    writer.start()
    try:
        res = subprocess.run(
            [sys.executable, "-m", "poincare_q64.cli", "verify", str(fifo),
             "--no-progress"],
            capture_output=True, text=True, env=cli_env(), timeout=120,
            preexec_fn=_limit_memory)
    finally:
        # Unblock the writer if verify never opened the FIFO.
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
        writer.join(timeout=30)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr == (
        f"poincare-q64 verify: {fifo}: line 1: longer than "
        f"{conformance.MAX_LINE} characters (not a vector file?)\n")


# --------------------------------------------------------------------------
# gen -o: regular files, symlinks, FIFOs, directories
# --------------------------------------------------------------------------

def test_gen_regular_file_still_replaced_atomically(tmp_path, capsys):
    want = expected_text(capsys)
    out = tmp_path / "v.txt"
    out.write_text("old\n")
    old_inode = out.stat().st_ino
    assert cli.main([*GEN, "-o", str(out)]) == 0
    assert out.read_text() == want
    # A new file renamed into place, not the old one rewritten in place.
    assert out.stat().st_ino != old_inode
    assert leftovers(tmp_path) == []


def test_gen_symlink_is_followed_and_kept(tmp_path, capsys):
    want = expected_text(capsys)
    sub = tmp_path / "data"
    sub.mkdir()
    target = sub / "target.txt"
    target.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert cli.main([*GEN, "-o", str(link)]) == 0
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_text() == want
    assert leftovers(tmp_path) == leftovers(sub) == []


def test_gen_dangling_symlink_creates_its_target(tmp_path, capsys):
    want = expected_text(capsys)
    target = tmp_path / "new.txt"
    link = tmp_path / "link.txt"
    link.symlink_to(target.name)  # relative, as ln -s new.txt link.txt
    assert cli.main([*GEN, "-o", str(link)]) == 0
    assert link.is_symlink()
    assert target.read_text() == want


def _read_fifo(path, into):
    with open(path, encoding="ascii") as fh:
        into.append(fh.read())


@pytest.mark.parametrize("via_symlink", [False, True])
def test_gen_fifo_is_written_through(tmp_path, capsys, via_symlink):
    want = expected_text(capsys)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    out = fifo
    if via_symlink:
        out = tmp_path / "link"
        out.symlink_to(fifo)
    got = []
    reader = threading.Thread(target=_read_fifo, args=(fifo, got),
                              daemon=True)
    reader.start()
    try:
        status = cli.main([*GEN, "-o", str(out)])
    finally:
        if not stat.S_ISFIFO(os.lstat(fifo).st_mode):
            pytest.fail("gen replaced the FIFO with a regular file")
    reader.join(timeout=30)
    assert status == 0
    assert not reader.is_alive()
    assert got == [want]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_gen_directory_is_refused_before_writing(tmp_path, capsys):
    target = tmp_path / "dir"
    target.mkdir()
    status = cli.main([*GEN, "-o", str(target)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("poincare-q64 gen: error: ")
    assert str(target) in err
    assert err.count("\n") == 1
    assert list(target.iterdir()) == []
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------
# gen -o: SIGTERM and SIGHUP clean up the temporary file
# --------------------------------------------------------------------------

def _default_signal(signum):
    """For the child: signum at its default disposition, whatever this
    process inherited (under nohup SIGHUP is ignored, and gen rightly keeps
    an ignored signal ignored)."""
    return lambda: signal.signal(signum, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_gen_signal_removes_temporary_file(tmp_path, signum):
    out = tmp_path / "big.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "poincare_q64.cli", "gen", "rbe",
         "-n", "100000000", "--no-progress", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=cli_env(), preexec_fn=_default_signal(signum))
    try:
        deadline = time.monotonic() + 60
        # Wait until the temporary file holds something: gen is mid-write.
        while time.monotonic() < deadline:
            tmp = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            if tmp and tmp[0].stat().st_size > 0:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        else:
            pytest.fail("gen never started writing its temporary file")
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signum, err
    assert list(tmp_path.iterdir()) == []
    name = signal.Signals(signum).name
    assert err.splitlines()[-1] == (
        f"poincare-q64 gen: terminated by {name}; {out} was not written")
