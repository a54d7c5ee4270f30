"""Realtime benchmark (not a test): one ``harvest serve`` process, on loopback.

Reports, each beside a floor measured in the same run (the machine is
shared, so the ratios are the figures to read):

- server memory per idle, subscribed spec WebSocket connection at 1,000 and
  5,000 connections (RSS growth over the count; each connection holds its
  notifications and its own generations feed), against a bare ``websockets``
  echo server holding as many idle sockets;
- the latency from a chunk event being published to its arrival at 1, 100
  and 1,000 subscribers (p50, p99), against that echo server answering the
  same payload to as many clients at once.

Chunks are published the way a runner in another process publishes them:
straight into Redis, on a team's generation channel, with the send time in
the payload; each one is awaited at every subscriber before the next (one
event in flight, as the echo has one round trip in flight per client). So
it needs Redis: ``HARVEST_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/0``). The database is a fresh SQLite file. The
servers run on core 0, this load generator on core 1.

    .venv/bin/python benchmarks/realtime.py
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    Process,
    free_port,
    percentile,
    pin_load_generator,
    rss_kib,
)
from models.base import new_id  # noqa: E402
from models.db import Database  # noqa: E402
from models.team import Membership, Team  # noqa: E402
from models.user import User  # noqa: E402
from resolvers.auth_tokens import issue_access_token  # noqa: E402
from resolvers.context import AppConfig  # noqa: E402
from subscriptions import channels, events  # noqa: E402

REDIS_URL = os.environ.get("HARVEST_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "benchmark-secret-" + "x" * 40
PER_USER = 20  # the enterprise tier's connection limit
CONNECTION_COUNTS = (1_000, 5_000)
# Subscribers, and how many chunks each of them receives.
LATENCY_RUNS = ((1, 400), (100, 200), (1_000, 100))
ROUNDS = 4  # hub and echo alternate, so drift on a shared machine hits both
INTERVAL_SECONDS = 0.005
BATCH = 20
SETTLE_SECONDS = 3.0
CHUNK_TEXT = "The future of renewable energy is bright, "

Opener = Callable[[str, str], Awaitable[ClientConnection]]


def raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, wanted), hard), hard))


async def seed(database_url: str, users: int) -> tuple[list[str], str]:
    """Enterprise users, all in one team; their tokens and the team id."""
    db = Database(database_url)
    config = AppConfig(secret_key=SECRET, public_url="http://127.0.0.1")
    rows = [
        User(
            email=f"bench{n}@example.com", name="Bench", subscription_tier="enterprise"
        )
        for n in range(users)
    ]
    team = Team(name="Bench", owner_id=rows[0].id, invite_code=new_id("inv", 12))
    async with db.session() as session:
        session.add_all(rows)
        await session.flush()
        session.add(team)
        await session.flush()
        for n, user in enumerate(rows):
            role = "owner" if n == 0 else "viewer"
            session.add(Membership(team_id=team.id, user_id=user.id, role=role))
        await session.commit()
    await db.dispose()
    return [issue_access_token(config, user)[0] for user in rows], team.id


def harvest_server(database_url: str, var_dir: Path) -> tuple[Process, str]:
    port = free_port()
    env = {
        "HARVEST_DATABASE_URL": database_url,
        "HARVEST_REDIS_URL": REDIS_URL,
        "HARVEST_SECRET_KEY": SECRET,
        "HARVEST_VAR_DIR": str(var_dir),
        "HARVEST_NO_WORKERS": "true",
    }
    process = Process(
        ["-m", "harvest.cli", "serve", "--port", str(port)],
        env=env,
        health=f"http://127.0.0.1:{port}/healthz",
        log=var_dir.parent / "server.log",
    )
    return process.start(90), f"ws://127.0.0.1:{port}"


async def echo_server(work: Path) -> tuple[Process, str]:
    port = free_port()
    process = Process([__file__, "--echo", str(port)], log=work / "echo.log").start()
    url = f"ws://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            async with connect(url):
                return process, url
        except OSError:
            if time.monotonic() > deadline:
                process.stop()
                raise
            await asyncio.sleep(0.1)


async def send_json(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(message).decode())


async def until(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        frame = orjson.loads(await ws.recv())
        if frame["type"] == kind:
            return dict(frame)
        assert frame["type"] != "error", frame


async def subscribed_connection(url: str, token: str) -> ClientConnection:
    """A spec WebSocket connection subscribed to its user's generation events."""
    ws = await connect(
        f"{url}/v1?token={token}", ping_interval=None, max_queue=None, open_timeout=120
    )
    await until(ws, "connected")
    await send_json(ws, {"type": "subscribe", "channel": "generations"})
    await until(ws, "subscribed")
    return ws


