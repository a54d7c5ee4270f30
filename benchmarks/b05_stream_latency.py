"""5. Streaming latency: the time to the first content chunk through
``POST /v1/generate/stream``, minus the time to the first content chunk of
the openai SDK calling the same model server directly: p50 at most 2 ms and
p99 at most 5 ms added, with 1 and with 50 streams at once. No buffering:
the gaps between chunks follow the model server's (median gap within 2 ms of
the SDK's). A keep-alive reaches the client while the model server is
silent for 30 s (full run only)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from benchmarks.harness import (
    Plan,
    Row,
    absolute_row,
    added_row,
    interleave,
    percentile,
)
from benchmarks.sse import Stream, direct_stream, harvest_stream, sdk_client
from benchmarks.stage import Stage

NUMBER = 5
TITLE = "Time to first SSE chunk"
SILENCE_SECONDS = 30.0


def figures(streams: list[Stream]) -> dict[str, float]:
    firsts = [s.first for s in streams if s.chunks]
    gaps = [g for s in streams for g in s.gaps]
    return {
        "p50_ms": percentile(firsts, 50) * 1000,
        "p99_ms": percentile(firsts, 99) * 1000,
        "gap_p50_ms": percentile(gaps, 50) * 1000,
        "incomplete": float(sum(not s.ended for s in streams)),
        "refused": float(sum(s.status != 200 for s in streams)),
    }


async def waves(run_one: Any, concurrency: int, count: int) -> dict[str, float]:
    streams: list[Stream] = []
    for _ in range(max(1, count // concurrency)):
        streams += await asyncio.gather(*(run_one(n) for n in range(concurrency)))
    return figures(streams)


async def keepalive_check(stage: Stage) -> Row:
    """One stream whose model goes silent for ``SILENCE_SECONDS``."""
    peer_url = stage.model_server(silent_seconds=SILENCE_SECONDS)
    _, base = stage.harvest(HARVEST_OPENAI_MODELS="peer-echo,peer-stall")
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=SILENCE_SECONDS + 60)
    ) as session:
        stream = await harvest_stream(
            session, base, stage.tokens[0], model="peer-stall"
        )
    stage.stop_all()
    del peer_url
    return absolute_row(
        NUMBER,
        f"keep-alives during a {SILENCE_SECONDS:.0f} s silent upstream",
        stage.backend,
        "frames",
        float(len(stream.keepalives)),
        SILENCE_SECONDS,
        op=">=",
        target=1.0,
        chunks=len(stream.chunks),
        completed=stream.ended,
    )


async def at_concurrency(
    plan: Plan, stage: Stage, peer_url: str, base: str, concurrency: int
) -> list[Row]:
    """Both sides with fresh connections each time (an idle pooled one may
    have been closed by the server meanwhile)."""
    count = plan.pick(concurrency * 2, max(50, concurrency * 2))

    async def floor() -> dict[str, float]:
        client = sdk_client(peer_url)
        try:
            return await waves(lambda n: direct_stream(client), concurrency, count)
        finally:
            await client.close()

    async def subject() -> dict[str, float]:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            return await waves(
                lambda n: harvest_stream(
                    session, base, stage.tokens[n % len(stage.tokens)]
                ),
                concurrency,
                count,
            )

    floor_fig, subject_fig, rounds = await interleave(plan, floor, subject)
    rows = [
        added_row(
            NUMBER,
            f"first chunk p{p}, {concurrency} stream(s), added",
            stage.backend,
            "ms",
            subject_fig[f"p{p}_ms"],
            floor_fig[f"p{p}_ms"],
            target=target,
            incomplete=subject_fig["incomplete"],
            refused=subject_fig["refused"],
            rounds=rounds if p == 50 else None,
        )
        for p, target in ((50, 2.0), (99, 5.0))
    ]
    rows.append(
        added_row(
            NUMBER,
            f"median chunk gap, {concurrency} stream(s), added",
            stage.backend,
            "ms",
            subject_fig["gap_p50_ms"],
            floor_fig["gap_p50_ms"],
            target=2.0,
        )
    )
    return rows


async def run(stage: Stage, plan: Plan) -> list[Row]:
    peer_url = stage.model_server()
    _, base = stage.harvest()
    rows: list[Row] = []
    for concurrency in (1, plan.pick(10, 50)):
        rows += await at_concurrency(plan, stage, peer_url, base, concurrency)
    stage.stop_all()
    stage.peer_url = ""
    if not plan.quick:
        rows.append(await keepalive_check(stage))
        stage.peer_url = ""
    return rows
