"""The solver's layout rules: short modules, no import cycle, every import at module top."""

from __future__ import annotations

import ast
from pathlib import Path

SOLVER = Path(__file__).resolve().parents[2] / "solver"
MAX_LINES = 500


def modules() -> dict[str, ast.Module]:
    """Dotted name (solver.breaks.stage) -> parsed source, for every module of solver/."""
    out = {}
    for path in sorted(SOLVER.rglob("*.py")):
        parts = path.relative_to(SOLVER.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def imported(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The solver modules that `name` imports at module level."""
    package = name if name in known and any(k.startswith(name + ".") for k in known) else None
    base = (package or name.rsplit(".", 1)[0]).split(".")
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            parent = base[: len(base) - node.level + 1] if node.level else []
            stem = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{stem}.{alias.name}" in known:
                    out.add(f"{stem}.{alias.name}")
                elif stem in known:
                    out.add(stem)
    return out - {name}


def test_no_module_is_longer_than_the_limit():
    long = {
        str(p.relative_to(SOLVER.parent)): n
        for p in SOLVER.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long


def test_no_import_cycle():
    trees = modules()
    known = set(trees)
    graph = {name: imported(name, tree, known) for name, tree in trees.items()}
    assert graph["solver.solve"] >= {"solver.breaks", "solver.extract", "solver.starts"}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_every_import_is_at_module_top():
    inside = [
        f"{name}:{node.lineno}"
        for name, tree in modules().items()
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(func)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert not inside, inside
