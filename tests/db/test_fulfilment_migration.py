"""Migration 0010: orders placed before fulfilment existed read as UNFULFILLED, and ship."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from domain.fulfilment import NOT_SHIPPED, FulfilmentStatus, Shipment
from domain.ordering import OrderStatus
from tests.databases import POSTGRES_URL, alembic_config, migrate, recreate_postgres_schema, sqlite_url
from tests.fakes import FrozenClock

BACKENDS = ["sqlite", *([pytest.param("postgres", marks=pytest.mark.postgres)] if POSTGRES_URL else [])]
BEFORE = [
    "INSERT INTO users (id, email, password_hash, role, is_active, created_at) "
    "VALUES (1, 'ann@example.com', 'hash', 'USER', true, '2026-11-01T10:00:00+00:00')",
    "INSERT INTO orders (id, user_id, status, total_amount_cents, currency, created_at, updated_at) "
    "VALUES (1, 1, 'PAID', 1598, 'usd', '2026-11-01T10:00:00+00:00', '2026-11-01T10:00:00+00:00')",
    "INSERT INTO order_items (order_id, product_id, title_snapshot, price_snapshot, quantity) "
    "VALUES (1, NULL, 'Prince Caspian', 799, 2)",
]


@pytest.fixture
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "before.db")
        return
    assert POSTGRES_URL is not None
    asyncio.run(recreate_postgres_schema(POSTGRES_URL))
    yield POSTGRES_URL
    asyncio.run(recreate_postgres_schema(POSTGRES_URL))  # put the shared schema back at head
    migrate(POSTGRES_URL)


async def _execute(url: str, statements: list[str]) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def _read_then_ship(url: str) -> tuple[object, object]:
    engine = create_engine(url, pool_size=1)
    try:
        async with SqlUnitOfWork(engine) as uow:
            order = await uow.orders.get(1, for_update=True)
            assert order is not None
            before = order.fulfilment
            assert (order.status, order.total_amount_cents) == (OrderStatus.PAID, 1598)
            order.ship(Shipment("DHL", "JD01"), FrozenClock().now())
            await uow.orders.update_fulfilment(order)
            await uow.commit()
        async with SqlUnitOfWork(engine) as uow:
            stored = await uow.orders.get(1)
            assert stored is not None
            return before, stored.fulfilment.status
    finally:
        await engine.dispose()


@pytest.mark.parametrize("url", BACKENDS, indirect=True)
def test_orders_from_before_read_as_unfulfilled_and_ship(url: str) -> None:
    migrate(url, "0008")
    asyncio.run(_execute(url, BEFORE))

    migrate(url)

    assert asyncio.run(_read_then_ship(url)) == (NOT_SHIPPED, FulfilmentStatus.SHIPPED)


@pytest.mark.parametrize("url", BACKENDS, indirect=True)
def test_downgrading_0010_keeps_the_orders(url: str) -> None:
    migrate(url, "0008")
    asyncio.run(_execute(url, BEFORE))
    migrate(url)

    command.downgrade(alembic_config(url), "0008")
    migrate(url)

    assert asyncio.run(_read_then_ship(url))[0] == NOT_SHIPPED
