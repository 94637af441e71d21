"""The mixed load of the fault benchmark, on threads, against both web processes in turn:
sign-ins, dashboard reads with a token, and a scanner posting ``recordActivities`` with an
API key (a batch that fails is sent again, same ``externalRef``\\ s, until it is stored, as a
device does); and probes of ``/healthz`` and ``/readyz`` of each process every 0.5 s.

Every request is one ``Rec``: what, where, when it started (monotonic), how long, and
``"ok"`` or how it failed (``HTTP 503``, an error code, ``timeout``, a connection error)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

TIMEOUT = 20.0  # a client's patience: a request longer than this counts as "timeout"
DASHBOARD = """{ employees(first: 10) { edges { node { name team { name }
  score { pointsEarned productivity utilization idleMinutes }
  activityBreakdown { role { key } items points }
  clockRecords { clockIn clockOut breaks { start end } } isClockedIn } }
  pageInfo { hasNextPage endCursor } } }"""
LOGIN = """mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) { token errors { code } } }"""
INGEST = """mutation($items: [ActivityInput!]!) {
  recordActivities(input: $items) { accepted duplicates errors { code } } }"""
USERS = ("admin@demo.example", "manager@demo.example", "employee@demo.example")
PASSWORD = "demo-password"


@dataclass(frozen=True)
class Rec:
    kind: str
    web: int
    start: float
    seconds: float
    outcome: str

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def graphql_outcome(response: httpx.Response, field_name: str | None) -> str:
    """``ok``, or how a GraphQL answer failed: its status, its first error's code, or the
    first payload error's code under ``data.<field_name>``."""
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        return f"HTTP {response.status_code} (not JSON)"
    errors = body.get("errors") or []
    code = errors and (errors[0].get("extensions") or {}).get("code", "error")
    if response.status_code != 200:
        return f"HTTP {response.status_code}" + (f" {code}" if code else "")
    if code:
        return str(code)
    payload = (body.get("data") or {}).get(field_name or "") or {}
    if payload.get("errors"):
        return str(payload["errors"][0].get("code"))
    return "ok"


def post(client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str],
         field_name: str | None) -> tuple[str, httpx.Response | None]:  # fmt: skip
    try:
        response = client.post(f"{url}/graphql", json=body, headers=headers)
    except httpx.TimeoutException:
        return "timeout", None
    except httpx.HTTPError as exc:
        return type(exc).__name__, None
    return graphql_outcome(response, field_name), response


