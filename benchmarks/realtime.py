"""Realtime benchmark (not a test): one ``harvest serve`` process.

Reports
- server memory per idle, subscribed spec WebSocket connection at 1,000 and
  5,000 connections (RSS growth divided by the connection count);
- the latency from a chunk event being published on a channel to its arrival
  at each subscribed client, at 1, 100 and 1,000 subscribers (p50, p99),
  beside a bare websocket echo server answering the same payload to the same
  number of clients in the same run.

Chunks are published the way a runner in another process publishes them:
straight into Redis, on a team's generation channel, with the send time in
the payload. So it needs Redis: ``HARVEST_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/0``). The database is a fresh SQLite file.

    .venv/bin/python benchmarks/realtime.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.base import new_id  # noqa: E402
from models.db import Database  # noqa: E402
from models.team import Membership, Team  # noqa: E402
from models.user import User  # noqa: E402
from resolvers.auth_tokens import issue_access_token  # noqa: E402
from resolvers.context import AppConfig  # noqa: E402
from subscriptions import channels  # noqa: E402

REDIS_URL = os.environ.get("HARVEST_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "benchmark-secret-" + "x" * 40
PER_USER = 20  # the enterprise tier's connection limit
CONNECTION_COUNTS = (1_000, 5_000)
SUBSCRIBER_COUNTS = (1, 100, 1_000)
MESSAGES = 200
INTERVAL_SECONDS = 0.01
CHUNK_TEXT = "The future of renewable energy is bright, "


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


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


def start_server(
    database_url: str, var_dir: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "HARVEST_DATABASE_URL": database_url,
        "HARVEST_REDIS_URL": REDIS_URL,
        "HARVEST_SECRET_KEY": SECRET,
        "HARVEST_VAR_DIR": str(var_dir),
        "HARVEST_NO_WORKERS": "true",
        "HARVEST_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "harvest.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(var_dir.parent / "server.log").open("wb"),
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                return process, f"ws://127.0.0.1:{port}"
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("harvest serve did not start")


async def open_subscribed(url: str, token: str) -> ClientConnection:
    ws = await connect(f"{url}/v1?token={token}", max_queue=None)
    connected = orjson.loads(await ws.recv())
    assert connected["type"] == "connected", connected
    return ws


async def subscribe_team(ws: ClientConnection, team_id: str) -> str:
    """Subscribe to the team's generation events; the subscription id."""
    message = {
        "type": "subscribe",
        "channel": "generations",
        "filters": {"team_id": team_id},
    }
    await ws.send(orjson.dumps(message).decode())
    frame = orjson.loads(await ws.recv())
    assert frame["type"] == "subscribed", frame
    return str(frame["subscription_id"])


async def unsubscribe(ws: ClientConnection, subscription_id: str) -> None:
    message = {"type": "unsubscribe", "subscription_id": subscription_id}
    await ws.send(orjson.dumps(message).decode())
    while orjson.loads(await ws.recv())["type"] != "unsubscribed":
        pass


