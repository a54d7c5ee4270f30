"""6. Streaming throughput: content chunks per second delivered to 200 SSE
clients at once through ``POST /v1/generate/stream``, at least 0.5x of a bare
Starlette streaming response relaying the same model server through the same
SDK client."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from benchmarks.harness import Plan, Row, interleave, ratio_row
from benchmarks.sse import harvest_stream
from benchmarks.stage import Stage

NUMBER = 6
TITLE = "SSE throughput to 200 clients"
CLIENTS = 200


async def wave(base: str, stage: Stage, clients: int) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        streams = await asyncio.gather(
            *(
                harvest_stream(session, base, stage.tokens[n % len(stage.tokens)])
                for n in range(clients)
            )
        )
        elapsed = time.perf_counter() - started
    chunks = sum(len(s.chunks) for s in streams)
    return {
        "chunks_per_s": chunks / elapsed,
        "chunks": float(chunks),
        "incomplete": float(sum(not s.ended for s in streams)),
        "refused": float(sum(s.status != 200 for s in streams)),
    }


async def run(stage: Stage, plan: Plan) -> list[Row]:
    stage.model_server()
    _, base = stage.harvest()
    _, relay = stage.floor("sse_relay")
    clients = plan.pick(50, CLIENTS)
    floor, subject, rounds = await interleave(
        plan,
        lambda: wave(relay, stage, clients),
        lambda: wave(base, stage, clients),
    )
    stage.stop_all()
    stage.peer_url = ""
    return [
        ratio_row(
            NUMBER,
            f"SSE chunks/s to {clients} clients vs bare relay",
            stage.backend,
            "chunks/s",
            subject["chunks_per_s"],
            floor["chunks_per_s"],
            op=">=",
            target=0.5,
            incomplete=subject["incomplete"],
            refused=subject["refused"],
            rounds=rounds,
        )
    ]
