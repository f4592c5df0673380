from __future__ import annotations

from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.errors import CounterUnavailable
from application.ports import WindowCount

# INCR and the first EXPIRE in one atomic step, so concurrent hits from any number of workers each
# get a distinct count and a window can never be left without an expiry.
_HIT = """
local attempts = redis.call('INCR', KEYS[1])
if attempts == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return {attempts, redis.call('TTL', KEYS[1])}
"""


class RedisAttemptCounter:
    def __init__(self, client: Redis, *, prefix: str = "bookshop:attempts:") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_HIT)

    async def hit(self, key: str, window_seconds: int) -> WindowCount:
        try:
            result = cast("list[Any]", await self._script(keys=[self._prefix + key], args=[window_seconds]))
        except (RedisError, OSError) as error:
            raise CounterUnavailable() from error
        attempts, ttl = int(result[0]), int(result[1])
        return WindowCount(attempts=attempts, resets_in_seconds=ttl if ttl > 0 else window_seconds)
