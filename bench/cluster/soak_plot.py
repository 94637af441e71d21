"""The soak's picture: each process's memory (RSS, MiB) over time above, the traffic's p50 and
p99 per interval below, the end of the warm-up marked on both (matplotlib, Agg: no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend is chosen before pyplot loads


def plot(result: dict[str, Any], path: Path) -> None:
    samples = result["samples"]
    minutes = [s["at"] / 60 for s in samples]
    warm = result["warmup_seconds"] / 60
    figure, (memory, latency) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    for name in result["processes"]:
        memory.plot(minutes, [s["rss_kib"].get(name, 0) / 1024 for s in samples], label=name)
    memory.set_ylabel("RSS (MiB)")
    memory.set_ylim(bottom=0)
    memory.legend(fontsize="small", ncol=2, loc="upper left")
    latency.plot(minutes, [s["p99_ms"] for s in samples], label="p99", color="tab:red")
    latency.plot(minutes, [s["p50_ms"] for s in samples], label="p50", color="tab:blue")
    errored = [(m, s["p99_ms"]) for m, s in zip(minutes, samples, strict=True) if s["errors"]]
    if errored:
        latency.scatter(*zip(*errored, strict=True), color="black", marker="x", label="errors")
    latency.set_ylabel(f"latency per {result['interval_seconds']:g} s (ms)")
    latency.set_xlabel("minutes")
    latency.set_ylim(bottom=0)
    latency.legend(fontsize="small", loc="upper left")
    for axes in (memory, latency):
        axes.axvline(warm, color="grey", linestyle="--", linewidth=1)
        axes.grid(alpha=0.3)
    figure.suptitle(
        f"Soak: {result['minutes']:g}-minute run through nginx "
        f"({result['machine']['cpus']} cores; warm-up to the dashed line)"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
