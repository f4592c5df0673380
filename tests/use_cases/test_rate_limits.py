from __future__ import annotations

import pytest

from adapters.memory.attempt_counter import MemoryAttemptCounter
from application.errors import CounterUnavailable, TooManyAttempts
from application.ports import WindowCount
from application.rate_limits import LimitAuthAttempts


class ManualTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class BrokenCounter:
    async def hit(self, key: str, window_seconds: int) -> WindowCount:
        raise CounterUnavailable()


async def test_a_client_gets_its_allowance_then_is_told_when_to_return() -> None:
    time = ManualTime()
    limit = LimitAuthAttempts(MemoryAttemptCounter(time), per_minute=3)
    for _ in range(3):
        await limit("203.0.113.7")

    time.now += 20
    with pytest.raises(TooManyAttempts) as refused:
        await limit("203.0.113.7")

    assert refused.value.retry_after_seconds == 40


async def test_the_allowance_comes_back_when_the_minute_is_over() -> None:
    time = ManualTime()
    limit = LimitAuthAttempts(MemoryAttemptCounter(time), per_minute=2)
    for _ in range(2):
        await limit("203.0.113.7")
    with pytest.raises(TooManyAttempts):
        await limit("203.0.113.7")

    time.now += 60

    await limit("203.0.113.7")


async def test_clients_are_counted_apart() -> None:
    limit = LimitAuthAttempts(MemoryAttemptCounter(ManualTime()), per_minute=1)
    await limit("203.0.113.7")

    await limit("198.51.100.2")

    with pytest.raises(TooManyAttempts):
        await limit("203.0.113.7")


async def test_zero_turns_the_limit_off() -> None:
    limit = LimitAuthAttempts(MemoryAttemptCounter(ManualTime()), per_minute=0)

    for _ in range(100):
        await limit("203.0.113.7")


async def test_an_unreachable_counter_lets_customers_in(caplog: pytest.LogCaptureFixture) -> None:
    limit = LimitAuthAttempts(BrokenCounter(), per_minute=1)

    await limit("203.0.113.7")
    await limit("203.0.113.7")

    assert "not enforced" in caplog.text
