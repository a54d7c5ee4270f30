"""Notifications: stored for the user, and pushed to their connected clients
once the transaction that created them has committed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import isoformat, utcnow
from models.notification import Notification
from resolvers.context import RequestContext
from resolvers.errors import NotFound
from resolvers.pagination import PageInfo, PageRequest, paginate
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


async def list_notifications(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    unread_only: bool = False,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> tuple[list[Notification], PageInfo, int]:
    """The caller's notifications, newest first, and how many are unread."""
    principal = ctx.require_principal()
    request = PageRequest.of(page=page, limit=limit, sort=sort, order=order)
    query = select(Notification).where(col(Notification.user_id) == principal.user_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    items, info = await paginate(
        session,
        query,
        page=request,
        columns={"created_at": Notification.created_at, "id": Notification.id},
    )
    unread = await session.scalar(
        select(sa.func.count())
        .select_from(Notification)
        .where(
            col(Notification.user_id) == principal.user_id,
            col(Notification.read_at).is_(None),
        )
    )
    return items, info, int(unread or 0)


async def mark_notification_read(
    session: AsyncSession, *, ctx: RequestContext, notification_id: str
) -> Notification:
    """Mark one of the caller's notifications read (again is harmless)."""
    principal = ctx.require_writer()
    notification = await session.get(Notification, notification_id)
    if notification is None or notification.user_id != principal.user_id:
        raise NotFound(
            "Notification not found", details={"notification_id": notification_id}
        )

    if notification.read_at is None:
        notification.read_at = utcnow()
        session.add(notification)
        await session.commit()
    return notification


async def mark_all_notifications_read(
    session: AsyncSession, *, ctx: RequestContext
) -> int:
    """Mark every unread notification of the caller read; how many changed."""
    principal = ctx.require_writer()
    result = await session.execute(
        sa.update(Notification)
        .where(
            col(Notification.user_id) == principal.user_id,
            col(Notification.read_at).is_(None),
        )
        .values(read_at=utcnow())
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
