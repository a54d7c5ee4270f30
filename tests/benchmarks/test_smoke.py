"""The benchmarks' smoke pass: every benchmark once, at its quick sizes with no
warm-up, on SQLite, with loose bounds: a ratio 20 times off its target, or
a latency over ten seconds, means a benchmark or the path it measures broke
(the targets themselves are for the full run, ``python -m benchmarks run``).
One test, so that the ten run in order in one process. Their times are
printed, not asserted: a timed test fails on a slow machine, and speed is the
full run's to judge."""

from __future__ import annotations

import math
import time

import pytest

from benchmarks.__main__ import MODULES, benchmark
from benchmarks.harness import Plan, Row
from benchmarks.stage import Stage
from tests.conftest import PG_URL

LOOSE = 20.0  # ratios, memory and counts: within 20x of the target (cold, short)
SLOWEST_MS = 10_000.0  # latencies: a request or stream over 10 s is broken


def within_loose_bounds(row: Row) -> bool:
    if row.unit == "ms":  # queueing past saturation makes latency ratios huge
        return row.subject <= SLOWEST_MS
    if row.op == ">=":
        return row.value >= row.target / LOOSE
    return row.value <= row.target * LOOSE


@pytest.mark.skipif(
    PG_URL is not None,
    reason="the smoke pass stages its own SQLite servers whatever the suite's "
    "backend; the embedded-defaults pass runs it",
)
async def test_every_benchmark_runs_its_quick_pass_within_loose_bounds() -> None:
    stage = await Stage.open("sqlite")
    stage.keep = True  # one harvest serve for the benchmarks that can share it
    spent: dict[int, float] = {}
    rows: list[Row] = []
    try:
        for number in sorted(MODULES):
            started = time.monotonic()
            rows += await benchmark(number).run(stage, Plan.smoke())
            stage.peer_url = ""
            spent[number] = round(time.monotonic() - started, 1)
    finally:
        await stage.close()

    assert {row.number for row in rows} == set(MODULES)
    for row in rows:
        assert math.isfinite(row.value), row
        assert not row.failures, row
        assert within_loose_bounds(row), row
    print("smoke pass, seconds per benchmark:", spent)
