"""The C kernels as a table of function pointers: PyCapsule, ctypes and cffi.

This is the numpy.random ``BitGenerator.capsule`` / ``.ctypes`` / ``.cffi``
pattern: compiled code in another extension (C, Cython, numba, cffi) calls
the kernels of this installation through a ``pq_capi`` table (declared in
``poincare_q64_capi.h``, in :func:`poincare_q64.get_include`) without
compiling our C sources or importing our Cython.  The table points at the same
kernels the Python API uses (one copy per process).

Attributes
----------
capsule : PyCapsule
    Pointer to the ``const pq_capi`` table, named :data:`CAPSULE_NAME`
    (``"poincare_q64.capi.capsule"``), so a C extension obtains the table with
    ``PyCapsule_Import(PQ_CAPI_CAPSULE_NAME, 0)``.
address : int
    The same pointer as an integer (for numba and other FFIs).
ctypes : CtypesView
    A ctypes view of the table (a named tuple, created once): ``size``,
    ``version``, then one ctypes function pointer per kernel with the C
    signature, e.g. ``ctypes.rbe(R, T, i, j, byref(params), fmt,
    byref(value))``.  The calls release the GIL.
cffi : CffiView
    ``(ffi, table)``: a ``cffi.FFI`` holding the declarations of both public
    headers and the table cast to ``const pq_capi *``.  Created on first
    access; ImportError if cffi is not installed (it is optional).
VERSION, SIZE : int
    ``version`` and ``size`` of the table (see the growth rule in the header).

The ctypes mirrors of the C types (:class:`pq_format`, :class:`pq_params`,
:class:`pq_value`, :class:`pq_int128`, :class:`pq_columns`,
:class:`pq_seed64_fields`, :class:`pq_capi`) and the header's constants
(``PQ_OK`` ... ``PQ_KIND_FLOAT32``) are defined here too.  Every function
returns a status code; arguments out of range or NULL pointers give
``PQ_EDOM`` and leave the output unchanged.

Examples
--------
>>> import ctypes as C
>>> from poincare_q64 import capi
>>> params, value = capi.pq_params(), capi.pq_value()     # zero: eps 0, c = 1
>>> fmt = capi.pq_format(capi.PQ_KIND_FLOAT64, 0)
>>> capi.ctypes.rbe(2**63, 2**62, 5, 7, C.byref(params), fmt, C.byref(value))
0
>>> value.f64                          # == poincare_q64.rbe(2**63, 2**62, 5, 7, dtype=float64)
0.7201299713543013
>>> params.log2_c = 9                  # out of range: a status code, not a crash
>>> capi.ctypes.rbe(2**63, 2**62, 5, 7, C.byref(params), fmt, C.byref(value)) == capi.PQ_EDOM
True
"""
import collections
import ctypes as _ct
import importlib.machinery
import importlib.util
import os
import re
import sys
import threading

from poincare_q64 import _kernels


