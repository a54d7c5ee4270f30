"""Batch generation: many generations under one id, each run as a durable job.

``create_batch`` checks every item up front (a bad item refuses the whole
request, naming ``batch[i].<field>``), then stores the batch, its items and one
``batch.item`` job per item. Each job runs its item's generation through the
generation domain; an item that fails is recorded as failed and the others go
on. When the last item ends, the batch ends (``completed`` when every item
succeeded, ``partial`` when some failed, ``failed`` when all did). The batch's
``webhook_url``, when given, is told of every item and of the end, with
deliveries signed like any webhook (the secret is returned once, at creation).

The number of items is capped per tier (``Tier.batch_items``); more is
QUOTA_EXCEEDED (402) with ``details.field = "batch"``, since a larger plan
lifts it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.generation import Batch, BatchItem, Generation
from models.user import User
from models.webhook import WebhookEvent
from resolvers.context import Principal, RequestContext
from resolvers.errors import (
    HarvestError,
    NotFound,
    QuotaExceeded,
    RateLimited,
    ValidationFailed,
)
from resolvers.events import queue_delivery
from resolvers.generation import raise_if_failed, start_generation
from resolvers.generation_request import GenerationRequest, validate_request
from resolvers.generation_runner import run_generation
from resolvers.jobs import RetryLater, enqueue_job, is_last_attempt, job_handler
from resolvers.tiers import get_tier
from resolvers.webhook_delivery import batch_secret
from resolvers.webhook_urls import check_webhook_url

logger = logging.getLogger(__name__)

ITEM_JOB = "batch.item"
ITEM_JOB_ATTEMPTS = 30
"""Generous: an item refused by the caller's concurrency or hourly limit waits
(``RetryLater``) instead of failing, and each wait is an attempt."""
RATE_LIMIT_WAIT_SECONDS = 2.0
SECONDS_PER_ITEM = 15
MAX_CLIENT_ID = 128
ITEM_FINAL = ("completed", "failed")


@dataclass(frozen=True)
class CreatedBatch:
    """A new batch and the secret that signs its webhook deliveries."""

    batch: Batch
    webhook_secret: str | None

    @property
    def estimated_time_seconds(self) -> int:
        return max(SECONDS_PER_ITEM, SECONDS_PER_ITEM * self.batch.items)


def check_item(position: int, raw: Any) -> dict[str, Any]:
    """One item, checked by the generation domain's own rules."""
    prefix = f"batch[{position}]"
    if not isinstance(raw, Mapping):
        raise ValidationFailed(field=prefix, reason="must be an object")
    client_id = raw.get("id") or ""
    if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID:
        raise ValidationFailed(
            field=f"{prefix}.id", reason=f"a string of at most {MAX_CLIENT_ID}"
        )
    try:
        checked = validate_request(
            GenerationRequest(
                format=raw.get("format"),  # type: ignore[arg-type]
                input=raw.get("input"),  # type: ignore[arg-type]
                options=raw.get("options") or {},
                metadata=raw.get("metadata") or {},
            )
        )
    except ValidationFailed as exc:
        inner = str(exc.details.get("field", "item"))
        reason = str(exc.details.get("reason", exc.message))
        raise ValidationFailed(field=f"{prefix}.{inner}", reason=reason) from exc
    return {
        "id": client_id,
        "format": checked.format,
        "input": checked.input,
        "options": dict(raw.get("options") or {}),
        "metadata": checked.metadata,
    }


def check_items(
    ctx: RequestContext, items: Sequence[Any] | None
) -> list[dict[str, Any]]:
    """Every item checked, within the caller's tier cap."""
    principal = ctx.require_principal()
    if not items:
        raise ValidationFailed(field="batch", reason="give at least one item")
    cap = get_tier(principal.tier).batch_items
    if len(items) > cap:
        raise QuotaExceeded(
            f"A batch on the {principal.tier} plan holds at most {cap} items; "
            "split it or upgrade",
            details={"field": "batch", "limit": cap, "requested": len(items)},
        )
    checked = [check_item(i, raw) for i, raw in enumerate(items)]
    ids = [item["id"] for item in checked if item["id"]]
    if len(ids) != len(set(ids)):
        raise ValidationFailed(field="batch", reason="item ids must be unique")
    return checked


