"""The catalogue cache: one load per key at a time, stale pages served while one reload runs, and
nothing older than fresh + stale ever shown."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from adapters.caching.shop_window import CachedShopWindow
from application.errors import StoreUnavailable
from application.queries import Page, PageRequest, ProductFilters, ProductSort, SearchTerms
from domain.catalog import Product, Series


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowCatalogue:
    """A ShopWindow that counts its loads and answers with the current `price` once released."""

    def __init__(self) -> None:
        self.loads: Counter[str] = Counter()
        self.price = 100
        self.release = asyncio.Event()
        self.release.set()
        self.fail = False

    async def _answer(self, kind: str) -> Product:
        self.loads[kind] += 1
        await self.release.wait()
        if self.fail:
            raise ConnectionError("the database went away")
        return Product(
            id=1,
            title="Prince Caspian",
            series=Series.NARNIA,
            author="C. S. Lewis",
            price_cents=self.price,
            stock=3,
            created_at=datetime.now(UTC),
        )

    async def products_on_sale(
        self, filters: ProductFilters, sort: ProductSort, page: PageRequest
    ) -> Page[Product]:
        return Page(items=[await self._answer("list")], total=1, limit=page.limit, offset=page.offset)

    async def search_on_sale(
        self, terms: SearchTerms, page: PageRequest, *, series: Series | None = None
    ) -> Page[Product]:
        return Page(items=[await self._answer("search")], total=1, limit=page.limit, offset=page.offset)

    async def product_on_sale(self, product_id: int) -> Product | None:
        return await self._answer(f"product {product_id}")


@pytest.fixture
def inner() -> SlowCatalogue:
    return SlowCatalogue()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cache(inner: SlowCatalogue, clock: ManualClock) -> CachedShopWindow:
    return CachedShopWindow(inner, fresh_for=2, stale_for=2, jitter=0, clock=clock)


async def _price(cache: CachedShopWindow) -> int:
    product = await cache.product_on_sale(1)
    assert product is not None
    return product.price_cents


async def test_a_fresh_page_is_answered_from_memory(cache: CachedShopWindow, inner: SlowCatalogue) -> None:
    first = await _price(cache)
    inner.price = 999
    again = await _price(cache)

    assert (first, again) == (100, 100)
    assert inner.loads["product 1"] == 1


async def test_many_callers_of_a_missing_page_share_one_load(
    cache: CachedShopWindow, inner: SlowCatalogue
) -> None:
    inner.release.clear()
    waiting = [asyncio.ensure_future(_price(cache)) for _ in range(50)]
    await asyncio.sleep(0)
    inner.release.set()

    assert await asyncio.gather(*waiting) == [100] * 50
    assert inner.loads["product 1"] == 1


async def test_an_expired_page_is_served_while_one_reload_runs(
    cache: CachedShopWindow, inner: SlowCatalogue, clock: ManualClock
) -> None:
    await _price(cache)
    inner.price = 999
    inner.release.clear()
    clock.now += 3  # past fresh, within stale

    during = await asyncio.gather(*(_price(cache) for _ in range(20)))
    inner.release.set()
    await asyncio.sleep(0.01)
    after = await _price(cache)

    assert during == [100] * 20  # nobody waited for the database...
    assert inner.loads["product 1"] == 2  # ...and it was asked once
    assert after == 999


async def test_a_page_too_old_to_serve_is_waited_for(
    cache: CachedShopWindow, inner: SlowCatalogue, clock: ManualClock
) -> None:
    await _price(cache)
    inner.price = 999
    clock.now += 5  # past fresh and stale

    assert await _price(cache) == 999


async def test_keys_are_apart(cache: CachedShopWindow, inner: SlowCatalogue) -> None:
    await cache.product_on_sale(1)
    await cache.product_on_sale(2)
    await cache.products_on_sale(ProductFilters(is_active=True), ProductSort.ID, PageRequest())
    await cache.products_on_sale(ProductFilters(is_active=True), ProductSort.TITLE, PageRequest())
    await cache.search_on_sale(SearchTerms.parse("caspian"), PageRequest())
    await cache.search_on_sale(SearchTerms.parse("caspian"), PageRequest(), series=Series.NARNIA)

    assert inner.loads == {"product 1": 1, "product 2": 1, "list": 2, "search": 2}


async def test_a_failed_load_reaches_its_callers_and_the_next_request_tries_again(
    cache: CachedShopWindow, inner: SlowCatalogue
) -> None:
    inner.fail = True
    with pytest.raises(ConnectionError):
        await _price(cache)

    inner.fail = False
    assert await _price(cache) == 100


async def test_a_failed_background_reload_keeps_the_old_page_until_it_is_too_old(
    cache: CachedShopWindow, inner: SlowCatalogue, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await _price(cache)
    inner.fail = True
    clock.now += 3

    assert await _price(cache) == 100
    await asyncio.sleep(0.01)
    assert "reload failed" in caplog.text
    clock.now += 2
    with pytest.raises(ConnectionError):
        await _price(cache)


async def test_the_oldest_pages_go_first_past_the_bound(inner: SlowCatalogue, clock: ManualClock) -> None:
    cache = CachedShopWindow(inner, fresh_for=60, max_entries=2, jitter=0, clock=clock)
    for product_id in (1, 2, 3, 1):
        await cache.product_on_sale(product_id)

    assert inner.loads["product 1"] == 2


async def test_pages_loaded_together_do_not_all_expire_together(
    inner: SlowCatalogue, clock: ManualClock
) -> None:
    cache = CachedShopWindow(inner, fresh_for=10, stale_for=10, jitter=0.2, clock=clock)
    for product_id in range(1, 41):
        await cache.product_on_sale(product_id)
    inner.price = 999

    clock.now += 10  # the unjittered expiry of every page
    prices = [await _price_of(cache, product_id) for product_id in range(1, 41)]
    await asyncio.sleep(0.01)

    assert prices == [100] * 40  # nobody waited: fresh or served stale while reloading
    reloaded = sum(inner.loads[f"product {n}"] == 2 for n in range(1, 41))
    assert 0 < reloaded < 40  # some expired, some not yet: spread out (all-or-none odds: 2 in 10^12)


async def _price_of(cache: CachedShopWindow, product_id: int) -> int:
    product = await cache.product_on_sale(product_id)
    assert product is not None
    return product.price_cents


async def test_a_reader_with_no_page_to_serve_waits_at_most_the_database_time_limit(
    inner: SlowCatalogue, clock: ManualClock
) -> None:
    """The database hangs: the load goes on, but nobody waits for it longer than the limit."""
    cache = CachedShopWindow(inner, fresh_for=2, stale_for=2, wait_at_most=0.1, jitter=0, clock=clock)
    inner.release.clear()

    started = time.perf_counter()
    with pytest.raises(StoreUnavailable):
        await _price(cache)
    with pytest.raises(StoreUnavailable):
        await _price(cache)  # joins the same load, and gives up on it as soon
    waited = time.perf_counter() - started
    inner.release.set()
    await asyncio.sleep(0.01)

    assert waited < 0.5
    assert inner.loads["product 1"] == 1
    assert await _price(cache) == 100  # the load finished in the end, and filled the cache
