"""Webhook endpoints and deliveries as GraphQL types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.webhook import WebhookDelivery as DeliveryRow
from models.webhook import WebhookEndpoint as EndpointRow
from models.webhook import WebhookEvent as EventRow
from resolvers.webhook_delivery import endpoint_secrets
from schema.pagination import Pagination


@strawberry.type(description="A URL that receives signed events.")
class WebhookEndpoint:
    id: str = strawberry.field(description="Endpoint id (whk_...).")
    url: str = strawberry.field(description="Where events are POSTed.")
    description: str = strawberry.field(description="Free text for the owner.")
    events: list[str] = strawberry.field(
        description="Event types sent here; empty means every type."
    )
    enabled: bool = strawberry.field(
        description="False once disabled by its owner or after repeated failures."
    )
    consecutive_failures: int = strawberry.field(
        description="Failed delivery attempts since the last success."
    )
    disabled_at: datetime | None = strawberry.field(
        description="When deliveries were turned off, if they are."
    )
    secret: str | None = strawberry.field(
        description="The signing secret (whsec_...): present only in the response "
        "that created or rotated it, null everywhere else."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until when the previous secret also signs, after a rotation."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, row: EndpointRow, *, secret: str | None = None) -> WebhookEndpoint:
        overlapping = len(endpoint_secrets(row)) > 1
        return cls(
            id=row.id,
            url=row.url,
            description=row.description,
            events=list(row.events),
            enabled=row.enabled,
            consecutive_failures=row.consecutive_failures,
            disabled_at=row.disabled_at,
            secret=secret,
            previous_secret_expires_at=(
                row.previous_secret_expires_at if overlapping else None
            ),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="One attempt series to send one event to one URL.")
class WebhookDelivery:
    id: str = strawberry.field(
        description="Delivery id (dlv_...), sent as X-Harvest-Delivery."
    )
    endpoint_id: str | None = strawberry.field(
        description="The endpoint; null for deliveries to a batch's webhook_url."
    )
    event_id: str = strawberry.field(description="The event sent (evt_...).")
    event_type: str | None = strawberry.field(description="The event's type.")
    url: str = strawberry.field(description="The URL it is sent to.")
    status: str = strawberry.field(
        description="pending, retrying, succeeded, failed or cancelled."
    )
    attempts: int = strawberry.field(description="Attempts made so far.")
    response_status: int | None = strawberry.field(
        description="HTTP status of the last attempt, if one answered."
    )
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed, if it did."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due, while retrying."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When a receiver accepted it."
    )
    created_at: datetime = strawberry.field(description="When it was queued.")

    @classmethod
    def of(cls, row: DeliveryRow, event: EventRow | None = None) -> WebhookDelivery:
        return cls(
            id=row.id,
            endpoint_id=row.endpoint_id,
            event_id=row.event_id,
            event_type=event.type if event is not None else None,
            url=row.url,
            status=row.status,
            attempts=row.attempts,
            response_status=row.last_status_code,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
        )


@strawberry.type(description="A page of webhook endpoints.")
class WebhookEndpointPage:
    items: list[WebhookEndpoint] = strawberry.field(
        description="This page's endpoints."
    )
    pagination: Pagination = strawberry.field(description="Where this page sits.")


@strawberry.type(description="A page of an endpoint's deliveries, newest first.")
class WebhookDeliveryPage:
    items: list[WebhookDelivery] = strawberry.field(
        description="This page's deliveries."
    )
    pagination: Pagination = strawberry.field(description="Where this page sits.")


@strawberry.type(description="The outcome of deleting an endpoint.")
class WebhookEndpointDeleted:
    id: str = strawberry.field(description="The endpoint that was deleted.")
    deleted: bool = strawberry.field(description="Always true.")


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointCreateInput:
    url: str = strawberry.field(
        description="An http(s) URL whose host resolves to public addresses only."
    )
    events: list[str] | None = strawberry.field(
        default=None,
        description="Event types to receive (generation.completed, ...); "
        "omitted, empty or ['*'] means every type.",
    )
    description: str | None = strawberry.field(
        default=None, description="Free text, at most 500 characters."
    )


@strawberry.input(description="Changes to an endpoint; omitted fields stay.")
class WebhookEndpointUpdateInput:
    url: str | None = strawberry.field(default=None, description="A new URL.")
    events: list[str] | None = strawberry.field(
        default=None, description="A new list of event types (empty: every type)."
    )
    description: str | None = strawberry.field(
        default=None, description="New free text."
    )
    enabled: bool | None = strawberry.field(
        default=None,
        description="true re-enables a disabled endpoint and clears its failure "
        "count; false stops deliveries.",
    )
