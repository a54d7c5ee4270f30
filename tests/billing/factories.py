"""Billing test helpers: reading back what the billing code stored."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from starlette.applications import Starlette

from models.billing import Invoice, Subscription
from models.db import Database
from models.notification import Notification
from models.user import User
from models.webhook import WebhookEvent


async def event_types(app: Starlette, user_id: str) -> list[str]:
    """The product events raised for the user, oldest first."""
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(WebhookEvent)
            .where(col(WebhookEvent.user_id) == user_id)
            .order_by(col(WebhookEvent.created_at))
        )
        return [event.type for event in rows.scalars()]


async def events_of(app: Starlette, user_id: str, type: str) -> list[dict[str, Any]]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(WebhookEvent).where(
                col(WebhookEvent.user_id) == user_id, col(WebhookEvent.type) == type
            )
        )
        return [event.data for event in rows.scalars()]


async def notification_types(app: Starlette, user_id: str) -> list[str]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Notification).where(col(Notification.user_id) == user_id)
        )
        return sorted(n.type for n in rows.scalars())


async def stored_tier(app: Starlette, user_id: str) -> str:
    db: Database = app.state.parts.db
    async with db.session() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user.subscription_tier


async def stored_subscription(app: Starlette, user_id: str) -> Subscription | None:
    db: Database = app.state.parts.db
    async with db.session() as session:
        rows = await session.execute(
            select(Subscription).where(col(Subscription.user_id) == user_id)
        )
        return rows.scalar_one_or_none()


async def stored_invoices(app: Starlette, user_id: str) -> list[Invoice]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Invoice).where(col(Invoice.user_id) == user_id)
        )
        return list(rows.scalars())
