"""Notifications: stored for the user, and pushed to their connected clients
once the transaction that created them has committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.base import isoformat
from models.notification import Notification
from resolvers.context import RequestContext
from subscriptions import channels


def add_notification(
    session: AsyncSession,
    *,
    user_id: str,
    type: str,
    title: str,
    message: str = "",
    action_url: str | None = None,
    data: dict[str, Any] | None = None,
) -> Notification:
    """Add a notification to the session; the caller commits, then pushes it."""
    notification = Notification(
        user_id=user_id,
        type=type,
        title=title,
        message=message,
        action_url=action_url,
        data=data or {},
    )
    session.add(notification)
    return notification


def notification_payload(notification: Notification) -> dict[str, Any]:
    """The spec's ``notification`` object."""
    return {
        "id": notification.id,
        "type": notification.type,
        "title": notification.title,
        "message": notification.message,
        "action_url": notification.action_url,
        "created_at": isoformat(notification.created_at),
    }


async def push_notification(ctx: RequestContext, notification: Notification) -> None:
    """Publish a committed notification on its user's channel."""
    await ctx.services.publisher.publish(
        channels.notifications(notification.user_id),
        {"type": "notification", "notification": notification_payload(notification)},
    )
