"""Batch mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import batches
from schema.batch.types import Batch, BatchCreateInput
from schema.context import Context, call


@strawberry.type
class BatchMutation:
    @strawberry.mutation(
        description="Start a batch: one background generation per item. Items "
        "that fail do not fail the batch."
    )
    async def batch_create(
        self, info: Info[Context, None], input: BatchCreateInput
    ) -> Batch:
        items = [
            {
                "id": item.id,
                "format": item.format,
                "input": item.input,
                "options": item.options,
                "metadata": item.metadata,
            }
            for item in input.batch
        ]
        created = await call(
            info, batches.create_batch, batch=items, webhook_url=input.webhook_url
        )
        return Batch.of(created.batch, webhook_secret=created.webhook_secret)
