"""The catalogue cache: an entry is served only under the catalogue version it was loaded under;
one load per key and version at a time; no version, no cached answer."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from adapters.caching.version_reads import SharedVersionReads
from adapters.caching.versioned_cache import VersionedCache
from application.errors import StoreUnavailable


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Version:
    """A catalogue version that tests move on by hand, and can make unreadable."""

    def __init__(self) -> None:
        self.value = 1
        self.reads = 0
        self.fail = False

    async def current(self) -> int:
        self.reads += 1
        if self.fail:
            raise StoreUnavailable()
        return self.value


class Catalogue:
    """What the cache loads from: counts its loads, answers the current `price` once released."""

    def __init__(self) -> None:
        self.price = 100
        self.loads: Counter[str] = Counter()
        self.release = asyncio.Event()
        self.release.set()
        self.fail = False

    def loader(self, key: str) -> Callable[[], Awaitable[int]]:
        async def load() -> int:
            self.loads[key] += 1
            price = self.price  # read when the load starts, as a query's snapshot is
            await self.release.wait()
            if self.fail:
                raise ConnectionError("the database went away")
            return price

        return load


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until `condition` holds (what was started has got that far)."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


@pytest.fixture
def version() -> Version:
    return Version()


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cache(version: Version, clock: ManualClock) -> VersionedCache[str, int]:
    return VersionedCache(version, max_age=60, clock=clock)


async def test_an_entry_is_served_while_the_version_stays(
    cache: VersionedCache[str, int], catalogue: Catalogue
) -> None:
    first = await cache.get("book", catalogue.loader("book"))
    catalogue.price = 999  # changed behind the shop's back: the version did not move
    again = await cache.get("book", catalogue.loader("book"))

    assert (first, again) == (100, 100)
    assert catalogue.loads["book"] == 1


async def test_a_moved_version_reloads_at_once(
    cache: VersionedCache[str, int], catalogue: Catalogue, version: Version
) -> None:
    await cache.get("book", catalogue.loader("book"))
    catalogue.price = 999
    version.value += 1  # what a committed write does

    assert await cache.get("book", catalogue.loader("book")) == 999
    assert await cache.get("book", catalogue.loader("book")) == 999
    assert catalogue.loads["book"] == 2


async def test_many_callers_of_a_missing_entry_share_one_load(
    cache: VersionedCache[str, int], catalogue: Catalogue
) -> None:
    catalogue.release.clear()
    waiting = [asyncio.ensure_future(cache.get("book", catalogue.loader("book"))) for _ in range(50)]
    await asyncio.sleep(0)
    catalogue.release.set()

    assert await asyncio.gather(*waiting) == [100] * 50
    assert catalogue.loads["book"] == 1


async def test_a_caller_of_a_newer_version_never_joins_a_load_of_an_older_one(
    cache: VersionedCache[str, int], catalogue: Catalogue, version: Version
) -> None:
    catalogue.release.clear()
    before = asyncio.ensure_future(cache.get("book", catalogue.loader("book")))
    await until(lambda: catalogue.loads["book"] == 1)  # its load has started, with the old price
    catalogue.price, version.value = 999, 2  # a write commits, and moves the version on
    after = asyncio.ensure_future(cache.get("book", catalogue.loader("book")))
    await until(lambda: catalogue.loads["book"] == 2)
    catalogue.release.set()

    assert (await before, await after) == (100, 999)
    assert catalogue.loads["book"] == 2
    assert await cache.get("book", catalogue.loader("book")) == 999  # the old load was not kept


async def test_an_unreadable_version_serves_nothing_cached(
    cache: VersionedCache[str, int], catalogue: Catalogue, version: Version
) -> None:
    await cache.get("book", catalogue.loader("book"))
    version.fail = True

    with pytest.raises(StoreUnavailable):
        await cache.get("book", catalogue.loader("book"))
    assert catalogue.loads["book"] == 1


async def test_an_entry_older_than_the_max_age_is_reloaded_even_if_the_version_stayed(
    cache: VersionedCache[str, int], catalogue: Catalogue, clock: ManualClock
) -> None:
    """The backstop for a write whose process died before it could move the version on."""
    await cache.get("book", catalogue.loader("book"))
    catalogue.price = 999
    clock.now += 59
    within = await cache.get("book", catalogue.loader("book"))
    clock.now += 1

    assert (within, await cache.get("book", catalogue.loader("book"))) == (100, 999)


async def test_keys_are_apart(cache: VersionedCache[str, int], catalogue: Catalogue) -> None:
    for key in ("a", "b", "a", "c", "b"):
        await cache.get(key, catalogue.loader(key))

    assert catalogue.loads == {"a": 1, "b": 1, "c": 1}


async def test_a_failed_load_reaches_its_callers_and_the_next_request_tries_again(
    cache: VersionedCache[str, int], catalogue: Catalogue
) -> None:
    catalogue.fail = True
    with pytest.raises(ConnectionError):
        await cache.get("book", catalogue.loader("book"))

    catalogue.fail = False
    assert await cache.get("book", catalogue.loader("book")) == 100


async def test_an_answer_not_worth_keeping_goes_to_those_who_shared_its_load_only(
    version: Version, catalogue: Catalogue, clock: ManualClock
) -> None:
    cache: VersionedCache[str, int] = VersionedCache(
        version, max_age=60, keep=lambda price: price < 500, clock=clock
    )
    catalogue.price = 999
    catalogue.release.clear()
    shared = [asyncio.ensure_future(cache.get("book", catalogue.loader("book"))) for _ in range(3)]
    await asyncio.sleep(0)
    catalogue.release.set()

    assert await asyncio.gather(*shared) == [999] * 3
    await cache.get("book", catalogue.loader("book"))
    assert catalogue.loads["book"] == 2


async def test_the_least_recently_used_entries_go_first_past_the_capacity(
    version: Version, catalogue: Catalogue, clock: ManualClock
) -> None:
    cache: VersionedCache[str, int] = VersionedCache(
        version, max_age=60, capacity=250, weigh=lambda price: price, clock=clock
    )
    for key in ("a", "b", "a"):  # 200 of 250 taken; a used last
        await cache.get(key, catalogue.loader(key))
    await cache.get("c", catalogue.loader("c"))  # 300: b, the least recently used, goes
    await cache.get("a", catalogue.loader("a"))
    await cache.get("b", catalogue.loader("b"))

    assert catalogue.loads == {"a": 1, "b": 2, "c": 1}
    assert cache.entry_count == 2


async def test_a_newer_version_drops_every_entry_of_the_older_one(
    cache: VersionedCache[str, int], catalogue: Catalogue, version: Version
) -> None:
    for key in ("a", "b", "c"):
        await cache.get(key, catalogue.loader(key))
    version.value += 1
    await cache.get("a", catalogue.loader("a"))

    assert cache.entry_count == 1


async def test_a_caller_waits_for_a_hung_load_at_most_the_time_limit(
    version: Version, catalogue: Catalogue, clock: ManualClock
) -> None:
    """The database hangs: the load goes on, but nobody waits for it longer than the limit."""
    cache: VersionedCache[str, int] = VersionedCache(version, max_age=60, wait_at_most=0.1, clock=clock)
    catalogue.release.clear()

    started = time.perf_counter()
    with pytest.raises(StoreUnavailable):
        await cache.get("book", catalogue.loader("book"))
    with pytest.raises(StoreUnavailable):
        await cache.get("book", catalogue.loader("book"))  # joins the same load, and gives up as soon
    waited = time.perf_counter() - started
    catalogue.release.set()
    await asyncio.sleep(0.01)

    assert waited < 0.5
    assert catalogue.loads["book"] == 1
    assert await cache.get("book", catalogue.loader("book")) == 100  # the load finished, and was kept


# --- shared reads of the version ------------------------------------------------------------------


class SlowVersion:
    """A version store whose reads see the value as of their start, and end when released."""

    def __init__(self) -> None:
        self.value = 1
        self.reads = 0
        self.release = asyncio.Event()
        self.fail = False

    async def current(self) -> int:
        self.reads += 1
        seen = self.value
        await self.release.wait()
        self.release.clear()
        if self.fail:
            raise StoreUnavailable()
        return seen


async def _ends(future: asyncio.Future[int], version: SlowVersion) -> int:
    while not future.done():
        version.release.set()
        await asyncio.sleep(0)
    return future.result()


async def test_a_caller_never_gets_a_version_read_that_started_before_it_asked() -> None:
    version = SlowVersion()
    shared = SharedVersionReads(version)
    early = asyncio.ensure_future(shared.current())
    await until(lambda: version.reads == 1)  # the read has started, and seen version 1
    version.value = 2  # a write completes; its response reaches the next caller
    late = asyncio.ensure_future(shared.current())
    await asyncio.sleep(0)

    assert (await _ends(early, version), await _ends(late, version)) == (1, 2)


async def test_callers_who_arrive_during_a_read_share_the_next_one() -> None:
    version = SlowVersion()
    shared = SharedVersionReads(version)
    first = asyncio.ensure_future(shared.current())
    await until(lambda: version.reads == 1)
    during = [asyncio.ensure_future(shared.current()) for _ in range(50)]
    await asyncio.sleep(0)

    await _ends(first, version)
    answers = [await _ends(caller, version) for caller in during]

    assert answers == [1] * 50
    assert version.reads == 2


async def test_a_failed_read_fails_its_callers_and_the_next_call_reads_again() -> None:
    version = SlowVersion()
    shared = SharedVersionReads(version)
    version.fail = True
    failing = asyncio.ensure_future(shared.current())
    with pytest.raises(StoreUnavailable):
        await _ends(failing, version)

    version.fail = False
    assert await _ends(asyncio.ensure_future(shared.current()), version) == 1


async def test_callers_waiting_while_a_read_finds_the_database_gone_are_answered_with_it() -> None:
    """A hung database fails the running read at the time limit: those who arrived meanwhile get
    503 then, not a second read of their own and twice the time limit."""
    version = SlowVersion()
    shared = SharedVersionReads(version)
    version.fail = True
    running = asyncio.ensure_future(shared.current())
    await until(lambda: version.reads == 1)
    waiting = asyncio.ensure_future(shared.current())
    await asyncio.sleep(0)

    version.release.set()
    for caller in (running, waiting):
        with pytest.raises(StoreUnavailable):
            await asyncio.wait_for(caller, 1)  # without the answer passed on: a second read, hung
    assert version.reads == 1
