"""Staff ship paid orders and record their delivery (ShipOrder, DeliverOrder), on every store."""

from __future__ import annotations

import pytest

from application.errors import NotFound, PaymentDeclined
from application.fulfilment import DeliverOrder, ShipOrder
from application.ports import UnitOfWorkFactory
from domain.errors import InvalidValue, OrderNotShippable
from domain.fulfilment import FulfilmentStatus
from domain.ordering import Order, OrderStatus
from tests.use_cases.conftest import Shop


@pytest.fixture
def ship(shop: Shop) -> ShipOrder:
    return ShipOrder(shop.uow, shop.clock)


@pytest.fixture
def deliver(shop: Shop) -> DeliverOrder:
    return DeliverOrder(shop.uow, shop.clock)


async def _order(shop: Shop, payment_method_id: str | None = "pm_card_visa", who: str = "ann") -> Order:
    customer = await shop.customer(f"{who}@example.com")
    book = await shop.book("The Horse and His Boy", price_cents=700)
    await shop.add_to_cart(customer, book, 2)
    return (await shop.checkout(customer, payment_method_id)).order


async def _failed_order(shop: Shop) -> int:
    customer = await shop.customer("fay@example.com")
    book = await shop.book("The Horse and His Boy")
    await shop.add_to_cart(customer, book, 1)
    with pytest.raises(PaymentDeclined) as declined:
        await shop.checkout(customer, "pm_card_visa_chargeDeclined")
    return declined.value.order_id


async def _refund(uow: UnitOfWorkFactory, order_id: int, amount_cents: int, shop: Shop) -> None:
    """What the refunds use case records once the provider gave money back."""
    async with uow() as tx:
        order = await tx.orders.get(order_id, for_update=True)
        assert order is not None
        order.record_refund(amount_cents, shop.clock.now())
        await tx.orders.update_status(order)
        await tx.commit()


async def test_shipping_a_paid_order_is_stored_and_keeps_it_paid(shop: Shop, ship: ShipOrder) -> None:
    paid = await _order(shop)
    assert paid.id is not None
    shop.clock.advance(3600)

    shipped = await ship(paid.id, " Royal Mail ", "RM123456789GB")

    stored = await shop.order(paid.id)
    assert stored.fulfilment == shipped.fulfilment
    assert stored.fulfilment.status is FulfilmentStatus.SHIPPED
    assert (stored.fulfilment.carrier, stored.fulfilment.tracking_number) == ("Royal Mail", "RM123456789GB")
    assert stored.fulfilment.shipped_at == shop.clock.now()
    assert stored.fulfilment.delivered_at is None
    assert stored.status is OrderStatus.PAID
    assert stored.items == paid.items


async def test_delivering_a_shipped_order_is_stored(
    shop: Shop, ship: ShipOrder, deliver: DeliverOrder
) -> None:
    paid = await _order(shop)
    assert paid.id is not None
    await ship(paid.id, "DHL", "JD01")
    shipped_at = shop.clock.now()
    shop.clock.advance(86400)

    await deliver(paid.id)

    stored = await shop.order(paid.id)
    assert stored.fulfilment.status is FulfilmentStatus.DELIVERED
    assert (stored.fulfilment.shipped_at, stored.fulfilment.delivered_at) == (shipped_at, shop.clock.now())
    assert stored.fulfilment.carrier == "DHL"


async def test_a_pending_order_is_not_shipped(shop: Shop, ship: ShipOrder) -> None:
    pending = await _order(shop, payment_method_id=None)
    assert pending.id is not None
    assert pending.status is OrderStatus.PENDING

    with pytest.raises(OrderNotShippable):
        await ship(pending.id, "DHL", "JD01")

    assert (await shop.order(pending.id)).fulfilment.status is FulfilmentStatus.UNFULFILLED


async def test_a_failed_order_is_not_shipped(shop: Shop, ship: ShipOrder) -> None:
    failed_id = await _failed_order(shop)

    with pytest.raises(OrderNotShippable):
        await ship(failed_id, "DHL", "JD01")

    assert (await shop.order(failed_id)).fulfilment.status is FulfilmentStatus.UNFULFILLED


async def test_an_order_refunded_in_full_is_not_shipped_one_partly_refunded_is(
    shop: Shop, ship: ShipOrder, uow: UnitOfWorkFactory
) -> None:
    refunded = await _order(shop)
    partly = await _order(shop, who="bob")
    assert refunded.id is not None
    assert partly.id is not None
    await _refund(uow, refunded.id, refunded.total_amount_cents, shop)
    await _refund(uow, partly.id, partly.total_amount_cents - 1, shop)

    with pytest.raises(OrderNotShippable):
        await ship(refunded.id, "DHL", "JD01")
    await ship(partly.id, "DHL", "JD02")

    assert (await shop.order(refunded.id)).fulfilment.status is FulfilmentStatus.UNFULFILLED
    assert (await shop.order(partly.id)).fulfilment.status is FulfilmentStatus.SHIPPED


async def test_an_order_is_shipped_once(shop: Shop, ship: ShipOrder) -> None:
    paid = await _order(shop)
    assert paid.id is not None
    await ship(paid.id, "DHL", "JD01")
    first = (await shop.order(paid.id)).fulfilment
    shop.clock.advance(60)

    with pytest.raises(OrderNotShippable):
        await ship(paid.id, "UPS", "1Z999")

    assert (await shop.order(paid.id)).fulfilment == first


async def test_only_a_shipped_order_is_delivered_and_once(
    shop: Shop, ship: ShipOrder, deliver: DeliverOrder
) -> None:
    paid = await _order(shop)
    pending = await _order(shop, payment_method_id=None, who="pat")
    failed_id = await _failed_order(shop)
    assert paid.id is not None
    assert pending.id is not None

    for never_shipped in (paid.id, pending.id, failed_id):
        with pytest.raises(OrderNotShippable):
            await deliver(never_shipped)
    await ship(paid.id, "DHL", "JD01")
    await deliver(paid.id)
    delivered = (await shop.order(paid.id)).fulfilment
    shop.clock.advance(60)
    with pytest.raises(OrderNotShippable):
        await deliver(paid.id)

    assert (await shop.order(paid.id)).fulfilment == delivered
    assert (await shop.order(pending.id)).fulfilment.status is FulfilmentStatus.UNFULFILLED


async def test_a_missing_order_is_not_found(ship: ShipOrder, deliver: DeliverOrder) -> None:
    with pytest.raises(NotFound):
        await ship(999, "DHL", "JD01")
    with pytest.raises(NotFound):
        await deliver(999)


async def test_a_bad_shipment_is_refused_before_the_order_is_looked_at(ship: ShipOrder) -> None:
    with pytest.raises(InvalidValue) as refused:
        await ship(999, "DHL", "JD\n01")

    assert refused.value.field == "tracking_number"
