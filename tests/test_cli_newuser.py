"""The command line as a new user meets it.

A results file cut short must not pass ``verify``; a field copied from a
vector line must mean in ``eval`` what it meant there (or be refused); the
worst-case files ship with the package; Ctrl-C and a closed pipe end a
command the way they end a Unix tool; ``--version`` and ``python -m
poincare_q64`` work; every multi-word option takes both ``-`` and ``_``;
errors name the file the user asked for.

Commands run in-process (``cli.main`` and capsys) except where a real
process matters: signals, a closed pipe, ``python -m`` and the entry point.
Expected values come from :mod:`poincare_q64.reference` or are counted from
the files themselves, never from the code under test.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

import poincare_q64
from poincare_q64 import cli, conformance as C, reference as ref
from poincare_q64 import registry, vector_files, vectors as V

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(poincare_q64.__file__).resolve().parent
PACKAGE_PARENT = str(PACKAGE_DIR.parent)
IN_CI = os.environ.get("POINCARE_Q64_CI") == "1"


def cli_env(**extra):
    path = [PACKAGE_PARENT] + [p for p in os.environ.get(
        "PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(path), **extra)


def vector_lines(text):
    """The vector lines of a file's text (neither blank nor comments)."""
    return [ln for ln in text.splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def gen_file(path, capsys, *extra):
    argv = ["gen", "spatial_hash", "-n", "40", "--seed", "3", "--no-progress",
            "-o", str(path), *extra]
    assert cli.main(argv) == 0
    capsys.readouterr()
    return path.read_text()


# --------------------------------------------------------------------------
# verify: the vector count in the header
# --------------------------------------------------------------------------

def test_gen_header_states_the_number_of_vectors(tmp_path, capsys):
    text = gen_file(tmp_path / "v.txt", capsys)
    header = text.splitlines()[0]
    assert header.endswith(f" count={len(vector_lines(text))}")


def test_verify_truncated_file_exits_2_naming_both_counts(tmp_path, capsys):
    text = gen_file(tmp_path / "v.txt", capsys)
    lines = text.splitlines()
    total = len(vector_lines(text))
    # a harness that crashed after 10 results: header, comments, 10 vectors
    kept = [ln for ln in lines if ln.startswith("#")] + vector_lines(text)[:10]
    cut = tmp_path / "cut.txt"
    cut.write_text("\n".join(kept) + "\n")
    assert cli.main(["verify", str(cut), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"count={total}" in err and "holds 10 vectors" in err
    assert "truncated" in err


def test_verify_file_with_more_vectors_than_its_count_exits_2(tmp_path,
                                                              capsys):
    text = gen_file(tmp_path / "v.txt", capsys)
    extra = tmp_path / "extra.txt"
    extra.write_text(text + vector_lines(text)[0] + "\n")
    total = len(vector_lines(text))
    assert cli.main(["verify", str(extra), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"count={total}" in err and f"holds {total + 1} vectors" in err


def test_verify_file_without_vectors_fails_unless_allowed(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("# poincare_q64 test vectors: function=spatial_hash "
                     "format=uint32 version=0.1.0\n# i j => H\n")
    assert cli.main(["verify", str(empty), "--no-progress"]) == 2
    assert "no vectors" in capsys.readouterr().err
    assert cli.main(["verify", str(empty), "--no-progress",
                     "--allow-empty"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == \
        "0 tests passed, 0 failure(s)"


def test_header_without_count_is_still_read(tmp_path, capsys):
    # the shape of every file written before the count existed
    h = ref.spatial_hash(5, 7)
    old = tmp_path / "old.txt"
    old.write_text("# poincare_q64 test vectors: function=spatial_hash "
                   f"format=uint32 version=0.1.0\n00000005 00000007 => "
                   f"{h:08x}\n")
    assert cli.main(["verify", str(old), "--no-progress"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == \
        "1 tests passed, 0 failure(s)"


@pytest.mark.parametrize("count", ["012", "-1", "x", "1e3", ""])
def test_malformed_count_is_refused(count):
    with pytest.raises(V.VectorSyntaxError, match="line 1"):
        V.parse_header("# poincare_q64 test vectors: function=angular "
                       f"format=float64 version=0.1.0 count={count}")


def test_conformance_harness_copying_the_header_keeps_the_count(tmp_path,
                                                                capsys):
    """docs/conformance.md: a harness copies gen's header line, so the count
    travels with it and a harness that stops early is caught."""
    text = gen_file(tmp_path / "v.txt", capsys)
    header, *rest = text.splitlines()
    pairs = [ln.split("=>")[0].split() for ln in vector_lines(text)]
    results = [f"{' '.join(p)} => {ref.spatial_hash(int(p[0], 16), int(p[1], 16)):08x}"
               for p in pairs]
    done = tmp_path / "done.txt"
    done.write_text("\n".join([header, *results]) + "\n")
    assert cli.main(["verify", str(done), "--no-progress"]) == 0
    crashed = tmp_path / "crashed.txt"
    crashed.write_text("\n".join([header, *results[:-1]]) + "\n")
    assert cli.main(["verify", str(crashed), "--no-progress"]) == 2


def _compiler():
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        if IN_CI:
            pytest.fail("a C compiler (cc or gcc) is needed to build "
                        "examples/c/check_vectors.c")
        pytest.skip("no C compiler (cc or gcc) to build "
                    "examples/c/check_vectors.c")
    return cc


def test_c_example_reads_and_checks_the_count(tmp_path):
    cc = _compiler()
    inc = poincare_q64.get_include()
    exe = tmp_path / "check_vectors"
    subprocess.run([cc, "-O1", "-std=c11", f"-I{inc}",
                    str(ROOT / "examples" / "c" / "check_vectors.c"),
                    *sorted(str(p) for p in Path(inc).glob("*.c")),
                    "-o", str(exe)], check=True, capture_output=True)
    files = sorted((ROOT / "examples" / "c" / "vectors").glob("*.txt"))
    assert all(" count=" in f.read_text().splitlines()[0] for f in files)
    res = subprocess.run([str(exe), *map(str, files)], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    text = files[0].read_text()
    cut = tmp_path / "cut.txt"
    cut.write_text("\n".join(text.splitlines()[:-1]) + "\n")
    res = subprocess.run([str(exe), str(cut)], capture_output=True, text=True)
    assert res.returncode == 2
    assert "count=" in res.stderr and "truncated" in res.stderr


# --------------------------------------------------------------------------
# eval: a field copied from a vector line
# --------------------------------------------------------------------------

def eval_out(capsys, *argv):
    assert cli.main(["eval", *argv]) == 0
    return capsys.readouterr().out.split()[0]


def test_eval_reads_vector_fields_as_hex(capsys):
    # i = 0x10 = 16 and j = 0x1a = 26, as a vector line writes them
    assert eval_out(capsys, "spatial_hash", "00000010", "0000001a") == \
        f"{ref.spatial_hash(16, 26):08x}"
    assert eval_out(capsys, "spatial_hash", "16", "0x1a") == \
        f"{ref.spatial_hash(16, 26):08x}"


def test_eval_reads_rot_hex_digit_as_in_a_vector_line(capsys):
    T = 3 << 58
    want = ref.angular(T, rot=10, dtype=np.float64)
    got = eval_out(capsys, "angular", "0x0c00000000000000", "--rot", "a",
                   "--float64")
    assert got == f"{V.float_bits(want, 'float64'):016x}"


@pytest.mark.parametrize("argv, hint", [
    (["rbe", "8000000000000000", "0x4000000000000000", "5", "7"],
     "0x8000000000000000"),
    (["spatial_hash", "12345678", "5"], "0x12345678"),
    (["radial", "0", "--eps", "1000000000000000"], "1_000_000_000_000_000"),
])
def test_eval_refuses_a_field_that_reads_two_ways(argv, hint, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["eval", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "ambiguous" in err and hint in err


def test_eval_command_printed_by_verify_reads_back():
    """The command verify prints for a mismatching matrix must give eval the
    same inputs, whatever their size."""
    fn = registry.function("decode_seed64")
    inputs = (0x0123456789abcdef & ~(0xF << 16), 12345678, 99999999, 0)
    argv = C.eval_command("decode_seed64", V.VectorFormat("float64"),
                          inputs).split()
    args = cli.build_parser().parse_args(argv)
    assert tuple(getattr(args, name) for name in fn.inputs) == inputs


# --------------------------------------------------------------------------
# the worst-case files ship with the package
# --------------------------------------------------------------------------

def test_worst_case_files_are_package_data():
    d = vector_files.default_worst_case_dir()
    assert d.is_dir()
    assert PACKAGE_DIR in d.resolve().parents
    names = {p.stem for p in d.glob("*.txt")}
    rounding = {f.vector_name for f in registry.FUNCTIONS.values()
                if f.rounds and not f.is_matrix}
    assert names == rounding
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["poincare_q64"]
    rel = d.resolve().relative_to(PACKAGE_DIR).as_posix()
    assert f"{rel}/*.txt" in globs


def test_one_copy_of_the_worst_case_files_in_the_repository():
    # build/ and dist/ hold what a build copied, not the repository's files
    copies = [p.parent for p in ROOT.rglob("rbe_pipeline.txt")
              if not {"build", "dist", ".git"} & set(p.relative_to(ROOT).parts)
              and p.read_text().startswith(V.WORST_PREFIX)]
    assert copies == [ROOT / "poincare_q64" / "data" / "worst_cases"]


def test_gen_level_2_without_worst_cases_option(tmp_path, capsys):
    out = tmp_path / "w.txt"
    assert cli.main(["gen", "angular", "--float64", "-n", "0", "--level", "2",
                     "--no-progress", "-o", str(out)]) == 0
    capsys.readouterr()
    wanted = (PACKAGE_DIR / "data" / "worst_cases" / "angular.txt").read_text()
    inputs = [ln.split("#")[0].split()[1:] for ln in vector_lines(wanted)]
    got = {tuple(ln.split("=>")[0].split())
           for ln in vector_lines(out.read_text())}
    assert inputs and all(tuple(x) in got for x in inputs)


# --------------------------------------------------------------------------
# Ctrl-C and a closed pipe
# --------------------------------------------------------------------------

def _sigint_default():
    # Python turns SIGINT into KeyboardInterrupt only if it starts at the
    # default disposition (a background job inherits it ignored).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_after_first_line(argv, stdin_text=None):
    proc = subprocess.Popen(
        [sys.executable, "-m", "poincare_q64", *argv],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=cli_env(PYTHONUNBUFFERED="1"),
        preexec_fn=_sigint_default)
    try:
        if stdin_text is not None:
            proc.stdin.write(stdin_text)
            proc.stdin.flush()
        # The first line of output: the command is running, its handlers
        # are in place.
        first = proc.stdout.readline()
        assert first, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


def test_ctrl_c_in_selfcheck_exits_130_without_traceback():
    rc, err = _interrupt_after_first_line(
        ["selfcheck", "-n", "100000", "--seed", "1", "--no-progress"])
    assert rc == 130, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "poincare-q64 selfcheck: interrupted"


def test_ctrl_c_in_verify_exits_130_without_traceback():
    # One chunk of mismatching vectors on standard input, which stays open:
    # verify prints the first mismatch, then waits for more input.
    header = ("# poincare_q64 test vectors: function=spatial_hash "
              "format=uint32 version=0.1.0\n")
    wrong = (ref.spatial_hash(5, 7) + 1) % (1 << 32)
    body = f"00000005 00000007 => {wrong:08x}\n" * C.CHUNK
    rc, err = _interrupt_after_first_line(
        ["verify", "-", "--errors", "0", "--no-progress"], header + body)
    assert rc == 130, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "poincare-q64 verify: interrupted"


def test_closed_pipe_ends_gen_quietly():
    proc = subprocess.Popen(
        [sys.executable, "-m", "poincare_q64", "gen", "rbe", "-n", "200000",
         "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
    try:
        first = proc.stdout.readline()     # ``| head -1``
        proc.stdout.close()
        err = proc.stderr.read()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert first.startswith(V.HEADER_PREFIX.encode())
    assert proc.returncode == cli.EXIT_BROKEN_PIPE == 128 + signal.SIGPIPE
    assert err == b""


def test_compress_names_itself_once(tmp_path, capsys):
    W = np.ones((4, 4))
    W[1, 1] = np.nan
    np.save(tmp_path / "W.npy", W)
    assert cli.main(["compress", str(tmp_path / "W.npy"), "-o",
                     str(tmp_path / "W.rbe.npz"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("compress:") == 1, err
    assert "NaN" in err
    assert not (tmp_path / "W.rbe.npz").exists()


# --------------------------------------------------------------------------
# --version, python -m, option spellings, error messages, wording
# --------------------------------------------------------------------------

def test_version_option(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"poincare_q64 {poincare_q64.__version__}\n"


def test_python_dash_m_runs_the_command():
    res = subprocess.run([sys.executable, "-m", "poincare_q64", "--version"],
                         capture_output=True, text=True, env=cli_env(),
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"poincare_q64 {poincare_q64.__version__}\n"


def test_console_script_runs_the_command():
    exe = shutil.which("poincare-q64",
                       path=os.path.dirname(sys.executable))
    if exe is None:
        if IN_CI:
            pytest.fail("the poincare-q64 entry point is not installed next "
                        f"to {sys.executable}")
        pytest.skip("poincare-q64 is not installed next to this python")
    res = subprocess.run([exe, "--version"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"poincare_q64 {poincare_q64.__version__}\n"


def _option_actions(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _option_actions(sub)
        elif action.option_strings:
            yield parser.prog, action


def test_every_multi_word_option_takes_both_spellings():
    missing = []
    for prog, action in _option_actions(cli.build_parser()):
        for opt in action.option_strings:
            if not opt.startswith("--"):
                continue
            body = opt[2:]
            for other in (body.replace("_", "-"), body.replace("-", "_")):
                if "--" + other not in action.option_strings:
                    missing.append(f"{prog} {opt}: --{other}")
    assert missing == []


def test_hyphenated_eval_options_mean_the_same(capsys):
    a = eval_out(capsys, "rbe", "0x8000000000000000", "0x4000000000000000",
                 "5", "7", "--log2-c", "1", "--d-theta", "1", "--float64")
    want = ref.rbe(1 << 63, 1 << 62, 5, 7, log2_c=1, d_theta=1,
                   dtype=np.float64)
    assert a == f"{V.float_bits(want, 'float64'):016x}"


@pytest.mark.parametrize("where", ["missing-dir", "under-a-file"])
def test_gen_error_names_the_file_asked_for(tmp_path, capsys, where):
    if where == "missing-dir":
        out = tmp_path / "no" / "such" / "dir" / "x.txt"
    else:
        (tmp_path / "plain").write_text("")
        out = tmp_path / "plain" / "x.txt"
    assert cli.main(["gen", "spatial_hash", "-n", "1", "--no-progress",
                     "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"poincare-q64 gen: error: {out}: cannot write")
    assert ".tmp" not in err


def test_readme_does_not_make_the_progress_bar_optional():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "project"]["dependencies"]
    assert any(d.startswith("tqdm") for d in deps)
    readme = (ROOT / "README.md").read_text()
    assert "if `tqdm` is" not in readme and "if tqdm is" not in readme
    help_text = cli.build_parser()._subparsers._group_actions[0].choices[
        "selfcheck"].format_help()
    assert "if tqdm is" not in " ".join(help_text.split())


def test_an_abbreviation_of_both_spellings_is_one_option():
    parser = cli.build_parser()
    base = ["eval", "rbe", "0x1", "0x2", "3", "4"]
    a = parser.parse_args(base + ["--log2", "2"])
    b = parser.parse_args(base + ["--log2-c", "2"])
    assert a.log2_c == b.log2_c == 2
