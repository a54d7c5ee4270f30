"""Batches of generations as GraphQL types."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from models.generation import Batch as BatchRow
from models.generation import BatchItem as BatchItemRow
from resolvers.batches import SECONDS_PER_ITEM


@strawberry.type(description="One item of a batch and what became of it.")
class BatchItem:
    id: str = strawberry.field(description="The id the caller gave the item.")
    position: int = strawberry.field(description="Place in the request, from 0.")
    format: str = strawberry.field(description="The format asked for.")
    status: str = strawberry.field(description="queued, running, completed or failed.")
    generation_id: str | None = strawberry.field(
        description="The generation made for it, once started."
    )
    error: JSON | None = strawberry.field(
        description="Why it failed: {code, message, details}."
    )
    updated_at: datetime = strawberry.field(description="Last change.")

    @classmethod
    def of(cls, row: BatchItemRow) -> BatchItem:
        return cls(
            id=row.client_id,
            position=row.position,
            format=str(row.request.get("format", "")),
            status=row.status,
            generation_id=row.generation_id,
            error=cast(JSON, row.error),
            updated_at=row.updated_at,
        )


@strawberry.type(description="A batch of generations run as background jobs.")
class Batch:
    id: str = strawberry.field(description="Batch id (bat_...).")
    status: str = strawberry.field(
        description="processing, then completed (every item succeeded), partial "
        "(some failed) or failed (all failed)."
    )
    item_count: int = strawberry.field(description="Number of items.")
    completed_items: int = strawberry.field(description="Items that succeeded.")
    failed_items: int = strawberry.field(description="Items that failed.")
    estimated_time_seconds: int = strawberry.field(
        description="A rough estimate of the whole batch's duration."
    )
    webhook_url: str | None = strawberry.field(
        description="Told of every item and of the end, if given."
    )
    webhook_secret: str | None = strawberry.field(
        description="Signs the deliveries to webhook_url (whsec_...): present only "
        "in the response that created the batch."
    )
    items: list[BatchItem] = strawberry.field(description="The items, in order.")
    created_at: datetime = strawberry.field(description="When it was accepted.")
    completed_at: datetime | None = strawberry.field(
        description="When its last item ended."
    )

    @classmethod
    def of(
        cls,
        row: BatchRow,
        items: list[BatchItemRow] | None = None,
        *,
        webhook_secret: str | None = None,
    ) -> Batch:
        listed = items or []
        return cls(
            id=row.id,
            status=row.status,
            item_count=row.items,
            completed_items=sum(1 for i in listed if i.status == "completed"),
            failed_items=sum(1 for i in listed if i.status == "failed"),
            estimated_time_seconds=max(SECONDS_PER_ITEM, SECONDS_PER_ITEM * row.items),
            webhook_url=row.webhook_url,
            webhook_secret=webhook_secret,
            items=[BatchItem.of(i) for i in listed],
            created_at=row.created_at,
            completed_at=row.completed_at,
        )


@strawberry.input(description="One generation of a batch.")
class BatchItemInput:
    id: str | None = strawberry.field(
        default=None, description="Your id for the item, echoed in results."
    )
    format: str = strawberry.field(
        description="blog, email, summary, social_post, product_description or ad_copy."
    )
    input: str = strawberry.field(description="What to write from.")
    options: JSON | None = strawberry.field(
        default=None, description="The same options as a single generation."
    )
    metadata: JSON | None = strawberry.field(
        default=None, description="Labels kept with the generation."
    )


@strawberry.input(description="A batch of generations.")
class BatchCreateInput:
    batch: list[BatchItemInput] = strawberry.field(
        description="The items; at most the plan's batch size (free 10, pro 50, "
        "enterprise 200)."
    )
    webhook_url: str | None = strawberry.field(
        default=None, description="An http(s) URL told of each item and of the end."
    )
