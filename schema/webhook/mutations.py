"""Webhook mutations: manage endpoints, test them, rotate secrets, redeliver."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from models.webhook import WebhookDelivery as DeliveryRow
from resolvers import webhooks
from schema.context import Context, call
from schema.webhook.types import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreateInput,
    WebhookEndpointDeleted,
    WebhookEndpointUpdateInput,
)

EndpointId = Annotated[str, strawberry.argument(description="Endpoint id (whk_...).")]


async def with_event(info: Info[Context, None], row: DeliveryRow) -> WebhookDelivery:
    events = await call(info, webhooks.get_events_by_ids, ids=[row.event_id])
    return WebhookDelivery.of(row, events.get(row.event_id))


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Register an endpoint; its signing secret is returned only here."
    )
    async def webhook_endpoint_create(
        self, info: Info[Context, None], input: WebhookEndpointCreateInput
    ) -> WebhookEndpoint:
        created = await call(
            info,
            webhooks.create_webhook_endpoint,
            url=input.url,
            events=input.events,
            description=input.description,
        )
        return WebhookEndpoint.of(created.endpoint, secret=created.secret)

    @strawberry.mutation(description="Change an endpoint's URL, events or state.")
    async def webhook_endpoint_update(
        self,
        info: Info[Context, None],
        id: EndpointId,
        input: WebhookEndpointUpdateInput,
    ) -> WebhookEndpoint:
        row = await call(
            info,
            webhooks.update_webhook_endpoint,
            id=id,
            url=input.url,
            events=input.events,
            description=input.description,
            enabled=input.enabled,
        )
        return WebhookEndpoint.of(row)

    @strawberry.mutation(description="Delete an endpoint and its delivery log.")
    async def webhook_endpoint_delete(
        self, info: Info[Context, None], id: EndpointId
    ) -> WebhookEndpointDeleted:
        await call(info, webhooks.delete_webhook_endpoint, id=id)
        return WebhookEndpointDeleted(id=id, deleted=True)

    @strawberry.mutation(description="Send a webhook.test event to this endpoint.")
    async def webhook_endpoint_test(
        self, info: Info[Context, None], id: EndpointId
    ) -> WebhookDelivery:
        row = await call(info, webhooks.send_test_webhook, id=id)
        return await with_event(info, row)

    @strawberry.mutation(
        description="Replace the signing secret; the old one keeps signing as a "
        "second signature during the overlap. The new secret is returned only here."
    )
    async def webhook_endpoint_rotate_secret(
        self,
        info: Info[Context, None],
        id: EndpointId,
        overlap_hours: Annotated[
            int | None,
            strawberry.argument(
                description="Hours the old secret still signs (0 to 168, default 24)."
            ),
        ] = None,
    ) -> WebhookEndpoint:
        rotated = await call(
            info, webhooks.rotate_webhook_secret, id=id, overlap_hours=overlap_hours
        )
        return WebhookEndpoint.of(rotated.endpoint, secret=rotated.secret)

    @strawberry.mutation(description="Send a past delivery's event again.")
    async def webhook_delivery_redeliver(
        self,
        info: Info[Context, None],
        endpoint_id: EndpointId,
        delivery_id: Annotated[
            str, strawberry.argument(description="The delivery to repeat (dlv_...).")
        ],
    ) -> WebhookDelivery:
        row = await call(
            info, webhooks.redeliver_webhook, id=endpoint_id, delivery_id=delivery_id
        )
        return await with_event(info, row)
