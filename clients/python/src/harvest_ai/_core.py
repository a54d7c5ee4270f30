"""What the sync and async clients share: calls, retries, headers, parsing."""

from __future__ import annotations

import email.utils
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from harvest_ai.errors import APIError, error_from_envelope

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.harvest.ai/v1"
DEFAULT_TIMEOUT = 60.0
USER_AGENT = "harvest-ai-python/0.1.0"
RETRY_STATUSES = frozenset({429, 503})
RETRY = "retry"
IN_PROGRESS = "in_progress"


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    429, 503 and connection errors are retried, up to ``max_retries`` times.
    The wait is the server's ``Retry-After`` when it sends one (a longer one
    than ``max_retry_after`` is not waited for: the error is raised), else an
    exponential backoff with jitter. A CONFLICT saying that an earlier try
    with the same Idempotency-Key still runs (a lost answer of a long
    generation) is asked again after its ``Retry-After``, for at most
    ``in_progress_wait`` seconds in all, without counting as a retry. Every method
    is retried; POSTs are safe to retry thanks to their Idempotency-Key, and a
    DELETE whose answer was lost answers NOT_FOUND when it is tried again.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0
    in_progress_wait: float = 120.0

    def backoff(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1-based), without a hint."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def wait(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry ``attempt``, or None to give up."""
        if attempt > self.max_retries:
            return None
        if retry_after is None:
            return self.backoff(attempt)
        if retry_after > self.max_retry_after:
            return None
        return max(float(retry_after), 0.0)


NO_RETRIES = RetryPolicy(max_retries=0, in_progress_wait=0.0)


@dataclass
class Attempts:
    """The tries of one call: how many retries it had, and how long it
    waited for an earlier try that was still running."""

    policy: RetryPolicy
    retries: int = 0
    waited_in_progress: float = 0.0

    def after_connection_error(self) -> float | None:
        """Seconds to wait before trying again, or None to give up."""
        self.retries += 1
        return self.policy.wait(self.retries, None)

    def after(self, response: httpx.Response) -> float | None:
        """Seconds to wait before sending the same request again, or None
        when ``response`` is the answer to return."""
        kind = retry_kind(response)
        if kind is None:
            return None
        hint = retry_after_seconds(response)
        if kind == IN_PROGRESS:
            wait = 1.0 if hint is None else hint
            if self.waited_in_progress + wait > self.policy.in_progress_wait:
                return None
            self.waited_in_progress += wait
            return wait
        self.retries += 1
        return self.policy.wait(self.retries, hint)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One HTTP request of the API and how to read its answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, Any] | None = None
    json: Mapping[str, Any] | None = None
    idempotency_key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the keys whose value is None."""
    return {key: value for key, value in values.items() if value is not None}


def query(values: Mapping[str, Any]) -> dict[str, str]:
    """Query-string parameters: None dropped, booleans spelled as JSON."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = (
            ("true" if value else "false") if isinstance(value, bool) else str(value)
        )
    return out


def new_idempotency_key() -> str:
    return f"hv-idem-{uuid.uuid4().hex}"


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The response's ``Retry-After`` in seconds (delta or HTTP date)."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def retry_kind(response: httpx.Response) -> str | None:
    """Why the same request may succeed later (``RETRY`` or ``IN_PROGRESS``),
    or None when it would not."""
    if response.status_code in RETRY_STATUSES:
        return RETRY
    if response.status_code == 409:
        details = envelope_of(response).get("details") or {}
        if isinstance(details, dict) and details.get("reason") == "in_progress":
            return IN_PROGRESS
    return None


def envelope_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of an error response (a stand-in if there is none)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    return {
        "message": f"HTTP {response.status_code} without an error envelope",
        "request_id": response.headers.get("x-request-id"),
    }


def raise_for_error(response: httpx.Response) -> None:
    """Raise the typed error of an error response."""
    if response.status_code < 400:
        return
    error = envelope_of(response)
    error.setdefault("request_id", response.headers.get("x-request-id"))
    raise error_from_envelope(
        error, status=response.status_code, retry_after=retry_after_seconds(response)
    )


def error_of(response: httpx.Response) -> APIError:
    try:
        raise_for_error(response)
    except APIError as exc:
        return exc
    raise AssertionError("error_of called with a successful response")


def parse(response: httpx.Response, call: Call[T]) -> T:
    raise_for_error(response)
    try:
        return call.parse(response.json() if response.content else None)
    except (ValueError, KeyError, TypeError) as exc:
        raise APIError(
            f"{call.method} {call.path}: the answer is not what the API describes",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        ) from exc


def origin_url(base_url: str, path: str) -> str:
    """``path`` on the host of ``base_url`` (``/graphql`` beside ``/v1``)."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def realtime_url(base_url: str) -> str:
    """The spec's WebSocket URL for an API base URL (``/v1``, ws or wss)."""
    parts = urlsplit(base_url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") or "/v1", "", ""))


class ClientConfig:
    """Settings and header building shared by both clients."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str,
        timeout: float,
        retry: RetryPolicy,
        headers: Mapping[str, str] | None,
        graphql_url: str | None,
        websocket_url: str | None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry
        self.extra_headers = dict(headers or {})
        self.graphql_url = graphql_url or origin_url(self.base_url, "/graphql")
        self.websocket_url = websocket_url or realtime_url(self.base_url)

    def headers_for(
        self, call: Call[Any], idempotency_key: str | None
    ) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        headers.update(self.extra_headers)
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        headers.update(call.headers)
        return headers

    def key_for(self, call: Call[Any]) -> str | None:
        """The Idempotency-Key every try of ``call`` carries (POSTs only)."""
        if call.method != "POST":
            return call.idempotency_key
        return call.idempotency_key or new_idempotency_key()

    def url_for(self, call: Call[Any]) -> str:
        if call.path.startswith(("http://", "https://")):
            return call.path
        return self.base_url + call.path


def graphql_result(body: Any, response: httpx.Response) -> dict[str, Any]:
    """``data`` of a GraphQL answer, or the first error as a typed exception."""
    if not isinstance(body, dict):
        raise_for_error(response)
        raise APIError("The GraphQL endpoint did not answer JSON", status=200)
    errors = body.get("errors") or []
    if errors:
        first = errors[0]
        extensions = first.get("extensions") or {}
        raise error_from_envelope(
            {
                "code": extensions.get("code"),
                "message": first.get("message"),
                "details": extensions.get("details") or {},
                "request_id": extensions.get("request_id")
                or response.headers.get("x-request-id"),
                "errors": errors,
            },
            status=response.status_code,
        )
    raise_for_error(response)
    return dict(body.get("data") or {})
