"""The database floor: the shop's two catalogue routes on a bare Litestar app, each ONE raw asyncpg
query through a pool, nothing else (no middleware, no cache, no ORM, no validation of parameters).

    GET /products/{id}   the active product, or 404
    GET /products        the first page: 20 active products by id, and `total`, the exact count of
                         active products, in the same round trip (a scalar subquery)

Same JSON shape as the shop's (msgspec Structs, the same fields in the same order). asyncpg prepares
each statement once per connection and reuses it (its statement cache), so a request costs one
Bind/Execute round trip. Reads DATABASE_URL, as the shop does. Served by bench/serve.py, exactly
like the shop: what the shop spends above this is what its own layers cost."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import msgspec
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

POOL_SIZE = 20
"""The shop's default DB_POOL_SIZE."""
PAGE_SIZE = 20
COLUMNS = "id, title, series, author, price_cents, stock, is_active, created_at"
PRODUCT = f"SELECT {COLUMNS} FROM products WHERE id = $1 AND is_active"  # noqa: S608 - constants only
FIRST_PAGE = (
    f"SELECT {COLUMNS}, (SELECT count(*) FROM products WHERE is_active) AS total "  # noqa: S608
    f"FROM products WHERE is_active ORDER BY id LIMIT {PAGE_SIZE}"
)


class Product(msgspec.Struct):
    """Fields in the order of COLUMNS: built positionally from a row."""

    id: int
    title: str
    series: str
    author: str
    price_cents: int
    stock: int
    is_active: bool
    created_at: datetime


class ProductPage(msgspec.Struct, kw_only=True):
    items: list[Product]
    total: int
    limit: int
    offset: int


@get("/products/{product_id:int}")
async def show(state: State, product_id: int) -> Product:
    row = await state.pool.fetchrow(PRODUCT, product_id)
    if row is None:
        raise NotFoundException(f"product {product_id} not found")
    return Product(*row)


@get("/products")
async def first_page(state: State) -> ProductPage:
    rows = await state.pool.fetch(FIRST_PAGE)
    return ProductPage(
        items=[Product(*row[:-1]) for row in rows],
        total=rows[0]["total"] if rows else 0,
        limit=PAGE_SIZE,
        offset=0,
    )


def asyncpg_dsn(url: str) -> str:
    """asyncpg takes postgresql:// URLs; the shop's may name its driver (postgresql+asyncpg://)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


@asynccontextmanager
async def pool(app: Litestar) -> AsyncIterator[None]:
    created: Any = await asyncpg.create_pool(asyncpg_dsn(os.environ["DATABASE_URL"]), max_size=POOL_SIZE)
    app.state.pool = created
    try:
        yield
    finally:
        await created.close()


def create_app() -> Litestar:
    return Litestar([show, first_page], lifespan=[pool], openapi_config=None, logging_config=None)
