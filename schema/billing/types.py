"""Billing types: subscriptions with their limits, invoices, usage reports."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from models.billing import Invoice as InvoiceRow
from resolvers import billing
from resolvers.tiers import Tier
from schema.pagination import Pagination


@strawberry.type(description="The limits of a tier; every limit reads this table.")
class TierLimits:
    tokens_per_month: int = strawberry.field(description="Tokens a month.")
    generations_per_month: int = strawberry.field(description="Generations a month.")
    team_members: int = strawberry.field(description="Members a team may have.")
    api_requests_per_minute: int = strawberry.field(
        description="API requests a minute."
    )
    generations_per_hour: int = strawberry.field(
        description="Calls to /generate an hour."
    )
    websocket_connections: int = strawberry.field(
        description="Open WebSocket connections at once."
    )
    concurrent_generations: int = strawberry.field(
        description="Generations running at once."
    )
    api_calls_per_month: int = strawberry.field(description="API calls a month.")

    @classmethod
    def of(cls, tier: Tier) -> TierLimits:
        return cls(
            tokens_per_month=tier.tokens_per_month,
            generations_per_month=tier.generations_per_month,
            team_members=tier.team_members,
            api_requests_per_minute=tier.requests_per_minute,
            generations_per_hour=tier.generations_per_hour,
            websocket_connections=tier.websocket_connections,
            concurrent_generations=tier.concurrent_generations,
            api_calls_per_month=tier.api_calls_per_month,
        )


@strawberry.type(description="The card a subscription is paid with.")
class PaymentMethod:
    type: str = strawberry.field(description="Kind of payment method: card.")
    brand: str | None = strawberry.field(description="Card brand, e.g. visa.")
    last4: str | None = strawberry.field(description="Last four digits.")
    exp_month: int | None = strawberry.field(description="Expiry month.")
    exp_year: int | None = strawberry.field(description="Expiry year.")


@strawberry.type(description="A user's subscription and the limits of its tier.")
class BillingSubscription:
    id: str | None = strawberry.field(
        description="Subscription id; null for a user who never subscribed."
    )
    tier: str = strawberry.field(description="free, pro or enterprise.")
    status: str = strawberry.field(
        description="active, canceling, canceled, past_due or incomplete."
    )
    current_period_start: datetime = strawberry.field(
        description="Start of the current billing period."
    )
    current_period_end: datetime = strawberry.field(
        description="Last second of the current billing period."
    )
    cancel_at_period_end: bool = strawberry.field(
        description="True when the subscription ends with this period."
    )
    cancel_at: datetime | None = strawberry.field(
        description="When a canceled subscription ends."
    )
    payment_method: PaymentMethod | None = strawberry.field(
        description="The card on file, if any."
    )
    limits: TierLimits = strawberry.field(description="The limits of the tier.")

    @classmethod
    def of(cls, view: billing.SubscriptionView) -> BillingSubscription:
        card = view.payment_method
        return cls(
            id=view.id,
            tier=view.tier.name,
            status=view.status,
            current_period_start=view.current_period_start,
            current_period_end=view.current_period_end,
            cancel_at_period_end=view.cancel_at_period_end,
            cancel_at=view.cancel_at,
            payment_method=PaymentMethod(**card) if card else None,
            limits=TierLimits.of(view.tier),
        )


@strawberry.type(description="An invoice for a subscription period or change.")
class Invoice:
    id: str = strawberry.field(description="Invoice id (inv_...).")
    number: str = strawberry.field(description="Invoice number, INV-YYYY-....")
    amount: int = strawberry.field(description="Total, in cents.")
    currency: str = strawberry.field(description="ISO currency code, lowercase.")
    status: str = strawberry.field(description="paid, open, void or uncollectible.")
    pdf_url: str | None = strawberry.field(
        description="Link to the PDF, when the provider makes one."
    )
    created_at: datetime = strawberry.field(description="When it was issued.")

    @classmethod
    def of(cls, row: InvoiceRow) -> Invoice:
        return cls(
            id=row.id,
            number=row.number,
            amount=row.amount,
            currency=row.currency,
            status=row.status,
            pdf_url=row.pdf_url,
            created_at=row.created_at,
        )


@strawberry.type(description="A page of invoices.")
class InvoiceList:
    invoices: list[Invoice] = strawberry.field(description="Newest first.")
    total_items: int = strawberry.field(description="Invoices in all pages.")
    pagination: Pagination = strawberry.field(
        description="Where this page sits among all pages."
    )


@strawberry.type(description="What subscribing did.")
class SubscribePayload:
    subscription: BillingSubscription = strawberry.field(
        description="The subscription after the change."
    )
    invoice: Invoice | None = strawberry.field(
        description="The invoice the change raised, if any."
    )


@strawberry.type(description="What canceling did.")
class CancelPayload:
    subscription: BillingSubscription = strawberry.field(
        description="The subscription: canceling with cancel_at, or canceled."
    )


@strawberry.type(description="A span of time.")
class UsagePeriod:
    start: datetime = strawberry.field(description="First instant.")
    end: datetime = strawberry.field(description="Last second.")


@strawberry.type(description="Tokens used against the monthly limit.")
class TokenUsage:
    used: int = strawberry.field(description="Tokens used this period.")
    limit: int = strawberry.field(description="Tokens allowed this period.")
    percentage: float = strawberry.field(description="used / limit, in percent.")


@strawberry.type(description="Generations made against the monthly limit.")
class GenerationUsage:
    count: int = strawberry.field(description="Generations this period.")
    limit: int = strawberry.field(description="Generations allowed this period.")
    by_format: JSON = strawberry.field(
        description="Generations per format, e.g. {blog: 3}."
    )


@strawberry.type(description="API calls against the monthly limit.")
class ApiCallUsage:
    count: int = strawberry.field(description="API calls this period.")
    limit: int = strawberry.field(description="API calls allowed this period.")


@strawberry.type(description="One day of usage.")
class DailyUsage:
    date: str = strawberry.field(description="The day, YYYY-MM-DD (UTC).")
    tokens: int = strawberry.field(description="Tokens used that day.")
    generations: int = strawberry.field(description="Generations made that day.")


@strawberry.type(description="Usage of the current month against the tier.")
class UsageReport:
    period: UsagePeriod = strawberry.field(description="The calendar month (UTC).")
    tokens: TokenUsage = strawberry.field(description="Tokens.")
    generations: GenerationUsage = strawberry.field(description="Generations.")
    api_calls: ApiCallUsage = strawberry.field(description="API calls.")
    daily_breakdown: list[DailyUsage] = strawberry.field(
        description="Days with usage, oldest first."
    )

    @classmethod
    def of(cls, report: billing.UsageReport) -> UsageReport:
        usage, tier = report.usage, report.tier
        return cls(
            period=UsagePeriod(start=report.period_start, end=report.period_end),
            tokens=TokenUsage(
                used=usage.tokens,
                limit=tier.tokens_per_month,
                percentage=billing.percentage(usage.tokens, tier.tokens_per_month),
            ),
            generations=GenerationUsage(
                count=usage.generations,
                limit=tier.generations_per_month,
                by_format=cast(JSON, dict(usage.by_format)),
            ),
            api_calls=ApiCallUsage(
                count=usage.api_calls, limit=tier.api_calls_per_month
            ),
            daily_breakdown=[
                DailyUsage(date=day.isoformat(), tokens=tokens, generations=count)
                for day, tokens, count in usage.daily
            ],
        )
