"""Faults on the production topology (``bench/cluster``) under steady checked traffic through
nginx: a web process killed, the replica stopped, replication lagging, the primary restarted,
Connecteam down for an hour, Redis partitioned. One cluster for the module; each test leaves it
as it found it (every process up, Redis answering, Connecteam up, replication running, nginx's
view of its upstream fresh)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bench.cluster import connecteam, faults, nginx, pids, replication, topology
from bench.cluster.rolling import nginx_of
from bench.cluster.topology import State
from bench.cluster.traffic import Answer, Traffic
from bench.faults.load import INGEST, USERS, sign_in
from bench.faults.processes import MariaDB
from tests import helpers_cluster
from tests import helpers_cluster_clients as clients

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
    state = topology.start(
        tmp_path_factory.mktemp("cluster"), log=lambda _: None,
        # 03:00 company time: nobody has clocked in yet (the demo's shifts start at 05:00)
        timezone=helpers_cluster.zone_where_it_is(3),
    )  # fmt: skip
    try:
        yield state
    finally:
        topology.stop(state)


@pytest.fixture
def healthy(cluster: State) -> Iterator[State]:
    """The cluster as a test may expect it, and again after it: replication running and
    caught up, nginx's workers with no failure counted against a web process."""
    yield cluster
    faults.thaw_redis(cluster)
    cluster.connecteam.up()
    for name in faults.SERVERS:
        if not pids.alive(cluster.member(name).pid):
            faults.start_server(cluster, name)
    faults.release_replication(cluster)
    replica, primary = (faults.server(cluster, n) for n in ("mariadb-replica", "mariadb-primary"))
    replication.caught_up(replica, primary, 60)
    nginx_of(cluster).reload()


@pytest.fixture
def admin(cluster: State) -> Iterator[helpers_cluster.Admin]:
    signed_in = helpers_cluster.Admin(cluster)
    yield signed_in
    signed_in.close()


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


def test_a_web_process_killed_loses_at_most_what_it_had_in_flight(healthy: State) -> None:
    """SIGKILL to one web process: the requests it had taken are lost (502: nginx sends no
    POST twice), at most one per client; GETs nginx sends to the other; from a second on,
    every request is answered; started again, it gets its share once more."""
    cluster = healthy
    web, other = cluster.named("web:")
    token = sign_in(cluster.url, USERS[0])
    traffic = Traffic(cluster.url, cluster.api_key, "killed").start()
    gets = clients.Gets(cluster.url, token).start()
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


def test_replication_lagging_a_client_reads_its_own_writes(healthy: State) -> None:
    """The replica's SQL thread held past the 5 s bound: a client reads back each write it
    made (its cookie sends it to the primary), /readyz says degraded, then ok once the
    replica catches up."""
    cluster = healthy
    traffic = Traffic(cluster.url, cluster.api_key, "lagging").start()
    writer = clients.Writer(cluster, "lagging-team").start()
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


def _unclocked(state: State, count: int) -> list[tuple[int, str, str]]:
    """``count`` active employees of the teams on company time, mapped to Connecteam users,
    with no clock record today: id, code, their team's zone (last by name: Traffic scans the
    first ten)."""
    zone = topology.zone(state)
    found = helpers_cluster.rows(
        state,
        "SELECT e.id, e.code, t.timezone FROM employees e JOIN teams t ON t.id = e.team_id"
        f" WHERE e.active AND e.connecteam_user_id IS NOT NULL AND t.timezone = '{zone}'"
        " AND NOT EXISTS (SELECT 1 FROM clock_records r WHERE r.employee_id = e.id AND"
        f" r.work_date = '{datetime.now(ZoneInfo(zone)).date()}')"
        f" ORDER BY e.name DESC, e.id LIMIT {count}",
    )
    assert len(found) == count, found
    return [(int(i), code, zone) for i, code, zone in found]


def _the_hour(zone: str) -> datetime:
    """The start of an hour of today in ``zone``: the last whole one that ended at least half
    an hour ago, or today's first one just after midnight."""
    now = datetime.now(ZoneInfo(zone))
    start = (now - timedelta(minutes=90)).replace(minute=0, second=0, microsecond=0)
    return max(start, now.replace(hour=0, minute=0, second=0, microsecond=0))


