"""The usage report: this month's generations by format and by day."""

from __future__ import annotations

from datetime import timedelta

import httpx
from starlette.applications import Starlette

from models.base import utcnow
from models.billing import UsageCounter
from resolvers.usage import record_generation_usage
from tests.factories import make_user

USAGE = """
query { usage { period { start end } tokens { used limit percentage }
  generations { count limit byFormat } apiCalls { count limit }
  dailyBreakdown { date tokens generations } } }
"""


async def test_usage_reports_generations_by_format_and_by_day(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    today = utcnow().date()
    # Another day of the same month: yesterday, or tomorrow on the 1st.
    other_day = today - timedelta(days=1) if today.day > 1 else today + timedelta(1)
    async with app.state.parts.db.session() as session:
        for format, tokens in (("blog", 1200), ("blog", 800), ("email", 300)):
            await record_generation_usage(
                session, user_id=user.id, team_id=None, format=format, tokens=tokens
            )
        session.add(
            UsageCounter(
                scope_id=user.id,
                day=other_day,
                format="summary",
                tokens=500,
                generations=1,
            )
        )
        await session.commit()

    response = await client.get("/v1/billing/usage", headers=user.headers)

    assert response.status_code == 200
    usage = response.json()["usage"]
    assert usage["tokens"] == {"used": 2800, "limit": 100_000, "percentage": 2.8}
    assert usage["generations"] == {
        "count": 4,
        "limit": 1000,
        "by_format": {"blog": 2, "email": 1, "summary": 1},
    }
    days = {
        today.isoformat(): {
            "date": today.isoformat(),
            "tokens": 2300,
            "generations": 3,
        },
        other_day.isoformat(): {
            "date": other_day.isoformat(),
            "tokens": 500,
            "generations": 1,
        },
    }
    assert usage["daily_breakdown"] == [days[d] for d in sorted(days)]
    assert usage["period"]["start"].endswith("-01T00:00:00Z")
    assert usage["period"]["end"].endswith("T23:59:59Z")
    assert usage["api_calls"]["limit"] == 10_000


async def test_usage_counts_only_the_callers_generations(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    other = await make_user(app)
    async with app.state.parts.db.session() as session:
        await record_generation_usage(
            session, user_id=other.id, team_id=None, format="blog", tokens=100
        )
        await session.commit()

    response = await client.get("/v1/billing/usage", headers=user.headers)

    usage = response.json()["usage"]
    assert usage["generations"]["count"] == 0
    assert usage["daily_breakdown"] == []


async def test_usage_leaves_out_last_month(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    first = utcnow().date().replace(day=1)
    async with app.state.parts.db.session() as session:
        session.add(
            UsageCounter(
                scope_id=user.id,
                day=first - timedelta(days=1),
                format="blog",
                tokens=900,
                generations=3,
            )
        )
        await session.commit()

    response = await client.get("/v1/billing/usage", headers=user.headers)

    assert response.json()["usage"]["tokens"]["used"] == 0


async def test_graphql_usage_matches_rest(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    async with app.state.parts.db.session() as session:
        await record_generation_usage(
            session, user_id=user.id, team_id=None, format="email", tokens=2_500
        )
        await session.commit()

    response = await client.post(
        "/graphql", headers=user.headers, json={"query": USAGE}
    )

    usage = response.json()["data"]["usage"]
    assert usage["tokens"] == {"used": 2500, "limit": 10_000, "percentage": 25.0}
    assert usage["generations"]["byFormat"] == {"email": 1}
    assert usage["dailyBreakdown"] == [
        {"date": utcnow().date().isoformat(), "tokens": 2500, "generations": 1}
    ]
