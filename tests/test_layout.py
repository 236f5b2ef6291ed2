"""Cheap checks on the code's shape (issue 19, "rules in one hop"): no package module over 400 lines, and no import
inside a function without a comment saying why (on its line, or on the line above its group of imports)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "catalog", "search", "media", "learning", "credits", "programme")
MAX_LINES = 400
# Modules allowed past MAX_LINES, each with its reason. Keep it empty: split a module by what it holds instead.
LONG_MODULES: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_the_packages_are_found():
    assert len(_modules()) > 100


def test_no_module_over_400_lines():
    too_long = {str(path.relative_to(ROOT)): count for path in _modules()
                if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert {name: count for name, count in too_long.items() if name not in LONG_MODULES} == {}
    assert set(LONG_MODULES) <= set(too_long), "a module of LONG_MODULES is short now: take it off the list"


def _unexplained_imports(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        imports = [node for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)]
        import_lines = {n for node in imports for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
        for node in imports:
            if "#" in lines[node.lineno - 1]:
                continue
            above = node.lineno - 1
            while above in import_lines:  # the group of imports it belongs to
                above -= 1
            if not lines[above - 1].strip().startswith("#"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(found))  # an import in a nested function is met from both functions


def test_every_import_inside_a_function_says_why():
    assert [place for path in _modules() for place in _unexplained_imports(path)] == []
