"""Second floor of benchmark 1: the same two queries on the raw driver (an
asyncpg pool on PostgreSQL; one aiosqlite connection on SQLite), the same
JSON, a bare Starlette route."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.floors.common import generation_body, port_argument, serve

URL = os.environ["HARVEST_DATABASE_URL"]
ROW = (
    "SELECT id, format, status, title, content, word_count, tokens_used, model, "
    "input, options, metadata AS meta, error_code, error_message, team_id, created_at, "
    "completed_at, processing_time_ms FROM generations WHERE id = {}"
)
VERSIONS = (
    "SELECT version, source, created_at, content FROM generation_versions "
    "WHERE generation_id = {} ORDER BY version"
)
state: dict[str, Any] = {}


async def fetch_pg(generation_id: str) -> tuple[Any, list[Any]]:
    async with state["pool"].acquire() as conn:
        row = await conn.fetchrow(ROW.format("$1"), generation_id)
        versions = await conn.fetch(VERSIONS.format("$1"), generation_id)
    if row is None:
        return None, []
    found = dict(row)
    found["options"] = orjson.loads(found["options"])
    found["meta"] = orjson.loads(found["meta"])
    return found, versions


async def fetch_sqlite(generation_id: str) -> tuple[Any, list[Any]]:
    from datetime import datetime

    conn = state["conn"]
    async with conn.execute(ROW.format("?"), (generation_id,)) as cursor:
        row = await cursor.fetchone()
    async with conn.execute(VERSIONS.format("?"), (generation_id,)) as cursor:
        versions = [dict(v) for v in await cursor.fetchall()]
    if row is None:
        return None, []
    found = dict(row)
    found["options"] = orjson.loads(found["options"])
    found["meta"] = orjson.loads(found["meta"])
    for item in (found, *versions):
        for key in ("created_at", "completed_at"):
            if item.get(key):
                item[key] = datetime.fromisoformat(item[key])
    return found, versions


async def one(request: Request) -> Response:
    fetch = fetch_pg if "pool" in state else fetch_sqlite
    row, versions = await fetch(request.path_params["id"])
    if row is None:
        return Response(b'{"error":"not found"}', status_code=404)
    body = generation_body(row, versions)
    return Response(orjson.dumps(body), media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response(b"ok")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    if URL.startswith("sqlite"):
        import aiosqlite

        conn = await aiosqlite.connect(URL.split(":///", 1)[1])
        conn.row_factory = aiosqlite.Row
        state["conn"] = conn
        yield
        await conn.close()
    else:
        import asyncpg

        dsn = URL.replace("postgresql+asyncpg", "postgresql")
        state["pool"] = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
        yield
        await state["pool"].close()


app = Starlette(
    routes=[Route("/healthz", healthz), Route("/v1/generate/{id}", one)],
    lifespan=lifespan,
)

if __name__ == "__main__":
    serve(app, port_argument().port)
