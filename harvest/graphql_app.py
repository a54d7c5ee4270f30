"""/graphql over HTTP and WebSocket, with a context per operation."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, cast

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_ws.handlers import (
    BaseGraphQLWSHandler,
)
from strawberry.types.unset import UNSET, UnsetType

from resolvers import realtime
from resolvers.errors import NotFound, ValidationFailed
from rest_compat.errors import error_response
from schema.context import Context, ContextFactory, bearer_token
from subscriptions.registry import ConnectionRegistry

# Strawberry types UNSET as Any; acknowledging with it sends no payload at all.
ACK_WITHOUT_PAYLOAD = cast(UnsetType, UNSET)
LEASE_STATE = "websocket_lease"
GRAPHIQL_PAGE = Path(__file__).resolve().parent / "static" / "graphiql" / "index.html"


class StreamingSchema:
    """A schema whose ``subscribe`` runs any operation as a stream.

    The legacy ``graphql-ws`` protocol carries queries and mutations as well
    as subscriptions (a client may send everything over its socket), but
    Strawberry's handler for it hands every operation to ``subscribe``, which
    refuses anything but a subscription. ``stream`` answers a query or a
    mutation with its one result, and a subscription with its results.
    """

    def __init__(self, schema: Any) -> None:
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def subscribe(self, query: str, **options: Any) -> Any:
        return await self._schema.stream(query, **options)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """``graphql-ws`` answering queries and mutations like ``graphql-transport-ws``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = cast(Any, StreamingSchema(self.schema))


class HarvestGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view, building our context from the caller's credential."""

    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        schema: Any,
        contexts: ContextFactory,
        *,
        ide: bool,
        registry: ConnectionRegistry | None = None,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide else None)
        self.contexts = contexts
        self.registry = registry

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL loading its scripts from /static (Strawberry's uses a CDN)."""
        return GRAPHIQL_PAGE.read_text(encoding="utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            try:
                if self.registry is not None:
                    # Registered so that shutdown closes it with 1001, as the spec's.
                    await self.registry.serve_asgi(
                        super().__call__, scope, receive, send
                    )
                else:
                    await super().__call__(scope, receive, send)
            finally:
                await release_connection(scope)
            return
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

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object]:
        """Authenticate a subscription connection from its ``connection_init``
        payload: ``{"Authorization": "Bearer ..."}`` or ``{"token": ...}``.

        Without a credential there the connection keeps the one of its upgrade
        request (header or ``?token=``); a credential that does not verify is
        refused (graphql-transport-ws closes with 4403).
        """
        token = connection_token(context.connection_params)
        if token is None:
            await hold_connection(context)
            return ACK_WITHOUT_PAYLOAD
        request = context.request
        rc = await self.contexts.build(
            token=token,
            client_ip=request.client.host if request and request.client else None,
            surface="graphql",
        )
        if rc.principal is None:
            reason = rc.auth_error.message if rc.auth_error else "Invalid token"
            raise ConnectionRejectionError({"message": reason})
        context.rc = rc
        await hold_connection(context)
        return ACK_WITHOUT_PAYLOAD

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
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


async def hold_connection(context: Context) -> None:
    """Take one of the caller's WebSocket connection leases for this socket,
    the same ones the spec's WebSocket takes; refused past the tier's number.

    An anonymous socket holds none (it can run only what anyone may).
    """
    principal = context.rc.principal
    state = context.request.scope.setdefault("state", {})
    if principal is None or LEASE_STATE in state:
        return
    connections = realtime.hub_of(context.rc).connections
    lease = await connections.acquire(
        principal.user_id, limit=realtime.websocket_connection_limit(context.rc)
    )
    if lease is None:
        raise ConnectionRejectionError(
            {"message": "too many open connections for your tier"}
        )
    renewer = asyncio.create_task(renew_lease(connections, principal.user_id, lease))
    state[LEASE_STATE] = (connections, principal.user_id, lease, renewer)


async def renew_lease(connections: Any, user_id: str, lease: str) -> None:
    while True:
        await asyncio.sleep(connections.lease_seconds / 3)
        with contextlib.suppress(Exception):
            await connections.renew(user_id, lease)


async def release_connection(scope: Scope) -> None:
    """Give back the socket's connection lease, if it took one."""
    held = scope.get("state", {}).pop(LEASE_STATE, None)
    if held is None:
        return
    connections, user_id, lease, renewer = held
    renewer.cancel()
    with contextlib.suppress(Exception):
        await connections.release(user_id, lease)


def connection_token(params: Any) -> str | None:
    """The credential in a ``connection_init`` payload, if it carries one."""
    if not isinstance(params, dict):
        return None
    token = params.get("token")
    if isinstance(token, str) and token.strip():
        return token.strip()
    for name in ("Authorization", "authorization"):
        value = params.get(name)
        if isinstance(value, str):
            return bearer_token({"authorization": value})
    headers = params.get("headers")
    if isinstance(headers, dict):
        return connection_token(headers)
    return None
