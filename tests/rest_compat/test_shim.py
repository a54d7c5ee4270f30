"""The shim maps requests onto documents: bodies, query strings, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.routing import Mount

from harvest.middleware import RequestIdMiddleware
from resolvers.errors import Conflict
from rest_compat.errors import EXCEPTION_HANDLERS
from rest_compat.shim import build_routes
from rest_compat.table import Route
from schema.context import ContextFactory
from schema.errors import DomainErrors


@strawberry.input
class EchoInput:
    full_name: str
    count: int = 1


@strawberry.type
class Echo:
    full_name: str
    count: int
    page: int | None


@strawberry.type
class Query:
    @strawberry.field
    def echo_page(self, page: int = 1, active: bool = False) -> Echo:
        return Echo(full_name="q", count=1 if active else 0, page=page)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def echo(self, input: EchoInput) -> Echo:
        if input.full_name == "taken":
            raise Conflict("That name is taken")
        return Echo(full_name=input.full_name, count=input.count, page=None)


ECHO = """
mutation Echo($input: EchoInput!) {
  echo(input: $input) { full_name: fullName count }
}
"""
PAGE = """
query Page($page: Int, $active: Boolean) {
  echo_page: echoPage(page: $page, active: $active) { page count }
}
"""


class NoRequestContext:
    """Stands for the request context the echo resolvers never look at."""

    async def close(self) -> None:
        """The shim ends the request's session with it."""


class NoAuthContexts(ContextFactory):
    def __init__(self) -> None:
        pass

    async def build(self, **kwargs: object) -> object:  # type: ignore[override]
        return NoRequestContext()


@pytest.fixture
async def shim_client() -> AsyncIterator[httpx.AsyncClient]:
    schema = strawberry.Schema(
        query=Query, mutation=Mutation, extensions=[DomainErrors]
    )
    table = [
        Route(
            "POST",
            "/echo",
            "echo",
            "test",
            document=ECHO,
            body="input",
            status=201,
            public=True,
        ),
        Route(
            "GET",
            "/page",
            "page",
            "test",
            document=PAGE,
            query=("page", "active"),
            public=True,
        ),
    ]
    app = Starlette(
        routes=[Mount("/v1", routes=build_routes(table, schema, NoAuthContexts()))],
        middleware=[],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    )
    wrapped = RequestIdMiddleware(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wrapped), base_url="http://t"
    ) as client:
        yield client


async def test_body_keys_map_onto_the_input_type(
    shim_client: httpx.AsyncClient,
) -> None:
    response = await shim_client.post(
        "/v1/echo", json={"full_name": "Ada", "count": 3, "owner_id": "usr_x"}
    )

    assert response.status_code == 201
    assert response.json() == {"full_name": "Ada", "count": 3}


async def test_malformed_json_is_a_validation_error(
    shim_client: httpx.AsyncClient,
) -> None:
    response = await shim_client.post(
        "/v1/echo",
        content=b'{"full_name": ',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "body"


async def test_a_body_that_is_not_an_object_is_refused(
    shim_client: httpx.AsyncClient,
) -> None:
    response = await shim_client.post("/v1/echo", json=[1, 2])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_a_missing_required_field_is_named(
    shim_client: httpx.AsyncClient,
) -> None:
    response = await shim_client.post("/v1/echo", json={"count": 2})

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "full_name"


async def test_a_wrongly_typed_field_is_named(shim_client: httpx.AsyncClient) -> None:
    response = await shim_client.post("/v1/echo", json={"full_name": "a", "count": "x"})

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "count"


async def test_domain_errors_keep_their_code_and_status(
    shim_client: httpx.AsyncClient,
) -> None:
    response = await shim_client.post("/v1/echo", json={"full_name": "taken"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"


async def test_query_strings_are_typed_by_the_document(
    shim_client: httpx.AsyncClient,
) -> None:
    response = await shim_client.get("/v1/page", params={"page": "3", "active": "true"})

    assert response.json() == {"echo_page": {"page": 3, "count": 1}}


async def test_a_non_numeric_page_is_a_validation_error(
    shim_client: httpx.AsyncClient,
) -> None:
    response = await shim_client.get("/v1/page", params={"page": "abc"})

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "page"
