"""poincare-q64 command line: ``selfcheck`` evaluates random and hard inputs
through the C kernels and compares each result with the independent
reference (poincare_q64.reference)."""
import argparse
import random
import sys

import numpy as np

from poincare_q64 import _kernels as K
from poincare_q64 import reference as ref

_KINDS = {
    "int64": (K.KIND_INT64, np.int64),
    "object": (K.KIND_INT128, object),
    "float64": (K.KIND_FLOAT64, np.float64),
    "float32": (K.KIND_FLOAT32, np.float32),
}


def _c_eval(func, R=0, T=0, i=0, j=0, eps=0, log2_c=0, d_r=0, rot=0, d_theta=0, kind="int64", frac=62):
    k, _ = _KINDS[kind]
    a = lambda x, dt: np.array([x], dtype=dt)  # noqa: E731
    z = lambda x: a(x, np.int32)  # noqa: E731
    out = np.zeros(2 if k == K.KIND_INT128 else 1, K._OUT_DTYPES[k])
    st = np.zeros(1, np.uint8)
    K.evaluate(func, a(R, np.uint64), a(T, np.uint64), a(i, np.uint32), a(j, np.uint32),
               a(eps, np.uint64), z(log2_c), z(d_r), z(rot), z(d_theta), 1, k, frac, out, st, 1)
    if st[0] == K.STATUS_EOVERFLOW:
        return OverflowError
    if st[0] != K.STATUS_OK:
        return ("status", int(st[0]))
    if k == K.KIND_INT128:
        hi = int(out[1]) - (int(out[1]) >> 63) * 2**64
        return hi * 2**64 + int(out[0])
    return out[0].item() if k != K.KIND_FLOAT32 else out[0]


def _ref_eval(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except OverflowError:
        return OverflowError


def _cases(rng, n):
    hard_R = [0, 1, 2, 2**63, 2**64 - 1]
    hard_T = [(q << 62) + d for q in range(4) for d in (0, 1, 2**64 - 1)]
    for k in range(n):
        R = rng.choice(hard_R) if k % 5 == 0 else rng.getrandbits(64)
        T = rng.choice(hard_T) % 2**64 if k % 5 == 1 else rng.getrandbits(64)
        i = rng.choice([0, 2**32 - 1]) if k % 7 == 0 else rng.getrandbits(32)
        j = rng.choice([0, 2**32 - 1]) if k % 11 == 0 else rng.getrandbits(32)
        eps = rng.choice([0, 0, 1, 2**64 - 1, rng.getrandbits(64)])
        kind = rng.choice(list(_KINDS))
        frac = rng.choice([0, 31, 61, 62, 64]) if kind in ("int64", "object") else 62
        yield dict(R=R, T=T, i=i, j=j, eps=eps, log2_c=rng.randint(-4, 3), d_r=rng.randint(0, 1),
                   rot=rng.randint(0, 15), d_theta=rng.randint(0, 3), kind=kind, frac=frac)


def selfcheck(n=600, seed=1):
    rng = random.Random(seed)
    passed = failed = 0
    for c in _cases(rng, n):
        kind, frac = c["kind"], c["frac"]
        dt = _KINDS[kind][1]
        fk = dict(frac=frac, dtype=dt) if kind in ("int64", "object") else dict(dtype=dt)
        checks = [
            ("radial", _c_eval(0, R=c["R"], eps=c["eps"], log2_c=c["log2_c"], d_r=c["d_r"], kind=kind, frac=frac),
             _ref_eval(ref.radial, c["R"], log2_c=c["log2_c"], eps=c["eps"], d_r=c["d_r"], **fk)),
            ("angular", _c_eval(1, T=c["T"], rot=c["rot"], d_theta=c["d_theta"], kind=kind, frac=frac),
             _ref_eval(ref.angular, c["T"], rot=c["rot"], d_theta=c["d_theta"], **fk)),
            ("modulation", _c_eval(2, i=c["i"], j=c["j"], kind=kind, frac=frac),
             _ref_eval(ref.modulation, c["i"], c["j"], **fk)),
        ]
        opts = {k: c[k] for k in ("log2_c", "eps", "d_r", "rot", "d_theta")}
        for name, func, fn in (("rbe", 3, ref.rbe), ("rbe_pipeline", 4, ref.rbe_pipeline)):
            checks.append((name, _c_eval(func, c["R"], c["T"], c["i"], c["j"], kind=kind, frac=frac, **opts),
                           _ref_eval(fn, c["R"], c["T"], c["i"], c["j"], **opts, **fk)))
        for name, got, exp in checks:
            if got == exp:
                passed += 1
            else:
                failed += 1
                print(f"MISMATCH {name} {c}: got {got!r} expected {exp!r}")
    print(f"{passed} tests passed, {failed} failure(s)")
    return 0 if failed == 0 else 1


def main(argv=None):
    ap = argparse.ArgumentParser(prog="poincare-q64", description="poincare_q64 golden-reference tools")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("selfcheck", help="compare the C kernels with the independent reference")
    sc.add_argument("-n", type=int, default=600, help="random cases (5 functions each)")
    sc.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    return selfcheck(args.n, args.seed)


if __name__ == "__main__":
    sys.exit(main())
