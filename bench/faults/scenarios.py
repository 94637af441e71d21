"""The faults, one at a time, under the load: each starts on freshly started processes (a
fault that breaks a process for good must not spill into the next), runs the load for a
moment, applies the fault for a few seconds, heals it, and watches.

The MariaDB and Redis faults here hit every process; the worker's own Redis faults are in
``worker_faults``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.faults import checks
from bench.faults.load import LOGIN, TIMEOUT, Load, graphql_outcome
from bench.faults.measure import Marks
from bench.faults.shape import Shape

BEFORE = 1.5  # load before the fault
FAULT = 5.0  # how long a fault lasts
WATCH = 8.0  # watched after the heal
REDIS_ROLES = ("web", "worker", "scheduler")
LIMITED = "limits@demo.example"  # signs in nowhere else: its failures are counted here only
LIMITED_PASSWORD = "quiet amber harbour lantern"
WRONG = "wrong password 1"


@dataclass
class Outcome:
    name: str
    what: str
    marks: Marks
    extra: dict[str, Any] = field(default_factory=dict)


def timed(load: Load, fault: Callable[[], None], heal: Callable[[], None],
          seconds: float = FAULT, during: Callable[[], dict[str, Any]] | None = None,
          ) -> tuple[Marks, dict[str, Any]]:  # fmt: skip
    """Load for ``BEFORE`` s, the fault for ``seconds`` (running ``during`` meanwhile), the
    heal, ``WATCH`` s of load."""
    time.sleep(BEFORE)
    start = time.monotonic()
    fault()
    extra = during() if during else {}
    time.sleep(max(0.0, start + seconds - time.monotonic()))
    heal()
    healed = time.monotonic()
    time.sleep(WATCH)
    return Marks(start, healed, time.monotonic()), extra


def mariadb_restart(shape: Shape, load: Load) -> Outcome:
    marks, _ = timed(load, shape.mariadb.stop, shape.mariadb.start, seconds=3.0)
    return Outcome("mariadb-restart", "MariaDB stopped (FIN to every client), 3 s down", marks)


def mariadb_reset(shape: Shape, load: Load) -> Outcome:
    db = shape.proxies["db"]
    marks, _ = timed(load, db.refuse, db.restore)
    return Outcome("mariadb-reset", "MariaDB's proxy refuses and resets (RST) every connection",
                   marks)  # fmt: skip


def mariadb_black_hole(shape: Shape, load: Load) -> Outcome:
    db = shape.proxies["db"]
    marks, _ = timed(load, db.black_hole, db.restore, seconds=12.0)  # past the 10 s request bound
    return Outcome("mariadb-black-hole", "MariaDB silent 12 s (packets dropped), then delivered",
                   marks)  # fmt: skip


def _every_redis(shape: Shape, change: str) -> Callable[[], None]:
    def apply() -> None:
        for role in REDIS_ROLES:
            getattr(shape.proxies[role], change)()

    return apply


def redis_refused(shape: Shape, load: Load) -> Outcome:
    marks, _ = timed(load, _every_redis(shape, "refuse"), _every_redis(shape, "restore"))
    return Outcome("redis-refused", "Redis refuses and resets every connection", marks)


def _sign_ins(url: str, passwords: list[str]) -> list[tuple[str, float]]:
    """Sign-ins of the one account that nothing else uses, in turn: (outcome, seconds)."""
    answers = []
    with httpx.Client(timeout=TIMEOUT) as client:
        for password in passwords:
            body = {"query": LOGIN, "variables": {"e": LIMITED, "p": password}}
            start = time.monotonic()
            try:
                outcome = graphql_outcome(client.post(f"{url}/graphql", json=body), "login")
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            answers.append((outcome, round(time.monotonic() - start, 2)))
    return answers


def redis_black_hole(shape: Shape, load: Load) -> Outcome:
    """Besides the load: two wrong passwords for one account before the fault, three during
    it, then the right one, all from one address: 5 failures in 15 minutes refuse the next
    attempt there (``RATE_LIMITED``), Redis or not."""
    url = shape.webs[0].url
    before = _sign_ins(url, [WRONG] * 2)

    def during() -> dict[str, Any]:
        answers = _sign_ins(url, [WRONG] * 3 + [LIMITED_PASSWORD])
        return {"sign_ins_before": before, "sign_ins": answers,
                "limit_held": answers[-1][0] == "RATE_LIMITED"}  # fmt: skip

    fault, heal = _every_redis(shape, "black_hole"), _every_redis(shape, "restore")
    marks, extra = timed(load, fault, heal, seconds=6.0, during=during)
    return Outcome("redis-black-hole", "Redis silent 6 s, then delivered", marks, extra)


def redis_frozen(shape: Shape, load: Load) -> Outcome:
    """While scans arrive. Each web process enqueues a refresh first (its broker connection
    is then pooled, live), and during the freeze the debounce keys are dropped every second,
    so that scans enqueue again, on the frozen connections."""
    for _ in range(4):  # scans alternate between the web processes, one each 0.5 s
        shape.forget_debounce()
        time.sleep(0.55)

    def during() -> dict[str, Any]:
        for _ in range(4):
            shape.forget_debounce()
            time.sleep(1.0)
        return {}

    marks, _ = timed(load, _every_redis(shape, "freeze"), _every_redis(shape, "restore"),
                     during=during)  # fmt: skip
    return Outcome("redis-frozen", "Redis's live connections silent 5 s, new ones pass; scans"
                   " enqueue refreshes meanwhile", marks)  # fmt: skip


SIMPLE = (mariadb_restart, mariadb_reset, mariadb_black_hole, redis_refused,
          redis_black_hole, redis_frozen)  # fmt: skip


def prepare(shape: Shape) -> None:
    """What the scenarios need beside the demo: an account for the sign-in limits."""
    shape.cli("create-admin", "--email", LIMITED, stdin=f"{LIMITED_PASSWORD}\n")


def rows(shape: Shape, load: Load) -> dict[str, Any]:
    return {"scans": checks.scans(shape, load.scanner)}
