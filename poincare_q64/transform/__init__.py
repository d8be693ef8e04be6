"""The RBE transform (source 000, chapter 8): weight matrices to seeds and back.

decode_matrix, decode_seed64, decode_batch, phi_table, PhiTable
    Seeds to matrices, bit-identical to rbe on the grid (a phi table
    caches phi for repeated shapes).
encode_matrix, Seed, EncodeResult
    A matrix to the seed nearest it.
best_seed_for_amplitude, optimal_amplitude, amplitude
    The optimal encoder's parts: the seed nearest given amplitudes (many at
    once), the least-squares amplitude of a matrix, a seed's amplitude.
seed_bits, allowed_options
    What one seed costs in bits; the option values a search may use.
encode_blocks, decode_blocks, BlockSeeds
    One seed per p x q block.
encode_multires, MultiresSeeds
    Multi-resolution levels, each fitted to the residual of the ones before.
save_seeds, load_seeds, compress, decompress, RbeFileError
    Compressed files (docs/rbe-file-format.md).
metrics
    Reconstruction quality and stored bits.
"""
from poincare_q64.transform.blocks import (BlockSeeds, MultiresSeeds,
                                           decode_blocks, encode_blocks,
                                           encode_multires)
from poincare_q64.transform.decode import (PhiTable, decode_batch, decode_matrix,
                                           decode_seed64, phi_table)
from poincare_q64.transform.encode import (EncodeResult, amplitude,
                                           best_seed_for_amplitude,
                                           encode_matrix, optimal_amplitude)
from poincare_q64.transform.metrics import metrics
from poincare_q64.transform.rbe_file import (RbeFileError, compress, decompress,
                                             load_seeds, save_seeds)
from poincare_q64.transform.seed import Seed, allowed_options, seed_bits

__all__ = ["decode_matrix", "decode_seed64", "decode_batch", "phi_table", "PhiTable",
           "encode_matrix",
           "EncodeResult", "Seed", "encode_blocks", "decode_blocks",
           "BlockSeeds", "metrics", "best_seed_for_amplitude",
           "optimal_amplitude", "amplitude", "seed_bits", "allowed_options"]
__all__ += ["encode_multires", "MultiresSeeds", "save_seeds", "load_seeds",
            "compress", "decompress", "RbeFileError"]
