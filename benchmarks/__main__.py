"""``python -m benchmarks run [--quick] [--only N[,M]] [--backend B]``: run the
benchmarks, print the table, write JSON under benchmarks/results/."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from dataclasses import replace
from typing import Any

from benchmarks.harness import Plan, Row, pin_load_generator, table, write_results
from benchmarks.stage import Stage

MODULES = {
    1: "b01_rest_read",
    2: "b02_engine",
    3: "b03_document_cache",
    4: "b04_extensions",
    5: "b05_stream_latency",
    6: "b06_stream_throughput",
    7: "b07_idle_connections",
    8: "b08_fanout",
    9: "b09_gateway",
    10: "b10_stability",
}
BACKENDS = ("sqlite", "postgres")


def broken(number: int, title: str, backend: str, exc: Exception) -> Row:
    """The row of a benchmark that raised: nothing measured, never met."""
    nan = float("nan")
    error = f"{type(exc).__name__}: {exc}"[:300]
    return Row(
        number,
        f"{title}: failed",
        backend,
        "",
        nan,
        nan,
        nan,
        0.0,
        "<=",
        "absolute",
        {"errors": 1.0, "error": error},
    )


def benchmark(number: int) -> Any:
    return importlib.import_module(f"benchmarks.{MODULES[number]}")


async def run(
    numbers: list[int], backends: list[str], plan: Plan, started: float
) -> list[Row]:
    rows: list[Row] = []
    for backend in backends:
        chosen = [
            n for n in numbers if backend in getattr(benchmark(n), "BACKENDS", BACKENDS)
        ]
        if not chosen:
            continue
        stage = await Stage.open(backend)
        try:
            for number in chosen:
                module = benchmark(number)
                began = time.monotonic()
                print(f"[{backend}] {number}. {module.TITLE} ...", file=sys.stderr)
                try:
                    found = await module.run(stage, plan)
                except Exception as exc:  # one broken benchmark ends no run
                    found = [broken(number, module.TITLE, backend, exc)]
                stage.stop_all()
                stage.peer_url = ""
                print(
                    f"[{backend}] {number}. done in {time.monotonic() - began:.0f} s",
                    file=sys.stderr,
                )
                print(table(found), file=sys.stderr)
                rows += found
                write_results(rows, quick=plan.quick, started=started)  # so far
        finally:
            await stage.close()
    order = ("-", *BACKENDS)
    return sorted(rows, key=lambda row: (row.number, order.index(row.backend)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="run the benchmarks")
    runner.add_argument("--quick", action="store_true", help="one short round each")
    runner.add_argument("--only", default="", help="benchmark numbers, e.g. 1,9")
    runner.add_argument("--backend", choices=BACKENDS, action="append")
    runner.add_argument(
        "--seconds", type=float, help="length of one load phase (full run: 4)"
    )
    args = parser.parse_args(argv)
    numbers = [int(n) for n in args.only.split(",") if n] or sorted(MODULES)
    backends = args.backend or list(BACKENDS)
    pin_load_generator()
    started = time.time()
    plan = Plan.make(args.quick)
    if args.seconds:
        plan = replace(plan, seconds=args.seconds)
    rows = asyncio.run(run(numbers, backends, plan, started))
    print(table(rows))
    path = write_results(rows, quick=args.quick, started=started)
    print(f"\nwritten: {path.relative_to(path.parents[2])}")
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
