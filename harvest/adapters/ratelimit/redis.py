"""Rate-limit buckets in Redis: every charge is one Lua script, one round trip.

Keys of one caller share a hash tag, so a charge touching several of them also
works on Redis Cluster. The script reads Redis's own clock, so processes on
machines whose clocks disagree still agree on windows and leases.
"""

from __future__ import annotations

from typing import Any

from resolvers.ports import LimitCharge, LimitOutcome, LimitUsage

# KEYS: one per charge. ARGV: per charge, its limit, its window (or lease) in
# milliseconds, and its slot name ('' for a window counter).
# Returns the 1-based index of the first full bucket (0: all taken), then per
# charge the units used and the milliseconds until room frees up.
CHARGE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local used, wait, refused = {}, {}, 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 * i - 2])
  local window = tonumber(ARGV[3 * i - 1])
  local slot = ARGV[3 * i]
  if slot == '' then
    used[i] = tonumber(redis.call('GET', key) or '0')
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = window end
    wait[i] = ttl
  else
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    used[i] = redis.call('ZCARD', key)
    if redis.call('ZSCORE', key, slot) then used[i] = used[i] - 1 end
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    if first[2] then wait[i] = tonumber(first[2]) - now else wait[i] = 0 end
  end
  if refused == 0 and used[i] + 1 > limit then refused = i end
end
if refused == 0 then
  for i, key in ipairs(KEYS) do
    local window = tonumber(ARGV[3 * i - 1])
    local slot = ARGV[3 * i]
    if slot == '' then
      used[i] = redis.call('INCR', key)
      if used[i] == 1 then
        redis.call('PEXPIRE', key, window)
        wait[i] = window
      end
    else
      redis.call('ZADD', key, now + window, slot)
      redis.call('PEXPIRE', key, window)
      used[i] = used[i] + 1
      wait[i] = window
    end
  end
end
local out = {refused}
for i = 1, #KEYS do
  out[#out + 1] = used[i]
  out[#out + 1] = wait[i]
end
return out
"""

KEY_PREFIX = "harvest:rl:"


class RedisRateLimitStore:
    """Window counters (INCR + PEXPIRE) and slots (a sorted set of leases)."""

    def __init__(self, client: Any, *, namespace: str = "") -> None:
        self._client = client
        self._prefix = KEY_PREFIX + (f"{namespace}:" if namespace else "")
        self._charge = client.register_script(CHARGE_SCRIPT)

    async def charge(self, charges: tuple[LimitCharge, ...]) -> LimitOutcome:
        """Take one unit from every bucket atomically, or from none."""
        keys = [self._prefix + charge.key for charge in charges]
        args: list[object] = []
        for charge in charges:
            args += [
                charge.limit,
                max(1, round(charge.window_seconds * 1000)),
                charge.slot or "",
            ]

        reply = await self._charge(keys=keys, args=args)

        refused = int(reply[0])
        numbers = [int(value) for value in reply[1:]]
        usages = tuple(
            LimitUsage(numbers[i], numbers[i + 1] / 1000)
            for i in range(0, len(numbers), 2)
        )
        return LimitOutcome(usages=usages, refused=refused - 1 if refused else None)

    async def release(self, key: str, slot: str) -> None:
        """Give back a held slot."""
        await self._client.zrem(self._prefix + key, slot)
