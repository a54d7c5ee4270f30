"""Unexpected exceptions become SERVER_ERROR in the envelope, with no internals."""

from __future__ import annotations

import httpx
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harvest.middleware import RequestIdMiddleware
from rest_compat.errors import EXCEPTION_HANDLERS
from schema.errors import DomainErrors


async def explode(request: Request) -> Response:
    raise RuntimeError("secret internals: password=hunter2")


async def test_an_unexpected_rest_exception_is_a_masked_server_error() -> None:
    app = Starlette(
        routes=[Route("/boom", explode)],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    )
    transport = httpx.ASGITransport(
        app=RequestIdMiddleware(app), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom")

    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "SERVER_ERROR"
    assert "hunter2" not in response.text
    assert error["request_id"] == response.headers["x-request-id"]


@strawberry.type
class Query:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret internals: password=hunter2")


async def test_an_unexpected_resolver_exception_is_masked_in_graphql() -> None:
    schema = strawberry.Schema(query=Query, extensions=[DomainErrors])

    result = await schema.execute("{ boom }")

    assert result.errors is not None
    error = result.errors[0]
    assert error.message == "Internal server error"
    assert error.extensions is not None
    assert error.extensions["code"] == "SERVER_ERROR"
    assert "hunter2" not in str(error.formatted)
