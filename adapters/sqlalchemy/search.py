"""Search in SQL: a page costs what the page holds, not what the search matches, and its total is
exact.

The rule (domain.search) is compared against the text the repository stored with each product:
every word must be in `search_text`, and products whose `search_title` holds every word rank first,
then by id. Ranking every match before paging read and sorted every match (measured: p99 650 ms for
"archive volume", 90,000 matches of 100,000 products). Instead the page is read in two steps, each in
id order so that it stops as soon as it has its rows:

1. the title matches, from `offset`;
2. only when they run out on this page, the other matches (every word found, not all in the title),
   from `offset` less the number of title matches.

The total is then known from a page that is not full; otherwise it is counted, one pass over the
stored text (the trigram index when the words are rare, the table itself when they are common:
about 20 ms for 90,000 matches of 100,000 on a 2-CPU machine).

On PostgreSQL each search runs in one REPEATABLE READ transaction, so the page and its total see the
same snapshot, and with custom plans only: asyncpg prepares statements, and the generic plan
PostgreSQL would pick after five runs cannot tell a rare word from a common one (it estimated 2
matches for "archive volume" and read all 90,000 through the trigram index, 34 ms, to find the 20 an
id-order scan finds in 0.1 ms)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.engine import READ_ONLY, lost_the_database
from adapters.sqlalchemy.rows import product_from_row
from adapters.sqlalchemy.tables import products, search_words
from application.errors import StoreUnavailable
from application.queries import Page, PageRequest, SearchTerms
from domain.catalog import Product, Series
from domain.search import NEAR_WORD_SIMILARITY, NEAR_WORDS_PER_WORD, near_words

PRODUCT_COLUMNS = [column for column in products.c if column.name not in ("search_title", "search_text")]
"""What a product is built from (the stored search text is not sent back)."""


@asynccontextmanager
async def search_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction for one search; on PostgreSQL REPEATABLE READ and custom plans only.
    A database out of reach is StoreUnavailable (503)."""
    postgres = engine.dialect.name == "postgresql"
    options: dict[str, Any] = {READ_ONLY: True}
    if postgres:
        options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    try:
        async with engine.connect() as connection:
            conn = await connection.execution_options(**options)
            async with conn.begin():
                if postgres:
                    await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
                yield conn
    except Exception as error:
        if lost_the_database(error):
            raise StoreUnavailable() from error
        raise


def holds_every_word(column: ColumnElement[str], spellings: Sequence[Sequence[str]]) -> ColumnElement[bool]:
    """domain.search.holds_every_word in SQL: `LIKE '%spelling%'` with LIKE's own wildcards escaped.
    The stored text is already case folded, and so are the words."""
    return and_(
        *(or_(*(column.contains(spelling, autoescape=True) for spelling in options)) for options in spellings)
    )


def search_conditions(
    terms: SearchTerms, series: Series | None = None
) -> tuple[list[ColumnElement[bool]], ColumnElement[bool], ColumnElement[bool]]:
    """(what every result is: on sale, in the series), every word in the title, every word anywhere."""
    on_sale: list[ColumnElement[bool]] = [products.c.is_active == true()]
    if series is not None:
        on_sale.append(products.c.series == series.value)
    in_title = holds_every_word(products.c.search_title, terms.spellings)
    anywhere = holds_every_word(products.c.search_text, terms.spellings)
    return on_sale, in_title, anywhere


async def search_page(
    conn: AsyncConnection, terms: SearchTerms, page: PageRequest, series: Series | None = None
) -> Page[Product]:
    if not terms.spellings:
        return Page(items=[], total=0, limit=page.limit, offset=page.offset)
    on_sale, in_title, anywhere = search_conditions(terms, series)
    items = await _rows(conn, [*on_sale, in_title], page.limit, page.offset)
    if len(items) == page.limit:
        total = await _count(conn, [*on_sale, anywhere])
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)
    titles = (
        page.offset + len(items) if items or page.offset == 0 else await _count(conn, [*on_sale, in_title])
    )
    rest_offset = max(0, page.offset - titles)
    wanted = page.limit - len(items)
    rest = await _rows(conn, [*on_sale, anywhere, not_(in_title)], wanted, rest_offset)
    if len(rest) < wanted and (rest or rest_offset == 0):
        total = titles + rest_offset + len(rest)
    else:
        total = await _count(conn, [*on_sale, anywhere])
    return Page(items=items + rest, total=total, limit=page.limit, offset=page.offset)


async def _rows(
    conn: AsyncConnection, conditions: Sequence[ColumnElement[bool]], limit: int, offset: int
) -> list[Product]:
    query = select(*PRODUCT_COLUMNS).where(*conditions).order_by(products.c.id).limit(limit).offset(offset)
    return [product_from_row(row) for row in await conn.execute(query)]


async def _count(conn: AsyncConnection, conditions: Sequence[ColumnElement[bool]]) -> int:
    return int(await conn.scalar(select(func.count()).select_from(products).where(*conditions)) or 0)


_NEAR_WORDS = text(
    """
    SELECT typed.word AS typed, near.word AS near
    FROM unnest(CAST(:words AS text[])) AS typed(word)
    CROSS JOIN LATERAL (
        SELECT s.word FROM search_words AS s
        WHERE s.word % typed.word
        ORDER BY similarity(s.word, typed.word) DESC, s.word COLLATE "C"
        LIMIT :per_word
    ) AS near
    """
)
"""domain.search.near_words through pg_trgm: `%` (indexed) is `similarity() >= the threshold`, which
the transaction sets to NEAR_WORD_SIMILARITY; ties in code-point order, like Python's."""


async def find_near_words(conn: AsyncConnection, words: Sequence[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {word: [] for word in words}
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(f"SET LOCAL pg_trgm.similarity_threshold = {float(NEAR_WORD_SIMILARITY)}")
        rows = await conn.execute(_NEAR_WORDS, {"words": list(words), "per_word": NEAR_WORDS_PER_WORD})
        for typed, near in rows:
            found[typed].append(near)
        return found
    # SQLite has no trigram index: the vocabulary of its (small) catalogues is compared in Python.
    vocabulary = list(await conn.scalars(select(search_words.c.word)))
    return {word: near_words(word, vocabulary) for word in words}