async def create_batch(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    batch: Sequence[Any] | None,
    webhook_url: str | None = None,
) -> CreatedBatch:
    """Store the batch and queue one job per item."""
    principal = ctx.require_writer()
    items = check_items(ctx, batch)
    url = None
    if webhook_url:
        url = (await check_webhook_url(ctx, webhook_url, field="webhook_url")).url

    row = Batch(user_id=principal.user_id, items=len(items), webhook_url=url)
    session.add(row)
    await session.flush()
    for position, item in enumerate(items):
        stored = BatchItem(
            batch_id=row.id, position=position, client_id=item["id"], request=item
        )
        session.add(stored)
        enqueue_job(
            session,
            kind=ITEM_JOB,
            payload={"item_id": stored.id, "tier": principal.tier},
            max_attempts=ITEM_JOB_ATTEMPTS,
        )
    await session.commit()
    secret = batch_secret(ctx, row.id) if url else None
    return CreatedBatch(batch=row, webhook_secret=secret)


async def get_batch(
    session: AsyncSession, *, ctx: RequestContext, id: str
) -> tuple[Batch, list[BatchItem]]:
    """The caller's batch and its items in request order."""
    principal = ctx.require_principal()
    row = await session.get(Batch, id)
    if row is None or row.user_id != principal.user_id:
        raise NotFound("Batch not found", details={"id": id})
    items = await session.execute(
        select(BatchItem)
        .where(col(BatchItem.batch_id) == id)
        .order_by(col(BatchItem.position))
    )
    return row, list(items.scalars())


async def tell_batch_url(
    session: AsyncSession, batch: Batch, *, type: str, data: dict[str, Any]
) -> None:
    """Queue a signed delivery to the batch's own URL; the caller commits."""
    if not batch.webhook_url:
        return
    event = WebhookEvent(
        user_id=batch.user_id, type=type, data={"batch_id": batch.id, **data}
    )
    session.add(event)
    await queue_delivery(session, event=event, url=batch.webhook_url)


def item_data(item: BatchItem) -> dict[str, Any]:
    return {
        "item_id": item.client_id,
        "position": item.position,
        "status": item.status,
        "generation_id": item.generation_id,
        "error": item.error,
    }


async def finish_item(
    session: AsyncSession,
    batch: Batch,
    item: BatchItem,
    *,
    generation_id: str | None,
    error: dict[str, Any] | None,
) -> None:
    """Record the item's outcome, tell the URL, and end the batch if it was last."""
    item.generation_id = generation_id or item.generation_id
    item.status = "failed" if error else "completed"
    item.error = error
    item.updated_at = utcnow()
    await tell_batch_url(
        session,
        batch,
        type="batch.item.failed" if error else "batch.item.completed",
        data=item_data(item),
    )
    await session.flush()
    await end_batch_if_done(session, batch)
    await session.commit()


