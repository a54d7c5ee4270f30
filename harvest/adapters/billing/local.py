"""A billing provider for self-hosting without payments.

It charges nobody: it accepts Stripe's test payment methods, applies the
coupons it knows, and reports what a payment processor would. The resolvers
record the resulting subscriptions and invoices in the database, which is the
only ledger this provider has.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from models.base import utcnow
from resolvers.errors import ServiceUnavailable, ValidationFailed
from resolvers.ports import (
    PaymentMethodInfo,
    ProviderEvent,
    ProviderInvoice,
    ProviderSubscription,
)
from resolvers.usage import month_period

logger = logging.getLogger(__name__)

TEST_CARDS: dict[str, PaymentMethodInfo | None] = {
    "pm_card_visa": PaymentMethodInfo(
        type="card", brand="visa", last4="4242", exp_month=12, exp_year=2034
    ),
    "pm_card_mastercard": PaymentMethodInfo(
        type="card", brand="mastercard", last4="4444", exp_month=12, exp_year=2034
    ),
    "pm_card_chargeDeclined": None,
}
"""Payment methods the local provider accepts; ``None`` marks a declined card."""

COUPONS: dict[str, int] = {"SAVE20": 20}
"""Coupon codes and the percentage they take off."""


def discounted(price_cents: int, coupon_code: str | None) -> int:
    """The price after the coupon's percentage is taken off, rounded to a cent."""
    if not coupon_code:
        return price_cents
    percent = COUPONS[coupon_code]
    return price_cents - round(price_cents * percent / 100)


def card_for(payment_method_id: str) -> PaymentMethodInfo:
    """The card behind a test payment method, or a clear refusal."""
    if payment_method_id not in TEST_CARDS:
        raise ValidationFailed(
            f"Unknown payment method '{payment_method_id}': the local billing "
            "provider accepts " + ", ".join(TEST_CARDS),
            field="payment_method_id",
            reason="unknown_payment_method",
        )
    card = TEST_CARDS[payment_method_id]
    if card is None:
        raise ValidationFailed(
            "Your card was declined: nothing was charged and your subscription "
            "is unchanged; use another payment method",
            field="payment_method_id",
            reason="card_declined",
        )
    return card


class LocalBillingProvider:
    """Subscriptions without a payment processor; the database is the ledger."""

    name = "local"

    async def subscribe(
        self,
        *,
        user_id: str,
        email: str,
        customer_id: str | None,
        subscription_id: str | None,
        tier: str,
        price_cents: int,
        payment_method_id: str | None,
        coupon_code: str | None,
    ) -> ProviderSubscription:
        """Check the card and coupon, and report a paid period of ``tier``."""
        if coupon_code is not None and coupon_code not in COUPONS:
            raise ValidationFailed(
                f"Unknown coupon '{coupon_code}'",
                field="coupon_code",
                reason="unknown_coupon",
            )
        # Without a new card, a change of tier is paid with the one on file.
        card = card_for(payment_method_id) if payment_method_id else None

        start, next_start = month_period()
        end = next_start - timedelta(seconds=1)
        amount = discounted(price_cents, coupon_code)
        logger.info(
            "local billing subscribe",
            extra={"provider": self.name, "user_id": user_id, "tier": tier},
        )
        return ProviderSubscription(
            provider_id=subscription_id,
            customer_id=customer_id,
            tier=tier,
            status="active",
            current_period_start=start,
            current_period_end=end,
            payment_method=card,
            invoice=ProviderInvoice(
                provider_id=None,
                number=None,
                amount=amount,
                currency="usd",
                status="paid",
                period_start=start,
                period_end=end,
            ),
        )

    async def cancel(
        self,
        *,
        subscription_id: str | None,
        tier: str,
        period_start: datetime,
        period_end: datetime,
        immediately: bool,
    ) -> ProviderSubscription:
        """End the subscription now, or mark it to end with its period."""
        now = utcnow()
        logger.info(
            "local billing cancel",
            extra={"provider": self.name, "immediately": immediately},
        )
        return ProviderSubscription(
            provider_id=subscription_id,
            customer_id=None,
            tier=tier,
            status="canceled" if immediately else "canceling",
            current_period_start=period_start,
            current_period_end=now if immediately else period_end,
            cancel_at_period_end=not immediately,
            cancel_at=now if immediately else period_end,
            canceled_at=now,
        )

    async def resume(
        self,
        *,
        subscription_id: str | None,
        tier: str,
        period_start: datetime,
        period_end: datetime,
    ) -> ProviderSubscription:
        """The same period of ``tier``, no longer ending."""
        logger.info("local billing resume", extra={"provider": self.name})
        return ProviderSubscription(
            provider_id=subscription_id,
            customer_id=None,
            tier=tier,
            status="active",
            current_period_start=period_start,
            current_period_end=period_end,
        )

    def verify_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """The local provider sends no webhooks."""
        raise ServiceUnavailable(
            "Billing webhooks are not enabled: set STRIPE_API_KEY and "
            "STRIPE_WEBHOOK_SECRET to receive Stripe's events"
        )
