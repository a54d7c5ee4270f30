"""Outgoing webhook endpoints: register, list, change, delete, test, rotate, and
look at deliveries (the sending itself lives in ``resolvers.webhook_delivery``).

An endpoint belongs to one user. Its signing secret (``whsec_...``) is shown
once, when the endpoint is created or its secret rotated. A URL is checked by
the SSRF guard when it is registered or changed, and again at every delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.webhook import WebhookDelivery, WebhookEndpoint, WebhookEvent
from resolvers import webhook_delivery
from resolvers.context import RequestContext
from resolvers.errors import Conflict, NotFound, QuotaExceeded, ValidationFailed
from resolvers.events import EVENT_TYPES, TEST_EVENT, queue_delivery
from resolvers.pagination import PageInfo, PageRequest, paginate
from resolvers.webhook_signing import new_secret
from resolvers.webhook_urls import check_webhook_url

MAX_ENDPOINTS_PER_USER = 20
MAX_DESCRIPTION = 500
DEFAULT_OVERLAP_HOURS = 24
MAX_OVERLAP_HOURS = 24 * 7
DELIVERY_STATUSES = ("pending", "retrying", "succeeded", "failed", "cancelled")
SORTABLE = ("created_at",)


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint together with the secret shown this once."""

    endpoint: WebhookEndpoint
    secret: str


def checked_events(events: Sequence[str] | None) -> list[str]:
    """The event types to subscribe to; empty means every type."""
    chosen = list(dict.fromkeys(events or []))
    unknown = [e for e in chosen if e not in EVENT_TYPES and e != "*"]
    if unknown:
        raise ValidationFailed(
            f"Unknown event type '{unknown[0]}': choose from {', '.join(EVENT_TYPES)}",
            field="events",
            reason="unknown_event_type",
        )
    return [] if "*" in chosen else chosen


def checked_description(description: str | None) -> str:
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(
            field="description", reason=f"at most {MAX_DESCRIPTION} characters"
        )
    return text


async def get_own_endpoint(
    session: AsyncSession, *, ctx: RequestContext, id: str
) -> WebhookEndpoint:
    """The caller's endpoint ``id``; NOT_FOUND for anyone else's."""
    principal = ctx.require_principal()
    endpoint = await session.get(WebhookEndpoint, id)
    if endpoint is None or endpoint.user_id != principal.user_id:
        raise NotFound("Webhook endpoint not found", details={"id": id})
    return endpoint


async def create_webhook_endpoint(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    url: str,
    events: Sequence[str] | None = None,
    description: str | None = None,
) -> EndpointWithSecret:
    """Register an endpoint; the returned secret is not shown again."""
    principal = ctx.require_writer()
    chosen = checked_events(events)
    text = checked_description(description)
    target = await check_webhook_url(ctx, url)
    count = await session.scalar(
        select(sa.func.count())
        .select_from(WebhookEndpoint)
        .where(col(WebhookEndpoint.user_id) == principal.user_id)
    )
    if int(count or 0) >= MAX_ENDPOINTS_PER_USER:
        raise QuotaExceeded(
            f"At most {MAX_ENDPOINTS_PER_USER} webhook endpoints per account",
            details={"limit": MAX_ENDPOINTS_PER_USER},
        )
    secret = new_secret()
    endpoint = WebhookEndpoint(
        user_id=principal.user_id,
        url=target.url,
        events=chosen,
        description=text,
        secret=secret,
    )
    session.add(endpoint)
    await session.commit()
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


