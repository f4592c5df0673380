"""The read side in SQL: one statement for a page, one for its total."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.driver import (
    PRODUCT_COLUMNS,
    USER_BY_ID,
    driver_connection,
)
from adapters.sqlalchemy.engine import READ_ONLY, lost_the_database
from adapters.sqlalchemy.product_counts import LeanListing, is_counted, read_lean, total_statement
from adapters.sqlalchemy.rows import (
    load_orders,
    product_from_columns,
    product_from_row,
    user_from_columns,
    user_from_row,
)
from adapters.sqlalchemy.search import find_near_words, search_connection, search_page
from adapters.sqlalchemy.tables import orders, products, users
from application.errors import StoreUnavailable
from application.queries import EmailPart, Page, PageRequest, ProductFilters, ProductSort, SearchTerms
from domain.catalog import Product, Series
from domain.identity import User
from domain.ordering import Order, OrderStatus

_ORDER: dict[ProductSort, Sequence[ColumnElement[Any]]] = {
    ProductSort.ID: (products.c.id,),
    ProductSort.TITLE: (products.c.title, products.c.id),
    ProductSort.PRICE: (products.c.price_cents, products.c.id),
    ProductSort.PRICE_DESCENDING: (products.c.price_cents.desc(), products.c.id),
    ProductSort.CREATED: (products.c.created_at, products.c.id),
    ProductSort.CREATED_DESCENDING: (products.c.created_at.desc(), products.c.id),
}

_ACTIVE_PRODUCT = f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1 AND is_active"  # noqa: S608 - fixed text


@asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads. On PostgreSQL it runs in autocommit: no BEGIN and ROLLBACK round
    trips around what is one or two SELECTs. SQLite reads begin DEFERRED (they wait for no writer).
    A database out of reach is StoreUnavailable (503), as in the unit of work."""
    options: dict[str, object] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    try:
        async with engine.connect() as conn:
            yield await conn.execution_options(**options)
    except Exception as error:
        if lost_the_database(error):
            raise StoreUnavailable() from error
        raise


def _contains(column: ColumnElement[str], lowered: str) -> ColumnElement[bool]:
    """Case-insensitive substring; LIKE's wildcards in the text are escaped, so they match literally."""
    return func.lower(column).contains(lowered, autoescape=True)


