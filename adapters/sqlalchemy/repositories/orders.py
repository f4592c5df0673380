"""Orders with their items; only their status, payment intent and refunds change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.driver import utc
from adapters.sqlalchemy.in_transaction import DriverInTransaction
from adapters.sqlalchemy.rows import load_orders
from adapters.sqlalchemy.tables import order_items, orders
from domain.ordering import FailureReason, Order, OrderItem, OrderStatus

_ADD = (
    "WITH placed AS (INSERT INTO orders (user_id, status, total_amount_cents, currency, "
    "payment_intent_id, refunded_cents, created_at, updated_at, failure_reason, payment_client_secret) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $13, $14) RETURNING id), "
    "lines AS (INSERT INTO order_items (order_id, product_id, title_snapshot, price_snapshot, quantity) "
    "SELECT placed.id, line.product_id, line.title, line.price, line.quantity FROM placed, "
    "unnest($9::bigint[], $10::text[], $11::int[], $12::int[]) WITH ORDINALITY "
    "AS line(product_id, title, price, quantity, n) ORDER BY line.n) "
    "SELECT id FROM placed"
)
"""The order and its lines in one round trip, the lines in their order (their ids follow it)."""
_WITH_LINES = (
    "SELECT o.id, o.user_id, o.status, o.currency, o.payment_intent_id, o.refunded_cents, "
    "o.created_at, o.updated_at, i.product_id, i.title_snapshot, i.price_snapshot, i.quantity, "
    "o.failure_reason, o.payment_client_secret "
    "FROM orders o LEFT JOIN order_items i ON i.order_id = o.id WHERE o.id = $1 ORDER BY i.id"
)
_LOCKED_WITH_LINES = _WITH_LINES + " FOR UPDATE OF o"
_PENDING = "SELECT count(*) FROM orders WHERE user_id = $1 AND status = 'PENDING'"
_UPDATE_STATUS = (
    "UPDATE orders SET status = $2, payment_intent_id = $3, refunded_cents = $4, updated_at = $5, "
    "failure_reason = $6, payment_client_secret = $7 "
    "WHERE id = $1"
)


def _order_from_records(records: list[Any]) -> Order:
    """Rows of _WITH_LINES: the order's columns on each, then one line's (none: NULLs)."""
    first = records[0]
    return Order(
        id=first[0],
        user_id=first[1],
        status=OrderStatus(first[2]),
        currency=first[3],
        payment_intent_id=first[4],
        refunded_cents=first[5],
        created_at=utc(first[6]),
        updated_at=utc(first[7]),
        items=tuple(
            OrderItem(product_id=r[8], title_snapshot=r[9], price_snapshot=r[10], quantity=r[11])
            for r in records
            if r[9] is not None
        ),
        failure_reason=None if first[12] is None else FailureReason(first[12]),
        payment_client_secret=first[13],
    )


class SqlOrderRepository:
    """On PostgreSQL what a checkout does to its order is fixed SQL on the driver (`lean`)."""

    def __init__(self, conn: AsyncConnection, lean: DriverInTransaction | None = None) -> None:
        self._conn = conn
        self._lean = lean

    async def add(self, order: Order) -> Order:
        if self._lean is not None:
            order.id = await self._lean.fetchval(
                _ADD,
                order.user_id,
                order.status.value,
                order.total_amount_cents,
                order.currency,
                order.payment_intent_id,
                order.refunded_cents,
                order.created_at,
                order.updated_at or order.created_at,
                [item.product_id for item in order.items],
                [item.title_snapshot for item in order.items],
                [item.price_snapshot for item in order.items],
                [item.quantity for item in order.items],
                None if order.failure_reason is None else order.failure_reason.value,
                order.payment_client_secret,
            )
            return order
        order.id = (
            await self._conn.execute(
                orders.insert()
                .values(
                    user_id=order.user_id,
                    status=order.status.value,
                    total_amount_cents=order.total_amount_cents,
                    currency=order.currency,
                    payment_intent_id=order.payment_intent_id,
                    refunded_cents=order.refunded_cents,
                    created_at=order.created_at,
                    updated_at=order.updated_at or order.created_at,
                    failure_reason=None if order.failure_reason is None else order.failure_reason.value,
                    payment_client_secret=order.payment_client_secret,
                )
                .returning(orders.c.id)
            )
        ).scalar_one()
        await self._conn.execute(
            order_items.insert(),
            [
                {
                    "order_id": order.id,
                    "product_id": item.product_id,
                    "title_snapshot": item.title_snapshot,
                    "price_snapshot": item.price_snapshot,
                    "quantity": item.quantity,
                }
                for item in order.items
            ],
        )
        return order

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        if self._lean is not None:
            records = await self._lean.fetch(_LOCKED_WITH_LINES if for_update else _WITH_LINES, order_id)
            return _order_from_records(records) if records else None
        query = select(orders).where(orders.c.id == order_id)
        found = await self._load(query.with_for_update() if for_update else query)
        return found[0] if found else None

    async def get_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        found = await self._load(
            select(orders).where(orders.c.payment_intent_id == payment_intent_id).with_for_update()
        )
        return found[0] if found else None

    async def count_pending(self, user_id: int) -> int:
        if self._lean is not None:
            return int(await self._lean.fetchval(_PENDING, user_id))
        count = (
            select(func.count())
            .select_from(orders)
            .where(orders.c.user_id == user_id, orders.c.status == OrderStatus.PENDING.value)
        )
        return int((await self._conn.execute(count)).scalar_one())

    async def pending_before(self, cutoff: datetime, limit: int, after_id: int = 0) -> list[Order]:
        return await self._load(
            select(orders)
            .where(
                orders.c.status == OrderStatus.PENDING.value,
                orders.c.created_at < cutoff,
                orders.c.id > after_id,
            )
            .order_by(orders.c.id)
            .limit(limit)
        )

    async def _load(self, query: Select[Any]) -> list[Order]:
        return await load_orders(self._conn, (await self._conn.execute(query)).all())

    async def update_status(self, order: Order) -> None:
        if self._lean is not None:
            await self._lean.rowcount(
                _UPDATE_STATUS,
                order.id,
                order.status.value,
                order.payment_intent_id,
                order.refunded_cents,
                order.updated_at,
                None if order.failure_reason is None else order.failure_reason.value,
                order.payment_client_secret,
            )
            return
        await self._conn.execute(
            update(orders)
            .where(orders.c.id == order.id)
            .values(
                status=order.status.value,
                payment_intent_id=order.payment_intent_id,
                refunded_cents=order.refunded_cents,
                updated_at=order.updated_at,
                failure_reason=None if order.failure_reason is None else order.failure_reason.value,
                payment_client_secret=order.payment_client_secret,
            )
        )
