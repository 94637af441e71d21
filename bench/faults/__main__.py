"""``python -m bench.faults --source DIR [--source DIR ...]``: the fault benchmark on each
source tree's code in turn (a column each), one table side by side, written to
``bench/results/faults.{md,json}``. ``bench/faults/run`` runs it on the code before the
fault fixes and on this working tree."""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

from bench import results
from bench.faults.column import NAMES, column
from bench.faults.report import table


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faults")
    parser.add_argument(
        "--source",
        type=Path,
        action="append",
        required=True,
        help="a checkout whose code the processes run (repeat: a column each)",
    )
    parser.add_argument(
        "--label", action="append", default=[], help="a column's name, in the order of --source"
    )
    parser.add_argument("--only", action="append", default=[], choices=NAMES)
    parser.add_argument("--keep", type=Path, help="keep each column's logs and data under here")
    args = parser.parse_args()  # fmt: skip
    labels = args.label + [str(s) for s in args.source[len(args.label) :]]
    columns = {}
    for label, source in zip(labels, args.source, strict=True):
        print(f"==> {label}: {source}", flush=True)
        columns[label] = column(source.resolve(), args.only, args.keep)
    machine = {"cpus": _cpus(), "python": platform.python_version()}
    report = f"Machine: {machine['cpus']}, Python {machine['python']}.\n\n{table(columns)}"
    results.keep("faults", {"machine": machine, "columns": columns}, report)


def _cpus() -> str:
    import os

    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")  # fmt: skip
    return f"{os.cpu_count()} x {model}"


if __name__ == "__main__":
    main()
