"""A team's usage comes from the usage counters and its generations."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from starlette.applications import Starlette

from models.base import utcnow
from models.generation import Generation
from resolvers.usage import month_period, record_generation_usage
from tests.team.factories import make_world


async def add_generation(
    app: Starlette,
    *,
    user_id: str,
    team_id: str | None,
    tokens: int,
    at: datetime | None = None,
) -> None:
    async with app.state.parts.db.session() as session:
        session.add(
            Generation(
                user_id=user_id,
                team_id=team_id,
                format="blog",
                status="completed",
                model="offline",
                input="x",
                tokens_used=tokens,
                created_at=at or utcnow(),
            )
        )
        if at is None:
            await record_generation_usage(
                session, user_id=user_id, team_id=team_id, format="blog", tokens=tokens
            )
        await session.commit()


async def test_usage_counts_the_teams_generations_tokens_and_active_members(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    await add_generation(app, user_id=world.editor.id, team_id=world.id, tokens=100)
    await add_generation(app, user_id=world.editor.id, team_id=world.id, tokens=50)
    await add_generation(app, user_id=world.admin.id, team_id=world.id, tokens=25)
    await add_generation(app, user_id=world.viewer.id, team_id=None, tokens=999)
    start, _ = month_period()
    await add_generation(
        app,
        user_id=world.viewer.id,
        team_id=world.id,
        tokens=0,
        at=start - timedelta(days=2),
    )

    response = await client.get(f"/v1/teams/{world.id}", headers=world.viewer.headers)

    assert response.json()["team"]["usage"] == {
        "total_generations": 3,
        "tokens_used": 175,
        "active_members": 2,
    }
