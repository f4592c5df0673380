"""Both attempt counters keep the port's rules: a rolling window, atomic, Retry-After right."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.memory.attempt_counter import MemoryAttemptCounter
from adapters.redis.attempt_counter import RedisAttemptCounter
from adapters.redis.guard import RedisGuard
from application.ports import AttemptCounter

REDIS_URL = os.environ.get("TEST_REDIS_URL")
NEEDS_REDIS = [
    pytest.mark.redis,
    pytest.mark.skipif(REDIS_URL is None, reason="needs TEST_REDIS_URL (CI sets it and refuses skips)"),
]


@pytest.fixture(params=["memory", pytest.param("redis", marks=NEEDS_REDIS)])
async def counters(request: pytest.FixtureRequest) -> AsyncIterator[tuple[AttemptCounter, AttemptCounter]]:
    """Two counters sharing one store, as two workers would (memory: one process, one counter)."""
    if request.param == "memory":
        counter = MemoryAttemptCounter()
        yield counter, counter
        return
    assert REDIS_URL is not None
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    guard = RedisGuard(time_limit=1.0, cooldown=5.0)
    yield (
        RedisAttemptCounter(first, guard, prefix="bookshop-test:"),
        RedisAttemptCounter(second, guard, prefix="bookshop-test:"),
    )
    await first.aclose()
    await second.aclose()


def fresh_key() -> str:
    return f"test:{uuid.uuid4()}"


async def test_the_limit_is_allowed_then_refused_with_the_time_to_wait(
    counters: tuple[AttemptCounter, AttemptCounter],
) -> None:
    counter, _ = counters
    key = fresh_key()

    decisions = [await counter.hit(key, 3, 60) for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after_seconds in (59, 60)
    assert all(d.retry_after_seconds == 0 for d in decisions[:3])


async def test_concurrent_hits_from_two_workers_let_exactly_the_limit_through(
    counters: tuple[AttemptCounter, AttemptCounter],
) -> None:
    worker_a, worker_b = counters
    key = fresh_key()

    decisions = await asyncio.gather(*((worker_a if n % 2 else worker_b).hit(key, 20, 60) for n in range(50)))

    assert sum(d.allowed for d in decisions) == 20


async def test_the_window_rolls_one_attempt_at_a_time(
    counters: tuple[AttemptCounter, AttemptCounter],
) -> None:
    """Window of 1 s: one attempt at 0, two at 0.6 s; at 1.1 s only the first one's slot is free."""
    counter, _ = counters
    key = fresh_key()
    first = await counter.hit(key, 3, 1)
    await asyncio.sleep(0.6)
    middle = [await counter.hit(key, 3, 1) for _ in range(2)]
    refused = await counter.hit(key, 3, 1)

    await asyncio.sleep(0.5)
    later = [await counter.hit(key, 3, 1) for _ in range(2)]

    assert first.allowed
    assert [d.allowed for d in middle] == [True, True]
    assert not refused.allowed
    assert refused.retry_after_seconds == 1
    assert [d.allowed for d in later] == [True, False]


async def test_keys_are_counted_apart(counters: tuple[AttemptCounter, AttemptCounter]) -> None:
    counter, _ = counters
    ann, bob = fresh_key(), fresh_key()
    await counter.hit(ann, 1, 60)

    assert (await counter.hit(bob, 1, 60)).allowed
    assert not (await counter.hit(ann, 1, 60)).allowed
