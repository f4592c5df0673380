"""The peer: the shop's two catalogue routes as a user would write them instead, with FastAPI and
SQLModel, the way their tutorials do: a SQLModel table model, an async session per request
(SQLAlchemy's asyncio extension over asyncpg) from a dependency, response models.

    GET /products/{id}                 the active product, or 404
    GET /products?limit=20&offset=0    a page of active products by id, with `total` (exact count)

Same JSON shape as the shop's. Reads DATABASE_URL (postgresql+asyncpg://...), as the shop does; the
pool is the shop's default size (DB_POOL_SIZE, 20). Served by bench/serve.py, exactly like the shop.
Needs the `bench` extra: pip install -e ".[bench]"."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import DateTime
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

POOL_SIZE = 20


class Product(SQLModel, table=True):
    __tablename__ = "products"

    id: int = Field(primary_key=True)
    title: str
    series: str
    author: str
    price_cents: int
    stock: int
    is_active: bool
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


class ProductPublic(SQLModel):
    id: int
    title: str
    series: str
    author: str
    price_cents: int
    stock: int
    is_active: bool
    created_at: datetime


class ProductPage(SQLModel):
    items: list[ProductPublic]
    total: int
    limit: int
    offset: int


engine: AsyncEngine = create_async_engine(
    os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/bookshop_bench"),
    pool_size=POOL_SIZE,
)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/products/{product_id}", response_model=ProductPublic)
async def read_product(product_id: int, session: SessionDep) -> Product:
    product = await session.get(Product, product_id)
    if product is None or not product.is_active:
        raise HTTPException(status_code=404, detail="Product not found")
    return product


@app.get("/products", response_model=ProductPage)
async def read_products(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    on_sale = col(Product.is_active)
    total = (await session.exec(select(func.count()).select_from(Product).where(on_sale))).one()
    products = await session.exec(
        select(Product).where(on_sale).order_by(col(Product.id)).offset(offset).limit(limit)
    )
    return {"items": products.all(), "total": total, "limit": limit, "offset": offset}


def create_app() -> FastAPI:
    """For bench/serve.py, which serves every app through a factory, as the shop is served."""
    return app
