"""On PostgreSQL, at 100,000 products, a search reads what its page needs: a broad one stops after
the page's rows in id order, a rare word is found through the trigram indexes, and only the exact
total looks at every match."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.queries import SqlCatalogQueries
from adapters.sqlalchemy.repositories.products import SqlProductRepository
from adapters.sqlalchemy.search import search_connection
from adapters.sqlalchemy.tables import products, search_words
from application.queries import Page, PageRequest, SearchTerms
from domain.catalog import Product, Series
from domain.search import product_text, title_text

pytestmark = pytest.mark.backends("postgres")

CATALOGUE_SIZE = 100_000

SEED = text(
    """
    WITH book AS (
        SELECT i,
               (ARRAY['The ', 'A ', 'Tales of ', 'Chronicles of ', 'Secrets of '])[1 + i % 5]
               || (ARRAY['Dragon', 'Wizard', 'Castle', 'Forest', 'Potion', 'Knight', 'River', 'Shadow',
                         'Crown', 'Lantern'])[1 + (i / 5) % 10] || ' '
               || (ARRAY['Stone', 'Sword', 'Mirror', 'Gate', 'Song', 'Key', 'Storm', 'Tower', 'Map',
                         'Ring'])[1 + (i / 50) % 10] || ' #' || i AS title,
               CASE WHEN i % 2 = 0 THEN 'HP' ELSE 'NARNIA' END AS series,
               (ARRAY['Ada Lovelace', 'Brian Cox', 'Carla Stone', 'Dan Potter', 'Eve Moss'])[1 + i % 5]
               AS author
        FROM generate_series(1, :size) AS i
    ), added AS (
        INSERT INTO products (title, series, author, price_cents, stock, is_active, created_at,
                              search_title, search_text)
        SELECT title, series, author, 500 + (i * 37) % 3000, :stock_floor + i % 50, i % 20 <> 0,
               now() - make_interval(mins => i),
               lower(replace(title, '#', '')),
               lower(replace(title, '#', '')) || ' ' || lower(author) || ' '
               || CASE series WHEN 'HP' THEN 'harry potter' ELSE 'the chronicles of narnia' END
        FROM book
        RETURNING search_text
    )
    INSERT INTO search_words (word)
    SELECT DISTINCT regexp_split_to_table(search_text, ' ') FROM added
    ON CONFLICT DO NOTHING
    """
)
"""The bench's catalogue (bench/run.py, bench/search_latency.py): titles and authors from word lists,
every 20th book withdrawn; the text search compares is written as domain.search would write it for
these titles (their only punctuation is "#"), which test_the_seed_stores_what_the_repository_would
checks."""


@pytest.fixture
async def big_catalogue(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(SEED, {"size": CATALOGUE_SIZE, "stock_floor": 0})
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
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("ANALYZE products, search_words")
    yield engine
    await engine.dispose()


@contextmanager
def _sent(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _plans(engine: AsyncEngine, search: Callable[[], Awaitable[Page[Any]]]) -> list[dict[str, Any]]:
    """The plan, as run, of every statement one search sends (EXPLAIN ANALYZE, same parameters)."""
    with _sent(engine) as sent:
        await search()
    plans = []
    async with engine.connect() as conn:
        for statement, parameters in sent:
            explained = await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            plans.append(explained.scalar_one()[0]["Plan"])
    return plans


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _rows_read(plan: dict[str, Any]) -> int:
    """Rows the plan's scans of products produced or threw away."""
    return sum(
        (
            node["Actual Rows"]
            + node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
        )
        * node["Actual Loops"]
        for node in _nodes(plan)
        if node.get("Relation Name") == "products"
    )


def _is_count(plan: dict[str, Any]) -> bool:
    return plan["Node Type"] == "Aggregate" or any(node["Node Type"] == "Aggregate" for node in _nodes(plan))


def _indexes(plan: dict[str, Any]) -> set[str]:
    return {node["Index Name"] for node in _nodes(plan) if "Index Name" in node}


