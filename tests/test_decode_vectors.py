"""The vector grammar of the matrix functions: a SHA-256 digest per matrix.

decode_matrix and decode_seed64 vectors (docs/vectors.md, "Matrices") carry
the digest of the whole m x n matrix.  The golden files
tests/data/vectors/decode_*.txt are made by tests/data/make_vectors.py with
the independent reference; tests/test_vectors.py checks them through
conformance.verify and the API like every golden file.  Here: the command
line (verify's exit codes and mismatch lines, a corrupted digest named by
its line), the byte layout written out independently of
vectors.matrix_digest, the documented hashlib example, ``eval --elements``
(the matrix behind a digest, an rbe / seed64 vector file that verify
checks element by element), gen's shapes by level and what the hard seeds
claim to cover.
"""
import hashlib
import io
import re
import struct
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest

import poincare_q64 as pq
from poincare_q64 import cli, inputs
from poincare_q64 import conformance as C
from poincare_q64 import vectors as V

ROOT = Path(__file__).resolve().parents[1]
VECTOR_DIR = ROOT / "tests" / "data" / "vectors"
GOLDEN = sorted(VECTOR_DIR.glob("decode_*.txt"))


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = cli.main(argv)
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def read(path):
    with open(path, encoding="ascii") as fh:
        header, vecs = V.read_vectors(fh)
        return header, list(vecs)


def test_golden_matrix_files_exist():
    names = {p.name for p in GOLDEN}
    for f in ("decode_matrix", "decode_seed64"):
        assert {f"{f}_{k}.txt" for k in ("int64_62", "object_64", "float64",
                                          "float32")} <= names


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_matrix_files_pass_verify_on_the_command_line(path):
    _, vecs = read(path)
    status, out, err = run(["verify", "--no-progress", "--errors", "0", str(path)])
    assert (status, err) == (0, "")
    assert out.splitlines() == [f"{len(vecs)} tests passed, 0 failure(s)"]


def test_a_corrupted_digest_is_a_mismatch_naming_its_line(tmp_path):
    src = VECTOR_DIR / "decode_matrix_int64_62.txt"
    lines = src.read_text(encoding="ascii").splitlines()
    _, vecs = read(src)
    digest_at = next(v.lineno for v in vecs if v.result != V.OVERFLOW)
    over_at = next(v.lineno for v in vecs if v.result == V.OVERFLOW)
    good = lines[digest_at - 1].split("=> ")[1]
    bad = ("0" if good[0] != "0" else "1") + good[1:]
    lines[digest_at - 1] = lines[digest_at - 1].replace(good, bad)
    lines[over_at - 1] = lines[over_at - 1].replace("overflow", "ab" * 32)
    path = tmp_path / "theirs.txt"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    status, out, _ = run(["verify", "--no-progress", "--errors", "0", str(path)])
    assert status == 1
    out = out.splitlines()
    first, second = sorted([digest_at, over_at])
    mism = [x for x in out if " expected: " in x]
    assert len(mism) == 2
    for x, lineno in zip(mism, (first, second)):
        inputs_text = lines[lineno - 1].split(" => ")[0]
        assert x.startswith(inputs_text + " => ")
    assert f" => {bad} expected: {good}" in "\n".join(mism)
    assert f" => {'ab' * 32} expected: overflow" in "\n".join(mism)
    assert "2 mismatch(es) without an ulp distance" in "\n".join(out)
    hint = [x for x in out if x.startswith("first mismatching matrix")]
    assert hint and f"line {first};" in hint[0] and "--elements" in hint[0]
    assert out[-1] == f"{len(vecs) - 2} tests passed, 2 failure(s)"


