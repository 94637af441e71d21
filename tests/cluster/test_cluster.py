"""The production topology of ``scripts/cluster`` (``bench/cluster``): nginx from
``deploy/nginx/prodhub.conf`` in front of two ``prodhub serve``, two workers, two schedulers,
a MariaDB primary with a GTID replica, and Redis, migrated, with the demo data.

Traffic through nginx is answered correctly; what it writes reaches the replica; nginx keeps
``/metrics`` to itself and passes a request id on; and a rolling restart of both web
processes under a steady load loses no request (where restarting them without taking each
out of nginx's upstream first loses some)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pymysql
import pytest
import websockets

from bench.cluster import nginx, pids, replication, topology
from bench.cluster.rolling import nginx_of, replace, restart_webs
from bench.cluster.topology import State, wait_ready
from bench.cluster.traffic import EMPLOYEES, Answer, Traffic
from bench.faults.load import INGEST, USERS, sign_in
from bench.faults.processes import MariaDB
from prodhub.http_guard import MAX_DEVICE_BODY_BYTES
from tests.helpers_live import PROTOCOL

BOARD = (
    "subscription($first: Int!) { leaderboardUpdated(first: $first) { edges { node { rank } } } }"
)

pytestmark = pytest.mark.skipif(
    not (MariaDB.available() and nginx.available())
    and os.environ.get("PRODHUB_TEST_REQUIRE_MARIADB") != "1",
    reason="needs MariaDB's binaries and nginx (scripts/test installs them)",
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[State]:
    if not (MariaDB.available() and nginx.available()):
        pytest.fail("PRODHUB_TEST_REQUIRE_MARIADB=1 but MariaDB or nginx is not here")
    directory = tmp_path_factory.mktemp("cluster")
    state = topology.start(directory, log=lambda _: None)
    try:
        yield state
    finally:
        topology.stop(state)


def _failures(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if not a.ok]


def _upstreams(state: State, since: int = 0) -> dict[str, int]:
    """The requests nginx's access log shows per web process, from byte ``since`` on."""
    log = state.directory / "nginx" / "logs" / "prodhub.access.log"
    counts: dict[str, int] = {}
    for address in re.findall(r" upstream=(\S+)", log.read_text()[since:]):
        counts[address] = counts.get(address, 0) + 1
    return counts


def _log_size(state: State) -> int:
    return (state.directory / "nginx" / "logs" / "prodhub.access.log").stat().st_size


def _stored(state: State, server: str, prefix: str) -> int:
    connection = pymysql.connect(
        host="127.0.0.1", port=state.member(server).port, user="prodhub", password="prodhub",
        database="prodhub",
    )  # fmt: skip
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(DISTINCT external_ref) FROM activities WHERE external_ref LIKE %s",
                (f"{prefix}-%",),
            )
            (count,) = cursor.fetchone()
            return int(count)
    finally:
        connection.close()


def test_traffic_through_nginx_is_answered_correctly_by_both_web_processes(
    cluster: State,
) -> None:
    since = _log_size(cluster)
    traffic = Traffic(cluster.url, cluster.api_key, "steady").start()
    time.sleep(3)
    answers = traffic.stop()

    assert _failures(answers) == []
    assert {a.kind for a in answers} == {"dashboard", "sign-in", "ingest"}
    webs = {f"127.0.0.1:{m.port}" for m in cluster.named("web:")}
    assert set(_upstreams(cluster, since)) == webs


def test_a_write_through_nginx_reaches_the_replica(cluster: State) -> None:
    traffic = Traffic(cluster.url, cluster.api_key, "replicated").start()
    time.sleep(1)
    traffic.stop()
    primary = replication.Server(cluster.directory / "primary")
    replica = replication.Server(cluster.directory / "replica")
    replication.caught_up(replica, primary)

    written = len(traffic.stored)
    assert written > 0
    assert _stored(cluster, "mariadb-primary", "replicated") == written
    assert _stored(cluster, "mariadb-replica", "replicated") == written
    assert replication.status(replica)["running"] is True


