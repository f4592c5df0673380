"""Products, and their stock moved by conditional UPDATEs: the store's copy of Product's stock rule."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BigInteger, ColumnElement, case, cast, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.driver import PRODUCT_COLUMNS
from adapters.sqlalchemy.in_transaction import DriverInTransaction
from adapters.sqlalchemy.on_conflict import insert
from adapters.sqlalchemy.rows import product_from_columns, product_from_row
from adapters.sqlalchemy.tables import products, search_words
from domain.catalog import Product, Series
from domain.search import product_text, title_text, vocabulary
from domain.values import MAX_INT32

_PRODUCT = f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"  # noqa: S608 - fixed text
_LOCKED_PRODUCT = _PRODUCT + " FOR UPDATE"
_PRODUCTS = f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ANY($1::bigint[])"  # noqa: S608
_WITHDRAW = "UPDATE products SET stock = stock - $2 WHERE id = $1 AND is_active AND stock >= $2"
_RETURN = "UPDATE products SET stock = stock + $2 WHERE id = $1"


class SqlProductRepository:
    """On PostgreSQL the reads and stock moves of a checkout are fixed SQL on the driver (`lean`)."""

    def __init__(self, conn: AsyncConnection, lean: DriverInTransaction | None = None) -> None:
        self._conn = conn
        self._lean = lean
        self.changed = False
        """A product was added or changed in this transaction (the unit of work then moves the
        catalogue version on when it commits)."""

    async def add(self, product: Product) -> Product:
        product.id = (
            await self._conn.execute(
                products.insert()
                .values(
                    title=product.title,
                    series=product.series.value,
                    author=product.author,
                    price_cents=product.price_cents,
                    stock=product.stock,
                    is_active=product.is_active,
                    created_at=product.created_at,
                    **await self._searchable(product),
                )
                .returning(products.c.id)
            )
        ).scalar_one()
        self.changed = True
        return product

    async def _searchable(self, product: Product) -> dict[str, str]:
        """The text search compares (domain.search), to be stored with the product; its words join the
        vocabulary, in sorted order so that concurrent writers never wait on each other in a cycle."""
        text = product_text(product.title, product.author, product.series)
        words = sorted(vocabulary(text))
        await self._conn.execute(
            insert(self._conn, search_words).on_conflict_do_nothing(), [{"word": word} for word in words]
        )
        return {"search_title": title_text(product.title), "search_text": text}

    async def get(self, product_id: int, *, for_update: bool = False) -> Product | None:
        if self._lean is not None:
            record = await self._lean.fetchrow(_LOCKED_PRODUCT if for_update else _PRODUCT, product_id)
            return product_from_columns(record) if record else None
        query = select(products).where(products.c.id == product_id)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return product_from_row(row) if row else None

    async def find(self, title: str, series: Series) -> Product | None:
        row = (
            await self._conn.execute(
                select(products)
                .where(products.c.title == title, products.c.series == series.value)
                .order_by(products.c.id)
                .limit(1)
            )
        ).first()
        return product_from_row(row) if row else None

    async def get_many(self, product_ids: Iterable[int]) -> dict[int, Product]:
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        if self._lean is not None:
            return {r[0]: product_from_columns(r) for r in await self._lean.fetch(_PRODUCTS, ids)}
        rows = await self._conn.execute(select(products).where(products.c.id.in_(ids)))
        return {row.id: product_from_row(row) for row in rows}

    async def update_details(self, product: Product) -> Product:
        row = (
            await self._conn.execute(
                update(products)
                .where(products.c.id == product.id)
                .values(
                    title=product.title,
                    series=product.series.value,
                    author=product.author,
                    price_cents=product.price_cents,
                    is_active=product.is_active,
                    **await self._searchable(product),
                )
                .returning(*products.c)
            )
        ).one()
        self.changed = True
        return product_from_row(row)

    async def withdraw_stock(self, product_id: int, quantity: int) -> bool:
        if self._lean is not None:
            taken = await self._lean.rowcount(_WITHDRAW, product_id, quantity) == 1
            self.changed |= taken
            return taken
        result = await self._conn.execute(
            update(products)
            .where(products.c.id == product_id, products.c.is_active, products.c.stock >= quantity)
            .values(stock=products.c.stock - quantity)
        )
        taken = result.rowcount == 1
        self.changed |= taken
        return taken

    async def return_stock(self, product_id: int, quantity: int) -> None:
        if self._lean is not None:
            self.changed |= await self._lean.rowcount(_RETURN, product_id, quantity) > 0
            return
        result = await self._conn.execute(
            update(products).where(products.c.id == product_id).values(stock=products.c.stock + quantity)
        )
        self.changed |= result.rowcount > 0

    async def adjust_stock(self, product_id: int, delta: int) -> Product | None:
        return await self._set_stock_to(product_id, cast(products.c.stock, BigInteger) + delta)

    async def set_stock(self, product_id: int, stock: int) -> Product | None:
        return await self._set_stock_to(product_id, literal(stock, BigInteger))

    async def _set_stock_to(self, product_id: int, after: ColumnElement[int]) -> Product | None:
        """Staff's stock changes, one rule for both: the new stock is 0 to MAX_INT32, checked in the
        UPDATE itself, computed in 64 bits (a value past the int32 bounds is refused, not overflowed).
        The CASE keeps PostgreSQL from converting an out-of-range constant to the INTEGER column
        while it plans the statement, which fails even though no row is to be updated."""
        in_bounds = after.between(0, MAX_INT32)
        row = (
            await self._conn.execute(
                update(products)
                .where(products.c.id == product_id, in_bounds)
                .values(stock=case((in_bounds, after)))
                .returning(*products.c)
            )
        ).first()
        if row is None:
            return None
        self.changed = True
        return product_from_row(row)