@pytest.mark.parametrize("line, reason", [
    ("8000000000000000 4000000000000000 00000000 00000005 +0 0000000000000000 0 0 0 => "
     + "00" * 32, "input m: 00000000 is out of range"),
    ("8000000000000000 4000000000000000 00000004 0005 +0 0000000000000000 0 0 0 => "
     + "00" * 32, "input n: expected 8 hex digits"),
    ("8000000000000000 4000000000000000 00000004 00000005 +0 0000000000000000 0 0 0 => "
     + "0" * 63, "expected 64 hex digits"),
    ("8000000000000000 4000000000000000 00000004 00000005 +0 0000000000000000 0 0 0 => "
     "3f59fa58", "expected 64 hex digits"),
])
def test_a_malformed_matrix_line_is_exit_2_naming_the_line(tmp_path, line, reason):
    header = "# poincare_q64 test vectors: function=decode_matrix format=float32 version=0.1.0"
    path = tmp_path / "bad.txt"
    path.write_text(f"{header}\n# a comment\n{line}\n", encoding="ascii")
    status, _, err = run(["verify", "--no-progress", str(path)])
    assert status == 2
    assert f"{path}: line 3: " in err and reason in err


def test_overflow_is_not_a_result_of_the_float_formats():
    fmt = V.VectorFormat("float64")
    with pytest.raises(V.VectorSyntaxError, match="line 4: result: expected 64 hex"):
        V.parse_result(fmt, ["overflow"], 4, "decode_seed64")


# --------------------------------------------------------------------------
# The byte layout, written out here without numpy's tobytes
# --------------------------------------------------------------------------

def _bytes(W, kind):
    pack = {"int64": lambda x: struct.pack("<q", int(x)),
            "object": lambda x: int(x).to_bytes(16, "little", signed=True),
            "float64": lambda x: struct.pack("<d", float(x)),
            "float32": lambda x: struct.pack("<f", float(x))}[kind]
    m, n = W.shape
    return b"".join(pack(W[i, j]) for i in range(m) for j in range(n))


@pytest.mark.parametrize("kind, frac", [("int64", 62), ("object", 64), ("float64", None),
                                        ("float32", None)])
def test_matrix_digest_is_the_documented_byte_layout(kind, frac):
    # negative elements (d_theta = 2 gives -sin), so the sign bytes count
    W = pq.decode_matrix(1 << 63, 1 << 61, 3, 4, d_theta=2, frac=frac, dtype=np.dtype(kind))
    assert (np.asarray(W, dtype=float) < 0).all()
    fmt = V.VectorFormat(kind, frac)
    assert V.matrix_digest(W, fmt) == hashlib.sha256(_bytes(W, kind)).hexdigest()
    # a transposed (Fortran-ordered) view hashes its own row-major order
    Wt = W.T
    assert V.matrix_digest(Wt, fmt) == hashlib.sha256(_bytes(Wt, kind)).hexdigest()
    assert V.matrix_digest(Wt, fmt) != V.matrix_digest(np.ascontiguousarray(W), fmt)
    # float32 -0.0 is its own bit pattern
    if kind == "float32":
        assert V.matrix_digest(np.full((1, 1), -0.0, np.float32), fmt) == \
            hashlib.sha256(bytes([0, 0, 0, 0x80])).hexdigest()


def test_matrix_digest_refuses_what_has_no_layout():
    with pytest.raises(ValueError, match="2-d"):
        V.matrix_digest(np.zeros(3), V.VectorFormat("float64"))
    with pytest.raises(ValueError, match="dtype float32"):
        V.matrix_digest(np.zeros((1, 1)), V.VectorFormat("float32"))
    with pytest.raises(ValueError, match="fit int64"):
        V.matrix_digest(np.array([[1 << 63]], dtype=object), V.VectorFormat("int64", 62))
    with pytest.raises(ValueError, match="no matrices"):
        V.matrix_digest(np.zeros((1, 1)), V.VectorFormat("uint32"))


