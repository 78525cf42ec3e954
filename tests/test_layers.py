"""Layers that cannot leak (DESIGN.md architecture, STYLE.md habit 1): checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

# package → top-level modules it must never import
FORBIDDEN = {
    "store": {"textual", "httpx", "tui", "worker", "integrations.tickets"},
    "worker": {"textual", "tui"},
    "integrations": {"textual", "store", "tui", "worker", "casedesk"},
    "tui": {"httpx", "integrations.tickets"},
    # Screens and widgets get plain dataclasses from tui/backend.py; no sessions, no queries.
    "tui/screens": {"sqlalchemy", "sqlmodel", "store.engine", "store.models", "httpx"},
    "tui/widgets": {"sqlalchemy", "sqlmodel", "store.engine", "store.models", "httpx"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(package: str) -> list[str]:
    found = []
    for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
        for name in _imports(path):
            for banned in FORBIDDEN[package]:
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_do_not_leak(package):
    assert _violations(package) == []


def test_the_layer_check_would_catch_a_leak(tmp_path, monkeypatch):
    leaking = tmp_path / "store"
    leaking.mkdir()
    (leaking / "bad.py").write_text("from textual.app import App\nimport httpx\n")
    monkeypatch.setattr("tests.test_layers.PROJECT_ROOT", tmp_path)
    assert sorted(_violations("store")) == [
        "store/bad.py imports httpx",
        "store/bad.py imports textual.app",
    ]
