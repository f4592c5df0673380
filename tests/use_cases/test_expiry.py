"""Expiry asks the payment provider before it fails an order, on every store: a payment that in
fact went through is kept (PAID), an open one is cancelled first, and nothing is decided while
the provider cannot tell."""

from __future__ import annotations

import logging

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.errors import PaymentUnavailable
from application.expire_pending_orders import ExpirePendingOrders
from application.ports import ChargeOutcome, IntentState, PaymentIntentStatus, UnitOfWorkFactory
from domain.ordering import Order, OrderStatus
from tests.fakes import FrozenClock, LockCheckingProvider, ScriptedPaymentProvider
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop


async def _pending(shop: Shop, email: str = "ann@example.com") -> tuple[Order, int]:
    """A PENDING order for 2 of a book (stock 5 → 3), awaiting the customer."""
    ann = await shop.customer(email)
    book = await shop.book(f"Prince Caspian for {email}", price_cents=899, stock=5)
    await shop.add_to_cart(ann, book, 2)
    order = (await shop.checkout(ann, None)).order
    assert order.status is OrderStatus.PENDING
    return order, book


def built_in(shop: Shop) -> BuiltInTestPaymentProvider:
    assert isinstance(shop.provider, BuiltInTestPaymentProvider)
    return shop.provider


def time_passes(shop: Shop) -> None:
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)


async def test_an_intent_that_in_fact_succeeded_makes_the_order_paid(shop: Shop) -> None:
    order, book = await _pending(shop)
    built_in(shop).confirm(order.payment_intent_id or "")  # paid; the webhook has not come (yet)
    time_passes(shop)

    assert await shop.expire() == 0

    assert (await shop.order(order.id or 0)).status is OrderStatus.PAID
    assert await shop.stock_of(book) == 3


async def test_an_open_intent_is_cancelled_at_the_provider_before_the_order_fails(shop: Shop) -> None:
    order, book = await _pending(shop)
    time_passes(shop)

    assert await shop.expire() == 1

    assert (await shop.order(order.id or 0)).status is OrderStatus.FAILED
    assert await shop.stock_of(book) == 5
    assert (await shop.provider.status(order.payment_intent_id or "")).state is IntentState.CANCELED


class PaidWhileCancelling(ScriptedPaymentProvider):
    """The customer completes the payment between the expiry's question and its cancel."""

    async def cancel(self, payment_intent_id: str) -> PaymentIntentStatus:
        known = self.intents[payment_intent_id]
        self.intents[payment_intent_id] = PaymentIntentStatus(
            IntentState.SUCCEEDED, known.amount_cents, known.currency
        )
        return await super().cancel(payment_intent_id)


async def test_an_intent_paid_while_being_cancelled_makes_the_order_paid(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    shop = make_shop(uow, PaidWhileCancelling(ChargeOutcome.REQUIRES_ACTION), clock)
    order, book = await _pending(shop)
    time_passes(shop)

    assert await shop.expire() == 0

    assert (await shop.order(order.id or 0)).status is OrderStatus.PAID
    assert await shop.stock_of(book) == 3


@pytest.mark.parametrize("state", [IntentState.PROCESSING, IntentState.UNKNOWN])
async def test_an_order_stays_pending_while_the_provider_cannot_tell(
    uow: UnitOfWorkFactory, clock: FrozenClock, state: IntentState
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.REQUIRES_ACTION)
    shop = make_shop(uow, provider, clock)
    order, book = await _pending(shop)
    provider.intents[order.payment_intent_id or ""] = PaymentIntentStatus(state)
    time_passes(shop)

    assert await shop.expire() == 0

    assert (await shop.order(order.id or 0)).status is OrderStatus.PENDING
    assert await shop.stock_of(book) == 3
    assert provider.cancelled == []


async def test_a_succeeded_intent_of_another_amount_does_not_pay_the_order(
    uow: UnitOfWorkFactory, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.REQUIRES_ACTION)
    shop = make_shop(uow, provider, clock)
    order, _ = await _pending(shop)
    provider.intents[order.payment_intent_id or ""] = PaymentIntentStatus(IntentState.SUCCEEDED, 1, "usd")
    time_passes(shop)

    with caplog.at_level(logging.ERROR, logger="bookshop.payments"):
        assert await shop.expire() == 0

    assert (await shop.order(order.id or 0)).status is OrderStatus.PENDING
    assert any(f"order {order.id}" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


@pytest.mark.parametrize("state", [IntentState.CANCELED, IntentState.MISSING])
async def test_an_intent_that_will_never_charge_fails_the_order(
    uow: UnitOfWorkFactory, clock: FrozenClock, state: IntentState
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.REQUIRES_ACTION)
    shop = make_shop(uow, provider, clock)
    order, book = await _pending(shop)
    provider.intents[order.payment_intent_id or ""] = PaymentIntentStatus(state)
    time_passes(shop)

    assert await shop.expire() == 1

    assert (await shop.order(order.id or 0)).status is OrderStatus.FAILED
    assert await shop.stock_of(book) == 5


async def test_an_order_whose_charge_may_have_happened_waits_for_the_provider_then_expires(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    """A 5xx after sending: PENDING, its stock held and its lines out of the cart, until the
    provider tells (here: nobody does, so the expiry fails it; a late success is refunded)."""
    provider = ScriptedPaymentProvider(ChargeOutcome.UNKNOWN, names_intent=False)
    shop = make_shop(uow, provider, clock)
    ann = await shop.customer()
    book = await shop.book("Prince Caspian", price_cents=899, stock=5)
    await shop.add_to_cart(ann, book, 2)
    with pytest.raises(PaymentUnavailable) as unavailable:
        await shop.checkout(ann, "pm_card_visa")
    assert (await shop.order(unavailable.value.order_id)).status is OrderStatus.PENDING
    assert (await shop.stock_of(book), (await shop.view_cart(ann)).lines) == (3, [])
    assert await shop.expire() == 0  # not old enough yet
    time_passes(shop)

    assert await shop.expire() == 1

    assert (await shop.order(unavailable.value.order_id)).status is OrderStatus.FAILED
    assert await shop.stock_of(book) == 5
    assert provider.status_requests == []  # no intent to ask about


async def test_orders_left_pending_do_not_stop_the_pass(uow: UnitOfWorkFactory, clock: FrozenClock) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.REQUIRES_ACTION)
    shop = make_shop(uow, provider, clock)
    orders = [(await _pending(shop, f"u{n}@example.com"))[0] for n in range(5)]
    for order in orders[:3]:
        provider.intents[order.payment_intent_id or ""] = PaymentIntentStatus(IntentState.PROCESSING)
    time_passes(shop)

    assert await ExpirePendingOrders(uow, provider, clock, TIME_TO_PAY, batch_size=2)() == 2

    statuses = [(await shop.order(o.id or 0)).status for o in orders]
    assert statuses == [OrderStatus.PENDING] * 3 + [OrderStatus.FAILED] * 2


async def test_no_lock_is_held_while_the_provider_is_asked(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = LockCheckingProvider(BuiltInTestPaymentProvider(), uow)
    shop = make_shop(uow, provider, clock)
    order, _ = await _pending(shop)
    calls = provider.calls
    time_passes(shop)

    assert await shop.expire() == 1

    assert provider.calls == calls + 2  # status, then cancel
    assert (await shop.order(order.id or 0)).status is OrderStatus.FAILED