def test_the_documented_hashlib_example_prints_the_golden_digest(capsys):
    text = (ROOT / "docs" / "vectors.md").read_text(encoding="utf-8")
    section = text[text.index("## Matrices"):]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(block, "docs/vectors.md", "exec"), {})
    printed = capsys.readouterr().out.split()
    _, vecs = read(VECTOR_DIR / "decode_matrix_float32.txt")
    golden = {v.inputs: v.result for v in vecs}
    want = golden[(1 << 63, 1 << 62, 4, 5, 0, 0, 0, 0, 0)]
    assert printed == [want, want]
    assert want in section  # the digest the page quotes


# --------------------------------------------------------------------------
# eval: the digest and the matrix behind it
# --------------------------------------------------------------------------

def test_eval_prints_the_golden_digest():
    _, vecs = read(VECTOR_DIR / "decode_seed64_float64.txt")
    v = vecs[0]
    word, m, n, eps = v.inputs
    status, out, _ = run(["eval", "decode_seed64", hex(word), str(m), str(n),
                          "--eps", str(eps), "--float64"])
    assert status == 0
    assert out.split()[0] == v.result
    status, out, _ = run(["eval", "decode_seed64", hex(word), str(m), str(n),
                          "--eps", str(eps), "--float64", "--reference"])
    assert status == 0 and out.split()[0] == v.result


@pytest.mark.parametrize("fmt_name", ["int64/62", "float32"])
def test_eval_elements_is_the_matrix_behind_the_digest(tmp_path, fmt_name):
    """--elements writes an rbe vector file: its m n elements rebuild the
    golden digest byte by byte, verify passes it, and one changed element
    is named as the one mismatch."""
    fmt = V.parse_format(fmt_name)
    _, vecs = read(VECTOR_DIR / f"decode_matrix_{fmt_name.replace('/', '_')}.txt")
    # R = 0, d_r = 1: g' = 2, |f| = 2 phi, some elements overflow int64/62
    seed = next(v for v in vecs if v.inputs[:4] == (0, 1 << 62, 4, 5) and v.inputs[6] == 1)
    R, T, m, n, log2_c, eps, d_r, rot, d_theta = seed.inputs
    argv = ["eval", "decode_matrix", hex(R), hex(T), str(m), str(n), "--log2_c", str(log2_c),
            "--eps", str(eps), "--d_r", str(d_r), "--rot", str(rot), "--d_theta", str(d_theta),
            C.format_flags(fmt).split()[0], *C.format_flags(fmt).split()[1:], "--elements"]
    status, out, _ = run(argv)
    assert status == 0
    path = tmp_path / "elements.txt"
    path.write_text(out, encoding="ascii")
    header, elems = read(path)
    assert header.function == "rbe" and header.format == fmt
    assert [e.inputs[2:4] for e in elems] == [(i, j) for i in range(m) for j in range(n)]
    assert all(e.inputs[:2] + e.inputs[4:] == (R, T) + seed.inputs[4:] for e in elems)
    assert f"# SHA-256 of the matrix (docs/vectors.md): {seed.result}" in out
    if fmt.kind == "int64":
        assert seed.result == V.OVERFLOW
        over = [e for e in elems if e.result == V.OVERFLOW]
        assert 0 < len(over) < m * n
        # exactly the elements whose exact X (the rbe kernel, not the
        # decoder) does not fit
        X = pq.rbe(R, T, np.arange(m)[:, None], np.arange(n), d_r=1, dtype=object).ravel()
        assert [e.result == V.OVERFLOW for e in elems] == \
            [not -(1 << 63) <= x < 1 << 63 for x in X]
    else:
        data = b"".join(struct.pack("<I", e.result) for e in elems)
        assert hashlib.sha256(data).hexdigest() == seed.result
    status, out, _ = run(["verify", "--no-progress", str(path)])
    assert status == 0 and out.strip() == f"{m * n} tests passed, 0 failure(s)"
    # one element changed by one unit: verify names it, 1 ulp off
    lines = path.read_text(encoding="ascii").splitlines()
    k = next(n for n, x in enumerate(lines) if not x.startswith("#")
             and not x.endswith("overflow"))
    head, _, res = lines[k].partition(" => ")
    lines[k] = f"{head} => {int(res, 16) ^ 1:0{len(res)}x}"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    status, out, _ = run(["verify", "--no-progress", str(path)])
    assert status == 1
    assert out.splitlines()[0].startswith(head + " => ")
    assert f"worst error: 1 ulp" in out and f"at line {k + 1}" in out
    assert out.splitlines()[-1] == f"{m * n - 1} tests passed, 1 failure(s)"


