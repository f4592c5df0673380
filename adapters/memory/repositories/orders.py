"""Orders; only their status, payment intent and refunds change."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.memory.store import MemoryStore, Tables
from domain.ordering import Order, OrderStatus


class MemoryOrderRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._orders = tables.orders
        self._store = store

    async def add(self, order: Order) -> Order:
        order.id = self._store.next_id("orders")
        self._orders[order.id] = replace(order)
        return order

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        order = self._orders.get(order_id)
        return replace(order) if order else None

    async def get_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        found = [o for o in self._orders.values() if o.payment_intent_id == payment_intent_id]
        return replace(found[0]) if found else None

    async def count_pending(self, user_id: int) -> int:
        pending = OrderStatus.PENDING
        return sum(1 for o in self._orders.values() if o.user_id == user_id and o.status is pending)

    async def pending_before(self, cutoff: datetime, limit: int, after_id: int = 0) -> list[Order]:
        pending = sorted(
            (
                o
                for o in self._orders.values()
                if o.status is OrderStatus.PENDING and o.created_at < cutoff and (o.id or 0) > after_id
            ),
            key=lambda o: o.id or 0,
        )
        return [replace(o) for o in pending[:limit]]

    async def update_status(self, order: Order) -> None:
        if order.id is None or order.id not in self._orders:
            raise LookupError(f"order {order.id} is not stored")
        stored = self._orders[order.id]
        self._orders[order.id] = replace(
            stored,
            status=order.status,
            payment_intent_id=order.payment_intent_id,
            refunded_cents=order.refunded_cents,
            updated_at=order.updated_at,
            failure_reason=order.failure_reason,
            payment_client_secret=order.payment_client_secret,
        )

    async def update_fulfilment(self, order: Order) -> None:
        if order.id is None or order.id not in self._orders:
            raise LookupError(f"order {order.id} is not stored")
        stored = self._orders[order.id]
        self._orders[order.id] = replace(stored, fulfilment=order.fulfilment, updated_at=order.updated_at)
