"""The tiers: one table, read by every limit in the product.

Where the spec disagrees with itself, the rate-limit table wins: it says pro
gets 500 requests a minute, while the example subscription's ``limits`` says
100. The README states the choice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from resolvers.errors import ValidationFailed

RECENT_TIER_SECONDS = 2.0
RECENT_TIER_USERS = 100_000


@dataclass(frozen=True)
class Tier:
    name: str
    price_cents: int
    tokens_per_month: int
    generations_per_month: int
    team_members: int
    requests_per_minute: int
    generations_per_hour: int
    websocket_connections: int
    concurrent_generations: int
    api_calls_per_month: int
    batch_items: int


TIERS: dict[str, Tier] = {
    "free": Tier(
        name="free",
        price_cents=0,
        tokens_per_month=10_000,
        generations_per_month=100,
        team_members=3,
        requests_per_minute=100,
        generations_per_hour=10,
        websocket_connections=1,
        concurrent_generations=1,
        api_calls_per_month=1_000,
        batch_items=10,
    ),
    "pro": Tier(
        name="pro",
        price_cents=2900,
        tokens_per_month=100_000,
        generations_per_month=1_000,
        team_members=10,
        requests_per_minute=500,
        generations_per_hour=100,
        websocket_connections=5,
        concurrent_generations=3,
        api_calls_per_month=10_000,
        batch_items=50,
    ),
    "enterprise": Tier(
        name="enterprise",
        price_cents=9900,
        tokens_per_month=1_000_000,
        generations_per_month=10_000,
        team_members=100,
        requests_per_minute=2_000,
        generations_per_hour=1_000,
        websocket_connections=20,
        concurrent_generations=10,
        api_calls_per_month=100_000,
        batch_items=200,
    ),
}


def get_tier(name: str) -> Tier:
    """The tier called ``name`` (an unknown stored name falls back to free)."""
    return TIERS.get(name, TIERS["free"])


def require_tier(name: str, *, field: str = "tier") -> Tier:
    """The tier called ``name``, or a VALIDATION_ERROR listing the tiers."""
    if name not in TIERS:
        raise ValidationFailed(
            f"Unknown tier '{name}': choose one of {', '.join(TIERS)}",
            field=field,
            reason="unknown_tier",
        )
    return TIERS[name]


_recent: dict[str, tuple[float, str]] = {}


def recent_tier(user_id: str) -> str | None:
    """The tier read for ``user_id`` in the last ``RECENT_TIER_SECONDS``, if any.

    Only the per-request rate limit uses this, to spare a lookup per request;
    every other limit reads the stored tier itself.
    """
    found = _recent.get(user_id)
    if found is None or found[0] <= time.monotonic():
        return None
    return found[1]


def remember_tier(user_id: str, tier: str) -> None:
    """Keep a tier just read from the database for a moment."""
    if len(_recent) >= RECENT_TIER_USERS:
        _recent.clear()
    _recent[user_id] = (time.monotonic() + RECENT_TIER_SECONDS, tier)


def forget_tier(user_id: str) -> None:
    """Drop what this process remembers of ``user_id``'s tier: called after a
    change of tier is committed, so the next request here reads the new one."""
    _recent.pop(user_id, None)
