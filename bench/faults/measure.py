"""What a scenario's requests say: counted from the fault to the end of its watch.

- requests and failures per kind, and how they failed (status or error code, ``timeout``);
- the longest request, and what it was;
- recovery: from the heal to the start of the first run of ``RUN`` successive successes
  (every kind together, requests started after the heal); ``None`` when none came;
- the probes: ``/readyz`` and ``/healthz`` answers during the fault and after the heal, and
  the longest ``/healthz``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.faults.load import Rec

RUN = 10


@dataclass(frozen=True)
class Marks:
    fault: float  # when the fault began (monotonic)
    heal: float  # when it was healed
    end: float  # the end of the watch


def summarize(records: list[Rec], probes: list[Rec], marks: Marks) -> dict[str, Any]:
    window = [r for r in records if marks.fault <= r.start < marks.end]
    kinds: dict[str, Any] = {}
    for kind in sorted({r.kind for r in window}):
        mine = [r for r in window if r.kind == kind]
        failed = Counter(r.outcome for r in mine if not r.ok)
        kinds[kind] = {"requests": len(mine), "failed": sum(failed.values()), "how": dict(failed)}
    longest = max(window, key=lambda r: r.seconds, default=None)
    after = sorted((r for r in window if r.start >= marks.heal), key=lambda r: r.start)
    return {
        "requests": len(window),
        "failed": sum(1 for r in window if not r.ok),
        "failed_after_heal": sum(1 for r in after if not r.ok),
        "kinds": kinds,
        "longest": _longest(longest),
        "recovery_s": _recovery(after, marks.heal),
        "fault_s": round(marks.heal - marks.fault, 1),
        "watched_after_heal_s": round(marks.end - marks.heal, 1),
        "readyz": _probes(probes, "readyz", marks),
        "healthz": _probes(probes, "healthz", marks),
    }


def _longest(rec: Rec | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    return {"seconds": round(rec.seconds, 2), "kind": rec.kind, "outcome": rec.outcome}


def _recovery(after: list[Rec], heal: float) -> float | None:
    streak = 0
    for i, rec in enumerate(after):
        streak = streak + 1 if rec.ok else 0
        if streak == RUN:
            return round(max(0.0, after[i - RUN + 1].start - heal), 1)
    return None


def _probes(probes: list[Rec], path: str, marks: Marks) -> dict[str, Any]:
    mine = [p for p in probes if p.kind == path]
    during = [p for p in mine if marks.fault <= p.start < marks.heal]
    after = [p for p in mine if marks.heal <= p.start < marks.end]
    return {
        "during": dict(Counter(p.outcome for p in during)),
        "after": dict(Counter(p.outcome for p in after)),
        "longest_s": round(max((p.seconds for p in during + after), default=0.0), 2),
    }
