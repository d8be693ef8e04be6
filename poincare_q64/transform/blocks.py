"""p x q blocks with one seed each, and multi-resolution residual levels.

(Interface in place: serial loops over encode_matrix / decode_matrix.)
"""
from dataclasses import dataclass

import numpy as np

from poincare_q64.transform.decode import decode_matrix
from poincare_q64.transform.encode import check_matrix, encode_matrix


def _edges(size, step):
    return [(a, min(a + step, size)) for a in range(0, size, step)]


@dataclass
class BlockSeeds:
    """One seed per block of an m x n matrix cut into p x q blocks.

    shape : (m, n); block : (p, q); seeds : 2-d object array of Seed, one
    per block (the last row and column of blocks are smaller when p, q do
    not divide m, n).
    """
    shape: tuple
    block: tuple
    seeds: np.ndarray
    seed_format: str = "seed64"

    def decode(self, dtype=np.float64, threads=None):
        m, n = self.shape
        p, q = self.block
        out = np.empty((m, n), dtype=dtype)
        for bi, (r0, r1) in enumerate(_edges(m, p)):
            for bj, (c0, c1) in enumerate(_edges(n, q)):
                s = self.seeds[bi, bj]
                out[r0:r1, c0:c1] = decode_matrix(s.R, s.T, r1 - r0, c1 - c0,
                                                  dtype=dtype, threads=threads,
                                                  **s.options())
        return out


def encode_blocks(W, block, *, seed_format="seed64", threads=None):
    a = check_matrix("encode_blocks", W)
    m, n = a.shape
    p, q = block
    rows, cols = _edges(m, p), _edges(n, q)
    seeds = np.empty((len(rows), len(cols)), dtype=object)
    for bi, (r0, r1) in enumerate(rows):
        for bj, (c0, c1) in enumerate(cols):
            seeds[bi, bj] = encode_matrix(a[r0:r1, c0:c1], seed_format=seed_format).seed
    return BlockSeeds((m, n), (p, q), seeds, seed_format)


def decode_blocks(bs, dtype=np.float64, threads=None):
    return bs.decode(dtype=dtype, threads=threads)
