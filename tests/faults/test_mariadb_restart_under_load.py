"""The production web server (``prodhub serve``, uvicorn on uvloop) under a small mixed load
(sign-ins, reads with a token, devices' scans with an API key) while its MariaDB restarts,
while every connection to it is reset and new ones refused, and while it is black-holed.

Throughout, every request is answered within the request's budget (no hang), and a request
that fails says why in a typed GraphQL error (SERVICE_UNAVAILABLE or TIMEOUT: never a 500, a
text body, INTERNAL_SERVER_ERROR or a refused token); within a few seconds of the heal every
request succeeds again, and every scan is stored exactly once (a device sends a batch again
until it is acknowledged). One MariaDB of the module's own, migrated, with an admin and an
API key made by the CLI; one server on it directly, one through a fault proxy."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pymysql
import pytest

from bench.faults.processes import ROOT, MariaDB, Web, serve
from bench.faults.proxy import ProxyThread
from prodhub.graphql_app import EXECUTION_TIMEOUT_SECONDS

pytestmark = pytest.mark.skipif(
    not MariaDB.available() and os.environ.get("PRODHUB_TEST_REQUIRE_MARIADB") != "1",
    reason="needs MariaDB's binaries (scripts/test installs them)",
)

# What each client asks, again and again: each kind is in flight whenever a fault begins.
CLIENTS = ("sign-in", "read", "ingest", "ingest")
MARGIN_SECONDS = 1.5  # past the budget: the answer's own work, on a busy two-core machine
BOUND_SECONDS = EXECUTION_TIMEOUT_SECONDS + MARGIN_SECONDS  # no request may take longer
RECOVERY_SECONDS = 5.0  # after the heal, failures stop within this
CALM_SECONDS = 1.0  # recovered: this long without a failure (and a request of each client)
GIVE_UP_SECONDS = 10.0  # after the heal, the load stops then whatever happened
EMAIL = "admin@example.com"
PASSWORD = "Tq8!vR2#pLm9$zXw-outage"
TEAM, ROLE, EMPLOYEE = "floor", "picker", "E00001"
OUTAGE_CODES = {"SERVICE_UNAVAILABLE", "TIMEOUT"}
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
READ = "{ teams { key } roles { key } }"
INGEST = (
    "mutation($items: [ActivityInput!]!) { recordActivities(input: $items) "
    "{ accepted duplicates errors { code } } }"
)


@dataclass
class Shape:
    database: MariaDB
    direct: Web  # serving on MariaDB itself
    proxied: Web  # serving on MariaDB through ``proxy``
    proxy: ProxyThread
    key: str  # a device's API key


def cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "prodhub", *args], cwd=ROOT, input=stdin.encode(),
        env={"PATH": os.environ.get("PATH", ""), **env}, capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    return done.stdout.decode()


@pytest.fixture(scope="module")
def shape(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shape]:
    if not MariaDB.available():
        pytest.fail("PRODHUB_TEST_REQUIRE_MARIADB=1 but MariaDB's binaries are not here")
    directory = tmp_path_factory.mktemp("mariadb")
    database = MariaDB(directory).install()
    proxy = ProxyThread("127.0.0.1", database.port)
    env = {
        "PRODHUB_DATABASE_URL": database.url(), "PRODHUB_ENV": "production",
        "PRODHUB_SECRET_KEY": "a-secret-of-at-least-32-bytes-for-the-fault-test",
        "PRODHUB_CACHE_TTL_SECONDS": "0",  # every read asks the database
    }  # fmt: skip
    cli(env, "migrate")
    cli(env, "create-admin", "--email", EMAIL, stdin=PASSWORD + "\n")
    key = cli(env, "create-api-key", "--name", "scanner", "--scope", "INGEST").split()[-1]
    webs: list[Web] = []
    try:
        webs.append(serve(env, directory))
        proxied_env = env | {"PRODHUB_DATABASE_URL": database.url(port=proxy.port)}
        webs.append(serve(proxied_env, directory))
        for web in webs:
            web.wait_ready()
        _add_the_floor(webs[0].url)
        yield Shape(database, webs[0], webs[1], proxy, key)
    finally:
        for web in webs:
            web.process.stop()
        proxy.stop()
        database.stop()


def _add_the_floor(url: str) -> None:
    """A team, a role and an employee for the scans, added by the admin."""
    with httpx.Client(base_url=url, timeout=30) as http:
        signed_in = http.post(
            "/graphql", json={"query": LOGIN, "variables": {"e": EMAIL, "p": PASSWORD}}
        )
        token = signed_in.json()["data"]["login"]["token"]
        for mutation in (
            f'upsertTeam(input: {{key: "{TEAM}", name: "Floor"}}) {{ errors {{ code }} }}',
            f'upsertRole(input: {{key: "{ROLE}", name: "Picker", pointsPerItem: 1, '
            f"expectedPerHour: 60}}) {{ errors {{ code }} }}",
            f'upsertEmployee(input: {{code: "{EMPLOYEE}", name: "Pat", teamKey: "{TEAM}", '
            f'defaultRoleKey: "{ROLE}"}}) {{ errors {{ code }} }}',
        ):
            answer = http.post(
                "/graphql", json={"query": f"mutation {{ {mutation} }}"},
                headers={"Authorization": f"Bearer {token}"},
            ).json()  # fmt: skip
            assert "errors" not in answer, answer
            assert [payload["errors"] for payload in answer["data"].values()] == [[]]


@dataclass
class Outcome:
    kind: str  # sign-in, read or ingest
    started: float
    ended: float
    verdict: str  # "ok", the errors' codes, or what else came back

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Load:
    """``CLIENTS`` asking one server: sign-ins, reads with a token, or a device's batches of
    two scans (each sent again until it is acknowledged)."""

    url: str
    key: str
    run: str  # what this load's scans' externalRefs begin with
    outcomes: list[Outcome] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)  # every scan sent
    accepted: int = 0
    duplicates: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    async def client(self, kind: str, *, batches: int | None = None) -> None:
        """Until ``stop`` (a device's last batch acknowledged), or ``batches`` acknowledged."""
        async with httpx.AsyncClient(base_url=self.url, timeout=BOUND_SECONDS + 5) as http:
            token = await self._token(http) if kind == "read" else ""
            batch: list[dict[str, Any]] = []
            while not self.stop.is_set() or batch:
                if kind == "ingest":
                    batch = batch or self._batch()
                    if await self._ask(http, kind, INGEST, self.key, items=batch) == "ok":
                        batch = []
                        batches = None if batches is None else batches - 1
                        if batches == 0:
                            return
                elif kind == "sign-in":
                    await self._ask(http, kind, LOGIN, None, e=EMAIL, p=PASSWORD)
                else:
                    await self._ask(http, kind, READ, token)
                await asyncio.sleep(0.05)

    async def _token(self, http: httpx.AsyncClient) -> str:
        answer = await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"e": EMAIL, "p": PASSWORD}}
        )
        return str(answer.json()["data"]["login"]["token"])

    def _batch(self) -> list[dict[str, Any]]:
        start = datetime.now(UTC) - timedelta(hours=1)
        batch = []
        for _ in range(2):
            ref = f"{self.run}-{next(self._numbers)}"
            self.refs.append(ref)
            batch.append({
                "employeeCode": EMPLOYEE, "roleKey": ROLE, "itemsCount": 3, "externalRef": ref,
                "windowStart": start.isoformat(), "windowEnd": (start + timedelta(minutes=5)).isoformat(),
            })  # fmt: skip
        return batch

    async def _ask(
        self,
        http: httpx.AsyncClient,
        kind: str,
        query: str,
        credentials: str | None,
        **variables: Any,
    ) -> str:
        headers = {"Authorization": f"Bearer {credentials}"} if credentials else {}
        started = time.monotonic()
        try:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            verdict = self._verdict(kind, response, len(variables.get("items", ())))
        except httpx.HTTPError as failed:
            verdict = f"no answer: {type(failed).__name__}"
        self.outcomes.append(Outcome(kind, started, time.monotonic(), verdict))
        return verdict

    def _verdict(self, kind: str, response: httpx.Response, items: int) -> str:
        if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
            return f"{response.status_code}: {response.text[:200]}"
        body = response.json()
        if body.get("errors"):
            return ",".join(
                sorted({str(e.get("extensions", {}).get("code")) for e in body["errors"]})
            )
        data = body["data"]
        if kind == "sign-in":
            return "ok" if isinstance(data["login"]["token"], str) else f"refused: {data}"
        if kind == "read":
            return "ok" if data["teams"] == [{"key": TEAM}] else f"wrong: {data}"
        recorded = data["recordActivities"]
        if recorded["errors"] or recorded["accepted"] + recorded["duplicates"] != items:
            return f"wrong: {recorded}"
        self.accepted += recorded["accepted"]
        self.duplicates += recorded["duplicates"]
        return "ok"