async def end_batch_if_done(session: AsyncSession, batch: Batch) -> None:
    """Close the batch once no item is left; exactly one caller wins.

    Items of one batch finish at the same time on several workers. Each takes
    the batch row's lock before counting, so the finishers count one after the
    other and the last one sees every other item's end (without the lock, on
    PostgreSQL, each could miss the others' uncommitted ends and none would
    close the batch).
    """
    await session.execute(
        select(Batch.id).where(col(Batch.id) == batch.id).with_for_update()
    )
    counts = dict(
        (
            await session.execute(
                select(BatchItem.status, sa.func.count())
                .where(col(BatchItem.batch_id) == batch.id)
                .group_by(col(BatchItem.status))
            )
        ).all()
    )
    if sum(n for s, n in counts.items() if s not in ITEM_FINAL):
        return
    failed = counts.get("failed", 0)
    status = "failed" if failed == batch.items else "partial" if failed else "completed"
    won = await session.execute(
        sa.update(Batch)
        .where(col(Batch.id) == batch.id, col(Batch.status) == "processing")
        .values(status=status, completed_at=utcnow())
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return
    batch.status = status
    await tell_batch_url(
        session,
        batch,
        type="batch.completed",
        data={
            "status": status,
            "items": batch.items,
            "completed": counts.get("completed", 0),
            "failed": failed,
        },
    )


def error_of(exc: HarvestError) -> dict[str, Any]:
    return {"code": str(exc.code), "message": exc.message, "details": exc.details}


@job_handler(ITEM_JOB)
async def run_batch_item(
    session: AsyncSession, ctx: RequestContext, payload: dict[str, Any]
) -> None:
    """Generate one item; a domain error fails the item, not the batch."""
    item_id = str(payload["item_id"])
    item = await session.get(BatchItem, item_id)
    if item is None or item.status in ITEM_FINAL:
        return
    batch = await session.get(Batch, item.batch_id)
    if batch is None:
        return
    item.status = "running"
    item.updated_at = utcnow()
    await session.commit()

    try:
        generation_id = await generate_item(session, ctx, batch=batch, item=item)
    except RateLimited as exc:
        if not is_last_attempt(ctx):
            raise RetryLater("rate limited", delay=rate_limit_wait(exc)) from exc
        await fail_item(session, item_id, error_of(exc))
    except HarvestError as exc:
        await fail_item(session, item_id, error_of(exc))
    except Exception:
        if not is_last_attempt(ctx):
            raise
        logger.exception("batch item failed", extra={"item_id": item_id})
        error = {"code": "SERVER_ERROR", "message": "Generation failed", "details": {}}
        await fail_item(session, item_id, error)
    else:
        await finish_item(session, batch, item, generation_id=generation_id, error=None)


async def fail_item(session: AsyncSession, item_id: str, error: dict[str, Any]) -> None:
    """Record a failed item after rolling back whatever the attempt left."""
    await session.rollback()
    item = await session.get(BatchItem, item_id, populate_existing=True)
    batch = await session.get(Batch, item.batch_id) if item is not None else None
    if item is None or batch is None:
        return
    await finish_item(session, batch, item, generation_id=None, error=error)


def rate_limit_wait(exc: RateLimited) -> timedelta:
    """How long a rate-limited item waits before its next try."""
    raw = exc.headers.get("Retry-After") or exc.extra.get("retry_after")
    try:
        seconds = float(raw) if raw is not None else RATE_LIMIT_WAIT_SECONDS
    except (TypeError, ValueError):
        seconds = RATE_LIMIT_WAIT_SECONDS
    return timedelta(seconds=max(seconds, 0.2))


async def owner_context(
    session: AsyncSession, ctx: RequestContext, user_id: str
) -> RequestContext:
    """The job's context acting as the batch's owner, at their current tier."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("The batch's owner no longer exists")
    principal = Principal(user_id=user.id, tier=user.subscription_tier)
    return replace(ctx, principal=principal, surface="batch")


async def generate_item(
    session: AsyncSession, ctx: RequestContext, *, batch: Batch, item: BatchItem
) -> str:
    """Run the item's generation to its end, in this job; its id on success.

    A generation left by an earlier attempt is reused when it ended, so a
    worker that died after the generation finished does not make a second one.
    """
    if item.generation_id is not None:
        earlier = await session.get(Generation, item.generation_id)
        if earlier is not None and earlier.status in ("completed", "failed"):
            raise_if_failed(earlier)
            return earlier.id
    owner = await owner_context(session, ctx, batch.user_id)
    request = item.request
    row = await start_generation(
        session,
        ctx=owner,
        request=GenerationRequest(
            format=request["format"],
            input=request["input"],
            options=request.get("options") or {},
            metadata=request.get("metadata") or {},
        ),
        batch_id=batch.id,
        launch=False,
    )
    item.generation_id = row.id
    await session.commit()
    await run_generation(owner, row.id)
    finished = await session.get(Generation, row.id, populate_existing=True)
    if finished is None:
        raise NotFound("The item's generation was deleted")
    raise_if_failed(finished)
    return finished.id