def _load_capi_module():
    # The capsule module lives inside the _kernels shared library (PEP 489,
    # several modules in one library; see poincare_q64/_capimodule.c), so it
    # has no file of its own for the import system to find.
    name = "poincare_q64._capi"
    module = sys.modules.get(name)
    if module is None:
        loader = importlib.machinery.ExtensionFileLoader(name, _kernels.__file__)
        spec = importlib.util.spec_from_file_location(name, _kernels.__file__, loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        sys.modules[name] = module
    return module


_capi = _load_capi_module()

capsule = _capi.capsule
address = _capi.address
CAPSULE_NAME = _capi.capsule_name
VERSION = _capi.version
SIZE = _capi.size

# ---- the integer constants of the public headers (PQ_OK ... PQ_KIND_FLOAT32,
# PQ_VERSION_*, PQ_CAPI_VERSION), read from the headers themselves so that
# they cannot drift from them (tests/abi/abi.json freezes their values)
def _header_constants():
    include = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
    found = {}
    for header in ("poincare_q64.h", "poincare_q64_capi.h"):
        with open(os.path.join(include, header), encoding="utf-8") as fh:
            found.update((m.group(1), int(m.group(2))) for m in re.finditer(
                r"^\s*#\s*define\s+(PQ_\w+)\s+(-?\d+)\b", fh.read(), re.M))
    return found


globals().update(_header_constants())


# ---- ctypes mirrors of the C types; the layout test compares every size and
# offset with what the C compiler reports for the header.
class pq_format(_ct.Structure):
    """Output format: ``kind`` (PQ_KIND_*) and ``frac`` (0..64, integer kinds)."""
    _fields_ = [("kind", _ct.c_int32), ("frac", _ct.c_int32)]


class pq_int128(_ct.Structure):
    """Two's-complement 128-bit integer: ``hi * 2**64 + lo``."""
    _fields_ = [("lo", _ct.c_uint64), ("hi", _ct.c_int64)]


class pq_value(_ct.Union):
    """One result; the member read must match the format's kind."""
    _fields_ = [("i64", _ct.c_int64), ("i128", pq_int128), ("f64", _ct.c_double),
                ("f32", _ct.c_float)]


class pq_params(_ct.Structure):
    """The RBE options (all zero: eps 0, c = 1, no derivative, no rotation)."""
    _fields_ = [("eps", _ct.c_uint64), ("log2_c", _ct.c_int32), ("d_r", _ct.c_int32),
                ("rot", _ct.c_int32), ("d_theta", _ct.c_int32)]


_u64p = _ct.POINTER(_ct.c_uint64)
_u32p = _ct.POINTER(_ct.c_uint32)
_i32p = _ct.POINTER(_ct.c_int32)


class pq_columns(_ct.Structure):
    """Input columns of ``rbe_range``: element k of a column is ``base[k * stride]``."""
    _fields_ = [("R", _u64p), ("T", _u64p), ("i", _u32p), ("j", _u32p), ("eps", _u64p),
                ("log2_c", _i32p), ("d_r", _i32p), ("rot", _i32p), ("d_theta", _i32p)] + [
        ("s_" + name, _ct.c_ssize_t)  # ptrdiff_t: same size and sign as ssize_t
        for name in ("R", "T", "i", "j", "eps", "log2_c", "d_r", "rot", "d_theta")]


class pq_seed64_fields(_ct.Structure):
    """The fields of a 64-bit seed (source 002)."""
    _fields_ = [("r", _ct.c_uint32), ("theta", _ct.c_uint32), ("basis", _ct.c_int32),
                ("d_theta", _ct.c_int32), ("d_r", _ct.c_int32), ("rot", _ct.c_int32),
                ("log2_c", _ct.c_int32), ("reserved", _ct.c_int32)]


class pq_decoder(_ct.Structure):
    """A matrix decoder (opaque): filled by ``decoder_init``, read by ``decode_rows``."""
    _fields_ = [("opaque", _ct.c_uint64 * 16)]


class pq_phi_table(_ct.Structure):
    """A phi table: ``hi[k] 2**64 + lo[k]`` for element k = i * n_cols + j."""
    _fields_ = [("hi", _u64p), ("lo", _u64p), ("n_rows", _ct.c_uint32),
                ("n_cols", _ct.c_uint32)]


_P = _ct.POINTER
_fn = _ct.CFUNCTYPE  # releases the GIL during the call, like the kernels allow


# C type name -> ctypes type, for the declarations of the table's fields
_C_TYPES = {"int": _ct.c_int, "uint8_t": _ct.c_uint8, "uint32_t": _ct.c_uint32,
            "uint64_t": _ct.c_uint64, "size_t": _ct.c_size_t, "void": None,
            "pq_format": pq_format, "pq_params": pq_params, "pq_value": pq_value,
            "pq_columns": pq_columns, "pq_seed64_fields": pq_seed64_fields,
            "ptrdiff_t": _ct.c_ssize_t, "pq_decoder": pq_decoder,
            "pq_phi_table": pq_phi_table}


def _ctype(decl):
    """The ctypes type of a C return type or parameter ("const pq_params *p")."""
    base = [w for w in decl.replace("*", " ").split() if w != "const"][0]
    t = _C_TYPES[base]
    if "*" in decl:
        return _ct.c_void_p if t is None else _P(t)
    return t


def _table_fields():
    """The pq_capi fields as ctypes reads them, from poincare_q64_capi.h
    itself, so that the view cannot drift from the header (a field the
    header adds appears here with the C types it is declared with)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src",
                        "poincare_q64_capi.h")
    with open(path, encoding="utf-8") as fh:
        text = re.sub(r"/\*.*?\*/", " ", fh.read(), flags=re.S)
    body = re.search(r"typedef struct pq_capi \{(.*?)\} pq_capi;", text, re.S).group(1)
    fields = [("size", _ct.c_uint32), ("version", _ct.c_uint32)]
    for m in re.finditer(r"([\w\s]+?)\s*\(\*(\w+)\)\s*\(([^)]*)\)\s*;", body):
        args = [_ctype(p) for p in m.group(3).split(",")]
        fields.append((m.group(2), _fn(_ctype(m.group(1)), *args)))
    return fields


class pq_capi(_ct.Structure):
    """The function table of ``poincare_q64_capi.h`` (fields only ever appended)."""
    _fields_ = _table_fields()


if SIZE < _ct.sizeof(pq_capi):  # pragma: no cover - a mismatched build
    raise ImportError(
        f"poincare_q64: the compiled C API table has {SIZE} bytes but capi.py "
        f"expects {_ct.sizeof(pq_capi)}; rebuild the extension")

CtypesView = collections.namedtuple("CtypesView", [name for name, _ in pq_capi._fields_])
CtypesView.__doc__ = (
    """ctypes view of the table: ``size``, ``version`` and one callable per kernel.""")

# The table is static in the loaded library, which is never unloaded, so its
# function pointers stay valid for the life of the process.  A tuple rather
# than the pq_capi structure itself: the table lives in read-only memory, and
# assigning to a field of a structure view would write there (a crash).
_table = pq_capi.from_address(address)
ctypes = CtypesView(*(getattr(_table, name) for name in CtypesView._fields))
del _table

CffiView = collections.namedtuple("CffiView", ["ffi", "table"])
CffiView.__doc__ = (
    """cffi view of the table: ``ffi`` (a cffi.FFI) and ``table`` (``const pq_capi *``).""")

_cffi_lock = threading.Lock()
_cffi_view = None


def cffi_cdef():
    """The declarations of the public headers, in the subset of C that cffi reads.

    Built from the installed ``poincare_q64.h`` and ``poincare_q64_capi.h`` (so
    it cannot drift from them): comments, include guards, ``extern "C"`` and
    macros other than integer constants are dropped.

    Returns
    -------
    str
        Text for ``cffi.FFI().cdef``.

    Examples
    --------
    >>> "size_t (*rbe_range)" in cffi_cdef()
    True
    """
    include = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
    parts = []
    for header in ("poincare_q64.h", "poincare_q64_capi.h"):
        with open(os.path.join(include, header), encoding="utf-8") as fh:
            text = fh.read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = text.replace("\\\n", " ")
        text = re.sub(r"#ifdef __cplusplus.*?#endif", "", text, flags=re.S)
        lines = []
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                m = re.match(r"\s*#\s*define\s+(PQ_\w+)\s+(-?\d+)\s*$", line)
                if m:
                    lines.append(f"#define {m.group(1)} {m.group(2)}")
                continue
            lines.append(line)
        parts.append("\n".join(lines))
    return "\n".join(parts)


def __getattr__(name):
    # cffi is optional: build its view only when asked for, once.
    global _cffi_view
    if name != "cffi":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _cffi_lock:
        if _cffi_view is None:
            try:
                import cffi
            except ImportError as exc:
                raise ImportError(
                    "poincare_q64.capi.cffi needs the optional package cffi "
                    "(pip install cffi); the ctypes view needs nothing") from exc
            ffi = cffi.FFI()
            ffi.cdef(cffi_cdef())
            _cffi_view = CffiView(ffi, ffi.cast("const pq_capi *", address))
        return _cffi_view


def __dir__():
    return sorted(set(globals()) | {"cffi"})