# Each employee's shift within the hour, and its break (minutes from the hour's start).
HOUR_SHIFTS = ((5, 55, 25, 35), (0, 45, 15, 27), (10, 50, 30, 38))


def _records(state: State, shift_ids: list[str]) -> list[list[str]]:
    """The clock records of these shifts: shift id, employee, in, out, breaks."""
    ids = ", ".join(f"'{i}'" for i in shift_ids)
    return helpers_cluster.rows(
        state,
        "SELECT r.external_id, r.employee_id, r.clock_in, r.clock_out, COUNT(b.id),"
        " SUM(TIMESTAMPDIFF(MINUTE, b.start, b.end)) FROM clock_records r LEFT JOIN"
        f" clock_breaks b ON b.clock_record_id = r.id WHERE r.external_id IN ({ids})"
        " GROUP BY r.id ORDER BY r.external_id",
    )


def test_connecteam_down_for_an_hour_then_back(
    healthy: State, admin: helpers_cluster.Admin
) -> None:
    """Connecteam down (its fake answers 503) while an hour's clock records are added to it:
    for three mapped employees with no other record today, a shift that starts and ends
    within the hour, each with a break. An hour of 5-minute ticks is represented by those
    shifts' times spanning the hour and by the syncs attempted meanwhile (one asked for with
    triggerSync, failed, retried by the queue and failed again), not by waiting an hour. They
    fail cleanly: the run FAILED, nothing of the hour written, no request through nginx
    failing. Back up, the next sync catches up: every shift is a clock record once, the day's
    scores count its minutes; one more sync changes nothing."""
    cluster, control = healthy, healthy.connecteam
    mapped = admin.trigger("USERS")  # the scheduler's daily run may not have come yet
    admin.run("USERS", mapped, lambda r: r["status"] == "SUCCEEDED")
    chosen = _unclocked(cluster, len(HOUR_SHIFTS))
    expected, shift_ids = {}, []
    traffic = Traffic(cluster.url, cluster.api_key, "connecteam-down").start()
    control.down()
    for (employee, code, zone), (start, end, pause, resume) in zip(
        chosen, HOUR_SHIFTS, strict=True
    ):
        hour = _the_hour(zone)
        at = [hour + timedelta(minutes=m) for m in (start, end, pause, resume)]
        shift_id = f"hour-{employee}-{int(hour.timestamp())}"
        shift_ids.append(shift_id)
        control.add(
            connecteam.user_id(employee),
            [connecteam.span(shift_id, at[0], at[1], zone)],
            [connecteam.span(f"{shift_id}-break", at[2], at[3], zone) | {"manualBreakId": "lunch"}],
        )
        expected[code] = (hour.date().isoformat(), float(end - start), float(resume - pause))
    tick = admin.trigger("TIME_CLOCK")
    failed = admin.run("TIME_CLOCK", tick, lambda r: r["status"] == "FAILED" and r["attempts"] >= 2)
    written_meanwhile = _records(cluster, shift_ids)
    refused = control.state()["refused"]
    control.up()
    caught_up = admin.run(
        "TIME_CLOCK", admin.trigger("TIME_CLOCK"), lambda r: r["status"] == "SUCCEEDED"
    )
    records = _records(cluster, shift_ids)
    scores = {code: helpers_cluster.until(partial(_minutes, admin, code, day, want), 60, code)
              for code, (day, *want) in expected.items()}  # fmt: skip
    again = admin.run(
        "TIME_CLOCK", admin.trigger("TIME_CLOCK"), lambda r: r["status"] == "SUCCEEDED"
    )
    answers = traffic.stop()

    print(
        f"{len(answers)} requests; {refused} Connecteam requests refused; failed run "
        f"{failed['attempts']} attempts: {failed['error']}; caught up: {caught_up['counts']}"
    )
    assert _failures(answers) == []
    assert written_meanwhile == []
    assert "503" in failed["error"]
    assert refused >= 2 * 5  # two attempts, each of five calls
    assert [(r[0], r[1], r[4], r[5]) for r in records] == sorted(
        (shift_id, str(employee), "1", str(resume - pause))
        for shift_id, (employee, _, _), (_, _, pause, resume)
        in zip(shift_ids, chosen, HOUR_SHIFTS, strict=True)
    )  # fmt: skip
    assert scores == {code: [clocked, breaks] for code, (_, clocked, breaks) in expected.items()}
    assert {k: again["counts"][k] for k in ("created", "updated", "deleted", "refreshed")} == {
        "created": 0, "updated": 0, "deleted": 0, "refreshed": []}  # fmt: skip
    assert _records(cluster, shift_ids) == records


