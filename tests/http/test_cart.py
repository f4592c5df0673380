"""GET /cart, POST /cart/add and /cart/remove: lines at today's prices, never above the stock."""

from __future__ import annotations

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, set_active
from tests.http.conftest import signup_and_login
from tests.http.shopping_helpers import (
    EMPTY_CART,
    Shop,
    add_to_cart,
    checked_cart,
    lines,
    open_shop,
    post_remove,
    utc,
    view_cart,
)


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def test_a_new_user_has_an_empty_cart(client: Client, shop: Shop) -> None:
    assert await view_cart(client, shop.token) == EMPTY_CART


async def test_add_puts_one_by_default(client: Client, shop: Shop) -> None:
    cart = await add_to_cart(client, shop.token, shop.book["id"])

    assert cart["items"] == [
        {
            "product_id": shop.book["id"],
            "title": "THE FIRST BOOK",
            "price_cents": 1250,
            "quantity": 1,
            "line_total_cents": 1250,
            "available": True,
        }
    ]
    assert cart["total_cents"] == 1250
    assert cart["updated_at"] is not None
    assert await view_cart(client, shop.token) == cart


async def test_the_total_is_the_sum_of_the_lines(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    cart = await add_to_cart(client, shop.token, shop.other_book["id"], 3)

    assert {pid: line["quantity"] for pid, line in lines(cart).items()} == {
        shop.book["id"]: 2,
        shop.other_book["id"]: 3,
    }
    assert cart["total_cents"] == 2 * 1250 + 3 * 399
    assert await view_cart(client, shop.token) == cart


async def test_a_line_may_take_the_whole_stock(client: Client, shop: Shop) -> None:
    cart = await add_to_cart(client, shop.token, shop.other_book["id"], 5)

    line = lines(cart)[shop.other_book["id"]]
    assert (line["quantity"], line["available"]) == (5, True)


async def test_updated_at_moves_on_each_change(client: Client, shop: Shop) -> None:
    first = await add_to_cart(client, shop.token, shop.book["id"])
    second = await add_to_cart(client, shop.token, shop.book["id"])
    third = checked_cart(
        await post_remove(client, shop.token, {"product_id": shop.book["id"], "quantity": 1})
    )

    assert utc(first["updated_at"]) <= utc(second["updated_at"]) <= utc(third["updated_at"])


async def test_carts_are_per_user(client: Client, shop: Shop) -> None:
    other = await signup_and_login(client, "other@example.com")
    await add_to_cart(client, shop.token, shop.book["id"], 2)

    assert await view_cart(client, other.access_token) == EMPTY_CART
    cart = await add_to_cart(client, other.access_token, shop.book["id"], 1)
    assert lines(cart)[shop.book["id"]]["quantity"] == 1
    assert lines(await view_cart(client, shop.token))[shop.book["id"]]["quantity"] == 2


# --- remove --------------------------------------------------------------------------------------


async def test_remove_without_quantity_takes_the_line_out(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 3)
    await add_to_cart(client, shop.token, shop.other_book["id"], 1)

    cart = checked_cart(await post_remove(client, shop.token, {"product_id": shop.book["id"]}))

    assert list(lines(cart)) == [shop.other_book["id"]]
    assert cart["total_cents"] == 399
    assert await view_cart(client, shop.token) == cart


async def test_a_withdrawn_product_can_still_be_removed(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    await set_active(client, shop.admin_token, shop.book["id"], False)

    cart = checked_cart(await post_remove(client, shop.token, {"product_id": shop.book["id"]}))

    assert cart["items"] == []


# --- today's prices and availability --------------------------------------------------------------


async def test_a_withdrawn_product_is_unavailable(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    await add_to_cart(client, shop.token, shop.other_book["id"], 1)

    await set_active(client, shop.admin_token, shop.book["id"], False)
    cart = await view_cart(client, shop.token)
    assert lines(cart)[shop.book["id"]]["available"] is False
    assert lines(cart)[shop.book["id"]]["quantity"] == 2
    assert lines(cart)[shop.other_book["id"]]["available"] is True

    await set_active(client, shop.admin_token, shop.book["id"], True)
    assert lines(await view_cart(client, shop.token))[shop.book["id"]]["available"] is True
