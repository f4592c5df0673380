"""Cancelling races the provider's webhook, the expiry and a new payment: each order settles
exactly once, its stock moves once, and a payment for a cancelled order is given back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.cancel_order import CancelOrder
from application.errors import PaymentDeclined
from application.pay_for_order import PayForOrder
from application.ports import PaymentEvent, PaymentEventKind, UnitOfWork
from domain.errors import OrderNotPending
from domain.ordering import FailureReason, Order, OrderStatus
from tests.fakes import FrozenClock
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop

ORDERS = 8
COPIES = 2


@pytest.fixture
async def shop(database_url: str) -> AsyncIterator[Shop]:
    engine = create_engine(database_url, pool_size=3 * ORDERS)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    yield make_shop(uow, BuiltInTestPaymentProvider(), FrozenClock())
    await engine.dispose()


async def pending_orders(shop: Shop, book: int) -> list[Order]:
    """One PENDING order of COPIES copies per customer, awaiting 3-D Secure."""
    orders = []
    for n in range(ORDERS):
        buyer = await shop.customer(f"buyer{n}@example.com")
        await shop.add_to_cart(buyer, book, COPIES)
        orders.append((await shop.checkout(buyer, None)).order)
    return orders


def cancel(shop: Shop) -> CancelOrder:
    return CancelOrder(shop.uow, shop.provider, shop.clock)


async def test_a_cancel_and_a_payment_webhook_at_once_settle_each_order_once(shop: Shop) -> None:
    book = await shop.book("The Last Battle", stock=ORDERS * COPIES)
    orders = await pending_orders(shop, book)

    def paid(order: Order) -> PaymentEvent:
        return PaymentEvent(
            event_id=f"evt_paid_{order.id}",
            kind=PaymentEventKind.SUCCEEDED,
            payment_intent_id=order.payment_intent_id,
            order_id=order.id,
            amount_cents=order.total_amount_cents,
            currency=order.currency,
        )

    results = await asyncio.gather(
        *(cancel(shop)(o.user_id, o.id or 0) for o in orders),
        *(shop.settle(paid(o)) for o in orders),
        return_exceptions=True,
    )

    # A cancel that comes after the payment was settled is refused (the order is PAID).
    assert [r for r in results if isinstance(r, BaseException) and not isinstance(r, OrderNotPending)] == []

    settled = [await shop.order(o.id or 0) for o in orders]
    kept = [o for o in settled if o.status is OrderStatus.PAID]
    for order in settled:
        if order.status is OrderStatus.FAILED:  # cancelled first: the late payment is given back
            assert order.failure_reason is FailureReason.CANCELLED
            assert order.refunded_cents == order.total_amount_cents
        else:
            assert (order.status, order.refunded_cents) == (OrderStatus.PAID, 0)
    assert await shop.stock_of(book) == (ORDERS - len(kept)) * COPIES  # stock counted once
    assert isinstance(shop.provider, BuiltInTestPaymentProvider)
    assert len(shop.provider.refunds) == ORDERS - len(kept)


async def test_a_cancel_and_a_new_payment_at_once_either_pay_or_cancel(shop: Shop) -> None:
    book = await shop.book("The Last Battle", stock=ORDERS * COPIES)
    orders = await pending_orders(shop, book)
    pay = PayForOrder(shop.uow, shop.provider, shop.clock)

    results = await asyncio.gather(
        *(cancel(shop)(o.user_id, o.id or 0) for o in orders),
        *(pay(o.user_id, o.id or 0, "pm_card_visa") for o in orders),
        return_exceptions=True,
    )

    refusals = (PaymentDeclined, OrderNotPending)  # whichever came second, when the first had settled
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, refusals)]
    assert unexpected == []
    settled = [await shop.order(o.id or 0) for o in orders]
    paid = sum(1 for o in settled if o.status is OrderStatus.PAID)
    assert all(o.status is OrderStatus.PAID or o.failure_reason is FailureReason.CANCELLED for o in settled)
    assert all(o.refunded_cents == 0 for o in settled)  # a cancelled intent never took the money
    assert await shop.stock_of(book) == (ORDERS - paid) * COPIES


async def test_a_cancel_and_the_expiry_at_once_fail_each_order_once(shop: Shop) -> None:
    book = await shop.book("The Last Battle", stock=ORDERS * COPIES)
    orders = await pending_orders(shop, book)
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)

    results, expired = await asyncio.gather(
        asyncio.gather(*(cancel(shop)(o.user_id, o.id or 0) for o in orders), return_exceptions=True),
        shop.expire(),
    )

    assert [r for r in results if isinstance(r, BaseException) and not isinstance(r, OrderNotPending)] == []

    settled = [await shop.order(o.id or 0) for o in orders]
    cancelled = sum(1 for o in settled if o.failure_reason is FailureReason.CANCELLED)
    assert all(o.status is OrderStatus.FAILED for o in settled)
    assert cancelled + expired == ORDERS  # each order failed once, by one of them
    assert await shop.stock_of(book) == ORDERS * COPIES