@dataclass
class Scanner:
    """A device: batches of scans with refs of its own, each sent until it is stored."""

    codes: list[str]
    role: str
    prefix: str
    acked: set[str] = field(default_factory=set)
    resent_stored: int = 0  # scans a resend found stored: an earlier answer was a failure
    pending: list[dict[str, Any]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def batch(self) -> list[dict[str, Any]]:
        if not self.pending:
            end = datetime.now(UTC) - timedelta(seconds=30)
            start = end - timedelta(seconds=20)
            n = next(self._seq)
            self.pending = [
                {"employeeCode": self.codes[(n * 5 + i) % len(self.codes)], "roleKey": self.role,
                 "itemsCount": 1 + i, "windowStart": start.isoformat(),
                 "windowEnd": end.isoformat(), "externalRef": f"{self.prefix}-{n}-{i}"}
                for i in range(5)
            ]  # fmt: skip
        return self.pending

    def stored(self) -> None:
        self.acked.update(item["externalRef"] for item in self.pending)
        self.pending = []


@dataclass
class Load:
    urls: list[str]
    tokens: list[str]
    api_key: str
    scanner: Scanner
    records: list[Rec] = field(default_factory=list)
    probes: list[Rec] = field(default_factory=list)
    ingest: bool = True  # the scanner posts (a scenario may pause it)
    _stop: threading.Event = field(default_factory=threading.Event)
    _active: threading.Event = field(default_factory=threading.Event)
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        self._stop.clear()
        self._active.set()
        loops: list[Callable[[], None]] = [self._dashboard, self._dashboard, self._scans,
                                           self._sign_ins]  # fmt: skip
        loops += [self._probe(w, p) for w in range(len(self.urls)) for p in ("healthz", "readyz")]
        self._threads = [threading.Thread(target=loop, daemon=True) for loop in loops]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._active.set()
        for thread in self._threads:
            thread.join(TIMEOUT + 5)

    def pause(self) -> None:
        """Send nothing new, and wait for what is in flight to end (processes may restart)."""
        self._active.clear()
        deadline = time.monotonic() + TIMEOUT + 5
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.05)

    def resume(self) -> None:
        self._active.set()

    def _go(self) -> bool:
        """Wait while paused; then count one request in flight (``_done`` ends it)."""
        self._active.wait()
        with self._lock:
            self._in_flight += 1
        return not self._stop.is_set()

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _turns(self, pause: float) -> Any:
        """Yield web indexes in turn, ``pause`` seconds apart, until stopped."""
        for n in itertools.count():
            if self._stop.is_set():
                return
            yield n % len(self.urls), n
            self._stop.wait(pause)

    def _record(self, kind: str, web: int, start: float, outcome: str) -> None:
        self.records.append(Rec(kind, web, start, time.monotonic() - start, outcome))
        self._done()

    def _dashboard(self) -> None:
        with httpx.Client(timeout=TIMEOUT) as client:
            for web, n in self._turns(0.25):
                headers = {"Authorization": f"Bearer {self.tokens[n % len(self.tokens)]}"}
                if not self._go():
                    return
                start = time.monotonic()
                outcome, _ = post(client, self.urls[web], {"query": DASHBOARD}, headers, None)
                self._record("dashboard", web, start, outcome)

    def _sign_ins(self) -> None:
        with httpx.Client(timeout=TIMEOUT) as client:
            for web, n in self._turns(1.0):
                body = {"query": LOGIN, "variables": {"e": USERS[n % 3], "p": PASSWORD}}
                if not self._go():
                    return
                start = time.monotonic()
                outcome, _ = post(client, self.urls[web], body, {}, "login")
                self._record("sign-in", web, start, outcome)

    def _scans(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with httpx.Client(timeout=TIMEOUT) as client:
            for web, _ in self._turns(0.5):
                if not self.ingest:
                    continue
                if not self._go():
                    return
                body = {"query": INGEST, "variables": {"items": self.scanner.batch()}}
                start = time.monotonic()
                outcome, answer = post(client, self.urls[web], body, headers, "recordActivities")
                if outcome == "ok" and answer is not None:
                    self.scanner.resent_stored += answer.json()["data"]["recordActivities"][
                        "duplicates"
                    ]
                    self.scanner.stored()
                self._record("ingest", web, start, outcome)

    def _probe(self, web: int, path: str) -> Callable[[], None]:
        def probe() -> None:
            with httpx.Client(timeout=TIMEOUT) as client:
                while self._go():
                    start = time.monotonic()
                    try:
                        answer = client.get(f"{self.urls[web]}/{path}")
                        status = answer.status_code
                        outcome = "ok" if status == 200 else f"HTTP {status}"
                        if b"degraded" in answer.content:
                            outcome += " degraded"
                    except httpx.TimeoutException:
                        outcome = "timeout"
                    except httpx.HTTPError as exc:
                        outcome = type(exc).__name__
                    self.probes.append(Rec(path, web, start, time.monotonic() - start, outcome))
                    self._done()
                    self._stop.wait(0.5)

        return probe


def sign_in(url: str, email: str) -> str:
    body = {"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
    answer = httpx.post(f"{url}/graphql", json=body, timeout=TIMEOUT).json()
    token = answer["data"]["login"]["token"]
    if not token:
        raise RuntimeError(f"sign-in of {email} refused: {answer}")
    return str(token)
