"""The guard around Redis calls: a time limit, and a breaker that leaves a failed Redis alone."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.redis.guard import RedisGuard, RedisUnavailable


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeRedis:
    """Answers "PONG", fails, or hangs, as told; counts the calls that reached it."""

    def __init__(self) -> None:
        self.calls = 0
        self.mode = "up"

    async def ping(self) -> str:
        self.calls += 1
        if self.mode == "down":
            raise RedisConnectionError("Connection refused")
        if self.mode == "hung":
            await asyncio.sleep(3600)
        return "PONG"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def guard(clock: ManualClock) -> RedisGuard:
    return RedisGuard(time_limit=0.05, cooldown=5, clock=clock)


async def test_a_call_that_hangs_is_cut_at_the_time_limit(guard: RedisGuard) -> None:
    redis = FakeRedis()
    redis.mode = "hung"

    with pytest.raises(RedisUnavailable):
        await asyncio.wait_for(guard.call(redis.ping), timeout=1)


async def test_after_a_failure_redis_is_left_alone_until_the_cooldown_is_over(
    guard: RedisGuard, clock: ManualClock
) -> None:
    redis = FakeRedis()
    redis.mode = "down"
    with pytest.raises(RedisUnavailable):
        await guard.call(redis.ping)
    redis.mode = "up"

    clock.now += 4.9
    with pytest.raises(RedisUnavailable):
        await guard.call(redis.ping)
    calls_while_open = redis.calls
    clock.now += 0.1
    answer = await guard.call(redis.ping)

    assert calls_while_open == 1
    assert answer == "PONG"
    assert not guard.is_open


async def test_a_failed_trial_opens_the_breaker_for_another_cooldown(
    guard: RedisGuard, clock: ManualClock
) -> None:
    redis = FakeRedis()
    redis.mode = "down"
    with pytest.raises(RedisUnavailable):
        await guard.call(redis.ping)
    clock.now += 5

    with pytest.raises(RedisUnavailable):
        await guard.call(redis.ping)  # the trial
    clock.now += 4
    with pytest.raises(RedisUnavailable):
        await guard.call(redis.ping)

    assert redis.calls == 2


async def test_one_trial_at_a_time_and_a_cancelled_trial_lets_the_next_call_try(clock: ManualClock) -> None:
    patient = RedisGuard(time_limit=60, cooldown=5, clock=clock)
    redis = FakeRedis()
    redis.mode = "down"
    with pytest.raises(RedisUnavailable):
        await patient.call(redis.ping)
    clock.now += 5
    redis.mode = "hung"

    trial = asyncio.ensure_future(patient.call(redis.ping))
    await asyncio.sleep(0)
    with pytest.raises(RedisUnavailable):
        await patient.call(redis.ping)  # a second caller while the trial runs
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    redis.mode = "up"

    assert await patient.call(redis.ping) == "PONG"
    assert redis.calls == 3
