"""Expensive totals are reused briefly; cheap ones never are; items are always fresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.count_cache import CountCache
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.queries import SqlCatalogQueries
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.queries import PageRequest, ProductFilters, ProductSort, SearchTerms
from domain.catalog import Product, Series

ON_SALE = ProductFilters(is_active=True)
FIRST_TWO = PageRequest(limit=2)


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


async def _add_books(engine: AsyncEngine, count: int, title: str = "Wizard") -> None:
    async with SqlUnitOfWork(engine) as tx:
        for n in range(count):
            await tx.products.add(
                Product(
                    title=f"{title} {n}",
                    series=Series.HP,
                    author="J. K. Rowling",
                    price_cents=100,
                    stock=1,
                    created_at=datetime.now(UTC),
                )
            )
        await tx.commit()


async def test_a_slow_count_is_reused_until_it_expires(engine: AsyncEngine) -> None:
    clock = ManualClock()
    queries = SqlCatalogQueries(engine, CountCache(5, slow_after_seconds=0, clock=clock))
    await _add_books(engine, 3)
    first = await queries.list_products(ON_SALE, ProductSort.ID, FIRST_TWO)

    await _add_books(engine, 2, title="Dragon")
    cached = await queries.list_products(ON_SALE, ProductSort.ID, FIRST_TWO)
    other_filter = await queries.list_products(ProductFilters(), ProductSort.ID, FIRST_TWO)
    clock.now += 5
    expired = await queries.list_products(ON_SALE, ProductSort.ID, FIRST_TWO)

    assert first.total == 3
    assert cached.total == 3  # the total may be up to five seconds old...
    assert other_filter.total == 5  # ...for these filters only
    assert expired.total == 5


async def test_search_totals_are_never_cached(engine: AsyncEngine) -> None:
    """A search counts its matches every time (adapters.sqlalchemy.search): its total is exact."""
    clock = ManualClock()
    queries = SqlCatalogQueries(engine, CountCache(5, slow_after_seconds=0, clock=clock))
    await _add_books(engine, 3)
    await queries.search_products(SearchTerms.parse("wizard"), FIRST_TWO)

    await _add_books(engine, 2)
    again = await queries.search_products(SearchTerms.parse("wizard"), FIRST_TWO)

    assert again.total == 5


async def test_a_cheap_count_is_always_exact(engine: AsyncEngine) -> None:
    queries = SqlCatalogQueries(engine, CountCache(5, slow_after_seconds=60))
    await _add_books(engine, 3)
    await queries.list_products(ON_SALE, ProductSort.ID, FIRST_TWO)

    await _add_books(engine, 2)

    assert (await queries.list_products(ON_SALE, ProductSort.ID, FIRST_TWO)).total == 5


async def test_items_are_always_fresh(engine: AsyncEngine) -> None:
    queries = SqlCatalogQueries(engine, CountCache(5, slow_after_seconds=0, clock=ManualClock()))
    await _add_books(engine, 3)
    await queries.list_products(ON_SALE, ProductSort.ID, FIRST_TWO)

    await _add_books(engine, 2, title="Aardvark")
    page = await queries.list_products(ON_SALE, ProductSort.TITLE, FIRST_TWO)

    assert [p.title for p in page.items] == ["Aardvark 0", "Aardvark 1"]


def test_a_ttl_of_zero_remembers_nothing() -> None:
    cache = CountCache(0, slow_after_seconds=0)

    cache.put("k", 7, cost_seconds=1.0)

    assert cache.get("k") is None


def test_the_oldest_entries_go_first_when_full() -> None:
    cache = CountCache(60, slow_after_seconds=0, max_entries=2, clock=ManualClock())
    for key in ("a", "b", "c"):
        cache.put(key, 1, cost_seconds=1.0)

    assert [cache.get(k) for k in ("a", "b", "c")] == [None, 1, 1]
