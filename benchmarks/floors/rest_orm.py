"""Floor of benchmark 1: a bare Starlette endpoint running the same SQLAlchemy
queries as ``GET /v1/generate/{id}`` (the row by primary key, then its
versions) and answering the same JSON; no auth, no middleware, no GraphQL."""

from __future__ import annotations

import os

import orjson
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.floors.common import generation_body, port_argument, serve
from models.db import Database
from models.generation import Generation, GenerationVersion

db = Database(os.environ["HARVEST_DATABASE_URL"])


async def one(request: Request) -> Response:
    async with db.session() as session:
        row = await session.get(Generation, request.path_params["id"])
        if row is None:
            return Response(b'{"error":"not found"}', status_code=404)
        versions = await session.execute(
            select(GenerationVersion)
            .where(col(GenerationVersion.generation_id) == row.id)
            .order_by(col(GenerationVersion.version))
        )
        body = generation_body(
            row.model_dump(), [v.model_dump() for v in versions.scalars()]
        )
    return Response(orjson.dumps(body), media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response(b"ok")


app = Starlette(routes=[Route("/healthz", healthz), Route("/v1/generate/{id}", one)])

if __name__ == "__main__":
    serve(app, port_argument().port)
