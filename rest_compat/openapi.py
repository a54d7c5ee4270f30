"""The OpenAPI 3.1 document for /v1, generated from the REST table.

Request bodies come from the GraphQL input types a row's variables take;
response bodies from the row's selection set, with its aliases, so the
document describes exactly what the shim returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLUnionType

from resolvers.errors import HTTP_STATUS, ErrorCode
from rest_compat.shim import compile_route, snake
from rest_compat.table import BODY, Route

SCALARS: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date"},
    "JSON": {},
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {
                "code": {"type": "string", "enum": [c.value for c in ErrorCode]},
                "message": {"type": "string"},
                "details": {"type": "object"},
                "request_id": {"type": "string"},
                "documentation_url": {"type": "string"},
            },
        }
    },
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if not schema:
        return schema
    if "type" in schema and isinstance(schema["type"], str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _nullable_input(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema:
        return {**_nullable(schema), "enum": [*schema["enum"], None]}
    return _nullable(schema)


def input_schema(gql_type: GraphQLType) -> dict[str, Any]:
    """JSON Schema of a GraphQL input type, with the REST (snake_case) names."""
    if isinstance(gql_type, GraphQLNonNull):
        return input_schema(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        return {"type": "array", "items": input_schema(gql_type.of_type)}
    if isinstance(gql_type, GraphQLInputObjectType):
        properties, required = {}, []
        for name, field in gql_type.fields.items():
            prop = input_schema(field.type)
            if not isinstance(field.type, GraphQLNonNull):
                # GraphQL takes null for any optional input field.
                prop = _nullable_input(prop)
            if field.description:
                prop = {**prop, "description": field.description}
            properties[snake(name)] = prop
            if isinstance(field.type, GraphQLNonNull) and field.default_value is None:
                required.append(snake(name))
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema
    if isinstance(gql_type, GraphQLEnumType):
        return {"type": "string", "enum": [v.value for v in gql_type.values.values()]}
    if isinstance(gql_type, GraphQLScalarType):
        return dict(SCALARS.get(gql_type.name, {}))
    return {}


class _Selections:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments

    def fields(self, selection_set: SelectionSetNode) -> list[FieldNode]:
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                found.extend(self.fields(fragment.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                found.extend(self.fields(selection.selection_set))
        return found

    def output(self, gql_type: GraphQLType, node: FieldNode) -> dict[str, Any]:
        if isinstance(gql_type, GraphQLNonNull):
            return self.output(gql_type.of_type, node)
        if isinstance(gql_type, GraphQLList):
            inner = gql_type.of_type
            item = self.output(inner, node)
            if not isinstance(inner, GraphQLNonNull):
                item = _nullable(item)
            return {"type": "array", "items": item}
        if isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType):
            assert node.selection_set is not None
            return self.object(gql_type, node.selection_set)
        if isinstance(gql_type, GraphQLUnionType):
            return {"type": "object"}
        if isinstance(gql_type, GraphQLEnumType):
            return {
                "type": "string",
                "enum": [v.value for v in gql_type.values.values()],
            }
        if isinstance(gql_type, GraphQLScalarType):
            return dict(SCALARS.get(gql_type.name, {}))
        return {}

    def object(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        selection_set: SelectionSetNode,
    ) -> dict[str, Any]:
        properties, required = {}, []
        for node in self.fields(selection_set):
            name = node.name.value
            if name == "__typename":
                continue
            field = parent.fields[name]
            key = node.alias.value if node.alias else name
            schema = self.output(field.type, node)
            if isinstance(field.type, GraphQLNonNull):
                required.append(key)
            else:
                schema = _nullable(schema)
            if field.description:
                schema = {**schema, "description": field.description}
            properties[key] = schema
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            result["required"] = required
        return result


def response_schema(
    route: Route, schema: strawberry.Schema, unwrap: bool
) -> dict[str, Any]:
    assert route.document is not None
    document = parse(route.document)
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    )
    gql = schema._schema
    root = gql.get_root_type(operation.operation)
    assert root is not None
    selections = _Selections(fragments)
    body = selections.object(root, operation.selection_set)
    if unwrap and len(body["properties"]) == 1:
        inner = next(iter(body["properties"].values()))
        return (
            inner.get("anyOf", [inner])[0]
            if "anyOf" in inner
            else {**inner, "type": "object"}
        )
    return body


def _parameter(name: str, where: str, gql_type: GraphQLType | None) -> dict[str, Any]:
    param: dict[str, Any] = {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": input_schema(gql_type)
        if gql_type is not None
        else {"type": "string"},
    }
    return param


def _error_responses(route: Route) -> dict[str, Any]:
    statuses = {400, 404, 429, 500, 503}
    if not route.public:
        statuses |= {401, 403}
    if route.method in {"POST", "PATCH", "DELETE"}:
        statuses |= {409, 402}
    if route.method in {"POST", "PATCH", "PUT"}:
        statuses.add(413)
    declared = route.extra.get("errors", ())
    if isinstance(declared, (list, tuple, set, frozenset)):
        statuses |= set(HTTP_STATUS.values()) & set(declared)
    return {
        str(status): {
            "description": "Error",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
            },
        }
        for status in sorted(statuses)
    }


def operation_for(route: Route, schema: strawberry.Schema) -> dict[str, Any]:
    """The OpenAPI operation object of one row."""
    operation: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": f"{route.method.lower()}{route.path}".replace("/", "_")
        .replace("{", "")
        .replace("}", "")
        .replace("-", "_"),
    }
    if not route.public:
        operation["security"] = [{"bearer": []}]
    parameters = []
    variables: dict[str, Any] = {}
    if route.document is not None:
        compiled = compile_route(route, schema)
        variables = dict(compiled.variables)
    for name in route.path_params:
        parameters.append(_parameter(name, "path", None))
    for name in route.query:
        from rest_compat.shim import camel

        parameters.append(_parameter(name, "query", variables.get(camel(name))))
    if parameters:
        operation["parameters"] = parameters
    if route.document is not None and route.body is not None:
        if route.body == BODY:
            body_schema: dict[str, Any] = {
                "type": "object",
                "properties": {
                    snake(name): input_schema(t)
                    for name, t in variables.items()
                    if snake(name) not in route.path_params
                },
            }
        else:
            body_schema = input_schema(variables[route.body])
        # An absent body reads as {}: it is required only when a field is.
        operation["requestBody"] = {
            "required": bool(body_schema.get("required")),
            "content": {"application/json": {"schema": body_schema}},
        }
    elif route.extra.get("request_schema"):
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": route.extra["request_schema"]}},
        }
    success: dict[str, Any] = {"description": "Success"}
    if route.document is not None:
        success["content"] = {
            "application/json": {
                "schema": response_schema(
                    route, schema, compile_route(route, schema).unwrap
                )
            }
        }
    elif route.extra.get("response_schema") is not None:
        success["content"] = {
            route.response_media_type: {"schema": route.extra["response_schema"]}
        }
    responses = {str(route.status): success, **_error_responses(route)}
    operation["responses"] = responses
    return operation


def build_openapi(
    routes: Sequence[Route], schema: strawberry.Schema, *, server_url: str
) -> dict[str, Any]:
    """The whole OpenAPI document for ``routes``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = operation_for(
            route, schema
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Harvest API",
            "version": "1.0.0",
            "description": "REST compatibility layer of Harvest, served from the "
            "same resolvers as /graphql.",
        },
        "servers": [{"url": server_url.rstrip("/") + "/v1"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token (JWT) or an API key (hv_...).",
                }
            },
        },
    }
