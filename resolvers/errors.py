"""The single exception tree of the domain.

    HarvestError                  code            HTTP
    ├── Unauthorized              UNAUTHORIZED    401
    ├── Forbidden                 FORBIDDEN       403
    ├── NotFound                  NOT_FOUND       404
    ├── ValidationFailed          VALIDATION_ERROR 400
    │   └── PayloadTooLarge       VALIDATION_ERROR 413
    ├── RateLimited               RATE_LIMITED    429
    ├── QuotaExceeded             QUOTA_EXCEEDED  402
    ├── ServerError               SERVER_ERROR    500
    ├── ServiceUnavailable        SERVICE_UNAVAILABLE 503
    ├── Timeout                   TIMEOUT         504
    ├── Conflict                  CONFLICT        409
    ├── UnsupportedModel          UNSUPPORTED_MODEL 400
    └── ContentFiltered           CONTENT_FILTERED 400

Each surface renders these in one place: ``schema/errors.py`` (GraphQL
extensions), ``rest_compat/errors.py`` (the spec's envelope) and the WebSocket
protocol's error frames.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Error codes, spelled as in the spec's table."""

    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    RATE_LIMITED = "RATE_LIMITED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    SERVER_ERROR = "SERVER_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    CONFLICT = "CONFLICT"
    UNSUPPORTED_MODEL = "UNSUPPORTED_MODEL"
    CONTENT_FILTERED = "CONTENT_FILTERED"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.QUOTA_EXCEEDED: 402,
    ErrorCode.SERVER_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.TIMEOUT: 504,
    ErrorCode.CONFLICT: 409,
    ErrorCode.UNSUPPORTED_MODEL: 400,
    ErrorCode.CONTENT_FILTERED: 400,
}


class HarvestError(Exception):
    """A failure the caller can act on: a code, a message, and details.

    ``extra`` holds top-level envelope members some codes carry besides
    ``details`` (the spec's rate-limit body has ``retry_after``, ``limit``...).
    ``headers`` are HTTP headers the REST surface adds (``Retry-After``).
    """

    code: ErrorCode = ErrorCode.SERVER_ERROR
    default_message = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details or {}
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]


class Unauthorized(HarvestError):
    code = ErrorCode.UNAUTHORIZED
    default_message = "Authentication required: send 'Authorization: Bearer <token>'"


class Forbidden(HarvestError):
    code = ErrorCode.FORBIDDEN
    default_message = "You do not have permission to do this"


class NotFound(HarvestError):
    code = ErrorCode.NOT_FOUND
    default_message = "Resource not found"


class ValidationFailed(HarvestError):
    code = ErrorCode.VALIDATION_ERROR
    default_message = "Invalid input provided"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        merged = dict(details or {})
        if field is not None:
            merged.setdefault("field", field)
        if reason is not None:
            merged.setdefault("reason", reason)
        if message is None and field is not None and reason is not None:
            message = f"Invalid value for '{field}': {reason}"
        super().__init__(message, details=merged)


class PayloadTooLarge(ValidationFailed):
    """A request body over the server's limit, refused before it is parsed."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Request body too large: send at most {limit} bytes",
            field="body",
            reason="too_large",
            details={"limit_bytes": limit},
        )

    @property
    def http_status(self) -> int:
        return 413


class RateLimited(HarvestError):
    code = ErrorCode.RATE_LIMITED
    default_message = "Rate limit exceeded"


class QuotaExceeded(HarvestError):
    code = ErrorCode.QUOTA_EXCEEDED
    default_message = (
        "Usage limit reached: upgrade your plan or wait for the next period"
    )


class ServerError(HarvestError):
    code = ErrorCode.SERVER_ERROR
    default_message = "Internal server error"


class ServiceUnavailable(HarvestError):
    code = ErrorCode.SERVICE_UNAVAILABLE
    default_message = "Service temporarily unavailable: retry shortly"


class Timeout(HarvestError):
    code = ErrorCode.TIMEOUT
    default_message = "The request timed out"


class Conflict(HarvestError):
    code = ErrorCode.CONFLICT
    default_message = "Resource conflict"


class UnsupportedModel(HarvestError):
    code = ErrorCode.UNSUPPORTED_MODEL
    default_message = "Model not available"


class ContentFiltered(HarvestError):
    code = ErrorCode.CONTENT_FILTERED
    default_message = "Content violates policies"
