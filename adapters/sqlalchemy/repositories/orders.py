"""Orders with their items; only their status, payment intent and refunds change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.rows import load_orders
from adapters.sqlalchemy.tables import order_items, orders
from domain.ordering import Order, OrderStatus


class SqlOrderRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, order: Order) -> Order:
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
        query = select(orders).where(orders.c.id == order_id)
        found = await self._load(query.with_for_update() if for_update else query)
        return found[0] if found else None

    async def get_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        found = await self._load(
            select(orders).where(orders.c.payment_intent_id == payment_intent_id).with_for_update()
        )
        return found[0] if found else None

    async def count_pending(self, user_id: int) -> int:
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
        await self._conn.execute(
            update(orders)
            .where(orders.c.id == order.id)
            .values(
                status=order.status.value,
                payment_intent_id=order.payment_intent_id,
                refunded_cents=order.refunded_cents,
                updated_at=order.updated_at,
            )
        )
