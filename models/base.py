"""Shared column helpers: prefixed ids, UTC timestamps, JSON columns."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ALPHABET = string.ascii_lowercase + string.digits

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def new_id(prefix: str, length: int = 16) -> str:
    """Return a random id with the spec's prefix, e.g. ``gen_2n3k4m5p6q7r8s9t``."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (SQLModel stores and returns UTC)."""
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    """Render a stored timestamp as the spec does: ``2024-12-20T10:00:00Z``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def id_field(prefix: str) -> Any:
    """A primary-key column filled with a fresh prefixed id."""
    return Field(
        default_factory=lambda: new_id(prefix), primary_key=True, max_length=40
    )


def created_field() -> Any:
    return Field(default_factory=utcnow, nullable=False, index=True)


def updated_field() -> Any:
    return Field(default_factory=utcnow, nullable=False)


def json_field(default: Any = None, *, nullable: bool = False) -> Any:
    """A JSON column (JSONB on PostgreSQL)."""
    factory = (
        (lambda: dict(default))
        if isinstance(default, dict)
        else (
            (lambda: list(default)) if isinstance(default, list) else (lambda: default)
        )
    )
    return Field(
        default_factory=factory, sa_column=sa.Column(JSONType, nullable=nullable)
    )


def text_field(*, nullable: bool = False, default: str | None = "") -> Any:
    """An unbounded text column."""
    return Field(default=default, sa_column=sa.Column(sa.Text, nullable=nullable))


def fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    """A foreign key column to ``target`` (``table.column``), indexed."""
    return Field(
        default=None if nullable else ...,
        sa_column=sa.Column(
            sa.String(40),
            sa.ForeignKey(target, ondelete=ondelete),
            nullable=nullable,
            index=True,
        ),
    )
