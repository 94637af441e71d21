"""Steady traffic through nginx, every answer checked: sign-ins (each demo sign-in in turn), a
dashboard read with a token (the same employees and teams as before the traffic began), and
a device's ``recordActivities`` with its API key (each batch stored: accepted plus
duplicates is the batch). One thread per client; every request is one ``Answer``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.faults.load import DASHBOARD, INGEST, LOGIN, PASSWORD, USERS, Scanner, sign_in

TIMEOUT = 20.0  # past nginx's 15 s read timeout: a request nginx gave up on is its 504
EMPLOYEES = "{ employees(first: 10) { edges { node { code defaultRole { key } } } } }"


@dataclass(frozen=True)
class Answer:
    kind: str
    start: float  # monotonic
    seconds: float
    outcome: str  # "ok", or what was wrong

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def dashboard_rows(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    """What a dashboard answer must repeat: each employee's name and team, in order."""
    edges = body["data"]["employees"]["edges"]
    return [(e["node"]["name"], (e["node"]["team"] or {}).get("name")) for e in edges]


@dataclass
class Traffic:
    url: str  # nginx's
    api_key: str
    prefix: str  # what this traffic's scans' externalRefs begin with
    keepalive: bool = True  # clients reuse their connections to nginx
    answers: list[Answer] = field(default_factory=list)
    expected: list[tuple[str, str | None]] = field(default_factory=list)
    _token: str = ""
    _scanner: Scanner | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Traffic:
        self._token = sign_in(self.url, USERS[0])
        headers = {"Authorization": f"Bearer {self._token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=TIMEOUT) as http:
            self.expected = dashboard_rows(http.post("/graphql", json={"query": DASHBOARD}).json())
            employees = http.post("/graphql", json={"query": EMPLOYEES}).json()["data"]
        nodes = [edge["node"] for edge in employees["employees"]["edges"]]
        role = next(n["defaultRole"]["key"] for n in nodes if n["defaultRole"])
        self._scanner = Scanner([n["code"] for n in nodes], role, self.prefix)
        loops = [self._dashboard, self._dashboard, self._scans, self._sign_ins]
        self._threads = [threading.Thread(target=loop, daemon=True) for loop in loops]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT + 5)
        return self.answers

    @property
    def stored(self) -> set[str]:
        """The refs of every scan acknowledged as stored."""
        return self._scanner.acked if self._scanner else set()

    def _client(self) -> httpx.Client:
        keep = None if self.keepalive else 0
        return httpx.Client(base_url=self.url, timeout=TIMEOUT,
                            limits=httpx.Limits(max_keepalive_connections=keep))  # fmt: skip

    def _loop(self, kind: str, pause: float, ask: Callable[[httpx.Client, int], str]) -> None:
        with self._client() as http:
            n = 0
            while not self._stop.is_set():
                start = time.monotonic()
                try:
                    outcome = ask(http, n)
                except httpx.HTTPError as exc:
                    outcome = f"{type(exc).__name__}: {exc}"
                except (KeyError, TypeError, ValueError) as exc:  # an answer of another shape
                    outcome = f"unexpected answer: {exc!r}"
                self.answers.append(Answer(kind, start, time.monotonic() - start, outcome))
                n += 1
                self._stop.wait(pause)

    def _dashboard(self) -> None:
        def ask(http: httpx.Client, _: int) -> str:
            answer = _post(http, {"query": DASHBOARD}, self._token)
            if not isinstance(answer, dict):
                return answer
            rows = dashboard_rows(answer)
            return "ok" if rows == self.expected else f"other rows: {rows[:2]}"

        self._loop("dashboard", 0.1, ask)

    def _sign_ins(self) -> None:
        def ask(http: httpx.Client, n: int) -> str:
            variables = {"e": USERS[n % len(USERS)], "p": PASSWORD}
            answer = _post(http, {"query": LOGIN, "variables": variables}, None)
            if not isinstance(answer, dict):
                return answer
            login = answer["data"]["login"]
            return "ok" if login["errors"] == [] and login["token"] else f"refused: {login}"

        self._loop("sign-in", 0.3, ask)

    def _scans(self) -> None:
        scanner = self._scanner
        assert scanner is not None

        def ask(http: httpx.Client, _: int) -> str:
            batch = scanner.batch()
            answer = _post(http, {"query": INGEST, "variables": {"items": batch}}, self.api_key)
            if not isinstance(answer, dict):
                return answer
            recorded = answer["data"]["recordActivities"]
            if recorded["errors"] or recorded["accepted"] + recorded["duplicates"] != len(batch):
                return f"not stored: {recorded}"
            scanner.stored()
            return "ok"

        self._loop("ingest", 0.1, ask)


def _post(
    http: httpx.Client, body: dict[str, Any], credentials: str | None
) -> dict[str, Any] | str:
    """The answer's JSON, or why there is none to check (a status, errors)."""
    headers = {"Authorization": f"Bearer {credentials}"} if credentials else {}
    response = http.post("/graphql", json=body, headers=headers)
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:120]}"
    answer: dict[str, Any] = response.json()
    if answer.get("errors"):
        return f"errors: {[e.get('extensions', {}).get('code') for e in answer['errors']]}"
    return answer
