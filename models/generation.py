"""Generations, their versions, and batches of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import (
    JSONType,
    created_field,
    fk,
    id_field,
    json_field,
    text_field,
    updated_field,
)

GENERATION_STATUSES = ("queued", "running", "completed", "failed", "cancelled")

SEARCH_OBJECTS = frozenset(
    {
        "generations_fts",
        "generations_fts_config",
        "generations_fts_content",
        "generations_fts_data",
        "generations_fts_docsize",
        "generations_fts_idx",
        "ix_generations_search",
    }
)
"""The full-text index of migration 0002 (FTS5 on SQLite, GIN on PostgreSQL):
written by hand, so autogenerate and the drift test leave it alone."""


def is_managed(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: False for objects no model describes."""
    return name not in SEARCH_OBJECTS


class Generation(SQLModel, table=True):
    __tablename__ = "generations"
    __table_args__ = (
        sa.Index("ix_generations_user_created", "user_id", "created_at"),
        sa.Index("ix_generations_user_format", "user_id", "format"),
        sa.Index("ix_generations_user_model", "user_id", "model"),
        sa.Index("ix_generations_team_created", "team_id", "created_at"),
    )

    id: str = id_field("gen")
    user_id: str = fk("users.id")
    team_id: str | None = fk("teams.id", nullable=True, ondelete="SET NULL")
    template_id: str | None = fk("templates.id", nullable=True, ondelete="SET NULL")
    batch_id: str | None = fk("batches.id", nullable=True, ondelete="SET NULL")
    format: str = Field(max_length=32)
    status: str = Field(default="queued", max_length=16, index=True)
    model: str = Field(max_length=100)
    input: str = text_field()
    options: dict[str, Any] = json_field({})
    meta: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=sa.Column("metadata", JSONType, nullable=False),
    )
    title: str = Field(default="", max_length=300)
    content: str = text_field()
    word_count: int = 0
    tokens_used: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    processing_time_ms: int = 0
    error_code: str | None = Field(default=None, max_length=32)
    error_message: str | None = Field(default=None, max_length=2000)
    approval_status: str | None = Field(default=None, max_length=16)
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()
    completed_at: datetime | None = None


class GenerationVersion(SQLModel, table=True):
    __tablename__ = "generation_versions"
    __table_args__ = (sa.UniqueConstraint("generation_id", "version"),)

    id: str = id_field("gver")
    generation_id: str = fk("generations.id")
    version: int
    content: str = text_field()
    source: str = Field(default="generated", max_length=16)
    created_by: str | None = fk("users.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = created_field()


class Batch(SQLModel, table=True):
    __tablename__ = "batches"

    id: str = id_field("bat")
    user_id: str = fk("users.id")
    status: str = Field(default="processing", max_length=16)
    items: int = 0
    webhook_url: str | None = Field(default=None, max_length=2048)
    created_at: datetime = created_field()
    completed_at: datetime | None = None


class BatchItem(SQLModel, table=True):
    __tablename__ = "batch_items"
    __table_args__ = (sa.UniqueConstraint("batch_id", "position"),)

    id: str = id_field("bit")
    batch_id: str = fk("batches.id")
    position: int
    client_id: str = Field(default="", max_length=128)
    request: dict[str, Any] = json_field({})
    status: str = Field(default="queued", max_length=16)
    generation_id: str | None = fk("generations.id", nullable=True, ondelete="SET NULL")
    error: dict[str, Any] | None = json_field(None, nullable=True)
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()
