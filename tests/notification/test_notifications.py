"""Notifications: stored, listed, marked read, pushed after commit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette

from resolvers.notifications import add_notification
from subscriptions import channels
from tests.factories import make_user
from tests.team.factories import make_world


async def notify(app: Starlette, user_id: str, title: str) -> str:
    async with app.state.parts.db.session() as session:
        notice = add_notification(session, user_id=user_id, type="test", title=title)
        await session.commit()
        return notice.id


async def test_list_is_newest_first_with_the_unread_count(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    for n in range(3):
        await notify(app, user.id, f"n{n}")
        await asyncio.sleep(0.01)

    response = await client.get("/v1/notifications", headers=user.headers)

    body = response.json()
    assert [n["title"] for n in body["notifications"]] == ["n2", "n1", "n0"]
    assert body["unread_count"] == 3
    assert body["pagination"]["total_items"] == 3
    assert body["notifications"][0]["read"] is False


async def test_marking_one_read_and_then_all(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    first = await notify(app, user.id, "a")
    await notify(app, user.id, "b")

    one = await client.post(f"/v1/notifications/{first}/read", headers=user.headers)
    unread = await client.get(
        "/v1/notifications", params={"unread_only": "true"}, headers=user.headers
    )
    everything = await client.post("/v1/notifications/read-all", headers=user.headers)
    after = await client.get("/v1/notifications", headers=user.headers)

    assert one.json()["notification"]["read"] is True
    assert one.json()["notification"]["read_at"].endswith("Z")
    assert [n["title"] for n in unread.json()["notifications"]] == ["b"]
    assert everything.json() == {"updated": 1}
    assert after.json()["unread_count"] == 0


async def test_nobody_reads_or_marks_another_users_notifications(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner, other = await make_user(app), await make_user(app)
    notice = await notify(app, owner.id, "secret title")

    listed = await client.get("/v1/notifications", headers=other.headers)
    marked = await client.post(
        f"/v1/notifications/{notice}/read", headers=other.headers
    )
    anonymous = await client.get("/v1/notifications")

    assert listed.json()["notifications"] == []
    assert "secret title" not in listed.text
    assert marked.status_code == 404
    assert anonymous.status_code == 401


async def test_an_invitation_is_pushed_on_the_invitees_channel(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    invitee = await make_user(app, email="pushed@example.com")
    hub = app.state.parts.hub

    async with hub.subscribe(channels.notifications(invitee.id)) as subscription:
        await client.post(
            f"/v1/teams/{world.id}/invite",
            json={"email": "pushed@example.com", "role": "editor"},
            headers=world.owner.headers,
        )
        async with asyncio.timeout(5):
            message: dict[str, Any] = await anext(aiter(subscription))

    assert message["type"] == "notification"
    assert message["notification"]["type"] == "team_invite"
    assert message["notification"]["id"].startswith("notif_")
    stored = await client.get("/v1/notifications", headers=invitee.headers)
    assert stored.json()["notifications"][0]["id"] == message["notification"]["id"]
