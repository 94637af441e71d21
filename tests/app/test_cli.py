"""The operator commands that have no other test: ``migrate``, ``export-schema``, ``serve``."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families

from db.migrate import alembic_config
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
    assert revision == [(ScriptDirectory.from_config(alembic_config()).get_current_head(),)]


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    result = prodhub(
        "export-schema", "--path", "out.graphql", database=tmp_path / "x.db", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.graphql").read_text(encoding="utf-8") == build_schema().as_str() + "\n"
    assert not (tmp_path / "x.db").exists()  # exporting the schema touches no database


@pytest.mark.parametrize(
    ("workers", "cache", "cache_off_said"),
    [(1, ["miss", "hit"], False), (2, [None, None], True)],
    ids=["one-process", "two-processes"],
)
def test_serve_builds_each_process_from_its_settings(
    tmp_path: Path, workers: int, cache: list[str | None], cache_off_said: bool
) -> None:
    """``serve`` hands its settings to every process it starts. Without Redis, several
    processes would keep separate caches that miss each other's writes, so none caches."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "prodhub", "serve", "--workers", str(workers), "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        responses = _query_when_up(
            f"http://127.0.0.1:{port}/graphql", "{ viewer { authenticated } }", 2
        )
        # Whichever process answers a scrape counts the requests of all (each on a new
        # connection, so the kernel may hand them to either process).
        scrapes = [httpx.get(f"http://127.0.0.1:{port}/metrics").text for _ in range(4)]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)

    assert [r.json() for r in responses] == [{"data": {"viewer": {"authenticated": False}}}] * 2, (
        output
    )
    assert [r.headers.get("x-prodhub-cache") for r in responses] == cache
    assert ("response cache off: several processes share one" in output) is cache_off_said
    assert output.count("Started server process") == workers
    assert "PRODHUB_CACHE_TTL_SECONDS" not in os.environ
    assert [(_sample(text, "/graphql"), _sample(text, "/metrics")) for text in scrapes] == [
        (2.0, float(n)) for n in range(4)
    ]
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ


def _sample(text: str, route: str) -> float:
    key = ("prodhub_http_requests_total", (("route", route), ("status", "200")))
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return found.get(key, 0.0)


