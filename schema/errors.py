"""The one place where domain errors become GraphQL ``errors[].extensions``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from models.db import is_outage, is_redis_outage, is_unstorable_text
from resolvers.context import current_request_id
from resolvers.errors import (
    ErrorCode,
    HarvestError,
    ServiceUnavailable,
    ValidationFailed,
)

logger = logging.getLogger(__name__)


def to_harvest_error(error: GraphQLError) -> HarvestError | None:
    """The domain error behind a GraphQL error, if it has one."""
    original = error.original_error
    if isinstance(original, HarvestError):
        return original
    if original is not None and is_unstorable_text(original):
        return ValidationFailed(
            "Text may not contain NUL (\\u0000) characters", reason="nul_character"
        )
    if original is not None and is_redis_outage(original):
        return ServiceUnavailable(
            "Redis is unreachable: retry shortly", extra={"retry_after": 5}
        )
    if original is not None and is_outage(original):
        return ServiceUnavailable(
            "The database is unreachable: retry shortly", extra={"retry_after": 5}
        )
    return None


def error_extensions(error: HarvestError) -> dict[str, Any]:
    return {
        "code": error.code.value,
        "details": error.details,
        "request_id": current_request_id.get(),
        **error.extra,
    }


def render_error(error: GraphQLError) -> GraphQLError:
    """Give ``error`` the extensions our clients read; mask unexpected ones."""
    if error.original_error is None and "code" in (error.extensions or {}):
        return error  # already rendered
    domain = to_harvest_error(error)
    if domain is not None:
        message, extensions = domain.message, error_extensions(domain)
    elif error.original_error is None or isinstance(error.original_error, GraphQLError):
        # Syntax, validation and variable errors: the caller's document is wrong.
        message = error.message
        extensions = {
            "code": ErrorCode.VALIDATION_ERROR.value,
            "details": {},
            "request_id": current_request_id.get(),
        }
    else:
        logger.error(
            "unexpected error in a GraphQL resolver",
            exc_info=error.original_error,
            extra={"request_id": current_request_id.get(), "path": error.path},
        )
        message = "Internal server error"
        extensions = {
            "code": ErrorCode.SERVER_ERROR.value,
            "details": {},
            "request_id": current_request_id.get(),
        }
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error if domain is not None else None,
        extensions=extensions,
    )


class DomainErrors(SchemaExtension):
    """Renders every error of an operation with its code, details and request id."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [render_error(error) for error in errors]
