"""Write tests/data/decode/decode_matrix.txt: known answers of the matrix decoder.

Usage (about ten seconds)::

    python tests/data/make_decode_vectors.py            # rewrites the file
    python tests/data/make_decode_vectors.py -o FILE    # somewhere else

One line per (seed, shape, format)::

    R T m n log2_c eps d_r rot d_theta FORMAT => DIGEST

R, T, eps in 16 hex digits, the rest decimal; FORMAT is ``int64/FRAC``,
``object/FRAC``, ``float64`` or ``float32``; DIGEST is the SHA-256 (hex) of
the matrix in this byte layout: row-major, each element as a little-endian
int64 (int64), 16-byte little-endian two's complement (object), or the
IEEE bits of the float64 / float32 (little-endian); or the word
``overflow`` when some int64 element does not fit.  The matrices come
from :func:`poincare_q64.reference.decode_matrix` (fractions and mpmath),
never from the compiled kernels that tests/test_decode.py checks against
this file.  The seeds are the hard ones (quarter turns, s = 0, g = 0,
g' = 2 with its overflow at frac 62, r near 0 where float32 comes within
two binades of its smallest normal, negative g') and a few random ones.
"""
import argparse
import hashlib
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__" and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from poincare_q64 import reference  # noqa: E402
from poincare_q64 import vector_files  # noqa: E402

OUT = Path(__file__).resolve().parent / "decode" / "decode_matrix.txt"
FORMATS = ("int64/62", "int64/64", "object/64", "float64", "float32")
OPTIONS = ("log2_c", "eps", "d_r", "rot", "d_theta")


def seeds():
    """The (seed, shape) pairs of the file, hard ones first."""
    hard = [
        (dict(R=1 << 63, T=1 << 62), (4, 5)),
        (dict(R=1 << 63, T=3 << 62, rot=0), (3, 7)),
        (dict(R=1 << 63, T=0, d_theta=1), (2, 9)),
        (dict(R=1 << 63, T=1 << 63), (3, 3)),
        (dict(R=0, T=1 << 61), (3, 3)),
        (dict(R=0, T=1 << 62, d_r=1), (4, 5)),
        (dict(R=1, T=1), (3, 4)),
        (dict(R=1, T=2**64 - 1, d_theta=2), (3, 4)),
        (dict(R=2**64 - 1, T=(1 << 62) - 1, log2_c=-4), (4, 4)),
        (dict(R=2**64 - 1, T=5, log2_c=3, d_r=1), (4, 4)),
        (dict(R=12345 << 44, T=1 << 40, rot=15, d_theta=3, eps=2**64 - 1), (5, 3)),
    ]
    rnd = random.Random(2026)
    for k in range(5):
        seed = dict(R=rnd.getrandbits(64), T=rnd.getrandbits(64),
                    log2_c=rnd.randrange(-4, 4), eps=rnd.getrandbits(64) if k % 2 else 0,
                    d_r=rnd.randrange(2), rot=rnd.randrange(16), d_theta=rnd.randrange(4))
        hard.append((seed, (rnd.randrange(1, 9), rnd.randrange(1, 9))))
    return hard


def parse_format(fmt):
    """'int64/62' -> (numpy dtype, frac); 'float64' -> (dtype, None)."""
    name, _, frac = fmt.partition("/")
    return np.dtype(name), (int(frac) if frac else None)


def digest(W, fmt):
    """SHA-256 of a matrix in the file's byte layout (see the module doc)."""
    dt, _ = parse_format(fmt)
    W = np.asarray(W)
    if dt == object:
        data = b"".join(int(x).to_bytes(16, "little", signed=True) for x in W.ravel())
    else:
        data = np.ascontiguousarray(W, dtype=dt.newbyteorder("<")).tobytes()
    return hashlib.sha256(data).hexdigest()


def line(seed, shape, fmt, result):
    s = {k: seed.get(k, 0) for k in OPTIONS}
    return (f"{seed['R']:016x} {seed['T']:016x} {shape[0]} {shape[1]} {s['log2_c']} "
            f"{s['eps']:016x} {s['d_r']} {s['rot']} {s['d_theta']} {fmt} => {result}")


def parse_line(text):
    """A line as (seed dict, (m, n), format, digest or 'overflow')."""
    inputs, _, result = text.partition(" => ")
    f = inputs.split()
    seed = dict(R=int(f[0], 16), T=int(f[1], 16), log2_c=int(f[4]), eps=int(f[5], 16),
                d_r=int(f[6]), rot=int(f[7]), d_theta=int(f[8]))
    return seed, (int(f[2]), int(f[3])), f[9], result.strip()


def make():
    out = ["# decode_matrix known answers: R T m n log2_c eps d_r rot d_theta FORMAT => "
           "SHA-256 of the matrix (tests/data/make_decode_vectors.py)",
           "# expected results computed by poincare_q64.reference.decode_matrix"]
    for seed, (m, n) in seeds():
        for fmt in FORMATS:
            dt, frac = parse_format(fmt)
            try:
                W = reference.decode_matrix(m=m, n=n, dtype=dt, frac=frac, **seed)
                result = digest(W, fmt)
            except OverflowError:
                result = "overflow"
            out.append(line(seed, (m, n), fmt, result))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", default=str(OUT))
    args = ap.parse_args(argv)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    vector_files.write_atomic(args.out, make())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
