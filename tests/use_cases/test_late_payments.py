"""A payment that succeeds after its order FAILED (expired, cancelled, declined then paid after all)
is never kept: it is refunded in full through the provider, once, and recorded on the order."""

from __future__ import annotations

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.errors import PaymentDeclined, PaymentUnavailable, RefundUnavailable
from application.ports import (
    ChargeOutcome,
    PaymentEvent,
    PaymentEventKind,
    RefundOutcome,
    UnitOfWorkFactory,
)
from application.settle_payment import Settlement, late_payment_refund_key
from domain.ordering import Order, OrderStatus
from tests.fakes import FrozenClock, LockCheckingProvider, ScriptedPaymentProvider
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop

SUCCEEDED = PaymentEventKind.SUCCEEDED


def paid(order: Order, event_id: str = "evt_paid") -> PaymentEvent:
    """The provider's word that the order's payment intent received the order's total."""
    return PaymentEvent(
        event_id=event_id,
        kind=SUCCEEDED,
        payment_intent_id=order.payment_intent_id,
        order_id=order.id,
        amount_cents=order.total_amount_cents,
        currency=order.currency,
    )


async def _failed_order(shop: Shop) -> tuple[Order, int]:
    """An order the customer did not pay in time: expired, its stock back on the shelf."""
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", price_cents=899, stock=5)
    await shop.add_to_cart(ann, caspian, 2)
    order = (await shop.checkout(ann, None)).order
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    assert await shop.expire() == 1
    return await shop.order(order.id or 0), caspian


def built_in(shop: Shop) -> BuiltInTestPaymentProvider:
    assert isinstance(shop.provider, BuiltInTestPaymentProvider)
    return shop.provider


async def test_a_payment_after_expiry_is_refunded_in_full_and_recorded(shop: Shop) -> None:
    order, caspian = await _failed_order(shop)

    assert await shop.settle(paid(order)) is Settlement.REFUNDED

    [refund] = built_in(shop).refunds
    assert (refund.payment_intent_id, refund.amount_cents) == (order.payment_intent_id, 1798)
    assert refund.idempotency_key == late_payment_refund_key(order.payment_intent_id or "")
    stored = await shop.order(order.id or 0)
    assert (stored.status, stored.refunded_cents) == (OrderStatus.FAILED, 1798)
    assert await shop.stock_of(caspian) == 5


async def test_a_redelivered_late_payment_is_refunded_once(shop: Shop) -> None:
    order, _ = await _failed_order(shop)
    await shop.settle(paid(order, "evt_1"))

    assert await shop.settle(paid(order, "evt_1")) is Settlement.DUPLICATE
    assert await shop.settle(paid(order, "evt_2")) is Settlement.ALREADY_FINAL  # nothing left to refund

    assert len(built_in(shop).refunds) == 1
    assert (await shop.order(order.id or 0)).refunded_cents == 1798


async def test_a_declined_payment_that_succeeds_after_all_is_refunded(shop: Shop) -> None:
    ann = await shop.customer()
    await shop.add_to_cart(ann, await shop.book("The Silver Chair", price_cents=899), 1)
    with pytest.raises(PaymentDeclined) as declined:
        await shop.checkout(ann, "pm_card_visa_chargeDeclined")
    order = await shop.order(declined.value.order_id)
    assert order.payment_intent_id is not None  # the customer retried on the same intent, and paid

    assert await shop.settle(paid(order)) is Settlement.REFUNDED

    assert (await shop.order(order.id or 0)).refunded_cents == 899


async def test_a_late_payment_for_another_amount_is_not_refunded_automatically(shop: Shop) -> None:
    order, _ = await _failed_order(shop)
    odd = PaymentEvent(
        event_id="evt_odd",
        kind=SUCCEEDED,
        payment_intent_id=order.payment_intent_id,
        order_id=order.id,
        amount_cents=1,
        currency="usd",
    )

    assert await shop.settle(odd) is Settlement.AMOUNT_MISMATCH

    assert built_in(shop).refunds == []
    assert (await shop.order(order.id or 0)).refunded_cents == 0


