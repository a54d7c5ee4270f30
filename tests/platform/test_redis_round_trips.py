"""With Redis, counting a request costs one round trip: one command (the charge
script) per request, read off the wire by a proxy between the app and Redis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from starlette.applications import Starlette

from harvest.settings import Settings
from tests.conftest import REDIS_URL
from tests.factories import make_user
from tests.peers.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(
    REDIS_URL is None, reason="needs HARVEST_TEST_REDIS_URL"
)

RATE_LIMIT_KEYS = b"harvest:rl:"


class CommandLog:
    """The Redis commands clients send, parsed from the RESP arrays they write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, bytes] = {}
        self.commands: list[list[bytes]] = []

    def feed(self, connection: int, data: bytes) -> None:
        with self._lock:
            buffer = self._pending.get(connection, b"") + data
            while (parsed := parse_command(buffer)) is not None:
                command, buffer = parsed
                self.commands.append(command)
            self._pending[connection] = buffer

    def rate_limit_commands(self) -> list[bytes]:
        """Names of the commands that touched rate-limit keys."""
        with self._lock:
            return [
                command[0].upper()
                for command in self.commands
                if any(arg.startswith(RATE_LIMIT_KEYS) for arg in command[1:])
            ]

    def clear(self) -> None:
        with self._lock:
            self.commands.clear()


def parse_command(buffer: bytes) -> tuple[list[bytes], bytes] | None:
    """One ``*<n>`` array of bulk strings off the front of ``buffer``, or None
    while it is incomplete."""
    if not buffer.startswith(b"*"):
        return None
    end = buffer.find(b"\r\n")
    if end < 0:
        return None
    count, position, parts = int(buffer[1:end]), end + 2, []
    for _ in range(count):
        end = buffer.find(b"\r\n", position)
        if end < 0:
            return None
        size = int(buffer[position + 1 : end])
        start = end + 2
        if len(buffer) < start + size + 2:
            return None
        parts.append(buffer[start : start + size])
        position = start + size + 2
    return parts, buffer[position:]


@pytest.fixture
def log() -> CommandLog:
    return CommandLog()


@pytest.fixture
def proxy(log: CommandLog) -> Iterator[TcpProxy]:
    target = urlsplit(REDIS_URL or "")
    peer = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379, tap=log.feed)
    peer.start()
    yield peer
    peer.close()


@pytest.fixture
def settings(settings: Settings, proxy: TcpProxy) -> Settings:
    target = urlsplit(REDIS_URL or "")
    through_proxy = urlunsplit(target._replace(netloc=f"127.0.0.1:{proxy.port}"))
    return settings.with_overrides(redis_url=through_proxy)


async def test_each_request_is_counted_with_one_redis_command(
    app: Starlette, client: httpx.AsyncClient, log: CommandLog
) -> None:
    user = await make_user(app, tier="pro")
    await client.get("/v1/openapi.json", headers=user.headers)
    log.clear()

    for _ in range(3):
        await client.get("/v1/openapi.json", headers=user.headers)
        await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers=user.headers
        )
    await client.get("/v1/no-such-route")

    assert log.rate_limit_commands() == [b"EVALSHA"] * 7
    assert len(log.commands) == 7


async def test_a_generation_start_charges_both_its_buckets_in_one_command(
    app: Starlette, client: httpx.AsyncClient, log: CommandLog
) -> None:
    user = await make_user(app, tier="pro")
    await client.get("/v1/openapi.json", headers=user.headers)
    log.clear()

    answer = await client.post(
        "/v1/generate",
        json={"format": "summary", "input": "Wind farms grow offshore. " * 5},
        headers=user.headers,
    )

    assert answer.status_code == 200, answer.text
    assert log.rate_limit_commands() == [b"EVALSHA", b"EVALSHA", b"ZREM"]
