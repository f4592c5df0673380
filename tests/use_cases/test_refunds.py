"""Staff refund a paid order through the provider, in full or in part, optionally restocking; the
provider's refund events record refunds made outside the shop. On every store."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.errors import RefundNotMade, RefundRefused
from application.ports import (
    ChargeOutcome,
    PaymentEvent,
    PaymentEventKind,
    PaymentProvider,
    ProviderRefund,
    RefundOutcome,
    UnitOfWorkFactory,
)
from application.refund_order import RefundAsked, RefundOrder, provider_refund_key
from application.settle_payment import LATE_PAYMENT_REASON, Settlement
from domain.errors import InvalidValue
from domain.ordering import Order
from domain.refunds import OrderNotRefundable, RefundExceedsPayment, RefundStatus, RestockLine
from tests.fakes import FrozenClock, LockCheckingProvider, ScriptedPaymentProvider
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop


@dataclass(frozen=True)
class Sale:
    """A PAID order of 2 units of one book, and who may refund it."""

    shop: Shop
    refund: RefundOrder
    order: Order
    book: int
    staff: int

    @property
    def order_id(self) -> int:
        assert self.order.id is not None
        return self.order.id

    def asked(self, amount_cents: int | None = None, **more: object) -> RefundAsked:
        return RefundAsked(order_id=self.order_id, staff_id=self.staff, amount_cents=amount_cents, **more)  # type: ignore[arg-type]

    async def stored(self) -> Order:
        return await self.shop.order(self.order_id)


async def _sale(shop: Shop, provider: PaymentProvider | None = None) -> Sale:
    ann = await shop.customer()
    staff = await shop.customer("staff@example.com")
    book = await shop.book("The Horse and His Boy", price_cents=1250, stock=5)
    await shop.add_to_cart(ann, book, 2)
    order = (await shop.checkout(ann, "pm_card_visa")).order
    return Sale(shop, RefundOrder(shop.uow, provider or shop.provider, shop.clock), order, book, staff)


def _built_in(shop: Shop) -> BuiltInTestPaymentProvider:
    assert isinstance(shop.provider, BuiltInTestPaymentProvider)
    return shop.provider


async def test_a_refund_without_an_amount_gives_back_all_that_was_paid(shop: Shop) -> None:
    sale = await _sale(shop)

    refund = await sale.refund(sale.asked(reason="damaged in transit"))

    total = sale.order.total_amount_cents
    assert (refund.status, refund.amount_cents, refund.reason) == (
        RefundStatus.SUCCEEDED,
        total,
        "damaged in transit",
    )
    [made] = _built_in(shop).refunds
    assert (made.amount_cents, made.idempotency_key) == (total, provider_refund_key(refund.id or 0))
    stored = await sale.stored()
    assert stored.refunded_cents == total
    assert [(r.id, r.status, r.provider_refund_id) for r in stored.refunds] == [
        (refund.id, RefundStatus.SUCCEEDED, made.id)
    ]
    assert await shop.stock_of(sale.book) == 3  # no restock asked: the units stay sold


async def test_partial_refunds_add_up_and_the_default_takes_what_is_left(shop: Shop) -> None:
    sale = await _sale(shop)
    total = sale.order.total_amount_cents
    part = total // 3

    first = await sale.refund(sale.asked(part))
    rest = await sale.refund(sale.asked())

    assert (first.amount_cents, rest.amount_cents) == (part, total - part)
    stored = await sale.stored()
    assert stored.refunded_cents == total
    assert [r.id for r in stored.refunds] == [first.id, rest.id]


async def test_a_refund_above_what_is_left_is_refused_and_records_nothing(shop: Shop) -> None:
    sale = await _sale(shop)
    total = sale.order.total_amount_cents

    with pytest.raises(RefundExceedsPayment):
        await sale.refund(sale.asked(total + 1))
    await sale.refund(sale.asked(total - 1))
    with pytest.raises(RefundExceedsPayment):
        await sale.refund(sale.asked(2))

    stored = await sale.stored()
    assert (stored.refunded_cents, len(stored.refunds)) == (total - 1, 1)
    assert len(_built_in(shop).refunds) == 1


async def test_a_fully_refunded_order_refuses_another_refund(shop: Shop) -> None:
    sale = await _sale(shop)
    await sale.refund(sale.asked())

    with pytest.raises(RefundExceedsPayment):
        await sale.refund(sale.asked())


async def test_only_a_paid_order_is_refunded(shop: Shop) -> None:
    ann = await shop.customer()
    staff = await shop.customer("staff@example.com")
    await shop.add_to_cart(ann, await shop.book("The Last Battle"), 1)
    pending = (await shop.checkout(ann, None)).order
    refund = RefundOrder(shop.uow, shop.provider, shop.clock)

    with pytest.raises(OrderNotRefundable):
        await refund(RefundAsked(order_id=pending.id or 0, staff_id=staff))
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    await shop.expire()  # now FAILED
    with pytest.raises(OrderNotRefundable):
        await refund(RefundAsked(order_id=pending.id or 0, staff_id=staff))

    assert (await shop.order(pending.id or 0)).refunds == ()
    assert _built_in(shop).refunds == []


async def test_restocked_units_go_back_on_the_shelf_at_most_as_many_as_were_sold(shop: Shop) -> None:
    sale = await _sale(shop)
    one = (RestockLine(product_id=sale.book, quantity=1),)

    refund = await sale.refund(sale.asked(100, restock=one))
    assert refund.restocked == one
    assert await shop.stock_of(sale.book) == 4

    with pytest.raises(InvalidValue) as refused:  # one of the two is back already
        await sale.refund(sale.asked(100, restock=(RestockLine(product_id=sale.book, quantity=2),)))
    assert refused.value.field == "restock"
    with pytest.raises(InvalidValue):  # not a product of this order
        await sale.refund(sale.asked(100, restock=(RestockLine(product_id=sale.book + 1, quantity=1),)))
    await sale.refund(sale.asked(100, restock=one))

    assert await shop.stock_of(sale.book) == 5
    assert len((await sale.stored()).refunds) == 2


@pytest.mark.parametrize(
    ("outcome", "error"),
    [(RefundOutcome.UNAVAILABLE, RefundNotMade), (RefundOutcome.REFUSED, RefundRefused)],
)
async def test_a_refund_the_provider_does_not_make_refunds_nothing(
    uow: UnitOfWorkFactory, clock: FrozenClock, outcome: RefundOutcome, error: type[Exception]
) -> None:
    provider = ScriptedPaymentProvider(
        ChargeOutcome.SUCCEEDED, refund_outcomes=[outcome, RefundOutcome.SUCCEEDED]
    )
    sale = await _sale(make_shop(uow, provider, clock))

    with pytest.raises(error):
        await sale.refund(sale.asked(restock=(RestockLine(product_id=sale.book, quantity=2),)))

    stored = await sale.stored()
    assert stored.refunded_cents == 0
    assert [r.status for r in stored.refunds] == [RefundStatus.FAILED]
    assert await sale.shop.stock_of(sale.book) == 3
    assert (await sale.refund(sale.asked())).status is RefundStatus.SUCCEEDED  # a FAILED one holds nothing


async def test_the_same_idempotency_key_is_the_same_refund_and_one_provider_call(shop: Shop) -> None:
    sale = await _sale(shop)

    first = await sale.refund(sale.asked(300, idempotency_key="k-1"))
    again = await sale.refund(sale.asked(300, idempotency_key="k-1"))

    assert again == first
    assert len(_built_in(shop).refunds) == 1
    assert (await sale.stored()).refunded_cents == 300


async def test_a_refund_with_no_clear_answer_stays_pending_and_is_settled_by_asking_again(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(
        ChargeOutcome.SUCCEEDED, refund_outcomes=[RefundOutcome.UNKNOWN, RefundOutcome.SUCCEEDED]
    )
    sale = await _sale(make_shop(uow, provider, clock))
    total = sale.order.total_amount_cents

    with pytest.raises(RefundNotMade):
        await sale.refund(sale.asked(500, idempotency_key="k"))
    stored = await sale.stored()
    assert ([r.status for r in stored.refunds], stored.refunded_cents) == ([RefundStatus.PENDING], 0)
    with pytest.raises(RefundExceedsPayment):  # the PENDING refund holds its amount
        await sale.refund(sale.asked(total - 499))

    settled = await sale.refund(sale.asked(500, idempotency_key="k"))

    assert settled.status is RefundStatus.SUCCEEDED
    first, second = provider.refund_requests[0], provider.refund_requests[-1]
    assert first.idempotency_key == second.idempotency_key == provider_refund_key(settled.id or 0)
    assert (await sale.stored()).refunded_cents == 500


async def test_the_provider_is_called_with_no_lock_held_on_the_order(shop: Shop) -> None:
    checking = LockCheckingProvider(shop.provider, shop.uow)
    sale = await _sale(shop, checking)

    await sale.refund(sale.asked())

    assert checking.calls == 1


def _refund_event(event_id: str, *refunds: ProviderRefund) -> PaymentEvent:
    return PaymentEvent(event_id=event_id, kind=PaymentEventKind.CHARGE_REFUNDED, refunds=refunds)


async def test_a_refund_made_outside_the_shop_is_recorded_once(shop: Shop) -> None:
    sale = await _sale(shop)
    outside = ProviderRefund(
        refund_id="re_dashboard",
        amount_cents=700,
        outcome=RefundOutcome.SUCCEEDED,
        payment_intent_id=sale.order.payment_intent_id,
        reason="requested_by_customer",
    )

    assert await shop.settle(_refund_event("evt_1", outside)) is Settlement.REFUND_RECORDED
    assert await shop.settle(_refund_event("evt_2", outside)) is Settlement.REFUND_KNOWN

    stored = await sale.stored()
    assert stored.refunded_cents == 700
    [recorded] = stored.refunds
    assert (recorded.status, recorded.amount_cents, recorded.provider_refund_id, recorded.restocked) == (
        RefundStatus.SUCCEEDED,
        700,
        "re_dashboard",
        (),
    )
    with pytest.raises(RefundExceedsPayment):  # what the dashboard gave back is no longer left
        await sale.refund(sale.asked(sale.order.total_amount_cents - 699))


async def test_the_shops_own_refund_in_an_event_is_not_counted_twice(shop: Shop) -> None:
    sale = await _sale(shop)
    refund = await sale.refund(sale.asked(400))
    [made] = _built_in(shop).refunds
    told = ProviderRefund(
        refund_id=made.id,
        amount_cents=400,
        outcome=RefundOutcome.SUCCEEDED,
        payment_intent_id=sale.order.payment_intent_id,
        order_id=sale.order_id,
        shop_refund_id=refund.id,
    )

    assert await shop.settle(_refund_event("evt_own", told)) is Settlement.REFUND_KNOWN

    assert (await sale.stored()).refunded_cents == 400


async def test_a_pending_refund_is_settled_by_the_providers_event(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.SUCCEEDED, refund_outcomes=[RefundOutcome.UNKNOWN])
    sale = await _sale(make_shop(uow, provider, clock))
    with pytest.raises(RefundNotMade):
        await sale.refund(sale.asked(600, restock=(RestockLine(product_id=sale.book, quantity=1),)))
    [pending] = (await sale.stored()).refunds
    told = ProviderRefund(
        refund_id="re_late",
        amount_cents=600,
        outcome=RefundOutcome.SUCCEEDED,
        payment_intent_id=sale.order.payment_intent_id,
        order_id=sale.order_id,
        shop_refund_id=pending.id,
    )
    updated = PaymentEvent(event_id="evt_upd", kind=PaymentEventKind.REFUND_UPDATED, refunds=(told,))

    assert await sale.shop.settle(updated) is Settlement.REFUND_RECORDED

    stored = await sale.stored()
    assert stored.refunded_cents == 600
    assert [(r.id, r.status, r.provider_refund_id) for r in stored.refunds] == [
        (pending.id, RefundStatus.SUCCEEDED, "re_late")
    ]
    assert await sale.shop.stock_of(sale.book) == 4


async def test_a_late_payment_refunded_automatically_is_listed_as_a_refund(shop: Shop) -> None:
    ann = await shop.customer()
    await shop.add_to_cart(ann, await shop.book("Prince Caspian", price_cents=899), 2)
    order = (await shop.checkout(ann, None)).order
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    await shop.expire()
    paid = PaymentEvent(
        event_id="evt_paid",
        kind=PaymentEventKind.SUCCEEDED,
        payment_intent_id=order.payment_intent_id,
        order_id=order.id,
        amount_cents=order.total_amount_cents,
        currency=order.currency,
    )

    assert await shop.settle(paid) is Settlement.REFUNDED

    [made] = _built_in(shop).refunds
    [refund] = (await shop.order(order.id or 0)).refunds
    assert (refund.status, refund.amount_cents, refund.provider_refund_id, refund.reason) == (
        RefundStatus.SUCCEEDED,
        order.total_amount_cents,
        made.id,
        LATE_PAYMENT_REASON,
    )
