"""/graphql over HTTP and WebSocket, with a context per operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from resolvers.errors import NotFound, ValidationFailed
from rest_compat.errors import error_response
from schema.context import Context, ContextFactory, bearer_token

GRAPHIQL_PAGE = Path(__file__).resolve().parent / "static" / "graphiql" / "index.html"


class HarvestGraphQL(GraphQL):  # type: ignore[type-arg]
    """Strawberry's ASGI view, building our context from the caller's credential."""

    def __init__(self, schema: Any, contexts: ContextFactory, *, ide: bool) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide else None)
        self.contexts = contexts

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL loading its scripts from /static (Strawberry's uses a CDN)."""
        return GRAPHIQL_PAGE.read_text(encoding="utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            # Malformed bodies, unsupported methods and the like, in the envelope.
            error = (
                NotFound(exc.reason)
                if exc.status_code == 404
                else ValidationFailed(exc.reason, field="body", reason=exc.reason)
            )
            response = error_response(error, status=exc.status_code)
        await response(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Any = None
    ) -> Context:
        token = bearer_token(request.headers)
        if token is None and isinstance(request, WebSocket):
            token = request.query_params.get("token")
        rc = await self.contexts.build(
            token=token,
            client_ip=request.client.host if request.client else None,
            surface="graphql",
        )
        request.scope.setdefault("state", {})["rc"] = rc
        return Context(rc=rc, request=request, response=response)
