"""3. Document cache: for every document of the REST table, a warm execution
(the text seen before: parse and validation come from the caches) at most
0.35x of a cold one (a text never seen: parse, validate, execute); the caches
stay bounded.

A cold text is the row's document with a unique comment appended. Execution
runs on the SQLite stage with no caller, and variables made from the types
the document declares, so every document gets past validation and into its
resolvers the same way, warm or cold. A document's time is the least of its
runs in a round (the one the shared machine disturbed least).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from strawberry.extensions.parser_cache import _get_parse_cache

from benchmarks.harness import Plan, Row, interleave, ratio_row
from benchmarks.stage import Stage

NUMBER = 3
TITLE = "Warm against cold documents"
BACKENDS = ("sqlite",)
CACHE_SIZE = 512  # what schema/__init__.py asks of both caches
SCALARS = {"Int": 1, "Float": 1.0, "Boolean": False, "ID": "x_bench"}


def sample(gql_type: GraphQLInputType) -> Any:
    """A value of ``gql_type`` with every required field filled."""
    if isinstance(gql_type, GraphQLNonNull):
        return sample(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        return [sample(gql_type.of_type)]
    if isinstance(gql_type, GraphQLEnumType):
        return next(iter(gql_type.values))
    if isinstance(gql_type, GraphQLInputObjectType):
        return {
            name: sample(field.type)
            for name, field in gql_type.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    assert isinstance(gql_type, GraphQLScalarType)
    return SCALARS.get(gql_type.name, "bench")


def documents(schema: Any) -> list[tuple[str, str, dict[str, Any]]]:
    from rest_compat.routes import ROUTES
    from rest_compat.shim import compile_route

    found = []
    for route in ROUTES:
        if route.document is None:
            continue
        compiled = compile_route(route, schema)
        variables = {
            name: sample(gql_type)
            for name, gql_type in compiled.variables.items()
            if isinstance(gql_type, GraphQLNonNull)
        }
        found.append((f"{route.method} {route.path}", route.document, variables))
    return found


async def run(stage: Stage, plan: Plan) -> list[Row]:
    from harvest.app import Parts
    from harvest.settings import load_settings
    from schema.context import Context

    settings = load_settings(stage.env())
    parts = Parts(settings)
    schema = parts.schema
    fresh = itertools.count()
    count = plan.pick(3, 20)
    rows = documents(schema)

    async def execute(source: str, variables: dict[str, Any]) -> float:
        rc = await parts.contexts.build(token=None, client_ip=None, surface="rest")
        started = time.perf_counter()
        await schema.execute(
            source, variable_values=variables, context_value=Context(rc=rc)
        )
        return time.perf_counter() - started

    async def per_document(cold: bool) -> dict[str, float]:
        figures = {}
        for name, source, variables in rows:
            times = []
            for _ in range(count):
                text = f"{source}\n# cold {next(fresh)}" if cold else source
                times.append(await execute(text, variables))
            figures[name] = min(times) * 1e6  # the least disturbed of the runs
        return figures

    try:
        cold, warm, _ = await interleave(
            plan, lambda: per_document(True), lambda: per_document(False)
        )
    finally:
        await parts.db.dispose()
    ratios = {name: warm[name] / cold[name] for name in cold}
    worst = max(ratios, key=lambda name: ratios[name])
    parse_cache = _get_parse_cache(CACHE_SIZE).cache_info()
    from schema import limits, validation_cache

    sizes = {
        "parse": parse_cache.currsize,
        "validation": validation_cache.cached_documents(),
        "list cost": len(limits._costs),
    }
    bounds = {
        "parse": CACHE_SIZE,
        "validation": validation_cache.MAX_DOCUMENTS,
        "list cost": limits.MAX_CACHED_COSTS,
    }
    return [
        ratio_row(
            NUMBER,
            f"warm / cold, worst of {len(rows)} documents ({worst})",
            stage.backend,
            "us",
            warm[worst],
            cold[worst],
            op="<=",
            target=0.35,
            ratios=ratios,
            median_ratio=sorted(ratios.values())[len(ratios) // 2],
        ),
        ratio_row(
            NUMBER,
            "document caches (parse, validation, list cost): fullest / bound",
            stage.backend,
            "entries",
            float(max(sizes.values())),
            float(min(bounds.values())),
            op="<=",
            target=1.0,
            sizes=sizes,
            bounds=bounds,
        ),
    ]
