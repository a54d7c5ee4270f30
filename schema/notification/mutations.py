"""NotificationMutation: mark notifications read."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import notifications
from schema.context import Context, call
from schema.notification.types import (
    Notification,
    NotificationMarkAllReadPayload,
    NotificationPayload,
)


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Mark one of the caller's notifications read.")
    async def notification_mark_read(
        self,
        info: Info[Context, Any],
        id: Annotated[
            strawberry.ID, strawberry.argument(description="Notification id.")
        ],
    ) -> NotificationPayload:
        row = await call(
            info, notifications.mark_notification_read, notification_id=str(id)
        )
        return NotificationPayload(notification=Notification.of(row))

    @strawberry.mutation(description="Mark every unread notification read.")
    async def notification_mark_all_read(
        self, info: Info[Context, Any]
    ) -> NotificationMarkAllReadPayload:
        updated = await call(info, notifications.mark_all_notifications_read)
        return NotificationMarkAllReadPayload(updated=updated)
