"""PUT /cart/shipping-address, the cart's shipping fields, and the order's snapshot over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from domain.shipping import ShippingRates
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.conftest import make_settings
from tests.http.catalog_helpers import Client, Json
from tests.http.conftest import (
    assert_problem,
    bearer,
    error_fields,
    refused_before_any_store,
    signup_and_login,
)
from tests.http.shopping_helpers import (
    EMPTY_CART,
    HOME,
    PAYS,
    Shop,
    all_orders,
    checked_cart,
    created_order,
    get_order,
    open_shop,
    pay_with,
    payment_provider,
    post_add,
    post_checkout,
    put_shipping_address,
    stock_of,
    view_cart,
)

IRELAND: Json = {
    **HOME,
    "line2": "Flat 2",
    "city": "Dublin",
    "postal_code": "D02 X285",
    "country": "IE",
    "phone": "+353 1 000",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """GB 3.99, IE 5.99, nowhere else; free from 30.00 (the shop's books cost 12.50 and 3.99)."""
    return make_settings(
        database_url, shipping_rates=ShippingRates.parse("GB:399,IE:599", free_over_cents=3000)
    )


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def test_an_address_gives_the_cart_its_shipping_and_grand_total(client: Client, shop: Shop) -> None:
    await post_add(client, shop.token, {"product_id": shop.book["id"]})

    cart = checked_cart(await put_shipping_address(client, shop.token, IRELAND))

    assert cart["shipping_address"] == IRELAND
    assert (cart["total_cents"], cart["shipping_cents"], cart["grand_total_cents"]) == (1250, 599, 1849)
    assert await view_cart(client, shop.token) == cart


async def test_a_customer_without_a_cart_gets_one_holding_the_address(client: Client, shop: Shop) -> None:
    assert await view_cart(client, shop.token) == EMPTY_CART

    cart = checked_cart(await put_shipping_address(client, shop.token, {**HOME, "name": "  Ann  "}))

    assert cart["items"] == []
    assert cart["shipping_address"] == {**HOME, "name": "Ann"}
    assert (cart["total_cents"], cart["shipping_cents"], cart["grand_total_cents"]) == (0, 399, 399)
    assert cart["updated_at"] is not None


async def test_shipping_is_free_from_the_threshold(client: Client, shop: Shop) -> None:
    await put_shipping_address(client, shop.token, HOME)
    await post_add(client, shop.token, {"product_id": shop.book["id"], "quantity": 2})
    assert (await view_cart(client, shop.token))["grand_total_cents"] == 2500 + 399

    await post_add(client, shop.token, {"product_id": shop.other_book["id"], "quantity": 2})

    cart = await view_cart(client, shop.token)
    assert (cart["total_cents"], cart["shipping_cents"], cart["grand_total_cents"]) == (3298, 0, 3298)


async def test_a_country_not_served_is_refused_and_the_cart_is_unchanged(client: Client, shop: Shop) -> None:
    await post_add(client, shop.token, {"product_id": shop.book["id"]})
    await put_shipping_address(client, shop.token, HOME)
    before = await view_cart(client, shop.token)

    response = await put_shipping_address(client, shop.token, {**HOME, "country": "FR"})

    assert_problem(response, 409, "country_not_served")
    assert await view_cart(client, shop.token) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "gb"}, "country"),
        ({"name": "Ann\u0000"}, "name"),
        ({"line1": "1 High\nStreet"}, "line1"),
        ({"city": "Oxford\u202e"}, "city"),
        ({"name": "   "}, "name"),
        ({"postal_code": "x" * 21}, "postal_code"),
        ({"phone": "1" * 41}, "phone"),
    ],
)
async def test_a_bad_field_is_a_validation_error_naming_it(
    client: Client, shop: Shop, change: dict[str, Any], field: str
) -> None:
    response = await put_shipping_address(client, shop.token, {**HOME, **change})

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert await view_cart(client, shop.token) == EMPTY_CART


@refused_before_any_store
async def test_no_token_is_refused(client: Client) -> None:
    response = await client.put("/cart/shipping-address", json=HOME)
    assert_problem(response, 401, "unauthorized")


@refused_before_any_store
async def test_an_unknown_field_is_a_validation_error(client: Client) -> None:
    customer = await signup_and_login(client, "ann@example.com")
    response = await client.put(
        "/cart/shipping-address", json={**HOME, "user_id": 2}, headers=bearer(customer.access_token)
    )

    assert error_fields(assert_problem(response, 400, "validation_error")) == ["user_id"]


async def test_checkout_without_an_address_changes_nothing(
    client: Client, container: Container, shop: Shop
) -> None:
    await post_add(client, shop.token, {"product_id": shop.book["id"], "quantity": 2})
    before = await view_cart(client, shop.token)

    response = await post_checkout(client, shop.token, pay_with(PAYS))

    assert_problem(response, 409, "shipping_address_required")
    assert (await all_orders(client, shop.admin_token))["total"] == 0
    assert payment_provider(container).charge_count == 0
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10
    assert await view_cart(client, shop.token) == before


async def test_the_order_keeps_the_address_and_shipping_and_charges_the_whole(
    client: Client, container: Container, shop: Shop
) -> None:
    await post_add(client, shop.token, {"product_id": shop.book["id"]})
    await put_shipping_address(client, shop.token, IRELAND)

    order = created_order(await post_checkout(client, shop.token, {}))

    assert (order["shipping_address"], order["shipping_cents"], order["total_amount_cents"]) == (
        IRELAND,
        599,
        1849,
    )
    assert order["status"] == "PENDING"
    await put_shipping_address(client, shop.token, HOME)
    stored = await get_order(client, shop.token, order["id"])
    assert (stored["shipping_address"], stored["shipping_cents"], stored["total_amount_cents"]) == (
        IRELAND,
        599,
        1849,
    )
