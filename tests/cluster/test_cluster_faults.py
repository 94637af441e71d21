"""Faults on the production topology (``bench/cluster``) under steady checked traffic through
nginx: a web process killed, the replica stopped, replication lagging, the primary restarted.
One cluster for the module; each test leaves it as it found it (every process up, replication
running, nginx's view of its upstream fresh)."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.cluster import faults, nginx, pids, replication, topology
from bench.cluster.rolling import nginx_of
from bench.cluster.topology import State
from bench.cluster.traffic import Answer, Traffic
from bench.faults.load import USERS, sign_in
from bench.faults.processes import MariaDB

pytestmark = pytest.mark.skipif(
    not (MariaDB.available() and nginx.available())
    and os.environ.get("PRODHUB_TEST_REQUIRE_MARIADB") != "1",
    reason="needs MariaDB's binaries and nginx (scripts/test installs them)",
)

CLIENTS = 4  # Traffic's threads that POST: each has at most one request in flight


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[State]:
    if not (MariaDB.available() and nginx.available()):
        pytest.fail("PRODHUB_TEST_REQUIRE_MARIADB=1 but MariaDB or nginx is not here")
    state = topology.start(tmp_path_factory.mktemp("cluster"), log=lambda _: None)
    try:
        yield state
    finally:
        topology.stop(state)


@pytest.fixture
def healthy(cluster: State) -> Iterator[State]:
    """The cluster as a test may expect it, and again after it: replication running and
    caught up, nginx's workers with no failure counted against a web process."""
    yield cluster
    for name in faults.SERVERS:
        if not pids.alive(cluster.member(name).pid):
            faults.start_server(cluster, name)
    faults.release_replication(cluster)
    replica, primary = (faults.server(cluster, n) for n in ("mariadb-replica", "mariadb-primary"))
    replication.caught_up(replica, primary, 60)
    nginx_of(cluster).reload()


def _failures(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if not a.ok]


def _readyz(state: State) -> dict[str, Any]:
    """/readyz of each web process (not through nginx: both must say it)."""
    return {
        m.name: httpx.get(f"http://127.0.0.1:{m.port}/readyz", timeout=10).json()
        for m in state.named("web:")
    }


def _wait_status(state: State, status: str, seconds: float = 15) -> float:
    """Until every web process's /readyz says ``status`` (with HTTP 200); how long it took."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        answers = [
            httpx.get(f"http://127.0.0.1:{m.port}/readyz", timeout=10) for m in state.named("web:")
        ]
        if all(a.status_code == 200 and a.json()["status"] == status for a in answers):
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"/readyz is not {status} within {seconds} s: {_readyz(state)}")


class Gets:
    """A client sending GETs (idempotent: nginx may send one to the other process) in turn."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Gets:
        self._thread.start()
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        self._thread.join(30)
        return self.answers

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Apollo-Require-Preflight": "1"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=20) as http:
            while not self._stop.is_set():
                start = time.monotonic()
                try:
                    response = http.get("/graphql?query={viewer{role}}")
                    ok = response.status_code == 200 and "errors" not in response.json()
                    outcome = "ok" if ok else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                self.answers.append(Answer("get", start, time.monotonic() - start, outcome))
                self._stop.wait(0.05)


