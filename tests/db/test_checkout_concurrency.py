"""Checkout races on a real database: no oversell, no deadlock, no double settlement, no double refund."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.checkout import CheckoutResult
from application.errors import IdempotencyKeyReused, PaymentUnavailable
from application.expire_pending_orders import ExpirePendingOrders
from application.ports import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    PayAgainRequest,
    PaymentEvent,
    PaymentEventKind,
    PaymentIntentStatus,
    RefundRequest,
    RefundResult,
    UnitOfWork,
)
from application.settle_payment import Settlement, SettlePayment
from domain.limits import PurchaseLimits
from domain.ordering import Order, OrderStatus
from tests.fakes import FrozenClock
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop

BUYERS = 30


@pytest.fixture
async def shop(database_url: str) -> AsyncIterator[Shop]:
    engine: AsyncEngine = create_engine(database_url, pool_size=BUYERS)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    yield make_shop(uow, BuiltInTestPaymentProvider(), FrozenClock())
    await engine.dispose()


async def test_thirty_buyers_for_five_units_make_exactly_five_orders(shop: Shop) -> None:
    last_five = await shop.book("The Last Battle", stock=5)
    buyers = [await shop.customer(f"buyer{n}@example.com") for n in range(BUYERS)]
    for buyer in buyers:
        await shop.add_to_cart(buyer, last_five, 1)

    results = await asyncio.gather(
        *(shop.checkout(b, "pm_card_visa") for b in buyers), return_exceptions=True
    )

    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"CheckoutResult": 5, "InsufficientStock": BUYERS - 5}, outcomes
    paid = [r.order for r in results if not isinstance(r, BaseException)]
    assert all(order.status is OrderStatus.PAID for order in paid)
    assert await shop.stock_of(last_five) == 0


async def test_buyers_taking_two_books_in_opposite_order_never_deadlock(shop: Shop) -> None:
    first = await shop.book("Prince Caspian", stock=40)
    second = await shop.book("The Silver Chair", stock=40)
    left = [await shop.customer(f"left{n}@example.com") for n in range(10)]
    right = [await shop.customer(f"right{n}@example.com") for n in range(10)]
    for buyer in left:
        await shop.add_to_cart(buyer, first, 1)
        await shop.add_to_cart(buyer, second, 1)
    for buyer in right:
        await shop.add_to_cart(buyer, second, 1)
        await shop.add_to_cart(buyer, first, 1)

    results = await asyncio.gather(
        *(shop.checkout(b, "pm_card_visa") for b in left + right), return_exceptions=True
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert (await shop.stock_of(first), await shop.stock_of(second)) == (20, 20)


async def test_one_key_sent_many_times_at_once_charges_once(shop: Shop) -> None:
    caspian = await shop.book("Prince Caspian", stock=10)
    ann = await shop.customer()
    await shop.add_to_cart(ann, caspian, 2)

    results = await asyncio.gather(
        *(shop.checkout(ann, "pm_card_visa", "double-click") for _ in range(10)), return_exceptions=True
    )

    orders = {r.order.id for r in results if not isinstance(r, BaseException)}
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(orders) == 1
    assert all(isinstance(r, IdempotencyKeyReused) for r in refused)
    assert await shop.stock_of(caspian) == 8


async def test_expiry_on_two_hosts_and_a_late_webhook_settle_each_order_once(shop: Shop) -> None:
    caspian = await shop.book("Prince Caspian", stock=20)
    pending = []
    for n in range(10):
        buyer = await shop.customer(f"slow{n}@example.com")
        await shop.add_to_cart(buyer, caspian, 2)
        pending.append((await shop.checkout(buyer, None)).order)
    assert await shop.stock_of(caspian) == 0
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    host_a = ExpirePendingOrders(shop.uow, shop.provider, shop.clock, TIME_TO_PAY, batch_size=3)
    host_b = ExpirePendingOrders(shop.uow, shop.provider, shop.clock, TIME_TO_PAY, batch_size=3)
    webhooks = SettlePayment(shop.uow, shop.provider, shop.clock)
    events = [
        webhooks(PaymentEvent(event_id=f"evt_{o.id}", kind=PaymentEventKind.FAILED, order_id=o.id))
        for o in pending
    ]

    expired_a, expired_b, settled = await asyncio.gather(host_a(), host_b(), asyncio.gather(*events))

    failed_by_webhook = sum(1 for s in settled if s is Settlement.FAILED)
    assert expired_a + expired_b + failed_by_webhook == len(pending)  # each order settled exactly once
    for order in pending:
        assert (await shop.order(order.id or 0)).status is OrderStatus.FAILED
    assert await shop.stock_of(caspian) == 20


async def test_a_double_click_on_pay_without_a_key_makes_one_order(shop: Shop) -> None:
    caspian = await shop.book("Prince Caspian", stock=10)
    ann = await shop.customer()
    await shop.add_to_cart(ann, caspian, 2)

    results = await asyncio.gather(
        *(shop.checkout(ann, "pm_card_visa") for _ in range(5)), return_exceptions=True
    )

    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"CheckoutResult": 1, "CartEmpty": 4}, outcomes
    assert await shop.stock_of(caspian) == 8
    assert len(await shop.orders_of(ann)) == 1


class LostAnswers:
    """The built-in provider takes every payment, but its answer is lost on the way back (a 5xx
    after Stripe charged): checkout sees UNKNOWN, with no intent named."""

    def __init__(self) -> None:
        self.inner = BuiltInTestPaymentProvider()
        self.intent_of: dict[int, str] = {}

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        result = await self.inner.charge(request)
        assert result.outcome is ChargeOutcome.SUCCEEDED
        assert result.payment_intent_id is not None
        self.intent_of[request.order_id] = result.payment_intent_id
        return ChargeResult(ChargeOutcome.UNKNOWN)

    async def status(self, payment_intent_id: str) -> PaymentIntentStatus:
        return await self.inner.status(payment_intent_id)

    async def cancel(self, payment_intent_id: str) -> PaymentIntentStatus:
        return await self.inner.cancel(payment_intent_id)

    async def refund(self, request: RefundRequest) -> RefundResult:
        return await self.inner.refund(request)

    async def pay_again(self, request: PayAgainRequest) -> ChargeResult:
        return await self.inner.pay_again(request)


def succeeded(order: Order, payment_intent_id: str) -> PaymentEvent:
    return PaymentEvent(
        event_id=f"evt_paid_{order.id}",
        kind=PaymentEventKind.SUCCEEDED,
        payment_intent_id=payment_intent_id,
        order_id=order.id,
        amount_cents=order.total_amount_cents,
        currency=order.currency,
    )


async def test_a_late_success_racing_the_expiry_settles_each_order_once(database_url: str) -> None:
    """Each order: the webhook first (PAID, the expiry then leaves it), or the expiry first (FAILED,
    stock back, and the webhook gives the payment back in full). Never both, never twice."""
    engine = create_engine(database_url, pool_size=BUYERS)
    provider = LostAnswers()
    shop = make_shop(lambda: SqlUnitOfWork(engine), provider, FrozenClock())
    try:
        caspian = await shop.book("Prince Caspian", price_cents=899, stock=20)
        pending = []
        for n in range(10):
            buyer = await shop.customer(f"lost{n}@example.com")
            await shop.add_to_cart(buyer, caspian, 2)
            with pytest.raises(PaymentUnavailable) as unavailable:
                await shop.checkout(buyer, "pm_card_visa")
            pending.append(await shop.order(unavailable.value.order_id))
        assert {o.status for o in pending} == {OrderStatus.PENDING}
        assert await shop.stock_of(caspian) == 0
        shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
        host_a = ExpirePendingOrders(shop.uow, provider, shop.clock, TIME_TO_PAY, batch_size=3)
        host_b = ExpirePendingOrders(shop.uow, provider, shop.clock, TIME_TO_PAY, batch_size=3)
        webhook = SettlePayment(shop.uow, provider, shop.clock)

        async def deliver(n: int, order: Order) -> Settlement:
            await asyncio.sleep(0.01 * n)  # spread out, so that the expiry overtakes some of them
            return await webhook(succeeded(order, provider.intent_of[order.id or 0]))

        expired_a, expired_b, settled = await asyncio.gather(
            host_a(), host_b(), asyncio.gather(*(deliver(n, o) for n, o in enumerate(pending)))
        )

        assert set(settled) <= {Settlement.PAID, Settlement.REFUNDED}, settled
        refunds = Counter(refund.payment_intent_id for refund in provider.inner.refunds)
        orders = [await shop.order(o.id or 0) for o in pending]
        for order, settlement in zip(orders, settled, strict=True):
            refunded = refunds[provider.intent_of[order.id or 0]]
            if order.status is OrderStatus.PAID:
                assert (settlement, order.refunded_cents, refunded) == (Settlement.PAID, 0, 0)
            else:
                assert (settlement, order.refunded_cents, refunded) == (Settlement.REFUNDED, 1798, 1)
        paid = sum(1 for o in orders if o.status is OrderStatus.PAID)
        assert expired_a + expired_b == len(pending) - paid
        assert await shop.stock_of(caspian) == 20 - 2 * paid
    finally:
        await engine.dispose()


async def test_a_success_racing_the_expiry_of_orders_paid_at_the_provider_makes_them_paid(shop: Shop) -> None:
    """The customer paid; the webhook and the expiry (which asks the provider) both say PAID:
    whichever comes first settles the order, the other changes nothing."""
    provider = shop.provider
    assert isinstance(provider, BuiltInTestPaymentProvider)
    caspian = await shop.book("Prince Caspian", price_cents=899, stock=20)
    pending = []
    for n in range(10):
        buyer = await shop.customer(f"paid{n}@example.com")
        await shop.add_to_cart(buyer, caspian, 2)
        order = (await shop.checkout(buyer, None)).order
        provider.confirm(order.payment_intent_id or "")
        pending.append(order)
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    host_a = ExpirePendingOrders(shop.uow, provider, shop.clock, TIME_TO_PAY, batch_size=3)
    host_b = ExpirePendingOrders(shop.uow, provider, shop.clock, TIME_TO_PAY, batch_size=3)
    webhook = SettlePayment(shop.uow, provider, shop.clock)

    expired_a, expired_b, settled = await asyncio.gather(
        host_a(),
        host_b(),
        asyncio.gather(*(webhook(succeeded(o, o.payment_intent_id or "")) for o in pending)),
    )

    assert (expired_a, expired_b) == (0, 0)
    assert set(settled) <= {Settlement.PAID, Settlement.ALREADY_FINAL}
    assert {(await shop.order(o.id or 0)).status for o in pending} == {OrderStatus.PAID}
    assert provider.refunds == []
    assert await shop.stock_of(caspian) == 0


async def test_one_customer_checking_out_from_many_tabs_at_once_never_holds_more_than_the_cap(
    shop: Shop,
) -> None:
    """Adds and unpaid checkouts of one customer, interleaved at random by the database: whichever
    order they land in, never more than MAX_PENDING_ORDERS_PER_USER orders hold stock."""
    hoarder = make_shop(
        shop.uow, shop.provider, shop.clock, PurchaseLimits(max_quantity_per_line=1000, max_pending_orders=2)
    )
    caspian = await shop.book("Prince Caspian", stock=1000)
    ann = await shop.customer()

    async def add_and_check_out() -> CheckoutResult:
        await hoarder.add_to_cart(ann, caspian, 1)
        return await hoarder.checkout(ann, None)

    results = []
    for _ in range(3):
        results += await asyncio.gather(*(add_and_check_out() for _ in range(10)), return_exceptions=True)

    outcomes = Counter(type(r).__name__ for r in results)
    # A tab may check out the cart another tab has just made, before its address is set.
    refusals = {"TooManyPendingOrders", "CartEmpty", "ShippingAddressRequired"}
    assert set(outcomes) <= {"CheckoutResult", *refusals}, outcomes
    assert outcomes["CheckoutResult"] == 2, outcomes
    orders = await shop.orders_of(ann)
    assert [o.status for o in orders] == [OrderStatus.PENDING] * 2
    reserved = sum(item.quantity for order in orders for item in order.items)
    assert await shop.stock_of(caspian) == 1000 - reserved
    assert reserved + sum(line.quantity for line in (await shop.view_cart(ann)).lines) == 30