def _product_conditions(filters: ProductFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.is_active is not None:
        conditions.append(products.c.is_active == filters.is_active)  # `IS true` could not use an index
    if filters.series is not None:
        conditions.append(products.c.series == filters.series.value)
    if filters.author:
        conditions.append(_contains(products.c.author, filters.author.lower()))
    if filters.min_price_cents is not None:
        conditions.append(products.c.price_cents >= filters.min_price_cents)
    if filters.max_price_cents is not None:
        conditions.append(products.c.price_cents <= filters.max_price_cents)
    if filters.in_stock is True:
        conditions.append(products.c.stock > 0)
    elif filters.in_stock is False:
        conditions.append(products.c.stock == 0)
    return conditions


async def _page(
    conn: AsyncConnection,
    query: Select[Any],
    conditions: Sequence[ColumnElement[bool]],
    page: PageRequest,
) -> tuple[list[Product], int]:
    rows = (await conn.execute(query.limit(page.limit).offset(page.offset))).all()
    items = [product_from_row(row) for row in rows]
    if len(rows) < page.limit and (rows or page.offset == 0):
        return items, page.offset + len(rows)  # the last page tells its own total: no count needed
    total = int(await conn.scalar(select(func.count()).select_from(products).where(*conditions)) or 0)
    return items, total


class SqlCatalogQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_products(
        self, filters: ProductFilters, sort: ProductSort, page: PageRequest
    ) -> Page[Product]:
        """The shop window's listings (filtered by series and stock at most) take their total from
        product_counts; on PostgreSQL with the page, in one round trip on the driver's connection."""
        counted = is_counted(filters)
        if counted and self._engine.dialect.name == "postgresql":
            async with driver_connection(self._engine) as driver:
                items, total = await read_lean(driver, LeanListing(filters, sort), page)
            return Page(items=items, total=total, limit=page.limit, offset=page.offset)
        conditions = _product_conditions(filters)
        query = select(products).where(*conditions).order_by(*_ORDER[sort])
        async with read_connection(self._engine) as conn:
            if counted:
                items = [
                    product_from_row(row)
                    for row in await conn.execute(query.limit(page.limit).offset(page.offset))
                ]
                total = int(await conn.scalar(total_statement(filters)) or 0)
            else:
                items, total = await _page(conn, query, conditions, page)
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def search_products(
        self, terms: SearchTerms, page: PageRequest, *, series: Series | None = None
    ) -> Page[Product]:
        """adapters.sqlalchemy.search: two steps in id order, an exact total (never a cached one)."""
        async with search_connection(self._engine) as conn:
            return await search_page(conn, terms, page, series)

    async def near_words(self, words: Sequence[str]) -> dict[str, list[str]]:
        async with search_connection(self._engine) as conn:
            return await find_near_words(conn, words)

    async def get_active_product(self, product_id: int) -> Product | None:
        if self._engine.dialect.name == "postgresql":
            async with driver_connection(self._engine) as driver:
                record = await driver.fetchrow(_ACTIVE_PRODUCT, product_id)
            return product_from_columns(record) if record else None
        async with read_connection(self._engine) as conn:
            row = (
                await conn.execute(select(products).where(products.c.id == product_id, products.c.is_active))
            ).first()
        return product_from_row(row) if row else None


class SqlOrderQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_orders(
        self, page: PageRequest, *, user_id: int | None = None, status: OrderStatus | None = None
    ) -> Page[Order]:
        conditions = []
        if user_id is not None:
            conditions.append(orders.c.user_id == user_id)
        if status is not None:
            conditions.append(orders.c.status == status.value)
        query = (
            select(orders)
            .where(*conditions)
            .order_by(orders.c.created_at.desc(), orders.c.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        async with read_connection(self._engine) as conn:
            rows = (await conn.execute(query)).all()
            items = await load_orders(conn, rows)
            if len(rows) < page.limit and (rows or page.offset == 0):
                total = page.offset + len(rows)
            else:
                total = int(
                    await conn.scalar(select(func.count()).select_from(orders).where(*conditions)) or 0
                )
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def get_order(self, order_id: int) -> Order | None:
        async with read_connection(self._engine) as conn:
            rows = (await conn.execute(select(orders).where(orders.c.id == order_id))).all()
            found = await load_orders(conn, rows)
        return found[0] if found else None


class SqlUserQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_users(
        self, page: PageRequest, *, is_active: bool | None = None, email: EmailPart | None = None
    ) -> Page[User]:
        conditions: list[ColumnElement[bool]] = []
        if is_active is not None:
            conditions.append(users.c.is_active.is_(is_active))
        if email is not None:
            conditions.append(_contains(users.c.email, email.text))
        async with read_connection(self._engine) as conn:
            rows = await conn.execute(
                select(users).where(*conditions).order_by(users.c.id).limit(page.limit).offset(page.offset)
            )
            items = [user_from_row(row) for row in rows]
            total = await conn.scalar(select(func.count()).select_from(users).where(*conditions))
        return Page(items=items, total=int(total or 0), limit=page.limit, offset=page.offset)

    async def get_user(self, user_id: int) -> User | None:
        """Every authenticated request reads its caller: on PostgreSQL the lean driver path."""
        if self._engine.dialect.name == "postgresql":
            async with driver_connection(self._engine) as driver:
                record = await driver.fetchrow(USER_BY_ID, user_id)
            return user_from_columns(record) if record else None
        async with read_connection(self._engine) as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return user_from_row(row) if row else None
