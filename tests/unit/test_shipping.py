"""Addresses and the price of shipping: the rule stated once, in domain.shipping."""

from __future__ import annotations

from typing import Any

import pytest

from domain.cart import Cart
from domain.errors import CartEmpty, InvalidValue
from domain.ordering import Order
from domain.shipping import COUNTRIES, Address, CountryNotServed, ShippingAddressRequired, ShippingRates
from tests.unit.builders import ADDRESS, LIMITS, NOW, make_product

HOME: dict[str, Any] = {
    "name": "Ann Reader",
    "line1": "1 High Street",
    "city": "Oxford",
    "postal_code": "OX1 1AA",
    "country": "GB",
}


def test_an_address_is_trimmed_and_blank_optional_lines_are_absent() -> None:
    address = Address(**{**HOME, "name": "  Ann Reader ", "line2": "   ", "phone": " +44 1865 000000 "})

    assert (address.name, address.line2, address.phone) == ("Ann Reader", None, "+44 1865 000000")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 201),
        ("line1", "x" * 201),
        ("line2", "x" * 201),
        ("city", "x" * 101),
        ("postal_code", "x" * 21),
        ("phone", "1" * 41),
        ("name", "Ann\x00Reader"),
        ("line1", "1 High\nStreet"),
        ("city", "Oxford\u202e"),
        ("line2", "\x1b[31m"),
        ("country", "gb"),
        ("country", "XX"),
        ("country", "GBR"),
        ("country", "UK"),
    ],
)
def test_an_address_refuses_a_bad_field_and_names_it(field: str, value: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Address(**{**HOME, field: value})

    assert refused.value.field == field


def test_the_longest_allowed_fields_are_accepted() -> None:
    address = Address(
        name="n" * 200,
        line1="l" * 200,
        line2="m" * 200,
        city="c" * 100,
        postal_code="p" * 20,
        country="ZW",
        phone="1" * 40,
    )

    assert len(address.name) == 200


def test_the_country_list_is_iso_3166_alpha_2() -> None:
    assert len(COUNTRIES) == 249
    assert {"GB", "IE", "US", "DE", "FR", "JP", "AX", "SS", "XK"} - COUNTRIES == {"XK"}


def test_rates_parse_countries_and_every_other_country() -> None:
    rates = ShippingRates.parse("GB:399, ie:599 ,*:999")

    assert (rates.price_for("GB", 100), rates.price_for("IE", 100), rates.price_for("FR", 100)) == (
        399,
        599,
        999,
    )


def test_without_a_star_a_country_absent_is_not_served() -> None:
    rates = ShippingRates.parse("GB:399")

    with pytest.raises(CountryNotServed):
        rates.price_for("FR", 100)
    with pytest.raises(CountryNotServed):
        rates.ensure_serves("FR")


@pytest.mark.parametrize(
    "text",
    [
        "",
        " , ",
        "GB",
        "GB:",
        "GB:-1",
        "GB:3.99",
        "GB:abc",
        "XX:399",
        "GB:399,GB:499",
        "*:1,*:2",
        "GB:2147483648",
    ],
)
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        ShippingRates.parse(text)

    assert refused.value.field == "SHIPPING_RATES"


def test_shipping_is_free_from_the_threshold_on_and_not_a_cent_below() -> None:
    rates = ShippingRates.parse("GB:399,*:999", free_over_cents=5000)

    assert rates.price_for("GB", 4999) == 399
    assert rates.price_for("GB", 5000) == 0
    assert rates.price_for("FR", 5001) == 0


def test_free_shipping_never_serves_a_country_not_served() -> None:
    rates = ShippingRates.parse("GB:399", free_over_cents=1)

    with pytest.raises(CountryNotServed):
        rates.price_for("FR", 10_000)


def test_a_cart_refuses_an_address_in_a_country_not_served_and_stays_as_it_was() -> None:
    cart = Cart(user_id=1)

    with pytest.raises(CountryNotServed):
        cart.ship_to(Address(**{**HOME, "country": "FR"}), ShippingRates.parse("GB:399"), NOW)

    assert (cart.shipping_address, cart.updated_at) == (None, None)


def test_an_order_takes_the_address_and_the_shipping_into_its_total() -> None:
    product = make_product(id=1, price_cents=1000)
    cart = Cart(user_id=1)
    cart.add(product, 2, NOW, LIMITS)
    cart.ship_to(ADDRESS, ShippingRates.parse("GB:399"), NOW)

    order = Order.place(1, cart, {1: product}, "usd", NOW, shipping=ShippingRates.parse("GB:399"))

    assert (order.shipping_address, order.shipping_cents, order.total_amount_cents) == (ADDRESS, 399, 2399)


def test_an_order_needs_an_address_but_an_empty_cart_says_so_first() -> None:
    product = make_product(id=1)
    cart = Cart(user_id=1)
    with pytest.raises(CartEmpty):
        Order.place(1, cart, {}, "usd", NOW, shipping=ShippingRates.parse("*:0"))
    cart.add(product, 1, NOW, LIMITS)

    with pytest.raises(ShippingAddressRequired):
        Order.place(1, cart, {1: product}, "usd", NOW, shipping=ShippingRates.parse("*:0"))


def test_an_order_is_refused_for_a_country_no_longer_served() -> None:
    product = make_product(id=1)
    cart = Cart(user_id=1, shipping_address=ADDRESS)
    cart.add(product, 1, NOW, LIMITS)

    with pytest.raises(CountryNotServed):
        Order.place(1, cart, {1: product}, "usd", NOW, shipping=ShippingRates.parse("IE:599"))


def test_an_order_from_before_shipping_has_none_and_its_total_is_its_lines() -> None:
    product = make_product(id=1, price_cents=1299)
    cart = Cart(user_id=1, shipping_address=ADDRESS)
    cart.add(product, 1, NOW, LIMITS)
    placed = Order.place(1, cart, {1: product}, "usd", NOW, shipping=ShippingRates.parse("*:0"))

    old = Order(user_id=1, currency="usd", items=placed.items, created_at=NOW)

    assert (old.shipping_address, old.shipping_cents, old.total_amount_cents) == (None, 0, 1299)
