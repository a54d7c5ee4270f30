"""Rate-limit buckets held by this process: the one-process default.

Each charge runs without awaiting, so on the event loop it is atomic: every
bucket of a charge is checked first, then all are taken, or none.
"""

from __future__ import annotations

import time

from resolvers.ports import LimitCharge, LimitOutcome, LimitUsage

MAX_KEYS = 100_000


class MemoryRateLimitStore:
    """Window counters and held slots in dictionaries, expired lazily."""

    def __init__(self) -> None:
        self._counters: dict[str, tuple[int, float]] = {}
        self._slots: dict[str, dict[str, float]] = {}

    async def charge(self, charges: tuple[LimitCharge, ...]) -> LimitOutcome:
        """Take one unit from every bucket, or from none."""
        now = time.monotonic()
        usages = [self._usage(charge, now) for charge in charges]
        refused = next(
            (
                index
                for index, (charge, usage) in enumerate(
                    zip(charges, usages, strict=True)
                )
                if usage.used + 1 > charge.limit
            ),
            None,
        )
        if refused is not None:
            return LimitOutcome(usages=tuple(usages), refused=refused)

        taken = tuple(self._take(charge, now) for charge in charges)
        if len(self._counters) > MAX_KEYS:
            self._forget_expired(now)
        return LimitOutcome(usages=taken)

    async def release(self, key: str, slot: str) -> None:
        """Give back a held slot."""
        held = self._slots.get(key)
        if held is not None:
            held.pop(slot, None)
            if not held:
                self._slots.pop(key, None)

    def _usage(self, charge: LimitCharge, now: float) -> LimitUsage:
        if charge.slot is None:
            count, expires = self._counters.get(charge.key, (0, 0.0))
            if expires <= now:
                return LimitUsage(0, charge.window_seconds)
            return LimitUsage(count, expires - now)
        held = self._live_slots(charge.key, now)
        others = {name: end for name, end in held.items() if name != charge.slot}
        wait = min(others.values()) - now if others else 0.0
        return LimitUsage(len(others), wait)

    def _take(self, charge: LimitCharge, now: float) -> LimitUsage:
        if charge.slot is None:
            count, expires = self._counters.get(charge.key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + charge.window_seconds
            self._counters[charge.key] = (count + 1, expires)
            return LimitUsage(count + 1, expires - now)
        held = self._slots.setdefault(charge.key, {})
        held[charge.slot] = now + charge.window_seconds
        return LimitUsage(len(held), charge.window_seconds)

    def _live_slots(self, key: str, now: float) -> dict[str, float]:
        held = self._slots.get(key, {})
        for name in [name for name, end in held.items() if end <= now]:
            del held[name]
        return held

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, (_, end) in self._counters.items() if end <= now]:
            del self._counters[key]
