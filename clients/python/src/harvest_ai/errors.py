"""What the client raises.

    HarvestError                    anything this package raises
    ├── APIError                    the server answered with the error envelope
    │   ├── Unauthorized            UNAUTHORIZED         401
    │   ├── Forbidden               FORBIDDEN            403
    │   ├── NotFound                NOT_FOUND            404
    │   ├── ValidationFailed        VALIDATION_ERROR     400
    │   ├── RateLimited             RATE_LIMITED         429
    │   ├── QuotaExceeded           QUOTA_EXCEEDED       402
    │   ├── ServerError             SERVER_ERROR         500
    │   ├── ServiceUnavailable      SERVICE_UNAVAILABLE  503
    │   ├── Timeout                 TIMEOUT              504
    │   ├── Conflict                CONFLICT             409
    │   ├── UnsupportedModel        UNSUPPORTED_MODEL    400
    │   └── ContentFiltered         CONTENT_FILTERED     400
    ├── APIConnectionError          no answer (refused, reset, timed out)
    ├── RealtimeClosed              the WebSocket was closed with a spec code
    └── WebhookVerificationError    a webhook's signature or timestamp is wrong

Every ``APIError`` carries the envelope's ``code``, ``message``, ``details``
and ``request_id``, plus the HTTP ``status`` and, for rate limits,
``retry_after`` in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class HarvestError(Exception):
    """Base class of every error this package raises."""


class APIError(HarvestError):
    """The server refused the request and said why, in the spec's envelope."""

    code: str = "SERVER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id
        self.status = status
        self.retry_after = retry_after
        self.body: dict[str, Any] = dict(body or {})

    def __str__(self) -> str:
        suffix = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.code}: {self.message}{suffix}"


class Unauthorized(APIError):
    """No credential, or one the server does not accept."""

    code = "UNAUTHORIZED"


class Forbidden(APIError):
    """The credential is valid but may not do this."""

    code = "FORBIDDEN"


class NotFound(APIError):
    """No such resource, or not one the caller can see."""

    code = "NOT_FOUND"


class ValidationFailed(APIError):
    """The input was refused; ``details`` names the field and the reason."""

    code = "VALIDATION_ERROR"


class RateLimited(APIError):
    """Too many requests; ``retry_after`` says how long to wait."""

    code = "RATE_LIMITED"


class QuotaExceeded(APIError):
    """A usage limit of the plan was reached."""

    code = "QUOTA_EXCEEDED"


class ServerError(APIError):
    """The server failed unexpectedly."""

    code = "SERVER_ERROR"


class ServiceUnavailable(APIError):
    """The server, or a service it needs, is down for now."""

    code = "SERVICE_UNAVAILABLE"


class Timeout(APIError):
    """The server gave up waiting (for instance on the model)."""

    code = "TIMEOUT"


class Conflict(APIError):
    """The request clashes with the resource's state."""

    code = "CONFLICT"


class UnsupportedModel(APIError):
    """The model asked for is not served; ``details`` lists the ones that are."""

    code = "UNSUPPORTED_MODEL"


class ContentFiltered(APIError):
    """The model refused the content."""

    code = "CONTENT_FILTERED"


class APIConnectionError(HarvestError):
    """No answer from the server, after every retry."""


class RealtimeClosed(HarvestError):
    """The WebSocket was closed; ``close_code`` is one of the spec's codes."""

    def __init__(self, close_code: int | None, reason: str = "") -> None:
        super().__init__(f"WebSocket closed ({close_code}): {reason}".rstrip(": "))
        self.close_code = close_code
        self.reason = reason


class WebhookVerificationError(HarvestError):
    """A webhook's signature does not match, or its timestamp is too old."""


ERRORS_BY_CODE: dict[str, type[APIError]] = {
    cls.code: cls
    for cls in (
        Unauthorized,
        Forbidden,
        NotFound,
        ValidationFailed,
        RateLimited,
        QuotaExceeded,
        ServerError,
        ServiceUnavailable,
        Timeout,
        Conflict,
        UnsupportedModel,
        ContentFiltered,
    )
}

CODES_BY_STATUS: dict[int, str] = {
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    400: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    402: "QUOTA_EXCEEDED",
    500: "SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
    504: "TIMEOUT",
    409: "CONFLICT",
}


def error_from_envelope(
    error: Mapping[str, Any],
    *,
    status: int | None = None,
    retry_after: float | None = None,
) -> APIError:
    """The typed exception for the envelope's ``error`` object."""
    code = str(error.get("code") or CODES_BY_STATUS.get(status or 500, "SERVER_ERROR"))
    cls = ERRORS_BY_CODE.get(code, APIError)
    if retry_after is None and isinstance(error.get("retry_after"), int | float):
        retry_after = float(error["retry_after"])
    return cls(
        str(error.get("message") or code),
        code=code,
        details=error.get("details") if isinstance(error.get("details"), dict) else {},
        request_id=error.get("request_id"),
        status=status,
        retry_after=retry_after,
        body=error,
    )
