"""Rows to domain entities, for the repositories and the read side alike: the one place that knows
both a table's columns and an entity's fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.tables import order_items
from domain.catalog import Product, Series
from domain.identity import RefreshToken, Role, User
from domain.ordering import FailureReason, Order, OrderItem, OrderStatus


class Columns(Protocol):
    """A row's values by column name: SQLAlchemy's `row._mapping`, or an asyncpg record."""

    def __getitem__(self, name: str, /) -> Any: ...


def user_from_row(row: Row[Any]) -> User:
    return user_from_columns(row._mapping)


def user_from_columns(columns: Columns) -> User:
    """By column name: a SQLAlchemy row's mapping, or an asyncpg record of the lean paths (whose
    timestamptz values come as UTC, as UtcDateTime gives them here)."""
    return User(
        id=columns["id"],
        email=columns["email"],
        password_hash=columns["password_hash"],
        role=Role(columns["role"]),
        is_active=columns["is_active"],
        session_version=columns["session_version"],
        created_at=columns["created_at"],
    )


def product_from_row(row: Row[Any]) -> Product:
    return product_from_columns(row._mapping)


def product_from_columns(columns: Columns) -> Product:
    """By column name, as user_from_columns."""
    return Product(
        id=columns["id"],
        title=columns["title"],
        series=Series(columns["series"]),
        author=columns["author"],
        price_cents=columns["price_cents"],
        stock=columns["stock"],
        is_active=columns["is_active"],
        created_at=columns["created_at"],
    )


def refresh_token_from_row(row: Row[Any]) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        user_id=row.user_id,
        token_hash=row.token_hash,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


async def load_orders(conn: AsyncConnection, rows: Sequence[Row[Any]]) -> list[Order]:
    """Orders with their items, in two statements whatever the number of orders (no N+1)."""
    if not rows:
        return []
    lines: dict[int, list[Row[Any]]] = {row.id: [] for row in rows}
    for item in await conn.execute(
        select(order_items).where(order_items.c.order_id.in_(list(lines))).order_by(order_items.c.id)
    ):
        lines[item.order_id].append(item)
    return [order_from_rows(row, lines[row.id]) for row in rows]


def order_from_rows(row: Row[Any], items: Iterable[Row[Any]]) -> Order:
    return Order(
        id=row.id,
        user_id=row.user_id,
        status=OrderStatus(row.status),
        currency=row.currency,
        payment_intent_id=row.payment_intent_id,
        refunded_cents=row.refunded_cents,
        created_at=row.created_at,
        updated_at=row.updated_at,
        failure_reason=None if row.failure_reason is None else FailureReason(row.failure_reason),
        payment_client_secret=row.payment_client_secret,
        items=tuple(
            OrderItem(
                product_id=item.product_id,
                title_snapshot=item.title_snapshot,
                price_snapshot=item.price_snapshot,
                quantity=item.quantity,
            )
            for item in items
        ),
    )
