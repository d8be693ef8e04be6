"""The multi-word long division under every exact path (Knuth's algorithm D).

Random inputs almost never reach its rare "add back" correction (probability
about 2^-64 per quotient limb), so the inputs here are built from limbs near
the edges (0, 1, 2^63 +- 1, 2^64 - 1, ...), which do; the test asserts that
they did.  Python's own integer divmod is the oracle.
"""
import random

import pytest

from poincare_q64 import _testing

EDGE_LIMBS = [0, 1, 2, 2**32, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 2, 2**64 - 1]


def _number(rng, nlimbs):
    limbs = [rng.choice(EDGE_LIMBS) if rng.random() < 0.8 else rng.getrandbits(64) for _ in range(nlimbs)]
    if limbs[-1] == 0:
        limbs[-1] = 1
    return sum(v << (64 * k) for k, v in enumerate(limbs))


def test_divrem_matches_python_and_exercises_add_back():
    rng = random.Random(20261125)
    add_backs = 0
    for _ in range(40000):
        bn = rng.randint(1, 6)
        a, b = _number(rng, rng.randint(bn, bn + 5)), _number(rng, bn)
        if a < b:
            a, b = b, a
        q, r, ab = _testing.debug_divrem(a, b)
        assert (q, r) == divmod(a, b), (hex(a), hex(b))
        add_backs += ab
    assert add_backs > 0, "inputs never reached the add-back step"


@pytest.mark.parametrize("a,b", [(2**256 - 1, 2**128 + 1), (2**520, 2**260 - 1), (5, 5), (2**64, 2**64 - 1)])
def test_divrem_edges(a, b):
    q, r, _ = _testing.debug_divrem(a, b)
    assert (q, r) == divmod(a, b)
