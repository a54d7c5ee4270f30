"""A client that hangs up while its request body is still on the wire gets
no 500 and no error in the log: nothing was started, so nothing is lost."""

from __future__ import annotations

import asyncio
import logging

import pytest
from starlette.applications import Starlette

from tests.factories import make_user
from tests.support import LiveServer


async def hang_up_mid_body(
    server: LiveServer, path: str, headers: dict[str, str]
) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    head = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
    ]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append("Content-Length: 4096")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + b'{"format": "blog", ')
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()
    await writer.wait_closed()


def access_lines(
    caplog: pytest.LogCaptureFixture, path: str
) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "harvest.access" and getattr(r, "path", None) == path
    ]


@pytest.mark.parametrize("path", ["/v1/generate", "/graphql"])
async def test_hang_up_mid_body_is_logged_as_client_closed_not_500(
    app: Starlette,
    live_server: LiveServer,
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    user = await make_user(app, tier="pro")
    caplog.set_level(logging.INFO)
    await hang_up_mid_body(live_server, path, user.headers)

    async with asyncio.timeout(10):
        while not access_lines(caplog, path):
            await asyncio.sleep(0.02)
    [line] = access_lines(caplog, path)
    assert line.__dict__["status"] == 499
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
