"""Notification types."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from models.notification import Notification as NotificationRow
from schema.pagination import Pagination


@strawberry.type(description="Something the caller should know about.")
class Notification:
    id: strawberry.ID = strawberry.field(description="Notification id (notif_...).")
    type: str = strawberry.field(
        description="What happened: team_invite, team_member_joined, "
        "team_member_removed, team_ownership_transferred, generation_approval."
    )
    title: str = strawberry.field(description="A short title.")
    message: str = strawberry.field(description="The text to show.")
    action_url: str | None = strawberry.field(
        description="Where to act on it, if anywhere."
    )
    data: JSON = strawberry.field(description="Ids the notification refers to.")
    read: bool = strawberry.field(description="True once marked read.")
    read_at: datetime | None = strawberry.field(description="When it was read.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def of(cls, row: NotificationRow) -> Notification:
        return cls(
            id=strawberry.ID(row.id),
            type=row.type,
            title=row.title,
            message=row.message,
            action_url=row.action_url,
            data=cast(JSON, row.data),
            read=row.read_at is not None,
            read_at=row.read_at,
            created_at=row.created_at,
        )


@strawberry.type(description="A page of the caller's notifications.")
class NotificationList:
    notifications: list[Notification] = strawberry.field(
        description="The notifications, newest first."
    )
    unread_count: int = strawberry.field(description="Unread notifications in all.")
    pagination: Pagination = strawberry.field(description="Where this page sits.")


@strawberry.type(description="The notification that was marked read.")
class NotificationPayload:
    notification: Notification = strawberry.field(description="The notification.")


@strawberry.type(description="How many notifications were marked read.")
class NotificationMarkAllReadPayload:
    updated: int = strawberry.field(description="Notifications that changed.")
