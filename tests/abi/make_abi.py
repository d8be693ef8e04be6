"""Write tests/abi/abi.json: the public C ABI of poincare_q64, read from its headers.

The JSON freezes what C, Cython and capsule users compile against: every
function's type, every public struct's and union's fields in order (including
the pq_capi function table) and every ``PQ_`` macro.  tests/test_embedding.py
recomputes it from the headers and fails on any difference, so the ABI
changes only deliberately:

    python tests/abi/make_abi.py        # then review and commit abi.json

(if pq_capi grew, also raise PQ_CAPI_VERSION: fields are only appended).

How: the headers are preprocessed by the system C compiler against a tiny
stand-in for <stdint.h>/<stddef.h> (so only our declarations appear, with
the typedef names kept) and parsed by pycparser; types are printed without
parameter names, which are not part of the ABI.  Macros come from the
compiler's ``-dM`` listing.  Needs a C compiler ($CC, gcc, cc or clang) and
pycparser.
"""
import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "abi.json")
SRC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "poincare_q64", "src")
HEADERS = ("poincare_q64.h", "poincare_q64_capi.h")

_FAKE_STDINT = """
typedef signed char int8_t; typedef unsigned char uint8_t;
typedef short int16_t; typedef unsigned short uint16_t;
typedef int int32_t; typedef unsigned int uint32_t;
typedef long long int64_t; typedef unsigned long long uint64_t;
"""
_FAKE_STDDEF = """
typedef unsigned long size_t; typedef long ptrdiff_t;
#define NULL ((void *)0)
#define offsetof(t, m) __builtin_offsetof(t, m)
"""


def _cc():
    """$CC, else the first of gcc, cc, clang on PATH."""
    if os.environ.get("CC"):
        return shlex.split(os.environ["CC"])
    for name in ("gcc", "cc", "clang"):
        if shutil.which(name):
            return [name]
    raise RuntimeError("make_abi needs a C compiler's preprocessor: set CC or install gcc")


def _preprocess(include, extra, cc=None):
    """Run the preprocessor on a file that includes every public header."""
    with tempfile.TemporaryDirectory() as tmp:
        fake = os.path.join(tmp, "fake")
        os.mkdir(fake)
        for name, text in (("stdint.h", _FAKE_STDINT), ("stddef.h", _FAKE_STDDEF)):
            with open(os.path.join(fake, name), "w") as fh:
                fh.write(text)
        main = os.path.join(tmp, "all.c")
        with open(main, "w") as fh:
            fh.writelines(f'#include "{h}"\n' for h in HEADERS)
        cmd = ((shlex.split(cc) if cc else _cc())
               + ["-E", "-nostdinc", "-I", fake, "-I", include] + extra + [main])
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def _strip_names(node):
    """A copy of a type node with every declarator name (params too) removed."""
    from pycparser import c_ast

    node = copy.deepcopy(node)

    class Stripper(c_ast.NodeVisitor):
        def visit_TypeDecl(self, n):
            n.declname = None
            self.generic_visit(n)

        def visit_Decl(self, n):
            n.name = None
            self.generic_visit(n)

    Stripper().visit(node)
    return node


def canonical(text):
    """One spelling per C type: spaces only between words and after commas.

    So the frozen text does not depend on how a pycparser version prints
    (``int (*)(uint64_t, const pq_params *)`` -> ``int(*)(uint64_t, const pq_params*)``).

    >>> canonical("const  pq_params *")
    'const pq_params*'
    """
    text = re.sub(r"\s*([*(),\[\]])\s*", r"\1", " ".join(text.split()))
    return text.replace(",", ", ")


def _type_text(type_node):
    from pycparser import c_ast, c_generator

    typename = c_ast.Typename(name=None, quals=[], align=None, type=_strip_names(type_node))
    return canonical(c_generator.CGenerator().visit(typename))


def compute_abi(include=SRC, cc=None):
    """The ABI of the headers in `include`, as the dict stored in abi.json.

    `cc` is the compiler command whose preprocessor reads them (default: $CC,
    else gcc, cc or clang).
    """
    from pycparser import c_ast, c_parser

    text = _preprocess(include, [], cc)
    ast = c_parser.CParser().parse(text, filename="<headers>")
    types, functions = {}, {}
    for ext in ast.ext:
        header = os.path.basename(ext.coord.file) if ext.coord else ""
        if header not in HEADERS:
            continue  # the stand-in typedefs
        if isinstance(ext, c_ast.Typedef):
            body = ext.type.type
            if isinstance(body, (c_ast.Struct, c_ast.Union)):
                types[ext.name] = {
                    "header": header,
                    "kind": "struct" if isinstance(body, c_ast.Struct) else "union",
                    # "name: type", in declaration order (the order is ABI)
                    "fields": [f"{d.name}: {_type_text(d.type)}" for d in body.decls],
                }
            else:
                types[ext.name] = {"header": header, "kind": "typedef",
                                   "type": _type_text(ext.type)}
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.FuncDecl):
            functions[ext.name] = {"header": header, "type": _type_text(ext.type)}
        else:
            raise ValueError(f"make_abi: unexpected declaration at {ext.coord}")
    macros = {}
    for line in _preprocess(include, ["-dM"], cc).splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] == "#define" and parts[1].startswith("PQ_"):
            macros[parts[1]] = parts[2].strip() if len(parts) == 3 else ""
    return {
        "_comment": "Frozen public C ABI of poincare_q64 (headers in poincare_q64/src). "
                    "Generated by tests/abi/make_abi.py; regenerate only for a deliberate "
                    "ABI change.",
        "macros": dict(sorted(macros.items())),
        "types": types,
        "functions": functions,
    }


def dumps(abi):
    return json.dumps(abi, indent=1) + "\n"


def main(argv=None):
    abi = compute_abi()
    fd, tmp = tempfile.mkstemp(dir=HERE, prefix=".abi-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(dumps(abi))
        os.replace(tmp, OUT)  # atomic: never a half-written abi.json
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {OUT}: {len(abi['functions'])} functions, {len(abi['types'])} types, "
          f"{len(abi['macros'])} macros")
    return 0


if __name__ == "__main__":
    sys.exit(main())
