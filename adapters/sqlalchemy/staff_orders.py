"""Everyone's orders with their customers' emails, for the back office: one statement for a page
(orders joined to their users), one for its items, one for its total when the page does not tell it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.queries import read_connection
from adapters.sqlalchemy.rows import load_orders
from adapters.sqlalchemy.tables import orders, users
from application.queries import CustomerOrder, OrderFilters, Page, PageRequest
from domain.ordering import Order

_WITH_EMAIL = select(orders, users.c.email.label("user_email")).join(users, users.c.id == orders.c.user_id)


def _conditions(filters: OrderFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.user_id is not None:
        conditions.append(orders.c.user_id == filters.user_id)
    if filters.status is not None:
        conditions.append(orders.c.status == filters.status.value)
    if filters.fulfilment_status is not None:
        conditions.append(orders.c.fulfilment_status == filters.fulfilment_status.value)
    return conditions


class SqlStaffOrderQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_customer_orders(self, filters: OrderFilters, page: PageRequest) -> Page[CustomerOrder]:
        conditions = _conditions(filters)
        query = (
            _WITH_EMAIL.where(*conditions)
            .order_by(orders.c.created_at.desc(), orders.c.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        async with read_connection(self._engine) as conn:
            rows = (await conn.execute(query)).all()
            items = _with_emails(rows, await load_orders(conn, rows))
            if len(rows) < page.limit and (rows or page.offset == 0):
                total = page.offset + len(rows)  # the last page tells its own total
            else:
                counted = select(func.count()).select_from(orders).where(*conditions)
                total = int(await conn.scalar(counted) or 0)
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def get_customer_order(self, order_id: int) -> CustomerOrder | None:
        async with read_connection(self._engine) as conn:
            rows = (await conn.execute(_WITH_EMAIL.where(orders.c.id == order_id))).all()
            found = _with_emails(rows, await load_orders(conn, rows))
        return found[0] if found else None


def _with_emails(rows: Sequence[Row[Any]], loaded: list[Order]) -> list[CustomerOrder]:
    return [
        CustomerOrder(order=order, user_email=row.user_email) for row, order in zip(rows, loaded, strict=True)
    ]
