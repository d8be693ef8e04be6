"""The golden model in hardware testbenches (docs/hardware.md, examples/hdl).

The example decoder examples/hdl/rtl/pq_rbe_decoder.v is checked three ways,
each built and run here as a hardware engineer would:

- cocotb on Icarus Verilog, poincare_q64 as the scoreboard: the good decoder
  passes (hash exact, f within the derived bound, measured error reported);
  the truncating one (DEFECT=1) and the one whose hash leaves out the length
  (DEFECT=2) fail, naming the transaction;
- a SystemVerilog testbench under Verilator with the C kernels linked in
  through DPI-C: "N tests passed, 0 failure(s)" on the good decoder, a
  non-zero exit on the truncating one;
- a plain Verilog-2005 testbench under Icarus reading `poincare-q64 gen`
  vector files.

Icarus (iverilog, vvp) and Verilator are system packages: `apt-get install
-y iverilog verilator`.  .ci/run installs them and sets POINCARE_Q64_CI, under
which a missing simulator fails; elsewhere the tests skip, naming it.
Everything is built in pytest's temporary directories.  The transaction
counts keep the module at 50-80 s on two cores shared with other builds
(two Verilator builds are most of it); PQ_HDL_N (random cocotb transactions, default 2000) and
PQ_HDL_DPI_N (DPI-C transactions, default 20000) raise them for local runs.
"""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import poincare_q64 as pq

HDL = Path(__file__).resolve().parent.parent / "examples" / "hdl"
APT = "apt-get install -y iverilog verilator"
N_COCOTB = int(os.environ.get("PQ_HDL_N", "2000"))
N_DPI = int(os.environ.get("PQ_HDL_DPI_N", "20000"))
FAILURE = re.compile(r"seed64 ([0-9a-f]{16}) ([0-9a-f]{8}) ([0-9a-f]{8}) (\[[^]]*\] )?=> (.*) expected: ")


