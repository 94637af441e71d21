"""Dependencies point one way: schema -> resolvers -> loaders/services -> db (STYLE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GRAPHQL_LAYER = ("schema", "resolvers", "prodhub.app", "prodhub.graphql_app", "prodhub.cli")
FORBIDDEN = {
    "db": (*GRAPHQL_LAYER, "loaders", "services", "tasks"),
    "services": (*GRAPHQL_LAYER, "loaders"),
    "tasks": GRAPHQL_LAYER,
    "loaders": GRAPHQL_LAYER,
    "resolvers": ("schema",),
}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_layers_above_it(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for module in sorted(imported_modules(path))
        if any(module == f or module.startswith(f + ".") for f in FORBIDDEN[package])
    ]

    assert offenders == []
