"""Build and run the hardware testbenches of examples/hdl (docs/hardware.md).

    python examples/hdl/hdl_flow.py cocotb  [--defect D] [-n N] [--build DIR]
    python examples/hdl/hdl_flow.py dpi     [--defect D] [-n N] [--build DIR]
    python examples/hdl/hdl_flow.py vectors [--defect D] [-n N] [--build DIR]

- ``cocotb``: pq_rbe_decoder under Icarus Verilog, driven by
  cocotb/pq_decoder_tb.py with poincare_q64 as the scoreboard (cocotb's
  Python runner builds and runs it);
- ``dpi``: the SystemVerilog testbench dpi/tb_dpi.sv under Verilator, with
  the package's C kernels linked in through DPI-C (dpi/pq_dpi.c);
- ``vectors``: the plain Verilog-2005 testbench vectors/tb_vectors.v under
  Icarus, reading ``poincare-q64 gen`` files.

``--defect 1`` (truncation instead of rounding) and ``--defect 2`` (the hash
without its length) build the decoder with a known defect, which each
testbench must catch.  Build products go to --build (default: a new
temporary directory), never into the source tree.  tests/test_hdl.py calls
the functions below.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
RTL = HERE / "rtl"
RTL_SOURCES = [RTL / n for n in ("pq_rbe_decoder.v", "pq_poly2.v", "pq_murmur3.v", "pq_tables.v")]
TOOLS = {"icarus": "iverilog", "vvp": "vvp", "verilator": "verilator"}
APT = "apt-get install -y iverilog verilator"


def missing(*tools: str) -> list[str]:
    """The executables among `tools` that are not on PATH."""
    return [t for t in tools if shutil.which(t) is None]


def gen_vectors(out_dir: Path, function: str, n: int, *extra: str) -> Path:
    """`poincare-q64 gen FUNCTION --level 2 -n N` into out_dir; the file's path."""
    path = Path(out_dir) / f"{function}.txt"
    subprocess.run([sys.executable, "-m", "poincare_q64", "gen", function, "--level", "2",
                    "-n", str(n), "--no-progress", "-o", str(path), *extra], check=True)
    return path


@dataclass
class Run:
    """What a testbench run left: its exit status, output and timing."""
    returncode: int
    output: str
    seconds: float
    report: dict = field(default_factory=dict)


def run_cocotb(build_dir: Path, defect: int = 0, n: int = 2000, seed: int = 1) -> Run:
    """Build the decoder with Icarus and run the cocotb testbench.

    The level-2 hard cases of seed64, rbe and spatial_hash are generated
    into build_dir; `n` random transactions come on top.  The result's
    report is the testbench's JSON report (error distribution, timing).
    """
    from cocotb_tools.runner import get_runner

    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    vectors = [gen_vectors(build_dir, f, 0, *x) for f, x in
               (("seed64", ("--frac", "62")), ("rbe", ("--frac", "62")), ("spatial_hash", ()))]
    report = build_dir / "report.json"
    log = build_dir / "sim.log"
    report.unlink(missing_ok=True)
    runner = get_runner("icarus")
    runner.build(sources=RTL_SOURCES, includes=[RTL], hdl_toplevel="pq_rbe_decoder",
                 parameters={"DEFECT": defect}, build_dir=build_dir / "sim_build",
                 always=True, timescale=("1ns", "1ps"), log_file=build_dir / "build.log")
    env = {"PQ_HDL_N": str(n), "PQ_HDL_SEED": str(seed), "PQ_HDL_REPORT": str(report),
           "PQ_HDL_VECTORS": os.pathsep.join(map(str, vectors))}
    tb_dir = str(HERE / "cocotb")
    added = tb_dir not in sys.path
    if added:            # the runner passes sys.path on as the simulator's PYTHONPATH
        sys.path.insert(0, tb_dir)
    t0 = time.perf_counter()
    code = 0
    try:
        runner.test(test_module="pq_decoder_tb", hdl_toplevel="pq_rbe_decoder",
                    build_dir=build_dir / "sim_build", test_dir=build_dir, extra_env=env,
                    log_file=log)
    except SystemExit as e:  # the runner exits on a failed test when run under pytest
        code = e.code if isinstance(e.code, int) else 1
    finally:
        if added:
            sys.path.remove(tb_dir)
    seconds = time.perf_counter() - t0
    rep = json.loads(report.read_text()) if report.exists() else {}
    if code == 0 and rep.get("failures", 1) != 0:
        code = 1
    return Run(code, log.read_text() if log.exists() else "", seconds, rep)


