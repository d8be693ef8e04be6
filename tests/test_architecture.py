"""The package's modules depend on each other without circles.

Every import between poincare_q64's own Python modules counts, the ones
inside functions too (a lazy import still ties two modules together): the
graph must be acyclic, so each module can be read, tested and changed with
only the modules below it in mind.  The independent reference imports nothing
of the package, and the registry nothing at all.
"""
import ast
import os

import poincare_q64

PKG_DIR = os.path.dirname(os.path.abspath(poincare_q64.__file__))
PKG = "poincare_q64"


def _modules():
    """{module name: path} of the package's modules (.pyx: compiled, no
    Python imports of ours to read)."""
    out = {}
    for root, _, files in os.walk(PKG_DIR):
        for name in files:
            if not name.endswith((".py", ".pyx")):
                continue
            rel = os.path.relpath(os.path.join(root, name), PKG_DIR)
            rel = rel.rpartition(".")[0]
            parts = [PKG] + rel.split(os.sep)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = os.path.join(root, name)
    return out


def _imports(path, modules):
    """The package modules that the file at ``path`` imports anywhere."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from pkg import sub` imports the submodule; `from pkg import f`
            # the package's own namespace
            names = [f"{node.module}.{a.name}"
                     if f"{node.module}.{a.name}" in modules else node.module
                     for a in node.names]
        else:
            continue
        # (running a package's __init__ before its submodule is how Python
        # imports, not a dependency of the importer: it is not counted)
        found.update(name for name in names if name in modules)
    return found


def _graph():
    modules = _modules()
    return {m: _imports(p, modules) - {m} if p.endswith(".py") else set()
            for m, p in modules.items()}


def _cycle(graph):
    """A list of modules forming a circle, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        state[m] = "done"
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_the_import_graph_has_no_circle():
    graph = _graph()
    assert f"{PKG}.cli" in graph and f"{PKG}.conformance" in graph
    cycle = _cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_reference_and_registry_stand_alone():
    graph = _graph()
    assert graph[f"{PKG}.reference"] == set()
    assert graph[f"{PKG}.registry"] == set()
