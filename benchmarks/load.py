"""HTTP load on loopback with aiohttp: closed loop (saturation) and open loop
(a fixed rate, latency counted from when each request was due)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from benchmarks.harness import percentile

MAX_IN_FLIGHT = 256


@dataclass(frozen=True)
class Call:
    """One request, sent again and again."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None
    expect: int = 200


def _session(connections: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    )


async def _send(session: aiohttp.ClientSession, call: Call) -> bool:
    async with session.request(
        call.method, call.url, headers=call.headers, data=call.body
    ) as response:
        await response.read()
        return response.status == call.expect


def _figures(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    return {
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": float(errors),
        "requests": float(len(latencies)),
    }


async def saturate(
    call: Call, *, seconds: float, concurrency: int = 32, limit: int | None = None
) -> dict[str, float]:
    """As many requests as ``concurrency`` clients can make in ``seconds``
    (or until ``limit`` requests): throughput and latency."""
    latencies: list[float] = []
    errors = 0
    deadline = 0.0
    budget = [limit if limit is not None else 1 << 62]

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            ok = await _send(session, call)
            latencies.append(time.perf_counter() - started)
            errors += not ok

    async with _session(concurrency) as session:
        await _send(session, call)  # one connection warm before the clock runs
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return _figures(latencies, errors, elapsed)


async def at_rate(call: Call, *, rate: float, seconds: float) -> dict[str, float]:
    """Requests due every ``1 / rate`` seconds for ``seconds``; each latency
    runs from when the request was due, so a stalled server is not hidden."""
    latencies: list[float] = []
    errors = 0
    count = max(1, int(rate * seconds))
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(session: aiohttp.ClientSession, due: float) -> None:
        nonlocal errors
        async with gate:
            ok = await _send(session, call)
        latencies.append(time.perf_counter() - due)
        errors += not ok

    async with _session(MAX_IN_FLIGHT) as session:
        await _send(session, call)
        tasks: list[asyncio.Task[Any]] = []
        start = time.perf_counter()
        for n in range(count):
            due = start + n / rate
            pause = due - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            tasks.append(asyncio.create_task(one(session, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return _figures(latencies, errors, elapsed)