@dataclass
class Report:
    load: Load
    faulted: float  # when the fault began
    healed: float  # when it ended
    recovered: float  # seconds from the heal to the start of the last failed request (0: none)

    def during(self) -> list[Outcome]:
        return [o for o in self.load.outcomes if o.ended >= self.faulted]


async def under_load(
    url: str, key: str, run: str, fault: Callable[[], Coroutine[Any, Any, None]]
) -> Report:
    """The load for half a second, then ``fault`` (which returns once healed), with one more
    device sending a batch just after it began (the clients may all be past their checks of
    the key then), then until every client has had a calm second (or ``GIVE_UP_SECONDS``),
    then each device's last batch."""
    load = Load(url, key, run)
    clients = [asyncio.create_task(load.client(kind)) for kind in CLIENTS]
    await asyncio.sleep(0.5)
    faulted = time.monotonic()
    faulting = asyncio.create_task(fault())
    await asyncio.sleep(0.1)
    clients.append(asyncio.create_task(load.client("ingest", batches=1)))
    await faulting
    healed = time.monotonic()
    while time.monotonic() < healed + GIVE_UP_SECONDS:
        await asyncio.sleep(0.1)
        failed = [o.ended for o in load.outcomes if o.started >= healed and o.verdict != "ok"]
        calm_since = max(failed, default=healed)
        calm = [o for o in load.outcomes if o.started >= calm_since]
        if time.monotonic() - calm_since >= CALM_SECONDS and len(calm) >= len(CLIENTS):
            break
    load.stop.set()
    async with asyncio.timeout(BOUND_SECONDS * 2):
        await asyncio.gather(*clients)
    late_failures = [
        o.started - healed for o in load.outcomes if o.started >= healed and o.verdict != "ok"
    ]
    return Report(load, faulted, healed, max(late_failures, default=0.0))


