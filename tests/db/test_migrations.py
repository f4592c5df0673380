"""The Alembic migrations and the SQLAlchemy tables describe the same schema, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.rows import load_orders
from adapters.sqlalchemy.tables import exists_on, metadata, orders
from domain.ordering import Order
from tests.databases import POSTGRES_URL, alembic_config, migrate, recreate_postgres_schema, sqlite_url

TABLES = {
    "search_words",
    "users",
    "refresh_tokens",
    "products",
    "product_counts",
    "carts",
    "cart_items",
    "orders",
    "order_items",
    "idempotency_keys",
    "payment_events",
    "refunds",
    "outbox_messages",
    "account_tokens",
}


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": exists_on(connection.dialect.name)}
    )
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def _inspect(url: str) -> tuple[list[Any], set[str]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff), await conn.run_sync(_tables)
    finally:
        await engine.dispose()


def _fresh_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return sqlite_url(tmp_path / "fresh.db")
    if POSTGRES_URL is None:
        pytest.fail("needs TEST_DATABASE_URL")
    asyncio.run(recreate_postgres_schema(POSTGRES_URL))
    return POSTGRES_URL


BACKENDS = ["sqlite", *([pytest.param("postgres", marks=pytest.mark.postgres)] if POSTGRES_URL else [])]


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_to_head_gives_exactly_the_models(backend: str, tmp_path: Path) -> None:
    url = _fresh_url(backend, tmp_path)

    migrate(url)

    diff, tables = asyncio.run(_inspect(url))
    assert diff == []
    assert tables == TABLES


@pytest.mark.parametrize("backend", BACKENDS)
def test_downgrading_to_base_removes_everything_and_upgrading_again_works(
    backend: str, tmp_path: Path
) -> None:
    url = _fresh_url(backend, tmp_path)
    migrate(url)

    command.downgrade(alembic_config(url), "base")
    assert asyncio.run(_inspect(url))[1] == set()

    migrate(url)
    diff, tables = asyncio.run(_inspect(url))
    assert diff == []
    assert tables == TABLES


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_makes_the_products_already_there_searchable(backend: str, tmp_path: Path) -> None:
    """Products stored before search compared stored text get it, and their words, on upgrade."""
    url = _fresh_url(backend, tmp_path)
    migrate(url, "0004")
    asyncio.run(
        _execute(
            url,
            "INSERT INTO products (title, series, author, price_cents, stock, is_active, created_at) VALUES "
            "('The Lion, the Witch and the Wardrobe', 'NARNIA', 'C. S. Lewis', 799, 1, true, '2026-11-01'), "
            "('Harry Potter and the Philosopher\u2019s Stone', 'HP', 'J. K. Rowling', 899, 1, false, "
            "'2026-11-01')",
        )
    )

    migrate(url)

    rows = asyncio.run(_fetch(url, "SELECT search_title, search_text FROM products ORDER BY id"))
    words = {word for (word,) in asyncio.run(_fetch(url, "SELECT word FROM search_words"))}
    assert rows == [
        (
            "the lion the witch and the wardrobe",
            "the lion the witch and the wardrobe c s lewis the chronicles of narnia",
        ),
        (
            "harry potter and the philosophers stone",
            "harry potter and the philosophers stone j k rowling harry potter",
        ),
    ]
    assert {"wardrobe", "narnia", "philosophers", "rowling", "chronicles"} <= words


async def _execute(url: str, sql: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


async def _fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.exec_driver_sql(sql)]
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
def _restore_postgres_schema(request: pytest.FixtureRequest) -> Any:
    """These tests drop the shared PostgreSQL schema; put it back at head for the tests after them."""
    yield
    if POSTGRES_URL is not None and "postgres" in request.node.name:
        asyncio.run(recreate_postgres_schema(POSTGRES_URL))
        migrate(POSTGRES_URL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_order_placed_before_shipping_still_reads_after_it(backend: str, tmp_path: Path) -> None:
    """0009 leaves older orders no address and shipping 0: their total is still their lines'."""
    url = _fresh_url(backend, tmp_path)
    migrate(url, "0008")
    asyncio.run(
        _execute(
            url,
            "INSERT INTO users (email, password_hash, role, is_active, created_at, session_version) "
            "VALUES ('old@example.com', 'x', 'USER', true, '2026-11-01', 0)",
        )
    )
    asyncio.run(
        _execute(
            url,
            "INSERT INTO orders (user_id, status, total_amount_cents, currency, created_at, updated_at) "
            "VALUES (1, 'PAID', 1798, 'usd', '2026-11-01', '2026-11-01')",
        )
    )
    asyncio.run(
        _execute(
            url,
            "INSERT INTO order_items (order_id, product_id, title_snapshot, price_snapshot, quantity) "
            "VALUES (1, NULL, 'Prince Caspian', 899, 2)",
        )
    )

    migrate(url)

    order = asyncio.run(_read_order(url, 1))
    assert (order.shipping_address, order.shipping_cents, order.total_amount_cents) == (None, 0, 1798)


async def _read_order(url: str, order_id: int) -> Order:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            found = await load_orders(
                conn, (await conn.execute(select(orders).where(orders.c.id == order_id))).all()
            )
    finally:
        await engine.dispose()
    return found[0]
