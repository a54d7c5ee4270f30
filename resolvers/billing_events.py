"""Events from the billing provider (Stripe's webhooks), each applied once.

An event's id is stored in the same transaction as its effects. Product
events are raised for what changed here: a payment succeeds once, however
many times the provider reports it, and the provider's echo of a change this
server made raises nothing new.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.billing import ProcessedProviderEvent, Subscription
from models.user import User
from resolvers.billing import (
    ENDED_STATUSES,
    apply_provider_subscription,
    as_aware,
    billing_provider,
    find_invoice,
    load_account,
    payment_event_data,
    record_invoice,
    set_tier,
    subscription_event_data,
)
from resolvers.context import RequestContext
from resolvers.events import emit_event
from resolvers.ports import ProviderEvent, ProviderSubscription
from resolvers.tiers import forget_tier

logger = logging.getLogger(__name__)


async def receive_provider_event(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    payload: bytes,
    signature: str | None,
) -> dict[str, Any]:
    """Apply one signed inbound event from the billing provider, once.

    The event's id is stored in the same transaction as its effects, so a
    replay (or the provider's retry of a delivery we already applied) changes
    nothing and is still acknowledged.
    """
    event = billing_provider(ctx).verify_event(payload, signature)
    if await session.get(ProcessedProviderEvent, event.id) is not None:
        return {"received": True, "duplicate": True}
    try:
        async with session.begin_nested():
            session.add(ProcessedProviderEvent(id=event.id, type=event.type[:128]))
    except IntegrityError:
        return {"received": True, "duplicate": True}

    user = await _user_for_event(session, event)
    if user is not None:
        await _apply_event(session, user=user, event=event)
    await session.commit()
    if user is not None:
        forget_tier(user.id)
    logger.info(
        "billing event applied",
        extra={"event_id": event.id, "event_type": event.type, "kind": event.kind},
    )
    return {"received": True}


async def _user_for_event(session: AsyncSession, event: ProviderEvent) -> User | None:
    if event.customer_id:
        found = (
            await session.execute(
                select(User).where(col(User.stripe_customer_id) == event.customer_id)
            )
        ).scalar_one_or_none()
        if found is not None:
            return found
    if event.subscription_id:
        row = (
            await session.execute(
                select(Subscription).where(
                    col(Subscription.provider_subscription_id) == event.subscription_id
                )
            )
        ).scalar_one_or_none()
        if row is not None:
            return await session.get(User, row.user_id)
    return None


async def _apply_event(
    session: AsyncSession, *, user: User, event: ProviderEvent
) -> None:
    _, row = await load_account(session, user.id)
    if event.kind == "subscription" and event.subscription is not None:
        await _apply_subscription_event(session, user, row, event.subscription)
    elif event.kind in ("payment_succeeded", "payment_failed") and event.invoice:
        found = await find_invoice(session, event.invoice.provider_id)
        # Stripe reports one payment twice (invoice.paid and
        # invoice.payment_succeeded), and also the first invoice that
        # subscribe already stored as paid: a payment succeeds once. Each
        # failed attempt is a failure of its own.
        known_paid = found is not None and found.status == "paid"
        invoice = record_invoice(
            session,
            user_id=user.id,
            subscription_id=row.id if row is not None else None,
            found=found,
            invoice=event.invoice,
        )
        await session.flush()
        if event.kind == "payment_succeeded" and known_paid:
            return
        await emit_event(
            session,
            user_id=user.id,
            type=(
                "payment.succeeded"
                if event.kind == "payment_succeeded"
                else "payment.failed"
            ),
            data=payment_event_data(invoice),
        )


async def _apply_subscription_event(
    session: AsyncSession,
    user: User,
    row: Subscription | None,
    result: ProviderSubscription,
) -> None:
    previous = user.subscription_tier
    before = _state_of(user, row)
    if row is None:
        row = Subscription(
            user_id=user.id,
            provider="stripe",
            current_period_start=result.current_period_start,
            current_period_end=result.current_period_end,
        )
    apply_provider_subscription(row, result)
    session.add(row)
    if result.status in ENDED_STATUSES:
        set_tier(user, "free")
    elif result.tier in ("pro", "enterprise"):
        set_tier(user, result.tier)
    session.add(user)
    await session.flush()
    if _state_of(user, row) == before:
        return  # Stripe confirming what this server already did
    await emit_event(
        session,
        user_id=user.id,
        type="subscription.updated",
        data=subscription_event_data(user, row, previous_tier=previous),
    )


def _state_of(user: User, row: Subscription | None) -> tuple[object, ...] | None:
    """What a subscription.updated event reports, to tell a change from an echo."""
    if row is None:
        return None
    return (
        user.subscription_tier,
        row.status,
        row.cancel_at_period_end,
        row.cancel_at and as_aware(row.cancel_at),
        as_aware(row.current_period_end),
    )
