"""Scalars shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from models.base import isoformat


def _parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 date-time string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="An instant in UTC, ISO 8601 with a Z suffix: 2024-12-20T10:00:00Z.",
    serialize=isoformat,
    parse_value=_parse_datetime,
)

SCALAR_OVERRIDES: dict[object, Any] = {datetime: DateTimeScalar}