# --------------------------------------------------------------------------
# gen's inputs: shapes by level, the hard seeds
# --------------------------------------------------------------------------

@pytest.mark.parametrize("function", ["decode_matrix", "decode_seed64"])
def test_gen_shapes_grow_with_the_level(function):
    at = (2, 3) if function == "decode_matrix" else (1, 2)

    def sides(level, part):
        vs = list(C.VectorInputs(function, 300, 5, level))
        hard = len(inputs.hard_inputs(function, level))
        vs = vs[hard:] if part == "random" else vs[:hard]
        return [max(v[at[0]], v[at[1]]) for v in vs]

    one, two = sides(1, "random"), sides(2, "random")
    assert max(one) == 64 and min(one) == 1
    assert 64 < max(two) <= 1024
    assert sorted(one)[len(one) // 2] <= 16  # mostly small: cheap to check
    assert max(sides(1, "hard")) <= 65 < max(sides(2, "hard"))


def test_hard_matrix_seeds_cover_what_they_claim():
    """Overflow at frac 62 and 64, all-zero matrices, float32 subnormals and
    underflow to signed zero, negative elements: each seen in some matrix."""
    seen = set()
    for v in inputs.hard_inputs("decode_matrix"):
        R, T, m, n, *opts = v
        kw = dict(zip(("log2_c", "eps", "d_r", "rot", "d_theta"), opts))
        for frac in (62, 64):
            try:
                pq.decode_matrix(R, T, m, n, **kw, frac=frac)
            except OverflowError:
                seen.add(f"overflow/{frac}")
        W64 = pq.decode_matrix(R, T, m, n, **kw, dtype=np.float64)
        W32 = pq.decode_matrix(R, T, m, n, **kw, dtype=np.float32)
        if not W64.any():
            seen.add("all zero")
        tiny = np.finfo(np.float32).tiny
        if ((W32 != 0) & (np.abs(W32) < tiny)).any():
            seen.add("float32 subnormal")
        if ((W32 == 0) & (W64 != 0)).any():
            seen.add("float32 underflow to zero")
        if (W64 < 0).any():
            seen.add("negative")
        if n > 64:
            seen.add("a row longer than a SIMD block")
    assert seen == {"overflow/62", "overflow/64", "all zero", "float32 subnormal",
                    "float32 underflow to zero", "negative",
                    "a row longer than a SIMD block"}
    words = inputs.hard_inputs("decode_seed64")
    assert any(_overflows(w) for w in words)


def _overflows(v):
    word, m, n, eps = v
    try:
        pq.decode_seed64(word, m, n, eps=eps)
    except OverflowError:
        return True
    return False


def test_gen_writes_digests_of_the_kernels_matrices(tmp_path):
    """A gen file's digest is the digest of the API's matrix (and the
    whole file verifies)."""
    out = tmp_path / "g.txt"
    fmt = V.VectorFormat("object", 64)
    assert C.run_gen("decode_seed64", fmt, 3, 9, output=out, progress=False) == 0
    _, vecs = read(out)
    for v in vecs[:3] + vecs[-3:]:
        word, m, n, eps = v.inputs
        W = pq.decode_seed64(word, m, n, eps=eps, frac=64, dtype=object)
        assert hashlib.sha256(_bytes(W, "object")).hexdigest() == v.result
    assert run(["verify", "--no-progress", str(out)])[0] == 0
