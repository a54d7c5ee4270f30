"""2. GraphQL engine: the ``generation(id)`` document of ``GET /v1/generate/{id}``
on our schema (every extension of ``harvest serve``, rows in memory) against
plain graphql-core executing the same document on an equivalent SDL schema:
within 1.5x per operation, and within 1.5x per listed item (1,000 versions
against 1)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLScalarType, build_schema, execute, parse, validate

from benchmarks.harness import Plan, Row, interleave, ratio_row
from benchmarks.memory import generation_row, memory_context
from models.base import isoformat
from rest_compat.documents.generation import GENERATION

NUMBER = 2
TITLE = "GraphQL engine against graphql-core"
BACKENDS = ("sqlite",)  # no database: run once

SDL = """
scalar DateTime
scalar JSON
enum GenerationFormat { blog email summary social_post product_description ad_copy }
enum GenerationStatus { queued running completed failed cancelled }
type GenerationError { code: String! message: String! }
type GenerationVersion {
  version: Int! content: String! source: String! createdAt: DateTime!
}
type Generation {
  id: ID! format: GenerationFormat! status: GenerationStatus! title: String!
  content: String! wordCount: Int! tokensUsed: Int! model: String! input: String!
  options: JSON! metadata: JSON! processingTimeMs: Int! error: GenerationError
  userId: String! teamId: String templateId: String batchId: String
  createdAt: DateTime! updatedAt: DateTime! completedAt: DateTime
  preview: String! versions: [GenerationVersion!]!
}
type Query { generation(id: ID!): Generation! }
"""


def plain_schema() -> Any:
    schema = build_schema(SDL)
    date_time = schema.type_map["DateTime"]
    assert isinstance(date_time, GraphQLScalarType)
    date_time.serialize = lambda value: isoformat(value)  # type: ignore[method-assign]
    json = schema.type_map["JSON"]
    assert isinstance(json, GraphQLScalarType)
    json.serialize = lambda value: value  # type: ignore[method-assign]
    return schema


def plain_root(versions: int) -> dict[str, Any]:
    row, rows = generation_row(versions)
    generation = {
        "id": row.id,
        "format": row.format,
        "status": row.status,
        "title": row.title,
        "content": row.content,
        "wordCount": row.word_count,
        "tokensUsed": row.tokens_used,
        "model": row.model,
        "input": row.input,
        "options": row.options,
        "metadata": row.meta,
        "processingTimeMs": row.processing_time_ms,
        "error": None,
        "teamId": None,
        "createdAt": row.created_at,
        "completedAt": row.completed_at,
    }
    listed = [
        {
            "version": v.version,
            "content": v.content,
            "source": v.source,
            "createdAt": v.created_at,
        }
        for v in rows
    ]

    async def resolve_versions(info: Any) -> list[dict[str, Any]]:
        return listed

    async def resolve_generation(info: Any, id: str) -> dict[str, Any]:
        return {**generation, "versions": resolve_versions}

    return {"generation": resolve_generation, "id": row.id}


Runner = Callable[[], Awaitable[Any]]


def ours(versions: int) -> Runner:
    from harvest.operability import schema_observers
    from schema import build_schema as build_ours

    schema = build_ours(production=True, extensions=schema_observers(None))
    row, rows = generation_row(versions)

    async def once() -> Any:
        result = await schema.execute(
            GENERATION,
            variable_values={"id": row.id},
            context_value=memory_context(row, rows),
        )
        assert not result.errors, result.errors
        return result

    return once


def plain(versions: int) -> Runner:
    """graphql-core at its fastest: the document parsed and validated once."""
    schema = plain_schema()
    root = plain_root(versions)
    document = parse(GENERATION)
    assert not validate(schema, document)

    async def once() -> Any:
        result = await execute(  # type: ignore[misc]
            schema, document, root_value=root, variable_values={"id": root["id"]}
        )
        assert not result.errors, result.errors
        return result

    return once


async def timed(runner: Runner, count: int) -> float:
    """Microseconds per operation over ``count`` operations."""
    started = time.perf_counter()
    for _ in range(count):
        await runner()
    return (time.perf_counter() - started) / count * 1e6


async def run(stage: Any, plan: Plan) -> list[Row]:
    count = plan.pick(100, 1000)
    few = plan.pick(5, 30)
    ours_one, ours_many = ours(1), ours(1000)
    plain_one, plain_many = plain(1), plain(1000)

    async def floor() -> dict[str, float]:
        one = await timed(plain_one, count)
        many = await timed(plain_many, few)
        return {"op_us": one, "item_us": (many - one) / 999}

    async def subject() -> dict[str, float]:
        one = await timed(ours_one, count)
        many = await timed(ours_many, few)
        return {"op_us": one, "item_us": (many - one) / 999}

    floor_fig, subject_fig, rounds = await interleave(plan, floor, subject)
    return [
        ratio_row(
            NUMBER,
            "generation(id): time per operation vs graphql-core",
            "-",
            "us",
            subject_fig["op_us"],
            floor_fig["op_us"],
            op="<=",
            target=1.5,
            rounds=rounds,
        ),
        ratio_row(
            NUMBER,
            "generation(id): time per listed item vs graphql-core",
            "-",
            "us",
            subject_fig["item_us"],
            floor_fig["item_us"],
            op="<=",
            target=1.5,
        ),
    ]
