"""cocotb testbench of pq_rbe_decoder with poincare_q64 as the scoreboard.

Transactions (one per clock, the decoder's full rate):

- ``sweep``: the seed fields: r over its ends, powers of two and table
  segment boundaries; theta over the quadrant boundaries and their
  neighbours; every rot and d_theta;
- ``gen``: the inputs of ``poincare-q64 gen seed64 / rbe / spatial_hash
  --level 2`` (hard cases and worst cases; files named by PQ_HDL_VECTORS),
  projected onto what the decoder supports (r = R >> 44, theta = T >> 40,
  rot and d_theta kept; eps, d_r and log2_c dropped);
- ``random``: PQ_HDL_N random seeds (default 2000) and index pairs;
- ``unsupported``: words with basis, d_r or log2_c set, which must raise
  out_unsupported.

Scoreboard: the hash must equal ``pq.spatial_hash(i, j)`` exactly, and f
must lie within the decoder's derived bound of ``pq.rbe_seed64(word, i, j,
frac=62)`` (the correctly rounded value at frac 62, so the error is known to
2^-32 ulp of the decoder's Q2.30).  Each mismatch is logged as
``seed64 <word> <i> <j> [<source>] => <got> expected: <expected>``; the
error distribution in ulps and the time split (golden model / the rest) go
to the log and, as JSON, to the file named by PQ_HDL_REPORT.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import deque
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

import poincare_q64 as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gen_tables import error_bound  # noqa: E402

BOUND = error_bound()
BOUND62 = BOUND["bound62"]
MAX_ERRORS = 20


def word_of(r: int, theta: int, rot: int = 0, d_theta: int = 0) -> int:
    return int(pq.pack_seed64(r, theta, rot=rot, d_theta=d_theta))


def sweep(rng: random.Random) -> list[tuple[str, int, int, int]]:
    txs = []
    rs = {0, 1, 2, (1 << 20) - 1, (1 << 20) - 2, 1 << 19}
    rs |= {(1 << k) + d for k in range(20) for d in (-1, 0, 1) if 0 <= (1 << k) + d < (1 << 20)}
    rs |= {(seg << 9) + d for seg in rng.sample(range(2048), 24) for d in (0, 255, 256, 511)}
    thetas = {(q << 22) + d for q in range(4) for d in (-2, -1, 0, 1, 2)}
    thetas = {t % (1 << 24) for t in thetas} | {rng.randrange(1 << 24) for _ in range(24)}
    for r in sorted(rs):
        txs.append(("sweep r", word_of(r, 1 << 22), rng.randrange(1 << 32), rng.randrange(1 << 32)))
    for t in sorted(thetas):
        txs.append(("sweep theta", word_of(0xC0000, t), rng.randrange(1 << 32), rng.randrange(1 << 32)))
    for rot in range(16):
        for d_theta in range(4):
            txs.append(("sweep rot/d_theta",
                        word_of(rng.randrange(1 << 20), rng.randrange(1 << 24), rot, d_theta),
                        rng.randrange(1 << 32), rng.randrange(1 << 32)))
    return txs


def read_vectors(path: str) -> list[dict]:
    """Inputs of a `poincare-q64 gen` file, by column name (results are not used)."""
    rows, names = [], None
    for line in Path(path).read_text().splitlines():
        if line.startswith("#"):
            if "=>" in line:
                names = line[1:].split("=>")[0].split()
            continue
        if "=>" not in line:
            continue
        vals = line.split("=>")[0].split()
        rows.append({n: int(v, 10 if n == "log2_c" else 16) for n, v in zip(names, vals)})
    return rows


def from_gen(rng: random.Random) -> list[tuple[str, int, int, int]]:
    txs = []
    for path in filter(None, os.environ.get("PQ_HDL_VECTORS", "").split(os.pathsep)):
        for row in read_vectors(path):
            name = Path(path).stem
            if "word" in row:        # seed64: keep r, theta, rot, d_theta
                f = pq.unpack_seed64(row["word"])
                w = word_of(f.r, f.theta, f.rot, f.d_theta)
                txs.append((f"gen {name}", w, row["i"], row["j"]))
            elif "R" in row:         # rbe: the seed nearest below R and T
                w = word_of(row["R"] >> 44, row["T"] >> 40, row["rot"], row["d_theta"])
                txs.append((f"gen {name}", w, row["i"], row["j"]))
            else:                    # spatial_hash: the index pair, any seed
                w = word_of(rng.randrange(1 << 20), rng.randrange(1 << 24))
                txs.append((f"gen {name}", w, row["i"], row["j"]))
    return txs


def random_txs(rng: random.Random, n: int) -> list[tuple[str, int, int, int]]:
    txs = []
    for k in range(n):
        small = k % 4 == 0      # matrix-like indices for a quarter of them
        i = rng.randrange(1024) if small else rng.randrange(1 << 32)
        j = rng.randrange(1024) if small else rng.randrange(1 << 32)
        txs.append(("random", word_of(rng.randrange(1 << 20), rng.randrange(1 << 24),
                                      rng.randrange(16), rng.randrange(4)), i, j))
    return txs


def unsupported(rng: random.Random) -> list[tuple[str, int, int, int]]:
    txs = []
    for fields in (dict(basis=1), dict(d_r=1), dict(log2_c=-1), dict(log2_c=3)):
        w = int(pq.pack_seed64(rng.randrange(1 << 20), rng.randrange(1 << 24), **fields))
        txs.append(("unsupported", w, rng.randrange(1 << 32), rng.randrange(1 << 32)))
    return txs


def histogram(errs: list[float]) -> dict[str, int]:
    """Counts of the error in ulps, in bins of 1/8 ulp."""
    bins: dict[str, int] = {}
    for e in errs:
        lo = int((e * 8) // 1) / 8
        key = f"[{lo:+.3f}, {lo + 0.125:+.3f})"
        bins[key] = bins.get(key, 0) + 1
    return dict(sorted(bins.items(), key=lambda kv: float(kv[0][1:7])))


@cocotb.test()
async def decoder_matches_golden_model(dut):
    """Every transaction: hash exact, f within the derived bound of poincare_q64."""
    seed = int(os.environ.get("PQ_HDL_SEED", "1"))
    n_random = int(os.environ.get("PQ_HDL_N", "2000"))
    rng = random.Random(seed)
    txs = sweep(rng) + from_gen(rng) + unsupported(rng) + random_txs(rng, n_random)

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.in_seed.value = 0
    dut.in_i.value = 0
    dut.in_j.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0

    pending: deque[tuple[str, int, int, int]] = deque()
    failures: list[str] = []
    errs: list[float] = []
    t_model = 0.0
    t0 = time.perf_counter()
    k = 0
    checked = 0
    idle = 0
    while checked < len(txs):
        # Outputs change on the rising edge; at the falling edge they are stable.
        if int(dut.out_valid.value):
            label, word, i, j = pending.popleft()
            got_h = int(dut.out_hash.value)
            got_f = dut.out_f.value.to_signed()
            unsup = int(dut.out_unsupported.value)
            tm = time.perf_counter()
            want_h = int(pq.spatial_hash(i, j))
            want = None if label == "unsupported" else int(pq.rbe_seed64(word, i, j, frac=62))
            t_model += time.perf_counter() - tm
            inputs = f"seed64 {word:016x} {i:08x} {j:08x} [{label}]"
            wrong = []
            if got_h != want_h:
                wrong.append(f"hash {got_h:08x} expected: {want_h:08x}")
            if want is None:
                if not unsup or got_f != 0:
                    wrong.append(f"unsupported={unsup} f={got_f} expected: unsupported=1 f=0")
            else:
                err62 = (got_f << 32) - want
                errs.append(err62 / 2.0 ** 32)
                if unsup or abs(err62) > BOUND62:
                    wrong.append(f"f {got_f & 0xFFFFFFFF:08x} ({err62 / 2.0 ** 32:+.4f} ulp)"
                                 f" expected: {want:016x}/2^32 within {BOUND['ulps']:.4f} ulp")
            if wrong:
                failures.append(f"{inputs} => " + "; ".join(wrong))
            checked += 1
            if len(failures) >= MAX_ERRORS:
                break
        if k < len(txs):
            _, word, i, j = txs[k]
            dut.in_valid.value = 1
            dut.in_seed.value = word
            dut.in_i.value = i
            dut.in_j.value = j
            pending.append(txs[k])
            k += 1
        else:
            dut.in_valid.value = 0
            idle += 1
            assert idle < 100, f"no output for {len(pending)} transaction(s) after 100 cycles"
        await FallingEdge(dut.clk)
    wall = time.perf_counter() - t0

    report = dict(
        transactions=checked, failures=len(failures), first_failures=failures,
        bound_ulps=BOUND["ulps"],
        max_abs_err_ulps=max(map(abs, errs)) if errs else None,
        mean_err_ulps=sum(errs) / len(errs) if errs else None,
        rms_err_ulps=(sum(e * e for e in errs) / len(errs)) ** 0.5 if errs else None,
        histogram=histogram(errs),
        seconds_total=wall, seconds_golden_model=t_model,
        transactions_per_second=checked / wall,
        sources={s: sum(1 for t in txs if t[0] == s) for s in sorted({t[0] for t in txs})},
    )
    dut._log.info("error in ulps of Q2.30 (bound %.4f): max |err| %.4f, mean %+.4f, rms %.4f",
                  BOUND["ulps"], report["max_abs_err_ulps"], report["mean_err_ulps"],
                  report["rms_err_ulps"])
    for key, count in report["histogram"].items():
        dut._log.info("  %s %7d", key, count)
    dut._log.info("%d transactions in %.2f s (%.0f/s); golden model %.2f s (%.0f%%)",
                  checked, wall, checked / wall, t_model, 100 * t_model / wall)
    if os.environ.get("PQ_HDL_REPORT"):
        Path(os.environ["PQ_HDL_REPORT"]).write_text(json.dumps(report, indent=1))
    for line in failures:
        dut._log.error(line)
    dut._log.info("%d tests passed, %d failure(s)", checked - len(failures), len(failures))
    assert not failures, f"{len(failures)} failure(s); first: {failures[0]}"
