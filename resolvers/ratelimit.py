"""Rate limits per tier, one set of buckets shared by every surface.

Buckets (the name is what ``X-RateLimit-Bucket`` says):

- ``api_general``: every HTTP request to the API, per account per minute
  (``requests_per_minute`` of the caller's tier); anonymous calls count per
  client address, at the free tier's number.
- ``auth``: the credential routes (login, signup, forgot-password...), per
  client address per minute, whoever calls.
- ``generate``: generation starts per account per hour
  (``generations_per_hour``).
- ``concurrent_generations``: generations running at once per account
  (``concurrent_generations``), a slot held from start to finish, leased so a
  process that dies cannot hold it forever.

The numbers come from ``resolvers.tiers``; ``AppConfig.rate_limits`` may
override any of them per tier (``{"free": {"requests_per_minute": 3}}``), plus
the pseudo-tiers ``anonymous`` and ``auth``, so tests can reach limits quickly.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from models.base import isoformat
from resolvers.errors import RateLimited
from resolvers.ports import LimitCharge, LimitUsage
from resolvers.tiers import get_tier

if TYPE_CHECKING:
    from resolvers.context import AppConfig, RequestContext
    from resolvers.ports import RateLimitStore

logger = logging.getLogger(__name__)

API_GENERAL = "api_general"
AUTH = "auth"
GENERATE = "generate"
CONCURRENT_GENERATIONS = "concurrent_generations"

ANONYMOUS = "anonymous"
AUTH_REQUESTS_PER_MINUTE = 20
GENERATION_LEASE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Caller:
    """Who a request counts against.

    ``subject`` keys the rate limits (``user:<id>`` or ``ip:<address>``): an
    account's tier is the account's, so all its keys and tokens share it.
    ``owner`` keys idempotency records (the principal's id, or the address).
    """

    subject: str
    owner: str
    address: str
    tier: str | None = None

    @classmethod
    def anonymous(cls, client_ip: str | None) -> Caller:
        address = f"ip:{client_ip or 'unknown'}"
        return cls(subject=address, owner=address, address=address)

    @property
    def is_anonymous(self) -> bool:
        return self.tier is None


@dataclass(frozen=True)
class BucketState:
    """One bucket as the caller sees it, in the spec's headers or its 429."""

    bucket: str
    limit: int
    remaining: int
    reset_after: int
    reset_at: int

    def headers(self) -> dict[str, str]:
        """The spec's ``X-RateLimit-*`` headers."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "X-RateLimit-Reset-After": str(self.reset_after),
            "X-RateLimit-Bucket": self.bucket,
        }

    def refusal(self) -> RateLimited:
        """The spec's 429 for this bucket, with ``Retry-After``."""
        reset_at = datetime.fromtimestamp(self.reset_at, UTC)
        return RateLimited(
            f"Rate limit exceeded for '{self.bucket}': {self.limit} allowed, "
            f"retry in {self.reset_after} seconds",
            details={"bucket": self.bucket},
            extra={
                "retry_after": self.reset_after,
                "limit": self.limit,
                "remaining": 0,
                "reset_at": isoformat(reset_at),
            },
            headers={**self.headers(), "Retry-After": str(self.reset_after)},
        )


def limit_for(config: AppConfig, tier: str | None, name: str) -> int:
    """The number ``name`` (a ``Tier`` field) for ``tier`` (None: anonymous)."""
    overrides = config.rate_limits.get(tier or ANONYMOUS, {})
    if name in overrides:
        return int(overrides[name])
    if tier == AUTH:
        return AUTH_REQUESTS_PER_MINUTE
    return int(getattr(get_tier(tier or "free"), name))


def bucket_key(subject: str, bucket: str) -> str:
    # The braces are a Redis hash tag: one caller's keys live on one shard.
    return f"{{{subject}}}:{bucket}"


def bucket_state(bucket: str, limit: int, usage: LimitUsage) -> BucketState:
    reset_after = max(1, math.ceil(usage.reset_after_seconds))
    return BucketState(
        bucket=bucket,
        limit=limit,
        remaining=max(0, limit - usage.used),
        reset_after=reset_after,
        reset_at=int(time.time()) + reset_after,
    )


async def check_request(
    store: RateLimitStore, config: AppConfig, *, caller: Caller, credential: bool
) -> BucketState:
    """Count one HTTP request; RATE_LIMITED when its bucket is full.

    ``credential`` marks the routes that take a password or send mail: they
    count per client address in the ``auth`` bucket, whoever calls.
    """
    if credential:
        bucket, subject = AUTH, caller.address
        limit = limit_for(config, AUTH, "requests_per_minute")
    else:
        bucket, subject = API_GENERAL, caller.subject
        limit = limit_for(config, caller.tier, "requests_per_minute")

    outcome = await store.charge((LimitCharge(bucket_key(subject, bucket), limit, 60),))

    state = bucket_state(bucket, limit, outcome.usages[0])
    if not outcome.allowed:
        raise state.refusal()
    return state


def caller_of_context(ctx: RequestContext) -> Caller:
    """Who an operation that did not come over HTTP counts against: the same
    account (or address) its HTTP requests count against."""
    anonymous = Caller.anonymous(ctx.client_ip)
    if ctx.principal is None:
        return anonymous
    return Caller(
        subject=f"user:{ctx.principal.user_id}",
        owner=ctx.principal.id,
        address=anonymous.address,
        tier=ctx.principal.tier,
    )


async def check_operation(ctx: RequestContext) -> BucketState:
    """Count one operation sent over a WebSocket in the ``api_general`` bucket
    its caller's HTTP requests fill; RATE_LIMITED when it is full."""
    try:
        return await check_request(
            ctx.services.rate_limits,
            ctx.config,
            caller=caller_of_context(ctx),
            credential=False,
        )
    except RateLimited:
        ctx.services.telemetry.rate_limit_refused(bucket=API_GENERAL)
        raise


async def check_generation_start(ctx: RequestContext, *, generation_id: str) -> None:
    """Count a generation start against the caller's hourly and concurrent
    limits, holding a slot named ``generation_id`` until
    ``release_generation``; RATE_LIMITED when either is full (nothing taken).
    """
    principal = ctx.require_principal()
    subject = f"user:{principal.user_id}"
    hourly = limit_for(ctx.config, principal.tier, "generations_per_hour")
    running = limit_for(ctx.config, principal.tier, "concurrent_generations")
    charges = (
        LimitCharge(bucket_key(subject, GENERATE), hourly, 3600),
        LimitCharge(
            bucket_key(subject, CONCURRENT_GENERATIONS),
            running,
            GENERATION_LEASE_SECONDS,
            slot=generation_id,
        ),
    )

    outcome = await ctx.services.rate_limits.charge(charges)

    if outcome.refused is not None:
        bucket = (GENERATE, CONCURRENT_GENERATIONS)[outcome.refused]
        limit = charges[outcome.refused].limit
        ctx.services.telemetry.rate_limit_refused(bucket=bucket)
        raise bucket_state(bucket, limit, outcome.usages[outcome.refused]).refusal()


async def release_generation(
    store: RateLimitStore, *, user_id: str, generation_id: str
) -> None:
    """Give back the concurrent-generation slot of a finished generation.

    A store that cannot be reached is logged, not raised: the slot's lease
    frees it later anyway.
    """
    key = bucket_key(f"user:{user_id}", CONCURRENT_GENERATIONS)
    try:
        await store.release(key, generation_id)
    except Exception:
        logger.warning(
            "generation slot not released",
            extra={"generation_id": generation_id},
            exc_info=True,
        )
