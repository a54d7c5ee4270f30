"""Product events (the spec's webhook event types), raised where they happen.

``emit_event`` stores the event and, in the same transaction, a delivery and a
durable job for every enabled endpoint of the user that listens to its type.
The job kind ``webhook.deliver`` is run by ``resolvers/webhooks.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.webhook import WebhookDelivery, WebhookEndpoint, WebhookEvent
from resolvers.jobs import enqueue_job

EVENT_TYPES = (
    "generation.completed",
    "generation.failed",
    "subscription.updated",
    "team.member.added",
    "team.member.removed",
    "usage.limit.warning",
    "usage.limit.exceeded",
    "payment.succeeded",
    "payment.failed",
)

DELIVER_JOB = "webhook.deliver"


async def emit_event(
    session: AsyncSession, *, user_id: str, type: str, data: dict[str, Any]
) -> WebhookEvent:
    """Record ``type`` for ``user_id`` and queue its deliveries; caller commits."""
    if type not in EVENT_TYPES and type != "webhook.test":
        raise ValueError(f"unknown event type {type!r}")
    event = WebhookEvent(user_id=user_id, type=type, data=data)
    session.add(event)
    endpoints = await session.execute(
        select(WebhookEndpoint).where(
            col(WebhookEndpoint.user_id) == user_id,
            col(WebhookEndpoint.enabled).is_(True),
        )
    )
    for endpoint in endpoints.scalars():
        if (
            endpoint.events
            and type not in endpoint.events
            and "*" not in endpoint.events
        ):
            continue
        queue_delivery(session, event=event, url=endpoint.url, endpoint_id=endpoint.id)
    return event


def queue_delivery(
    session: AsyncSession,
    *,
    event: WebhookEvent,
    url: str,
    endpoint_id: str | None = None,
) -> WebhookDelivery:
    """A delivery of ``event`` to ``url`` and the job that sends it."""
    delivery = WebhookDelivery(event_id=event.id, endpoint_id=endpoint_id, url=url)
    session.add(delivery)
    enqueue_job(session, kind=DELIVER_JOB, payload={"delivery_id": delivery.id})
    return delivery
