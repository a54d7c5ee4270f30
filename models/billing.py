"""Subscriptions, invoices, usage counters and the bookkeeping around them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_field, fk, id_field, json_field, updated_field


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"

    id: str = id_field("sub")
    user_id: str = Field(
        sa_column=sa.Column(
            sa.String(40),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        )
    )
    tier: str = Field(default="free", max_length=20)
    status: str = Field(default="active", max_length=20)
    provider: str = Field(default="local", max_length=16)
    provider_subscription_id: str | None = Field(default=None, max_length=255)
    current_period_start: datetime
    current_period_end: datetime
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    payment_method: dict[str, Any] | None = json_field(None, nullable=True)
    coupon_code: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"

    id: str = id_field("inv")
    user_id: str = fk("users.id")
    subscription_id: str | None = fk(
        "subscriptions.id", nullable=True, ondelete="SET NULL"
    )
    number: str = Field(max_length=64, unique=True)
    amount: int
    currency: str = Field(default="usd", max_length=8)
    status: str = Field(default="paid", max_length=16)
    pdf_url: str | None = Field(default=None, max_length=2048)
    provider_invoice_id: str | None = Field(default=None, max_length=255, index=True)
    period_start: datetime | None = None
    period_end: datetime | None = None
    created_at: datetime = created_field()


class UsageCounter(SQLModel, table=True):
    """Usage of one scope (a user or a team) on one day, for one format.

    API calls are counted on the row whose format is ``""``.
    """

    __tablename__ = "usage_counters"

    scope_id: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    format: str = Field(primary_key=True, default="", max_length=32)
    tokens: int = 0
    generations: int = 0
    api_calls: int = 0


class UsageAlert(SQLModel, table=True):
    """A usage warning already raised for one period, so each is raised once."""

    __tablename__ = "usage_alerts"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "period_start", "metric", "level"),
    )

    id: str = id_field("ual")
    user_id: str = fk("users.id")
    period_start: datetime
    metric: str = Field(max_length=32)
    level: str = Field(max_length=16)
    created_at: datetime = created_field()


class ProcessedProviderEvent(SQLModel, table=True):
    """An inbound billing-provider event already applied (replays are ignored)."""

    __tablename__ = "processed_provider_events"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=128)
    received_at: datetime = created_field()
