"""10. Stability: the server's memory after 50,000 requests within 5% of its
memory after 10,000; after 10,000 subscribe / unsubscribe cycles on spec
WebSocket connections, within 5% of the figure once warmed up (1,000
cycles). One long run each, bounded in time: a row names the counts it
reached."""

from __future__ import annotations

import asyncio
import time

import orjson
from websockets.asyncio.client import ClientConnection

from benchmarks.b07_idle_connections import close_all, open_many, spec_connection
from benchmarks.b08_fanout import subscribe
from benchmarks.harness import Plan, Row, ratio_row, rss_kib
from benchmarks.load import Call, saturate
from benchmarks.stage import Stage

NUMBER = 10
TITLE = "Memory stability"
SOCKETS = 10
MAX_SECONDS = 90.0  # for the cycles
# For all the requests: 50,000 at this machine's 200 to 250 req/s (benchmark
# 1) need about 250 s, and the bound is there only to end a stuck run.
REQUEST_SECONDS = 360.0


async def requests(stage: Stage, plan: Plan, pid: int, base: str) -> Row:
    warm, total = plan.pick((100, 300), (10_000, 50_000))
    call = Call(
        "GET",
        f"{base}/v1/generate/{stage.generation_id}",
        {"Authorization": f"Bearer {stage.tokens[0]}"},
    )
    deadline = time.monotonic() + REQUEST_SECONDS
    first = await saturate(call, seconds=REQUEST_SECONDS, limit=warm)
    after_warm = rss_kib(pid)
    left = max(1.0, deadline - time.monotonic())
    rest = await saturate(call, seconds=left, limit=total - warm)
    done = int(first["requests"] + rest["requests"])
    return ratio_row(
        NUMBER,
        f"RSS after {done:,} requests vs after {int(first['requests']):,}",
        stage.backend,
        "MiB",
        rss_kib(pid) / 1024,
        after_warm / 1024,
        op="<=",
        target=1.05,
        errors=first["errors"] + rest["errors"],
        rps=rest["rps"],
    )


async def cycles(stage: Stage, plan: Plan, pid: int, base: str) -> Row:
    warm, total = plan.pick((20, 60), (1_000, 10_000))
    tokens = await stage.more_callers(2)
    generation_id = stage.team_generation_id
    held = await open_many(spec_connection, base.replace("http", "ws"), tokens, SOCKETS)
    deadline = time.monotonic() + MAX_SECONDS
    try:
        done = await run_cycles(held, generation_id, warm, deadline)
        after_warm = rss_kib(pid)
        done += await run_cycles(held, generation_id, total - warm, deadline)
    finally:
        await close_all(held)
    return ratio_row(
        NUMBER,
        f"RSS after {done:,} subscribe/unsubscribe cycles vs after {warm:,}",
        stage.backend,
        "MiB",
        rss_kib(pid) / 1024,
        after_warm / 1024,
        op="<=",
        target=1.05,
    )


async def run_cycles(
    held: list[ClientConnection], generation_id: str, count: int, deadline: float
) -> int:
    """``count`` cycles spread over the sockets; how many ran."""

    async def on(ws: ClientConnection, share: int) -> int:
        done = 0
        for _ in range(share):
            if time.monotonic() > deadline:
                break
            subscription = await subscribe(ws, generation_id)
            message = {"type": "unsubscribe", "subscription_id": subscription}
            await ws.send(orjson.dumps(message).decode())
            while orjson.loads(await ws.recv())["type"] != "unsubscribed":
                pass
            done += 1
        return done

    share = max(1, count // len(held))
    return sum(await asyncio.gather(*(on(ws, share) for ws in held)))


async def run(stage: Stage, plan: Plan) -> list[Row]:
    await stage.more_callers(1)  # the team and its running generation
    process, base = stage.harvest()
    return [
        await requests(stage, plan, process.pid, base),
        await cycles(stage, plan, process.pid, base),
    ]
