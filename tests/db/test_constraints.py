"""The database itself refuses what the domain refuses: the last line of defence if code forgets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.engine import create_engine


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(database_url, pool_size=1)
    async with engine.connect() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (email, password_hash, role, is_active, created_at) "
                "VALUES ('ann@example.com', 'h', 'USER', true, CURRENT_TIMESTAMP)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO products (title, series, author, price_cents, stock, is_active, created_at, "
                "search_title, search_text) VALUES ('Prince Caspian', 'NARNIA', 'C. S. Lewis', 899, 3, true, "
                "CURRENT_TIMESTAMP, 'prince caspian', 'prince caspian c s lewis the chronicles of narnia')"
            )
        )
        await connection.commit()
        yield connection
    await engine.dispose()


async def _refused(conn: AsyncConnection, sql: str) -> None:
    with pytest.raises(IntegrityError):
        await conn.execute(text(sql))
    await conn.rollback()


async def test_stock_cannot_go_negative(conn: AsyncConnection) -> None:
    await _refused(conn, "UPDATE products SET stock = -1")


async def test_price_cannot_go_negative(conn: AsyncConnection) -> None:
    await _refused(conn, "UPDATE products SET price_cents = -1")


async def test_series_is_one_of_the_two(conn: AsyncConnection) -> None:
    await _refused(conn, "UPDATE products SET series = 'DISCWORLD'")


async def test_an_email_is_registered_once(conn: AsyncConnection) -> None:
    await _refused(
        conn,
        "INSERT INTO users (email, password_hash, role, is_active, created_at) "
        "VALUES ('ann@example.com', 'h', 'USER', true, CURRENT_TIMESTAMP)",
    )


async def test_emails_are_stored_lower_case_so_uniqueness_ignores_case(conn: AsyncConnection) -> None:
    await _refused(
        conn,
        "INSERT INTO users (email, password_hash, role, is_active, created_at) "
        "VALUES ('Ann@Example.com', 'h', 'USER', true, CURRENT_TIMESTAMP)",
    )


async def test_a_role_is_user_or_admin(conn: AsyncConnection) -> None:
    await _refused(conn, "UPDATE users SET role = 'ROOT'")


async def test_cart_lines_hold_at_least_one_and_one_line_per_product(conn: AsyncConnection) -> None:
    await conn.execute(text("INSERT INTO carts (user_id, updated_at) VALUES (1, CURRENT_TIMESTAMP)"))
    await conn.execute(text("INSERT INTO cart_items (cart_id, product_id, quantity) VALUES (1, 1, 1)"))
    await conn.commit()

    await _refused(conn, "INSERT INTO carts (user_id, updated_at) VALUES (1, CURRENT_TIMESTAMP)")
    await _refused(conn, "UPDATE cart_items SET quantity = 0")
    await _refused(conn, "INSERT INTO cart_items (cart_id, product_id, quantity) VALUES (1, 1, 2)")
    await _refused(conn, "INSERT INTO cart_items (cart_id, product_id, quantity) VALUES (1, 999, 1)")


async def test_orders_keep_their_status_values_and_their_history(conn: AsyncConnection) -> None:
    await conn.execute(
        text(
            "INSERT INTO orders (user_id, status, total_amount_cents, currency, created_at, updated_at) "
            "VALUES (1, 'PENDING', 899, 'usd', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    await conn.execute(
        text(
            "INSERT INTO order_items (order_id, product_id, title_snapshot, price_snapshot, quantity) "
            "VALUES (1, 1, 'Prince Caspian', 899, 1)"
        )
    )
    await conn.commit()

    await _refused(conn, "UPDATE orders SET status = 'SHIPPED'")
    await _refused(conn, "UPDATE order_items SET quantity = 0")
    # No cascade: an order with items cannot vanish, nor can its user.
    await _refused(conn, "DELETE FROM orders")
    await _refused(conn, "DELETE FROM users")


async def test_deleting_a_product_keeps_the_order_line_without_its_link(conn: AsyncConnection) -> None:
    await conn.execute(
        text(
            "INSERT INTO orders (user_id, status, total_amount_cents, currency, created_at, updated_at) "
            "VALUES (1, 'PAID', 899, 'usd', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    await conn.execute(
        text(
            "INSERT INTO order_items (order_id, product_id, title_snapshot, price_snapshot, quantity) "
            "VALUES (1, 1, 'Prince Caspian', 899, 1)"
        )
    )
    await conn.execute(text("DELETE FROM products WHERE id = 1"))
    await conn.commit()

    row = (await conn.execute(text("SELECT product_id, title_snapshot FROM order_items"))).one()
    assert tuple(row) == (None, "Prince Caspian")
