"""Shipping on every store: the cart's address, its price, and the order's snapshot of both."""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.errors import PaymentDeclined
from application.ports import ChargeOutcome, UnitOfWorkFactory
from domain.shipping import CountryNotServed, ShippingAddressRequired, ShippingRates
from tests.fakes import FrozenClock, ScriptedPaymentProvider
from tests.unit.builders import ADDRESS
from tests.use_cases.conftest import Shop, make_shop

RATES = ShippingRates.parse("GB:399,IE:599", free_over_cents=5000)
VISA = "pm_card_visa"
IRELAND = replace(ADDRESS, city="Dublin", postal_code="D02 X285", country="IE")
FRANCE = replace(ADDRESS, city="Paris", postal_code="75001", country="FR")


@pytest.fixture
def shop(uow: UnitOfWorkFactory, clock: FrozenClock) -> Shop:
    return make_shop(uow, ScriptedPaymentProvider(ChargeOutcome.SUCCEEDED), clock, shipping=RATES)


async def test_a_customer_without_a_cart_gets_one_holding_only_the_address(shop: Shop) -> None:
    ann = await shop.customer()

    view = await shop.set_shipping_address(ann, ADDRESS)

    assert (view.lines, view.shipping_address, view.shipping_cents, view.grand_total_cents) == (
        [],
        ADDRESS,
        399,
        399,
    )
    assert (await shop.view_cart(ann)).shipping_address == ADDRESS


async def test_the_cart_prices_shipping_by_country_and_free_from_the_threshold(shop: Shop) -> None:
    ann = await shop.customer()
    book = await shop.book("Prince Caspian", price_cents=2500, stock=5)
    await shop.add_books_only(ann, book, 1)

    assert (await shop.set_shipping_address(ann, IRELAND)).grand_total_cents == 2500 + 599
    assert (await shop.add_books_only(ann, book, 1)).grand_total_cents == 5000


async def test_a_country_not_served_leaves_the_cart_as_it_was(shop: Shop) -> None:
    ann = await shop.customer()
    bob = await shop.customer("bob@example.com")
    await shop.set_shipping_address(ann, ADDRESS)
    before = await shop.view_cart(ann)

    with pytest.raises(CountryNotServed):
        await shop.set_shipping_address(ann, FRANCE)
    with pytest.raises(CountryNotServed):
        await shop.set_shipping_address(bob, FRANCE)

    assert await shop.view_cart(ann) == before
    assert (await shop.view_cart(bob)).updated_at is None


async def test_checkout_without_an_address_changes_nothing(shop: Shop) -> None:
    ann = await shop.customer()
    book = await shop.book("Prince Caspian", stock=5)
    await shop.add_books_only(ann, book, 2)

    with pytest.raises(ShippingAddressRequired):
        await shop.checkout(ann, VISA)

    assert await shop.orders_of(ann) == []
    assert await shop.stock_of(book) == 5
    assert [(line.product_id, line.quantity) for line in (await shop.view_cart(ann)).lines] == [(book, 2)]


async def test_the_order_snapshots_the_address_and_shipping_and_charges_the_whole(shop: Shop) -> None:
    ann = await shop.customer()
    book = await shop.book("Prince Caspian", price_cents=799, stock=5)
    await shop.add_books_only(ann, book, 2)
    await shop.set_shipping_address(ann, IRELAND)

    order = (await shop.checkout(ann, VISA)).order

    assert (order.shipping_address, order.shipping_cents, order.total_amount_cents) == (
        IRELAND,
        599,
        1598 + 599,
    )
    assert isinstance(shop.provider, ScriptedPaymentProvider)
    assert [charge.amount_cents for charge in shop.provider.requests] == [1598 + 599]
    stored = await shop.order(order.id or 0)
    assert (stored.shipping_address, stored.shipping_cents, stored.total_amount_cents) == (IRELAND, 599, 2197)


async def test_the_snapshot_never_follows_the_next_cart(shop: Shop) -> None:
    ann = await shop.customer()
    book = await shop.book("Prince Caspian", price_cents=799, stock=5)
    await shop.add_books_only(ann, book, 1)
    await shop.set_shipping_address(ann, ADDRESS)
    order = (await shop.checkout(ann, VISA)).order

    await shop.add_books_only(ann, book, 1)
    await shop.set_shipping_address(ann, IRELAND)

    stored = await shop.order(order.id or 0)
    assert (stored.shipping_address, stored.shipping_cents) == (ADDRESS, 399)


async def test_a_country_no_longer_served_at_checkout_changes_nothing(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    before = make_shop(uow, ScriptedPaymentProvider(ChargeOutcome.SUCCEEDED), clock, shipping=RATES)
    ann = await before.customer()
    book = await before.book("Prince Caspian", stock=5)
    await before.add_books_only(ann, book, 1)
    await before.set_shipping_address(ann, IRELAND)
    after = make_shop(
        uow, ScriptedPaymentProvider(ChargeOutcome.SUCCEEDED), clock, shipping=ShippingRates.parse("GB:399")
    )

    with pytest.raises(CountryNotServed):
        await after.checkout(ann, VISA)

    assert await after.orders_of(ann) == []
    assert await after.stock_of(book) == 5
    view = await after.view_cart(ann)
    assert (view.shipping_address, view.shipping_cents, len(view.lines)) == (IRELAND, None, 1)


async def test_a_declined_payment_keeps_the_address_on_the_cart(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    shop = make_shop(uow, ScriptedPaymentProvider(ChargeOutcome.DECLINED), clock, shipping=RATES)
    ann = await shop.customer()
    book = await shop.book("Prince Caspian", stock=5)
    await shop.add_books_only(ann, book, 1)
    await shop.set_shipping_address(ann, ADDRESS)

    with pytest.raises(PaymentDeclined):
        await shop.checkout(ann, VISA)

    assert (await shop.view_cart(ann)).shipping_address == ADDRESS
