"""BillingMutation: subscribe to a tier, change it, cancel."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import billing
from schema.billing.types import (
    BillingSubscription,
    CancelPayload,
    Invoice,
    SubscribePayload,
)
from schema.context import Context, call


@strawberry.input(description="Subscribe to a paid tier, or move to another one.")
class SubscriptionCreateInput:
    tier: str = strawberry.field(description="pro or enterprise.")
    payment_method_id: str | None = strawberry.field(
        default=None,
        description="Payment method to charge (pm_...); needed for a first "
        "subscription.",
    )
    coupon_code: str | None = strawberry.field(
        default=None, description="Coupon code, e.g. SAVE20."
    )


@strawberry.input(description="Cancel the subscription.")
class SubscriptionCancelInput:
    reason: str | None = strawberry.field(
        default=None, description="Why you are leaving."
    )
    feedback: str | None = strawberry.field(
        default=None, description="Anything else you want to tell us."
    )
    cancel_immediately: bool = strawberry.field(
        default=False,
        description="End now and return to free, instead of at the period's end.",
    )


@strawberry.type
class BillingMutation:
    @strawberry.mutation(
        description="Subscribe to a paid tier, or upgrade / downgrade; the new "
        "limits apply at once."
    )
    async def subscription_create(
        self,
        info: Info[Context, Any],
        input: Annotated[
            SubscriptionCreateInput,
            strawberry.argument(description="Tier, payment method and coupon."),
        ],
    ) -> SubscribePayload:
        result = await call(
            info,
            billing.subscribe,
            tier=input.tier,
            payment_method_id=input.payment_method_id,
            coupon_code=input.coupon_code,
        )
        return SubscribePayload(
            subscription=BillingSubscription.of(result.subscription),
            invoice=Invoice.of(result.invoice) if result.invoice else None,
        )

    @strawberry.mutation(
        description="Cancel at the end of the period (canceling), or at once."
    )
    async def subscription_cancel(
        self,
        info: Info[Context, Any],
        input: Annotated[
            SubscriptionCancelInput | None,
            strawberry.argument(description="Reason, feedback, and when to end."),
        ] = None,
    ) -> CancelPayload:
        options = input or SubscriptionCancelInput()
        view = await call(
            info,
            billing.cancel_subscription,
            reason=options.reason,
            feedback=options.feedback,
            cancel_immediately=options.cancel_immediately,
        )
        return CancelPayload(subscription=BillingSubscription.of(view))
