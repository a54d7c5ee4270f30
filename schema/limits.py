"""Resource limits on every GraphQL operation, checked before any resolver runs.

- depth, aliases and tokens: Strawberry's own limiters;
- list cost: a paginated field (one taking ``first``, ``last`` or ``limit``)
  must name its page size in the document, at most 100; each field costs one
  unit times the page sizes of the lists it sits in, and an operation may cost
  at most ``MAX_COST``. A page-size variable left unset counts as the default
  page size (the REST routes pass ``limit: $limit`` that way);
- introspection is off in production (field suggestions are turned off by the
  schema's config there);
- an operation sent over a GraphQL WebSocket counts against the caller's
  request limit, like an HTTP request (which the middleware counts).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NoSchemaIntrospectionCustomRule,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from starlette.websockets import WebSocket
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.query_depth_limiter import IgnoreContext

from resolvers.errors import ValidationFailed
from resolvers.pagination import DEFAULT_LIMIT, MAX_LIMIT
from resolvers.ratelimit import check_operation

MAX_DEPTH = 10
MAX_ALIASES = 60
MAX_TOKENS = 3000
MAX_COST = 5000
MAX_BATCH_OPERATIONS = 10
PAGE_ARGUMENTS = ("first", "last", "limit")


class ListCost(SchemaExtension):
    """Refuses an operation whose lists are unbounded or too costly."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.result:
            try:
                cached_cost(
                    self.execution_context.schema._schema,
                    document,
                    operation_name=context.operation_name,
                    variables=context.variables or {},
                )
            except ValidationFailed as refusal:
                context.result = GraphQLExecutionResult(
                    data=None,
                    errors=[GraphQLError(refusal.message, original_error=refusal)],
                )
        yield


MAX_CACHED_COSTS = 512
# (id(document), id(schema), operation, variables) -> (document, cost); holding
# the document keeps its id from being reused while the entry lives. Refusals
# are not kept: each one is worked out again and raised afresh.
_costs: OrderedDict[tuple[Any, ...], tuple[DocumentNode, int]] = OrderedDict()


def cached_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> int:
    """``operation_cost`` once per parsed document and variables (bounded)."""
    try:
        frozen = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        frozen = None
    key = (id(document), id(schema), operation_name, frozen)
    found = _costs.get(key) if frozen is not None else None
    if found is not None and found[0] is document:
        _costs.move_to_end(key)
        return found[1]
    cost = operation_cost(
        schema, document.definitions, operation_name=operation_name, variables=variables
    )
    if frozen is not None:
        _costs[key] = (document, cost)
        if len(_costs) > MAX_CACHED_COSTS:
            _costs.popitem(last=False)
    return cost


def operation_cost(
    schema: GraphQLSchema,
    definitions: Any,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> int:
    """The cost of the operation to run; VALIDATION_ERROR past the limits."""
    fragments = {
        d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name and o.name.value == operation_name)
        ),
        None,
    )
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    defaults = {
        d.variable.name.value: d.default_value
        for d in operation.variable_definitions or ()
    }
    walker = _CostWalker(schema, fragments, variables, defaults)
    cost = walker.cost(operation.selection_set, root, multiplier=1)
    if cost > MAX_COST:
        raise ValidationFailed(
            f"Query too costly: it may return about {cost} fields, at most "
            f"{MAX_COST} are allowed; ask for smaller pages or fewer fields",
            field="query",
            reason="too_costly",
            details={"cost": cost, "max_cost": MAX_COST},
        )
    return cost


class _CostWalker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        defaults: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults

    def cost(
        self, selection_set: SelectionSetNode | None, parent: Any, multiplier: int
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, multiplier)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else None
                total += self.cost(selection.selection_set, kind or parent, multiplier)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    kind = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.cost(fragment.selection_set, kind, multiplier)
        return total

    def _field_cost(self, node: FieldNode, parent: Any, multiplier: int) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return 0
        definition: GraphQLField = fields[name]
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType) and not (
            node.selection_set
        ):
            return multiplier
        size = self._page_size(node, definition)
        return multiplier + self.cost(node.selection_set, named, multiplier * size)

    def _page_size(self, node: FieldNode, definition: GraphQLField) -> int:
        argument = next((a for a in PAGE_ARGUMENTS if a in definition.args), None)
        if argument is None:
            return 1
        given = next(
            (a for a in node.arguments or () if a.name.value == argument), None
        )
        if given is None:
            raise ValidationFailed(
                f"'{node.name.value}' returns a list: give '{argument}' "
                f"(at most {MAX_LIMIT}) to say how many items you want",
                field=argument,
                reason="required for list fields",
            )
        value = given.value
        if isinstance(value, VariableNode):
            name = value.name.value
            raw = self.variables.get(name)
            fallback = self.defaults.get(name)
            if raw is None and isinstance(fallback, IntValueNode):
                raw = int(fallback.value)
        elif isinstance(value, IntValueNode):
            raw = int(value.value)
        elif isinstance(value, NullValueNode):
            raw = None
        else:
            return DEFAULT_LIMIT
        size = DEFAULT_LIMIT if raw is None else raw
        if not isinstance(size, int):
            return DEFAULT_LIMIT
        if size > MAX_LIMIT:
            raise ValidationFailed(
                f"'{argument}' of '{node.name.value}' is {size}: at most "
                f"{MAX_LIMIT} items per page",
                field=argument,
                reason=f"must be between 1 and {MAX_LIMIT}",
            )
        return max(size, 1)


class WebSocketOperationLimit(SchemaExtension):
    """Counts each operation sent over a GraphQL WebSocket against the caller's
    request limit, as every HTTP request is counted before it reaches here."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(getattr(context, "request", None), WebSocket):
            await check_operation(context.rc)
        yield


def _skip_introspection(context: IgnoreContext) -> bool:
    return context.field_name.startswith("__")


def resource_limits(*, production: bool) -> list[Any]:
    """The extensions that bound what one operation may ask for.

    The validation rules are built once per schema, so that the validation
    cache keeps working (a rule class made per request would miss it).
    """
    rules = [
        *QueryDepthLimiter(
            max_depth=MAX_DEPTH, should_ignore=_skip_introspection
        ).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    if production:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(rules),
        ListCost,
        WebSocketOperationLimit,
    ]
