"""The spec's WebSocket protocol: authentication, close codes, ping, channels."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import time
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from harvest.settings import Settings
from models.notification import Notification
from resolvers.notifications import push_notification
from subscriptions.ws_protocol import MAX_MESSAGE_BYTES, OUTBOUND_QUEUE_BYTES
from tests.factories import make_user
from tests.subscriptions.factories import (
    expired_token,
    in_server,
    largest_write_buffer,
    make_team,
)
from tests.support import LiveServer

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


async def receive(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return dict(orjson.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def close_code(ws: ClientConnection, timeout: float = 10) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    return ws.close_code


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(message).decode())


async def test_token_in_query_is_answered_with_connected(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        frame = await receive(ws)

    assert frame["type"] == "connected"
    assert frame["session_id"].startswith("sess_")
    assert TIME.match(frame["server_time"])


async def test_auth_message_first_is_answered_with_connected_on_v1_ws(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)

    async with connect(f"{live_server.ws_url}/v1/ws") as ws:
        await send(ws, {"type": "auth", "token": user.token})
        frame = await receive(ws)

    assert frame["type"] == "connected"


async def test_authorization_header_is_answered_with_connected(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)

    async with connect(
        f"{live_server.ws_url}/v1",
        additional_headers={"Authorization": f"Bearer {user.token}"},
    ) as ws:
        frame = await receive(ws)

    assert frame["type"] == "connected"


async def test_invalid_token_closes_with_4000(live_server: LiveServer) -> None:
    async with connect(f"{live_server.ws_url}/v1?token=not-a-token") as ws:
        assert await close_code(ws) == 4000


async def test_invalid_token_in_auth_message_closes_with_4000(
    live_server: LiveServer,
) -> None:
    async with connect(f"{live_server.ws_url}/v1") as ws:
        await send(ws, {"type": "auth", "token": "hv_nope"})

        assert await close_code(ws) == 4000


async def test_expired_token_closes_with_4001(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)

    async with connect(
        f"{live_server.ws_url}/v1?token={expired_token(app, user)}"
    ) as ws:
        assert await close_code(ws) == 4001


async def test_first_message_other_than_auth_closes_with_1008(
    live_server: LiveServer,
) -> None:
    async with connect(f"{live_server.ws_url}/v1") as ws:
        await send(ws, {"type": "ping"})

        assert await close_code(ws) == 1008


async def test_connection_past_the_tier_limit_closes_with_4002(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="free")
    url = f"{live_server.ws_url}/v1?token={user.token}"

    async with connect(url) as first:
        await receive(first)
        async with connect(url) as second:
            assert await close_code(second) == 4002
        await send(first, {"type": "ping"})
        assert (await receive(first))["type"] == "pong"

    async with connect(url) as again:
        assert (await receive(again))["type"] == "connected"


async def test_the_connection_limit_counts_every_process_sharing_redis(
    app: Starlette, settings: Settings, live_server: LiveServer
) -> None:
    if settings.redis_url is None:
        pytest.skip("needs HARVEST_TEST_REDIS_URL")
    user = await make_user(app, tier="free")
    other = LiveServer(settings)
    other.start()
    try:
        async with connect(f"{live_server.ws_url}/v1?token={user.token}") as first:
            await receive(first)
            async with connect(f"{other.ws_url}/v1?token={user.token}") as second:
                code = await close_code(second)
    finally:
        other.stop()

    assert code == 4002


@pytest.mark.parametrize(("tier", "limit"), [("pro", 5), ("enterprise", 20)])
async def test_each_tier_holds_its_number_of_connections(
    app: Starlette, live_server: LiveServer, tier: str, limit: int
) -> None:
    user = await make_user(app, tier=tier)
    url = f"{live_server.ws_url}/v1?token={user.token}"
    opened = [await connect(url) for _ in range(limit)]
    for ws in opened:
        assert (await receive(ws))["type"] == "connected"

    async with connect(url) as one_more:
        assert await close_code(one_more) == 4002

    for ws in opened:
        await ws.close()


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        '["a list"]',
        '{"type": "teleport"}',
        '{"no_type": 1}',
        '{"type": "ping", "pad": "' + "x" * MAX_MESSAGE_BYTES + '"}',
    ],
    ids=["bad-json", "not-object", "unknown-type", "no-type", "oversized"],
)
async def test_invalid_message_closes_with_4003(
    app: Starlette, live_server: LiveServer, raw: str
) -> None:
    user = await make_user(app)

    async with connect(
        f"{live_server.ws_url}/v1?token={user.token}", max_size=None
    ) as ws:
        await receive(ws)
        await ws.send(raw)

        assert await close_code(ws) == 4003


async def test_ping_is_answered_with_pong_and_server_time(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(ws, {"type": "ping"})
        frame = await receive(ws)

    assert frame["type"] == "pong"
    assert TIME.match(frame["server_time"])


async def test_subscribe_to_own_generations_is_confirmed(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "subscribe",
                "channel": "generations",
                "filters": {"user_id": user.id},
            },
        )
        frame = await receive(ws)

    assert frame["type"] == "subscribed"
    assert frame["channel"] == "generations"
    assert frame["subscription_id"].startswith("sub_")


async def test_subscribe_to_another_users_generations_is_refused(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)
    other = await make_user(app)

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "subscribe",
                "channel": "generations",
                "filters": {"user_id": other.id},
            },
        )
        frame = await receive(ws)
        await send(ws, {"type": "ping"})
        still_open = await receive(ws)

    assert frame["type"] == "error"
    assert frame["error"]["code"] == "FORBIDDEN"
    assert still_open["type"] == "pong"


async def test_subscribe_to_a_foreign_teams_generations_is_refused(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)
    owner = await make_user(app)
    team_id = await make_team(app, owner)

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "subscribe",
                "channel": "generations",
                "filters": {"team_id": team_id},
            },
        )
        frame = await receive(ws)

    assert frame["type"] == "error"
    assert frame["error"]["code"] == "NOT_FOUND"


async def test_team_member_receives_the_teams_generation_events(
    app: Starlette, live_server: LiveServer
) -> None:
    owner = await make_user(app)
    member = await make_user(app)
    team_id = await make_team(app, owner, member)
    hub = live_server.app.state.parts.hub

    async with connect(f"{live_server.ws_url}/v1?token={member.token}") as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "subscribe",
                "channel": "generations",
                "filters": {"team_id": team_id},
            },
        )
        assert (await receive(ws))["type"] == "subscribed"
        await in_server(
            live_server,
            hub.publish(
                f"team:{team_id}:generations",
                {"type": "generation_complete", "generation_id": "gen_x"},
            ),
        )
        frame = await receive(ws)

    assert frame == {"type": "generation_complete", "generation_id": "gen_x"}


async def test_unknown_channel_is_refused_with_a_validation_error(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(ws, {"type": "subscribe", "channel": "everything"})
        frame = await receive(ws)

    assert frame["error"]["code"] == "VALIDATION_ERROR"
    assert frame["error"]["details"]["field"] == "channel"


async def test_notifications_are_pushed_to_the_connection(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)
    notification = Notification(
        user_id=user.id,
        type="team_invite",
        title="Team Invitation",
        message="You've been invited",
        action_url="/teams/invite/xyz",
    )
    rc = await live_server.app.state.parts.contexts.build(
        token=None, client_ip=None, surface="test"
    )

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(ws, {"type": "subscribe", "channel": "notifications"})
        assert (await receive(ws))["type"] == "subscribed"
        await in_server(live_server, push_notification(rc, notification))
        frame = await receive(ws)

    assert frame["type"] == "notification"
    assert frame["notification"]["id"] == notification.id
    assert frame["notification"]["title"] == "Team Invitation"
    assert TIME.match(frame["notification"]["created_at"])


async def test_slow_client_is_closed_with_1008_while_a_fast_one_gets_everything(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    parts = live_server.app.state.parts
    url = f"{live_server.ws_url}/v1?token={user.token}"
    # Incompressible, so the bytes reach the socket as they are.
    padding = base64.b64encode(os.urandom(12 * 1024)).decode()
    total = 640  # about 10 MiB: the outbox's bound and the socket's buffers, twice
    seen: list[int] = []
    held = {"outbox": 0, "transport": 0}

    def measure() -> None:
        for connection in parts.ws_registry.open:
            held["outbox"] = max(held["outbox"], connection.outbound.bytes)
        held["transport"] = max(held["transport"], largest_write_buffer(live_server))

    async def publish_all() -> None:
        for n in range(total):
            # The fast client keeps up: never more than 32 frames behind.
            while n - len(seen) > 32:
                await asyncio.sleep(0.001)
            await parts.hub.publish(
                f"user:{user.id}:notifications",
                {"type": "notification", "notification": {"n": n, "pad": padding}},
            )
            measure()

    started = time.monotonic()
    async with (
        connect(url, max_queue=1, compression=None) as slow,
        connect(url, compression=None, max_size=None) as fast,
    ):
        await receive(slow)
        await receive(fast)
        publisher = asyncio.create_task(in_server(live_server, publish_all()))
        while len(seen) < total:
            seen.append((await receive(fast))["notification"]["n"])
        await publisher
        slow_seen = []
        with pytest.raises(ConnectionClosed):
            while True:
                slow_seen.append((await receive(slow))["notification"]["n"])

    assert seen == list(range(total))
    assert slow.close_code == 1008
    assert "slow consumer" in (slow.close_reason or "")
    assert slow_seen == list(range(len(slow_seen)))
    assert len(slow_seen) < total / 2
    assert held["outbox"] <= OUTBOUND_QUEUE_BYTES
    frame_size = len(padding) + 100
    assert held["transport"] <= 64 * 1024 + frame_size
    assert time.monotonic() - started < 10


async def test_free_client_closed_as_slow_can_reconnect_at_once(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="free")
    parts = live_server.app.state.parts
    url = f"{live_server.ws_url}/v1?token={user.token}"
    padding = base64.b64encode(os.urandom(12 * 1024)).decode()

    async def publish_until_closed() -> None:
        for n in range(2_000):
            if not parts.ws_registry.open:
                return
            await parts.hub.publish(
                f"user:{user.id}:notifications",
                {"type": "notification", "notification": {"n": n, "pad": padding}},
            )
            await asyncio.sleep(0)

    async with connect(url, max_queue=1, compression=None) as slow:
        await receive(slow)
        await in_server(live_server, publish_until_closed())
        code = await close_code(slow)
    async with connect(url) as again:
        frame = await receive(again)

    assert code == 1008
    assert frame["type"] == "connected"
