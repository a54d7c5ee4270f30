"""In-app notifications, stored and pushed to connected clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_field, fk, id_field, json_field


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: str = id_field("notif")
    user_id: str = fk("users.id")
    type: str = Field(max_length=64)
    title: str = Field(max_length=200)
    message: str = Field(default="", max_length=2000)
    action_url: str | None = Field(default=None, max_length=2048)
    data: dict[str, Any] = json_field({})
    read_at: datetime | None = None
    created_at: datetime = created_field()
