"""7. Idle connections: 10,000 idle ``graphql-transport-ws`` subscriptions and
10,000 spec WebSocket connections, each kind held by one ``harvest serve``
process (a fresh one per kind);
the server's memory per connection (RSS growth over the count, in KB of
1,000 bytes) at most 3x
that of a bare Starlette WebSocket endpoint holding 10,000 idle sockets in
the same run, and under 60 KB. Each round starts fresh processes."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.harness import Plan, Row, absolute_row, interleave, ratio_row, rss_kib
from benchmarks.stage import Stage

NUMBER = 7
TITLE = "Memory of idle connections"
CONNECTIONS = 10_000
PER_CALLER = 20  # the enterprise tier's connection limit
BATCH = 50
OPEN_TIMEOUT = 60.0  # a busy server takes its time over 10,000 handshakes
SETTLE_SECONDS = 2.0
SUBSCRIBE = {
    "id": "1",
    "type": "subscribe",
    "payload": {"query": "subscription { notificationReceived { id } }"},
}


def raise_file_limit(wanted: int) -> None:
    """Room for this many sockets here and in the servers (inherited)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (max(soft, wanted), max(hard, wanted))
        )
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def bare_socket(url: str, token: str) -> ClientConnection:
    return await connect(
        f"{url}/ws", ping_interval=None, max_queue=4, open_timeout=OPEN_TIMEOUT
    )


async def graphql_subscription(url: str, token: str) -> ClientConnection:
    ws = await connect(
        f"{url}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        ping_interval=None,
        max_queue=4,
        open_timeout=OPEN_TIMEOUT,
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(orjson.dumps(init).decode())
    ack = orjson.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    await ws.send(orjson.dumps(SUBSCRIBE).decode())
    return ws


async def spec_connection(url: str, token: str) -> ClientConnection:
    ws = await connect(
        f"{url}/v1?token={token}",
        ping_interval=None,
        max_queue=4,
        open_timeout=OPEN_TIMEOUT,
    )
    connected = orjson.loads(await ws.recv())
    assert connected["type"] == "connected", connected
    return ws


Opener = Callable[[str, str], Awaitable[ClientConnection]]


async def open_many(
    opener: Opener, url: str, tokens: list[str], count: int
) -> list[ClientConnection]:
    opened: list[ClientConnection] = []
    for start in range(0, count, BATCH):
        indices = range(start, min(count, start + BATCH))
        opened += await asyncio.gather(
            *(opener(url, tokens[i // PER_CALLER]) for i in indices)
        )
    return opened


async def grown_kb(
    pid: int,
    opener: Opener,
    url: str,
    tokens: list[str],
    count: int,
    held: list[ClientConnection],
) -> float:
    before = rss_kib(pid)
    held += await open_many(opener, url, tokens, count)
    await asyncio.sleep(SETTLE_SECONDS)
    return (rss_kib(pid) - before) * 1.024 / count  # KB


async def close_all(held: list[ClientConnection]) -> None:
    for start in range(0, len(held), 500):
        await asyncio.gather(
            *(ws.close() for ws in held[start : start + 500]), return_exceptions=True
        )
    held.clear()


async def run(stage: Stage, plan: Plan) -> list[Row]:
    count = plan.pick(100, CONNECTIONS)
    raise_file_limit(count + 2_000)
    callers = await stage.more_callers(2 * count // PER_CALLER + 1)
    graphql_tokens, spec_tokens = (
        callers[: count // PER_CALLER + 1],
        callers[count // PER_CALLER + 1 :],
    )
    figures: dict[str, Any] = {}

    async def floor() -> dict[str, float]:
        process, base = stage.floor("ws_bare", fresh=not plan.quick)
        held: list[ClientConnection] = []
        try:
            await asyncio.sleep(0.5)
            url = base.replace("http", "ws")
            per = await grown_kb(
                process.pid, bare_socket, url, spec_tokens, count, held
            )
        finally:
            await close_all(held)
            if not plan.quick:  # quick passes may share programs
                process.stop()
        return {"kb": per}

    async def held_by_harvest(opener: Opener, tokens: list[str]) -> float:
        """KB per connection of ``count`` connections of one kind, held by a
        fresh server: one kind at a time, so that each process holds what the
        floor holds (20,000 at once would pass this sandbox's file limit)."""
        process, base = stage.harvest(fresh=not plan.quick)
        held: list[ClientConnection] = []
        try:
            await asyncio.sleep(0.5)
            url = base.replace("http", "ws")
            per = await grown_kb(process.pid, opener, url, tokens, count, held)
            figures["rss_mib"] = max(
                figures.get("rss_mib", 0.0), rss_kib(process.pid) / 1024
            )
        finally:
            await close_all(held)
            if not plan.quick:  # quick passes may share programs
                process.stop()
        return per

    async def subject() -> dict[str, float]:
        return {
            "graphql_kb": await held_by_harvest(graphql_subscription, graphql_tokens),
            "spec_kb": await held_by_harvest(spec_connection, spec_tokens),
        }

    # Fresh processes every round: a warm-up pass would only cost time.
    bare, ours, rounds = await interleave(replace(plan, warm=False), floor, subject)
    rows: list[Row] = []
    for kind, key in (
        ("graphql-transport-ws subscription", "graphql_kb"),
        ("spec WebSocket connection", "spec_kb"),
    ):
        rows.append(
            ratio_row(
                NUMBER,
                f"KB per idle {kind} vs bare socket ({count:,})",
                stage.backend,
                "KB",
                ours[key],
                bare["kb"],
                op="<=",
                target=3.0,
                rounds=rounds,
                server_rss_mib=figures.get("rss_mib"),
            )
        )
        rows.append(
            absolute_row(
                NUMBER,
                f"KB per idle {kind}",
                stage.backend,
                "KB",
                ours[key],
                bare["kb"],
                op="<=",
                target=60.0,
            )
        )
    return rows
