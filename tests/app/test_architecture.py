"""The package structure holds: no import cycle between the packages of app, and no
package imports another from inside a function (which is how a cycle hides)."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import grimp
import pytest

pytestmark = pytest.mark.nodb

APP = Path(__file__).resolve().parents[2] / "app"
OURS = ("app", "solver", "bench")


def test_no_import_cycle_between_app_packages():
    graph = grimp.build_graph("app")
    packages = sorted(graph.find_children("app"))
    cycles = [
        (a, b)
        for a, b in itertools.combinations(packages, 2)
        if graph.chain_exists(importer=a, imported=b, as_packages=True)
        and graph.chain_exists(importer=b, imported=a, as_packages=True)
    ]
    assert cycles == []
    # The test sees what it looks for: agendas uses commitments, which never uses agendas.
    assert graph.chain_exists(importer="app.agendas", imported="app.commitments", as_packages=True)


def _local_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import of our packages inside a function body."""
    out = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            out += [(node.lineno, n) for n in names if n.split(".")[0] in OURS]
    return out


def test_no_function_imports_one_of_our_modules():
    found = {
        str(path.relative_to(APP.parent)): hits
        for path in sorted(APP.rglob("*.py"))
        if (hits := _local_imports(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}


def test_the_check_finds_an_import_inside_a_function():
    source = "def f():\n    from app.agendas import service\n    import json\n"
    assert _local_imports(ast.parse(source)) == [(2, "app.agendas")]
