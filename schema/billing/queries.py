"""BillingQuery: the caller's subscription, invoices and usage."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import billing
from schema.billing.types import BillingSubscription, Invoice, InvoiceList, UsageReport
from schema.context import Context, call
from schema.pagination import Pagination


@strawberry.type
class BillingQuery:
    @strawberry.field(
        description="The caller's subscription, with the limits of their tier."
    )
    async def subscription(self, info: Info[Context, Any]) -> BillingSubscription:
        return BillingSubscription.of(await call(info, billing.get_subscription))

    @strawberry.field(description="The caller's invoices, newest first.")
    async def invoices(
        self,
        info: Info[Context, Any],
        page: Annotated[
            int | None, strawberry.argument(description="Page number, from 1.")
        ] = None,
        limit: Annotated[
            int | None,
            strawberry.argument(description="Invoices per page, at most 100."),
        ] = None,
        sort: Annotated[
            str | None, strawberry.argument(description="Sort field: created_at.")
        ] = None,
        order: Annotated[
            str | None, strawberry.argument(description="asc or desc (the default).")
        ] = None,
    ) -> InvoiceList:
        rows, page_info = await call(
            info, billing.list_invoices, page=page, limit=limit, sort=sort, order=order
        )
        return InvoiceList(
            invoices=[Invoice.of(row) for row in rows],
            total_items=page_info.total_items,
            pagination=Pagination.of(page_info),
        )

    @strawberry.field(description="The caller's usage this month against the tier.")
    async def usage(self, info: Info[Context, Any]) -> UsageReport:
        return UsageReport.of(await call(info, billing.get_usage_report))
