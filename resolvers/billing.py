"""Billing: subscriptions, invoices, the usage report, and the provider's events.

The user's ``subscription_tier`` is what every limit reads, so each change of
tier here writes it in the same transaction as the subscription row, and then
drops the copy the rate limit keeps for a moment (``forget_tier``): the next
request, through any surface, already runs under the new limits.

A user with no subscription row has never paid: they are on their stored tier
(free unless an operator granted another), in the current calendar month.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.billing import Invoice, Subscription
from models.user import User
from resolvers.context import RequestContext
from resolvers.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from resolvers.events import emit_event
from resolvers.jobs import enqueue_job, job_handler
from resolvers.pagination import PageInfo, PageRequest, paginate
from resolvers.ports import (
    BillingProvider,
    ProviderInvoice,
    ProviderSubscription,
)
from resolvers.tiers import Tier, forget_tier, get_tier, require_tier
from resolvers.usage import Usage, month_period, usage_between

logger = logging.getLogger(__name__)

PERIOD_END_JOB = "billing.period_end"
ENDED_STATUSES = {"canceled", "incomplete_expired", "unpaid"}


@dataclass(frozen=True)
class SubscriptionView:
    """A user's subscription as the API shows it, with its tier's limits."""

    id: str | None
    tier: Tier
    status: str
    current_period_start: datetime
    current_period_end: datetime
    cancel_at_period_end: bool
    cancel_at: datetime | None
    payment_method: dict[str, Any] | None


@dataclass(frozen=True)
class SubscribeResult:
    subscription: SubscriptionView
    invoice: Invoice | None


@dataclass(frozen=True)
class UsageReport:
    """Usage of the current month against the caller's tier."""

    period_start: datetime
    period_end: datetime
    tier: Tier
    usage: Usage


def billing_provider(ctx: RequestContext) -> BillingProvider:
    """The process's billing provider."""
    if ctx.services.billing is None:
        raise ServiceUnavailable("Billing is not configured on this server")
    return ctx.services.billing


def display_period() -> tuple[datetime, datetime]:
    """The current month, its end shown as its last second (as the spec does)."""
    start, end = month_period()
    return start, end - timedelta(seconds=1)


def view_of(user: User, row: Subscription | None) -> SubscriptionView:
    """The subscription view of ``user``; a user without a row is shown on their
    stored tier for the current month, with no id and no payment method."""
    tier = get_tier(user.subscription_tier)
    if row is None:
        start, end = display_period()
        return SubscriptionView(None, tier, "active", start, end, False, None, None)
    return SubscriptionView(
        id=row.id,
        tier=tier,
        status=row.status,
        current_period_start=row.current_period_start,
        current_period_end=row.current_period_end,
        cancel_at_period_end=row.cancel_at_period_end,
        cancel_at=row.cancel_at,
        payment_method=row.payment_method,
    )


async def load_account(
    session: AsyncSession, user_id: str
) -> tuple[User, Subscription | None]:
    """The user and their subscription row (None if they never subscribed)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    row = (
        await session.execute(
            select(Subscription).where(col(Subscription.user_id) == user_id)
        )
    ).scalar_one_or_none()
    return user, row


_account_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


@contextlib.asynccontextmanager
async def one_change_at_a_time(
    session: AsyncSession, user_id: str
) -> AsyncIterator[None]:
    """Run one change of subscription at a time per user, up to its commit: a
    double-clicked subscribe waits, then sees what the first one did.

    PostgreSQL locks the user's row (``FOR UPDATE``, until the transaction
    ends). SQLite locks only the whole database, and only for writes, which
    would stall every writer during a call to Stripe; but SQLite means one
    process, so a lock per user in this process does.
    """
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(
            select(User.id).where(col(User.id) == user_id).with_for_update()
        )
        yield
        return
    lock = _account_locks.get(user_id)
    if lock is None:
        lock = _account_locks[user_id] = asyncio.Lock()
    async with lock:
        yield


def set_tier(user: User, tier: str) -> None:
    """Put the user on ``tier``; the caller commits, then calls ``forget_tier``."""
    user.subscription_tier = tier
    user.updated_at = utcnow()


def _end_if_due(user: User, row: Subscription | None) -> bool:
    """A subscription canceled for the end of a period that has passed ends
    now, and its user goes back to free."""
    if row is None or row.status != "canceling" or row.cancel_at is None:
        return False
    if as_aware(row.cancel_at) > utcnow():
        return False
    row.status = "canceled"
    row.updated_at = utcnow()
    set_tier(user, "free")
    return True


def as_aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def get_subscription(
    session: AsyncSession, *, ctx: RequestContext
) -> SubscriptionView:
    """The caller's subscription and the limits of their tier."""
    principal = ctx.require_principal()
    user, row = await load_account(session, principal.user_id)
    if _end_if_due(user, row):
        await session.commit()
        forget_tier(user.id)
    return view_of(user, row)