def test_a_web_process_killed_loses_at_most_what_it_had_in_flight(healthy: State) -> None:
    """SIGKILL to one web process: the requests it had taken are lost (502: nginx sends no
    POST twice), at most one per client; GETs nginx sends to the other; from a second on,
    every request is answered; started again, it gets its share once more."""
    cluster = healthy
    web, other = cluster.named("web:")
    token = sign_in(cluster.url, USERS[0])
    traffic = Traffic(cluster.url, cluster.api_key, "killed").start()
    gets = Gets(cluster.url, token).start()
    time.sleep(1)
    killed = time.monotonic()
    faults.kill_web(web)
    time.sleep(1)
    alone_since = _log_size(cluster)
    time.sleep(1)
    alone = _upstreams(cluster, alone_since)
    faults.restart_web(cluster, web)
    time.sleep(5.5)  # nginx's fail_timeout: it tries the process again after it
    since = _log_size(cluster)
    time.sleep(2)
    answers = traffic.stop()
    got = gets.stop()

    failures = _failures(answers)
    print(
        f"{len(answers)} POSTs, {len(got)} GETs; failed: {[a.outcome[:8] for a in failures]};"
        f" answered by the other alone: {alone}"
    )
    assert len(failures) <= CLIENTS
    assert {a.outcome.partition(":")[0] for a in failures} <= {"HTTP 502"}
    assert [a for a in failures if a.start > killed + 1] == []
    assert _failures(got) == []
    assert set(alone) == {f"127.0.0.1:{other.port}"}
    assert set(_upstreams(cluster, since)) == {f"127.0.0.1:{m.port}" for m in (web, other)}


def test_the_replica_stopped_reads_go_to_the_primary(healthy: State) -> None:
    """The replica's server stopped: no request fails (a read it could not answer runs again
    on the primary, and the next poll takes it out), /readyz says degraded (still 200);
    started again, the replica is read again."""
    cluster = healthy
    traffic = Traffic(cluster.url, cluster.api_key, "no-replica").start()
    time.sleep(1)
    before = faults.com_select(cluster, "mariadb-replica")
    time.sleep(2)
    read = faults.com_select(cluster, "mariadb-replica") - before
    faults.stop_server(cluster, "mariadb-replica")
    degraded = _wait_status(cluster, "degraded")
    readyz = _readyz(cluster)
    time.sleep(2)
    faults.start_server(cluster, "mariadb-replica")
    back = _wait_status(cluster, "ok")
    again = faults.com_select(cluster, "mariadb-replica")
    time.sleep(2)
    read_again = faults.com_select(cluster, "mariadb-replica") - again
    answers = traffic.stop()

    print(
        f"{len(answers)} requests; replica SELECTs in 2 s before {read}, after {read_again};"
        f" degraded after {degraded:.1f} s, ok {back:.1f} s after its start"
    )
    assert _failures(answers) == []
    for each in readyz.values():
        assert each["status"] == "degraded"
        assert each["ready"] is True
        assert [r["up"] for r in each["checks"]["replicas"]["replicas"].values()] == [False]
    # the polls alone are 2 SELECTs a second (one per web process)
    assert read > 40
    assert read_again > 40


def _upstreams(state: State, since: int = 0) -> dict[str, int]:
    """The requests nginx's access log shows per web process, from byte ``since`` on."""
    counts: dict[str, int] = {}
    for address in re.findall(r" upstream=(\S+)", _log_path(state).read_text()[since:]):
        counts[address] = counts.get(address, 0) + 1
    return counts


def _log_path(state: State) -> Path:
    return state.directory / "nginx" / "logs" / "prodhub.access.log"


def _log_size(state: State) -> int:
    return _log_path(state).stat().st_size


UPSERT_TEAM = """mutation($key: String!, $name: String!) {
  upsertTeam(input: {key: $key, name: $name}) { team { name } errors { message } } }"""
TEAMS = "{ teams { key name } }"


