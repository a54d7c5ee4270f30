"""Webhook queries: the caller's endpoints and their deliveries."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import webhooks
from schema.context import Context, call
from schema.pagination import Pagination
from schema.webhook.types import (
    WebhookDelivery,
    WebhookDeliveryPage,
    WebhookEndpoint,
    WebhookEndpointPage,
)

PageArg = Annotated[int | None, strawberry.argument(description="Page number, from 1.")]
LimitArg = Annotated[
    int | None, strawberry.argument(description="Items per page, at most 100.")
]
SortArg = Annotated[
    str | None, strawberry.argument(description="Sort field: created_at.")
]
OrderArg = Annotated[
    str | None, strawberry.argument(description="asc or desc (the default).")
]


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Your webhook endpoints, newest first.")
    async def webhook_endpoints(
        self,
        info: Info[Context, None],
        page: PageArg = None,
        limit: LimitArg = None,
        sort: SortArg = None,
        order: OrderArg = None,
    ) -> WebhookEndpointPage:
        rows, page_info = await call(
            info,
            webhooks.list_webhook_endpoints,
            page=page,
            limit=limit,
            sort=sort,
            order=order,
        )
        return WebhookEndpointPage(
            items=[WebhookEndpoint.of(row) for row in rows],
            pagination=Pagination.of(page_info),
        )

    @strawberry.field(description="One of your webhook endpoints.")
    async def webhook_endpoint(
        self,
        info: Info[Context, None],
        id: Annotated[str, strawberry.argument(description="Endpoint id (whk_...).")],
    ) -> WebhookEndpoint:
        row = await call(info, webhooks.get_webhook_endpoint, id=id)
        return WebhookEndpoint.of(row)

    @strawberry.field(description="An endpoint's deliveries, newest first.")
    async def webhook_deliveries(
        self,
        info: Info[Context, None],
        endpoint_id: Annotated[
            str, strawberry.argument(description="Endpoint id (whk_...).")
        ],
        status: Annotated[
            str | None,
            strawberry.argument(
                description="Only this status: pending, retrying, succeeded, "
                "failed or cancelled."
            ),
        ] = None,
        page: PageArg = None,
        limit: LimitArg = None,
        sort: SortArg = None,
        order: OrderArg = None,
    ) -> WebhookDeliveryPage:
        rows, page_info = await call(
            info,
            webhooks.list_webhook_deliveries,
            id=endpoint_id,
            status=status,
            page=page,
            limit=limit,
            sort=sort,
            order=order,
        )
        events = await call(
            info, webhooks.get_events_by_ids, ids=[row.event_id for row in rows]
        )
        return WebhookDeliveryPage(
            items=[WebhookDelivery.of(row, events.get(row.event_id)) for row in rows],
            pagination=Pagination.of(page_info),
        )