def test_nginx_keeps_metrics_in_and_passes_a_request_id_on(cluster: State) -> None:
    with httpx.Client(base_url=cluster.url, timeout=10) as http:
        assert [http.get(f"{cluster.url}{path}").status_code for path in
                ("/metrics", "//metrics", "/%6detrics", "/metrics?x=1")] == [403] * 4  # fmt: skip
        assert http.get("/readyz").json()["status"] == "ok"
        assert http.get("/healthz").status_code == 200
        http.get("/graphql?query={viewer{role}}", headers={"X-Request-ID": "req-4711"})
        http.get("/graphql?query={viewer{role}}", headers={"X-Request-ID": "bad id; drop"})
        too_big = http.post(
            "/graphql", content=b"x" * (MAX_DEVICE_BODY_BYTES + 1),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
    assert too_big.status_code == 413
    assert _device_batch(cluster, 300) == {"accepted": 300, "duplicates": 0, "errors": []}
    ids = re.findall(r'"GET /graphql\S* HTTP/1.1" \d+ \d+ .* id=(\S+)', _access_log(cluster))
    assert ids[-2] == "req-4711"
    assert re.fullmatch(r"[0-9a-f]{32}", ids[-1])


def _device_batch(state: State, size: int) -> dict[str, Any]:
    """A device's batch of ``size`` scans (over nginx's 16 KiB body buffer: nginx keeps the
    body in a file until the app has it), and how it was recorded."""
    token = sign_in(state.url, USERS[0])
    with httpx.Client(base_url=state.url, timeout=30) as http:
        answer = http.post("/graphql", json={"query": EMPLOYEES},
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        node = answer.json()["data"]["employees"]["edges"][0]["node"]
        end = datetime.now(UTC) - timedelta(minutes=1)
        items = [{"employeeCode": node["code"], "roleKey": node["defaultRole"]["key"],
                  "itemsCount": 1, "windowStart": (end - timedelta(seconds=20)).isoformat(),
                  "windowEnd": end.isoformat(), "externalRef": f"big-{n}"}
                 for n in range(size)]  # fmt: skip
        recorded = http.post("/graphql", json={"query": INGEST, "variables": {"items": items}},
                             headers={"Authorization": f"Bearer {state.api_key}"})  # fmt: skip
    assert len(recorded.request.content) > 16 << 10
    result: dict[str, Any] = recorded.json()["data"]["recordActivities"]
    return result


def _access_log(state: State) -> str:
    return (state.directory / "nginx" / "logs" / "prodhub.access.log").read_text()


def test_a_restart_without_taking_the_process_out_first_loses_requests(cluster: State) -> None:
    """The control: the same load sees what a restart behind nginx can lose. A process
    stopped while in nginx's upstream closes the connections nginx keeps to it, and a POST
    sent on one is answered 502 (nginx sends no POST twice)."""
    traffic = Traffic(cluster.url, cluster.api_key, "naive").start()
    time.sleep(1)
    for web in cluster.named("web:"):
        pids.stop(web.pid, web.marker, seconds=60)
        replace(cluster, web)
        wait_ready(f"http://127.0.0.1:{web.port}", pid=web.pid)
    time.sleep(1)
    failures = _failures(traffic.stop())
    # nginx's workers count those failures against both processes (max_fails), which would
    # keep each out of the upstream for a while (fail_timeout): new workers start afresh.
    nginx_of(cluster).reload()

    assert failures != []
    assert {a.outcome.partition(":")[0] for a in failures} == {"HTTP 502"}


def test_a_rolling_restart_under_load_loses_no_request(cluster: State) -> None:
    before = {m.name: m.pid for m in cluster.named("web:")}
    traffic = Traffic(cluster.url, cluster.api_key, "rolling").start()
    time.sleep(1)
    restarting = time.monotonic()
    restart_webs(cluster, log=lambda _: None)
    restarted = time.monotonic()
    since = _log_size(cluster)
    time.sleep(2)
    answers = traffic.stop()

    assert _failures(answers) == []
    during = [a for a in answers if restarting <= a.start <= restarted]
    assert {a.kind for a in during} == {"dashboard", "sign-in", "ingest"}
    after = {m.name: m.pid for m in cluster.named("web:")}
    assert set(after) == set(before)
    assert all(after[name] != before[name] for name in before)
    webs = {f"127.0.0.1:{m.port}" for m in cluster.named("web:")}
    assert set(_upstreams(cluster, since)) == webs
    assert _stored(cluster, "mariadb-primary", "rolling") == len(traffic.stored)
    assert Path(cluster.directory / topology.STATE).exists()


async def test_a_live_leaderboard_through_nginx_outlives_its_read_timeout(cluster: State) -> None:
    """nginx passes the websocket upgrade on, and an idle subscription stays up past nginx's
    15 s read timeout for plain requests (the server's pings come every 20 s)."""
    token = await asyncio.to_thread(sign_in, cluster.url, USERS[0])
    url = cluster.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))  # fmt: skip
        acked = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": BOARD, "variables": {"first": 3}}}))  # fmt: skip
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        pings = 0
        deadline = time.monotonic() + 25  # past nginx's 15 s and one server ping
        while (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                message = json.loads(await asyncio.wait_for(ws.recv(), left))
                if message["type"] == "ping":
                    pings += 1
                    await ws.send(json.dumps({"type": "pong"}))
        await ws.send(json.dumps({"type": "ping"}))
        pong = json.loads(await asyncio.wait_for(ws.recv(), 10))

    assert acked == {"type": "connection_ack"}
    assert (first["type"], first["id"]) == ("next", "1"), first
    assert len(first["payload"]["data"]["leaderboardUpdated"]["edges"]) == 3
    assert pings == 1
    assert pong == {"type": "pong"}
