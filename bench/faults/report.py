"""The columns as one Markdown table: a row per fault and code, side by side."""

from __future__ import annotations

from typing import Any

HEAD = ("| fault | code | requests | failed (after heal) | how they failed | longest s "
        "| recovery s | /readyz during → after | /healthz longest s | rows | more |\n"
        "|---|---|---:|---:|---|---:|---:|---|---:|---|---|")  # fmt: skip


LEGEND = """Each fault starts on freshly started processes, with the load running (sign-ins,
dashboard reads, a scanner's recordActivities: about 10 requests a second over both web
processes). Counted from the fault to the end of the watch after the heal: requests, the
failed ones (those started after the heal in brackets) and how they failed; the longest
request; recovery = from the heal to the first of 10 successes in a row; /readyz answers
during the fault and after the heal; the longest /healthz; rows = every scan a device was
told was stored is there once (and those stored though the answer was a failure, which the
device sent again)."""


def table(columns: dict[str, dict[str, Any]]) -> str:
    by_name: dict[str, dict[str, dict[str, Any]]] = {}
    for label, col in columns.items():
        for row in col["scenarios"]:
            by_name.setdefault(row["name"], {})[label] = row
    lines = [LEGEND, "", HEAD]
    for name, rows in by_name.items():
        for label, row in rows.items():
            lines.append(_line(name, label, row))
    times = ", ".join(f"{label} {col['seconds']} s" for label, col in columns.items())
    return "\n".join(lines) + f"\n\nColumns took: {times}."


def _line(name: str, label: str, row: dict[str, Any]) -> str:
    longest = row["longest"] or {"seconds": 0, "kind": "-", "outcome": "-"}
    recovery = "never" if row["recovery_s"] is None else f"{row['recovery_s']}"
    if row["recovery_s"] is None:
        recovery += f" (watched {row['watched_after_heal_s']})"
    cells = [
        name, label, str(row["requests"]), f"{row['failed']} ({row['failed_after_heal']})",
        _how(row["kinds"]), f"{longest['seconds']} {longest['kind']}", recovery,
        f"{_counts(row['readyz']['during'])} → {_counts(row['readyz']['after'])}",
        str(row["healthz"]["longest_s"]), _rows(row), _more(row),
    ]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def _how(kinds: dict[str, Any]) -> str:
    parts = []
    for kind, k in kinds.items():
        if k["failed"]:
            how = ", ".join(f"{o} x{n}" for o, n in sorted(k["how"].items(), key=lambda x: -x[1]))
            parts.append(f"{kind} {k['failed']}/{k['requests']}: {how}")
    return "; ".join(parts) or "-"


def _counts(counts: dict[str, int]) -> str:
    named = {"ok": "200", "ok degraded": "200 degraded"}
    shown = (f"{named.get(o, o.removeprefix('HTTP '))}x{n}" for o, n in counts.items())
    return " ".join(shown) or "-"


def _rows(row: dict[str, Any]) -> str:
    s = row["scans"]
    text = f"scans: {s['acknowledged']} stored, {s['missing']} missing, {s['doubled']} doubled"
    if s["stored_though_answered_failure"]:
        text += f", {s['stored_though_answered_failure']} stored though answered as failed"
    compared = row.get("scores_vs_clean_recalculation")
    if compared and compared.get("days"):
        text += (f"; scores: {compared['differ']} of {compared['employee_days']} employee-days"
                 " differ from a clean recalculation")  # fmt: skip
        if not compared["recalculated"]:
            text += " (which did not finish within 60 s)"
    return text


def _more(row: dict[str, Any]) -> str:
    text = "; ".join(f"{r} restarted by its supervisor" for r in row.get("restarted", []))
    return "; ".join(t for t in (_scenario_notes(row), text) if t)


def _scenario_notes(row: dict[str, Any]) -> str:
    if "sign_ins" in row:
        answers = row["sign_ins"]
        slowest = max(s for _, s in answers)
        held = "held" if row["limit_held"] else "failed open"
        return (f"one account, one address, 2 failures before, 3 during, then the right "
                f"password: {answers[-1][0]} (limits {held}; each up to {slowest} s)")  # fmt: skip
    if "old_board_served_s" in row:
        served = row["old_board_served_s"]
        if not served:
            return f"no commit fell in the black hole ({row['recalculated']}/{row['days']} run)"
        worst = [v for v in served.values()]
        text = "still old" if None in worst else f"{max(v for v in worst if v is not None)} s"
        return (f"{len(served)} days committed while the worker's Redis was silent; the other"
                f" process served their old board for: {text} (watched 15 s)")  # fmt: skip
    if "delayed_queue_after" in row:
        q = row["delayed_queue_after"]
        scheduled = row["scheduled_refreshes_run"]
        return (f"once the held refresh was due: {row['debounced_refreshes_run']} debounced "
                f"refreshes run, {q['delayed']} delayed messages left in Redis, {q['dead']} "
                f"dead-lettered ({scheduled} scheduled refreshes meanwhile)")  # fmt: skip
    return ""
