"""Batch queries."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import batches
from schema.batch.types import Batch
from schema.context import Context, call


@strawberry.type
class BatchQuery:
    @strawberry.field(description="One of your batches, with its items.")
    async def batch(
        self,
        info: Info[Context, None],
        id: Annotated[str, strawberry.argument(description="Batch id (bat_...).")],
    ) -> Batch:
        row, items = await call(info, batches.get_batch, id=id)
        return Batch.of(row, items)
