"""The correct-rounding campaign (poincare_q64/validation/campaign.py) and its oracle.

The oracle must agree with mpmath (independent), the campaign must pass on
the real kernels and fail on a deliberately wrong one, resume from its
checkpoints, and run on a dask.distributed cluster.
"""
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("mpmath")
if shutil.which("gcc") is None:
    pytest.skip("the campaign oracle needs gcc with libquadmath",
                allow_module_level=True)

import mpmath  # noqa: E402

from poincare_q64 import reference as ref  # noqa: E402
from poincare_q64 import vectors as V  # noqa: E402
from poincare_q64.inputs import index_for_hash, quarter_hash_pairs  # noqa: E402
from poincare_q64.vector_files import (merge_worst_cases,  # noqa: E402
                                        worst_case_inputs)
from poincare_q64.validation import campaign  # noqa: E402
from poincare_q64.validation import campaign_exact as X  # noqa: E402
from poincare_q64.validation import oracle as O  # noqa: E402
from poincare_q64.validation.campaign_inputs import FAMILIES, M64, make_inputs  # noqa: E402
from poincare_q64.validation.campaign_report import (  # noqa: E402
    summarize, worst_case_lines, write_report)
from poincare_q64.validation.campaign_runner import (  # noqa: E402
    checkpoint_path, expected_oracle, kernel_results, make_config, run_family)
from poincare_q64.validation.oracle_check import validate_oracle  # noqa: E402

# --------------------------------------------------------------------------
# The oracle's hash
# --------------------------------------------------------------------------

def test_hash_matches_mmh3_and_is_invertible():
    mmh3 = pytest.importorskip("mmh3")
    rng = np.random.default_rng(1)
    i = rng.integers(0, 1 << 32, 2000, dtype=np.uint32)
    j = rng.integers(0, 1 << 32, 2000, dtype=np.uint32)
    H = O.spatial_hash(i, j)
    want = [mmh3.hash(struct.pack("<II", a, b), 0, signed=False)
            for a, b in zip(i.tolist(), j.tolist())]
    assert H.tolist() == want
    # Every step of the 8-byte hash is a bijection of the state, so for a
    # fixed j, i -> H(i, j) runs backwards; the phi family relies on the same
    # steps for j -> H(0, j) (and checks its sweep's coverage by sums).
    assert index_for_hash(H, j).tolist() == i.tolist()


# --------------------------------------------------------------------------
# The oracle against mpmath and exact arithmetic
# --------------------------------------------------------------------------

def test_pi_2_constant():
    with mpmath.workprec(300):
        rel = abs((mpmath.mpf(O.pi_2().numerator) / O.pi_2().denominator
                   - mpmath.pi / 2) / (mpmath.pi / 2))
        assert rel <= mpmath.mpf(2) ** -113


def test_oracle_agrees_with_mpmath():
    """Values within the stated bound; decided roundings all correct."""
    val = validate_oracle(n=150, seed=11, progress=False)
    for function, v in val.items():
        assert v["max_error_over_bound"] <= 1, (function, v)
        assert v["rounded_disagree"] == 0, (function, v)
        assert v["rounded_checked"] > 0


def test_oracle_rounding_is_exact_rounding_of_its_value():
    """orc_round = exact rounding of the binary128 value, in every format
    (float32 subnormals and underflow included)."""
    idx = np.arange(400, dtype=np.uint64)
    inp = make_inputs("random", idx, 5)
    # g' ~ 2^-131 (docs/spec.md): float32 underflow and subnormals
    inp["R"][:20] = inp["eps"][:20] = np.uint64((1 << 64) - 1)
    inp["log2_c"][:20], inp["d_r"][:20] = 2, 1
    vals = O.rbe(**inp)
    fmts = list(O.FORMATS) + [V.parse_format(f) for f in ("object/0",
                                                         "int64/17")]
    for fmt in fmts:
        r = O.round_values(vals, fmt)
        for k in range(len(idx)):
            if r.status[k] == O.R_FALLBACK:
                continue
            q = O.quad_to_fraction(vals.v[k])
            want, d, _ = (X.round_ratio(q.numerator, q.denominator, fmt)
                          if q else (0, math.nan, False))
            if fmt.kind in ("float64", "float32"):
                got = int(r.lo[k]) & (2 ** (64 if fmt.kind == "float64"
                                            else 32) - 1)
            else:
                got = (int(r.hi[k]) << 64) | (int(r.lo[k]) & M64)
            assert got == want, (fmt.name, k)
            assert (math.isnan(d) and math.isnan(r.dist[k])) \
                or abs(d - r.dist[k]) <= 1e-12


def test_exact_rounding_helpers_match_reference():
    rng = np.random.default_rng(3)
    for _ in range(300):
        q = Fraction(int(rng.integers(-(1 << 62), 1 << 62)),
                     int(rng.integers(1, 1 << 62))) * Fraction(
                         1, 1 << int(rng.integers(0, 150)))
        for fmt in O.FORMATS:
            got = X.round_ratio(q.numerator, q.denominator, fmt)[0]
            if fmt.kind in ("float64", "float32"):
                assert got == V.float_bits(ref.fraction_to_float(q, fmt.kind),
                                           fmt.kind)
            else:
                assert got == ref.round_fraction(q, fmt.frac)
    # a tie rounds to even and has distance 0
    assert X.round_ratio(5, 2, V.parse_format("object/0"))[:2] == (2, 0.0)


