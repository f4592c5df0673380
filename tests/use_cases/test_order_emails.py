"""The customer's emails about their order, on every store: each change that causes one records
exactly one message (kind, recipient, key) in its own transaction; a refused change, a decline the
customer saw answered at once, and a redelivered webhook record nothing (more)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.cancel_order import CancelOrder
from application.errors import PaymentDeclined, RefundNotMade, RefundRefused
from application.fulfilment import ShipOrder
from application.outbox import StoredMessage
from application.pay_for_order import PayForOrder
from application.ports import (
    ChargeOutcome,
    PaymentEvent,
    PaymentEventKind,
    ProviderRefund,
    RefundOutcome,
    UnitOfWorkFactory,
)
from application.refund_order import RefundAsked, RefundOrder
from application.settle_payment import Settlement
from domain.errors import OrderNotShippable
from domain.ordering import Order, OrderStatus
from domain.refunds import RestockLine
from tests.fakes import FrozenClock, ScriptedPaymentProvider
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop

ANN = "ann@example.com"
PAYS = "pm_card_visa"
DECLINED = "pm_card_visa_chargeDeclined"
AUTHENTICATION_REQUIRED = "pm_card_authenticationRequired"


@dataclass(frozen=True)
class Buyer:
    shop: Shop
    user_id: int
    book: int

    async def order(self, payment_method_id: str | None = PAYS, quantity: int = 2) -> Order:
        await self.shop.add_to_cart(self.user_id, self.book, quantity)
        return (await self.shop.checkout(self.user_id, payment_method_id)).order


@pytest.fixture
async def ann(shop: Shop) -> Buyer:
    return Buyer(shop, await shop.customer(ANN), await shop.book("The Horse and His Boy", price_cents=1250))


async def messages(shop: Shop) -> list[StoredMessage]:
    """Every message recorded so far (none is sent in these tests), oldest first."""
    async with shop.uow() as tx:
        ids = await tx.outbox.due(shop.clock.now(), 100)
        found = [await tx.outbox.get(message_id) for message_id in ids]
    return sorted((m for m in found if m is not None), key=lambda m: (m.created_at, m.key))


async def sent_about(shop: Shop) -> list[tuple[str, str, str]]:
    return [(m.kind, m.recipient, m.key) for m in await messages(shop)]


def paid_event(order: Order, event_id: str = "evt_paid") -> PaymentEvent:
    return PaymentEvent(
        event_id=event_id,
        kind=PaymentEventKind.SUCCEEDED,
        payment_intent_id=order.payment_intent_id,
        order_id=order.id,
        amount_cents=order.total_amount_cents,
        currency=order.currency,
    )


def built_in(shop: Shop) -> BuiltInTestPaymentProvider:
    assert isinstance(shop.provider, BuiltInTestPaymentProvider)
    return shop.provider


# --- paid ----------------------------------------------------------------------------------------


async def test_a_paid_checkout_records_one_confirmation_with_the_order(shop: Shop, ann: Buyer) -> None:
    order = await ann.order()

    [message] = await messages(shop)
    assert (message.kind, message.recipient, message.key) == ("order_paid", ANN, f"order-paid:{order.id}")
    context = dict(message.context)
    assert context["order_id"] == order.id
    assert context["total_cents"] == order.total_amount_cents == 2500
    assert context["currency"] == "usd"
    assert context["lines"] == [
        {"title": "The Horse and His Boy", "quantity": 2, "unit_price_cents": 1250, "line_total_cents": 2500}
    ]
    assert context["address"] == ["Ann Reader", "1 High Street", "Oxford", "OX1 1AA", "GB"]


async def test_a_declined_checkout_records_nothing(shop: Shop, ann: Buyer) -> None:
    with pytest.raises(PaymentDeclined):
        await ann.order(DECLINED)

    assert await messages(shop) == []


async def test_an_order_paid_by_webhook_is_confirmed_once_however_often_the_provider_says_so(
    shop: Shop, ann: Buyer
) -> None:
    order = await ann.order(None)
    assert await messages(shop) == []

    assert await shop.settle(paid_event(order)) is Settlement.PAID
    assert await shop.settle(paid_event(order)) is Settlement.DUPLICATE
    assert await shop.settle(paid_event(order, "evt_again")) is Settlement.ALREADY_FINAL

    assert await sent_about(shop) == [("order_paid", ANN, f"order-paid:{order.id}")]


async def test_the_expiry_finding_an_order_paid_confirms_it(shop: Shop, ann: Buyer) -> None:
    order = await ann.order(None)
    built_in(shop).confirm(order.payment_intent_id or "")
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)

    await shop.expire()

    assert (await shop.order(order.id or 0)).status is OrderStatus.PAID
    assert await sent_about(shop) == [("order_paid", ANN, f"order-paid:{order.id}")]


async def test_paying_again_confirms_the_order_and_a_decline_records_nothing(shop: Shop, ann: Buyer) -> None:
    pay = PayForOrder(shop.uow, shop.provider, shop.clock)
    order = await ann.order(AUTHENTICATION_REQUIRED)

    with pytest.raises(PaymentDeclined):
        await pay(ann.user_id, order.id or 0, DECLINED)
    assert await messages(shop) == []

    assert (await pay(ann.user_id, order.id or 0, PAYS)).status is OrderStatus.PAID
    assert await sent_about(shop) == [("order_paid", ANN, f"order-paid:{order.id}")]


# --- failed --------------------------------------------------------------------------------------


async def test_an_expired_order_records_one_failure_email(shop: Shop, ann: Buyer) -> None:
    order = await ann.order(None)
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)

    assert await shop.expire() == 1
    assert await shop.expire() == 0

    [message] = await messages(shop)
    assert (message.kind, message.recipient, message.key) == ("order_failed", ANN, f"order-failed:{order.id}")
    assert message.context["reason"] == "expired"


async def test_a_cancelled_order_records_one_failure_email(shop: Shop, ann: Buyer) -> None:
    cancel = CancelOrder(shop.uow, shop.provider, shop.clock)
    order = await ann.order(None)

    await cancel(ann.user_id, order.id or 0)

    [message] = await messages(shop)
    assert (message.kind, message.key, message.context["reason"]) == (
        "order_failed",
        f"order-failed:{order.id}",
        "cancelled",
    )


async def test_cancelling_an_order_found_paid_confirms_it_instead(shop: Shop, ann: Buyer) -> None:
    cancel = CancelOrder(shop.uow, shop.provider, shop.clock)
    order = await ann.order(None)
    built_in(shop).confirm(order.payment_intent_id or "")

    assert (await cancel(ann.user_id, order.id or 0)).status is OrderStatus.PAID

    assert await sent_about(shop) == [("order_paid", ANN, f"order-paid:{order.id}")]


async def test_a_failure_by_the_providers_decline_event_records_nothing(shop: Shop, ann: Buyer) -> None:
    order = await ann.order(None)
    failed = PaymentEvent(
        event_id="evt_failed",
        kind=PaymentEventKind.FAILED,
        payment_intent_id=order.payment_intent_id,
        order_id=order.id,
    )

    assert await shop.settle(failed) is Settlement.FAILED

    assert await messages(shop) == []


# --- shipped -------------------------------------------------------------------------------------


async def test_shipping_records_one_email_with_carrier_and_tracking_number(shop: Shop, ann: Buyer) -> None:
    ship = ShipOrder(shop.uow, shop.clock)
    order = await ann.order()

    await ship(order.id or 0, "Royal Mail", "RM123456789GB")
    with pytest.raises(OrderNotShippable):
        await ship(order.id or 0, "DHL", "JD01")

    shipped = [m for m in await messages(shop) if m.kind == "order_shipped"]
    assert [(m.recipient, m.key) for m in shipped] == [(ANN, f"order-shipped:{order.id}")]
    assert (shipped[0].context["carrier"], shipped[0].context["tracking_number"]) == (
        "Royal Mail",
        "RM123456789GB",
    )


async def test_refusing_to_ship_an_unpaid_order_records_nothing(shop: Shop, ann: Buyer) -> None:
    ship = ShipOrder(shop.uow, shop.clock)
    order = await ann.order(None)

    with pytest.raises(OrderNotShippable):
        await ship(order.id or 0, "Royal Mail", "RM1")

    assert await messages(shop) == []


# --- refunds -------------------------------------------------------------------------------------


async def _staff(shop: Shop) -> int:
    return await shop.customer("staff@example.com")


async def test_a_staff_refund_records_one_email_with_amount_and_restock(shop: Shop, ann: Buyer) -> None:
    order = await ann.order()
    refund_order = RefundOrder(shop.uow, shop.provider, shop.clock)

    refund = await refund_order(
        RefundAsked(
            order_id=order.id or 0,
            staff_id=await _staff(shop),
            amount_cents=1250,
            restock=(RestockLine(product_id=ann.book, quantity=1),),
            idempotency_key="k1",
        )
    )

    refunds = [m for m in await messages(shop) if m.kind == "refund_issued"]
    assert [(m.recipient, m.key) for m in refunds] == [(ANN, f"refund:{refund.id}")]
    context = refunds[0].context
    assert (context["amount_cents"], context["refunded_cents"], context["order_id"]) == (1250, 1250, order.id)
    assert context["restocked"] == [{"title": "The Horse and His Boy", "quantity": 1}]


async def test_a_refund_the_provider_refuses_records_nothing(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    shop = make_shop(
        uow, ScriptedPaymentProvider(ChargeOutcome.SUCCEEDED, refund_outcomes=[RefundOutcome.REFUSED]), clock
    )
    buyer = Buyer(shop, await shop.customer(ANN), await shop.book("Prince Caspian"))
    order = await buyer.order()

    with pytest.raises(RefundRefused):
        await RefundOrder(shop.uow, shop.provider, shop.clock)(
            RefundAsked(order_id=order.id or 0, staff_id=await _staff(shop))
        )

    assert [m.kind for m in await messages(shop)] == ["order_paid"]


async def test_a_pending_refund_is_emailed_once_when_the_providers_event_settles_it(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    shop = make_shop(
        uow, ScriptedPaymentProvider(ChargeOutcome.SUCCEEDED, refund_outcomes=[RefundOutcome.UNKNOWN]), clock
    )
    buyer = Buyer(shop, await shop.customer(ANN), await shop.book("Prince Caspian"))
    order = await buyer.order()
    with pytest.raises(RefundNotMade):  # the provider's answer was lost: the refund stays PENDING
        await RefundOrder(shop.uow, shop.provider, shop.clock)(
            RefundAsked(order_id=order.id or 0, staff_id=await _staff(shop), amount_cents=600)
        )
    [pending] = (await shop.order(order.id or 0)).refunds
    assert [m.kind for m in await messages(shop)] == ["order_paid"]
    told = ProviderRefund(
        refund_id="re_late",
        amount_cents=600,
        outcome=RefundOutcome.SUCCEEDED,
        payment_intent_id=order.payment_intent_id,
        order_id=order.id,
        shop_refund_id=pending.id,
    )
    event = PaymentEvent(event_id="evt_upd", kind=PaymentEventKind.REFUND_UPDATED, refunds=(told,))

    assert await shop.settle(event) is Settlement.REFUND_RECORDED
    assert await shop.settle(event) is Settlement.DUPLICATE

    refunds = [m for m in await messages(shop) if m.kind == "refund_issued"]
    assert [(m.key, m.context["amount_cents"]) for m in refunds] == [(f"refund:{pending.id}", 600)]


async def test_a_refund_made_outside_the_shop_is_emailed_once(shop: Shop, ann: Buyer) -> None:
    order = await ann.order()
    outside = ProviderRefund(
        refund_id="re_dashboard",
        amount_cents=700,
        outcome=RefundOutcome.SUCCEEDED,
        payment_intent_id=order.payment_intent_id,
    )

    def told(event_id: str) -> PaymentEvent:
        return PaymentEvent(event_id=event_id, kind=PaymentEventKind.CHARGE_REFUNDED, refunds=(outside,))

    assert await shop.settle(told("evt_1")) is Settlement.REFUND_RECORDED
    assert await shop.settle(told("evt_1")) is Settlement.DUPLICATE
    assert await shop.settle(told("evt_2")) is Settlement.REFUND_KNOWN

    [refund] = (await shop.order(order.id or 0)).refunds
    refunds = [m for m in await messages(shop) if m.kind == "refund_issued"]
    assert [(m.recipient, m.key, m.context["amount_cents"]) for m in refunds] == [
        (ANN, f"refund:{refund.id}", 700)
    ]


async def test_a_late_payment_refunded_automatically_is_emailed_once(shop: Shop, ann: Buyer) -> None:
    order = await ann.order(None)
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    assert await shop.expire() == 1

    assert await shop.settle(paid_event(order)) is Settlement.REFUNDED
    assert await shop.settle(paid_event(order)) is Settlement.DUPLICATE

    [refund] = (await shop.order(order.id or 0)).refunds
    assert await sent_about(shop) == [
        ("order_failed", ANN, f"order-failed:{order.id}"),
        ("refund_issued", ANN, f"refund:{refund.id}"),
    ]
    assert (await messages(shop))[1].context["amount_cents"] == order.total_amount_cents
