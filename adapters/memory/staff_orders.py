"""Everyone's orders with their customers' emails, over the in-memory store."""

from __future__ import annotations

from dataclasses import replace

from adapters.memory.store import MemoryStore
from application.queries import CustomerOrder, OrderFilters, Page, PageRequest
from domain.ordering import Order


class MemoryStaffOrderQueries:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def list_customer_orders(self, filters: OrderFilters, page: PageRequest) -> Page[CustomerOrder]:
        tables = self._store.committed
        chosen = sorted(
            (order for order in tables.orders.values() if filters.matches(order)),
            key=lambda o: (o.created_at, o.id or 0),
            reverse=True,
        )
        items = [self._with_email(order) for order in chosen[page.offset : page.offset + page.limit]]
        return Page(items=items, total=len(chosen), limit=page.limit, offset=page.offset)

    async def get_customer_order(self, order_id: int) -> CustomerOrder | None:
        order = self._store.committed.orders.get(order_id)
        return None if order is None else self._with_email(order)

    def _with_email(self, order: Order) -> CustomerOrder:
        return CustomerOrder(
            order=replace(order), user_email=self._store.committed.users[order.user_id].email
        )
