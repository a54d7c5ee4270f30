"""What every domain operation is handed: the caller, the database, the outside
world (as Protocols from ``resolvers.ports``), and the request's identity."""

from __future__ import annotations

from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from resolvers.errors import Forbidden, HarvestError, Unauthorized

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from models.db import Database, SharedSession
    from resolvers.ports import Services

PrincipalKind = Literal["user", "api_key"]


@dataclass(frozen=True)
class AppConfig:
    """The slice of settings domain rules need; built by the wiring package."""

    secret_key: str
    public_url: str
    env: str = "development"
    app_url: str | None = None
    var_dir: Path = Path("var")
    webhook_allow_private: bool = False
    rate_limits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    webhook_retry_base_seconds: float = 5.0
    webhook_timeout_seconds: float = 10.0

    @property
    def is_production(self) -> bool:
        return self.env == "production"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user, through an access token or an API key."""

    user_id: str
    tier: str
    kind: PrincipalKind = "user"
    api_key_id: str | None = None
    permissions: frozenset[str] = frozenset({"read", "write"})
    token_id: str | None = None

    @property
    def id(self) -> str:
        """The id that owns per-caller records (rate limits, idempotency keys)."""
        return self.api_key_id or self.user_id

    def require_write(self) -> None:
        """Refuse a change made with a read-only API key."""
        if "write" not in self.permissions:
            raise Forbidden(
                "This API key is read-only: use a key with the 'write' permission",
                details={"required_permission": "write"},
            )


@dataclass
class RequestContext:
    """One request, WebSocket message or job: who asks, and with what."""

    db: Database
    services: Services
    config: AppConfig
    request_id: str
    principal: Principal | None = None
    client_ip: str | None = None
    surface: str = "rest"
    auth_error: HarvestError | None = None
    extras: dict[str, object] = field(default_factory=dict)
    #: the request's one session, when its surface ends it (``close``)
    shared: SharedSession | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for one step of the request: the request's shared one
        when it has one, else a fresh one."""
        if self.shared is not None:
            async with self.shared.session() as session:
                yield session
        else:
            async with self.db.session() as session:
                yield session

    async def close(self) -> None:
        """End the request's shared session, if any."""
        if self.shared is not None:
            await self.shared.close()

    def require_principal(self) -> Principal:
        """The caller, or UNAUTHORIZED when the request carries no valid credential."""
        if self.principal is None:
            raise self.auth_error or Unauthorized()
        return self.principal

    def require_writer(self) -> Principal:
        """The caller, who must be allowed to change things."""
        principal = self.require_principal()
        principal.require_write()
        return principal


current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")
