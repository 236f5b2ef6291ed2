"""docs/architecture.md is a map: every file and function it names must exist, and its picture of the package
layers must be the import-linter contract's, so that the map cannot rot silently when code moves.

A reference is a code span holding a path, optionally with a name: `learning/pace.py`, `learning/pace.py:admit`,
`learning/group_writer.py:GroupWriter.run`, `static/js/progress.js:flush`, `app/jobs/`. For Python files the name is
looked up in the module's syntax tree (a top-level function, class or assignment, or `Class.member`); for
JavaScript, as a `function name` declaration."""

from __future__ import annotations

import ast
import re
import tomllib
from functools import cache
from pathlib import Path

from app import ROOT

DOC = ROOT / "docs" / "architecture.md"
REFERENCE = re.compile(r"`((?:[A-Za-z_][\w.-]*/)*[\w.-]+\.(?:py|js|html|toml|cfg|md)|(?:[A-Za-z_][\w.-]*/)+)"
                       r"(?::([A-Za-z_][\w.]*))?`")
IGNORED_IMPORT = re.compile(r"`([a-z_][\w.]*) -> ([a-z_][\w.]*)`")
SIX = ("eligibility", "completion", "credit award", "quota", "permission", "sanitis")


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _references() -> list[tuple[str, str | None]]:
    return [(path, name) for path, name in REFERENCE.findall(_doc())]


@cache
def _python_names(path: Path) -> dict[str, set[str]]:
    """Top-level names of a module ("" key) and the members of each of its classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: dict[str, set[str]] = {"": set()}

    def bound(body: list[ast.stmt]) -> set[str]:
        found = set()
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.add(node.name)
            elif isinstance(node, ast.Assign):
                found.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                found.add(node.target.id)
        return found

    names[""] = bound(tree.body)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = bound(node.body)
    return names


def _defines(path: Path, name: str) -> bool:
    if path.suffix == ".py":
        owner, _dot, member = name.rpartition(".")
        return member in _python_names(path).get(owner, set())
    if path.suffix == ".js":
        return re.search(rf"\bfunction\s+{re.escape(name)}\s*\(", path.read_text(encoding="utf-8")) is not None
    return False


def test_the_map_names_only_what_exists():
    references = _references()
    assert len(references) > 100, "the reference pattern no longer matches the doc's code spans"
    missing = sorted({f"{path}:{name}" if name else path for path, name in references
                      if not (ROOT / path).exists() or (name and not _defines(ROOT / path, name))})
    assert not missing, f"docs/architecture.md names what does not exist (moved or renamed?): {missing}"


def test_the_picture_is_the_import_contract():
    """The layers line and the listed exceptions are pyproject.toml's `[tool.importlinter]`, both ways."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    contracts = config["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    doc = _doc()
    assert "layers = [" + ", ".join(f'"{layer}"' for layer in layers) + "]" in doc
    ignored = {tuple(part.strip() for part in rule.split("->"))
               for contract in contracts for rule in contract.get("ignore_imports", [])}
    assert set(IGNORED_IMPORT.findall(doc)) == ignored, "list the contracts' ignore_imports in docs/architecture.md"
    assert "make lint" in doc


def test_the_six_questions_come_first():
    """Issue 19's "done when": where eligibility, completion, credit award, quota, permission and sanitising are
    decided, answered by the first section."""
    first = _doc().split("\n## ")[1].lower()
    assert [word for word in SIX if word not in first] == []
