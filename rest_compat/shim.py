"""Serve the REST table: map each request onto its GraphQL document, run it on
the same schema, and shape the result into the spec's JSON.

Documents are parsed and checked against the schema once, when the routes are
built; a row whose document does not validate stops the server from starting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import strawberry
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.utilities import type_from_ast
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.routing import Route as StarletteRoute

from resolvers.errors import (
    HarvestError,
    PayloadTooLarge,
    ServerError,
    ValidationFailed,
)
from rest_compat.errors import as_domain_error
from rest_compat.table import BODY, Route
from schema.context import Context, ContextFactory, bearer_token

MAX_BODY_BYTES = 1024 * 1024


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class CompiledRoute:
    """A table row with its document parsed and its variables typed."""

    route: Route
    source: str
    variables: Mapping[str, GraphQLInputType]
    unwrap: bool


# Row document -> its parsed and validated form. Every schema this process
# builds has the same types (build_schema varies extensions and production
# switches only), so a document valid for one is valid for all; validating
# the table's documents once instead of per app saves a quarter of a second
# on each app built (the suite builds hundreds).
_validated: dict[str, DocumentNode] = {}


def compile_route(route: Route, schema: strawberry.Schema) -> CompiledRoute:
    """Parse and validate the row's document against ``schema``."""
    assert route.document is not None
    document = _validated.get(route.document)
    if document is None:
        document = parse(route.document)
        errors = validate(schema._schema, document)
        if errors:
            raise RuntimeError(f"{route.method} {route.path}: {errors[0].message}")
        _validated[route.document] = document
    operation = next(
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    )
    variables = {
        d.variable.name.value: type_from_ast(schema._schema, d.type)
        for d in operation.variable_definitions or ()
    }
    unwrap = route.unwrap
    if unwrap is None:
        unwrap = operation.operation == OperationType.MUTATION
    return CompiledRoute(route, route.document, variables, unwrap)  # type: ignore[arg-type]


