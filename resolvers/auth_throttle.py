"""Slowing down password guessing, per account and per client address.

Failed logins are counted in a sliding window. Past a free allowance, each
further attempt must wait an exponentially growing delay after the last
failure; attempting earlier answers RATE_LIMITED with ``retry_after``. The
counts live in process memory, or in Redis when the server has one, so that
every process sees the same counts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from models.base import isoformat
from resolvers.errors import RateLimited

if TYPE_CHECKING:
    from resolvers.ports import AttemptCounter

WINDOW_SECONDS = 15 * 60
MAX_DELAY_SECONDS = 5 * 60


@dataclass(frozen=True)
class ThrottleRule:
    scope: str
    free_failures: int


ACCOUNT_RULE = ThrottleRule(scope="account", free_failures=5)
ADDRESS_RULE = ThrottleRule(scope="address", free_failures=10)


class MemoryAttemptCounter:
    """Failure counts held by this process (the one-process default)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, float]] = {}

    async def failures(self, key: str) -> tuple[int, float]:
        count, last = self._entries.get(key, (0, 0.0))
        if count and time.time() - last > WINDOW_SECONDS:
            self._entries.pop(key, None)
            return 0, 0.0
        return count, last

    async def record_failure(self, key: str) -> int:
        count, _ = await self.failures(key)
        self._entries[key] = (count + 1, time.time())
        if len(self._entries) > 100_000:
            self._evict()
        return count + 1

    async def clear(self, key: str) -> None:
        self._entries.pop(key, None)

    def _evict(self) -> None:
        horizon = time.time() - WINDOW_SECONDS
        for key in [k for k, (_, last) in self._entries.items() if last < horizon]:
            del self._entries[key]


def throttle_keys(email: str, client_ip: str | None) -> list[tuple[ThrottleRule, str]]:
    """The counters one login attempt is judged by."""
    keys = [(ACCOUNT_RULE, f"login:account:{email}")]
    if client_ip:
        keys.append((ADDRESS_RULE, f"login:address:{client_ip}"))
    return keys


def delay_after(rule: ThrottleRule, failures: int) -> float:
    """Seconds an attempt must wait after the last of ``failures`` failures."""
    if failures < rule.free_failures:
        return 0.0
    return float(min(2 ** (failures - rule.free_failures), MAX_DELAY_SECONDS))


async def check_login_allowed(
    counter: AttemptCounter, *, email: str, client_ip: str | None
) -> None:
    """Refuse an attempt that comes too soon after repeated failures, then
    count it against the account before the password is checked.

    Counting up front is what makes concurrent attempts (a batch, aliases,
    parallel requests) each see the ones before them; a success clears the
    account's count again (``clear_login_failures``).
    """
    now = time.time()
    keys = throttle_keys(email, client_ip)
    account_last = 0.0
    for rule, key in keys:
        failures, last = await counter.failures(key)
        if rule is ACCOUNT_RULE:
            account_last = last
        _refuse_if_too_soon(rule, wait_after(rule, failures, last, now), now)
    # The count the reservation returns is atomic (Redis HINCRBY), so of
    # concurrent attempts each is judged by the ones that began before it.
    count = await counter.record_failure(keys[0][1])
    wait = wait_after(ACCOUNT_RULE, count - 1, account_last or now, now)
    _refuse_if_too_soon(ACCOUNT_RULE, wait, now)


def wait_after(rule: ThrottleRule, failures: int, last: float, now: float) -> float:
    """Seconds still to wait at ``now`` after ``failures`` failures, the last at
    ``last``. Within the free allowance there is no wait at all, even when a
    concurrent attempt's failure is stamped after ``now`` (judging that by
    ``last - now`` refused attempts that no limit had reached, uncounted)."""
    delay = delay_after(rule, failures)
    if delay <= 0:
        return 0.0
    return last + delay - now


def _refuse_if_too_soon(rule: ThrottleRule, wait: float, now: float) -> None:
    if wait <= 0:
        return
    retry_after = max(1, math.ceil(wait))
    reset_at = datetime.fromtimestamp(now + retry_after, UTC)
    raise RateLimited(
        "Too many failed logins: wait before trying again",
        details={"scope": rule.scope},
        extra={
            "retry_after": retry_after,
            "limit": rule.free_failures,
            "remaining": 0,
            "reset_at": isoformat(reset_at),
        },
        headers={"Retry-After": str(retry_after)},
    )


async def record_login_failure(
    counter: AttemptCounter, *, email: str, client_ip: str | None
) -> None:
    """Count a failed attempt against the client address (the account's count
    was taken when the attempt began)."""
    for rule, key in throttle_keys(email, client_ip):
        if rule is not ACCOUNT_RULE:
            await counter.record_failure(key)


async def clear_login_failures(counter: AttemptCounter, *, email: str) -> None:
    """Forget an account's failures after a successful login or a reset."""
    await counter.clear(f"login:account:{email}")
