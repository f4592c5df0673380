"""The suite's own databases: each pytest-xdist worker gets its own, a database not meant for tests
is refused, and the reset between tests leaves a clean shop with ids from 1."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from adapters.sqlalchemy.engine import create_engine
from tests.databases import (
    BULK_ROWS,
    PostgresCleaner,
    refuse_unless_disposable,
    worker_postgres_url,
    worker_redis_url,
)

INSERT_USER = text(
    "INSERT INTO users (email, password_hash, role, is_active, created_at) "
    "VALUES (:email, 'x', 'USER', true, now())"
)
INSERT_PRODUCT = text(
    "INSERT INTO products (title, series, author, price_cents, stock, is_active, created_at, search_title, "
    "search_text) VALUES ('The Horse and His Boy', 'NARNIA', 'C. S. Lewis', 799, 3, true, now(), "
    "'the horse and his boy', 'the horse and his boy c s lewis the chronicles of narnia')"
)


def test_each_worker_has_a_postgresql_database_of_its_own() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/bookshop_test"

    assert worker_postgres_url(url, None).endswith("/bookshop_test")
    assert worker_postgres_url(url, "gw0").endswith("/bookshop_test_gw0")
    assert worker_postgres_url(url, "gw1").endswith("/bookshop_test_gw1")
    assert worker_postgres_url(worker_postgres_url(url, "gw1"), "gw1").endswith("/bookshop_test_gw1")


def test_each_worker_has_a_redis_database_of_its_own() -> None:
    assert worker_redis_url("redis://127.0.0.1:6379/8", None) == "redis://127.0.0.1:6379/8"
    assert worker_redis_url("redis://127.0.0.1:6379/8", "gw0") == "redis://127.0.0.1:6379/8"
    assert worker_redis_url("redis://127.0.0.1:6379/8", "gw7") == "redis://127.0.0.1:6379/15"
    assert worker_redis_url("redis://127.0.0.1:6379", "gw2") == "redis://127.0.0.1:6379/2"
    with pytest.raises(ValueError, match="past Redis's 16"):
        worker_redis_url("redis://127.0.0.1:6379/15", "gw1")


@pytest.mark.parametrize("name", ["bookshop", "postgres", "shop_prod"])
def test_a_database_not_named_for_tests_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="wipes the database"):
        refuse_unless_disposable(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")


@pytest.mark.backends("postgres")
@pytest.mark.parametrize("users", [3, BULK_ROWS])
def test_the_reset_leaves_empty_tables_and_ids_from_one(database_url: str, users: int) -> None:
    asyncio.run(_leave_rows_and_used_ids(database_url, users))
    cleaner = PostgresCleaner(database_url)
    try:
        cleaner.clean()
    finally:
        cleaner.close()

    assert asyncio.run(_counts_and_next_user_id(database_url)) == (0, 0, 1)


async def _leave_rows_and_used_ids(url: str, users: int) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            for n in range(users):
                await conn.execute(INSERT_USER, {"email": f"reader{n}@example.com"})
            await conn.execute(INSERT_PRODUCT)
        async with engine.connect() as conn:  # a rolled-back insert still uses up an id
            await conn.execute(INSERT_PRODUCT)
            await conn.rollback()
    finally:
        await engine.dispose()


async def _counts_and_next_user_id(url: str) -> tuple[int, int, int]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            users = await conn.scalar(text("SELECT count(*) FROM users"))
            products = await conn.scalar(text("SELECT count(*) FROM products"))
            user_id = await conn.scalar(
                text(f"{INSERT_USER.text} RETURNING id"), {"email": "first@example.com"}
            )
            await conn.rollback()
        return int(users or 0), int(products or 0), int(user_id or 0)
    finally:
        await engine.dispose()
