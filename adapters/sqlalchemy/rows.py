"""Rows to domain entities, for the repositories and the read side alike: the one place that knows
both a table's columns and an entity's fields."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.tables import order_items, refunds
from domain.catalog import Product, Series
from domain.fulfilment import Fulfilment, FulfilmentStatus
from domain.identity import RefreshToken, Role, User
from domain.ordering import FailureReason, Order, OrderItem, OrderStatus
from domain.refunds import Refund, RefundStatus, RestockLine
from domain.shipping import Address


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
        email_verified=columns["email_verified"],
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
    loaded = [order_from_rows(row, lines[row.id]) for row in rows]
    return await with_refunds(conn, loaded)


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
        shipping_address=address_from_text(row.shipping_address),
        shipping_cents=row.shipping_cents,
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
        fulfilment=fulfilment_from_columns(row._mapping),
    )


def fulfilment_from_columns(columns: Columns) -> Fulfilment:
    """An order's fulfilment columns, by name (a row's mapping or an asyncpg record)."""
    return Fulfilment(
        status=FulfilmentStatus(columns["fulfilment_status"]),
        carrier=columns["carrier"],
        tracking_number=columns["tracking_number"],
        shipped_at=columns["shipped_at"],
        delivered_at=columns["delivered_at"],
    )


_ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country", "phone")


def address_to_text(address: Address | None) -> str | None:
    """The address as the JSON object the `shipping_address` columns hold (see migration 0009)."""
    if address is None:
        return None
    return json.dumps({name: getattr(address, name) for name in _ADDRESS_FIELDS}, ensure_ascii=False)


def address_from_text(text: str | None) -> Address | None:
    if text is None:
        return None
    fields = json.loads(text)
    return Address(**{name: fields.get(name) for name in _ADDRESS_FIELDS})


async def with_refunds(conn: AsyncConnection, orders: list[Order]) -> list[Order]:
    """The orders with their refunds, oldest first, in one statement. A PENDING order was paid
    nothing and has none: it is not asked for."""
    paid = {order.id: order for order in orders if order.status is not OrderStatus.PENDING}
    if paid:
        found: dict[int, list[Refund]] = {order_id: [] for order_id in paid if order_id is not None}
        for row in await conn.execute(
            select(refunds).where(refunds.c.order_id.in_(list(found))).order_by(refunds.c.id)
        ):
            found[row.order_id].append(refund_from_columns(row._mapping))
        for order_id, listed in found.items():
            paid[order_id].refunds = tuple(listed)
    return orders


def refund_from_columns(columns: Columns) -> Refund:
    """By column name, as user_from_columns (`restocked` may come as JSON text from the driver)."""
    restocked = columns["restocked"]
    if isinstance(restocked, str):
        restocked = json.loads(restocked)
    return Refund(
        id=columns["id"],
        order_id=columns["order_id"],
        amount_cents=columns["amount_cents"],
        reason=columns["reason"],
        status=RefundStatus(columns["status"]),
        restocked=tuple(
            RestockLine(product_id=line["product_id"], quantity=line["quantity"]) for line in restocked
        ),
        idempotency_key=columns["idempotency_key"],
        requested_by=columns["requested_by"],
        provider_refund_id=columns["provider_refund_id"],
        created_at=columns["created_at"],
        updated_at=columns["updated_at"],
    )


def restocked_to_json(lines: Iterable[RestockLine]) -> list[dict[str, int]]:
    return [{"product_id": line.product_id, "quantity": line.quantity} for line in lines]
