"""A seed of the RBE transform: the integer inputs of f other than (i, j).

A weight matrix is stored as a seed and restored as
``W_hat[i, j] = rbe(R, T, i, j, log2_c=, eps=, d_r=, rot=, d_theta=)``.
Two storage formats:

* ``"q64"``: R and T as 64-bit words plus the options (the source's
  128-bit seed, 000 section 8.1, with the options beside it);
* ``"seed64"``: the packed 64-bit word of source 002, which holds the top 20
  bits of R, the top 24 bits of T and every option but ``eps`` (so a seed
  fits it only when ``R % 2**44 == 0``, ``T % 2**40 == 0`` and ``eps == 0``).
"""
from dataclasses import dataclass

from poincare_q64 import packing

SEED_FORMATS = ("seed64", "q64")
_R_SHIFT, _T_SHIFT = 44, 40


@dataclass(frozen=True)
class Seed:
    """The seed of one matrix (or block): R, T and the options, as ints.

    The fields have the ranges of :func:`poincare_q64.rbe`'s inputs.
    """
    R: int
    T: int
    log2_c: int = 0
    eps: int = 0
    d_r: int = 0
    rot: int = 0
    d_theta: int = 0

    def options(self):
        """The options as keyword arguments of :func:`poincare_q64.rbe`."""
        return dict(log2_c=self.log2_c, eps=self.eps, d_r=self.d_r,
                    rot=self.rot, d_theta=self.d_theta)

    @property
    def fits_seed64(self):
        """True when the packed 64-bit word holds this seed exactly."""
        return (self.R % (1 << _R_SHIFT) == 0 and self.T % (1 << _T_SHIFT) == 0
                and self.eps == 0)

    @property
    def word(self):
        """The packed seed64 word, or None when the seed does not fit it."""
        if not self.fits_seed64:
            return None
        return packing.pack_seed64(self.R >> _R_SHIFT, self.T >> _T_SHIFT,
                                   d_theta=self.d_theta, d_r=self.d_r,
                                   rot=self.rot, log2_c=self.log2_c)

    @classmethod
    def from_seed64(cls, word):
        """The seed a packed word stands for (its basis must be 0)."""
        f = packing.unpack_seed64(int(word))
        if f.basis != 0:
            raise ValueError(f"seed64 word {int(word):#018x}: basis {f.basis} "
                             "is not defined (only 0, the sine)")
        return cls(f.r << _R_SHIFT, f.theta << _T_SHIFT, log2_c=f.log2_c,
                   d_r=f.d_r, rot=f.rot, d_theta=f.d_theta)
