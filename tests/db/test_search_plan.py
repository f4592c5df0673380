"""On PostgreSQL, search stays an index lookup on a large catalogue: the trigram indexes answer it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Dialect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.queries import search_statement
from application.queries import SearchTerms

pytestmark = pytest.mark.backends("postgres")

CATALOGUE_SIZE = 100_000
POSTGRESQL: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
ASYNCPG: Dialect = asyncpg.dialect()  # type: ignore[no-untyped-call]

SEED = text(
    """
    INSERT INTO products (title, series, author, price_cents, stock, is_active, created_at)
    SELECT (ARRAY['The ', 'A ', 'Tales of ', 'Chronicles of ', 'Secrets of '])[1 + i % 5]
           || (ARRAY['Dragon', 'Wizard', 'Castle', 'Forest', 'Potion', 'Knight', 'River', 'Shadow',
                     'Crown', 'Lantern'])[1 + (i / 5) % 10] || ' '
           || (ARRAY['Stone', 'Sword', 'Mirror', 'Gate', 'Song', 'Key', 'Storm', 'Tower', 'Map',
                     'Ring'])[1 + (i / 50) % 10] || ' #' || i,
           CASE WHEN i % 2 = 0 THEN 'HP' ELSE 'NARNIA' END,
           (ARRAY['Ada Lovelace', 'Brian Cox', 'Carla Stone', 'Dan Potter', 'Eve Moss'])[1 + i % 5],
           500 + (i * 37) % 3000, :stock_floor + i % 50, i % 20 <> 0, now() - make_interval(mins => i)
    FROM generate_series(1, :size) AS i
    """
)


@pytest.fixture
async def big_catalogue(database_url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(database_url, pool_size=1)
    async with engine.connect() as conn:
        await conn.execute(SEED, {"size": CATALOGUE_SIZE, "stock_floor": 0})
        await conn.execute(
            text(
                "INSERT INTO products (title, series, author, price_cents, stock, is_active, created_at) "
                "VALUES ('Harry Potter and the Philosopher''s Stone', 'HP', 'J. K. Rowling', 899, 40, true, "
                "now())"
            )
        )
        await conn.commit()
        await conn.execute(text("ANALYZE products"))
        await conn.commit()
        yield conn
    await engine.dispose()


def _index_scans(plan: Any) -> set[str]:
    """Every index a JSON plan scans, at any depth."""
    found: set[str] = set()
    if isinstance(plan, dict):
        if "Index Name" in plan:
            found.add(plan["Index Name"])
        for value in plan.values():
            found |= _index_scans(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= _index_scans(value)
    return found


@pytest.mark.parametrize("query", ["philosopher", "rowling", "harry potter", "lantern mirror"])
async def test_search_uses_both_trigram_indexes_at_100k_products(
    big_catalogue: AsyncConnection, query: str
) -> None:
    statement, _ = search_statement(SearchTerms.parse(query))
    sql = str(statement.limit(20).compile(dialect=POSTGRESQL, compile_kwargs={"literal_binds": True}))

    plan = (
        await big_catalogue.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql.replace("%%", "%"))
    ).scalar_one()

    assert {"ix_products_title_trgm", "ix_products_author_trgm"} <= _index_scans(plan), json.dumps(plan)


async def test_the_prepared_statement_plan_uses_them_too(big_catalogue: AsyncConnection) -> None:
    """asyncpg prepares statements, and PostgreSQL moves to a generic plan after five runs: that plan,
    of the very statement the adapter sends, must not fall back to reading the whole table."""
    statement, _ = search_statement(SearchTerms.parse("philosopher stone"))
    compiled = statement.limit(20).compile(dialect=ASYNCPG)
    arguments = ", ".join(_literal(compiled.params[name]) for name in compiled.positiontup or ())
    await big_catalogue.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    await big_catalogue.exec_driver_sql(f"PREPARE search AS {compiled}")

    plan = (
        await big_catalogue.exec_driver_sql(f"EXPLAIN (FORMAT JSON) EXECUTE search({arguments})")
    ).scalar_one()

    assert {"ix_products_title_trgm", "ix_products_author_trgm"} <= _index_scans(plan), json.dumps(plan)


def _literal(value: object) -> str:
    if isinstance(value, bool | int):
        return str(value).lower()
    return "'" + str(value).replace("'", "''") + "'"
