"""The operator commands that have no other test: ``migrate`` and ``export-schema``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from db.models import Base
from schema.build import build_schema


def prodhub(*args: str, database: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    return subprocess.run(
        [sys.executable, "-m", "prodhub", *args],
        env=env, cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_migrate_creates_every_table_and_is_idempotent(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"

    first = prodhub("migrate", database=database, cwd=tmp_path)
    again = prodhub("migrate", database=database, cwd=tmp_path)

    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    with sqlite3.connect(database) as connection:
        tables = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert revision == [("0001",)]


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    result = prodhub(
        "export-schema", "--path", "out.graphql", database=tmp_path / "x.db", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.graphql").read_text(encoding="utf-8") == build_schema().as_str() + "\n"
    assert not (tmp_path / "x.db").exists()  # exporting the schema touches no database
