"""The RBE transform (source 000, chapter 8): weight matrices to seeds and back.

decode_matrix, decode_seed64, decode_batch
    Seeds to matrices, bit-identical to rbe on the grid.
encode_matrix, Seed, EncodeResult
    A matrix to the seed nearest it.
best_seed_for_amplitude, optimal_amplitude, amplitude
    The optimal encoder's parts: the seed nearest given amplitudes (many at
    once), the least-squares amplitude of a matrix, a seed's amplitude.
seed_bits, allowed_options
    What one seed costs in bits; the option values a search may use.
encode_blocks, decode_blocks, BlockSeeds
    One seed per p x q block.
metrics
    Reconstruction quality and stored bits.
"""
from poincare_q64.transform.blocks import BlockSeeds, decode_blocks, encode_blocks
from poincare_q64.transform.decode import decode_batch, decode_matrix, decode_seed64
from poincare_q64.transform.encode import (EncodeResult, amplitude,
                                           best_seed_for_amplitude,
                                           encode_matrix, optimal_amplitude)
from poincare_q64.transform.metrics import metrics
from poincare_q64.transform.seed import Seed, allowed_options, seed_bits

__all__ = ["decode_matrix", "decode_seed64", "decode_batch", "encode_matrix",
           "EncodeResult", "Seed", "encode_blocks", "decode_blocks",
           "BlockSeeds", "metrics", "best_seed_for_amplitude",
           "optimal_amplitude", "amplitude", "seed_bits", "allowed_options"]
