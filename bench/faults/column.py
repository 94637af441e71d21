"""One column of the fault benchmark: every scenario, in turn, on one source tree's code,
in a production shape of its own (fresh MariaDB, Redis, proxies and processes)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.faults import checks, scenarios, worker_faults
from bench.faults.load import USERS, Load, Scanner, sign_in
from bench.faults.measure import summarize
from bench.faults.scenarios import Outcome
from bench.faults.shape import Shape, shape

NAMES = [s.__name__.replace("_", "-") for s in scenarios.SIMPLE] + [
    "failed-invalidation", "worker-redis"]  # fmt: skip


def _scenario(name: str, shape: Shape, load: Load, admin: str) -> Outcome:
    if name == "failed-invalidation":
        return worker_faults.failed_invalidation(shape, load, admin)
    if name == "worker-redis":  # last: its clean recalculation covers every scan before it
        return worker_faults.worker_redis(shape, load, admin)
    run = next(s for s in scenarios.SIMPLE if s.__name__ == name.replace("-", "_"))
    return run(shape, load)


def column(source: Path, only: list[str], keep: Path | None) -> dict[str, Any]:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        where = Path(tempfile.mkdtemp(dir=keep)) if keep else Path(tmp)
        return _column(source, only, where, began)


def _column(source: Path, only: list[str], where: Path, began: float) -> dict[str, Any]:
    with shape(where, source) as built:
        scenarios.prepare(built)
        url = built.webs[0].url
        tokens = [sign_in(url, user) for user in USERS]
        codes = [r[0] for r in built.sql("SELECT code FROM employees WHERE active ORDER BY id")]
        role = built.sql("SELECT `key` FROM roles ORDER BY id LIMIT 1")[0][0]
        load = Load([w.url for w in built.webs], tokens, built.api_key,
                    Scanner(codes, role, "fault-scan")).start()  # fmt: skip
        results = []
        try:
            for name in [n for n in NAMES if not only or n in only]:
                load.pause()
                built.restart()
                load.resume()
                print(f"  {name} ...", flush=True)
                began_at, resent = time.monotonic(), load.scanner.resent_stored
                outcome = _scenario(name, built, load, tokens[0])
                load.pause()
                scans = checks.scans(built, load.scanner)
                scans["stored_though_answered_failure"] -= resent
                outcome.extra["scans"] = scans
                outcome.extra["restarted"] = [
                    f"{what} (exit {code})" for at, what, code in built.restarts if at >= began_at
                ]
                results.append(outcome)
                load.resume()
        finally:
            load.stop()
    return {
        "source": str(source),
        "seconds": round(time.monotonic() - began),
        "scenarios": [
            {"name": o.name, "what": o.what, **summarize(load.records, load.probes, o.marks)}
            | o.extra
            for o in results
        ],
    }