def test_fallback_resolves_rational_and_undecided_elements():
    # H = 2^30 and 3 2^30: phi = 11/10 and 9/10, rational, not binary128
    pairs = quarter_hash_pairs()
    i, j = np.array([pairs[1 << 30], pairs[3 << 30], (0, 12345)],
                    dtype=np.uint32).T
    inputs = dict(i=i, j=j)
    vals, H = O.modulation(i, j)
    assert H.tolist()[:2] == [1 << 30, 3 << 30]
    assert vals.flag.tolist()[:2] == [O.V_RATIONAL] * 2
    import poincare_q64 as pq
    for fmt in O.FORMATS:
        e = expected_oracle("modulation", inputs, vals, fmt)
        assert e.fallback == 2
        got, _ = kernel_results(pq, "modulation", inputs, fmt, e.overflow)
        assert (got.lo == e.lo).all() and (got.hi == e.hi).all()
    # an error bound too wide to decide anything: every element goes to
    # the reference, and the results are still right
    wide = O.Values(vals.v, np.full(3, 1e30), vals.flag)
    e = expected_oracle("modulation", inputs, wide, O.FORMATS[0])
    assert e.undecided == 1 and e.fallback == 2
    want = [ref.modulation(int(a), int(b), frac=64, dtype=object)
            for a, b in zip(i, j)]
    assert [(int(h) << 64) | (int(lo) & M64)
            for lo, h in zip(e.lo, e.hi)] == want


# --------------------------------------------------------------------------
# Tiny campaigns
# --------------------------------------------------------------------------

def _run(family, tmp_path, **kw):
    opts = dict(sample=kw.pop("sample", 256), chunk=kw.pop("chunk", 64),
                n=kw.pop("n", None), keep=4, combos=kw.pop("combos", 2),
                kernel=kw.pop("kernel", "poincare_q64"))
    cfg = make_config(family, **opts)
    results, complete, wall = run_family(
        cfg, checkpoint_dir=tmp_path / "ck", progress=False,
        workers=kw.pop("workers", 1), **kw)
    return cfg, summarize(cfg, results, complete, wall)


