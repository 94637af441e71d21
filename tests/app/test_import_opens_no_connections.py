"""Importing the application and building it opens no database connection (seed report 003)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sqlalchemy.pool, sqlalchemy.event
opened = []
sqlalchemy.event.listen(sqlalchemy.pool.Pool, "connect", lambda *a: opened.append(a))
import prodhub.app, prodhub.cli, schema.build, loaders.registry, services.demo.load
app = prodhub.app.create_app()
schema.build.build_schema()
print(len(opened))
"""


def test_importing_and_building_the_app_opens_zero_connections(tmp_path: Path) -> None:
    database = tmp_path / "never-created.db"
    env = {"PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{database}", "PATH": ""}

    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "0"
    assert not database.exists()  # SQLite creates the file on first connect
