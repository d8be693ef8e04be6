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
import math
from dataclasses import dataclass

import numpy as np

from poincare_q64 import _api, packing, registry

SEED_FORMATS = ("seed64", "q64")
_R_SHIFT, _T_SHIFT = 44, 40

#: The options of rbe in the canonical order (docs/spec.md), the names of
#: the encoder's search arguments.
OPTION_NAMES = ("log2_c", "eps", "d_r", "rot", "d_theta")

#: Bits of a seed64 word and of a q64 seed's R and T.
SEED64_BITS = 64
Q64_BITS = 128
#: Bits of a stored shape (m, n): two uint32.
SHAPE_BITS = 64


@dataclass(frozen=True)
class Seed:
    """The seed of one matrix (or block): R, T and the options, as ints.

    Parameters
    ----------
    R, T : int
        Radius and angle, Q0.64, ``[0, 2**64)``.
    log2_c, eps, d_r, rot, d_theta : int, optional
        The options of :func:`poincare_q64.rbe`, in its ranges (default 0).
        numpy integers are stored as Python ints.

    Raises
    ------
    TypeError
        A field that is not an integer (bool included).
    ValueError
        A field outside its range.

    Examples
    --------
    >>> s = Seed(1 << 63, 1 << 62)
    >>> s.fits_seed64, hex(s.word)
    (True, '0x8000040000000000')
    >>> Seed(1 << 64, 0)
    Traceback (most recent call last):
    ...
    ValueError: Seed: R must be in [0, 2**64), got 18446744073709551616
    """
    R: int
    T: int
    log2_c: int = 0
    eps: int = 0
    d_r: int = 0
    rot: int = 0
    d_theta: int = 0

    def __post_init__(self):
        # checked here, not at the first decode, so that a bad seed in a file
        # or a block array is named where it is made
        for name in ("R", "T", *OPTION_NAMES):
            v = getattr(self, name)
            if not _api._is_integer(v):
                raise TypeError(f"Seed: {name} must be an integer, got "
                                f"{type(v).__name__}")
            x = registry.INPUTS[name]
            v = int(v)
            if not x.lo <= v < x.hi:
                raise _api._range_error("Seed", name, v, x.lo, x.hi)
            object.__setattr__(self, name, v)

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


def allowed_options(func, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0):
    """The option values a search may use, one sorted tuple per option.

    Each argument is an int (that value only, as in :func:`poincare_q64.rbe`),
    an iterable of ints (any of them) or ``"all"`` (its whole range; not for
    ``eps``, whose 2**64 values no search enumerates).

    Parameters
    ----------
    func : str
        The calling function's name, for the error messages.
    log2_c, eps, d_r, rot, d_theta : int, iterable of int or "all"

    Returns
    -------
    dict
        ``{name: tuple of int}`` in the canonical order of the options.

    Raises
    ------
    TypeError
        A value is not an int (bool, float, str other than "all", ...).
    ValueError
        A value out of the option's range, an empty iterable, ``eps="all"``.

    Examples
    --------
    >>> allowed_options("f", log2_c="all", rot=[3, 1, 3])["log2_c"]
    (-4, -3, -2, -1, 0, 1, 2, 3)
    >>> allowed_options("f", rot=[3, 1, 3])["rot"]
    (1, 3)
    """
    given = dict(log2_c=log2_c, eps=eps, d_r=d_r, rot=rot, d_theta=d_theta)
    out = {}
    for name in OPTION_NAMES:
        value = given[name]
        lo, hi = registry.INPUTS[name].lo, registry.INPUTS[name].hi
        if isinstance(value, str):
            if value != "all":
                raise TypeError(f"{func}: {name} must be an int, an iterable of "
                                f"ints or \"all\", got {_api.show(value)}")
            if name == "eps":
                raise ValueError(f"{func}: eps='all' would be 2**64 values; "
                                 "give the eps values to try")
            out[name] = tuple(range(lo, hi))
            continue
        if _is_int(value):
            values = [value]
        elif isinstance(value, (bytes, dict)) or not np.iterable(value):
            raise TypeError(f"{func}: {name} must be an int, an iterable of "
                            f"ints or \"all\", got {type(value).__name__}")
        else:
            values = list(np.asarray(value, dtype=object).ravel()) \
                if isinstance(value, np.ndarray) else list(value)
        if not values:
            raise ValueError(f"{func}: {name} is empty; give at least one value")
        for v in values:
            if not _is_int(v):
                raise TypeError(f"{func}: {name} values must be ints, got "
                                f"{type(v).__name__} ({_api.show(v)})")
            if not lo <= int(v) < hi:
                raise ValueError(f"{func}: {name} = {_api.show(int(v))} is outside "
                                 f"[{lo}, {hi - 1}]")
        out[name] = tuple(sorted({int(v) for v in values}))
    return out


def _is_int(v):
    return _api._is_integer(v)


def seed_bits(seed_format, *, log2_c=0, eps=0, d_r=0, rot=0, d_theta=0):
    """Bits that store one seed, the way the transform counts them.

    * ``"seed64"``: 64, the packed word (it holds every option but eps,
      and eps must be 0).
    * ``"q64"``: 128 (R and T) plus, for each option, the bits that name
      one of its allowed values (an index into the list, which the
      decoder knows as it knows a fixed option): ``ceil(log2(count))``,
      so 0 for an option fixed to one value, 3 for ``log2_c="all"``.

    The shape (m, n) is not counted: a layer's shape belongs to the model's
    architecture, as the sources count (128 bits against 32 m n).  A file
    that stores it adds :data:`SHAPE_BITS` (two uint32) per matrix.

    Parameters
    ----------
    seed_format : {"seed64", "q64"}
    log2_c, eps, d_r, rot, d_theta : int, iterable of int or "all"
        The option values the encoder may choose from, as in
        :func:`poincare_q64.transform.encode_matrix`.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        An unknown seed_format, bad options (as :func:`allowed_options`),
        an eps other than 0 for seed64.

    Examples
    --------
    >>> seed_bits("seed64", log2_c="all")
    64
    >>> seed_bits("q64"), seed_bits("q64", log2_c="all", d_r=[0, 1])
    (128, 132)
    """
    opts = allowed_options("seed_bits", log2_c=log2_c, eps=eps, d_r=d_r,
                           rot=rot, d_theta=d_theta)
    check_format("seed_bits", seed_format, opts)
    if seed_format == "seed64":
        return SEED64_BITS
    # The decoder knows the allowed values (as it knows a fixed option), so
    # a seed names one of them by its index.
    return Q64_BITS + sum(math.ceil(math.log2(len(v))) for v in opts.values())


def check_format(func, seed_format, opts=None):
    """ValueError unless seed_format is known and (for seed64) eps is 0."""
    if not isinstance(seed_format, str) or seed_format not in SEED_FORMATS:
        raise ValueError(f"{func}: seed_format must be one of {SEED_FORMATS}, "
                         f"got {_api.show(seed_format)}")
    if seed_format == "seed64" and opts is not None and opts["eps"] != (0,):
        raise ValueError(f"{func}: the seed64 word holds no eps (eps must be "
                         "0); use seed_format='q64' to search eps")