def build_dpi_library(build_dir: Path) -> Path:
    """libpq_dpi.a: the shim and every C source of poincare_q64.get_include()."""
    import poincare_q64

    build_dir = Path(build_dir)
    obj = build_dir / "c"
    obj.mkdir(parents=True, exist_ok=True)
    inc = Path(poincare_q64.get_include())
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-O2", "-std=c11", f"-I{inc}", "-c", str(HERE / "dpi" / "pq_dpi.c"),
                    *map(str, sorted(inc.glob("*.c")))], cwd=obj, check=True)
    lib = build_dir / "libpq_dpi.a"
    subprocess.run(["ar", "rcs", str(lib), *map(str, sorted(obj.glob("*.o")))], check=True)
    return lib


def build_dpi(build_dir: Path, defect: int = 0, lib: Path | None = None,
              quick: bool = False) -> Path:
    """The Verilator executable of dpi/tb_dpi.sv with the C kernels linked in.

    quick: compile the generated C++ at -O1 and Verilator's runtime at -O0
    (a build about a third faster, a simulation about twice as slow), for
    short runs such as the tests'.
    """
    build_dir = Path(build_dir)
    lib = lib or build_dpi_library(build_dir)
    mdir = build_dir / f"obj_dpi_{defect}"
    opt = ["-MAKEFLAGS", "OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O0"] if quick else []
    subprocess.run(["verilator", "--binary", "--timing", "-j", "2", *opt,
                    "--top-module", "tb_dpi", f"-GDEFECT={defect}", f"-I{RTL}",
                    "--Mdir", str(mdir), str(HERE / "dpi" / "tb_dpi.sv"),
                    *map(str, RTL_SOURCES), str(lib)],
                   check=True, stdout=subprocess.DEVNULL)
    return mdir / "Vtb_dpi"


def run_dpi(exe: Path, n: int = 20000, seed: int = 1) -> Run:
    t0 = time.perf_counter()
    p = subprocess.run([str(exe), f"+n={n}", f"+seed={seed}"], capture_output=True, text=True)
    return Run(p.returncode, p.stdout + p.stderr, time.perf_counter() - t0)


def run_vectors(build_dir: Path, defect: int = 0, n: int = 5000) -> Run:
    """tb_vectors.v under Icarus (-g2005) on spatial_hash and seed64 (frac 62) files."""
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    hashes = gen_vectors(build_dir, "spatial_hash", n)
    seeds = gen_vectors(build_dir, "seed64", n, "--frac", "62")
    vvp = build_dir / f"tb_vectors_{defect}.vvp"
    subprocess.run(["iverilog", "-g2005", "-P", f"tb_vectors.DEFECT={defect}", "-I", str(RTL),
                    "-o", str(vvp), str(HERE / "vectors" / "tb_vectors.v"),
                    *map(str, RTL_SOURCES)], check=True)
    t0 = time.perf_counter()
    p = subprocess.run(["vvp", "-n", str(vvp), f"+hash={hashes}", f"+seed64={seeds}"],
                       capture_output=True, text=True)
    return Run(p.returncode, p.stdout + p.stderr, time.perf_counter() - t0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("route", choices=["cocotb", "dpi", "vectors"])
    ap.add_argument("--defect", type=int, default=0, choices=[0, 1, 2],
                    help="0: the good decoder; 1: truncating; 2: hash without length")
    ap.add_argument("-n", type=int, default=None,
                    help="random transactions (cocotb 2000, dpi 20000) or random vectors "
                         "per file (vectors 5000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--build", type=Path, default=None, help="build directory (default: temporary)")
    args = ap.parse_args(argv)
    need = {"cocotb": ["iverilog", "vvp"], "dpi": ["verilator"], "vectors": ["iverilog", "vvp"]}
    lack = missing(*need[args.route])
    if lack:
        print(f"missing: {', '.join(lack)} (install with: {APT})")
        return 2
    build = args.build or Path(tempfile.mkdtemp(prefix="pq_hdl_"))
    if args.route == "cocotb":
        run = run_cocotb(build, args.defect, args.n or 2000, args.seed)
        print(run.output)
        if run.report:
            print(json.dumps({k: v for k, v in run.report.items() if k != "first_failures"},
                             indent=1))
    elif args.route == "dpi":
        t0 = time.perf_counter()
        exe = build_dpi(build, args.defect)
        print(f"built {exe} in {time.perf_counter() - t0:.1f} s")
        run = run_dpi(exe, args.n or 20000, args.seed)
        print(run.output)
    else:
        run = run_vectors(build, args.defect, args.n or 5000)
        print(run.output)
    print(f"{args.route}: exit status {run.returncode}, {run.seconds:.2f} s; build in {build}")
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
