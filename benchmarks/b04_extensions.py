"""4. Extensions: listing 100 generations with 10 fields each on the schema
``harvest serve`` builds (every extension: errors, parse and validation
caches, token, depth and alias limits, list cost, the operation observer)
within 1.25x of the same schema with no extension at all; same database,
same caller, same process."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.harness import Plan, Row, interleave, ratio_row
from benchmarks.stage import Stage

NUMBER = 4
TITLE = "Production extensions against none"
LISTING = """
query Listing {
  generations(limit: 100) {
    generations {
      id format status title preview wordCount tokensUsed model
      processingTimeMs createdAt
    }
  }
}
"""


def bare_schema() -> Any:
    from schema import HarvestSchema, Mutation, Query, Subscription
    from schema.scalars import SCALAR_OVERRIDES

    return HarvestSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
    )


async def run(stage: Stage, plan: Plan) -> list[Row]:
    from harvest.app import Parts
    from harvest.settings import load_settings
    from schema.context import Context

    parts = Parts(load_settings(stage.env()).with_overrides(env="production"))
    production, bare = parts.schema, bare_schema()
    count = plan.pick(5, 40)

    async def timed(schema: Any) -> dict[str, float]:
        total = 0.0
        for _ in range(count):
            rc = await parts.contexts.build(
                token=stage.tokens[0], client_ip="127.0.0.1", surface="graphql"
            )
            started = time.perf_counter()
            result = await schema.execute(LISTING, context_value=Context(rc=rc))
            total += time.perf_counter() - started
            assert not result.errors, result.errors
            assert len(result.data["generations"]["generations"]) == 100
        return {"op_ms": total / count * 1000}

    try:
        none, every, rounds = await interleave(
            plan, lambda: timed(bare), lambda: timed(production)
        )
    finally:
        await parts.db.dispose()
    return [
        ratio_row(
            NUMBER,
            "100 generations x 10 fields: every extension vs none",
            stage.backend,
            "ms",
            every["op_ms"],
            none["op_ms"],
            op="<=",
            target=1.25,
            rounds=rounds,
        )
    ]
