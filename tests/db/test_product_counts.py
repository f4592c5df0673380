"""The shop-window totals under concurrent stock moves on PostgreSQL: exact, and no writer waits for
another on the count (checkouts emptying shelves of both series at once never deadlock)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.product_counts import FOLD_ABOVE
from adapters.sqlalchemy.queries import SqlCatalogQueries
from adapters.sqlalchemy.tables import product_counts
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.queries import PageRequest, ProductFilters, ProductSort
from domain.catalog import Product, Series

pytestmark = pytest.mark.backends("postgres")

WRITERS = 24
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=WRITERS)
    yield engine
    await engine.dispose()


async def _shelf(engine: AsyncEngine, products: int) -> list[int]:
    async with SqlUnitOfWork(engine) as tx:
        ids = [
            (
                await tx.products.add(
                    Product(
                        title=f"book {n}",
                        series=Series.HP if n % 2 else Series.NARNIA,
                        author="an author",
                        price_cents=100,
                        stock=1,
                        is_active=True,
                        created_at=NOW,
                    )
                )
            ).id
            or 0
            for n in range(products)
        ]
        await tx.commit()
    return ids


async def _totals(engine: AsyncEngine) -> dict[tuple[Series | None, bool | None], int]:
    queries = SqlCatalogQueries(engine)
    totals = {}
    for series in (None, Series.HP, Series.NARNIA):
        for in_stock in (None, True, False):
            page = await queries.list_products(
                ProductFilters(is_active=True, series=series, in_stock=in_stock),
                ProductSort.ID,
                PageRequest(limit=1),
            )
            totals[series, in_stock] = page.total
    return totals


async def _counted(engine: AsyncEngine) -> dict[tuple[Series | None, bool | None], int]:
    page = await SqlCatalogQueries(engine).list_products(
        ProductFilters(), ProductSort.ID, PageRequest(limit=100)
    )
    active = [p for p in page.items if p.is_active]
    return {
        (series, in_stock): sum(
            1 for p in active if series in (None, p.series) and in_stock in (None, p.stock > 0)
        )
        for series in (None, Series.HP, Series.NARNIA)
        for in_stock in (None, True, False)
    }


async def test_concurrent_checkouts_emptying_shelves_of_both_series_keep_every_total_exact(
    engine: AsyncEngine,
) -> None:
    ids = await _shelf(engine, 8)
    rng = random.Random(13)

    async def buy(pair: list[int]) -> None:
        """Takes the last copy of two books of different series, in ascending id as checkout does,
        gives them back, and takes them again: each step empties or refills a shelf."""
        for step in ("take", "give back", "take"):
            async with SqlUnitOfWork(engine) as tx:
                for product_id in sorted(pair):
                    if step == "take":
                        await tx.products.withdraw_stock(product_id, 1)
                    else:
                        await tx.products.return_stock(product_id, 1)
                    await asyncio.sleep(0)  # let the other buyers in between the two rows
                await tx.commit()

    pairs = [[rng.choice(ids[0::2]), rng.choice(ids[1::2])] for _ in range(WRITERS)]
    outcomes = await asyncio.gather(*(buy(pair) for pair in pairs), return_exceptions=True)

    assert [o for o in outcomes if o is not None] == []
    assert await _totals(engine) == await _counted(engine)


async def test_the_count_rows_are_folded_once_they_pile_up_and_stay_exact(engine: AsyncEngine) -> None:
    ids = await _shelf(engine, 4)
    for _ in range(FOLD_ABOVE):
        async with SqlUnitOfWork(engine) as tx:
            await tx.products.set_stock(ids[0], 0)
            await tx.products.set_stock(ids[0], 5)
            await tx.commit()
    async with engine.connect() as conn:
        piled_up = await conn.scalar(select(func.count()).select_from(product_counts))

    totals = await _totals(engine)

    async with engine.connect() as conn:
        folded = await conn.scalar(select(func.count()).select_from(product_counts))
    assert (piled_up or 0) > FOLD_ABOVE
    assert (folded or 0) <= 4  # one row per (series, in stock) at most
    assert totals == await _counted(engine)
