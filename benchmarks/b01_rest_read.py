"""1. REST read path: ``GET /v1/generate/{id}`` through the shim, against a
bare Starlette endpoint running the same SQLAlchemy queries (throughput at
least 0.6x) and a bare endpoint on the raw driver (at least 0.25x); p99 at
half of the ORM floor's saturation within 3x of that floor's p99."""

from __future__ import annotations

from benchmarks.harness import Plan, Row, interleave, ratio_row
from benchmarks.load import Call, at_rate, saturate
from benchmarks.stage import Stage

NUMBER = 1
TITLE = "REST read path"
CONCURRENCY = 32


def call(base: str, stage: Stage) -> Call:
    return Call(
        "GET",
        f"{base}/v1/generate/{stage.generation_id}",
        {"Authorization": f"Bearer {stage.tokens[0]}"},
    )


async def run(stage: Stage, plan: Plan) -> list[Row]:
    _, harvest_url = stage.harvest()
    _, orm_url = stage.floor("rest_orm")
    _, raw_url = stage.floor("rest_raw")
    seconds = plan.seconds

    async def load(url: str) -> dict[str, float]:
        return await saturate(
            call(url, stage), seconds=seconds, concurrency=CONCURRENCY
        )

    orm_sat, subject_sat, rounds = await interleave(
        plan, lambda: load(orm_url), lambda: load(harvest_url)
    )
    raw_sat, _, raw_rounds = await interleave(
        plan, lambda: load(raw_url), lambda: load(harvest_url)
    )
    rate = orm_sat["rps"] / 2

    async def paced(url: str) -> dict[str, float]:
        return await at_rate(call(url, stage), rate=rate, seconds=seconds)

    orm_half, subject_half, half_rounds = await interleave(
        plan, lambda: paced(orm_url), lambda: paced(harvest_url)
    )
    errors = subject_sat["errors"] + subject_half["errors"]
    return [
        ratio_row(
            NUMBER,
            "GET /generate/{id}: req/s vs SQLAlchemy floor",
            stage.backend,
            "req/s",
            subject_sat["rps"],
            orm_sat["rps"],
            op=">=",
            target=0.6,
            errors=errors,
            rounds=rounds,
        ),
        ratio_row(
            NUMBER,
            "GET /generate/{id}: req/s vs raw-driver floor",
            stage.backend,
            "req/s",
            subject_sat["rps"],
            raw_sat["rps"],
            op=">=",
            target=0.25,
            rounds=raw_rounds,
        ),
        ratio_row(
            NUMBER,
            f"GET /generate/{{id}}: p99 at {rate:.0f} req/s (half floor)",
            stage.backend,
            "ms",
            subject_half["p99_ms"],
            orm_half["p99_ms"],
            op="<=",
            target=3.0,
            rate=rate,
            rounds=half_rounds,
        ),
    ]
