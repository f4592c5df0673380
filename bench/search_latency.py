"""Search latency and plan at two catalogue sizes, on PostgreSQL, through the real query adapter.

    .venv/bin/python bench/search_latency.py [--url postgresql://postgres@127.0.0.1:5432/postgres]

Creates (and drops) a scratch database `bookshop_bench_search` next to the one in --url."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.queries import SqlCatalogQueries, search_statement
from application.queries import PageRequest, ProductFilters, ProductSort, SearchTerms
from bench.scratch import run_outside_transaction
from entrypoints.settings import normalize_database_url
from tests.databases import migrate
from tests.db.test_search_plan import SEED

QUERIES = ["philosopher", "harry potter", "rowling", "lantern mirror", "potter stone"]
SIZES = (1_000, 100_000)
RUNS = 200
SCRATCH = "bookshop_bench_search"


def _indexes(plan: Any) -> set[str]:
    if isinstance(plan, dict):
        own = {plan["Index Name"]} if "Index Name" in plan else set()
        return own.union(*(_indexes(v) for v in plan.values()))
    if isinstance(plan, list):
        return set().union(*(_indexes(v) for v in plan))
    return set()


async def measure(url: str, size: int) -> None:
    engine = create_engine(url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE products RESTART IDENTITY CASCADE"))
        await conn.execute(SEED, {"size": size, "stock_floor": 0})
        await conn.execute(
            text(
                "INSERT INTO products (title, series, author, price_cents, stock, is_active, created_at) "
                "VALUES ('Harry Potter and the Philosopher''s Stone', 'HP', 'J. K. Rowling', 899, 40, true, "
                "now())"
            )
        )
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("ANALYZE products")
    queries = SqlCatalogQueries(engine)
    print(f"\n{size:,} products")
    print(f"{'query':<18} {'matches':>8} {'p50 ms':>8} {'p99 ms':>8}  plan")
    for query in [*QUERIES, "(list page 1)"]:
        timings = []
        for _ in range(RUNS):
            start = time.perf_counter()
            if query.startswith("("):
                page = await queries.list_products(
                    ProductFilters(is_active=True), ProductSort.ID, PageRequest()
                )
            else:
                page = await queries.search_products(SearchTerms.parse(query), PageRequest())
            timings.append((time.perf_counter() - start) * 1000)
        plan_used = "-"
        if not query.startswith("("):
            statement, _ = search_statement(SearchTerms.parse(query))
            sql = str(
                statement.limit(20).compile(
                    dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                )
            ).replace("%%", "%")
            async with engine.connect() as conn:
                plan = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql)).scalar_one()
            plan_used = ", ".join(sorted(_indexes(plan))) or "sequential scan"
        timings.sort()
        p99 = timings[int(len(timings) * 0.99) - 1]
        print(f"{query:<18} {page.total:>8} {statistics.median(timings):>8.2f} {p99:>8.2f}  {plan_used}")
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    server = make_url(normalize_database_url(parser.parse_args().url))
    maintenance = server.render_as_string(hide_password=False)
    scratch = server.set(database=SCRATCH).render_as_string(hide_password=False)
    await run_outside_transaction(maintenance, f"DROP DATABASE IF EXISTS {SCRATCH}")
    await run_outside_transaction(maintenance, f"CREATE DATABASE {SCRATCH}")
    try:
        migrate(scratch)
        for size in SIZES:
            await measure(scratch, size)
    finally:
        await run_outside_transaction(maintenance, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


if __name__ == "__main__":
    asyncio.run(main())
