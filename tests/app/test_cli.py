"""The operator commands that have no other test: ``migrate``, ``export-schema``, ``serve``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from db.models import Base
from prodhub import cli
from prodhub.settings import get_settings
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


@pytest.mark.parametrize(
    ("workers", "redis_url", "ttl"),
    [(1, None, "30"), (2, None, "0"), (2, "redis://127.0.0.1:1/0", "30")],
    ids=["one-process", "several-without-redis", "several-with-redis"],
)
def test_serve_keeps_per_process_caches_out_of_multi_process_servers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
    redis_url: str | None,
    ttl: str,
) -> None:
    monkeypatch.setenv("PRODHUB_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("PRODHUB_CACHE_TTL_SECONDS", "30")  # restored after the test
    if redis_url:
        monkeypatch.setenv("PRODHUB_REDIS_URL", redis_url)
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **options: runs.append(options))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve", "--workers", str(workers)])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert [run["workers"] for run in runs] == [workers]
    assert os.environ["PRODHUB_CACHE_TTL_SECONDS"] == ttl