def _load(name):
    spec = importlib.util.spec_from_file_location(f"pq_hdl_{name}", HDL / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod   # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


flow = _load("hdl_flow")
tables = _load("gen_tables")
BOUND = tables.error_bound()


def _require(*tools):
    lack = flow.missing(*tools)
    if lack:
        why = f"{', '.join(lack)} not installed: {APT} (.ci/run does)"
        if os.environ.get("POINCARE_Q64_CI"):
            pytest.fail(why)
        pytest.skip(why)


def _require_cocotb():
    _require("iverilog", "vvp")
    if importlib.util.find_spec("cocotb_tools") is None:
        why = 'cocotb is not installed: pip install -e ".[test]"'
        if os.environ.get("POINCARE_Q64_CI"):
            pytest.fail(why)
        pytest.skip(why)


def _error62(word, i, j, got_f):
    """The decoder's error at frac 62, from the package, for a named transaction."""
    return (got_f << 32) - int(pq.rbe_seed64(word, i, j, frac=62))


# ---- tables and bound -----------------------------------------------------

def test_committed_tables_are_what_the_generator_makes():
    p = subprocess.run([sys.executable, str(HDL / "gen_tables.py"), "--check"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "tables up to date" in p.stdout


def test_table_coefficients_match_the_reference_at_segment_midpoints():
    """c0 of a few segments is f at the midpoint rounded to frac 36, as the reference rounds it."""
    g = tables.coefficients("g")
    for k in (0, 1, 1000, 2047):
        R = ((k << 9) + 256) << 44
        assert g[k][0] == pq.reference.radial(R, frac=36, dtype=object)
    s = tables.coefficients("sin")
    for k in (0, 5, 1024, 2048):
        T = ((k << 11) + 1024) << 40
        assert s[k][0] == pq.reference.angular(T, frac=36, dtype=object)


def test_derived_bound_is_below_one_ulp_and_above_one_half():
    # a rounded Q2.30 output cannot beat 1/2 ulp; a bound of 1 ulp or more
    # would let the truncating decoder pass
    assert 0.5 < BOUND["ulps"] < 0.75
    assert BOUND["bound62"] == int(BOUND["ulps"] * 2 ** 32 + 0.5)


def test_rtl_is_clean_verilog_2005_for_icarus_and_verilator(tmp_path):
    _require("iverilog", "verilator")
    sources = list(map(str, flow.RTL_SOURCES))
    p = subprocess.run(["iverilog", "-g2005", "-Wall", "-I", str(flow.RTL),
                        "-o", str(tmp_path / "a.vvp"), *sources], capture_output=True, text=True)
    assert p.returncode == 0 and not p.stdout + p.stderr, p.stdout + p.stderr
    p = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", "pq_rbe_decoder",
                        f"-I{flow.RTL}", *sources], capture_output=True, text=True)
    assert p.returncode == 0 and "%Warning" not in p.stderr, p.stderr


# ---- cocotb on Icarus ---------------------------------------------------------

@pytest.fixture(scope="module")
def cocotb_good(tmp_path_factory):
    _require_cocotb()
    return flow.run_cocotb(tmp_path_factory.mktemp("cocotb0"), defect=0, n=N_COCOTB)


def test_cocotb_good_decoder_passes_within_the_bound(cocotb_good):
    run = cocotb_good
    assert run.returncode == 0, run.output[-3000:]
    rep = run.report
    assert rep["failures"] == 0
    assert rep["transactions"] >= N_COCOTB + 500       # sweep, gen and random
    assert {"gen seed64", "gen rbe", "gen spatial_hash", "random", "sweep r",
            "sweep theta", "sweep rot/d_theta", "unsupported"} <= set(rep["sources"])
    assert rep["max_abs_err_ulps"] <= BOUND["ulps"]
    # both signs of error occur: the output is rounded, not truncated
    assert rep["mean_err_ulps"] ** 2 < 0.01
    assert f"{rep['transactions']} tests passed, 0 failure(s)" in run.output


@pytest.mark.parametrize("defect, what", [(1, "f"), (2, "hash")])
def test_cocotb_defective_decoder_fails_naming_the_transaction(tmp_path, defect, what):
    _require_cocotb()
    run = flow.run_cocotb(tmp_path, defect=defect, n=200)
    assert run.returncode != 0
    named = [m for m in FAILURE.finditer(run.output) if m.group(5).startswith(what)]
    assert named, run.output[-3000:]
    word, i, j = (int(named[0].group(k), 16) for k in (1, 2, 3))
    if what == "hash":
        got = int(named[0].group(5).split()[1], 16)
        assert got != int(pq.spatial_hash(i, j))
    else:
        got_f = int(named[0].group(5).split()[1], 16)
        got_f -= (got_f >> 31) << 32
        assert abs(_error62(word, i, j, got_f)) > BOUND["bound62"]


# ---- DPI-C under Verilator ----------------------------------------------------

@pytest.fixture(scope="module")
def dpi_lib(tmp_path_factory):
    _require("verilator")
    return flow.build_dpi_library(tmp_path_factory.mktemp("dpi_lib"))


def test_dpi_good_decoder_passes(dpi_lib, tmp_path):
    exe = flow.build_dpi(tmp_path, defect=0, lib=dpi_lib, quick=True)
    run = flow.run_dpi(exe, n=N_DPI)
    assert run.returncode == 0, run.output[-3000:]
    assert f"{N_DPI} tests passed, 0 failure(s)" in run.output
    worst = float(re.search(r"max \|error\| ([0-9.]+) ulp", run.output).group(1))
    assert 0.25 < worst <= BOUND["ulps"]


def test_dpi_truncating_decoder_fails(dpi_lib, tmp_path):
    exe = flow.build_dpi(tmp_path, defect=1, lib=dpi_lib, quick=True)
    run = flow.run_dpi(exe, n=4000)
    assert run.returncode != 0
    m = re.search(r"(\d+) tests passed, (\d+) failure\(s\)", run.output)
    assert m and int(m.group(2)) > 0 and int(m.group(1)) + int(m.group(2)) == 4000
    first = FAILURE.search(run.output)
    assert first, run.output[-3000:]
    word, i, j = (int(first.group(k), 16) for k in (1, 2, 3))
    got_f = int(re.search(r" f ([0-9a-f]{8})", first.group(5)).group(1), 16)
    got_f -= (got_f >> 31) << 32
    assert abs(_error62(word, i, j, got_f)) > BOUND["bound62"]


# ---- vector files, plain Verilog under Icarus ---------------------------------

def test_vector_file_testbench_passes_on_the_good_decoder(tmp_path):
    _require("iverilog", "vvp")
    run = flow.run_vectors(tmp_path, defect=0, n=2000)
    assert run.returncode == 0, run.output[-3000:]
    m = re.search(r"(\d+) tests passed, 0 failure\(s\)", run.output)
    assert m and int(m.group(1)) >= 2000, run.output[-3000:]
    # every vector of both files was either checked or skipped
    skipped = int(re.search(r"(\d+) vector\(s\) skipped", run.output).group(1))
    total = sum(int(re.search(r"count=(\d+)", (tmp_path / f).read_text()).group(1))
                for f in ("spatial_hash.txt", "seed64.txt"))
    assert int(m.group(1)) + skipped == total


def test_vector_file_testbench_fails_on_the_truncating_decoder(tmp_path):
    _require("iverilog", "vvp")
    run = flow.run_vectors(tmp_path, defect=1, n=2000)
    assert run.returncode != 0
    assert re.search(r"seed64 [0-9a-f]{16} [0-9a-f]{8} [0-9a-f]{8} => f [0-9a-f]{8} expected: ",
                     run.output), run.output[-3000:]
