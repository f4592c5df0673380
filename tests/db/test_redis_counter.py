"""The Redis attempt counter when Redis is not there, or hangs: it fails fast, then not at all."""

from __future__ import annotations

import time

import pytest
from redis.asyncio import Redis

from adapters.redis.attempt_counter import RedisAttemptCounter
from adapters.redis.guard import RedisGuard
from application.errors import CounterUnavailable
from tests.outages import silent_listener


async def test_an_unreachable_redis_is_reported_as_unavailable() -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    counter = RedisAttemptCounter(client, RedisGuard(time_limit=0.25, cooldown=5))

    with pytest.raises(CounterUnavailable):
        await counter.hit("anyone", 5, 60)
    assert not await counter.is_up()
    await client.aclose()


async def test_a_hung_redis_costs_one_short_wait_then_none() -> None:
    with silent_listener() as port:
        client = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=5, socket_connect_timeout=5)
        counter = RedisAttemptCounter(client, RedisGuard(time_limit=0.25, cooldown=5))

        started = time.perf_counter()
        with pytest.raises(CounterUnavailable):
            await counter.hit("anyone", 5, 60)
        first = time.perf_counter() - started
        started = time.perf_counter()
        with pytest.raises(CounterUnavailable):
            await counter.hit("anyone", 5, 60)
        second = time.perf_counter() - started
        up = await counter.is_up()
        await client.aclose()

    assert 0.2 < first < 0.6
    assert second < 0.05  # the breaker is open: Redis is not even tried
    assert not up