def apply_provider_subscription(
    row: Subscription, result: ProviderSubscription
) -> None:
    """Copy what the provider reports onto the stored subscription."""
    row.tier = result.tier
    row.status = result.status
    row.provider_subscription_id = result.provider_id or row.provider_subscription_id
    row.current_period_start = result.current_period_start
    row.current_period_end = result.current_period_end
    row.cancel_at_period_end = result.cancel_at_period_end
    row.cancel_at = result.cancel_at
    row.canceled_at = result.canceled_at
    if result.payment_method is not None:
        row.payment_method = asdict(result.payment_method)
    row.updated_at = utcnow()


def record_invoice(
    session: AsyncSession,
    *,
    user_id: str,
    subscription_id: str | None,
    found: Invoice | None,
    invoice: ProviderInvoice,
) -> Invoice:
    """Store a new invoice, or bring a stored one up to date."""
    row = found or Invoice(
        user_id=user_id, subscription_id=subscription_id, number="", amount=0
    )
    row.number = invoice.number or row.number or _invoice_number(row)
    row.amount = invoice.amount
    row.currency = invoice.currency
    row.status = invoice.status
    row.pdf_url = invoice.pdf_url or row.pdf_url
    row.provider_invoice_id = invoice.provider_id or row.provider_invoice_id
    row.period_start = invoice.period_start or row.period_start
    row.period_end = invoice.period_end or row.period_end
    session.add(row)
    return row


def _invoice_number(row: Invoice) -> str:
    return f"INV-{utcnow().year}-{row.id.removeprefix('inv_')[:8].upper()}"


async def subscribe(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    tier: str,
    payment_method_id: str | None = None,
    coupon_code: str | None = None,
) -> SubscribeResult:
    """Subscribe the caller to a paid tier, or move them to another one.

    The provider is asked first: a declined card or an unknown coupon raises
    before anything is stored, so nothing changes.
    """
    principal = ctx.require_writer()
    chosen = require_tier(tier)
    if chosen.price_cents == 0:
        raise ValidationFailed(
            "The free tier needs no subscription: cancel your subscription to "
            "return to free",
            field="tier",
            reason="not_a_paid_tier",
        )
    async with one_change_at_a_time(session, principal.user_id):
        return await _subscribe(
            session,
            ctx=ctx,
            user_id=principal.user_id,
            chosen=chosen,
            payment_method_id=payment_method_id,
            coupon_code=coupon_code,
        )