def _minutes(admin: helpers_cluster.Admin, code: str, day: str, want: list[float]) -> Any:
    """The employee's clocked and break minutes on ``day`` once they are ``want``."""
    score = admin.score(code, day)
    found = [score["clockedMinutes"], score["breakMinutes"]] if score else None
    return found if found == want else None


def test_redis_partitioned_reads_and_scans_go_on(
    healthy: State, admin: helpers_cluster.Admin
) -> None:
    """Redis frozen for some seconds under traffic (``faults.freeze_redis``: connections
    accepted and never answered, as across a partition): every request through nginx is
    answered (reads from the database), scans are stored, /readyz says degraded and the
    refresh a scan asks for is owed. After the heal the owed refreshes are sent and run: a
    scan stored during the partition is in its employee's score and on the leaderboard read
    through nginx; both workers are alive."""
    cluster = healthy
    [(code, zone, role)] = helpers_cluster.rows(
        cluster,
        "SELECT e.code, t.timezone, r.key FROM employees e JOIN teams t ON t.id = e.team_id"
        " JOIN roles r ON r.id = e.default_role_id WHERE e.active AND NOT e.leaderboard_opt_out"
        f" AND t.timezone = '{topology.zone(cluster)}' ORDER BY e.name DESC, e.id LIMIT 1",
    )
    day = datetime.now(ZoneInfo(zone)).date().isoformat()
    before = (admin.score(code, day) or {}).get("itemsProcessed", 0)
    traffic = Traffic(cluster.url, cluster.api_key, "partitioned").start()
    gets = clients.Gets(cluster.url, sign_in(cluster.url, USERS[0])).start()
    time.sleep(1)
    faults.freeze_redis(cluster)
    degraded = _wait_status(cluster, "degraded")
    end = datetime.now(UTC) - timedelta(seconds=20)
    scan = {"employeeCode": code, "roleKey": role, "itemsCount": 37,
            "windowStart": (end - timedelta(seconds=30)).isoformat(),
            "windowEnd": end.isoformat(), "externalRef": f"partitioned-{time.time_ns()}"}  # fmt: skip
    stored = httpx.post(f"{cluster.url}/graphql", timeout=20, json={"query": INGEST,
                        "variables": {"items": [scan]}},
                        headers={"Authorization": f"Bearer {cluster.api_key}"}).json()  # fmt: skip
    owed = sum(helpers_cluster.metric(cluster, w.name, OWED) for w in cluster.named("web:"))
    time.sleep(2)
    faults.thaw_redis(cluster)
    healed = _wait_status(cluster, "ok", 30)
    # a refresh runs up to DEBOUNCE_SECONDS (30 s) after the write that asked for it
    after = helpers_cluster.until(
        lambda: (admin.score(code, day) or {}).get("itemsProcessed") == before + 37, 60, code
    )
    board = admin.leaderboard_items(day)
    still_owed = sum(helpers_cluster.metric(cluster, w.name, OWED) for w in cluster.named("web:"))
    alive = helpers_cluster.metric(cluster, cluster.named("web:")[0].name, "prodhub_workers_alive")
    answers, got = traffic.stop(), gets.stop()

    print(f"{len(answers)} requests and {len(got)} GETs; degraded after {degraded:.1f} s, ok "
          f"{healed:.1f} s after the heal; {owed:g} refreshes owed meanwhile")  # fmt: skip
    assert _failures(answers) == []
    assert _failures(got) == []
    assert stored["data"]["recordActivities"] == {"accepted": 1, "duplicates": 0, "errors": []}
    assert owed >= 1
    assert after is True
    assert board[code] == before + 37
    assert still_owed == 0
    assert alive == 2


OWED = "prodhub_queue_refreshes_owed"
