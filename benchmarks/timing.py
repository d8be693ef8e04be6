"""The timing every benchmark script here uses (run them as scripts:
``python benchmarks/<name>.py``, which puts this directory on sys.path)."""
import time


def best_of(fn, repeats):
    """Smallest wall time of ``repeats`` calls of fn (after one warm-up)."""
    fn()  # first call: page faults, OpenMP thread start-up, caches
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
