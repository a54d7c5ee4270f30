"""8. Fan-out: chunk events of one generation, published through the hub of
the serving process, to 1,000 spec WebSocket subscribers of that generation:
p99 from publish to arrival under 250 ms; server CPU per delivered message
within 2x of a bare endpoint sending one pre-serialised payload to 1,000
bare WebSockets. With Redis, the p99 added over the in-process backend under
2 ms at 1,000 messages a second (to one subscriber: the backplane's own cost,
not the fan-out's)."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson
from websockets.asyncio.client import ClientConnection

from benchmarks.b07_idle_connections import (
    PER_CALLER,
    bare_socket,
    close_all,
    open_many,
    raise_file_limit,
    spec_connection,
)
from benchmarks.harness import (
    Plan,
    Row,
    absolute_row,
    added_row,
    cpu_seconds,
    interleave,
    percentile,
    ratio_row,
)
from benchmarks.stage import Stage
from subscriptions import channels

NUMBER = 8
TITLE = "Fan-out to 1,000 subscribers"
SUBSCRIBERS = 1_000
INTERVAL = 0.2  # between events of the fan-out
RATE = 1_000  # messages a second, for the backplane's added latency
SUBSCRIBE_STEP = 20


async def subscribe(ws: ClientConnection, generation_id: str) -> str:
    """Subscribe to the generation's stream; the subscription id."""
    message = {
        "type": "subscribe",
        "channel": "generation",
        "generation_id": generation_id,
    }
    await ws.send(orjson.dumps(message).decode())
    while True:
        frame = orjson.loads(await ws.recv())
        if frame["type"] == "subscribed":
            return str(frame["subscription_id"])
        assert frame["type"] != "error", frame


async def subscribe_all(sockets: list[ClientConnection], generation_id: str) -> None:
    # In steps: a burst of subscribes all at once waits on the database pool.
    for start in range(0, len(sockets), SUBSCRIBE_STEP):
        step = sockets[start : start + SUBSCRIBE_STEP]
        await asyncio.gather(*(subscribe(ws, generation_id) for ws in step))


async def collect(sockets: list[ClientConnection], messages: int) -> list[float]:
    """Milliseconds from publish to arrival, every message at every socket."""
    latencies: list[float] = []

    async def one(ws: ClientConnection) -> None:
        got = 0
        while got < messages:
            raw = await ws.recv()
            arrived = time.time_ns()
            frame = orjson.loads(raw)
            if "sent_ns" in frame:
                latencies.append((arrived - frame["sent_ns"]) / 1e6)
                got += 1

    await asyncio.wait_for(asyncio.gather(*(one(ws) for ws in sockets)), 120)
    return latencies


async def burst(
    pid: int, trigger: str, sockets: list[ClientConnection], messages: int
) -> dict[str, float]:
    readers = asyncio.create_task(collect(sockets, messages))
    before = cpu_seconds(pid)
    async with httpx.AsyncClient(timeout=120) as client:
        answer = await client.post(trigger)
        assert answer.status_code == 200, answer.text
    latencies = await readers
    used = cpu_seconds(pid) - before
    return {
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "cpu_us_per_message": used / len(latencies) * 1e6,
    }


async def run(stage: Stage, plan: Plan) -> list[Row]:
    raise_file_limit(4 * SUBSCRIBERS)
    tokens = await stage.more_callers(SUBSCRIBERS // PER_CALLER + 1)
    messages = plan.pick(3, 25)
    subscribers = plan.pick(50, SUBSCRIBERS)

    async def floor() -> dict[str, float]:
        process, base = stage.floor("ws_bare", fresh=not plan.quick)
        held: list[ClientConnection] = []
        try:
            held = await open_many(
                bare_socket, base.replace("http", "ws"), tokens, subscribers
            )
            trigger = f"{base}/broadcast?messages={messages}&interval={INTERVAL}"
            return await burst(process.pid, trigger, held, messages)
        finally:
            await close_all(held)
            if not plan.quick:  # quick passes may share programs
                process.stop()

    async def fan_out(**extra: str) -> dict[str, float]:
        process, base = stage.publisher(**extra)
        generation_id = await stage.new_team_generation()
        channel = channels.generation(generation_id)
        held: list[ClientConnection] = []
        try:
            held = await open_many(
                spec_connection, base.replace("http", "ws"), tokens, subscribers
            )
            await subscribe_all(held, generation_id)
            trigger = (
                f"{base}/bench/publish?channel={channel}&generation_id={generation_id}"
                f"&messages={messages}&interval={INTERVAL}"
            )
            return await burst(process.pid, trigger, held, messages)
        finally:
            await close_all(held)
            process.stop()

    bare, ours, rounds = await interleave(plan, floor, fan_out)
    rows = [
        absolute_row(
            NUMBER,
            f"one event to {subscribers:,} subscribers: p99",
            stage.backend,
            "ms",
            ours["p99_ms"],
            bare["p99_ms"],
            op="<=",
            target=250.0,
            p50_ms=ours["p50_ms"],
            rounds=rounds,
        ),
        ratio_row(
            NUMBER,
            "server CPU per delivered message vs bare",
            stage.backend,
            "us",
            ours["cpu_us_per_message"],
            bare["cpu_us_per_message"],
            op="<=",
            target=2.0,
        ),
    ]
    if stage.redis_url:
        rows.append(await backplane(stage, plan, tokens[:1]))
    return rows


async def backplane(stage: Stage, plan: Plan, tokens: list[str]) -> Row:
    """Redis against the in-process backend: 1,000 messages a second."""
    messages = int(RATE * plan.pick(0.3, plan.seconds))

    async def one_subscriber(**extra: str) -> dict[str, float]:
        process, base = stage.publisher(**extra)
        generation_id = await stage.new_team_generation()
        channel = channels.generation(generation_id)
        held: list[ClientConnection] = []
        try:
            held = await open_many(
                spec_connection, base.replace("http", "ws"), tokens, 1
            )
            await subscribe(held[0], generation_id)
            trigger = (
                f"{base}/bench/publish?channel={channel}&generation_id={generation_id}"
                f"&messages={messages}&interval={1 / RATE}"
            )
            return await burst(process.pid, trigger, held, messages)
        finally:
            await close_all(held)
            process.stop()

    memory, redis, rounds = await interleave(
        plan,
        lambda: one_subscriber(HARVEST_REDIS_URL=""),
        lambda: one_subscriber(),
    )
    return added_row(
        NUMBER,
        f"Redis p99 added over in-process, {RATE:,} msg/s",
        stage.backend,
        "ms",
        redis["p99_ms"],
        memory["p99_ms"],
        target=2.0,
        rounds=rounds,
    )
