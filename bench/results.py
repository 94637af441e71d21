"""Where a benchmark leaves its numbers: ``bench/results/<name>.{json,md}`` (not committed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path("bench/results")


def keep(name: str, result: dict[str, Any], report: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2))
    (OUT / f"{name}.md").write_text(report + "\n")
    print(report)
