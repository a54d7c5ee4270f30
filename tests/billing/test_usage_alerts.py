"""Usage warnings at 80% and 100% of a monthly limit, once each per period."""

from __future__ import annotations

from datetime import timedelta

from starlette.applications import Starlette

from models.billing import UsageAlert
from resolvers.context import RequestContext
from resolvers.usage import month_period, record_generation_usage
from resolvers.usage_alerts import check_usage_alerts
from tests.billing.factories import event_types, events_of, notification_types
from tests.factories import make_user


async def context(app: Starlette) -> RequestContext:
    contexts = app.state.parts.contexts
    return await contexts.build(token=None, client_ip=None, surface="job")  # type: ignore[no-any-return]


async def use_tokens(app: Starlette, user_id: str, tokens: int) -> None:
    async with app.state.parts.db.session() as session:
        await record_generation_usage(
            session, user_id=user_id, team_id=None, format="blog", tokens=tokens
        )
        await session.commit()


async def test_no_alert_below_80_percent(app: Starlette) -> None:
    user = await make_user(app)
    await use_tokens(app, user.id, 7_999)

    raised = await check_usage_alerts(await context(app), user_id=user.id)

    assert raised == 0
    assert await event_types(app, user.id) == []


async def test_warning_at_80_percent_is_raised_once(app: Starlette) -> None:
    user = await make_user(app)
    rc = await context(app)
    await use_tokens(app, user.id, 8_000)

    first = await check_usage_alerts(rc, user_id=user.id)
    await use_tokens(app, user.id, 100)
    second = await check_usage_alerts(rc, user_id=user.id)

    assert (first, second) == (1, 0)
    assert await event_types(app, user.id) == ["usage.limit.warning"]
    assert await notification_types(app, user.id) == ["usage.limit.warning"]
    data = (await events_of(app, user.id, "usage.limit.warning"))[0]
    assert data["metric"] == "tokens"
    assert data["limit"] == 10_000
    assert data["percentage"] == 80.0


async def test_exceeded_at_100_percent_after_the_warning(app: Starlette) -> None:
    user = await make_user(app)
    rc = await context(app)
    await use_tokens(app, user.id, 8_500)
    await check_usage_alerts(rc, user_id=user.id)

    await use_tokens(app, user.id, 1_500)
    raised = await check_usage_alerts(rc, user_id=user.id)
    again = await check_usage_alerts(rc, user_id=user.id)

    assert (raised, again) == (1, 0)
    assert await event_types(app, user.id) == [
        "usage.limit.warning",
        "usage.limit.exceeded",
    ]
    assert await notification_types(app, user.id) == [
        "usage.limit.exceeded",
        "usage.limit.warning",
    ]


async def test_generation_limit_alerts_count_generations(app: Starlette) -> None:
    user = await make_user(app)
    for _ in range(80):
        await use_tokens(app, user.id, 1)

    await check_usage_alerts(await context(app), user_id=user.id)

    data = await events_of(app, user.id, "usage.limit.warning")
    assert [d["metric"] for d in data] == ["generations"]
    assert data[0]["used"] == 80


async def test_an_alert_of_last_month_does_not_hold_back_this_months(
    app: Starlette,
) -> None:
    user = await make_user(app)
    start, _ = month_period()
    last_month, _ = month_period(start - timedelta(days=1))
    async with app.state.parts.db.session() as session:
        session.add(
            UsageAlert(
                user_id=user.id,
                period_start=last_month,
                metric="tokens",
                level="warning",
            )
        )
        await session.commit()
    await use_tokens(app, user.id, 8_000)

    raised = await check_usage_alerts(await context(app), user_id=user.id)

    assert raised == 1
    assert await event_types(app, user.id) == ["usage.limit.warning"]
