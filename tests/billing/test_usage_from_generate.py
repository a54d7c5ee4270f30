"""Usage as POST /v1/generate records it, and the alerts it raises."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from models.base import utcnow
from resolvers.usage import record_generation_usage
from tests.billing.factories import event_types, notification_types
from tests.factories import UserHandle, make_user


async def generate(client: httpx.AsyncClient, user: UserHandle, format: str) -> int:
    response = await client.post(
        "/v1/generate",
        headers=user.headers,
        json={
            "format": format,
            "input": "Why cities are planting more trees along their streets",
            "options": {"length": "short"},
        },
    )
    assert response.status_code == 200, response.text
    return int(response.json()["generation"]["tokens_used"])


async def test_usage_reports_the_generations_made_through_the_api(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    tokens = [
        await generate(client, user, "blog"),
        await generate(client, user, "blog"),
        await generate(client, user, "email"),
    ]

    response = await client.get("/v1/billing/usage", headers=user.headers)

    usage = response.json()["usage"]
    assert usage["generations"]["count"] == 3
    assert usage["generations"]["by_format"] == {"blog": 2, "email": 1}
    assert usage["tokens"]["used"] == sum(tokens)
    assert usage["daily_breakdown"] == [
        {
            "date": utcnow().date().isoformat(),
            "tokens": sum(tokens),
            "generations": 3,
        }
    ]


async def test_generation_that_crosses_80_percent_raises_the_warning(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    async with app.state.parts.db.session() as session:
        await record_generation_usage(
            session, user_id=user.id, team_id=None, format="blog", tokens=7_999
        )
        await session.commit()

    await generate(client, user, "summary")

    assert "usage.limit.warning" in await event_types(app, user.id)
    assert await notification_types(app, user.id) == ["usage.limit.warning"]
