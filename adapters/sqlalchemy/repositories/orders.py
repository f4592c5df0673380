"""Orders with their items; only their status, payment intent and refunds change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.driver import utc
from adapters.sqlalchemy.in_transaction import DriverInTransaction
from adapters.sqlalchemy.rows import address_from_text, address_to_text, load_orders, with_refunds
from adapters.sqlalchemy.tables import order_items, orders
from domain.fulfilment import Fulfilment, FulfilmentStatus
from domain.ordering import FailureReason, Order, OrderItem, OrderStatus

_ADD = (
    "WITH placed AS (INSERT INTO orders (user_id, status, total_amount_cents, currency, "
    "payment_intent_id, refunded_cents, created_at, updated_at, shipping_address, shipping_cents, "
    "failure_reason, payment_client_secret) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $13, $14, $15, $16) RETURNING id), "
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
    "o.shipping_address, o.shipping_cents, "
    "o.fulfilment_status, o.carrier, o.tracking_number, o.shipped_at, o.delivered_at, "
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
        shipping_address=address_from_text(first[12]),
        shipping_cents=first[13],
        items=tuple(
            OrderItem(product_id=r[8], title_snapshot=r[9], price_snapshot=r[10], quantity=r[11])
            for r in records
            if r[9] is not None
        ),
        fulfilment=Fulfilment(
            status=FulfilmentStatus(first[14]),
            carrier=first[15],
            tracking_number=first[16],
            shipped_at=None if first[17] is None else utc(first[17]),
            delivered_at=None if first[18] is None else utc(first[18]),
        ),
        failure_reason=None if first[19] is None else FailureReason(first[19]),
        payment_client_secret=first[20],
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
                address_to_text(order.shipping_address),
                order.shipping_cents,
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
                    shipping_address=address_to_text(order.shipping_address),
                    shipping_cents=order.shipping_cents,
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
            if not records:
                return None
            return (await with_refunds(self._conn, [_order_from_records(records)]))[0]
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

    async def update_fulfilment(self, order: Order) -> None:
        fulfilment = order.fulfilment
        await self._conn.execute(
            update(orders)
            .where(orders.c.id == order.id)
            .values(
                fulfilment_status=fulfilment.status.value,
                carrier=fulfilment.carrier,
                tracking_number=fulfilment.tracking_number,
                shipped_at=fulfilment.shipped_at,
                delivered_at=fulfilment.delivered_at,
                updated_at=order.updated_at,
            )
        )