def _query_when_up(url: str, query: str, times: int) -> list[httpx.Response]:
    deadline = time.monotonic() + 60
    while True:
        try:
            return [httpx.post(url, json={"query": query}) for _ in range(times)]
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_ignores_forwarded_for_unless_a_proxy_is_trusted(tmp_path: Path) -> None:
    """uvicorn alone would believe X-Forwarded-For from 127.0.0.1: each made-up hop a new
    client. Without ``PRODHUB_TRUSTED_PROXIES`` the peer is the client, whatever it says."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "prodhub", "serve", "--port", str(port), "--no-access-log"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    login = (
        'mutation($e: String!) { login(email: $e, password: "guess guess") { errors { code } } }'
    )
    try:
        _query_when_up(f"http://127.0.0.1:{port}/graphql", "{ viewer { authenticated } }", 1)
        codes = [
            httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": login, "variables": {"e": f"guess{n}@example.com"}},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).json()["data"]["login"]["errors"][0]["code"]
            for n in range(31)
        ]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)

    assert codes == ["INVALID_CREDENTIALS"] * 30 + ["RATE_LIMITED"], output


def create_admin(
    email: str, typed: str, *, database: Path, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """``prodhub create-admin`` with ``typed`` on its standard input (not a terminal)."""
    environment = {
        **os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{database}", **env
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "prodhub", "create-admin", "--email", email],
        input=typed, env=environment, cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_create_admin_reads_the_password_from_standard_input_and_creates_once(
    tmp_path: Path,
) -> None:
    database = tmp_path / "admin.db"

    first = create_admin("Boss@Example.com", "a-long-password\n", database=database, cwd=tmp_path)
    again = create_admin(
        "boss@example.com", "lamp stapler orbit\n", database=database, cwd=tmp_path
    )
    short = create_admin("new@example.com", "short\n", database=database, cwd=tmp_path)
    common = create_admin("new@example.com", "1234567890\n", database=database, cwd=tmp_path)

    assert (first.returncode, first.stdout) == (0, "created admin boss@example.com\n")
    assert (again.returncode, again.stderr) == (
        1, "not created: a user with email boss@example.com exists\n"
    )  # fmt: skip
    assert (short.returncode, short.stderr) == (
        1, "not created: a password has 10 to 256 characters\n"
    )  # fmt: skip
    assert (common.returncode, common.stderr) == (
        1, "not created: this password is too common or too easy to guess: "
        "try three or four unrelated words\n",
    )  # fmt: skip
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT email, role, substr(password_hash, 1, 9) FROM users"
        ).fetchall()
    assert rows == [("boss@example.com", "ADMIN", "$argon2id")]


def test_create_admin_takes_no_password_on_the_command_line(tmp_path: Path) -> None:
    """Other users (``ps``) and the shell's history would read it there."""
    database = tmp_path / "admin.db"
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}

    given = subprocess.run(
        [sys.executable, "-m", "prodhub", "create-admin", "--email", "boss@example.com",
         "--password", "lamp stapler orbit"],
        input="", env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert given.returncode == 2
    assert "No such option: --password" in given.stderr
    assert not database.exists()


def test_create_admin_refuses_the_demo_password_in_production(tmp_path: Path) -> None:
    database = tmp_path / "admin.db"
    production = {"PRODHUB_ENV": "production", "PRODHUB_SECRET_KEY": "s" * 40}

    demo = create_admin(
        "boss@example.com", "demo-password\n", database=database, cwd=tmp_path, **production
    )
    development = create_admin(
        "dev@example.com", "demo-password\n", database=database, cwd=tmp_path
    )

    assert (demo.returncode, demo.stderr) == (
        1, "not created: this password is public (the demo's): choose another\n"
    )  # fmt: skip
    assert (development.returncode, development.stdout) == (0, "created admin dev@example.com\n")


def create_user(
    *args: str, typed: str, database: Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``prodhub create-user`` with ``args`` and ``typed`` on its standard input."""
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    return subprocess.run(
        [sys.executable, "-m", "prodhub", "create-user", *args],
        input=typed, env=env, cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_create_user_links_teams_or_an_employee_record_and_is_audited(tmp_path: Path) -> None:
    database = tmp_path / "users.db"
    assert prodhub("migrate", database=database, cwd=tmp_path).returncode == 0
    with sqlite3.connect(database) as connection:
        stamp = "2026-11-20 00:00:00"
        connection.executemany(
            "INSERT INTO teams (key, name, timezone, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [("north", "North", "America/Chicago", stamp, stamp),
             ("south", "South", "America/Chicago", stamp, stamp)],
        )  # fmt: skip
        connection.execute(
            "INSERT INTO employees (code, name, active, leaderboard_opt_out, created_at, "
            "updated_at) VALUES ('E1', 'Ana', 1, 0, ?, ?)",
            (stamp, stamp),
        )

    def run(*args: str, typed: str = "lamp stapler orbit\n") -> tuple[int, str]:
        done = create_user(*args, typed=typed, database=database, cwd=tmp_path)
        return done.returncode, done.stdout + done.stderr

    manager = run("--email", "Lead@Example.com", "--role", "manager", "--team", "south",
                  "--team", "north")  # fmt: skip
    employee = run("--email", "ana@example.com", "--role", "EMPLOYEE", "--employee", "E1")
    refused = [
        run("--email", "x@example.com", "--role", "MANAGER", "--team", "west"),
        run("--email", "x@example.com", "--role", "MANAGER"),
        run("--email", "x@example.com", "--role", "EMPLOYEE"),
        run("--email", "x@example.com", "--role", "EMPLOYEE", "--employee", "E9"),
        run("--email", "x@example.com", "--role", "EMPLOYEE", "--employee", "E1"),
        run("--email", "x@example.com", "--role", "ADMIN", typed="1234567890\n"),
        run("--email", "lead@example.com", "--role", "ADMIN"),
    ]

    assert manager == (0, "created manager lead@example.com\n")
    assert employee == (0, "created employee ana@example.com\n")
    assert refused == [
        (1, "not created: no team with key 'west'\n"),
        (1, "not created: a MANAGER manages at least one team\n"),
        (1, "not created: an EMPLOYEE user is linked to their employee record\n"),
        (1, "not created: no employee with code 'E9'\n"),
        (1, "not created: this employee record is already user ana@example.com's\n"),
        (1, "not created: this password is too common or too easy to guess: "
            "try three or four unrelated words\n"),
        (1, "not created: a user with email lead@example.com exists\n"),
    ]  # fmt: skip
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT email, role, team_ids, employee_id, substr(password_hash, 1, 9) FROM users"
        ).fetchall()
        trail = connection.execute(
            "SELECT actor_user_id, actor_label, action, entity, after FROM audit_log"
        ).fetchall()
    assert rows == [
        ("lead@example.com", "MANAGER", "[1, 2]", None, "$argon2id"),
        ("ana@example.com", "EMPLOYEE", "[]", 1, "$argon2id"),
    ]
    assert [t[:4] for t in trail] == [(None, "command line", "create", "users")] * 2
    assert "argon2" not in str(trail)


def test_create_user_takes_no_password_on_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "users.db"

    given = create_user(
        "--email", "boss@example.com", "--role", "ADMIN", "--password", "lamp stapler orbit",
        typed="", database=database, cwd=tmp_path,
    )  # fmt: skip

    assert given.returncode == 2
    assert "No such option: --password" in given.stderr
    assert not database.exists()
