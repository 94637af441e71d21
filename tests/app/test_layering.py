"""Dependencies point one way (STYLE.md), and only loaders and services speak SQL.

    prodhub (app, CLI, composition root)
      └─ schema ─ resolvers ─┬─ loaders ─┐
                             └───────────┴─ services ─ db ─ cache ─ core
    tasks ─ services

Each package lists every package of ours it may import; anything else is an offender.

Inside ``schema/``, each domain (``schema/<domain>.py``) holds its types, its queries and its
mutations, on the machinery of ``schema/infra/``, which knows no domain; ``schema/build.py``
alone merges the domains. A domain uses another only for the types it exports (a name ending
in ``Type``: ``from schema.employees import EmployeeType``), never its queries, mutations,
helpers or Node entries. And only resolvers open sessions: a root field or mutation calls a
resolver (``resolvers.sessions`` when it only runs a service), a field on a type reads
through the request's loaders.
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


SCHEMA = ROOT / "schema"
INFRA = "schema.infra"
COMPOSITION = {"schema/build.py", "schema/__init__.py"}  # may import every domain


def schema_domain(module: str) -> str | None:
    """The domain an imported module of ``schema`` belongs to (None: not a domain's)."""
    parts = module.split(".")
    if parts[0] != "schema" or len(parts) < 2 or module.startswith(INFRA):
        return None
    return parts[1]


def cross_domain_offence(own: str | None, module: str) -> bool:
    """Whether a module of domain ``own`` (None: of the infrastructure) may not import
    ``module``: the infrastructure no domain, a domain only another's exported types."""
    other = schema_domain(module)
    if other is None or other == own:
        return False
    if own is None:
        return True
    name = module.split(".")[-1]
    return not (module.count(".") == 2 and name[0].isupper() and name.endswith("Type"))


def schema_modules() -> list[tuple[str, str | None, str]]:
    """(path, the domain it is of (None: infrastructure), imported module)."""
    found = []
    for path, module in modules_of("schema"):
        if path in COMPOSITION:
            continue
        own = schema_domain(path.removesuffix(".py").replace("/", "."))
        found.append((path, own, module))
    return found


def test_schema_domains_use_each_other_only_for_types() -> None:
    offenders = [
        f"{path} imports {module}"
        for path, own, module in schema_modules()
        if cross_domain_offence(own, module)
    ]

    assert offenders == []


def test_the_domain_rule_refuses_more_than_a_type() -> None:
    refused = [
        ("flags", "schema.employees.EmployeeQueries"),
        ("flags", "schema.employees.NODES"),
        ("flags", "schema.employees.own_data"),
        ("flags", "schema.employees"),
        ("analytics", "schema.employees.EmployeeType.seen_by"),
        (None, "schema.employees.EmployeeType"),
    ]
    allowed = [
        ("flags", "schema.employees.EmployeeType"),
        ("flags", "schema.infra.relay.Node"),
        ("employees", "schema.employees.EmployeeType"),
        (None, "schema.infra.relay.Node"),
    ]

    assert [cross_domain_offence(own, m) for own, m in refused] == [True] * len(refused)
    assert [cross_domain_offence(own, m) for own, m in allowed] == [False] * len(allowed)


def test_only_resolvers_open_sessions() -> None:
    """No ``….db`` in ``schema/``: a session is opened by a resolver, never by a field."""
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted(SCHEMA.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "db"
    ]

    assert offenders == []


def test_tests_share_helpers_only_through_the_helper_module() -> None:
    """Of ``bench``, tests use only the tooling they share with it: the fault tooling (the
    proxy, the processes), which the fault benchmark uses, and the topology of
    ``scripts/cluster`` (``bench.cluster``)."""
    offenders = [
        f"{path} imports {module}"
        for path, module in modules_of("tests")
        if (module.split(".")[0] == "tests" and not module.startswith("tests.helpers"))
        or (
            module.split(".")[0] == "bench"
            and not module.startswith(("bench.faults", "bench.cluster"))
        )
    ]

    assert offenders == []
