"""Usage warnings: at 80% of a monthly limit, and again at 100%, once each.

Each alert raised is a ``usage_alerts`` row keyed by user, period, metric and
level; the unique key makes "once per period" hold even when two requests
cross the threshold together. An alert is a product event
(``usage.limit.warning`` / ``usage.limit.exceeded``) and a notification.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.billing import UsageAlert
from models.notification import Notification
from models.user import User
from resolvers.context import RequestContext
from resolvers.events import emit_event
from resolvers.notifications import add_notification, push_notification
from resolvers.tiers import Tier, get_tier
from resolvers.usage import Usage, month_period, usage_between

logger = logging.getLogger(__name__)

WARNING_PERCENT = 80
EXCEEDED_PERCENT = 100

LEVELS = (
    ("warning", WARNING_PERCENT, "usage.limit.warning"),
    ("exceeded", EXCEEDED_PERCENT, "usage.limit.exceeded"),
)

LABELS = {"tokens": "tokens", "generations": "generations", "api_calls": "API calls"}


@dataclass(frozen=True)
class Crossing:
    metric: str
    level: str
    event_type: str
    used: int
    limit: int


def crossings(usage: Usage, tier: Tier) -> list[Crossing]:
    """Every threshold the month's usage has reached, for each monthly limit."""
    measured = {
        "tokens": (usage.tokens, tier.tokens_per_month),
        "generations": (usage.generations, tier.generations_per_month),
        "api_calls": (usage.api_calls, tier.api_calls_per_month),
    }
    found = []
    for metric, (used, limit) in measured.items():
        for level, percent, event_type in LEVELS:
            if limit > 0 and used * 100 >= limit * percent:
                found.append(Crossing(metric, level, event_type, used, limit))
    return found


async def raise_usage_alerts(
    session: AsyncSession,
    *,
    user_id: str,
    usage: Usage | None = None,
    tier: Tier | None = None,
) -> list[Notification]:
    """Raise the alerts the user's usage this month has earned and not yet had.

    ``usage`` (this month's, read in the session's transaction) and ``tier``
    are read here unless the caller has them already. Adds events and
    notifications to the session; the caller commits, then pushes the
    notifications returned (``push_notification``).
    """
    start, end = month_period()
    if tier is None:
        user = await session.get(User, user_id)
        if user is None:
            return []
        tier = get_tier(user.subscription_tier)
    if usage is None:
        usage = await usage_between(session, scope_id=user_id, start=start, end=end)
    reached = crossings(usage, tier)
    if not reached:
        return []

    raised = await session.execute(
        select(UsageAlert.metric, UsageAlert.level).where(
            col(UsageAlert.user_id) == user_id,
            col(UsageAlert.period_start) == start,
        )
    )
    already = {(metric, level) for metric, level in raised.all()}
    notifications = []
    for crossing in reached:
        if (crossing.metric, crossing.level) in already:
            continue
        try:
            async with session.begin_nested():
                session.add(
                    UsageAlert(
                        user_id=user_id,
                        period_start=start,
                        metric=crossing.metric,
                        level=crossing.level,
                    )
                )
        except IntegrityError:
            continue  # another request raised this one first
        notifications.append(
            await _announce(session, user_id=user_id, crossing=crossing)
        )
    return notifications


async def _announce(
    session: AsyncSession, *, user_id: str, crossing: Crossing
) -> Notification:
    percent = round(crossing.used * 100 / crossing.limit, 2)
    label = LABELS[crossing.metric]
    await emit_event(
        session,
        user_id=user_id,
        type=crossing.event_type,
        data={
            "user_id": user_id,
            "metric": crossing.metric,
            "used": crossing.used,
            "limit": crossing.limit,
            "percentage": percent,
        },
    )
    logger.info(
        "usage alert raised",
        extra={"user_id": user_id, "metric": crossing.metric, "level": crossing.level},
    )
    if crossing.level == "warning":
        title = f"You have used {WARNING_PERCENT}% of your monthly {label}"
    else:
        title = f"You have reached your monthly limit of {label}"
    return add_notification(
        session,
        user_id=user_id,
        type=crossing.event_type,
        title=title,
        message=f"{crossing.used} of {crossing.limit} {label} used this month.",
        action_url="/billing/usage",
        data={"metric": crossing.metric, "percentage": percent},
    )


async def check_usage_alerts(ctx: RequestContext, *, user_id: str) -> int:
    """Raise due alerts in a transaction of their own, then push them.

    Call it after the usage has been committed. Returns how many were raised.
    """
    async with ctx.db.session() as session:
        notifications = await raise_usage_alerts(session, user_id=user_id)
        await session.commit()
    for notification in notifications:
        await push_notification(ctx, notification)
    return len(notifications)
