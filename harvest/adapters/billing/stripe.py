"""Billing through Stripe's API, with the stripe SDK.

Tiers map to Stripe prices by lookup key (``harvest_pro``,
``harvest_enterprise``), so the prices live in the Stripe account and nothing
here hard-codes their ids. Coupons are Stripe coupons whose id is the code a
customer types (``SAVE20``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

import stripe

from resolvers.errors import ServiceUnavailable, ValidationFailed
from resolvers.ports import (
    PaymentMethodInfo,
    ProviderEvent,
    ProviderInvoice,
    ProviderSubscription,
)

if TYPE_CHECKING:
    from stripe.params import SubscriptionCreateParams, SubscriptionUpdateParams

logger = logging.getLogger(__name__)

T = TypeVar("T")

LOOKUP_PREFIX = "harvest_"
WEBHOOK_TOLERANCE_SECONDS = 300

SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
}
PAID_EVENTS = {"invoice.paid", "invoice.payment_succeeded"}
FAILED_EVENTS = {"invoice.payment_failed"}

PARAM_FIELDS = {
    "payment_method": "payment_method_id",
    "default_payment_method": "payment_method_id",
    "coupon": "coupon_code",
}


def when(value: Any) -> datetime | None:
    """A Stripe timestamp (seconds since the epoch) as an aware datetime."""
    if value is None:
        return None
    return datetime.fromtimestamp(int(value), UTC)


def field_for(param: str | None) -> str:
    """Our request field behind the Stripe parameter an error names."""
    if not param:
        return "body"
    for marker, field in PARAM_FIELDS.items():
        if marker in param:
            return field
    return param


def to_card(data: Any) -> PaymentMethodInfo | None:
    """The card of an expanded payment method object."""
    if not isinstance(data, dict):
        return None
    card = data.get("card") or {}
    return PaymentMethodInfo(
        type=str(data.get("type") or "card"),
        brand=card.get("brand"),
        last4=card.get("last4"),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
    )


def to_invoice(data: Any) -> ProviderInvoice | None:
    """An expanded Stripe invoice."""
    if not isinstance(data, dict):
        return None
    return ProviderInvoice(
        provider_id=data.get("id"),
        number=data.get("number"),
        amount=int(data.get("total") or 0),
        currency=str(data.get("currency") or "usd"),
        status=str(data.get("status") or "open"),
        pdf_url=data.get("invoice_pdf"),
        period_start=when(data.get("period_start")),
        period_end=when(data.get("period_end")),
    )


def invoice_subscription_id(data: dict[str, Any]) -> str | None:
    """The subscription an invoice bills (moved under ``parent`` in 2025)."""
    details = (data.get("parent") or {}).get("subscription_details") or {}
    found = details.get("subscription") or data.get("subscription")
    if isinstance(found, dict):
        return str(found.get("id"))
    return str(found) if found else None


def to_subscription(data: dict[str, Any]) -> ProviderSubscription:
    """A Stripe subscription; ``canceling`` when it ends with its period."""
    item = data["items"]["data"][0]
    lookup = (item.get("price") or {}).get("lookup_key") or ""
    tier = (data.get("metadata") or {}).get("tier") or lookup.removeprefix(
        LOOKUP_PREFIX
    )
    status = str(data["status"])
    if data.get("cancel_at_period_end") and status in {"active", "trialing"}:
        status = "canceling"
    start = item.get("current_period_start") or data.get("current_period_start")
    end = item.get("current_period_end") or data.get("current_period_end")
    customer = data.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    return ProviderSubscription(
        provider_id=str(data["id"]),
        customer_id=customer,
        tier=tier or "free",
        status=status,
        current_period_start=when(start) or datetime.now(UTC),
        current_period_end=when(end) or datetime.now(UTC),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        cancel_at=when(data.get("cancel_at")),
        canceled_at=when(data.get("canceled_at")),
        payment_method=to_card(data.get("default_payment_method")),
        invoice=to_invoice(data.get("latest_invoice")),
    )


class StripeBillingProvider:
    """Customers, cards, subscriptions and invoices held at Stripe."""

    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str | None = None,
        base_url: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": base_url} if base_url else None,
            http_client=stripe.HTTPXClient(timeout=timeout),
            max_network_retries=1,
        )
        self._prices: dict[str, str] = {}

    async def _call(self, operation: str, request: Callable[[], Awaitable[T]]) -> T:
        """Run one API request: one log line, and Stripe's errors as ours."""
        started = time.perf_counter()
        status = "ok"
        try:
            return await request()
        except stripe.CardError as exc:
            status = "declined"
            raise ValidationFailed(
                f"Your card was declined ({exc.user_message or exc.code}): "
                "nothing was charged and your subscription is unchanged; use "
                "another payment method",
                field="payment_method_id",
                reason="card_declined",
            ) from exc
        except stripe.InvalidRequestError as exc:
            status = "invalid"
            raise ValidationFailed(
                exc.user_message or "Stripe refused the request",
                field=field_for(exc.param),
                reason=exc.code or "invalid_request",
            ) from exc
        except stripe.StripeError as exc:
            status = "error"
            raise ServiceUnavailable(
                "The payment provider is unavailable: retry shortly"
            ) from exc
        finally:
            logger.info(
                "stripe call",
                extra={
                    "provider": self.name,
                    "operation": operation,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000),
                },
            )

    async def _price_id(self, tier: str) -> str:
        if tier not in self._prices:
            found = await self._call(
                "prices.list",
                lambda: self.client.v1.prices.list_async(
                    {"lookup_keys": [LOOKUP_PREFIX + tier], "active": True}
                ),
            )
            if not found.data:
                raise ServiceUnavailable(
                    f"Stripe has no active price with lookup key "
                    f"'{LOOKUP_PREFIX}{tier}': create one in the Stripe account"
                )
            self._prices[tier] = found.data[0].id
        return self._prices[tier]

    async def _customer(self, *, user_id: str, email: str) -> str:
        # A declined first card stores nothing here, so the next attempt comes
        # back without a customer id; the idempotency key makes Stripe answer
        # it with the customer it already made instead of another one.
        digest = hashlib.sha256(f"{user_id}:{email}".encode()).hexdigest()[:24]
        customer = await self._call(
            "customers.create",
            lambda: self.client.v1.customers.create_async(
                {"email": email, "metadata": {"user_id": user_id}},
                {"idempotency_key": f"harvest-customer-{digest}"},
            ),
        )
        return customer.id

    async def _attach(self, *, customer_id: str, payment_method_id: str) -> None:
        await self._call(
            "payment_methods.attach",
            lambda: self.client.v1.payment_methods.attach_async(
                payment_method_id, {"customer": customer_id}
            ),
        )
        await self._call(
            "customers.update",
            lambda: self.client.v1.customers.update_async(
                customer_id,
                {"invoice_settings": {"default_payment_method": payment_method_id}},
            ),
        )

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
        """Create the subscription, or move it to ``tier`` with proration."""
        customer = customer_id or await self._customer(user_id=user_id, email=email)
        if payment_method_id:
            await self._attach(
                customer_id=customer, payment_method_id=payment_method_id
            )
        price = await self._price_id(tier)

        params: dict[str, Any] = {
            "metadata": {"user_id": user_id, "tier": tier},
            "payment_behavior": "error_if_incomplete",
            "expand": ["latest_invoice", "default_payment_method"],
        }
        if payment_method_id:
            params["default_payment_method"] = payment_method_id
        if coupon_code:
            params["discounts"] = [{"coupon": coupon_code}]

        if subscription_id is None:
            params.update(customer=customer, items=[{"price": price}])
            created = await self._call(
                "subscriptions.create",
                lambda: self.client.v1.subscriptions.create_async(
                    cast("SubscriptionCreateParams", params)
                ),
            )
            result = to_subscription(created.to_dict())
        else:
            result = await self._change(subscription_id, price, price_cents, params)
        return result if result.customer_id else _with_customer(result, customer)

    async def _change(
        self,
        subscription_id: str,
        price: str,
        price_cents: int,
        params: dict[str, Any],
    ) -> ProviderSubscription:
        """Swap the subscription's price: an upgrade is invoiced at once for the
        rest of the period; a downgrade's credit goes on the next invoice."""
        current = await self._call(
            "subscriptions.retrieve",
            lambda: self.client.v1.subscriptions.retrieve_async(subscription_id),
        )
        item = current.to_dict()["items"]["data"][0]
        old_cents = int((item.get("price") or {}).get("unit_amount") or 0)
        upgrade = price_cents > old_cents
        params.update(
            items=[{"id": item["id"], "price": price}],
            cancel_at_period_end=False,
            proration_behavior="always_invoice" if upgrade else "create_prorations",
        )
        updated = await self._call(
            "subscriptions.update",
            lambda: self.client.v1.subscriptions.update_async(
                subscription_id, cast("SubscriptionUpdateParams", params)
            ),
        )
        return to_subscription(updated.to_dict())

    async def cancel(
        self,
        *,
        subscription_id: str | None,
        tier: str,
        period_start: datetime,
        period_end: datetime,
        immediately: bool,
    ) -> ProviderSubscription:
        """Cancel at Stripe, at once or at the end of the paid period."""
        if subscription_id is None:
            raise ValidationFailed(
                "This subscription is not held at Stripe", field="subscription"
            )
        if immediately:
            ended = await self._call(
                "subscriptions.cancel",
                lambda: self.client.v1.subscriptions.cancel_async(subscription_id),
            )
            return to_subscription(ended.to_dict())
        marked = await self._call(
            "subscriptions.update",
            lambda: self.client.v1.subscriptions.update_async(
                subscription_id, {"cancel_at_period_end": True}
            ),
        )
        return to_subscription(marked.to_dict())

    async def resume(
        self,
        *,
        subscription_id: str | None,
        tier: str,
        period_start: datetime,
        period_end: datetime,
    ) -> ProviderSubscription:
        """Clear ``cancel_at_period_end`` at Stripe."""
        if subscription_id is None:
            raise ValidationFailed(
                "This subscription is not held at Stripe", field="subscription"
            )
        resumed = await self._call(
            "subscriptions.update",
            lambda: self.client.v1.subscriptions.update_async(
                subscription_id,
                {
                    "cancel_at_period_end": False,
                    "expand": ["default_payment_method"],
                },
            ),
        )
        return to_subscription(resumed.to_dict())

    def verify_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """Check the ``Stripe-Signature`` header with the SDK, then read the event."""
        if not self.webhook_secret:
            raise ServiceUnavailable(
                "Stripe webhooks are not enabled: set STRIPE_WEBHOOK_SECRET"
            )
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"),
                signature or "",
                self.webhook_secret,
                WEBHOOK_TOLERANCE_SECONDS,
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            stale = "tolerance" in str(exc)
            raise ValidationFailed(
                "The webhook's timestamp is too old: events older than "
                f"{WEBHOOK_TOLERANCE_SECONDS} seconds are refused"
                if stale
                else "The Stripe-Signature header does not match the payload",
                field="Stripe-Signature",
                reason="stale_timestamp" if stale else "invalid_signature",
            ) from exc
        return to_event(json.loads(payload))


def _with_customer(
    subscription: ProviderSubscription, customer_id: str
) -> ProviderSubscription:
    return replace(subscription, customer_id=customer_id)


def to_event(event: dict[str, Any]) -> ProviderEvent:
    """Stripe's event as what it means for a Harvest subscription."""
    kind_of = event.get("type", "")
    data = (event.get("data") or {}).get("object") or {}
    customer = data.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if kind_of in SUBSCRIPTION_EVENTS:
        subscription = to_subscription(data)
        return ProviderEvent(
            id=event["id"],
            type=kind_of,
            kind="subscription",
            customer_id=customer,
            subscription_id=subscription.provider_id,
            subscription=subscription,
        )
    if kind_of in PAID_EVENTS or kind_of in FAILED_EVENTS:
        return ProviderEvent(
            id=event["id"],
            type=kind_of,
            kind="payment_succeeded" if kind_of in PAID_EVENTS else "payment_failed",
            customer_id=customer,
            subscription_id=invoice_subscription_id(data),
            invoice=to_invoice(data),
        )
    return ProviderEvent(id=event["id"], type=kind_of, kind="ignored")
