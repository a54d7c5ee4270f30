"""GraphQL subscriptions over both WebSocket protocols, authenticated in
``connection_init``."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from models.generation import Generation
from models.notification import Notification
from resolvers.notifications import push_notification
from tests.factories import make_user
from tests.subscriptions.factories import (
    in_server,
    largest_write_buffer,
    make_generation,
    make_team,
)
from tests.subscriptions.wire import BLOG, close_code, receive, send, until
from tests.support import LiveServer

GENERATION_START = """
subscription Start($input: JSON!) {
  generationStart(input: $input) {
    type generationId chunk chunkIndex progress content tokensUsed
    error { code message }
  }
}
"""

GENERATION_FOLLOW = """
subscription Follow($id: ID!, $after: Int!) {
  generationFollow(id: $id, after: $after) {
    type generationId chunk chunkIndex content error { code message }
  }
}
"""

GENERATION_EVENTS = """
subscription Events($teamId: ID) {
  generationEvents(teamId: $teamId) { type generationId }
}
"""

NOTIFICATIONS = """
subscription { notificationReceived { id type title message actionUrl createdAt } }
"""

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


class Client:
    """Speaks one of the two protocols; ``subscribe`` then ``next_payload``."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol

    async def init(self, payload: dict[str, Any]) -> dict[str, Any]:
        await send(self.ws, {"type": "connection_init", "payload": payload})
        while True:
            frame = await receive(self.ws)
            if frame["type"] != "ka":
                return frame

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, op: str = "1"
    ) -> None:
        kind = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        await send(
            self.ws,
            {
                "id": op,
                "type": kind,
                "payload": {"query": query, "variables": variables or {}},
            },
        )

    async def next_payload(self, timeout: float = 15) -> dict[str, Any]:
        """The next result payload; raises on an error or a completed operation."""
        while True:
            frame = await receive(self.ws, timeout)
            if frame["type"] in ("ka", "pong", "ping"):
                continue
            if frame["type"] in ("next", "data"):
                return dict(frame["payload"])
            raise AssertionError(f"unexpected frame {frame}")

    async def results(self, field: str, *ends: str) -> list[dict[str, Any]]:
        """Every ``field`` result up to one whose type is in ``ends``."""
        items = []
        while True:
            payload = await self.next_payload()
            assert not payload.get("errors"), payload
            item = payload["data"][field]
            items.append(item)
            if item.get("type") in ends:
                return items


