"""Cancelling an unpaid order, and paying for it again, on every store: the order settles once,
its stock moves once, and the customer is never charged twice."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.cancel_order import CancelOrder
from application.errors import NotFound, PaymentDeclined, PaymentUnavailable
from application.pay_for_order import PayForOrder
from application.ports import (
    ChargeOutcome,
    IntentState,
    PaymentEvent,
    PaymentEventKind,
    PaymentIntentStatus,
    UnitOfWorkFactory,
)
from domain.errors import OrderNotPending
from domain.ordering import FailureReason, Order, OrderStatus
from tests.fakes import FrozenClock, ScriptedPaymentProvider
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop

PAYS = "pm_card_visa"
DECLINED = "pm_card_visa_chargeDeclined"
AUTHENTICATION_REQUIRED = "pm_card_authenticationRequired"


@dataclass(frozen=True)
class Customer:
    shop: Shop
    user_id: int
    book: int
    cancel: CancelOrder
    pay: PayForOrder

    async def pending_order(self, payment_method_id: str | None = None) -> Order:
        """Two copies of the book, bought and awaiting the customer (3-D Secure)."""
        await self.shop.add_to_cart(self.user_id, self.book, 2)
        order = (await self.shop.checkout(self.user_id, payment_method_id)).order
        assert order.status is OrderStatus.PENDING
        return order

    async def paid_order(self) -> Order:
        await self.shop.add_to_cart(self.user_id, self.book, 1)
        return (await self.shop.checkout(self.user_id, PAYS)).order

    async def declined_order(self) -> Order:
        await self.shop.add_to_cart(self.user_id, self.book, 1)
        with pytest.raises(PaymentDeclined) as declined:
            await self.shop.checkout(self.user_id, DECLINED)
        await self.shop.remove_from_cart(self.user_id, self.book, None)
        return await self.shop.order(declined.value.order_id)


async def customer_of(shop: Shop) -> Customer:
    return Customer(
        shop=shop,
        user_id=await shop.customer(),
        book=await shop.book("The Horse and His Boy", stock=5),
        cancel=CancelOrder(shop.uow, shop.provider, shop.clock),
        pay=PayForOrder(shop.uow, shop.provider, shop.clock),
    )


@pytest.fixture
async def ann(shop: Shop) -> Customer:
    return await customer_of(shop)


def built_in(shop: Shop) -> BuiltInTestPaymentProvider:
    assert isinstance(shop.provider, BuiltInTestPaymentProvider)
    return shop.provider


# --- cancel --------------------------------------------------------------------------------------


async def test_a_cancelled_order_fails_gives_its_stock_back_and_can_never_be_charged(ann: Customer) -> None:
    order = await ann.pending_order()
    assert await ann.shop.stock_of(ann.book) == 3

    cancelled = await ann.cancel(ann.user_id, order.id or 0)

    assert (cancelled.status, cancelled.failure_reason) == (OrderStatus.FAILED, FailureReason.CANCELLED)
    assert cancelled.client_secret_for_owner is None
    stored = await ann.shop.order(order.id or 0)
    assert (stored.status, stored.failure_reason, stored.payment_client_secret) == (
        OrderStatus.FAILED,
        FailureReason.CANCELLED,
        None,
    )
    assert await ann.shop.stock_of(ann.book) == 5
    assert (await ann.shop.provider.status(order.payment_intent_id or "")).state is IntentState.CANCELED


async def test_paid_and_failed_orders_are_not_cancellable_and_nothing_moves(ann: Customer) -> None:
    paid, failed = await ann.paid_order(), await ann.declined_order()
    stock = await ann.shop.stock_of(ann.book)

    for order in (paid, failed):
        with pytest.raises(OrderNotPending):
            await ann.cancel(ann.user_id, order.id or 0)

    assert (await ann.shop.order(paid.id or 0)).status is OrderStatus.PAID
    assert (await ann.shop.order(failed.id or 0)).failure_reason is FailureReason.DECLINED
    assert await ann.shop.stock_of(ann.book) == stock


async def test_someone_elses_order_and_a_missing_one_are_not_found(ann: Customer) -> None:
    order = await ann.pending_order()
    bob = await ann.shop.customer("bob@example.com")

    for user_id, order_id in [(bob, order.id or 0), (ann.user_id, 999)]:
        with pytest.raises(NotFound):
            await ann.cancel(user_id, order_id)
        with pytest.raises(NotFound):
            await ann.pay(user_id, order_id, PAYS)

    assert (await ann.shop.order(order.id or 0)).status is OrderStatus.PENDING


async def test_an_order_the_customer_paid_before_the_cancel_reached_the_provider_is_paid(
    ann: Customer,
) -> None:
    order = await ann.pending_order()
    built_in(ann.shop).confirm(order.payment_intent_id or "")  # 3-D Secure completed; no webhook yet

    answer = await ann.cancel(ann.user_id, order.id or 0)

    assert (answer.status, answer.failure_reason) == (OrderStatus.PAID, None)
    assert await ann.shop.stock_of(ann.book) == 3


async def test_a_provider_that_cannot_be_asked_leaves_the_order_unchanged(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.REQUIRES_ACTION)
    ann = await customer_of(make_shop(uow, provider, clock))
    order = await ann.pending_order()
    provider.intents[order.payment_intent_id or ""] = PaymentIntentStatus(IntentState.UNKNOWN)

    with pytest.raises(PaymentUnavailable):
        await ann.cancel(ann.user_id, order.id or 0)

    assert (await ann.shop.order(order.id or 0)).status is OrderStatus.PENDING
    assert await ann.shop.stock_of(ann.book) == 3


async def test_an_order_whose_charge_never_named_an_intent_is_cancelled_without_the_provider(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.UNKNOWN, names_intent=False)
    ann = await customer_of(make_shop(uow, provider, clock))
    await ann.shop.add_to_cart(ann.user_id, ann.book, 2)
    with pytest.raises(PaymentUnavailable) as unclear:
        await ann.shop.checkout(ann.user_id, PAYS)

    cancelled = await ann.cancel(ann.user_id, unclear.value.order_id)

    assert cancelled.failure_reason is FailureReason.CANCELLED
    assert provider.cancelled == []
    assert await ann.shop.stock_of(ann.book) == 5


# --- pay again -----------------------------------------------------------------------------------


async def test_paying_again_confirms_the_same_intent_and_the_order_is_paid(ann: Customer) -> None:
    order = await ann.pending_order()

    paid = await ann.pay(ann.user_id, order.id or 0, PAYS)

    assert (paid.status, paid.payment_intent_id) == (OrderStatus.PAID, order.payment_intent_id)
    assert paid.client_secret_for_owner is None
    assert built_in(ann.shop).charge_count == 1  # no second intent, no second charge
    assert await ann.shop.stock_of(ann.book) == 3


async def test_a_declined_new_attempt_leaves_the_order_pending_with_its_stock_for_another(
    ann: Customer,
) -> None:
    order = await ann.pending_order()

    with pytest.raises(PaymentDeclined) as declined:
        await ann.pay(ann.user_id, order.id or 0, DECLINED)

    assert declined.value.order_id == order.id
    stored = await ann.shop.order(order.id or 0)
    assert (stored.status, stored.failure_reason) == (OrderStatus.PENDING, None)
    assert await ann.shop.stock_of(ann.book) == 3
    assert (await ann.pay(ann.user_id, order.id or 0, PAYS)).status is OrderStatus.PAID


async def test_a_new_attempt_that_needs_the_customer_keeps_the_client_secret(ann: Customer) -> None:
    order = await ann.pending_order()
    first_secret = (await ann.shop.order(order.id or 0)).payment_client_secret
    assert first_secret is not None
    assert first_secret.startswith(f"{order.payment_intent_id}_secret_")

    answer = await ann.pay(ann.user_id, order.id or 0, AUTHENTICATION_REQUIRED)

    assert answer.status is OrderStatus.PENDING
    assert answer.client_secret_for_owner == first_secret  # one intent, one client secret


async def test_paid_and_failed_orders_are_not_paid_for_again(ann: Customer) -> None:
    paid, failed = await ann.paid_order(), await ann.declined_order()

    for order in (paid, failed):
        with pytest.raises(OrderNotPending):
            await ann.pay(ann.user_id, order.id or 0, PAYS)
        with pytest.raises(OrderNotPending):  # a refusal does not hold the key
            await ann.pay(ann.user_id, order.id or 0, PAYS, "key-1")

    assert built_in(ann.shop).charge_count == 2  # the two checkouts, nothing more


async def test_the_same_key_again_gets_the_first_answer_and_charges_once(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.REQUIRES_ACTION, ChargeOutcome.SUCCEEDED)
    ann = await customer_of(make_shop(uow, provider, clock))
    order = await ann.pending_order()

    first = await ann.pay(ann.user_id, order.id or 0, PAYS, "retry-me")
    again = await ann.pay(ann.user_id, order.id or 0, PAYS, "retry-me")

    assert (first.status, again.status) == (OrderStatus.PAID, OrderStatus.PAID)
    assert len(provider.pay_again_requests) == 1
    assert provider.pay_again_requests[0].idempotency_key != f"bookshop-order-{order.id}"


async def test_a_declined_attempt_is_answered_again_for_its_key_and_a_new_key_tries_again(
    ann: Customer,
) -> None:
    order = await ann.pending_order()
    with pytest.raises(PaymentDeclined):
        await ann.pay(ann.user_id, order.id or 0, DECLINED, "attempt-1")

    with pytest.raises(PaymentDeclined):
        await ann.pay(ann.user_id, order.id or 0, PAYS, "attempt-1")

    assert (await ann.pay(ann.user_id, order.id or 0, PAYS, "attempt-2")).status is OrderStatus.PAID


async def test_each_attempt_without_a_key_has_its_own_provider_key(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.REQUIRES_ACTION, ChargeOutcome.DECLINED)
    ann = await customer_of(make_shop(uow, provider, clock))
    order = await ann.pending_order()

    for _ in range(2):
        with pytest.raises(PaymentDeclined):
            await ann.pay(ann.user_id, order.id or 0, DECLINED)

    keys = [request.idempotency_key for request in provider.pay_again_requests]
    assert len(set(keys)) == 2
    assert f"bookshop-order-{order.id}" not in keys
    assert {r.payment_intent_id for r in provider.pay_again_requests} == {order.payment_intent_id}


async def test_an_order_with_no_intent_yet_gets_one_when_paid_again(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.UNKNOWN, ChargeOutcome.SUCCEEDED, names_intent=False)
    ann = await customer_of(make_shop(uow, provider, clock))
    await ann.shop.add_to_cart(ann.user_id, ann.book, 2)
    with pytest.raises(PaymentUnavailable) as unclear:
        await ann.shop.checkout(ann.user_id, PAYS)

    paid = await ann.pay(ann.user_id, unclear.value.order_id, PAYS)

    assert paid.status is OrderStatus.PAID
    checkout_key, retry_key = (request.idempotency_key for request in provider.requests)
    assert checkout_key != retry_key
    assert await ann.shop.stock_of(ann.book) == 3


async def test_a_provider_unreachable_on_the_new_attempt_leaves_the_order_as_it_was(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.REQUIRES_ACTION, ChargeOutcome.UNAVAILABLE)
    ann = await customer_of(make_shop(uow, provider, clock))
    order = await ann.pending_order()

    with pytest.raises(PaymentUnavailable):
        await ann.pay(ann.user_id, order.id or 0, PAYS)

    stored = await ann.shop.order(order.id or 0)
    assert (stored.status, stored.failure_reason) == (OrderStatus.PENDING, None)
    assert await ann.shop.stock_of(ann.book) == 3


# --- why an order failed -------------------------------------------------------------------------


async def test_each_way_an_order_fails_says_why(uow: UnitOfWorkFactory, clock: FrozenClock) -> None:
    provider = ScriptedPaymentProvider(
        ChargeOutcome.DECLINED, ChargeOutcome.UNAVAILABLE, ChargeOutcome.REQUIRES_ACTION
    )
    ann = await customer_of(make_shop(uow, provider, clock))
    shop = ann.shop
    shop_book = await shop.book("The Magician's Nephew", stock=10)

    async def checkout() -> int:
        await shop.add_to_cart(ann.user_id, shop_book, 1)
        try:
            return (await shop.checkout(ann.user_id, PAYS)).order.id or 0
        except (PaymentDeclined, PaymentUnavailable) as refused:
            await shop.remove_from_cart(ann.user_id, shop_book, None)
            return refused.order_id

    declined, unavailable, failed_event = await checkout(), await checkout(), await checkout()
    await shop.settle(
        PaymentEvent(event_id="evt_failed", kind=PaymentEventKind.FAILED, order_id=failed_event)
    )
    cancelled = await checkout()
    await ann.cancel(ann.user_id, cancelled)
    expired = await checkout()
    clock.advance(TIME_TO_PAY.total_seconds() + 1)
    await shop.expire()

    orders = (declined, unavailable, failed_event, expired, cancelled)
    assert [(await shop.order(order_id)).failure_reason for order_id in orders] == [
        FailureReason.DECLINED,
        FailureReason.PAYMENT_UNAVAILABLE,
        FailureReason.DECLINED,
        FailureReason.EXPIRED,
        FailureReason.CANCELLED,
    ]
    assert await shop.stock_of(shop_book) == 10
