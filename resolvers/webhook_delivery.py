"""Sending one webhook delivery: the ``webhook.deliver`` job.

Each attempt re-resolves the host, checks every address (the SSRF guard), and
connects to the checked address. A 2xx is a success; anything else (3xx
included, as redirects are not followed), a timeout or a network error is a
failed attempt. Failed attempts are retried on ``RETRY_SCHEDULE`` (multiples of
``AppConfig.webhook_retry_base_seconds``, 5 s by default: 5 s, 30 s, 3 min,
10 min, 30 min, 1 h, 2 h, 4 h), with up to 10% jitter, ``MAX_ATTEMPTS`` in all.
An endpoint is disabled, and its owner notified, after
``DISABLE_AFTER_FAILURES`` failed attempts in a row with no success between,
or at once when the receiver answers 410 Gone.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from models.base import isoformat, utcnow
from models.notification import Notification
from models.webhook import WebhookDelivery, WebhookEndpoint, WebhookEvent
from resolvers.context import RequestContext
from resolvers.errors import ValidationFailed
from resolvers.events import DELIVER_JOB
from resolvers.jobs import RetryLater, job_handler
from resolvers.notifications import add_notification, push_notification
from resolvers.ports import OutboundPost, OutboundResult
from resolvers.webhook_signing import derived_secret, signature_headers
from resolvers.webhook_urls import check_webhook_url, transport

logger = logging.getLogger(__name__)

RETRY_SCHEDULE = (1, 6, 36, 120, 360, 720, 1440, 2880)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
DISABLE_AFTER_FAILURES = 20
FINAL_STATUSES = ("succeeded", "failed", "cancelled")


def retry_delay(ctx: RequestContext, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt, with a little jitter."""
    step = RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1]
    seconds = step * ctx.config.webhook_retry_base_seconds
    return timedelta(seconds=seconds * (1 + random.uniform(0, 0.1)))


def batch_secret(ctx: RequestContext, batch_id: str) -> str:
    """The secret that signs deliveries to a batch's ``webhook_url``."""
    return derived_secret(ctx.config.secret_key, f"batch-webhook:{batch_id}")


def endpoint_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The current secret, then the previous one while its overlap lasts."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None:
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=utcnow().tzinfo)
        if expires > utcnow():
            found.append(endpoint.previous_secret)
    return found


def event_body(event: WebhookEvent) -> bytes:
    """The spec's payload, serialised once per attempt (compact JSON)."""
    return orjson.dumps(
        {
            "id": event.id,
            "type": event.type,
            "created_at": isoformat(event.created_at),
            "data": event.data,
        }
    )


def delivery_headers(
    secrets_in_use: list[str], *, event: WebhookEvent, delivery_id: str, body: bytes
) -> dict[str, str]:
    """Content type, the spec's X-Harvest-* headers and Standard Webhooks'."""
    timestamp = int(utcnow().timestamp())
    return {
        "Content-Type": "application/json",
        "X-Harvest-Event": event.type,
        "X-Harvest-Delivery": delivery_id,
        **signature_headers(
            secrets_in_use, message_id=event.id, timestamp=timestamp, body=body
        ),
    }


async def attempt(
    ctx: RequestContext, *, url: str, body: bytes, headers: dict[str, str]
) -> OutboundResult:
    """One POST, after the URL passes the SSRF guard again."""
    try:
        target = await check_webhook_url(ctx, url)
    except ValidationFailed as exc:
        return OutboundResult(status_code=None, error=str(exc.details.get("reason")))
    return await transport(ctx).post(
        OutboundPost(
            url=target.url,
            address=target.address,
            body=body,
            headers=headers,
            timeout_seconds=ctx.config.webhook_timeout_seconds,
        )
    )


@job_handler(DELIVER_JOB)
async def deliver_webhook(
    session: AsyncSession, ctx: RequestContext, payload: dict[str, Any]
) -> None:
    """Run one attempt of a delivery and record what happened."""
    delivery = await session.get(WebhookDelivery, payload["delivery_id"])
    if delivery is None or delivery.status in FINAL_STATUSES:
        return
    event = await session.get(WebhookEvent, delivery.event_id)
    endpoint = None
    if delivery.endpoint_id is not None:
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if event is None or (delivery.endpoint_id is not None and endpoint is None):
        delivery.status = "cancelled"
        await session.commit()
        return
    if endpoint is not None and not endpoint.enabled:
        delivery.status = "cancelled"
        delivery.last_error = "endpoint disabled"
        await session.commit()
        return

    if endpoint is not None:
        secrets_in_use = endpoint_secrets(endpoint)
    else:
        secrets_in_use = [batch_secret(ctx, str(event.data.get("batch_id", "")))]
    body = event_body(event)
    headers = delivery_headers(
        secrets_in_use, event=event, delivery_id=delivery.id, body=body
    )
    started = time.monotonic()
    with ctx.services.telemetry.span(
        "webhook.delivery",
        {"delivery_id": delivery.id, "attempt": delivery.attempts + 1},
    ):
        result = await attempt(ctx, url=delivery.url, body=body, headers=headers)

    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    succeeded = result.status_code is not None and 200 <= result.status_code < 300
    if succeeded:
        ctx.services.telemetry.webhook_delivery(
            outcome="delivered", seconds=time.monotonic() - started
        )
        await record_success(session, delivery=delivery, endpoint=endpoint)
        return
    await record_failure(
        session, ctx, delivery=delivery, endpoint=endpoint, result=result
    )


