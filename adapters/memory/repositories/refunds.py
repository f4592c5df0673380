"""Refunds, kept inside the order they belong to (Order.refunds), as the SQL store loads them."""

from __future__ import annotations

from dataclasses import replace

from adapters.memory.store import MemoryStore, Tables
from domain.refunds import Refund


class MemoryRefundRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._orders = tables.orders
        self._store = store

    async def add(self, refund: Refund) -> Refund:
        order = self._orders.get(refund.order_id)
        if order is None:
            raise LookupError(f"order {refund.order_id} is not stored")
        if refund.provider_refund_id is not None and any(
            r.provider_refund_id == refund.provider_refund_id
            for o in self._orders.values()
            for r in o.refunds
        ):
            raise ValueError(f"provider refund {refund.provider_refund_id} is stored already")
        stored = replace(refund, id=self._store.next_id("refunds"))
        self._orders[refund.order_id] = replace(order, refunds=(*order.refunds, stored))
        return stored

    async def update(self, refund: Refund) -> None:
        order = self._orders.get(refund.order_id)
        if order is None or refund.id not in {r.id for r in order.refunds}:
            raise LookupError(f"refund {refund.id} is not stored")
        self._orders[refund.order_id] = replace(
            order,
            refunds=tuple(
                replace(
                    r,
                    status=refund.status,
                    provider_refund_id=refund.provider_refund_id,
                    updated_at=refund.updated_at,
                )
                if r.id == refund.id
                else r
                for r in order.refunds
            ),
        )
