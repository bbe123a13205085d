"""The layout rules of docs/architecture.md, checked on the source tree (AST only, nothing is imported).

- Data flows one way: theory <- simulate, empirical <- reports. ``theory`` imports neither simulate, empirical nor
  reports; ``simulate`` and ``empirical`` never import ``reports``.
- No layer imports another layer's private names (``from empirical.fit.fitting import _A_MIN``).
- Functions a reader can hold in mind: none longer than ``MAX_FUNCTION_LINES``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("theory", "simulate", "empirical", "reports", "infogeo")
#: Which top-level packages each layer may import (besides itself and third-party packages).
ALLOWED = {
    "theory": {"infogeo"},
    "simulate": {"theory", "infogeo"},
    "empirical": {"theory", "infogeo"},
    "reports": {"theory", "simulate", "empirical", "infogeo"},
    "infogeo": set(),  # the console script and the shared plot style: imports layers lazily, by name only
}
MAX_FUNCTION_LINES = 80


def _modules():
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            yield layer, path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.AST):
    """(top-level package, imported names) for every absolute import in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], alias.name.split(".")[1:]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], [a.name for a in node.names] + node.module.split(".")[1:]


def test_the_tree_has_every_layer():
    for layer in LAYERS:
        assert (ROOT / layer / "__init__.py").exists(), layer


def test_layers_import_one_way():
    bad = []
    for layer, path, tree in _modules():
        for top, _ in _imports(tree):
            if top in LAYERS and top != layer and top not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(ROOT)} imports {top}")
    assert not bad, "\n".join(bad)


def test_no_layer_imports_another_layers_private_names():
    bad = []
    for layer, path, tree in _modules():
        for top, names in _imports(tree):
            if top in LAYERS and top != layer:
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                if private:
                    bad.append(f"{path.relative_to(ROOT)} imports {top}: {', '.join(private)}")
    assert not bad, "\n".join(bad)


def _long_functions(limit: int):
    out = []
    for _, path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > limit:
                    out.append((n, f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"))
    return sorted(out, reverse=True)


def test_functions_fit_in_one_sitting():
    long = _long_functions(MAX_FUNCTION_LINES)
    assert not long, "\n".join(f"{n} lines: {where}" for n, where in long)


@pytest.mark.parametrize("limit", [5])
def test_the_length_check_can_fail(limit):
    """The checker finds long functions when there are some (a guard against a walker that sees nothing)."""
    assert len(_long_functions(limit)) > 10


def test_the_kernel_pinning_commands_do_not_load_torch_before_they_pin_it():
    """python -m reports and infogeo minipythia pin torch's CPU kernels after their imports; none may load torch."""
    import subprocess
    import sys

    code = "import sys, reports.__main__, empirical.minipythia.__main__; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


#: Names of the validation and memory helpers this project had before infogeo.validation was their one home.
RETIRED_NAMES = ("theory.validation", "from .validation import", "from ..validation import", "require_memory",
                 "empirical.memory", "from ..memory import", "from .memory import", "SAFETY_FRACTION",
                 "def check_memory")


def test_one_validation_module_and_one_memory_guard():
    """infogeo.validation holds every check_* validator and the one memory guard ``check_memory``; the three guards
    and the theory module they replaced are gone, and no other module defines a guard of its own."""
    bad = []
    for _layer, path, _ in _modules():
        text = path.read_text(encoding="utf-8")
        for name in RETIRED_NAMES:
            if name in text and not (path == ROOT / "infogeo" / "validation.py" and name == "def check_memory"):
                bad.append(f"{path.relative_to(ROOT)}: {name}")
    assert not bad, "\n".join(bad)
    assert not (ROOT / "theory" / "validation.py").exists() and not (ROOT / "empirical" / "memory.py").exists()
