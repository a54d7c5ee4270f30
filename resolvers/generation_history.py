"""The history of generations: filters, full-text search and pagination.

Search uses the database's own full-text index, so it stays fast on large
histories: on PostgreSQL a GIN index over ``to_tsvector('english', title ||
' ' || content)``; on SQLite the FTS5 table ``generations_fts`` that triggers
keep in step with ``generations`` (both made by migration 0002).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.generation import GENERATION_STATUSES, Generation
from resolvers.context import RequestContext
from resolvers.errors import ValidationFailed
from resolvers.generation_request import check_format
from resolvers.pagination import PageInfo, PageRequest, paginate
from resolvers.permissions import Action, require_team_action

SORTABLE = ("created_at", "updated_at", "word_count", "tokens_used")
MAX_SEARCH_CHARS = 200
MAX_SEARCH_TERMS = 12
PG_SEARCH = (
    "to_tsvector('english', generations.title || ' ' || generations.content) "
    "@@ plainto_tsquery('english', :search)"
)
SQLITE_SEARCH = (
    "generations.id IN (SELECT gid FROM generations_fts "
    "WHERE generations_fts MATCH :search)"
)


def parse_when(field: str, value: str | None, *, end: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC instant.

    A bare date as ``to_date`` means the whole of that day.
    """
    if value is None or value == "":
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed(
            field=field, reason="must be an ISO 8601 date or date-time"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    # The end bound is exclusive, so an instant given as to_date is included.
    return parsed.astimezone(UTC) + (timedelta(microseconds=1) if end else timedelta())


def search_terms(text: str) -> list[str]:
    """The words of a search, as the index sees them."""
    if len(text) > MAX_SEARCH_CHARS:
        raise ValidationFailed(
            field="search", reason=f"at most {MAX_SEARCH_CHARS} characters"
        )
    return re.findall(r"\w+", text.lower())[:MAX_SEARCH_TERMS]


def search_clause(dialect: str, terms: list[str]) -> sa.TextClause:
    """A WHERE clause matching generations whose title or content has every
    term."""
    if dialect == "postgresql":
        return sa.text(PG_SEARCH).bindparams(search=" ".join(terms))
    query = "{title content} : (" + " AND ".join(f'"{t}"' for t in terms) + ")"
    return sa.text(SQLITE_SEARCH).bindparams(search=query)


async def list_generations(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    page: int | None = None,
    limit: int | None = None,
    format: str | None = None,
    model: str | None = None,
    status: str | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
    search: str | None = None,
    sort: str | None = None,
    order: str | None = None,
    team_id: str | None = None,
) -> tuple[list[Generation], PageInfo]:
    """The caller's generations (or a team's), newest first by default."""
    principal = ctx.require_principal()
    request = PageRequest.of(
        page=page, limit=limit, sort=sort, order=order, sortable=SORTABLE
    )
    query: Any = select(Generation)
    if team_id:
        await require_team_action(
            session,
            team_id=team_id,
            user_id=principal.user_id,
            action=Action.VIEW_GENERATIONS,
        )
        query = query.where(col(Generation.team_id) == team_id)
    else:
        query = query.where(col(Generation.user_id) == principal.user_id)
    if format:
        query = query.where(col(Generation.format) == check_format(format))
    if model:
        query = query.where(col(Generation.model) == model)
    if status:
        if status not in GENERATION_STATUSES:
            raise ValidationFailed(
                field="status",
                reason="must be one of " + ", ".join(GENERATION_STATUSES),
            )
        query = query.where(col(Generation.status) == status)
    start = parse_when("from_date", from_date)
    end = parse_when("to_date", to_date, end=True)
    if start and end and start >= end:
        raise ValidationFailed(field="to_date", reason="must be after from_date")
    if start:
        query = query.where(col(Generation.created_at) >= start)
    if end:
        query = query.where(col(Generation.created_at) < end)
    terms = search_terms(search) if search else []
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if terms:
        query = query.where(search_clause(dialect, terms))
    return await paginate(
        session,
        query,
        page=request,
        columns=sort_columns(searching=bool(terms) and dialect == "postgresql"),
    )


def sort_columns(*, searching: bool) -> dict[str, Any]:
    """What each ``sort`` orders by, and the ``id`` tie-break."""
    created_at: Any = col(Generation.created_at)
    if searching:
        # Left to itself, PostgreSQL walks the created_at index and runs
        # to_tsvector on each row it passes until 20 match (a second for a word
        # in 1% of 100k generations). An order no index provides makes it take
        # the matches from the GIN index, as the count beside it does anyway.
        created_at = created_at + timedelta(0)
    return {
        "created_at": created_at,
        "updated_at": col(Generation.updated_at),
        "word_count": col(Generation.word_count),
        "tokens_used": col(Generation.tokens_used),
        "id": col(Generation.id),
    }
