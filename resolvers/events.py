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

TEST_EVENT = "webhook.test"
BATCH_EVENT_TYPES = ("batch.item.completed", "batch.item.failed", "batch.completed")
"""Sent only to a batch's own ``webhook_url``, never to registered endpoints."""

DELIVER_JOB = "webhook.deliver"
DELIVER_JOB_ATTEMPTS = 12
"""A safety net above the delivery's own attempt count (it stops at 9): a job
retries here only when a worker died mid-attempt."""


async def emit_event(
    session: AsyncSession, *, user_id: str, type: str, data: dict[str, Any]
) -> WebhookEvent:
    """Record ``type`` for ``user_id`` and queue its deliveries; caller commits."""
    if type not in EVENT_TYPES:
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
        await queue_delivery(
            session, event=event, url=endpoint.url, endpoint_id=endpoint.id
        )
    return event


async def queue_delivery(
    session: AsyncSession,
    *,
    event: WebhookEvent,
    url: str,
    endpoint_id: str | None = None,
) -> WebhookDelivery:
    """A delivery of ``event`` to ``url`` and the job that sends it.

    The event is flushed first: the tables have no ORM relationship, so the
    session would not otherwise know to insert the event before its delivery.
    """
    await session.flush()
    delivery = WebhookDelivery(event_id=event.id, endpoint_id=endpoint_id, url=url)
    session.add(delivery)
    enqueue_job(
        session,
        kind=DELIVER_JOB,
        payload={"delivery_id": delivery.id},
        max_attempts=DELIVER_JOB_ATTEMPTS,
    )
    return delivery
