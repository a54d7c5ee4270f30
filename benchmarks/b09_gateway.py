"""9. Gateway overhead: ``POST /v1/generate`` against the loopback
OpenAI-compatible model server, minus the openai SDK making the same
streaming call to that server directly: p50 at most 3 ms and p99 at most
8 ms added, with the generation persisted and usage counted."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import openai
import orjson

from benchmarks.harness import Plan, Row, added_row, interleave, percentile
from benchmarks.stage import PEER_MODEL, Stage

NUMBER = 9
TITLE = "Gateway overhead of POST /v1/generate"
BODY = {"format": "blog", "input": "renewable energy", "options": {"model": PEER_MODEL}}
MESSAGES = [{"role": "user", "content": "Write a blog post about renewable energy."}]


def figures(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


async def direct(peer_url: str, count: int) -> dict[str, float]:
    """The SDK straight to the model server, as the gateway calls it."""
    client = openai.AsyncOpenAI(api_key="sk-bench", base_url=peer_url, max_retries=0)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        stream = await client.chat.completions.create(
            model=PEER_MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        usage = None
        async for event in stream:
            usage = event.usage or usage
        latencies.append(time.perf_counter() - started)
        assert usage is not None
    await client.close()
    return figures(latencies)


async def through_gateway(base: str, stage: Stage, count: int) -> dict[str, float]:
    latencies = []
    async with aiohttp.ClientSession() as session:
        for n in range(count):
            token = stage.tokens[n % len(stage.tokens)]
            started = time.perf_counter()
            async with session.post(
                f"{base}/v1/generate",
                data=orjson.dumps(BODY),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                },
            ) as response:
                payload = await response.read()
            latencies.append(time.perf_counter() - started)
            answer: dict[str, Any] = orjson.loads(payload)
            assert response.status == 200, answer
            assert answer["generation"]["status"] == "completed", answer
            assert answer["usage"]["generations_today"] >= 1, answer
    return figures(latencies)


async def run(stage: Stage, plan: Plan) -> list[Row]:
    peer_url = stage.model_server()
    _, base = stage.harvest()
    count = plan.pick(10, 100)
    floor, subject, rounds = await interleave(
        plan,
        lambda: direct(peer_url, count),
        lambda: through_gateway(base, stage, count),
    )
    stage.stop_all()
    stage.peer_url = ""
    return [
        added_row(
            NUMBER,
            f"POST /generate: p{p} added over the SDK direct",
            stage.backend,
            "ms",
            subject[f"p{p}_ms"],
            floor[f"p{p}_ms"],
            target=target,
            rounds=rounds,
        )
        for p, target in ((50, 3.0), (99, 8.0))
    ]
