"""Tier quotas answer 402 QUOTA_EXCEEDED before any model call."""

from __future__ import annotations

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from models.generation import Generation
from resolvers.usage import month_period, record_generation_usage, usage_between
from tests.factories import make_user
from tests.generation.factories import make_team
from tests.peers.openai_server import OpenAIPeer


async def spend(app: Starlette, user_id: str, *, generations: int, tokens: int) -> None:
    async with app.state.parts.db.session() as session:
        for index in range(generations):
            await record_generation_usage(
                session,
                user_id=user_id,
                team_id=None,
                format="blog",
                tokens=tokens if index == 0 else 0,
            )
        await session.commit()


async def test_spent_token_quota_is_refused_before_calling_the_model(
    peer_app: Starlette, peer_client: httpx.AsyncClient, openai_peer: OpenAIPeer
) -> None:
    user = await make_user(peer_app, tier="free")
    await spend(peer_app, user.id, generations=1, tokens=10_000)

    response = await peer_client.post(
        "/v1/generate",
        json={"format": "blog", "input": "x", "options": {"model": "peer-echo"}},
        headers=user.headers,
    )

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "QUOTA_EXCEEDED"
    assert error["details"]["quota"] == "tokens"
    assert error["details"]["limit"] == 10_000
    assert openai_peer.requests == []
    async with peer_app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Generation).where(Generation.user_id == user.id)
        )
        assert list(rows.scalars()) == []


async def test_spent_generation_quota_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="free")
    await spend(app, user.id, generations=100, tokens=1)

    response = await client.post(
        "/v1/generate/stream",
        json={"format": "blog", "input": "x"},
        headers=user.headers,
    )

    assert response.status_code == 402
    assert response.json()["error"]["details"]["quota"] == "generations"


async def test_usage_is_counted_per_user_and_team_per_day(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    team = await make_team(app, user)

    response = await client.post(
        "/v1/generate",
        json={
            "format": "summary",
            "input": "A long text. " * 30,
            "metadata": {"team_id": team.id},
        },
        headers=user.headers,
    )

    tokens = response.json()["generation"]["tokens_used"]
    start, end = month_period()
    async with app.state.parts.db.session() as session:
        mine = await usage_between(session, scope_id=user.id, start=start, end=end)
        theirs = await usage_between(session, scope_id=team.id, start=start, end=end)
    for usage in (mine, theirs):
        assert usage.tokens == tokens
        assert usage.by_format == {"summary": 1}
        assert usage.daily[0][1:] == (tokens, 1)
