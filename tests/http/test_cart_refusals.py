"""The cart refuses: products it cannot sell, more than the shelf holds, bad bodies, strangers and
deactivated accounts; a refused change leaves the cart as it was."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json
from tests.http.conftest import assert_problem, bearer, change_user, error_fields, refused_before_any_store
from tests.http.shopping_helpers import (
    EMPTY_CART,
    Shop,
    add_to_cart,
    lines,
    open_shop,
    post_add,
    post_remove,
    view_cart,
)

MAX_INT32 = 2**31 - 1


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


# --- what cannot be sold -------------------------------------------------------------------------


async def test_a_missing_product_is_not_found(client: Client, shop: Shop) -> None:
    response = await post_add(client, shop.token, {"product_id": shop.other_book["id"] + 1000})

    assert_problem(response, 404, "not_found")
    assert await view_cart(client, shop.token) == EMPTY_CART


async def test_a_line_growing_past_the_stock_is_refused_and_the_cart_is_unchanged(
    client: Client, shop: Shop
) -> None:
    await add_to_cart(client, shop.token, shop.other_book["id"], 3)
    before = await add_to_cart(client, shop.token, shop.book["id"], 1)

    response = await post_add(client, shop.token, {"product_id": shop.other_book["id"], "quantity": 3})

    assert_problem(response, 409, "insufficient_stock")
    assert await view_cart(client, shop.token) == before


async def test_the_largest_quantity_is_refused_by_the_cap_per_line_not_an_error(
    client: Client, shop: Shop
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 1)
    before = await view_cart(client, shop.token)

    response = await post_add(client, shop.token, {"product_id": shop.book["id"], "quantity": MAX_INT32})

    assert error_fields(assert_problem(response, 400, "validation_error")) == ["quantity"]
    assert await view_cart(client, shop.token) == before


async def test_removing_a_product_not_in_the_cart_is_not_found(client: Client, shop: Shop) -> None:
    before = await add_to_cart(client, shop.token, shop.book["id"], 2)

    response = await post_remove(client, shop.token, {"product_id": shop.other_book["id"]})

    assert_problem(response, 404, "not_found")
    assert await view_cart(client, shop.token) == before


@pytest.mark.parametrize("quantity", [None, 1])
async def test_removing_from_no_cart_is_not_found_and_creates_nothing(
    client: Client, shop: Shop, quantity: int | None
) -> None:
    body: Json = {"product_id": shop.book["id"]}
    if quantity is not None:
        body["quantity"] = quantity

    assert_problem(await post_remove(client, shop.token, body), 404, "not_found")
    assert await view_cart(client, shop.token) == EMPTY_CART


# --- bad bodies ----------------------------------------------------------------------------------

BAD_ADD_BODIES: list[tuple[Any, str]] = [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -1}, "quantity"),
    ({"quantity": 1.5}, "quantity"),
    ({"quantity": "2"}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"quantity": None}, "quantity"),
    ({"quantity": MAX_INT32 + 1}, "quantity"),
    ({"product_id": "1"}, "product_id"),
    ({"product_id": 0}, "product_id"),
    ({"product_id": None}, "product_id"),
    ({"price_cents": 1}, "price_cents"),
    ({"user_id": 1}, "user_id"),
]


def with_product(shop: Shop, body: Json) -> Json:
    return {"product_id": shop.book["id"], **body}


@pytest.mark.parametrize(("body", "field"), BAD_ADD_BODIES, ids=repr)
@refused_before_any_store
async def test_add_refuses_a_bad_value_naming_the_field(
    client: Client, shop: Shop, body: Json, field: str
) -> None:
    before = await add_to_cart(client, shop.token, shop.book["id"], 1)

    response = await post_add(client, shop.token, with_product(shop, body))

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert await view_cart(client, shop.token) == before


@pytest.mark.parametrize(("body", "field"), BAD_ADD_BODIES, ids=repr)
@refused_before_any_store
async def test_remove_refuses_a_bad_value_naming_the_field(
    client: Client, shop: Shop, body: Json, field: str
) -> None:
    before = await add_to_cart(client, shop.token, shop.book["id"], 3)

    response = await post_remove(client, shop.token, with_product(shop, body))

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert await view_cart(client, shop.token) == before


@pytest.mark.parametrize("path", ["/cart/add", "/cart/remove"])
@pytest.mark.parametrize("body", [{}, {"quantity": 1}, [], [1], "1", 1, None], ids=repr)
@refused_before_any_store
async def test_a_body_without_a_product_is_refused(client: Client, shop: Shop, path: str, body: Any) -> None:
    response = await client.post(path, json=body, headers=bearer(shop.token))

    assert_problem(response, 400, "validation_error")
    assert await view_cart(client, shop.token) == EMPTY_CART


@pytest.mark.parametrize("path", ["/cart/add", "/cart/remove"])
@pytest.mark.parametrize("raw", [b"", b"{", b'{"product_id": 1,}', b"\xff"], ids=repr)
@refused_before_any_store
async def test_a_body_that_is_not_json_is_refused(client: Client, shop: Shop, path: str, raw: bytes) -> None:
    headers = {**bearer(shop.token), "Content-Type": "application/json"}

    response = await client.post(path, content=raw, headers=headers)

    assert_problem(response, 400, "validation_error")
    assert await view_cart(client, shop.token) == EMPTY_CART


# --- who may use a cart --------------------------------------------------------------------------

CART_CALLS: list[tuple[str, str, Json | None]] = [
    ("GET", "/cart", None),
    ("POST", "/cart/add", {"product_id": 1}),
    ("POST", "/cart/remove", {"product_id": 1}),
]
CALL_IDS = [f"{method} {path}" for method, path, _ in CART_CALLS]


@pytest.mark.parametrize(("method", "path", "body"), CART_CALLS, ids=CALL_IDS)
@refused_before_any_store
async def test_no_token_is_unauthorized(
    client: Client, shop: Shop, method: str, path: str, body: Json | None
) -> None:
    response = await client.request(method, path, json=body)

    assert_problem(response, 401, "unauthorized")


@pytest.mark.parametrize("call", CART_CALLS, ids=CALL_IDS)
async def test_a_deactivated_user_is_refused(
    client: Client, container: Container, shop: Shop, call: tuple[str, str, Json | None]
) -> None:
    method, path, body = call
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    await change_user(client, container, shop.customer.user_id, is_active=False)

    response = await client.request(method, path, json=body, headers=bearer(shop.token))

    assert_problem(response, 403, "account_inactive")
    await change_user(client, container, shop.customer.user_id, is_active=True)
    assert lines(await view_cart(client, shop.token))[shop.book["id"]]["quantity"] == 2
