"""The per-request GraphQL context: the domain's request context, plus loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.types import Info

from models.db import Database
from resolvers.auth_tokens import authenticate_bearer
from resolvers.context import AppConfig, RequestContext, current_request_id
from resolvers.errors import HarvestError, Unauthorized

if TYPE_CHECKING:
    from resolvers.ports import Services


T = TypeVar("T")


@dataclass
class Context:
    """What ``info.context`` holds for every GraphQL operation."""

    rc: RequestContext
    request: Any = None
    response: Any = None
    loaders: dict[str, Any] = field(default_factory=dict)
    connection_params: Any = None


def request_context(info: Info[Context, Any]) -> RequestContext:
    return info.context.rc


async def call(
    info: Info[Context, Any],
    operation: Callable[..., Awaitable[T]],
    *args: Any,
    **kwargs: Any,
) -> T:
    """Run one resolvers/ operation in its own session, with the request context.

    The operation must take ``(session, *, ctx, ...)``; ``ctx`` is filled in.
    (A ParamSpec cannot say "these parameters but ``ctx``", so the arguments
    are checked by the operation's own signature when it runs.)
    """
    rc = info.context.rc
    async with rc.session() as session:
        return await operation(session, *args, ctx=rc, **kwargs)


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The credential of an ``Authorization: Bearer`` header, if any."""
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class ContextFactory:
    """Builds request contexts for every surface from the process's parts."""

    def __init__(self, *, db: Database, services: Services, config: AppConfig) -> None:
        self.db = db
        self.services = services
        self.config = config

    async def build(
        self,
        *,
        token: str | None,
        client_ip: str | None,
        surface: str,
        request_id: str | None = None,
        shared_session: bool = False,
    ) -> RequestContext:
        """A context for a caller presenting ``token`` (access token or API key).

        A bad credential does not fail here: it is kept and raised when the
        operation needs a caller, so public operations still work. With
        ``shared_session`` the request's steps share one session, which the
        caller ends (``rc.close()``) when the request is answered.
        """
        rc = RequestContext(
            db=self.db,
            services=self.services,
            config=self.config,
            request_id=request_id or current_request_id.get(),
            client_ip=client_ip,
            surface=surface,
            shared=self.db.shared() if shared_session else None,
        )
        if token:
            try:
                async with rc.session() as session:
                    rc.principal = await authenticate_bearer(
                        session, config=self.config, token=token
                    )
            except Unauthorized as exc:
                rc.auth_error = exc
            except HarvestError:
                raise
        return rc