class Writer:
    """A client renaming a team and reading the teams back at once, its cookie kept (what it
    wrote is what it must read); beside it a reader with no cookie, whose answers may be
    stale while the replica lags within the bound."""

    def __init__(self, state: State, key: str) -> None:
        self.state, self.key = state, key
        self.written = self.read_back = self.stale = self.others_stale = 0
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Writer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        auth = {"Authorization": f"Bearer {sign_in(self.state.url, USERS[0])}"}
        other = {"Authorization": f"Bearer {sign_in(self.state.url, USERS[0])}"}
        with (
            httpx.Client(base_url=self.state.url, headers=auth, timeout=20) as http,
            httpx.Client(base_url=self.state.url, headers=other, timeout=20) as reader,
        ):
            n = 0
            while not self._stop.is_set():
                name = f"lagging {n}"
                try:
                    done = http.post("/graphql", json={"query": UPSERT_TEAM,
                                     "variables": {"key": self.key, "name": name}}).json()  # fmt: skip
                    if done["data"]["upsertTeam"]["team"]["name"] != name:
                        self.failed.append(f"write {n}: {done}")
                        continue
                    self.written += 1
                    if self._name(http) == name:
                        self.read_back += 1
                    else:
                        self.stale += 1
                    self.others_stale += self._name(reader) != name
                except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                    self.failed.append(f"{n}: {exc!r}")
                finally:
                    n += 1
                self._stop.wait(0.1)

    def _name(self, http: httpx.Client) -> str:
        teams = http.post("/graphql", json={"query": TEAMS}).json()["data"]["teams"]
        return str(next(t["name"] for t in teams if t["key"] == self.key))


def test_replication_lagging_a_client_reads_its_own_writes(healthy: State) -> None:
    """The replica's SQL thread held past the 5 s bound: a client reads back each write it
    made (its cookie sends it to the primary), /readyz says degraded, then ok once the
    replica catches up."""
    cluster = healthy
    traffic = Traffic(cluster.url, cluster.api_key, "lagging").start()
    writer = Writer(cluster, "lagging-team").start()
    time.sleep(1)
    faults.hold_replication(cluster)
    degraded = _wait_status(cluster, "degraded")
    readyz = _readyz(cluster)
    time.sleep(1)
    faults.release_replication(cluster)
    back = _wait_status(cluster, "ok")
    time.sleep(1)
    writer.stop()
    answers = traffic.stop()

    print(f"{len(answers)} requests; {writer.written} writes, {writer.read_back} read back, "
          f"{writer.others_stale} stale to another client; degraded after {degraded:.1f} s, "
          f"ok {back:.1f} s after the release")  # fmt: skip
    assert _failures(answers) == []
    assert writer.failed == []
    assert writer.written > 20
    assert (writer.read_back, writer.stale) == (writer.written, 0)
    for each in readyz.values():
        assert each["status"] == "degraded"
        [replica] = each["checks"]["replicas"]["replicas"].values()
        assert replica["up"] is True
        assert replica["read"] is False
        assert replica["lag_seconds"] > 5


def test_the_primary_restarted_requests_fail_typed_and_recover(healthy: State) -> None:
    """The primary's server stopped for a few seconds and started again: what fails meanwhile
    fails as SERVICE_UNAVAILABLE (nginx answers no 502 or 504), everything succeeds again
    within seconds of its start, and the replica replicates again."""
    cluster = healthy
    traffic = Traffic(cluster.url, cluster.api_key, "restarted").start()
    time.sleep(1)
    stopping = time.monotonic()
    faults.stop_server(cluster, "mariadb-primary")
    time.sleep(3)
    faults.start_server(cluster, "mariadb-primary")
    started = time.monotonic()
    _wait_status(cluster, "ok", 30)
    time.sleep(4)
    answers = traffic.stop()
    threads = faults.slave_threads(cluster)

    failures = _failures(answers)
    outcomes: dict[str, int] = {}
    for a in failures:
        outcomes[f"{a.kind} {a.outcome}"] = outcomes.get(f"{a.kind} {a.outcome}", 0) + 1
    late = max((a.start - started for a in failures), default=0.0)
    print(f"{len(answers)} requests, {len(failures)} failed: {outcomes}; last failure "
          f"{late:.1f} s after the start; down {started - stopping:.1f} s")  # fmt: skip
    assert failures != []
    assert all("SERVICE_UNAVAILABLE" in a.outcome for a in failures), outcomes
    assert [a for a in failures if a.start > started + 3] == []
    assert {a.kind for a in answers if a.start > started + 3} == {"dashboard", "sign-in", "ingest"}
    assert threads == {"Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes"}
