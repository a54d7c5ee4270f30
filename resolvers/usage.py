"""Usage accounting: counters per scope (a user or a team), day and format.

Generations and tokens are counted on rows keyed by format; API calls on the
row whose format is ``""``. Writes are atomic upserts, so concurrent requests
never lose a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.billing import UsageCounter


def month_period(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The calendar month (UTC) containing ``now``: [start, end)."""
    now = now or utcnow()
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    if now.month == 12:
        end = datetime(now.year + 1, 1, 1, tzinfo=UTC)
    else:
        end = datetime(now.year, now.month + 1, 1, tzinfo=UTC)
    return start, end


async def _bump(
    session: AsyncSession,
    *,
    scope_id: str,
    day: date,
    format: str,
    tokens: int = 0,
    generations: int = 0,
    api_calls: int = 0,
) -> None:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = UsageCounter.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(
        scope_id=scope_id,
        day=day,
        format=format,
        tokens=tokens,
        generations=generations,
        api_calls=api_calls,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["scope_id", "day", "format"],
        set_={
            "tokens": table.c.tokens + tokens,
            "generations": table.c.generations + generations,
            "api_calls": table.c.api_calls + api_calls,
        },
    )
    await session.execute(statement)


async def record_generation_usage(
    session: AsyncSession,
    *,
    user_id: str,
    team_id: str | None,
    format: str,
    tokens: int,
) -> None:
    """Count one generation and its tokens for the user (and the team)."""
    today = utcnow().date()
    for scope in (user_id, team_id):
        if scope:
            await _bump(
                session,
                scope_id=scope,
                day=today,
                format=format,
                tokens=tokens,
                generations=1,
            )


async def record_api_calls(
    session: AsyncSession, *, user_id: str, calls: int = 1
) -> None:
    """Count ``calls`` API calls for the user, today."""
    await _bump(
        session, scope_id=user_id, day=utcnow().date(), format="", api_calls=calls
    )


@dataclass
class Usage:
    """Usage of one scope over a period."""

    tokens: int = 0
    generations: int = 0
    api_calls: int = 0
    by_format: dict[str, int] = field(default_factory=dict)
    daily: list[tuple[date, int, int]] = field(default_factory=list)


async def usage_between(
    session: AsyncSession, *, scope_id: str, start: datetime, end: datetime
) -> Usage:
    """Totals, generations by format, and (date, tokens, generations) by day."""
    rows = await session.execute(
        select(UsageCounter).where(
            col(UsageCounter.scope_id) == scope_id,
            col(UsageCounter.day) >= start.date(),
            col(UsageCounter.day) < end.date(),
        )
    )
    usage = Usage()
    days: dict[date, list[int]] = {}
    for counter in rows.scalars():
        usage.tokens += counter.tokens
        usage.generations += counter.generations
        usage.api_calls += counter.api_calls
        if counter.format:
            usage.by_format[counter.format] = (
                usage.by_format.get(counter.format, 0) + counter.generations
            )
        day = days.setdefault(counter.day, [0, 0])
        day[0] += counter.tokens
        day[1] += counter.generations
    usage.daily = [(d, t, g) for d, (t, g) in sorted(days.items())]
    return usage


async def generations_today(session: AsyncSession, *, scope_id: str) -> int:
    """Generations counted for the scope today (UTC)."""
    total = await session.scalar(
        select(sa.func.coalesce(sa.func.sum(UsageCounter.generations), 0)).where(
            col(UsageCounter.scope_id) == scope_id,
            col(UsageCounter.day) == utcnow().date(),
        )
    )
    return int(total or 0)