@pytest.mark.parametrize("failure", [RefundOutcome.UNAVAILABLE, RefundOutcome.UNKNOWN, RefundOutcome.REFUSED])
async def test_a_refund_that_cannot_be_made_now_is_retried_when_the_event_comes_again(
    uow: UnitOfWorkFactory, clock: FrozenClock, failure: RefundOutcome
) -> None:
    provider = ScriptedPaymentProvider(
        ChargeOutcome.REQUIRES_ACTION, refund_outcomes=[failure, RefundOutcome.SUCCEEDED]
    )
    shop = make_shop(uow, provider, clock)
    order, _ = await _failed_order(shop)

    with pytest.raises(RefundUnavailable) as unavailable:
        await shop.settle(paid(order, "evt_1"))
    assert unavailable.value.order_id == order.id
    assert (await shop.order(order.id or 0)).refunded_cents == 0  # nothing recorded as refunded

    assert await shop.settle(paid(order, "evt_1")) is Settlement.REFUNDED  # Stripe delivers it again

    first, again = provider.refund_requests
    assert first == again  # the same idempotency key: the provider refunds once, whatever happened first
    assert (await shop.order(order.id or 0)).refunded_cents == 1798


async def test_a_payment_the_provider_already_gave_back_is_recorded(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(
        ChargeOutcome.REQUIRES_ACTION, refund_outcomes=[RefundOutcome.ALREADY_REFUNDED]
    )
    shop = make_shop(uow, provider, clock)
    order, _ = await _failed_order(shop)

    assert await shop.settle(paid(order)) is Settlement.REFUNDED

    assert (await shop.order(order.id or 0)).refunded_cents == 1798


async def test_a_late_payment_for_an_order_that_never_knew_its_intent_is_refunded(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    """The charge's answer was lost (a 5xx after Stripe charged), the order expired: the success
    finds the order by its metadata and is given back through the intent it names."""
    provider = ScriptedPaymentProvider(ChargeOutcome.UNKNOWN, names_intent=False)
    shop = make_shop(uow, provider, clock)
    ann = await shop.customer()
    await shop.add_to_cart(ann, await shop.book("Prince Caspian", price_cents=899), 2)
    order_id = await _checkout_unavailable(shop, ann)
    clock.advance(TIME_TO_PAY.total_seconds() + 1)
    assert await shop.expire() == 1
    event = PaymentEvent(
        event_id="evt_late",
        kind=SUCCEEDED,
        payment_intent_id="pi_lost",
        order_id=order_id,
        amount_cents=1798,
        currency="usd",
    )

    assert await shop.settle(event) is Settlement.REFUNDED

    [refund] = provider.refund_requests
    assert (refund.payment_intent_id, refund.amount_cents) == ("pi_lost", 1798)
    stored = await shop.order(order_id)
    assert (stored.status, stored.refunded_cents, stored.payment_intent_id) == (
        OrderStatus.FAILED,
        1798,
        "pi_lost",
    )


async def test_no_lock_is_held_while_the_refund_is_made(uow: UnitOfWorkFactory, clock: FrozenClock) -> None:
    inner = BuiltInTestPaymentProvider()
    provider = LockCheckingProvider(inner, uow)
    shop = make_shop(uow, provider, clock)
    order, _ = await _failed_order(shop)
    calls = provider.calls

    assert await shop.settle(paid(order)) is Settlement.REFUNDED

    assert provider.calls == calls + 1
    assert len(inner.refunds) == 1


async def _checkout_unavailable(shop: Shop, user_id: int) -> int:
    with pytest.raises(PaymentUnavailable) as unavailable:
        await shop.checkout(user_id, "pm_card_visa")
    return unavailable.value.order_id
