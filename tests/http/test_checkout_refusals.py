"""POST /checkout refused before any order: an empty cart, a withdrawn product, too little stock, an
inactive account, a bad body. Nothing changes: no order, no stock moved, the cart as it was."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json, set_active
from tests.http.conftest import assert_problem, bearer, change_user, error_fields, refused_before_any_store
from tests.http.shopping_helpers import (
    EMPTY_CART,
    PAYS,
    Shop,
    add_to_cart,
    all_orders,
    my_orders,
    open_shop,
    pay_with,
    payment_provider,
    post_checkout,
    post_remove,
    set_stock,
    stock_of,
    view_cart,
)


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def assert_no_order(client: Client, container: Container, shop: Shop) -> None:
    assert (await all_orders(client, shop.admin_token))["total"] == 0
    assert payment_provider(container).charge_count == 0


async def test_no_cart_is_cart_empty(client: Client, container: Container, shop: Shop) -> None:
    response = await post_checkout(client, shop.token, pay_with(PAYS))

    assert_problem(response, 409, "cart_empty")
    await assert_no_order(client, container, shop)
    assert (await my_orders(client, shop.token))["total"] == 0
    assert await view_cart(client, shop.token) == EMPTY_CART


async def test_an_emptied_cart_is_cart_empty(client: Client, container: Container, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    await post_remove(client, shop.token, {"product_id": shop.book["id"]})

    assert_problem(await post_checkout(client, shop.token, {}), 409, "cart_empty")
    await assert_no_order(client, container, shop)
    assert (await my_orders(client, shop.token))["total"] == 0


@pytest.mark.parametrize("payment", [pay_with(PAYS), {}], ids=["card", "no card"])
async def test_a_withdrawn_product_is_product_unavailable(
    client: Client, container: Container, shop: Shop, payment: Json
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    await add_to_cart(client, shop.token, shop.other_book["id"], 1)
    await set_active(client, shop.admin_token, shop.other_book["id"], False)
    cart = await view_cart(client, shop.token)

    assert_problem(await post_checkout(client, shop.token, payment), 409, "product_unavailable")

    await assert_no_order(client, container, shop)
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10
    assert await stock_of(client, shop.admin_token, shop.other_book["id"]) == 5
    assert await view_cart(client, shop.token) == cart


@pytest.mark.parametrize("stock", [0, 2])
async def test_stock_fallen_below_the_cart_is_insufficient_stock(
    client: Client, container: Container, shop: Shop, stock: int
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    await add_to_cart(client, shop.token, shop.other_book["id"], 3)
    await set_stock(client, shop.admin_token, shop.other_book["id"], stock)
    cart = await view_cart(client, shop.token)

    assert_problem(await post_checkout(client, shop.token, pay_with(PAYS)), 409, "insufficient_stock")

    await assert_no_order(client, container, shop)
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10
    assert await stock_of(client, shop.admin_token, shop.other_book["id"]) == stock
    assert await view_cart(client, shop.token) == cart


async def test_an_inactive_user_is_refused(client: Client, container: Container, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    cart = await view_cart(client, shop.token)
    await change_user(client, container, shop.customer.user_id, is_active=False)

    assert_problem(await post_checkout(client, shop.token, pay_with(PAYS)), 403, "account_inactive")

    await assert_no_order(client, container, shop)
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10
    await change_user(client, container, shop.customer.user_id, is_active=True)
    assert await view_cart(client, shop.token) == cart


@refused_before_any_store
async def test_no_token_is_unauthorized(client: Client, container: Container, shop: Shop) -> None:
    response = await client.post("/checkout", json=pay_with(PAYS))

    assert_problem(response, 401, "unauthorized")
    await assert_no_order(client, container, shop)


# --- bad bodies ----------------------------------------------------------------------------------

BAD_BODIES: list[tuple[Any, str | None]] = [
    ({"payment_method_id": 123}, "payment_method_id"),
    ({"payment_method_id": None}, "payment_method_id"),
    ({"payment_method_id": True}, "payment_method_id"),
    ({"payment_method_id": ["pm_card_visa"]}, "payment_method_id"),
    ({"payment_method_id": ""}, "payment_method_id"),
    ({"payment_method_id": "p" * 256}, "payment_method_id"),
    ({"payment_method_id": "pm_card_visa", "amount": 1}, "amount"),
    ({"total_amount_cents": 0}, "total_amount_cents"),
    ({"status": "PAID"}, "status"),
    ([], None),
    ("pm_card_visa", None),
    (1, None),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES, ids=repr)
async def test_a_bad_body_is_refused_and_changes_nothing(
    client: Client, container: Container, shop: Shop, body: Any, field: str | None
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    cart = await view_cart(client, shop.token)

    problem = assert_problem(await post_checkout(client, shop.token, body), 400, "validation_error")

    if field is not None:
        assert field in error_fields(problem)
    await assert_no_order(client, container, shop)
    assert await view_cart(client, shop.token) == cart
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10


@pytest.mark.parametrize("raw", [b"{", b'{"payment_method_id": "pm_card_visa",}', b"\xff", b"null"], ids=repr)
@refused_before_any_store
async def test_a_body_that_is_not_a_json_object_is_refused(
    client: Client, container: Container, shop: Shop, raw: bytes
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    headers = {**bearer(shop.token), "Content-Type": "application/json"}

    response = await client.post("/checkout", content=raw, headers=headers)

    assert_problem(response, 400, "validation_error")
    await assert_no_order(client, container, shop)


async def test_a_control_character_in_the_payment_method_is_refused(
    client: Client, container: Container, shop: Shop
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)

    response = await post_checkout(client, shop.token, pay_with("pm_card_visa\u0000"))

    assert_problem(response, 400, "validation_error")
    await assert_no_order(client, container, shop)