def _dask_command():
    """The ``dask`` command of this environment, or fail / skip saying so."""
    exe = shutil.which("dask", path=os.path.dirname(sys.executable)) \
        or shutil.which("dask")
    if exe is None:
        msg = ("the 'dask' command (dask[distributed], in the test and "
               "validation extras) is not installed")
        if os.environ.get("POINCARE_Q64_CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs):
    """End each process group we started: terminate, then kill."""
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def test_tiny_campaign_on_a_dask_cluster_of_processes(tmp_path):
    """A real cluster: a ``dask scheduler`` and two ``dask worker``
    processes that see no source tree (no PYTHONPATH, started outside the
    repository), so that the workers import the installed package and
    compile its oracle (package data) into their own cache directory.
    Every family runs a few chunks on them through the installed command
    ``python -m poincare_q64.validation.campaign``."""
    distributed = pytest.importorskip("distributed")
    dask = _dask_command()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(OMP_NUM_THREADS="1", XDG_CACHE_HOME=str(tmp_path / "cache"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = []

    def start(name, *args):
        log = open(logs / f"{name}.log", "w")
        procs.append(subprocess.Popen(
            [dask, *args], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        log.close()

    def show_logs():
        return "\n".join(f"--- {f.name}\n{f.read_text()[-3000:]}"
                         for f in sorted(logs.iterdir()))

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port",
              address.rsplit(":", 1)[1], "--no-dashboard")
        for k in range(2):
            start(f"worker{k}", "worker", address, "--name", f"w{k}",
                  "--nthreads", "1", "--no-nanny", "--no-dashboard",
                  "--host", "127.0.0.1", "--death-timeout", "30")
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
            assert len(client.scheduler_info()["workers"]) == 2
        res = subprocess.run(
            [sys.executable, "-m", "poincare_q64.validation.campaign",
             "--family", "all", "--validate-oracle", "0", "--sample", "256",
             "--chunk", "64", "--n", "4096", "--combos", "2", "--keep", "4",
             "--scheduler", address, "--report-dir", "reports",
             "--checkpoint-dir", "ck", "--no-progress"],
            cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr + show_logs()
    finally:
        _stop(procs)
    for family in FAMILIES:
        assert f"{family}: " in res.stdout and \
            f"{family}: 0 tests passed" not in res.stdout, res.stdout
        s = json.loads((tmp_path / "reports" / "campaign"
                        / f"{family}.json").read_text())
        assert s["complete"] and s["failures"] == 0, s["examples"]
        per = 4 + (family == "phi") + 2 * (family == "random")
        assert s["tests"] >= 256 * per * (2 if family == "angular"
                                          else 1) * 0.9
        assert all(len(w) == 4 for w in s["worst"].values())
        assert f"{family}: {s['tests']} tests passed, 0 failure(s)" \
            in res.stdout
    # the workers built the oracle from the installed package's oracle.c
    assert list((tmp_path / "cache" / "poincare_q64" / "oracle").glob("*.so"))
    assert (tmp_path / "reports" / "campaign.md").exists()


FAULTY = '''
"""poincare_q64 with a rounding bug: odd integer results lose their last
bit (a truncation), and one float result in 7 has its last bit flipped."""
import numpy as np
import poincare_q64 as _pq
from poincare_q64 import spatial_hash


def _spoil(r, dtype):
    r = np.array(r, dtype=dtype)
    if r.dtype == object:
        return np.array([x - (x & 1) for x in r], dtype=object)
    if r.dtype == np.int64:
        return r - (r & 1)
    bits = r.view(np.uint64 if r.dtype == np.float64 else np.uint32)
    bits[::7] ^= 1
    return r


def modulation(i, j, *, frac=None, dtype=np.int64):
    return _spoil(_pq.modulation(i, j, frac=frac, dtype=dtype), dtype)


def rbe(*args, dtype=np.int64, **kw):
    return _spoil(_pq.rbe(*args, dtype=dtype, **kw), dtype)
'''


def test_campaign_catches_a_wrong_kernel(tmp_path, monkeypatch, capsys):
    (tmp_path / "faulty_kernel.py").write_text(textwrap.dedent(FAULTY))
    monkeypatch.syspath_prepend(str(tmp_path))
    for family in ("phi", "random"):
        cfg, s = _run(family, tmp_path, kernel="faulty_kernel", n=256)
        for fmt in O.FORMATS:
            assert s["formats"][fmt.name]["failures"] > 0, (family, fmt)
        assert s["formats"].get("uint32", {"failures": 0})["failures"] == 0
        e = s["examples"][0]
        assert e["got"] != e["expected"]
    # the command line reports them and exits with status 1
    code = campaign.main(["--family", "phi", "--sample", "128", "--chunk", "64",
                   "--kernel", "faulty_kernel", "--workers", "1",
                   "--checkpoint-dir", str(tmp_path / "ck2"),
                   "--report-dir", str(tmp_path / "rep"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "failure(s)" in out and " 0 failure(s)" not in out


def test_checkpoints_resume_to_the_same_totals(tmp_path):
    opts = dict(sample=512, chunk=64, n=2000, keep=4)
    cfg = make_config("random", **opts)
    ck = tmp_path / "a"
    res, complete, _ = run_family(cfg, checkpoint_dir=ck, max_chunks=3,
                                    workers=1, progress=False)
    assert not complete and len(res) == 3
    res, complete, _ = run_family(cfg, checkpoint_dir=ck, workers=1,
                                    progress=False)
    assert complete and len(res) == 8
    resumed = summarize(cfg, res, complete, 0)
    res, complete, _ = run_family(cfg, checkpoint_dir=tmp_path / "b",
                                    workers=1, progress=False)
    fresh = summarize(cfg, res, complete, 0)
    for key in ("tests", "failures", "elements", "formats", "worst", "hist"):
        assert resumed[key] == fresh[key], key
    # a damaged checkpoint is redone, not trusted
    (checkpoint_path(ck, cfg) / "chunk-000001.json").write_text("{")
    res, complete, _ = run_family(cfg, checkpoint_dir=ck, workers=1,
                                    progress=False)
    assert complete and summarize(cfg, res, True, 0)["tests"] \
        == fresh["tests"]


def test_worst_cases_merge_into_files_that_parse(tmp_path):
    cfg, s = _run("random", tmp_path, n=1000)
    fn, cases = worst_case_lines(s)
    assert fn == "rbe" and len(cases) == 16
    out = tmp_path / "wc"
    out.mkdir()
    (out / "rbe.txt").write_text(V.worst_case_header("rbe")
                                 + "\n# old\nfloat64 " + V.format_inputs(
                                     "rbe", cases[8][1]) + "  # kept\n")
    added = merge_worst_cases(fn, cases, out, "# campaign")
    assert added == 15                      # one was already there
    assert merge_worst_cases(fn, cases, out, "# campaign") == 0
    text = (out / "rbe.txt").read_text()
    assert "# old" in text and "# kept" in text
    assert text.count("# campaign") == 1
    assert len(worst_case_inputs("rbe", out)) == 16


def test_report_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    sdir = tmp_path / "rep" / "campaign"
    sdir.mkdir(parents=True)
    cfg, s = _run("angular", tmp_path)
    (sdir / "angular.json").write_text(json.dumps(s))
    write_report(tmp_path / "rep")
    md = (tmp_path / "rep" / "campaign.md").read_text()
    assert "tests passed, 0 failure(s)" in md
    assert (tmp_path / "rep" / "campaign_distances.png").stat().st_size > 0
