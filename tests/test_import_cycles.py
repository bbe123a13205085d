"""No import cycle among the package's modules, read from the source (AST only, nothing is imported).

Every import counts, at module level or inside a function (a lazy import hides a cycle from the import system,
not from a reader): ``import a.b``, ``from a.b import c`` (an edge to ``a.b.c`` when that is a module, else to
``a.b``) and relative imports. Imports under ``if TYPE_CHECKING:`` are skipped (they never run).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theory", "simulate", "empirical", "reports", "infogeo")
#: Cycles tolerated: none.
KNOWN: set[frozenset] = set()


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (path, is a package)."""
    out = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _targets(node: ast.AST, package: str, modules: dict) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
    return {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names} & modules.keys()


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    modules = _modules(root)
    graph = {}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if is_package else name.rpartition(".")[0]
        skip = _type_checking_nodes(tree)
        graph[name] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skip:
                graph[name] |= _targets(node, package, modules)
        graph[name].discard(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_the_package_modules_import_no_cycle():
    found = [c for c in cycles(import_graph()) if frozenset(c) not in KNOWN]
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set(), "c": {"a", "b"}}, []),
    ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [["a", "b"], ["c", "d"]]),
])
def test_the_cycle_finder_finds_known_cycles(graph, expected):
    assert sorted(cycles(graph)) == expected


def test_the_graph_sees_relative_lazy_and_submodule_imports(tmp_path):
    (tmp_path / "theory" / "sub").mkdir(parents=True)
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "theory" / "sub" / "__init__.py").write_text("from . import leaf\n")
    (tmp_path / "theory" / "sub" / "leaf.py").write_text("def f():\n    from theory.sub import other\n")
    (tmp_path / "theory" / "sub" / "other.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import theory.a\nfrom ..a import x\n")
    (tmp_path / "theory" / "a.py").write_text("import theory.sub.leaf\n")
    graph = import_graph(tmp_path)
    assert graph["theory.sub"] == {"theory.sub.leaf"} and graph["theory.sub.leaf"] == {"theory.sub.other"}
    assert graph["theory.sub.other"] == {"theory.a"}  # the TYPE_CHECKING import is skipped, the relative one kept
    assert cycles(graph) == [["theory.a", "theory.sub.leaf", "theory.sub.other"]]
