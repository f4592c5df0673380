"""The Redis attempt counter against the real Redis at TEST_REDIS_URL: shared and atomic."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.redis.attempt_counter import RedisAttemptCounter
from application.errors import CounterUnavailable

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(REDIS_URL is None, reason="needs TEST_REDIS_URL (CI sets it and refuses skips)"),
]


@pytest.fixture
async def clients() -> AsyncIterator[tuple[Redis, Redis]]:
    assert REDIS_URL is not None
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_two_workers_share_one_count_and_never_lose_a_hit(clients: tuple[Redis, Redis]) -> None:
    key = f"test:{uuid.uuid4()}"
    worker_a, worker_b = (RedisAttemptCounter(client, prefix="bookshop-test:") for client in clients)

    counts = await asyncio.gather(*((worker_a if n % 2 else worker_b).hit(key, 60) for n in range(50)))

    assert sorted(count.attempts for count in counts) == list(range(1, 51))
    assert all(1 <= count.resets_in_seconds <= 60 for count in counts)


async def test_a_window_expires_on_its_own(clients: tuple[Redis, Redis]) -> None:
    key = f"test:{uuid.uuid4()}"
    counter = RedisAttemptCounter(clients[0], prefix="bookshop-test:")
    await counter.hit(key, 1)

    await asyncio.sleep(1.2)

    assert (await counter.hit(key, 1)).attempts == 1


async def test_an_unreachable_redis_is_reported_as_unavailable() -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    counter = RedisAttemptCounter(client)

    with pytest.raises(CounterUnavailable):
        await counter.hit("anyone", 60)
    await client.aclose()