async def bare_connection(url: str, token: str) -> ClientConnection:
    return await connect(url, ping_interval=None, max_queue=None, open_timeout=120)


async def open_many(
    opener: Opener, url: str, tokens: list[str], count: int
) -> list[ClientConnection]:
    opened: list[ClientConnection] = []
    for start in range(0, count, BATCH):
        indices = range(start, min(count, start + BATCH))
        opened += await asyncio.gather(
            *(opener(url, tokens[i // PER_USER]) for i in indices)
        )
    return opened


async def memory_per_connection(
    pid: int, opener: Opener, url: str, tokens: list[str]
) -> tuple[list[ClientConnection], dict[int, float]]:
    """KiB of server RSS per open connection, at each of CONNECTION_COUNTS."""
    await asyncio.sleep(SETTLE_SECONDS)
    baseline = rss_kib(pid)
    opened: list[ClientConnection] = []
    per_connection: dict[int, float] = {}
    for count in CONNECTION_COUNTS:
        more = await open_many(
            opener, url, tokens[len(opened) // PER_USER :], count - len(opened)
        )
        opened += more
        await asyncio.sleep(SETTLE_SECONDS)
        per_connection[count] = (rss_kib(pid) - baseline) / count
    return opened, per_connection


def chunk_payload(index: int) -> bytes:
    event = events.chunk("gen_bench", index=index, text=CHUNK_TEXT, tokens=9)
    return orjson.dumps({**event, "sent_ns": time.time_ns()})


async def arrival(ws: ClientConnection) -> int:
    await ws.recv()
    return time.time_ns()


async def fan_out_latency(
    subscribers: list[ClientConnection], team_id: str, messages: int
) -> list[float]:
    """Milliseconds from PUBLISH to arrival, every chunk at every subscriber."""
    ids = [await until_subscribed(ws, team_id) for ws in subscribers]
    redis = aioredis.from_url(REDIS_URL)
    channel = channels.team_generations(team_id)
    latencies: list[float] = []
    try:
        for index in range(messages):
            waiting = [asyncio.ensure_future(arrival(ws)) for ws in subscribers]
            payload = chunk_payload(index)
            sent = orjson.loads(payload)["sent_ns"]
            await redis.publish(channel, payload)
            arrived = await asyncio.wait_for(asyncio.gather(*waiting), 60)
            latencies += [(at - sent) / 1e6 for at in arrived]
            await asyncio.sleep(INTERVAL_SECONDS)
    finally:
        await redis.aclose()
    for ws, subscription_id in zip(subscribers, ids, strict=True):
        await send_json(ws, {"type": "unsubscribe", "subscription_id": subscription_id})
        await until(ws, "unsubscribed")
    return latencies


async def until_subscribed(ws: ClientConnection, team_id: str) -> str:
    await send_json(
        ws,
        {
            "type": "subscribe",
            "channel": "generations",
            "filters": {"team_id": team_id},
        },
    )
    return str((await until(ws, "subscribed"))["subscription_id"])


async def echo_latency(clients: list[ClientConnection], messages: int) -> list[float]:
    """Milliseconds from send to the echo's arrival, every client at once."""
    latencies: list[float] = []

    async def one(ws: ClientConnection, payload: bytes) -> None:
        started = time.time_ns()
        await ws.send(payload.decode())
        await ws.recv()
        latencies.append((time.time_ns() - started) / 1e6)

    for index in range(messages):
        payload = chunk_payload(index)
        await asyncio.wait_for(
            asyncio.gather(*(one(ws, payload) for ws in clients)), 60
        )
        await asyncio.sleep(INTERVAL_SECONDS)
    return latencies


async def echo_handler(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def run_echo_server(port: int) -> None:
    # No compression, as harvest serve by default.
    async with serve(echo_handler, "127.0.0.1", port, max_queue=None, compression=None):
        await asyncio.Future()


async def close_all(sockets: list[ClientConnection]) -> None:
    for start in range(0, len(sockets), BATCH):
        await asyncio.gather(
            *(ws.close() for ws in sockets[start : start + BATCH]),
            return_exceptions=True,
        )


def print_memory(ours: dict[int, float], bare: dict[int, float]) -> None:
    print("memory per idle connection (KiB of server RSS)")
    print(f"{'connections':>11}  {'harvest':>8}  {'bare echo':>9}  {'ratio':>6}")
    for count in CONNECTION_COUNTS:
        print(
            f"{count:>11,}  {ours[count]:>8.1f}  {bare[count]:>9.1f}"
            f"  {ours[count] / bare[count]:>5.1f}x"
        )


def print_latency(rows: list[tuple[int, list[float], list[float]]]) -> None:
    print("\nlatency, one chunk in flight (ms, p50 / p99)")
    print(
        f"{'subscribers':>11}  {'publish->arrival':>17}  {'bare echo RTT':>17}"
        f"  {'added':>17}  {'ratio':>13}"
    )
    for subscribers, hub, bare in rows:
        hub50, hub99 = percentile(hub, 50), percentile(hub, 99)
        bare50, bare99 = percentile(bare, 50), percentile(bare, 99)
        print(
            f"{subscribers:>11,}  {hub50:>7.2f} / {hub99:>7.2f}"
            f"  {bare50:>7.2f} / {bare99:>7.2f}"
            f"  {hub50 - bare50:>+7.2f} / {hub99 - bare99:>+7.2f}"
            f"  {hub50 / bare50:>4.2f}x / {hub99 / bare99:>4.2f}x"
        )


async def main() -> None:
    pin_load_generator()
    raise_file_limit(4 * max(CONNECTION_COUNTS) + 1_000)
    work = Path(tempfile.mkdtemp(prefix="harvest-bench-realtime-"))
    database_url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    from models.migrations import upgrade

    await asyncio.to_thread(upgrade, database_url)
    tokens, team_id = await seed(database_url, max(CONNECTION_COUNTS) // PER_USER)
    (work / "var").mkdir()
    server, url = harvest_server(database_url, work / "var")
    echo, echo_url = await echo_server(work)
    ours: list[ClientConnection] = []
    bare: list[ClientConnection] = []
    try:
        ours, our_memory = await memory_per_connection(
            server.pid, subscribed_connection, url, tokens
        )
        bare, bare_memory = await memory_per_connection(
            echo.pid, bare_connection, echo_url, tokens
        )
        print_memory(our_memory, bare_memory)

        rows = []
        for subscribers, messages in LATENCY_RUNS:
            hub: list[float] = []
            floor: list[float] = []
            for _ in range(ROUNDS):
                hub += await fan_out_latency(
                    ours[:subscribers], team_id, messages // ROUNDS
                )
                floor += await echo_latency(bare[:subscribers], messages // ROUNDS)
            rows.append((subscribers, hub, floor))
        print_latency(rows)
    finally:
        await close_all(ours)
        await close_all(bare)
        server.stop()
        echo.stop()
    print(f"\nlogs: {work}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--echo":
        asyncio.run(run_echo_server(int(sys.argv[2])))
    else:
        asyncio.run(main())
