"""Refund races on a real database: concurrent refunds of one order never give back more than was
paid (each holds its amount, PENDING, under the order's lock, before the provider is called)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.ports import UnitOfWork
from application.refund_order import RefundAsked, RefundOrder
from domain.refunds import RefundStatus, RestockLine
from tests.fakes import FrozenClock
from tests.use_cases.conftest import Shop, make_shop

STAFF = 5


@pytest.fixture
async def shop(database_url: str) -> AsyncIterator[Shop]:
    engine: AsyncEngine = create_engine(database_url, pool_size=STAFF + 2)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    yield make_shop(uow, BuiltInTestPaymentProvider(), FrozenClock())
    await engine.dispose()


@pytest.mark.backends("postgres")
async def test_five_concurrent_refunds_of_forty_percent_refund_at_most_the_total(shop: Shop) -> None:
    ann = await shop.customer()
    book = await shop.book("The Magician's Nephew", price_cents=1000, stock=5)
    await shop.add_to_cart(ann, book, 5)
    order = (await shop.checkout(ann, "pm_card_visa")).order
    staff = [await shop.customer(f"staff{n}@example.com") for n in range(STAFF)]
    refund = RefundOrder(shop.uow, shop.provider, shop.clock)
    share = order.total_amount_cents * 40 // 100
    two_units = (RestockLine(product_id=book, quantity=2),)

    results = await asyncio.gather(
        *(
            refund(RefundAsked(order_id=order.id or 0, staff_id=s, amount_cents=share, restock=two_units))
            for s in staff
        ),
        return_exceptions=True,
    )

    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"Refund": 2, "RefundExceedsPayment": STAFF - 2}, outcomes
    stored = await shop.order(order.id or 0)
    assert stored.refunded_cents == 2 * share <= stored.total_amount_cents
    assert [r.status for r in stored.refunds] == [RefundStatus.SUCCEEDED] * 2
    assert await shop.stock_of(book) == 4  # 2 restocks of 2 units, on a shelf left with 0
    assert len(shop.provider.refunds) == 2  # type: ignore[attr-defined]
