"""Outgoing webhooks: endpoints, events and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from models.base import created_field, fk, id_field, json_field, updated_field


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"

    id: str = id_field("whk")
    user_id: str = fk("users.id")
    url: str = Field(max_length=2048)
    description: str = Field(default="", max_length=500)
    events: list[str] = json_field([])
    secret: str = Field(max_length=128)
    previous_secret: str | None = Field(default=None, max_length=128)
    previous_secret_expires_at: datetime | None = None
    enabled: bool = True
    consecutive_failures: int = 0
    disabled_at: datetime | None = None
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class WebhookEvent(SQLModel, table=True):
    __tablename__ = "webhook_events"

    id: str = id_field("evt")
    user_id: str = fk("users.id")
    type: str = Field(max_length=64, index=True)
    data: dict[str, Any] = json_field({})
    created_at: datetime = created_field()


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"

    id: str = id_field("dlv")
    event_id: str = fk("webhook_events.id")
    endpoint_id: str | None = fk("webhook_endpoints.id", nullable=True)
    url: str = Field(max_length=2048)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime = created_field()
