"""NotificationQuery: the caller's notifications."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import notifications
from schema.context import Context, call
from schema.notification.types import Notification, NotificationList
from schema.pagination import Pagination


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="The caller's notifications, newest first.")
    async def notifications(
        self,
        info: Info[Context, Any],
        unread_only: Annotated[
            bool, strawberry.argument(description="Only those not yet read.")
        ] = False,
        page: Annotated[
            int | None, strawberry.argument(description="Page number, from 1.")
        ] = None,
        limit: Annotated[
            int | None,
            strawberry.argument(description="Notifications per page, at most 100."),
        ] = None,
        sort: Annotated[
            str | None, strawberry.argument(description="Sort field: created_at.")
        ] = None,
        order: Annotated[
            str | None, strawberry.argument(description="desc (default) or asc.")
        ] = None,
    ) -> NotificationList:
        rows, page_info, unread = await call(
            info,
            notifications.list_notifications,
            unread_only=unread_only,
            page=page,
            limit=limit,
            sort=sort,
            order=order,
        )
        return NotificationList(
            notifications=[Notification.of(row) for row in rows],
            unread_count=unread,
            pagination=Pagination.of(page_info),
        )
