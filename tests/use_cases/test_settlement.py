"""Settling payments after checkout, on every store: webhooks and expiry."""

from __future__ import annotations

import logging

import pytest

from application.expire_pending_orders import ExpirePendingOrders
from application.ports import PaymentEvent, PaymentEventKind
from application.settle_payment import Settlement
from domain.ordering import Order, OrderStatus
from tests.use_cases.conftest import TIME_TO_PAY, Shop


async def _pending(shop: Shop, quantity: int = 2, email: str = "ann@example.com") -> tuple[Order, int]:
    """A customer's PENDING order (they must still confirm the payment) and its product."""
    ann = await shop.customer(email)
    caspian = await shop.book(f"Prince Caspian for {email}", stock=5)
    await shop.add_to_cart(ann, caspian, quantity)
    order = (await shop.checkout(ann, None)).order
    assert order.status is OrderStatus.PENDING
    return order, caspian


def _event(
    event_id: str,
    kind: PaymentEventKind,
    order: Order | None,
    *,
    by_intent_only: bool = False,
    amount_cents: int | None = None,
    currency: str = "usd",
) -> PaymentEvent:
    """An event about the order's payment intent, for the order's total unless told otherwise."""
    return PaymentEvent(
        event_id=event_id,
        kind=kind,
        payment_intent_id=order.payment_intent_id if order else "pi_unknown",
        order_id=None if by_intent_only or order is None else order.id,
        amount_cents=amount_cents if amount_cents is not None else order.total_amount_cents if order else 100,
        currency=currency,
    )


SUCCEEDED, FAILED = PaymentEventKind.SUCCEEDED, PaymentEventKind.FAILED


async def test_a_succeeded_payment_makes_the_order_paid(shop: Shop) -> None:
    order, caspian = await _pending(shop)

    assert await shop.settle(_event("evt_1", SUCCEEDED, order)) is Settlement.PAID

    assert (await shop.order(order.id or 0)).status is OrderStatus.PAID
    assert await shop.stock_of(caspian) == 3


async def test_a_failed_payment_fails_the_order_and_puts_the_stock_back(shop: Shop) -> None:
    order, caspian = await _pending(shop)

    assert await shop.settle(_event("evt_1", FAILED, order)) is Settlement.FAILED

    assert (await shop.order(order.id or 0)).status is OrderStatus.FAILED
    assert await shop.stock_of(caspian) == 5


async def test_a_redelivered_event_changes_nothing_twice(shop: Shop) -> None:
    order, caspian = await _pending(shop)
    await shop.settle(_event("evt_1", FAILED, order))

    assert await shop.settle(_event("evt_1", FAILED, order)) is Settlement.DUPLICATE

    assert await shop.stock_of(caspian) == 5


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [(SUCCEEDED, FAILED, "PAID"), (SUCCEEDED, SUCCEEDED, "PAID"), (FAILED, FAILED, "FAILED")],
)
async def test_paid_and_failed_are_final_whatever_comes_next(
    shop: Shop, first: PaymentEventKind, then: PaymentEventKind, status: str
) -> None:
    order, caspian = await _pending(shop)
    await shop.settle(_event("evt_1", first, order))
    stock = await shop.stock_of(caspian)

    assert await shop.settle(_event("evt_2", then, order)) is Settlement.ALREADY_FINAL

    assert (await shop.order(order.id or 0)).status is OrderStatus(status)
    assert await shop.stock_of(caspian) == stock


async def test_a_success_after_a_failure_leaves_the_order_failed_and_gives_the_money_back(shop: Shop) -> None:
    order, caspian = await _pending(shop)
    await shop.settle(_event("evt_1", FAILED, order))

    assert await shop.settle(_event("evt_2", SUCCEEDED, order)) is Settlement.REFUNDED

    stored = await shop.order(order.id or 0)
    assert (stored.status, stored.refunded_cents) == (OrderStatus.FAILED, order.total_amount_cents)
    assert await shop.stock_of(caspian) == 5


@pytest.mark.parametrize(
    ("amount_cents", "currency"), [(1, "usd"), (None, "usd"), (1798, "eur"), (1799, "usd")], ids=repr
)
async def test_a_success_for_another_amount_or_currency_is_not_taken_as_payment(
    shop: Shop, caplog: pytest.LogCaptureFixture, amount_cents: int | None, currency: str
) -> None:
    order, caspian = await _pending(shop)  # 2 x 899 = 1798 usd
    event = _event("evt_1", SUCCEEDED, order, amount_cents=amount_cents, currency=currency)
    if amount_cents is None:
        event = PaymentEvent(
            event_id="evt_1", kind=SUCCEEDED, payment_intent_id=order.payment_intent_id, order_id=order.id
        )

    with caplog.at_level(logging.ERROR, logger="bookshop.payments"):
        assert await shop.settle(event) is Settlement.AMOUNT_MISMATCH

    assert (await shop.order(order.id or 0)).status is OrderStatus.PENDING
    assert await shop.stock_of(caspian) == 3
    [line] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"order {order.id}" in line.getMessage()
    assert await shop.settle(event) is Settlement.DUPLICATE  # recorded: a redelivery is skipped


async def test_an_order_is_found_by_its_payment_intent_alone(shop: Shop) -> None:
    order, _ = await _pending(shop)

    assert await shop.settle(_event("evt_1", SUCCEEDED, order, by_intent_only=True)) is Settlement.PAID


async def test_events_for_unknown_orders_and_other_types_are_acknowledged(shop: Shop) -> None:
    order, _ = await _pending(shop)

    assert await shop.settle(_event("evt_1", SUCCEEDED, None)) is Settlement.UNKNOWN_ORDER
    assert await shop.settle(_event("evt_2", PaymentEventKind.OTHER, order)) is Settlement.IGNORED
    assert (await shop.order(order.id or 0)).status is OrderStatus.PENDING


async def test_an_event_naming_an_order_paid_through_another_intent_is_ignored(shop: Shop) -> None:
    order, _ = await _pending(shop)
    forged = PaymentEvent(event_id="evt_1", kind=SUCCEEDED, payment_intent_id="pi_other", order_id=order.id)

    assert await shop.settle(forged) is Settlement.UNKNOWN_ORDER
    assert (await shop.order(order.id or 0)).status is OrderStatus.PENDING


async def test_expiry_fails_old_pending_orders_only(shop: Shop) -> None:
    old, old_book = await _pending(shop, email="old@example.com")
    paid, _ = await _pending(shop, email="paid@example.com")
    await shop.settle(_event("evt_paid", SUCCEEDED, paid))
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    recent, recent_book = await _pending(shop, email="recent@example.com")

    assert await shop.expire() == 1

    assert (await shop.order(old.id or 0)).status is OrderStatus.FAILED
    assert await shop.stock_of(old_book) == 5
    assert (await shop.order(paid.id or 0)).status is OrderStatus.PAID
    assert (await shop.order(recent.id or 0)).status is OrderStatus.PENDING
    assert await shop.stock_of(recent_book) == 3
    assert await shop.expire() == 0


async def test_expiry_works_through_more_orders_than_one_batch(shop: Shop) -> None:
    orders = [await _pending(shop, quantity=1, email=f"u{n}@example.com") for n in range(5)]
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)

    assert await ExpirePendingOrders(shop.uow, shop.provider, shop.clock, TIME_TO_PAY, batch_size=2)() == 5

    for order, _ in orders:
        assert (await shop.order(order.id or 0)).status is OrderStatus.FAILED
