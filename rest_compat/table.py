"""What a row of the REST table says, and the plain-route handler type."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

PlainHandler = Callable[[Request], Awaitable[Response]]

BODY = "*"
"""``body=BODY``: each top-level key of the JSON body is a variable of its own."""


@dataclass(frozen=True)
class Route:
    """One /v1 route: what it runs and how the request maps onto it.

    A route either runs a GraphQL ``document`` on the schema (the usual case)
    or a plain ``handler`` (redirects, SSE, downloads, inbound webhooks).

    - ``query``: query-string parameters passed as variables (camelCased).
    - ``body``: the variable that receives the JSON body, or ``BODY`` to pass
      each top-level key as its own variable; ``None`` for no body.
    - ``unwrap``: return the single root field's value instead of ``data``;
      defaults to True for mutations and False for queries.
    """

    method: str
    path: str
    summary: str
    tag: str
    document: str | None = None
    handler: PlainHandler | None = None
    query: tuple[str, ...] = ()
    body: str | None = None
    status: int = 200
    unwrap: bool | None = None
    public: bool = False
    response_media_type: str = "application/json"
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.document is None) == (self.handler is None):
            raise ValueError(f"{self.method} {self.path}: give a document or a handler")

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)