async def _subscribe(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    user_id: str,
    chosen: Tier,
    payment_method_id: str | None,
    coupon_code: str | None,
) -> SubscribeResult:
    user, row = await load_account(session, user_id)
    _end_if_due(user, row)
    live = row is not None and row.status not in ENDED_STATUSES
    if live and row is not None and row.tier == chosen.name:
        if row.status == "canceling":
            return await _resume(session, ctx=ctx, user=user, row=row)
        raise Conflict(
            f"You are already subscribed to '{chosen.name}'",
            details={"tier": chosen.name, "status": row.status},
        )
    if not live and not payment_method_id:
        raise ValidationFailed(
            "A paid tier needs a payment method: send payment_method_id",
            field="payment_method_id",
            reason="required",
        )

    provider = billing_provider(ctx)
    result = await provider.subscribe(
        user_id=user.id,
        email=user.email,
        customer_id=user.stripe_customer_id,
        subscription_id=row.provider_subscription_id if live and row else None,
        tier=chosen.name,
        price_cents=chosen.price_cents,
        payment_method_id=payment_method_id,
        coupon_code=coupon_code,
    )

    previous = user.subscription_tier
    if row is None:
        row = Subscription(
            user_id=user.id,
            current_period_start=result.current_period_start,
            current_period_end=result.current_period_end,
        )
    row.provider = provider.name
    row.coupon_code = coupon_code
    apply_provider_subscription(row, result)
    session.add(row)
    if provider.name == "stripe" and result.customer_id:
        user.stripe_customer_id = result.customer_id
    set_tier(user, chosen.name)
    session.add(user)
    await session.flush()

    invoice = await _store_invoice(session, user_id=user.id, row=row, result=result)
    await emit_event(
        session,
        user_id=user.id,
        type="subscription.updated",
        data=subscription_event_data(user, row, previous_tier=previous),
    )
    await session.commit()
    forget_tier(user.id)
    logger.info(
        "subscription changed",
        extra={"user_id": user.id, "tier": chosen.name, "provider": provider.name},
    )
    return SubscribeResult(view_of(user, row), invoice)


async def _resume(
    session: AsyncSession, *, ctx: RequestContext, user: User, row: Subscription
) -> SubscribeResult:
    """Subscribing again to the tier one is canceling keeps it, uncharged."""
    result = await billing_provider(ctx).resume(
        subscription_id=row.provider_subscription_id,
        tier=row.tier,
        period_start=row.current_period_start,
        period_end=row.current_period_end,
    )
    apply_provider_subscription(row, result)
    session.add(row)
    await emit_event(
        session,
        user_id=user.id,
        type="subscription.updated",
        data=subscription_event_data(user, row),
    )
    await session.commit()
    return SubscribeResult(view_of(user, row), None)


async def _store_invoice(
    session: AsyncSession,
    *,
    user_id: str,
    row: Subscription,
    result: ProviderSubscription,
) -> Invoice | None:
    if result.invoice is None:
        return None
    found = await find_invoice(session, result.invoice.provider_id)
    if found is not None:
        # The provider reports its latest invoice even when this change raised
        # none (a downgrade's credit waits for the next one): nothing new.
        record_invoice(
            session,
            user_id=user_id,
            subscription_id=row.id,
            found=found,
            invoice=result.invoice,
        )
        return None
    invoice = record_invoice(
        session,
        user_id=user_id,
        subscription_id=row.id,
        found=found,
        invoice=result.invoice,
    )
    if invoice.status == "paid":
        await emit_event(
            session,
            user_id=user_id,
            type="payment.succeeded",
            data=payment_event_data(invoice),
        )
    return invoice


async def find_invoice(
    session: AsyncSession, provider_id: str | None
) -> Invoice | None:
    """The stored invoice with the provider's id, if any."""
    if not provider_id:
        return None
    return (
        await session.execute(
            select(Invoice).where(col(Invoice.provider_invoice_id) == provider_id)
        )
    ).scalar_one_or_none()


def subscription_event_data(
    user: User, row: Subscription, *, previous_tier: str | None = None
) -> dict[str, Any]:
    """The data of a ``subscription.updated`` event."""
    data: dict[str, Any] = {
        "user_id": user.id,
        "subscription_id": row.id,
        "tier": user.subscription_tier,
        "status": row.status,
        "cancel_at_period_end": row.cancel_at_period_end,
    }
    if previous_tier is not None:
        data["previous_tier"] = previous_tier
    return data


def payment_event_data(invoice: Invoice) -> dict[str, Any]:
    """The data of a ``payment.succeeded`` or ``payment.failed`` event."""
    return {
        "user_id": invoice.user_id,
        "invoice_id": invoice.id,
        "amount": invoice.amount,
        "currency": invoice.currency,
        "status": invoice.status,
    }