def check(report: Report, database: MariaDB) -> None:
    load = report.load
    verdicts = {o.verdict for o in load.outcomes}
    durations = [o.seconds for o in load.outcomes]
    back = {
        kind: min((o.ended - report.healed for o in load.outcomes
                   if o.kind == kind and o.verdict == "ok" and o.ended >= report.healed), default=-1)
        for kind in sorted(set(CLIENTS))
    }  # fmt: skip
    print(f"\n{load.run}: {len(load.outcomes)} requests, verdicts {sorted(verdicts)}, "
          f"longest {max(durations):.2f} s, failures until {report.recovered:.2f} s after the "
          f"heal, first success after it {back}; {len(load.refs)} scans, {load.duplicates} "
          "sent again after being stored")  # fmt: skip
    assert verdicts <= {"ok", *OUTAGE_CODES}, [
        o for o in load.outcomes if o.verdict not in {"ok", *OUTAGE_CODES}
    ]
    assert [o for o in load.outcomes if o.ended < report.faulted and o.verdict != "ok"] == []
    assert {o.verdict for o in report.during()} & OUTAGE_CODES, "the fault was not seen"
    assert max(durations) < BOUND_SECONDS, sorted(durations)[-5:]
    assert report.recovered < RECOVERY_SECONDS
    after = [o for o in load.outcomes if o.started >= report.healed + report.recovered]
    assert {o.kind for o in after if o.verdict == "ok"} >= {"sign-in", "read", "ingest"}
    # Every scan sent is stored once; a batch stored but not acknowledged counted duplicates.
    stored = _stored(database, load.run)
    assert stored == (len(load.refs), len(load.refs))
    assert load.accepted + load.duplicates == len(load.refs)


def _stored(database: MariaDB, run: str) -> tuple[int, int]:
    connection = pymysql.connect(host="127.0.0.1", port=database.port, user="prodhub",
                                 password="prodhub", database="prodhub")  # fmt: skip
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), COUNT(DISTINCT external_ref) FROM activities "
                "WHERE external_ref LIKE %s", (f"{run}-%",)
            )  # fmt: skip
            count, distinct = cursor.fetchone()
            return int(count), int(distinct)
    finally:
        connection.close()


async def test_a_mariadb_restart_under_load(shape: Shape) -> None:
    async def restart() -> None:
        await asyncio.to_thread(shape.database.restart, 1.0)

    check(await under_load(shape.direct.url, shape.key, "restart", restart), shape.database)


async def test_every_connection_reset_and_refused_under_load(shape: Shape) -> None:
    async def refuse() -> None:
        await asyncio.to_thread(shape.proxy.refuse)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(shape.proxy.restore)

    check(await under_load(shape.proxied.url, shape.key, "reset", refuse), shape.database)


async def test_mariadb_black_holed_under_load(shape: Shape) -> None:
    """Longer than the bound: requests that began early in it are stopped by their budget."""

    async def black_hole() -> None:
        await asyncio.to_thread(shape.proxy.black_hole)
        await asyncio.sleep(BOUND_SECONDS + 1.5)  # a request waiting it out would be late
        await asyncio.to_thread(shape.proxy.restore)

    check(await under_load(shape.proxied.url, shape.key, "black-hole", black_hole), shape.database)
