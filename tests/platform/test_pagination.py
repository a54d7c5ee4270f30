"""Every list route takes the spec's page, limit, sort and order and answers
with its pagination block, on a live server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from models.base import utcnow
from models.billing import Invoice
from models.notification import Notification
from tests.factories import UserHandle, make_user
from tests.support import LiveServer
from tests.template.factories import make_template

Seed = Callable[[Starlette, httpx.AsyncClient, UserHandle], Awaitable[str]]
"""Stores three items of one list for the user; returns the list's path."""


async def seed_generations(
    app: Starlette, client: httpx.AsyncClient, user: UserHandle
) -> str:
    for topic in ("wind", "sun", "tide"):
        body = {"format": "summary", "input": f"Notes on {topic} power. " * 5}
        answer = await client.post("/v1/generate", json=body, headers=user.headers)
        assert answer.status_code == 200, answer.text
    return "/v1/generate/history"


async def seed_api_keys(
    app: Starlette, client: httpx.AsyncClient, user: UserHandle
) -> str:
    for name in ("one", "two", "three"):
        answer = await client.post(
            "/v1/users/me/api-keys",
            json={"name": name, "permissions": ["read"]},
            headers=user.headers,
        )
        assert answer.status_code == 201, answer.text
    return "/v1/users/me/api-keys"


async def seed_teams(
    app: Starlette, client: httpx.AsyncClient, user: UserHandle
) -> str:
    for name in ("Red", "Green", "Blue"):
        answer = await client.post(
            "/v1/teams", json={"name": name}, headers=user.headers
        )
        assert answer.status_code == 201, answer.text
    return "/v1/teams"


async def seed_templates(
    app: Starlette, client: httpx.AsyncClient, user: UserHandle
) -> str:
    for name in ("First", "Second", "Third"):
        await make_template(app, user, name=name)
    return "/v1/templates?mine=true"


async def seed_notifications(
    app: Starlette, client: httpx.AsyncClient, user: UserHandle
) -> str:
    async with app.state.parts.db.session() as session:
        for n in range(3):
            session.add(Notification(user_id=user.id, type="test", title=f"n{n}"))
        await session.commit()
    return "/v1/notifications"


async def seed_invoices(
    app: Starlette, client: httpx.AsyncClient, user: UserHandle
) -> str:
    async with app.state.parts.db.session() as session:
        for n in range(3):
            session.add(
                Invoice(
                    user_id=user.id,
                    number=f"INV-{user.id}-{n}",
                    amount=2900,
                    created_at=utcnow() - timedelta(days=n),
                )
            )
        await session.commit()
    return "/v1/billing/invoices"


async def seed_webhooks(
    app: Starlette, client: httpx.AsyncClient, user: UserHandle
) -> str:
    for path in ("a", "b", "c"):
        answer = await client.post(
            "/v1/webhooks",
            json={"url": f"https://93.184.215.14/{path}"},
            headers=user.headers,
        )
        assert answer.status_code == 201, answer.text
    return "/v1/webhooks"


async def seed_deliveries(
    app: Starlette, client: httpx.AsyncClient, user: UserHandle
) -> str:
    created = await client.post(
        "/v1/webhooks", json={"url": "https://93.184.215.14/d"}, headers=user.headers
    )
    endpoint_id = created.json()["id"]
    for _ in range(3):
        sent = await client.post(
            f"/v1/webhooks/{endpoint_id}/test", headers=user.headers
        )
        assert sent.status_code == 202, sent.text
    return f"/v1/webhooks/{endpoint_id}/deliveries"


LISTS: dict[str, Seed] = {
    "generations": seed_generations,
    "api_keys": seed_api_keys,
    "teams": seed_teams,
    "templates": seed_templates,
    "notifications": seed_notifications,
    "invoices": seed_invoices,
    "webhooks": seed_webhooks,
    "deliveries": seed_deliveries,
}


def items_of(body: dict[str, Any]) -> list[Any]:
    """The one list in a list route's body, whatever the route calls it."""
    [items] = [value for key, value in body.items() if isinstance(value, list)]
    return list(items)


@pytest.mark.parametrize("name", list(LISTS))
async def test_every_list_pages_sorts_and_says_where_it_is(
    app: Starlette, live_server: LiveServer, name: str
) -> None:
    user = await make_user(app, tier="pro")
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        path = await LISTS[name](app, client, user)
        joiner = "&" if "?" in path else "?"

        def page(query: str) -> Awaitable[httpx.Response]:
            return client.get(f"{path}{joiner}{query}", headers=user.headers)

        oldest_first = await page("page=1&limit=2&sort=created_at&order=asc")
        newest_first = await page("page=1&limit=2&sort=created_at&order=desc")
        second = await page("page=2&limit=2&sort=created_at&order=asc")
        too_large = await page("limit=101")
        bad_order = await page("order=sideways")
        bad_sort = await page("sort=nonsense")

    assert oldest_first.status_code == 200, oldest_first.text
    assert oldest_first.json()["pagination"] == {
        "page": 1,
        "limit": 2,
        "total_items": 3,
        "total_pages": 2,
        "has_next": True,
        "has_previous": False,
    }
    first_ids = [item["id"] for item in items_of(oldest_first.json())]
    last_ids = [item["id"] for item in items_of(second.json())]
    newest_ids = [item["id"] for item in items_of(newest_first.json())]
    assert len(first_ids) == 2
    assert len(last_ids) == 1
    assert last_ids[0] not in first_ids
    assert newest_ids[0] == last_ids[0]
    assert second.json()["pagination"]["has_next"] is False
    assert second.json()["pagination"]["has_previous"] is True
    assert too_large.status_code == 400
    assert too_large.json()["error"]["details"]["field"] == "limit"
    assert bad_order.status_code == 400
    assert bad_order.json()["error"]["details"]["field"] == "order"
    assert bad_sort.status_code == 400
    assert bad_sort.json()["error"]["details"]["field"] == "sort"
