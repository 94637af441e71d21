"""Clients of the cluster's fault tests besides ``bench.cluster.traffic``: GETs nginx may
send to either web process, and a client reading back what it wrote."""

from __future__ import annotations

import threading
import time

import httpx

from bench.cluster.topology import State
from bench.cluster.traffic import Answer
from bench.faults.load import USERS, sign_in


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

    def _name(self, http: httpx.Client) -> str | None:
        """The team's name as read (None: not there yet, for a reader the replica serves)."""
        teams = http.post("/graphql", json={"query": TEAMS}).json()["data"]["teams"]
        return next((str(t["name"]) for t in teams if t["key"] == self.key), None)