async def record_success(
    session: AsyncSession,
    *,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | None,
) -> None:
    delivery.status = "succeeded"
    delivery.delivered_at = utcnow()
    delivery.next_attempt_at = None
    delivery.last_error = None
    if endpoint is not None:
        endpoint.consecutive_failures = 0
    await session.commit()
    logger.info(
        "webhook delivered",
        extra={"delivery_id": delivery.id, "attempt": delivery.attempts},
    )


async def record_failure(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | None,
    result: OutboundResult,
) -> None:
    """Count the failed attempt; retry, give up, or disable the endpoint."""
    reason = result.error or f"HTTP {result.status_code}"
    delivery.last_error = reason[:1000]
    notification = None
    if endpoint is not None:
        failures = await count_failure(session, endpoint.id)
        set_committed_value(endpoint, "consecutive_failures", failures)
        gone = result.status_code == 410
        if gone or endpoint.consecutive_failures >= DISABLE_AFTER_FAILURES:
            notification = await disable_endpoint(session, endpoint, gone=gone)
    final = delivery.attempts >= MAX_ATTEMPTS or (
        endpoint is not None and not endpoint.enabled
    )
    if final:
        delivery.status = "failed"
        delivery.next_attempt_at = None
    else:
        delay = retry_delay(ctx, delivery.attempts)
        delivery.status = "retrying"
        delivery.next_attempt_at = utcnow() + delay
    await session.commit()
    ctx.services.telemetry.webhook_delivery(outcome="failed" if final else "retrying")
    if notification is not None:
        await push_notification(ctx, notification)
    logger.info(
        "webhook attempt failed",
        extra={
            "delivery_id": delivery.id,
            "attempt": delivery.attempts,
            "status": result.status_code,
            "final": final,
        },
    )
    if not final:
        raise RetryLater(reason, delay=delay)


async def count_failure(session: AsyncSession, endpoint_id: str) -> int:
    """Add one to the endpoint's failure run in the database (workers run
    deliveries of one endpoint at the same time) and return the new count."""
    result = await session.execute(
        sa.update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == endpoint_id)
        .values(consecutive_failures=col(WebhookEndpoint.consecutive_failures) + 1)
        .returning(col(WebhookEndpoint.consecutive_failures))
    )
    return int(result.scalar_one())


async def disable_endpoint(
    session: AsyncSession, endpoint: WebhookEndpoint, *, gone: bool
) -> Notification | None:
    """Turn the endpoint off and tell its owner why; the caller commits.

    Deliveries of one endpoint fail at the same time on several workers: the
    conditional update lets only the first turn it off, so the owner hears once.
    """
    now = utcnow()
    turned_off = await session.execute(
        sa.update(WebhookEndpoint)
        .where(
            col(WebhookEndpoint.id) == endpoint.id,
            col(WebhookEndpoint.enabled).is_(True),
        )
        .values(enabled=False, disabled_at=now)
    )
    set_committed_value(endpoint, "enabled", False)
    if turned_off.rowcount != 1:  # type: ignore[attr-defined]
        return None
    set_committed_value(endpoint, "disabled_at", now)
    why = (
        "the receiver answered 410 Gone"
        if gone
        else f"{endpoint.consecutive_failures} delivery attempts failed in a row"
    )
    return add_notification(
        session,
        user_id=endpoint.user_id,
        type="webhook.disabled",
        title="Webhook endpoint disabled",
        message=f"Deliveries to {endpoint.url} stopped: {why}. "
        "Fix the receiver, then enable the endpoint again.",
        data={"endpoint_id": endpoint.id, "url": endpoint.url},
    )


async def cancel_pending_deliveries(session: AsyncSession, *, endpoint_id: str) -> None:
    """Stop queued or retrying deliveries of an endpoint; the caller commits."""
    await session.execute(
        sa.update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint_id,
            col(WebhookDelivery.status).in_(("pending", "retrying")),
        )
        .values(status="cancelled", next_attempt_at=None)
    )