def to_input(value: Any, gql_type: GraphQLInputType) -> Any:
    """Reshape a JSON value for a GraphQL input type: snake_case keys become the
    type's field names; keys the type does not have are dropped."""
    if isinstance(gql_type, GraphQLNonNull):
        return to_input(value, gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        if isinstance(value, list):
            return [to_input(item, gql_type.of_type) for item in value]
        return value
    if isinstance(gql_type, GraphQLInputObjectType) and isinstance(value, dict):
        shaped = {}
        for name, field in gql_type.fields.items():
            for key in (snake(name), name):
                if key in value:
                    shaped[name] = to_input(value[key], field.type)
                    break
        return shaped
    return value


def from_query_string(value: str, gql_type: GraphQLInputType) -> Any:
    """Coerce a query-string value for a scalar variable; bad values stay strings
    so that GraphQL reports them."""
    inner = gql_type.of_type if isinstance(gql_type, GraphQLNonNull) else gql_type
    if isinstance(inner, GraphQLScalarType):
        try:
            if inner.name == "Int":
                return int(value)
            if inner.name == "Float":
                return float(value)
        except ValueError:
            return value
        if inner.name == "Boolean":
            lowered = value.lower()
            if lowered in {"true", "1", "yes"}:
                return True
            if lowered in {"false", "0", "no"}:
                return False
    if isinstance(inner, GraphQLList):
        return [from_query_string(v, inner.of_type) for v in value.split(",") if v]
    return to_input(value, inner)


async def read_json_body(request: Request) -> Any:
    """The request's JSON body; malformed JSON is a VALIDATION_ERROR. The body
    cap is enforced before this by the app's body limit; the check here keeps
    the shim safe on its own."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(MAX_BODY_BYTES)
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(
            "Malformed JSON body: " + str(exc).split(":")[0],
            field="body",
            reason="malformed_json",
        ) from exc


def variables_for(
    compiled: CompiledRoute, request: Request, body: Any
) -> dict[str, Any]:
    route, types = compiled.route, compiled.variables
    variables: dict[str, Any] = {}
    for name in route.path_params:
        variables[camel(name)] = request.path_params[name]
    for name in route.query:
        if name in request.query_params and camel(name) in types:
            variables[camel(name)] = from_query_string(
                request.query_params[name], types[camel(name)]
            )
    if route.body == BODY:
        if not isinstance(body, dict):
            raise ValidationFailed(
                "The JSON body must be an object", field="body", reason="not_an_object"
            )
        for key, value in body.items():
            if camel(key) in types and camel(key) not in variables:
                variables[camel(key)] = to_input(value, types[camel(key)])
    elif route.body is not None:
        if not isinstance(body, dict):
            raise ValidationFailed(
                "The JSON body must be an object", field="body", reason="not_an_object"
            )
        variables[route.body] = to_input(body, types[route.body])
    return variables


_VARIABLE = re.compile(r"Variable '\$(\w+)'")
_AT_PATH = re.compile(r"invalid value at \.([\w.\[\]]+)")
_REQUIRED = re.compile(r"required field '(\w+)'")
_NOT_DEFINED = re.compile(r"Field '(\w+)' is not defined by type")


def variable_error(error: GraphQLError, body_variable: str | None) -> ValidationFailed:
    """A GraphQL variable-coercion error as a VALIDATION_ERROR naming the field."""
    message = error.message
    parts: list[str] = []
    variable = _VARIABLE.search(message)
    if variable and variable.group(1) != body_variable:
        parts.append(variable.group(1))
    for pattern in (_AT_PATH, _REQUIRED, _NOT_DEFINED):
        match = pattern.search(message)
        if match:
            parts.extend(p for p in re.split(r"[.\[\]]+", match.group(1)) if p)
    field = ".".join(snake(p) for p in parts) or "body"
    reason = message.split(": ", 1)[-1] if ": " in message else message
    return ValidationFailed(
        f"Invalid value for '{field}': {reason}",
        details={"field": field, "reason": reason},
    )


def first_error(
    errors: Sequence[GraphQLError], body_variable: str | None = None
) -> HarvestError:
    """The error a REST caller sees for a failed execution."""
    for error in errors:
        if isinstance(error.original_error, HarvestError):
            return error.original_error
    for error in errors:
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            return as_domain_error(original)
    if errors and not errors[0].path:
        return variable_error(errors[0], body_variable)
    return ServerError()


class Shim:
    """Runs compiled rows on the schema with a context per request."""

    def __init__(self, schema: strawberry.Schema, contexts: ContextFactory) -> None:
        self.schema = schema
        self.contexts = contexts

    async def context_for(self, request: Request) -> Context:
        rc = await self.contexts.build(
            token=bearer_token(request.headers),
            client_ip=request.client.host if request.client else None,
            surface="rest",
            shared_session=True,
        )
        request.state.rc = rc
        return Context(rc=rc, request=request)

    async def execute(
        self, compiled: CompiledRoute, context: Context, variables: dict[str, Any]
    ) -> Any:
        result = await self.schema.execute(
            compiled.source, variable_values=variables, context_value=context
        )
        if result.errors:
            raise first_error(result.errors, compiled.route.body)
        data = result.data or {}
        if compiled.unwrap and len(data) == 1:
            return next(iter(data.values()))
        return data

    def endpoint(self, compiled: CompiledRoute) -> Any:
        async def run(request: Request) -> Response:
            context = await self.context_for(request)
            try:
                if not compiled.route.public:
                    # The credential is judged before the input: a caller
                    # without one learns nothing about what the route accepts.
                    context.rc.require_principal()
                body = await read_json_body(request) if compiled.route.body else None
                variables = variables_for(compiled, request, body)
                payload = await self.execute(compiled, context, variables)
            finally:
                await context.rc.close()
            return Response(
                orjson.dumps(payload),
                status_code=compiled.route.status,
                media_type="application/json",
            )

        run.__name__ = f"{compiled.route.method.lower()}_{compiled.route.path}"
        return run


def build_routes(
    table: Sequence[Route], schema: strawberry.Schema, contexts: ContextFactory
) -> list[BaseRoute]:
    """Starlette routes for every row of ``table``, mounted under /v1 by the app."""
    shim = Shim(schema, contexts)
    by_path: dict[str, dict[str, Any]] = {}
    for row in table:
        if row.handler is not None:
            endpoint = row.handler
        else:
            endpoint = shim.endpoint(compile_route(row, schema))
        by_path.setdefault(row.path, {})[row.method] = endpoint
    # One route per path, so a 405 names every method the path has in Allow.
    return [
        StarletteRoute(path, by_method(endpoints), methods=list(endpoints))
        for path, endpoints in by_path.items()
    ]


def by_method(endpoints: dict[str, Any]) -> Any:
    """One endpoint serving a path's rows by method (HEAD is served as GET)."""
    if len(endpoints) == 1:
        return next(iter(endpoints.values()))

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        response: Response = await endpoints[method](request)
        return response

    dispatch.__name__ = "_".join(e.__name__ for e in endpoints.values())
    return dispatch
