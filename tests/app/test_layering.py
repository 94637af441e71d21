"""Dependencies point one way (STYLE.md), and only loaders and services speak SQL.

    prodhub (app, CLI, composition root)
      └─ schema ─ resolvers ─┬─ loaders ─┐
                             └───────────┴─ services ─ db ─ cache ─ core
    tasks ─ services

Each package lists every package of ours it may import; anything else is an offender.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"core", "cache", "db", "services", "loaders", "tasks", "resolvers", "schema", "prodhub"}
MAY_IMPORT = {
    "core": {"core"},
    "cache": {"core", "cache"},
    "db": {"core", "cache", "db"},
    "services": {"core", "cache", "db", "services"},
    "loaders": {"core", "cache", "db", "services", "loaders"},
    "tasks": {"core", "cache", "db", "services", "tasks"},
    "resolvers": {"core", "cache", "db", "services", "loaders", "resolvers"},
    "schema": {"core", "cache", "db", "services", "loaders", "resolvers", "schema"},
    "prodhub": OURS,
}
# The GraphQL layer gets rows from loaders and services only: no SQL of its own.
NO_SQL = ("resolvers", "schema")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules_of(package: str) -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(ROOT)), module)
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations/versions" not in str(path)
        for module in sorted(imported_modules(path))
    ]


def test_every_package_of_ours_has_rules() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}

    assert packages - {"tests", "bench"} == set(MAY_IMPORT)


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_package_imports_only_what_is_below_it(package: str) -> None:
    offenders = [
        f"{path} imports {module}"
        for path, module in modules_of(package)
        if module.startswith(".")
        or (module.split(".")[0] in OURS and module.split(".")[0] not in MAY_IMPORT[package])
        or module.split(".")[0] in {"tests", "bench"}
    ]

    assert offenders == []


@pytest.mark.parametrize("package", NO_SQL)
def test_graphql_layer_does_not_query(package: str) -> None:
    offenders = [
        f"{path} imports {module}"
        for path, module in modules_of(package)
        if module.split(".")[0] == "sqlalchemy"
    ]

    assert offenders == []


def test_tests_share_helpers_only_through_the_helper_module() -> None:
    """Of ``bench``, tests use only the fault tooling (the proxy, the processes), which the
    fault benchmark shares with them."""
    offenders = [
        f"{path} imports {module}"
        for path, module in modules_of("tests")
        if (module.split(".")[0] == "tests" and not module.startswith("tests.helpers"))
        or (module.split(".")[0] == "bench" and not module.startswith("bench.faults"))
    ]

    assert offenders == []