async def open_many(url: str, tokens: list[str], count: int) -> list[ClientConnection]:
    opened: list[ClientConnection] = []
    batch = 200
    for start in range(0, count, batch):
        indices = range(start, min(count, start + batch))
        opened += await asyncio.gather(
            *(open_subscribed(url, tokens[i // PER_USER]) for i in indices)
        )
    return opened


def chunk(index: int) -> dict[str, Any]:
    return {
        "type": "generation_chunk",
        "generation_id": "gen_bench",
        "chunk": CHUNK_TEXT,
        "chunk_index": index,
        "tokens": 9,
        "sent_ns": time.time_ns(),
    }


async def hub_latency(subscribers: list[ClientConnection], team_id: str) -> list[float]:
    """Milliseconds from PUBLISH to arrival, for every message at every client."""
    latencies: list[float] = []

    async def collect(ws: ClientConnection) -> None:
        for _ in range(MESSAGES):
            raw = await ws.recv()
            arrived = time.time_ns()
            frame = orjson.loads(raw)
            latencies.append((arrived - frame["sent_ns"]) / 1e6)

    redis = aioredis.from_url(REDIS_URL)
    readers = [asyncio.create_task(collect(ws)) for ws in subscribers]
    channel = channels.team_generations(team_id)
    for index in range(MESSAGES):
        await redis.publish(channel, orjson.dumps(chunk(index)))
        await asyncio.sleep(INTERVAL_SECONDS)
    await asyncio.wait_for(asyncio.gather(*readers), 120)
    await redis.aclose()
    return latencies


async def echo_handler(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def echo_latency(url: str, clients: int) -> list[float]:
    """Milliseconds from send to the echo's arrival, every client at once."""
    sockets = [await connect(url, max_queue=None) for _ in range(clients)]
    latencies: list[float] = []

    async def one(ws: ClientConnection, index: int) -> None:
        payload = orjson.dumps(chunk(index)).decode()
        started = time.time_ns()
        await ws.send(payload)
        await ws.recv()
        latencies.append((time.time_ns() - started) / 1e6)

    for index in range(MESSAGES):
        await asyncio.gather(*(one(ws, index) for ws in sockets))
        await asyncio.sleep(INTERVAL_SECONDS)
    for ws in sockets:
        await ws.close()
    return latencies


def echo_server_process() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--echo", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    return process, f"ws://127.0.0.1:{port}"


async def run_echo_server(port: int) -> None:
    async with serve(echo_handler, "127.0.0.1", port, max_queue=None):
        await asyncio.Future()


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="harvest-bench-"))
    database_url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    from models.migrations import upgrade

    await asyncio.to_thread(upgrade, database_url)
    users = max(CONNECTION_COUNTS) // PER_USER
    tokens, team_id = await seed(database_url, users)
    server, url = start_server(database_url, work / "var")
    echo, echo_url = echo_server_process()
    try:
        await asyncio.sleep(1)
        baseline = rss_kib(server.pid)
        print(f"server RSS, no connections: {baseline / 1024:.1f} MiB")
        opened: list[ClientConnection] = []
        for count in CONNECTION_COUNTS:
            opened += await open_many(
                url, tokens[len(opened) // PER_USER :], count - len(opened)
            )
            await asyncio.sleep(2)
            grown = rss_kib(server.pid) - baseline
            print(
                f"{count:>5} idle connections: +{grown / 1024:.1f} MiB, "
                f"{grown / count:.1f} KiB per connection"
            )

        print(
            f"\nlatency, {MESSAGES} chunks every {INTERVAL_SECONDS * 1000:.0f} ms "
            "(ms; p50 / p99)"
        )
        print(
            f"{'subscribers':>11}  {'hub publish->arrival':>22}  {'bare echo RTT':>15}"
        )
        for subscribers in SUBSCRIBER_COUNTS:
            chosen = opened[:subscribers]
            ids = await asyncio.gather(*(subscribe_team(ws, team_id) for ws in chosen))
            hub = await hub_latency(chosen, team_id)
            bare = await echo_latency(echo_url, subscribers)
            hub50, hub99 = percentile(hub, 50), percentile(hub, 99)
            bare50, bare99 = percentile(bare, 50), percentile(bare, 99)
            print(
                f"{subscribers:>11}  {hub50:>9.2f} / {hub99:>8.2f}"
                f"   {bare50:>6.2f} / {bare99:>6.2f}"
            )
            await asyncio.gather(
                *(unsubscribe(ws, i) for ws, i in zip(chosen, ids, strict=True))
            )
        for ws in opened:
            await ws.close()
    finally:
        server.terminate()
        echo.terminate()
        server.wait(30)
        echo.wait(10)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--echo":
        asyncio.run(run_echo_server(int(sys.argv[2])))
    else:
        asyncio.run(main())
