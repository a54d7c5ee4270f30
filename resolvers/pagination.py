"""The spec's pagination, for every list: page, limit (max 100), sort, order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import ValidationFailed

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class PageRequest:
    """A validated page request."""

    page: int = 1
    limit: int = DEFAULT_LIMIT
    sort: str = "created_at"
    order: str = "desc"

    @classmethod
    def of(
        cls,
        *,
        page: int | None = None,
        limit: int | None = None,
        sort: str | None = None,
        order: str | None = None,
        sortable: Sequence[str] = ("created_at",),
    ) -> PageRequest:
        """Check each parameter, naming the one that is out of bounds."""
        page = 1 if page is None else page
        limit = DEFAULT_LIMIT if limit is None else limit
        if page < 1:
            raise ValidationFailed(field="page", reason="must be 1 or more")
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationFailed(
                field="limit", reason=f"must be between 1 and {MAX_LIMIT}"
            )
        sort = sort or sortable[0]
        if sort not in sortable:
            raise ValidationFailed(
                field="sort", reason=f"must be one of {', '.join(sortable)}"
            )
        order = (order or "desc").lower()
        if order not in ("asc", "desc"):
            raise ValidationFailed(field="order", reason="must be 'asc' or 'desc'")
        return cls(page=page, limit=limit, sort=sort, order=order)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@dataclass(frozen=True)
class PageInfo:
    """The spec's ``pagination`` block."""

    page: int
    limit: int
    total_items: int

    @property
    def total_pages(self) -> int:
        return (self.total_items + self.limit - 1) // self.limit

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


async def paginate(
    session: AsyncSession,
    query: sa.Select[Any],
    *,
    page: PageRequest,
    columns: Mapping[str, Any],
) -> tuple[list[Any], PageInfo]:
    """Run ``query`` for one page, ordered by ``columns[page.sort]``, with a
    stable tie-break on the first column of the query's entity."""
    column = columns[page.sort]
    ordering = column.asc() if page.order == "asc" else column.desc()
    tie = columns.get("id")
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    ordered = query.order_by(ordering, *([tie] if tie is not None else []))
    rows = await session.execute(ordered.offset(page.offset).limit(page.limit))
    return list(rows.scalars()), PageInfo(page.page, page.limit, int(total or 0))
