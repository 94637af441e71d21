"""``python -m bench.cluster.soak [--minutes 30] [--dir DIR]``: the whole production topology
under steady mixed traffic through nginx for a while (``soak_traffic``), sampled every 10 s:
the memory of every process of the cluster (VmRSS from ``/proc``, a process's children
included: nginx's workers, a worker's forks) and the traffic's p50, p99 and errors in the
interval. A process is flat when its RSS at the end is within 10 % of its RSS after the
warm-up (``--warmup`` minutes, 2 by default, or a fifth of a run shorter than ten minutes:
MariaDB's buffer pool and connections fill during the first minutes while the tables grow);
the traffic must have no error at all.

Starts a cluster of its own (stopped at the end), or uses a running one (``--dir``, or
``--running`` for the last ``scripts/cluster start``). Writes ``bench/results/soak.{md,json}``
and the picture (``--plot``, by default ``docs/soak.png``)."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import results
from bench.cluster import pids, topology
from bench.cluster.soak_plot import plot
from bench.cluster.soak_traffic import SoakTraffic
from bench.cluster.topology import POINTER, State
from bench.cluster.traffic import Answer

FLAT = 10.0  # percent: the most a process's RSS may move between the warm-up and the end
WARMUP_SECONDS = 120.0
WARMUP_SHARE = 0.2  # of a run shorter than ten minutes


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/soak")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=WARMUP_SECONDS / 60, help="minutes")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--items", type=int, default=100, help="items scanned per second")
    parser.add_argument("--dir", type=Path, help="a running cluster's directory")
    parser.add_argument("--running", action="store_true", help="the last cluster started")
    parser.add_argument("--plot", type=Path, default=Path("docs/soak.png"))
    options = parser.parse_args()
    directory = options.dir or (Path(POINTER.read_text()) if options.running else None)
    state = State.load(directory) if directory else topology.start()
    try:
        result = soak(
            state, options.minutes * 60, options.interval, options.items, options.warmup * 60
        )
    finally:
        if directory is None:  # its own cluster: stopped, its directory removed
            topology.stop(state)
            shutil.rmtree(state.directory, ignore_errors=True)
    plot(result, options.plot)
    results.keep("soak", result, report(result))
    print(f"plot: {options.plot}")
    if result["errors"]:
        sys.exit(1)


def soak(
    state: State, seconds: float, interval: float, items: int, warmup: float = WARMUP_SECONDS
) -> dict[str, Any]:
    warmup = min(warmup, seconds * WARMUP_SHARE) if seconds < 600 else warmup
    traffic = SoakTraffic(state.url, state.api_key, topology.zone(state), items).start()
    began = time.monotonic()
    samples: list[dict[str, Any]] = []
    seen = 0
    try:
        while (elapsed := time.monotonic() - began) < seconds:
            time.sleep(min(interval, seconds - elapsed))
            fresh = traffic.answers[seen:]
            seen += len(fresh)
            samples.append(sample(state, time.monotonic() - began, fresh))
            last = samples[-1]
            print(f"{last['at']:6.0f} s  {last['requests']:4} requests  "
                  f"p99 {last['p99_ms']:7.1f} ms  errors {last['errors']}", flush=True)  # fmt: skip
    finally:
        traffic.stop()
    late = traffic.answers[seen:]  # answered after the last sample: counted, not sampled
    everything = traffic.answers
    failures = [a for a in everything if not a.ok]
    return {
        "minutes": seconds / 60,
        "interval_seconds": interval,
        "warmup_seconds": warmup,
        "items_per_second": items,
        "items_stored": traffic.items_stored,
        "machine": machine(),
        "profile": "S (seed-demo)",
        "processes": [m.name for m in state.members],
        "requests": {kind: sum(a.kind == kind for a in everything) for kind in kinds(everything)},
        "errors": len(failures),
        "error_examples": sorted({f"{a.kind}: {a.outcome}" for a in failures})[:10],
        "late_requests": len(late),
        "memory": memory(samples, warmup),
        "latency": latency(samples, warmup, everything),
        "samples": samples,
    }


def sample(state: State, at: float, answers: list[Answer]) -> dict[str, Any]:
    times = sorted(a.seconds * 1000 for a in answers)
    trees = {m.name: tree_rss_kib(m.pid) for m in state.members}
    return {
        "at": round(at, 1),
        "rss_kib": {name: kib for name, (kib, _) in trees.items()},
        "process_count": {name: count for name, (_, count) in trees.items()},
        "requests": len(answers),
        "p50_ms": round(percentile(times, 50), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "errors": sum(not a.ok for a in answers),
    }


def tree_rss_kib(pid: int) -> tuple[int, int]:
    """VmRSS of ``pid`` and of its descendants, in KiB (0 when it is gone); how many."""
    total, count, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        count += 1
        total += next((int(line.split()[1]) for line in status.splitlines()
                       if line.startswith("VmRSS:")), 0)  # fmt: skip
        todo.extend(pids.children(current))
    return total, count


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank of sorted ``values`` (0 for none)."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, round(pct / 100 * len(values) + 0.5) - 1))]


def memory(samples: list[dict[str, Any]], warmup: float) -> dict[str, dict[str, Any]]:
    """Per process: RSS at the start (after the warm-up) and at the end, min and max after the
    warm-up, the change in percent, flat or not. Start and end are each the median of a
    minute of samples (a quarter of a shorter steady part): a sign-in's argon2id hash takes
    64 MiB for a moment, and one sample that catches it is not a trend."""
    steady = [s for s in samples if s["at"] >= warmup] or samples[-1:]
    window = max(1, min(len([s for s in steady if s["at"] < warmup + 60]), len(steady) // 4))
    found: dict[str, dict[str, Any]] = {}
    for name in samples[0]["rss_kib"] if samples else []:
        values = [s["rss_kib"][name] for s in steady]
        counts = [s["process_count"][name] for s in samples]
        start = round(statistics.median(values[:window]))
        end = round(statistics.median(values[-window:]))
        change = 100.0 * (end - start) / start if start else 0.0
        found[name] = {
            "start_kib": start, "end_kib": end, "min_kib": min(values), "max_kib": max(values),
            "change_pct": round(change, 1), "flat": start > 0 and abs(change) <= FLAT,
            "processes_min": min(counts), "processes_max": max(counts),
        }  # fmt: skip
    return found


def latency(samples: list[dict[str, Any]], warmup: float, answers: list[Answer]) -> dict[str, Any]:
    steady = [s["p99_ms"] for s in samples if s["at"] >= warmup and s["requests"]]
    by_kind = {
        kind: round(percentile(sorted(a.seconds * 1000 for a in answers if a.kind == kind), 99), 1)
        for kind in kinds(answers)
    }
    if not steady:
        return {"intervals": 0, "p99_by_kind_ms": by_kind}
    third = max(1, len(steady) // 3)
    return {
        "intervals": len(steady),
        "p99_min_ms": min(steady),
        "p99_median_ms": statistics.median(steady),
        "p99_max_ms": max(steady),
        "p99_first_third_median_ms": statistics.median(steady[:third]),
        "p99_last_third_median_ms": statistics.median(steady[-third:]),
        "p99_by_kind_ms": by_kind,
    }


def kinds(answers: list[Answer]) -> list[str]:
    return sorted({a.kind for a in answers})


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}  # fmt: skip


def report(result: dict[str, Any]) -> str:
    warm = result["warmup_seconds"]
    lines = [
        f"## Soak: {result['minutes']:g} minutes through nginx, sampled every "
        f"{result['interval_seconds']:g} s",
        "",
        f"Machine: {result['machine']['cpus']} cores, {result['machine']['platform']}; "
        f"demo data profile {result['profile']}. Traffic: "
        + ", ".join(f"{kind} {n}" for kind, n in result["requests"].items())
        + f" requests; {result['items_stored']} items scanned ({result['items_per_second']}/s).",
        "",
        f"RSS of each process (its children included; processes: how many, over the run), "
        f"after the {warm:g} s warm-up; start and end: the median of the first and of the last "
        f"minute (a quarter of a shorter run's steady part); flat: within ±{FLAT:g} %.",
        "",
        "| process | processes | start MiB | end MiB | min MiB | max MiB | change | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in result["memory"].items():
        mib = [f"{row[k] / 1024:.1f}" for k in ("start_kib", "end_kib", "min_kib", "max_kib")]
        verdict = "flat" if row["flat"] else "NOT FLAT"
        low, high = row["processes_min"], row["processes_max"]
        count = f"{low}" if low == high else f"{low}-{high}"
        cells = [name, count, *mib, f"{row['change_pct']:+.1f} %", verdict]
        lines.append(f"| {' | '.join(cells)} |")
    flat = all(row["flat"] for row in result["memory"].values())
    examples = "; ".join(result["error_examples"])
    lines += ["", f"Memory: {'flat' if flat else 'NOT flat'}. Errors: {result['errors']} "
              f"(must be 0){': ' + examples if examples else '.'}"]  # fmt: skip
    p99 = result["latency"]
    if p99["intervals"]:
        lines += [
            "",
            f"p99 per {result['interval_seconds']:g} s interval after the warm-up "
            f"({p99['intervals']} intervals): min {p99['p99_min_ms']:.0f} ms, median "
            f"{p99['p99_median_ms']:.0f} ms, max {p99['p99_max_ms']:.0f} ms; median of the "
            f"first third {p99['p99_first_third_median_ms']:.0f} ms, of the last third "
            f"{p99['p99_last_third_median_ms']:.0f} ms.",
        ]
    by_kind = ", ".join(f"{k} {v:.0f} ms" for k, v in p99["p99_by_kind_ms"].items())
    lines += ["", f"p99 over the run by kind: {by_kind}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