async def list_webhook_endpoints(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> tuple[list[WebhookEndpoint], PageInfo]:
    """The caller's endpoints, newest first unless ``sort``/``order`` say."""
    principal = ctx.require_principal()
    request = PageRequest.of(
        page=page, limit=limit, sort=sort, order=order, sortable=SORTABLE
    )
    query = select(WebhookEndpoint).where(
        col(WebhookEndpoint.user_id) == principal.user_id
    )
    return await paginate(
        session,
        query,
        page=request,
        columns={"created_at": WebhookEndpoint.created_at, "id": WebhookEndpoint.id},
    )


async def get_webhook_endpoint(
    session: AsyncSession, *, ctx: RequestContext, id: str
) -> WebhookEndpoint:
    """One of the caller's endpoints."""
    return await get_own_endpoint(session, ctx=ctx, id=id)


async def update_webhook_endpoint(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    id: str,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what was given; enabling an endpoint clears its failure count."""
    ctx.require_writer()
    endpoint = await get_own_endpoint(session, ctx=ctx, id=id)
    if url is not None:
        endpoint.url = (await check_webhook_url(ctx, url)).url
    if events is not None:
        endpoint.events = checked_events(events)
    if description is not None:
        endpoint.description = checked_description(description)
    if enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_at = None
        endpoint.consecutive_failures = 0
    elif enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_at = utcnow()
        await webhook_delivery.cancel_pending_deliveries(
            session, endpoint_id=endpoint.id
        )
    endpoint.updated_at = utcnow()
    await session.commit()
    return endpoint


async def delete_webhook_endpoint(
    session: AsyncSession, *, ctx: RequestContext, id: str
) -> bool:
    """Remove the endpoint and its delivery log."""
    ctx.require_writer()
    endpoint = await get_own_endpoint(session, ctx=ctx, id=id)
    await session.execute(
        sa.delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == id)
    )
    await session.delete(endpoint)
    await session.commit()
    return True


async def rotate_webhook_secret(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    id: str,
    overlap_hours: int | None = None,
) -> EndpointWithSecret:
    """A new secret; the old one keeps signing (second signature) for the
    overlap, 24 hours unless told otherwise (0 ends it at once)."""
    ctx.require_writer()
    hours = DEFAULT_OVERLAP_HOURS if overlap_hours is None else overlap_hours
    if not 0 <= hours <= MAX_OVERLAP_HOURS:
        raise ValidationFailed(
            field="overlap_hours", reason=f"must be between 0 and {MAX_OVERLAP_HOURS}"
        )
    endpoint = await get_own_endpoint(session, ctx=ctx, id=id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret if hours else None
    endpoint.previous_secret_expires_at = (
        utcnow() + timedelta(hours=hours) if hours else None
    )
    endpoint.secret = secret
    endpoint.updated_at = utcnow()
    await session.commit()
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


async def send_test_webhook(
    session: AsyncSession, *, ctx: RequestContext, id: str
) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to this endpoint only."""
    principal = ctx.require_writer()
    endpoint = await get_own_endpoint(session, ctx=ctx, id=id)
    if not endpoint.enabled:
        raise Conflict(
            "This endpoint is disabled: enable it before sending a test event",
            details={"id": id},
        )
    event = WebhookEvent(
        user_id=principal.user_id,
        type=TEST_EVENT,
        data={"endpoint_id": endpoint.id, "message": "Test event from Harvest"},
    )
    session.add(event)
    delivery = await queue_delivery(
        session, event=event, url=endpoint.url, endpoint_id=endpoint.id
    )
    await session.commit()
    return delivery


async def list_webhook_deliveries(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    id: str,
    status: str | None = None,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> tuple[list[WebhookDelivery], PageInfo]:
    """The endpoint's deliveries, newest first unless ``sort``/``order`` say,
    optionally of one status."""
    await get_own_endpoint(session, ctx=ctx, id=id)
    request = PageRequest.of(
        page=page, limit=limit, sort=sort, order=order, sortable=SORTABLE
    )
    query = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == id)
    if status is not None:
        if status not in DELIVERY_STATUSES:
            raise ValidationFailed(
                field="status", reason=f"must be one of {', '.join(DELIVERY_STATUSES)}"
            )
        query = query.where(col(WebhookDelivery.status) == status)
    return await paginate(
        session,
        query,
        page=request,
        columns={"created_at": WebhookDelivery.created_at, "id": WebhookDelivery.id},
    )


async def redeliver_webhook(
    session: AsyncSession, *, ctx: RequestContext, id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a past delivery's event again, as a new delivery."""
    ctx.require_writer()
    endpoint = await get_own_endpoint(session, ctx=ctx, id=id)
    past = await session.get(WebhookDelivery, delivery_id)
    if past is None or past.endpoint_id != endpoint.id:
        raise NotFound("Delivery not found", details={"delivery_id": delivery_id})
    if not endpoint.enabled:
        raise Conflict(
            "This endpoint is disabled: enable it before redelivering",
            details={"id": id},
        )
    event = await session.get(WebhookEvent, past.event_id)
    if event is None:
        raise NotFound("Delivery not found", details={"delivery_id": delivery_id})
    delivery = await queue_delivery(
        session, event=event, url=endpoint.url, endpoint_id=endpoint.id
    )
    await session.commit()
    return delivery


async def get_events_by_ids(
    session: AsyncSession, *, ctx: RequestContext, ids: Sequence[str]
) -> dict[str, WebhookEvent]:
    """The caller's events among ``ids``, by id (one query)."""
    principal = ctx.require_principal()
    if not ids:
        return {}
    rows = await session.execute(
        select(WebhookEvent).where(
            col(WebhookEvent.id).in_(list(set(ids))),
            col(WebhookEvent.user_id) == principal.user_id,
        )
    )
    return {event.id: event for event in rows.scalars()}
