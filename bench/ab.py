"""Two commits side by side: the uncached leaderboard page served by each, request by request.

    python -m bench.ab --url mysql+aiomysql://... --redis-url redis://... --day 2026-11-20 \\
        BASE [OTHER] [--requests 200]

On a noisy machine, runs of the same code minutes apart differ by more than most changes
do, so a change is measured against its base in one run: one ``prodhub serve`` process per
commit (each from a git worktree of it, with this checkout's virtualenv, the response cache
off), one client that sends each request to both, in alternating order, and the ratio of
each pair of latencies. Both must answer the same bytes. OTHER defaults to the working tree.
Writes ``bench/results/ab.{md,json}``.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import results
from bench.cached_load import server
from core.settings import Settings
from tests.helpers import ADMIN, LEADERBOARD_PAGE, bearer

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def checkout(commit: str | None, into: Path) -> Any:
    """A worktree of ``commit`` (None: this working tree, as it is)."""
    if commit is None:
        yield ROOT
        return
    tree = into / commit.replace("/", "_")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), commit],
                   check=True)  # fmt: skip
    try:
        yield tree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                       check=True)  # fmt: skip


def compare(
    url: str, redis_url: str, day: date, commits: list[str | None], requests: int
) -> dict[str, Any]:
    names = [c or "working tree" for c in commits]
    headers = {"Content-Type": "application/json",
               **bearer(ADMIN, now=datetime.now(UTC), secret=Settings().signing_key)}  # fmt: skip
    body = orjson.dumps(
        {"query": LEADERBOARD_PAGE, "variables": {"first": 50, "day": day.isoformat()}}
    )
    with ExitStack() as stack:
        temp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        clients = []
        for commit in commits:
            tree = stack.enter_context(checkout(commit, temp))
            base = stack.enter_context(
                server(url, redis_url, access_log=False, tree=tree, cache=False)
            )
            clients.append(stack.enter_context(httpx.Client(base_url=base, headers=headers)))
        answers = set()
        for client in clients:
            for _ in range(10):  # warm-up: pools, statement caches
                response = client.post("/graphql", content=body)
            assert "errors" not in response.json(), response.text[:300]
            answers.add(response.content)
        if len(answers) != 1:
            raise SystemExit("the commits answer differently: the comparison is meaningless")
        latencies: list[list[float]] = [[] for _ in clients]
        for i in range(requests):
            for k in range(len(clients)) if i % 2 == 0 else reversed(range(len(clients))):
                started = time.perf_counter()
                clients[k].post("/graphql", content=body)
                latencies[k].append((time.perf_counter() - started) * 1000)
    ratios = sorted(b / a for a, b in zip(*latencies, strict=True))
    return {
        "day": day.isoformat(),
        "requests": requests,
        "commits": names,
        "p50_ms": [statistics.median(x) for x in latencies],
        "p95_ms": [sorted(x)[round(len(x) * 0.95) - 1] for x in latencies],
        "paired_ratio": {
            q: ratios[round((len(ratios) - 1) * f)]
            for q, f in (("p25", 0.25), ("p50", 0.5), ("p75", 0.75))
        },
        "raw": latencies,
    }


def report(result: dict[str, Any]) -> str:
    base, other = result["commits"]
    r = result["paired_ratio"]
    lines = [
        f"The uncached leaderboard page (`first: 50`, {result['day']}), {result['requests']} "
        "requests to each commit's `prodhub serve`, alternately.",
        "",
        "| commit | p50 ms | p95 ms |",
        "|---|---:|---:|",
        *(
            f"| {name} | {p50:.1f} | {p95:.1f} |"
            for name, p50, p95 in zip(
                result["commits"], result["p50_ms"], result["p95_ms"], strict=True
            )
        ),
        "",
        f"Paired ratio {other} / {base}: median **{r['p50']:.3f}** "
        f"(quartiles {r['p25']:.3f} to {r['p75']:.3f}).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__, redis=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("base")
    parser.add_argument("other", nargs="?")
    args = parser.parse_args()
    result = compare(args.url, args.redis_url, args.day, [args.base, args.other], args.requests)
    results.keep("ab", result, report(result))


if __name__ == "__main__":
    main()
