"""What the application imports is installed by ``pip install .`` alone: every third-party
package a module outside ``tests/`` and ``bench/`` imports is one of ``[project]``'s
``dependencies`` (an import that only the test extras provided broke ``scripts/start``)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "cache", "db", "services", "loaders", "tasks", "resolvers", "schema", "prodhub")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        normalized(re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0])
        for spec in project["dependencies"]
    }


def imported() -> dict[str, set[str]]:
    """Top-level third-party modules, with the files that import them."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations/versions" in str(path):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in PACKAGES:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    wanted = declared()
    missing = {
        module: sorted(files)
        for module, files in imported().items()
        if not {normalized(d) for d in distributions.get(module, [module])} & wanted
    }
    assert missing == {}
