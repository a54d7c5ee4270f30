"""Idempotency records: the first response to a key, replayed for 24 hours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_field, id_field, json_field, text_field


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("principal_id", "key"),)

    id: str = id_field("idk")
    principal_id: str = Field(max_length=64)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=128)
    status: str = Field(default="in_progress", max_length=16)
    response_status: int | None = None
    response_headers: dict[str, Any] = json_field({})
    response_body: str = text_field()
    created_at: datetime = created_field()
    expires_at: datetime = Field(index=True)