async def open_client(
    server: LiveServer, protocol: str, token: str | None, **options: Any
) -> tuple[Any, Client]:
    manager = connect(
        f"{server.ws_url}/graphql",
        subprotocols=[protocol],  # type: ignore[list-item]
        **options,
    )
    ws = await manager.__aenter__()
    client = Client(ws, protocol)
    if token is not None:
        ack = await client.init({"Authorization": f"Bearer {token}"})
        assert ack["type"] == "connection_ack"
    return manager, client


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_generation_start_streams_to_completion(
    app: Starlette, slow_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app, tier="pro")
    manager, client = await open_client(slow_server, protocol, user.token)

    await client.subscribe(GENERATION_START, {"input": BLOG})
    events = await client.results("generationStart", "complete", "error")
    await manager.__aexit__(None, None, None)

    chunks = [e for e in events if e["type"] == "chunk"]
    assert events[-1]["type"] == "complete"
    assert any(e["type"] == "progress" and 0 <= e["progress"] <= 100 for e in events)
    assert [c["chunkIndex"] for c in chunks] == list(range(len(chunks)))
    assert "".join(c["chunk"] for c in chunks) == events[-1]["content"]
    async with app.state.parts.db.session() as session:
        row = await session.get(Generation, events[-1]["generationId"])
    assert row is not None and row.content == events[-1]["content"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_generation_start_with_bad_input_answers_a_validation_error(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app)
    manager, client = await open_client(live_server, protocol, user.token)

    await client.subscribe(GENERATION_START, {"input": {"format": "sonnet"}})
    frame = await receive(client.ws)
    await manager.__aexit__(None, None, None)

    errors = (
        frame["payload"] if frame["type"] == "error" else frame["payload"]["errors"]
    )
    assert errors[0]["extensions"]["code"] == "VALIDATION_ERROR"
    assert errors[0]["extensions"]["details"]["field"] == "format"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_token_field_in_connection_init_authenticates(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app)
    manager, client = await open_client(live_server, protocol, None)

    ack = await client.init({"token": user.token})
    await client.subscribe(GENERATION_EVENTS)
    await asyncio.sleep(0.3)
    await in_server(
        live_server,
        live_server.app.state.parts.hub.publish(
            f"user:{user.id}:generations",
            {"type": "generation_complete", "generation_id": "gen_1"},
        ),
    )
    payload = await client.next_payload()
    await manager.__aexit__(None, None, None)

    assert ack["type"] == "connection_ack"
    assert payload["data"]["generationEvents"] == {
        "type": "complete",
        "generationId": "gen_1",
    }


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_the_upgrade_requests_header_authenticates_without_a_payload(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app)
    hub = live_server.app.state.parts.hub
    channel = f"user:{user.id}:generations"
    manager, client = await open_client(
        live_server,
        protocol,
        None,
        additional_headers={"Authorization": f"Bearer {user.token}"},
    )

    ack = await client.init({})
    await client.subscribe(GENERATION_EVENTS)
    while hub.listener_count(channel) < 1:
        await asyncio.sleep(0.01)
    await in_server(
        live_server,
        hub.publish(channel, {"type": "generation_cancelled", "generation_id": "g"}),
    )
    payload = await client.next_payload()
    await manager.__aexit__(None, None, None)

    assert ack["type"] == "connection_ack"
    assert payload["data"]["generationEvents"]["type"] == "cancelled"


async def test_bad_token_in_connection_init_is_rejected_on_transport_ws(
    live_server: LiveServer,
) -> None:
    manager, client = await open_client(live_server, "graphql-transport-ws", None)

    await send(
        client.ws, {"type": "connection_init", "payload": {"token": "not-a-token"}}
    )

    assert await close_code(client.ws) == 4403
    await manager.__aexit__(None, None, None)


async def test_bad_token_in_connection_init_is_rejected_on_graphql_ws(
    live_server: LiveServer,
) -> None:
    manager, client = await open_client(live_server, "graphql-ws", None)

    frame = await client.init({"Authorization": "Bearer not-a-token"})

    assert frame["type"] == "connection_error"
    await manager.__aexit__(None, None, None)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_subscription_without_credential_answers_unauthorized(
    live_server: LiveServer, protocol: str
) -> None:
    manager, client = await open_client(live_server, protocol, None)
    await client.init({})

    await client.subscribe(NOTIFICATIONS)
    frame = await receive(client.ws)
    await manager.__aexit__(None, None, None)

    errors = (
        frame["payload"] if frame["type"] == "error" else frame["payload"]["errors"]
    )
    assert errors[0]["extensions"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_generation_follow_resumes_after_the_given_chunk(
    app: Starlette, slow_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app, tier="pro")
    manager, client = await open_client(slow_server, protocol, user.token)
    await client.subscribe(GENERATION_START, {"input": BLOG})
    seen = []
    while len(seen) < 4:
        event = (await client.next_payload())["data"]["generationStart"]
        if event["type"] == "chunk":
            seen.append(event)
    await manager.__aexit__(None, None, None)
    generation_id = seen[0]["generationId"]

    manager, client = await open_client(slow_server, protocol, user.token)
    await client.subscribe(
        GENERATION_FOLLOW, {"id": generation_id, "after": seen[-1]["chunkIndex"]}
    )
    rest = await client.results("generationFollow", "complete", "error")
    await manager.__aexit__(None, None, None)

    chunks = seen + [e for e in rest if e["type"] == "chunk"]
    assert [c["chunkIndex"] for c in chunks] == list(range(len(chunks)))
    assert "".join(c["chunk"] for c in chunks) == rest[-1]["content"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_team_events_are_refused_to_a_non_member(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app)
    owner = await make_user(app)
    team_id = await make_team(app, owner)
    manager, client = await open_client(live_server, protocol, user.token)

    await client.subscribe(GENERATION_EVENTS, {"teamId": team_id})
    frame = await receive(client.ws)
    await manager.__aexit__(None, None, None)

    errors = (
        frame["payload"] if frame["type"] == "error" else frame["payload"]["errors"]
    )
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_team_member_receives_the_teams_generation_events(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    owner = await make_user(app)
    member = await make_user(app)
    team_id = await make_team(app, owner, member)
    hub = live_server.app.state.parts.hub
    channel = f"team:{team_id}:generations"
    manager, client = await open_client(live_server, protocol, member.token)

    await client.subscribe(GENERATION_EVENTS, {"teamId": team_id})
    while hub.listener_count(channel) < 1:
        await asyncio.sleep(0.01)
    await in_server(
        live_server,
        hub.publish(channel, {"type": "generation_started", "generation_id": "gen_t"}),
    )
    payload = await client.next_payload()
    await manager.__aexit__(None, None, None)

    assert payload["data"]["generationEvents"] == {
        "type": "started",
        "generationId": "gen_t",
    }


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_following_a_failed_generation_ends_with_its_error(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app)
    generation_id = await make_generation(
        app, user, status="failed", error_code="TIMEOUT", error_message="Too slow"
    )
    manager, client = await open_client(live_server, protocol, user.token)

    await client.subscribe(GENERATION_FOLLOW, {"id": generation_id, "after": -1})
    events = await client.results("generationFollow", "error", "complete")
    await manager.__aexit__(None, None, None)

    assert len(events) == 1
    assert events[0]["type"] == "error"
    assert events[0]["error"] == {"code": "TIMEOUT", "message": "Too slow"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_notifications_arrive_on_the_subscription(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app)
    manager, client = await open_client(live_server, protocol, user.token)
    notification = Notification(
        user_id=user.id, type="team_invite", title="Invitation", message="Join us"
    )
    rc = await live_server.app.state.parts.contexts.build(
        token=None, client_ip=None, surface="test"
    )

    await client.subscribe(NOTIFICATIONS)
    await asyncio.sleep(0.3)
    await in_server(live_server, push_notification(rc, notification))
    payload = await client.next_payload()
    await manager.__aexit__(None, None, None)

    pushed = payload["data"]["notificationReceived"]
    assert pushed["id"] == notification.id
    assert pushed["title"] == "Invitation"
    assert pushed["createdAt"].endswith("Z")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_slow_subscriber_is_dropped_while_a_fast_one_gets_everything(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app, tier="pro")
    parts = live_server.app.state.parts
    channel = f"user:{user.id}:notifications"
    # Incompressible, so the bytes reach the socket as they are.
    padding = base64.b64encode(os.urandom(6 * 1024)).decode()
    total = parts.hub.queue_size + 1_000
    seen: list[str] = []
    largest_buffer = 0

    async def publish_all() -> None:
        nonlocal largest_buffer
        for n in range(total):
            # The fast client keeps up: never more than 32 events behind.
            while n - len(seen) > 32:
                await asyncio.sleep(0.001)
            await parts.hub.publish(
                channel,
                {
                    "type": "notification",
                    "notification": {
                        "id": str(n),
                        "type": "bulk",
                        "title": "Bulk",
                        "message": padding,
                        "created_at": "2026-01-01T00:00:00Z",
                    },
                },
            )
            largest_buffer = max(largest_buffer, largest_write_buffer(live_server))

    slow_manager, slow = await open_client(
        live_server, protocol, user.token, max_queue=1, compression=None
    )
    fast_manager, fast = await open_client(
        live_server, protocol, user.token, compression=None, max_size=None
    )
    await slow.subscribe(NOTIFICATIONS)
    await fast.subscribe(NOTIFICATIONS)
    while parts.hub.listener_count(channel) < 2:
        await asyncio.sleep(0.01)
    publisher = asyncio.create_task(in_server(live_server, publish_all()))
    while len(seen) < total:
        payload = await fast.next_payload()
        seen.append(payload["data"]["notificationReceived"]["id"])
    await publisher
    slow_seen, errors = [], []
    while True:
        frame = await receive(slow.ws)
        if frame["type"] in ("complete", "error"):
            break
        if frame["type"] in ("next", "data"):
            if frame["payload"].get("errors"):
                errors += frame["payload"]["errors"]
            else:
                slow_seen.append(frame["payload"]["data"]["notificationReceived"]["id"])
    await slow_manager.__aexit__(None, None, None)
    await fast_manager.__aexit__(None, None, None)

    assert seen == [str(n) for n in range(total)]
    assert slow_seen == [str(n) for n in range(len(slow_seen))]
    assert len(slow_seen) < total - parts.hub.queue_size
    assert errors[0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert errors[0]["extensions"]["details"]["reason"] == "slow_consumer"
    assert "generationFollow" in errors[0]["message"]
    assert largest_buffer <= 64 * 1024 + len(padding) + 200


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_query_and_a_mutation_over_the_socket_answer_like_over_http(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app)
    manager, client = await open_client(live_server, protocol, user.token)
    try:
        await client.subscribe("query { me { id email } }", op="q")
        answer = await until(client.ws, "complete")
        await client.subscribe(
            'mutation { meUpdate(input: {name: "Over A Socket"}) { user { name } } }',
            op="m",
        )
        changed = await until(client.ws, "complete")
    finally:
        await manager.__aexit__(None, None, None)

    result = "next" if protocol == "graphql-transport-ws" else "data"
    assert answer == [
        {"id": "q", "type": result, "payload": {"data": {"me": user_fields(user)}}},
        {"id": "q", "type": "complete"},
    ]
    assert changed == [
        {
            "id": "m",
            "type": result,
            "payload": {"data": {"meUpdate": {"user": {"name": "Over A Socket"}}}},
        },
        {"id": "m", "type": "complete"},
    ]


def user_fields(user: Any) -> dict[str, str]:
    return {"id": user.id, "email": user.user.email}
