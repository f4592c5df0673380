"""Rolling-window attempt counting in Redis, shared by every worker and host."""

from __future__ import annotations

import math

from redis.asyncio import Redis

from adapters.redis.guard import RedisGuard, RedisUnavailable
from application.errors import CounterUnavailable
from application.ports import WindowDecision

# One atomic step per attempt. The list holds the times (ms, on Redis's own clock, so that hosts
# whose clocks disagree still share one window) of the allowed attempts, newest first, never more
# than `limit`. The attempt is refused when the limit-th newest is still inside the window; the
# answer is then how long until it leaves. Redis >= 5 (TIME before a write in a script).
_HIT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local oldest = redis.call('LINDEX', KEYS[1], limit - 1)
if oldest and now - tonumber(oldest) < window then
  return tonumber(oldest) + window - now
end
redis.call('LPUSH', KEYS[1], now)
redis.call('LTRIM', KEYS[1], 0, limit - 1)
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""


class RedisAttemptCounter:
    """Every call goes through `guard`: a hung or unreachable Redis raises CounterUnavailable
    within the guard's short time limit, or at once while its breaker is open."""

    def __init__(self, client: Redis, guard: RedisGuard, *, prefix: str = "bookshop:rate:") -> None:
        self._client = client
        self._guard = guard
        self._prefix = prefix
        self._script = client.register_script(_HIT)

    async def hit(self, key: str, limit: int, window_seconds: int) -> WindowDecision:
        if limit < 1:
            raise ValueError("a limit allows at least one attempt")
        try:
            wait_ms = await self._guard.call(
                lambda: self._script(keys=[self._prefix + key], args=[limit, window_seconds * 1000])
            )
        except RedisUnavailable as error:
            raise CounterUnavailable() from error
        if int(wait_ms) <= 0:
            return WindowDecision(allowed=True)
        return WindowDecision(allowed=False, retry_after_seconds=max(1, math.ceil(int(wait_ms) / 1000)))

    async def is_up(self) -> bool:
        """PING through the same guard: the cache is down for as long as the rate limit thinks so."""
        try:
            await self._guard.call(self._client.ping)
        except RedisUnavailable:
            return False
        return True
