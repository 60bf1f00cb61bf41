"""The shape the README promises: data flows one way (web → market → matcher / search), the matcher imports
nothing of ours, and web/ holds no database query outside the session plumbing (reads go through market/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("market", "matcher", "search", "web")
# package → the packages of ours it may import
ALLOWED = {"web": {"web", "market", "search", "matcher"}, "market": {"market", "matcher", "search"},
           "search": {"search", "matcher"}, "matcher": {"matcher"}}
SESSION_PLUMBING = {"web/deps.py"}  # finds the signed-in user for a request


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add(path.relative_to(ROOT).parts[0])
    return found & set(OURS)


@pytest.mark.parametrize("package", OURS)
def test_data_flows_one_way(package: str):
    wrong = [f"{p.relative_to(ROOT)} imports {sorted(_imports(p) - ALLOWED[package])}"
             for p in _sources(package) if _imports(p) - ALLOWED[package]]
    assert not wrong, "\n".join(wrong)


def _queries(path: Path) -> list[str]:
    """Calls that read or write the database: select(…), ….exec(…), db.get(…), and the import of select."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id == "select" or isinstance(f, ast.Attribute) and (
                    f.attr == "exec" or f.attr == "get" and isinstance(f.value, ast.Name) and f.value.id == "db"):
                out.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("sqlmodel", "sqlalchemy") and any(
                a.name == "select" for a in node.names):
            out.append(f"{path.relative_to(ROOT)}:{node.lineno} imports select")
    return out


def test_web_reads_only_through_market():
    found = [q for p in _sources("web") if str(p.relative_to(ROOT)) not in SESSION_PLUMBING for q in _queries(p)]
    assert not found, "database queries in web/ (move them into market/):\n" + "\n".join(found)
