"""Durable jobs: work stored in the database, claimed and leased by workers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_field, id_field, json_field, updated_field, utcnow


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_status_run_at", "status", "run_at"),)

    id: str = id_field("job")
    kind: str = Field(max_length=64, index=True)
    payload: dict[str, Any] = json_field({})
    status: str = Field(default="queued", max_length=16)
    attempts: int = 0
    max_attempts: int = 8
    run_at: datetime = Field(default_factory=utcnow)
    locked_until: datetime | None = None
    locked_by: str | None = Field(default=None, max_length=128)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()
