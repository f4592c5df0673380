"""The caps on every store: one account cannot hoard the shelf (MAX_QUANTITY_PER_LINE on each
cart line, MAX_PENDING_ORDERS_PER_USER unpaid orders at once)."""

from __future__ import annotations

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.errors import PaymentDeclined
from application.ports import UnitOfWorkFactory
from domain.errors import QuantityAboveLimit, TooManyPendingOrders
from domain.limits import PurchaseLimits
from domain.ordering import OrderStatus
from tests.fakes import FrozenClock
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop

VISA = "pm_card_visa"
DECLINED = "pm_card_visa_chargeDeclined"
NO_PAYMENT_METHOD = None
"""The order stays PENDING and keeps its stock: what a hoarder does."""


async def test_adding_above_the_cap_per_line_is_refused_and_the_cart_is_unchanged(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=50)
    await shop.add_to_cart(ann, caspian, 7)

    with pytest.raises(QuantityAboveLimit) as refused:
        await shop.add_to_cart(ann, caspian, 4)

    assert (refused.value.field, refused.value.quantity, refused.value.limit) == ("quantity", 11, 10)
    assert [line.quantity for line in (await shop.view_cart(ann)).lines] == [7]
    await shop.add_to_cart(ann, caspian, 3)
    assert [line.quantity for line in (await shop.view_cart(ann)).lines] == [10]


async def test_a_customer_holding_the_most_unpaid_orders_cannot_check_out_and_nothing_moves(
    shop: Shop,
) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=50)
    for _ in range(2):
        await shop.add_to_cart(ann, caspian, 10)
        assert (await shop.checkout(ann, NO_PAYMENT_METHOD)).order.status is OrderStatus.PENDING
    await shop.add_to_cart(ann, caspian, 10)

    with pytest.raises(TooManyPendingOrders) as refused:
        await shop.checkout(ann, NO_PAYMENT_METHOD)

    assert refused.value.limit == 2
    assert len(await shop.orders_of(ann)) == 2
    assert await shop.stock_of(caspian) == 30
    assert [line.quantity for line in (await shop.view_cart(ann)).lines] == [10]


async def test_the_cap_is_also_on_paying_at_once_and_per_customer(shop: Shop) -> None:
    ann, bob = await shop.customer(), await shop.customer("bob@example.com")
    caspian = await shop.book("Prince Caspian", stock=50)
    for _ in range(2):
        await shop.add_to_cart(ann, caspian, 1)
        await shop.checkout(ann, NO_PAYMENT_METHOD)
    await shop.add_to_cart(ann, caspian, 1)
    await shop.add_to_cart(bob, caspian, 1)

    with pytest.raises(TooManyPendingOrders):
        await shop.checkout(ann, VISA)  # the rule counts what is held, whatever this order becomes
    assert (await shop.checkout(bob, NO_PAYMENT_METHOD)).order.status is OrderStatus.PENDING


async def test_only_unpaid_orders_count(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=50)
    for method in [VISA, VISA, NO_PAYMENT_METHOD]:
        await shop.add_to_cart(ann, caspian, 1)
        await shop.checkout(ann, method)
    await shop.add_to_cart(ann, caspian, 1)
    with pytest.raises(PaymentDeclined):
        await shop.checkout(ann, DECLINED)  # a FAILED order; the cart is kept for a retry
    await shop.checkout(ann, NO_PAYMENT_METHOD)

    statuses = sorted(order.status.value for order in await shop.orders_of(ann))
    assert statuses == ["FAILED", "PAID", "PAID", "PENDING", "PENDING"]


async def test_an_expired_order_frees_its_place(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=50)
    for _ in range(2):
        await shop.add_to_cart(ann, caspian, 1)
        await shop.checkout(ann, NO_PAYMENT_METHOD)
    await shop.add_to_cart(ann, caspian, 1)
    with pytest.raises(TooManyPendingOrders):
        await shop.checkout(ann, NO_PAYMENT_METHOD)

    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    assert await shop.expire() == 2

    assert (await shop.checkout(ann, NO_PAYMENT_METHOD)).order.status is OrderStatus.PENDING


async def test_a_line_above_the_cap_at_checkout_is_refused_and_nothing_moves(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    """A line can be above the cap at checkout when the cap was lowered after it was added."""
    before = make_shop(
        uow,
        BuiltInTestPaymentProvider(),
        clock,
        PurchaseLimits(max_quantity_per_line=20, max_pending_orders=2),
    )
    shop = make_shop(uow, BuiltInTestPaymentProvider(), clock)
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=50)
    chair = await shop.book("The Silver Chair", stock=50)
    await before.add_to_cart(ann, caspian, 2)
    await before.add_to_cart(ann, chair, 12)

    with pytest.raises(QuantityAboveLimit) as refused:
        await shop.checkout(ann, VISA)

    assert (refused.value.product_id, refused.value.quantity) == (chair, 12)
    assert await shop.orders_of(ann) == []
    assert (await shop.stock_of(caspian), await shop.stock_of(chair)) == (50, 50)
    assert [line.quantity for line in (await shop.view_cart(ann)).lines] == [2, 12]


async def test_a_refusal_by_a_cap_does_not_use_the_idempotency_key_up(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=50)
    for _ in range(2):
        await shop.add_to_cart(ann, caspian, 1)
        await shop.checkout(ann, NO_PAYMENT_METHOD)
    await shop.add_to_cart(ann, caspian, 1)
    with pytest.raises(TooManyPendingOrders):
        await shop.checkout(ann, VISA, "key-1")
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)
    await shop.expire()

    assert (await shop.checkout(ann, VISA, "key-1")).order.status is OrderStatus.PAID