BROAD = ["chronicles", "the", "narnia stone", "a"]
RARE = ["philosopher", "rowling", "philosopher stone", "knight 77777"]


async def test_a_broad_search_reads_its_page_not_every_match(big_catalogue: AsyncEngine) -> None:
    """Tens of thousands of matches: the page's statements read a few dozen rows in id order; the
    count, alone, reads them all, and is exact."""
    queries = SqlCatalogQueries(big_catalogue)
    for query in BROAD:
        page = await queries.search_products(SearchTerms.parse(query), PageRequest(limit=20))
        plans = await _plans(big_catalogue, _search(queries, query))

        pages = [plan for plan in plans if not _is_count(plan)]
        assert pages, query
        assert all(_rows_read(plan) <= 200 for plan in pages), (query, json.dumps(pages))
        async with big_catalogue.connect() as conn:
            exact = await conn.scalar(
                select(func.count())
                .select_from(products)
                .where(products.c.is_active, *(products.c.search_text.contains(w) for w in query.split()))
            )
        assert exact is not None
        assert exact > 10_000, query
        assert (page.total, len(page.items)) == (exact, 20), query


async def test_a_rare_word_is_found_through_the_trigram_indexes(big_catalogue: AsyncEngine) -> None:
    queries = SqlCatalogQueries(big_catalogue)
    for query in RARE:
        plans = await _plans(big_catalogue, _search(queries, query))

        assert all(_rows_read(plan) <= 2_000 for plan in plans), (query, json.dumps(plans))
        used = set().union(*(_indexes(plan) for plan in plans))
        assert used & {"ix_products_search_title_trgm", "ix_products_search_text_trgm"}, json.dumps(plans)


def _search(queries: SqlCatalogQueries, query: str) -> Callable[[], Awaitable[Page[Any]]]:
    return lambda: queries.search_products(SearchTerms.parse(query), PageRequest())


async def test_near_words_are_found_through_the_trigram_index_on_the_vocabulary(
    big_catalogue: AsyncEngine,
) -> None:
    queries = SqlCatalogQueries(big_catalogue)

    with _sent(big_catalogue) as sent:
        near = await queries.near_words(["lanterm", "philosofer", "qqqq"])
    async with big_catalogue.connect() as conn:
        [(statement, parameters)] = sent
        await conn.exec_driver_sql("SET pg_trgm.similarity_threshold = 0.3")
        plan = (
            await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        ).scalar_one()[0]["Plan"]
        sample = (
            await conn.execute(select(products).where(products.c.id % 997 == 0).order_by(products.c.id))
        ).all()
        vocabulary = set(await conn.scalars(select(search_words.c.word)))

    assert near == {"lanterm": ["lantern"], "philosofer": ["philosophers"], "qqqq": []}
    assert "ix_search_words_word_trgm" in _indexes(plan), json.dumps(plan)
    # The seed, written in SQL, stores what the repository would have.
    assert len(sample) >= 100
    for row in sample:
        assert row.search_title == title_text(row.title)
        assert row.search_text == product_text(row.title, row.author, Series(row.series))
        assert set(row.search_text.split()) <= vocabulary


async def test_a_search_sees_one_snapshot_with_custom_plans(database_url: str) -> None:
    """The page and its total come from one snapshot; and every statement is planned for its own
    words: asyncpg prepares statements, and the generic plan PostgreSQL turns to after five runs
    cannot tell a rare word from a common one."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with search_connection(engine) as conn:
            isolation = await conn.scalar(text("SHOW transaction_isolation"))
            plans = await conn.scalar(text("SHOW plan_cache_mode"))
            read_only = await conn.scalar(text("SHOW transaction_read_only"))
        async with engine.connect() as conn:
            after = await conn.scalar(text("SHOW plan_cache_mode"))
    finally:
        await engine.dispose()

    assert (isolation, plans, read_only) == ("repeatable read", "force_custom_plan", "on")
    assert after == "auto"  # the pooled connection is left as it was
