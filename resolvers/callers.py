"""Who a request counts against, found cheaply before the request runs.

An access token is verified without touching the database (its ``sub``
claim); an API key is looked up once and remembered for a minute. The tier is
read from the database, not from the token's ``tier`` claim (true when the
token was issued), and remembered for two seconds (``resolvers.tiers``);
billing forgets it when it changes it, so a change of tier applies to this
process's very next request and to other processes' within two seconds. A
missing or bad credential counts as the client address: the request itself
will be refused later, by the operation that needs a caller.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlmodel import col, or_, select

from models.user import ApiKey, User
from resolvers.auth_tokens import API_KEY_PREFIX, decode_access_token, hash_secret
from resolvers.errors import Unauthorized
from resolvers.ratelimit import Caller
from resolvers.tiers import recent_tier, remember_tier

if TYPE_CHECKING:
    from models.db import Database
    from resolvers.context import AppConfig

API_KEY_CACHE_SECONDS = 60.0
API_KEY_CACHE_SIZE = 10_000


class CallerResolver:
    """Resolves bearer credentials to callers, remembering API keys briefly."""

    def __init__(self, db: Database, config: AppConfig) -> None:
        self.db = db
        self.config = config
        self._keys: dict[str, tuple[float, Caller | None]] = {}

    async def resolve(self, token: str | None, client_ip: str | None) -> Caller:
        """The caller behind ``token``, or the client address."""
        anonymous = Caller.anonymous(client_ip)
        if not token:
            return anonymous
        if token.startswith(API_KEY_PREFIX):
            found = await self._api_key_caller(token, anonymous.address)
            return found or anonymous
        try:
            claims = decode_access_token(self.config, token)
        except Unauthorized:
            return anonymous
        user_id = str(claims["sub"])
        tier = await self._current_tier(user_id)
        return Caller(
            subject=f"user:{user_id}",
            owner=user_id,
            address=anonymous.address,
            tier=tier or str(claims.get("tier") or "free"),
        )

    async def _current_tier(self, user_id: str) -> str | None:
        remembered = recent_tier(user_id)
        if remembered is not None:
            return remembered
        async with self.db.session() as session:
            tier = await session.scalar(
                select(User.subscription_tier).where(col(User.id) == user_id)
            )
        if not tier:
            return None
        remember_tier(user_id, str(tier))
        return str(tier)

    async def _api_key_caller(self, secret: str, address: str) -> Caller | None:
        digest = hash_secret(self.config, secret)
        now = time.monotonic()
        cached = self._keys.get(digest)
        if cached is not None and cached[0] > now:
            found = cached[1]
        else:
            found = await self._load_api_key(digest)
            if len(self._keys) >= API_KEY_CACHE_SIZE:
                self._keys.clear()
            self._keys[digest] = (now + API_KEY_CACHE_SECONDS, found)
        if found is None:
            return None
        tier = await self._current_tier(found.subject.removeprefix("user:"))
        return replace(found, address=address, tier=tier or found.tier)

    async def _load_api_key(self, digest: str) -> Caller | None:
        async with self.db.session() as session:
            result = await session.execute(
                select(ApiKey.id, User.id, User.subscription_tier)
                .join(User, col(User.id) == col(ApiKey.user_id))
                .where(
                    or_(
                        col(ApiKey.key_hash) == digest,
                        col(ApiKey.previous_key_hash) == digest,
                    )
                )
            )
            row = result.first()
        if row is None:
            return None
        key_id, user_id, tier = row
        return Caller(
            subject=f"user:{user_id}", owner=key_id, address="", tier=str(tier)
        )
