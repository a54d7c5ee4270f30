"""Resource caps on a live server: bodies over 1 MiB are refused with 413
before anything reads them, pages over 100 are refused on every list route, an
oversized WebSocket message closes the connection, and the streams one key can
hold open at once are capped."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from harvest.settings import Settings
from rest_compat.routes import ROUTES
from rest_compat.shim import MAX_BODY_BYTES
from subscriptions.ws_protocol import MAX_MESSAGE_BYTES
from tests.factories import make_user
from tests.resilience.canary import Recorder
from tests.subscriptions.factories import make_api_key
from tests.subscriptions.processes import ServeProcess
from tests.support import LiveServer

SLOW_LIMITS = {"free": {"generations_per_hour": 50, "concurrent_generations": 2}}


def raw_exchange(port: int, head: bytes, chunks: Iterator[bytes]) -> bytes:
    """Send ``head`` then ``chunks`` on a plain socket, stopping as soon as the
    server answers; returns what it answered (the status line and more)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        deadline = time.monotonic() + 5
        while not _complete(answer) and time.monotonic() < deadline:
            try:
                more = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not more:
                break
            answer += more
        return answer


def _complete(answer: bytes) -> bool:
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def head_for(path: str, token: str, framing: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("path", ["/v1/teams", "/graphql", "/v1/auth/login"])
async def test_a_declared_oversized_body_is_refused_with_413_before_it_is_sent(
    app: Starlette, live_server: LiveServer, path: str
) -> None:
    user = await make_user(app)
    head = head_for(path, user.token, f"Content-Length: {MAX_BODY_BYTES * 8}")
    started = time.monotonic()

    answer = await asyncio.to_thread(
        raw_exchange, live_server.port, head, iter([b"", b""])
    )

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code":"VALIDATION_ERROR"' in answer
    assert b'"reason":"too_large"' in answer
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("path", ["/v1/teams", "/graphql"])
async def test_a_chunked_body_is_refused_with_413_once_it_passes_the_cap(
    app: Starlette, live_server: LiveServer, path: str
) -> None:
    user = await make_user(app)
    head = head_for(path, user.token, "Transfer-Encoding: chunked")
    piece = b"x" * 65536
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    # Eight times the cap, never terminated: only an early refusal ends this.
    chunks = iter([frame] * (MAX_BODY_BYTES * 8 // len(piece)))

    answer = await asyncio.to_thread(raw_exchange, live_server.port, head, chunks)

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"reason":"too_large"' in answer


async def test_a_body_just_under_the_cap_is_parsed_and_judged_on_its_fields(
    app: Starlette, live_server: LiveServer, recorder: Recorder
) -> None:
    user = await make_user(app)
    body = orjson.dumps({"name": "x" * (MAX_BODY_BYTES - 64)})

    async with recorder.client(live_server.url) as http:
        response = await http.post(
            "/v1/teams",
            content=body,
            headers={**user.headers, "Content-Type": "application/json"},
        )

    assert len(body) < MAX_BODY_BYTES
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "name"


def list_routes_with_a_limit() -> list[str]:
    return sorted(
        r.path
        for r in ROUTES
        if r.method == "GET" and "limit" in r.query and "{" not in r.path
    )


async def test_every_list_route_refuses_a_page_over_one_hundred(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    paths = list_routes_with_a_limit()

    answers = {
        path: await client.get(f"/v1{path}?limit=101", headers=user.headers)
        for path in paths
    }
    allowed = {
        path: await client.get(f"/v1{path}?limit=100", headers=user.headers)
        for path in paths
    }

    assert len(paths) >= 5
    wrong = {
        p: r.status_code
        for p, r in answers.items()
        if r.status_code != 400 or r.json()["error"]["details"]["field"] != "limit"
    }
    assert wrong == {}
    assert {p: r.status_code for p, r in allowed.items() if r.status_code != 200} == {}


@pytest.fixture
def serve_process(settings: Settings, tmp_path: Path) -> Iterator[ServeProcess]:
    """``harvest serve`` itself, with the WebSocket frame cap it configures."""
    process = ServeProcess(settings, tmp_path / "serve-var").start()
    yield process
    process.stop()


async def ws_closed_by(url: str, message: str, **kwargs: object) -> int | None:
    async with connect(url, max_size=None, **kwargs) as ws:  # type: ignore[arg-type]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(ws.recv(), 5)
        with contextlib.suppress(ConnectionClosed):
            await ws.send(message)
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        return ws.close_code


async def test_an_oversized_websocket_message_closes_the_connection(
    app: Starlette, serve_process: ServeProcess
) -> None:
    user = await make_user(app)
    over_frame_cap = '{"type":"ping","pad":"' + "x" * (2 * 1024 * 1024) + '"}'
    over_message_cap = '{"type":"ping","pad":"' + "x" * MAX_MESSAGE_BYTES + '"}'
    spec_url = f"{serve_process.ws_url}/v1?token={user.token}"
    graphql_url = f"{serve_process.ws_url}/graphql?token={user.token}"

    spec_small = await ws_closed_by(spec_url, over_message_cap)
    spec_big = await ws_closed_by(spec_url, over_frame_cap)
    graphql_big = await ws_closed_by(
        graphql_url, over_frame_cap, subprotocols=["graphql-transport-ws"]
    )

    assert spec_small == 4003
    assert spec_big in (4003, 1009)
    assert graphql_big in (4003, 1009)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        rate_limits=SLOW_LIMITS, offline_writer_delay_seconds=0.05
    )


@contextlib.asynccontextmanager
async def open_stream(
    http: httpx.AsyncClient, key: str
) -> AsyncIterator[httpx.Response]:
    async with http.stream(
        "POST",
        "/v1/generate/stream",
        json={
            "format": "blog",
            "input": "Heat pumps for small offices, explained slowly",
            "options": {"length": "long"},
        },
        headers={"Authorization": f"Bearer {key}"},
    ) as response:
        yield response


async def test_streams_one_key_holds_open_at_once_are_capped(
    app: Starlette, live_server: LiveServer, recorder: Recorder
) -> None:
    user = await make_user(app)
    key = await make_api_key(app, user, permissions=["read", "write"])
    other_key = await make_api_key(app, user, permissions=["read", "write"])

    async with (
        recorder.client(live_server.url) as http,
        open_stream(http, key) as first,
        open_stream(http, key) as second,
    ):
        third = await http.post(
            "/v1/generate/stream",
            json={"format": "summary", "input": "One more stream, please, now."},
            headers={"Authorization": f"Bearer {key}"},
        )
        sibling = await http.post(
            "/v1/generate/stream",
            json={"format": "summary", "input": "And one on another key."},
            headers={"Authorization": f"Bearer {other_key}"},
        )
        open_statuses = (first.status_code, second.status_code)

    assert open_statuses == (200, 200)
    assert third.status_code == 429
    assert third.json()["error"]["details"]["bucket"] == "concurrent_generations"
    assert sibling.status_code == 429
