"""Search and filtered-page latency at two catalogue sizes, on PostgreSQL, through the real read side
(the shop window over the SQL adapter, every cache off), with the plans of the statements it sends.

    PYTHONPATH=. .venv/bin/python bench/search_latency.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
                                                         [--sizes 1000,100000] [--runs 200] [--plans]

Creates (and drops) a scratch database `bookshop_bench_search` next to the one in --url. The
catalogue is the bench's (tests.db.test_search_plan.SEED) plus, on nine books in ten, the words
"Archive Volume" in the title: the broad search of the issue that measured 3 req/s ("archive volume"
matching 90% of the catalogue). `--plans` prints EXPLAIN ANALYZE of every statement one request sends,
at the largest size."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.queries import SqlCatalogQueries
from adapters.sqlalchemy.repositories.products import SqlProductRepository
from adapters.sqlalchemy.tables import products, search_words
from application.queries import Page, PageRequest, ProductFilters, ProductSort, SearchTerms
from application.shop_window import StoredShopWindow
from bench.scratch import run_outside_transaction
from domain.catalog import Product, Series
from domain.search import product_text, title_text
from entrypoints.settings import normalize_database_url
from tests.databases import migrate
from tests.db.test_search_plan import SEED

SCRATCH = "bookshop_bench_search"
SEARCHES: list[tuple[str, int]] = [
    ("philosopher", 0),
    ("rowling", 0),
    ("harry potter", 0),
    ("potter stone", 0),
    ("lantern mirror", 0),
    ("dragon", 0),
    ("narnia", 0),
    ("of", 0),
    ("archive", 0),
    ("archive volume", 0),
    ("archive volume", 1_000),
    ("potterr", 0),
    ("lanterm mirror", 0),
]
LISTS: list[tuple[str, ProductFilters, ProductSort, int]] = [
    ("first page", ProductFilters(), ProductSort.ID, 0),
    ("NARNIA by -price", ProductFilters(series=Series.NARNIA), ProductSort.PRICE_DESCENDING, 0),
    ("author potter, in stock", ProductFilters(author="potter", in_stock=True), ProductSort.ID, 0),
    (
        "10.00-20.00 by created",
        ProductFilters(min_price_cents=1000, max_price_cents=2000),
        ProductSort.CREATED,
        0,
    ),
    ("HP by title, page 50", ProductFilters(series=Series.HP), ProductSort.TITLE, 980),
]
BROADEN = text(
    "UPDATE products SET title = 'Archive Volume ' || id || ': ' || title, "
    "search_title = 'archive volume ' || id || ' ' || search_title, "
    "search_text = 'archive volume ' || id || ' ' || search_text WHERE id % 10 <> 0"
)
"""What domain.search makes of the new titles (`seed` checks a sample against it)."""


async def seed(engine: AsyncEngine, size: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE products, search_words RESTART IDENTITY CASCADE"))
        await conn.execute(SEED, {"size": size, "stock_floor": 0})
        await conn.execute(BROADEN)
        await conn.execute(insert(search_words).values([{"word": "archive"}, {"word": "volume"}]))
        await SqlProductRepository(conn).add(
            Product(
                title="Harry Potter and the Philosopher's Stone",
                series=Series.HP,
                author="J. K. Rowling",
                price_cents=899,
                stock=40,
                created_at=datetime.now(UTC),
            )
        )
        sample = (await conn.execute(select(products).where(products.c.id % 97 == 0))).all()
    for row in sample:
        assert row.search_title == title_text(row.title), row
        assert row.search_text == product_text(row.title, row.author, Series(row.series)), row
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        # FULL: the UPDATE above left every other row version dead, a bloat a catalogue loaded
        # once does not have (and that tilts the planner towards bitmap scans).
        await conn.exec_driver_sql("VACUUM FULL ANALYZE products, search_words")


@contextmanager
def recorded(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and their parameters) sent to the database meanwhile."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def explain(engine: AsyncEngine, name: str, request: Callable[[], Awaitable[Page[Any]]]) -> None:
    with recorded(engine) as sent:
        await request()
    print(f"\n--- {name}: {len(sent)} statement(s)")
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                print(statement.strip())
                continue
            plan = await conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
            print("\n".join(line for (line,) in plan))


async def measure(url: str, size: int, runs: int, plans: bool) -> None:
    engine = create_engine(url, pool_size=2)
    await seed(engine, size)
    window = StoredShopWindow(SqlCatalogQueries(engine))
    requests: list[tuple[str, Callable[[], Awaitable[Page[Any]]]]] = []
    for q, offset in SEARCHES:
        name = q if not offset else f"{q} @{offset}"
        requests.append((name, _search(window, q, offset)))
    for name, filters, sort, offset in LISTS:
        requests.append((f"(list) {name}", _list(window, filters, sort, offset)))

    print(f"\n{size:,} products, {runs} runs each, one connection, every cache off")
    print(f"{'request':<32} {'total':>7} {'fuzzy':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, request in requests:
        for _ in range(3):
            page = await request()  # warm: the plan cache and the buffers
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            page = await request()
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p99 = timings[max(0, int(len(timings) * 0.99) - 1)]
        fuzzy = "yes" if getattr(page, "fuzzy", False) else ""
        print(
            f"{name:<32} {page.total:>7} {fuzzy:>5} {statistics.median(timings):>8.2f} {p99:>8.2f} "
            f"{timings[-1]:>8.2f}"
        )
    if plans:
        for name, request in requests:
            await explain(engine, name, request)
    await engine.dispose()


def _search(window: StoredShopWindow, q: str, offset: int) -> Callable[[], Awaitable[Page[Any]]]:
    return lambda: window.search_on_sale(SearchTerms.parse(q), PageRequest(offset=offset))


def _list(
    window: StoredShopWindow, filters: ProductFilters, sort: ProductSort, offset: int
) -> Callable[[], Awaitable[Page[Any]]]:
    return lambda: window.products_on_sale(filters, sort, PageRequest(offset=offset))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="1000,100000", help="catalogue sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=200, help="requests timed per line")
    parser.add_argument("--plans", action="store_true", help="EXPLAIN ANALYZE at the largest size")
    options = parser.parse_args()
    server = make_url(normalize_database_url(options.url))
    maintenance = server.render_as_string(hide_password=False)
    scratch = server.set(database=SCRATCH).render_as_string(hide_password=False)
    sizes = sorted(int(size) for size in options.sizes.split(","))
    await run_outside_transaction(maintenance, f"DROP DATABASE IF EXISTS {SCRATCH}")
    await run_outside_transaction(maintenance, f"CREATE DATABASE {SCRATCH}")
    try:
        migrate(scratch)
        for size in sizes:
            await measure(scratch, size, options.runs, options.plans and size == sizes[-1])
    finally:
        await run_outside_transaction(maintenance, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


if __name__ == "__main__":
    asyncio.run(main())
