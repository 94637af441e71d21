"""Where a benchmark leaves its numbers: ``bench/results/<name>.{json,md}`` (not committed)."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

OUT = Path("bench/results")


def keep(name: str, result: dict[str, Any], report: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2))
    (OUT / f"{name}.md").write_text(report + "\n")
    print(report)


def arguments(doc: str | None, *, redis: bool = False) -> argparse.ArgumentParser:
    """A benchmark's command line: ``--url`` (the seeded database), ``--day`` (its last day)
    and, for those that start a server with its cache, ``--redis-url``; the module's
    docstring's first paragraph as its description."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--url", required=True)
    if redis:
        parser.add_argument("--redis-url", required=True)
    parser.add_argument("--day", type=date.fromisoformat, required=True)
    return parser
