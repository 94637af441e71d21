"""``deploy/`` says what the code does: nginx's limits and timeouts are the app's, the units
run commands that exist with the limits the README gives, and the environment file names
settings that exist (its placeholder secret is refused)."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import uvicorn
from pydantic import ValidationError
from typer.core import TyperGroup

from bench.faults.processes import ROOT
from core.settings import Settings
from prodhub.cli import app
from prodhub.graphql_app import EXECUTION_TIMEOUT_SECONDS
from prodhub.http_guard import BODY_IDLE_SECONDS, MAX_DEVICE_BODY_BYTES

DEPLOY = ROOT / "deploy"
SITE = (DEPLOY / "nginx" / "prodhub.conf").read_text()
SERVICES = sorted((DEPLOY / "systemd").glob("*.service"))
LONG_RUNNING = ("prodhub-web@.service", "prodhub-worker@.service", "prodhub-scheduler@.service")


def directive(name: str, text: str = SITE) -> list[str]:
    """The values of every ``name`` directive in ``text`` (comments left out)."""
    lines = [line.split("#")[0] for line in text.splitlines()]
    return re.findall(rf"^\s*{name}\s+([^;]+);", "\n".join(lines), re.MULTILINE)


def seconds(value: str) -> float:
    return float(value.removesuffix("s"))


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_nginx_takes_the_bodies_the_app_takes() -> None:
    (size,) = directive("client_max_body_size")
    assert int(size.removesuffix("m")) << 20 == MAX_DEVICE_BODY_BYTES


def test_nginx_waits_for_clients_as_the_app_does() -> None:
    assert [seconds(v) for v in directive("client_body_timeout")] == [BODY_IDLE_SECONDS]
    assert [seconds(v) for v in directive("client_header_timeout")] == [BODY_IDLE_SECONDS]


def test_nginx_waits_for_the_app_past_its_budget_and_not_much_longer() -> None:
    """15 s for a request; on /graphql, whose websockets are idle between the server's pings,
    past two pings (a plain request there is still answered within the app's budget)."""
    read, websockets = [seconds(v) for v in directive("proxy_read_timeout")]
    assert EXECUTION_TIMEOUT_SECONDS + 1 <= read <= EXECUTION_TIMEOUT_SECONDS + 10
    (graphql,) = re.findall(r"location = /graphql \{(.*?)\}", SITE, re.DOTALL)
    assert directive("proxy_read_timeout", graphql) == ["60s"]
    assert websockets == 60 > 2 * Settings.model_fields["subscription_ping_seconds"].default


def test_nginx_lets_idle_connections_go_before_uvicorn_does() -> None:
    (upstream,) = re.findall(r"upstream prodhub_web \{(.*?)\n\}", SITE, re.DOTALL)
    (idle,) = [seconds(v) for v in directive("keepalive_timeout", upstream)]
    assert idle < uvicorn.Config(app="prodhub.app:create_app").timeout_keep_alive
    assert directive("proxy_http_version") == ["1.1"]
    # "" (keep-alive to the app) unless the client asks for a websocket
    (upgrade,) = re.findall(r"map \$http_upgrade \$prodhub_connection \{(.*?)\}", SITE, re.DOTALL)
    assert [line.strip() for line in upgrade.strip().splitlines()] == [
        'default "";', "websocket upgrade;",
    ]  # fmt: skip
    assert directive("proxy_set_header") == [
        "Connection $prodhub_connection", "Upgrade $http_upgrade", "Host $host", "X-Forwarded-For $proxy_add_x_forwarded_for",
        "X-Forwarded-Proto $scheme", "X-Request-ID $prodhub_request_id",
    ]  # fmt: skip


def test_nginx_never_sends_a_post_twice_and_keeps_metrics_in() -> None:
    assert directive("proxy_next_upstream") == ["error timeout"]
    assert re.search(r"location \^~ /metrics \{\s*deny all;\s*\}", SITE)
    assert directive("gzip") == ["off"]


def test_the_environment_file_names_settings_that_exist_and_refuses_its_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = (DEPLOY / "prodhub.env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    fields = {f"PRODHUB_{name.upper()}" for name in Settings.model_fields}
    assert set(values) - fields == set()
    assert values["PRODHUB_TRUSTED_PROXIES"] == "127.0.0.1"
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="PRODHUB_SECRET_KEY needs at least 32 bytes"):
        Settings()
    monkeypatch.setenv("PRODHUB_SECRET_KEY", "x" * 48)
    settings = Settings()
    assert (settings.is_production, settings.trusted_proxies) == (True, ["127.0.0.1"])


def test_every_unit_runs_a_prodhub_command_that_exists() -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    for path in SERVICES:
        argv = shlex.split(unit(path)["Service"]["ExecStart"].replace("%i", "8001"))
        assert argv[0] == "/opt/prodhub/.venv/bin/prodhub", path.name
        sub = command.commands[argv[1]]
        sub.make_context(argv[1], argv[2:])  # the options parse


def test_every_unit_is_hardened_and_runs_as_prodhub() -> None:
    for path in SERVICES:
        service = dict(unit(path)["Service"])
        assert {k: service.get(k) for k in ("User", "NoNewPrivileges", "ProtectSystem",
                "PrivateTmp", "EnvironmentFile")} == {"User": "prodhub", "NoNewPrivileges": "yes",
                "ProtectSystem": "strict", "PrivateTmp": "yes",
                "EnvironmentFile": "/etc/prodhub/prodhub.env"}, path.name  # fmt: skip


def test_web_and_workers_start_after_the_migration_and_everything_restarts() -> None:
    migrate = unit(DEPLOY / "systemd" / "prodhub-migrate.service")
    assert migrate["Service"]["Type"] == "oneshot"
    assert "RemainAfterExit" not in migrate["Service"]
    for name in ("prodhub-web@.service", "prodhub-worker@.service"):
        section = unit(DEPLOY / "systemd" / name)["Unit"]
        assert section["Requires"] == "prodhub-migrate.service"
        assert "prodhub-migrate.service" in section["After"].split()
    for name in LONG_RUNNING:
        service = unit(DEPLOY / "systemd" / name)["Service"]
        assert (service["Restart"], service["RestartPreventExitStatus"]) == ("always", "2")


def test_a_worker_gets_the_memory_the_readme_gives_it() -> None:
    worker = unit(DEPLOY / "systemd" / "prodhub-worker@.service")["Service"]
    assert (worker["MemoryMax"], worker["ExecStart"].split()[-2:]) == ("256M", ["--threads", "4"])
    readme = (ROOT / "README.md").read_text()
    assert "Give a worker 256 MB at `--threads 4`" in readme


def test_a_web_process_gets_the_memory_the_readme_gives_it() -> None:
    web = unit(DEPLOY / "systemd" / "prodhub-web@.service")["Service"]
    assert (web["MemoryMax"], web["MemorySwapMax"]) == ("512M", "0")
    readme = (ROOT / "README.md").read_text()
    assert "Give a web process 512 MB" in readme


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_finds_nothing_to_say_about_the_units(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on the units (an instance of each template), their paths
    moved to ones that exist here: an unknown key or a bad value is reported."""
    prodhub = Path(sys.executable).parent / "prodhub"
    for path in [*SERVICES, DEPLOY / "systemd" / "prodhub.target"]:
        text = path.read_text().replace("/opt/prodhub/.venv/bin/prodhub", str(prodhub))
        text = text.replace("/etc/prodhub/prodhub.env", str(DEPLOY / "prodhub.env.example"))
        text = text.replace("WorkingDirectory=/opt/prodhub", f"WorkingDirectory={tmp_path}")
        (tmp_path / path.name.replace("@.", "@1.")).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *units],
                          capture_output=True, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout + done.stderr) == (0, b"")
