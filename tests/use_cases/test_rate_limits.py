"""The auth rate limit on a controllable clock: a rolling minute, never a fixed window, never open."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory.attempt_counter import MemoryAttemptCounter
from application.errors import CounterUnavailable, TooManyAttempts
from application.ports import WindowDecision
from application.rate_limits import WINDOW_SECONDS, LimitAuthAttempts

CLIENT = "203.0.113.7"


class ManualTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class UnreachableCounter:
    """A shared counter whose store is down: every hit fails, as the Redis adapter's does."""

    def __init__(self) -> None:
        self.hits = 0

    async def hit(self, key: str, limit: int, window_seconds: int) -> WindowDecision:
        self.hits += 1
        raise CounterUnavailable()


def limiter(time: ManualTime, per_minute: int) -> LimitAuthAttempts:
    counter = MemoryAttemptCounter(time)
    return LimitAuthAttempts(counter, counter, per_minute=per_minute)


async def allowed(limit: LimitAuthAttempts, client: str = CLIENT) -> bool:
    try:
        await limit(client)
    except TooManyAttempts:
        return False
    return True


async def test_a_client_gets_its_allowance_then_is_told_when_to_return() -> None:
    time = ManualTime()
    limit = limiter(time, per_minute=3)
    for _ in range(3):
        await limit(CLIENT)

    time.now += 20
    with pytest.raises(TooManyAttempts) as refused:
        await limit(CLIENT)

    assert refused.value.retry_after_seconds == 40


async def test_no_burst_of_twice_the_limit_across_a_minute_boundary() -> None:
    """The fixed window's hole: one attempt opens a minute, the rest of the limit comes at its
    end, and the whole limit again as the next minute opens — nine attempts in two seconds. In a
    rolling minute only the slot of the attempt that left the minute comes back."""
    time = ManualTime()
    limit = limiter(time, per_minute=5)
    opening = await allowed(limit)  # t = 1000
    time.now = 1059.0
    end_of_minute = [await allowed(limit) for _ in range(4)]

    time.now = 1061.0
    next_minute = [await allowed(limit) for _ in range(5)]

    assert opening
    assert end_of_minute == [True] * 4
    assert next_minute == [True, False, False, False, False]


async def test_retry_after_is_exactly_when_the_oldest_attempt_leaves_the_minute() -> None:
    time = ManualTime()
    limit = limiter(time, per_minute=2)
    await limit(CLIENT)  # t = 1000
    time.now = 1030.5
    await limit(CLIENT)
    time.now = 1045.2
    with pytest.raises(TooManyAttempts) as refused:
        await limit(CLIENT)
    retry_after = refused.value.retry_after_seconds

    time.now = 1045.2 + retry_after - 1
    too_early = await allowed(limit)
    time.now = 1045.2 + retry_after
    on_time = await allowed(limit)

    assert retry_after == 15  # 1000 + 60 - 1045.2 = 14.8, rounded up
    assert (too_early, on_time) == (False, True)
    time.now = 1075.0  # the attempt of 1030.5 is still in the minute: one slot only came back
    assert not await allowed(limit)


@settings(max_examples=300, deadline=None)
@given(
    per_minute=st.integers(min_value=1, max_value=6),
    gaps=st.lists(st.floats(min_value=0, max_value=40, allow_nan=False), min_size=1, max_size=80),
)
def test_no_sixty_second_span_ever_holds_more_than_the_limit(per_minute: int, gaps: list[float]) -> None:
    """Attempts at any times: in every span of 60 s, wherever it starts, at most `per_minute` are
    let through; and an attempt is only refused when the minute before it is full."""

    async def run() -> list[tuple[float, bool]]:
        time = ManualTime()
        limit = limiter(time, per_minute)
        outcomes = []
        for gap in gaps:
            time.now += gap
            outcomes.append((time.now, await allowed(limit)))
        return outcomes

    outcomes = asyncio.run(run())
    let_through = [at for at, ok in outcomes if ok]
    for at, ok in outcomes:
        in_minute_before = sum(1 for t in let_through if at - WINDOW_SECONDS < t <= at)
        assert in_minute_before <= per_minute
        if not ok:
            assert sum(1 for t in let_through if at - WINDOW_SECONDS < t <= at) == per_minute


async def test_clients_are_counted_apart() -> None:
    limit = limiter(ManualTime(), per_minute=1)
    await limit(CLIENT)

    await limit("198.51.100.2")

    with pytest.raises(TooManyAttempts):
        await limit(CLIENT)


async def test_scopes_are_allowances_of_their_own() -> None:
    counter = MemoryAttemptCounter(ManualTime())
    logins = LimitAuthAttempts(counter, counter, per_minute=1, scope="auth")
    resets = LimitAuthAttempts(counter, counter, per_minute=1, scope="password-reset")
    await logins(CLIENT)

    await resets(CLIENT)

    with pytest.raises(TooManyAttempts):
        await logins(CLIENT)


async def test_zero_turns_the_limit_off() -> None:
    limit = limiter(ManualTime(), per_minute=0)

    for _ in range(100):
        await limit(CLIENT)


async def test_an_unreachable_shared_counter_never_opens_the_door() -> None:
    """Redis down: the process's own memory counts instead, and the limit still bites."""
    time = ManualTime()
    shared = UnreachableCounter()
    limit = LimitAuthAttempts(shared, MemoryAttemptCounter(time), per_minute=3)

    results = [await allowed(limit) for _ in range(25)]

    assert results == [True] * 3 + [False] * 22
    assert shared.hits == 25  # the shared counter is asked each time (its adapter answers at once)
    time.now += WINDOW_SECONDS
    assert await allowed(limit)