async def cancel_subscription(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    reason: str | None = None,
    feedback: str | None = None,
    cancel_immediately: bool = False,
) -> SubscriptionView:
    """Cancel the caller's subscription at the end of its period, or at once
    (then the user is back on free with this very transaction)."""
    principal = ctx.require_writer()
    async with one_change_at_a_time(session, principal.user_id):
        return await _cancel(
            session,
            ctx=ctx,
            user_id=principal.user_id,
            reason=reason,
            feedback=feedback,
            cancel_immediately=cancel_immediately,
        )


async def _cancel(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    user_id: str,
    reason: str | None,
    feedback: str | None,
    cancel_immediately: bool,
) -> SubscriptionView:
    user, row = await load_account(session, user_id)
    _end_if_due(user, row)
    if row is None or row.status in ENDED_STATUSES:
        raise NotFound("You have no subscription to cancel: you are on free")
    if row.status == "canceling" and not cancel_immediately:
        raise Conflict(
            "This subscription is already canceled for the end of its period",
            details={"cancel_at": row.cancel_at.isoformat() if row.cancel_at else None},
        )

    result = await billing_provider(ctx).cancel(
        subscription_id=row.provider_subscription_id,
        tier=row.tier,
        period_start=row.current_period_start,
        period_end=row.current_period_end,
        immediately=cancel_immediately,
    )

    previous = user.subscription_tier
    apply_provider_subscription(row, result)
    session.add(row)
    if cancel_immediately:
        set_tier(user, "free")
        session.add(user)
    elif row.cancel_at is not None and row.provider == "local":
        # Stripe ends its own subscriptions and says so by webhook; the local
        # provider has nobody to do that, so a durable job ends it on time.
        enqueue_job(
            session,
            kind=PERIOD_END_JOB,
            payload={"subscription_id": row.id},
            run_at=row.cancel_at,
        )
    await emit_event(
        session,
        user_id=user.id,
        type="subscription.updated",
        data={
            **subscription_event_data(user, row, previous_tier=previous),
            "reason": reason,
            "feedback": feedback,
        },
    )
    await session.commit()
    forget_tier(user.id)
    logger.info(
        "subscription canceled",
        extra={"user_id": user.id, "immediately": cancel_immediately},
    )
    return view_of(user, row)


async def list_invoices(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> tuple[list[Invoice], PageInfo]:
    """The caller's invoices, newest first unless ``sort``/``order`` say."""
    principal = ctx.require_principal()
    request = PageRequest.of(
        page=page, limit=limit, sort=sort, order=order, sortable=("created_at",)
    )
    query = select(Invoice).where(col(Invoice.user_id) == principal.user_id)
    return await paginate(
        session,
        query,
        page=request,
        columns={"created_at": col(Invoice.created_at), "id": col(Invoice.id)},
    )


async def get_usage_report(
    session: AsyncSession, *, ctx: RequestContext
) -> UsageReport:
    """This month's tokens, generations (by format, by day) and API calls."""
    principal = ctx.require_principal()
    user, _ = await load_account(session, principal.user_id)
    start, end = month_period()
    usage = await usage_between(session, scope_id=user.id, start=start, end=end)
    return UsageReport(
        period_start=start,
        period_end=end - timedelta(seconds=1),
        tier=get_tier(user.subscription_tier),
        usage=usage,
    )


def percentage(used: int, limit: int) -> float:
    """``used`` as a percentage of ``limit``, to two decimals."""
    return round(used * 100 / limit, 2) if limit else 0.0


@job_handler(PERIOD_END_JOB)
async def end_canceled_subscription(
    session: AsyncSession, ctx: RequestContext, payload: dict[str, Any]
) -> None:
    """End a local subscription whose canceled period has run out."""
    row = await session.get(Subscription, str(payload["subscription_id"]))
    if row is None:
        return
    user = await session.get(User, row.user_id)
    if user is not None and _end_if_due(user, row):
        await emit_event(
            session,
            user_id=user.id,
            type="subscription.updated",
            data=subscription_event_data(user, row, previous_tier=row.tier),
        )
        await session.commit()
        forget_tier(user.id)
