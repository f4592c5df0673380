"""POST /checkout: PAID, PENDING (the customer must act) or declined, with snapshots at today's prices."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client
from tests.http.conftest import assert_problem, signup_and_login
from tests.http.shopping_helpers import (
    AUTHENTICATION_REQUIRED,
    CLIENT_SECRET,
    DECLINING_CARDS,
    EMPTY_CART,
    PAYS,
    Shop,
    add_to_cart,
    all_orders,
    created_order,
    edit_product,
    get_order,
    my_orders,
    open_shop,
    pay_with,
    payment_provider,
    post_checkout,
    snapshots,
    stock_of,
    utc,
    view_cart,
)


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def fill_cart(client: Client, shop: Shop) -> None:
    """Two of the first book (12.50) and three of the second (3.99)."""
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    await add_to_cart(client, shop.token, shop.other_book["id"], 3)


async def stocks(client: Client, shop: Shop) -> tuple[int, int]:
    return (
        await stock_of(client, shop.admin_token, shop.book["id"]),
        await stock_of(client, shop.admin_token, shop.other_book["id"]),
    )


# --- paid ----------------------------------------------------------------------------------------


async def test_a_paying_card_makes_a_paid_order(client: Client, container: Container, shop: Shop) -> None:
    await fill_cart(client, shop)

    order = created_order(await post_checkout(client, shop.token, pay_with(PAYS)))

    assert order["status"] == "PAID"
    assert order["user_id"] == shop.customer.user_id
    assert order["currency"] == "usd"
    assert order["payment_client_secret"] is None
    assert snapshots(order) == [
        (shop.book["id"], "THE FIRST BOOK", 1250, 2),
        (shop.other_book["id"], "THE SECOND BOOK", 399, 3),
    ]
    assert order["total_amount_cents"] == 2 * 1250 + 3 * 399
    assert utc(order["created_at"]) >= utc(shop.book["created_at"])
    assert payment_provider(container).charge_count == 1


async def test_a_paid_order_takes_the_stock_and_empties_the_cart(client: Client, shop: Shop) -> None:
    await fill_cart(client, shop)

    order = created_order(await post_checkout(client, shop.token, pay_with(PAYS)))

    assert await stocks(client, shop) == (8, 2)
    assert await view_cart(client, shop.token) == EMPTY_CART
    assert await get_order(client, shop.token, order["id"]) == order
    assert (await my_orders(client, shop.token))["items"] == [order]


async def test_any_other_card_pays(client: Client, shop: Shop) -> None:
    await fill_cart(client, shop)

    order = created_order(await post_checkout(client, shop.token, pay_with("pm_card_mastercard")))

    assert order["status"] == "PAID"


async def test_the_order_is_priced_at_checkout_time(client: Client, shop: Shop) -> None:
    await fill_cart(client, shop)
    await edit_product(client, shop.admin_token, shop.book["id"], {"price_cents": 1500, "title": "NEW TITLE"})

    order = created_order(await post_checkout(client, shop.token, pay_with(PAYS)))

    assert snapshots(order)[0] == (shop.book["id"], "NEW TITLE", 1500, 2)
    assert order["total_amount_cents"] == 2 * 1500 + 3 * 399


async def test_snapshots_never_change_after_the_order(client: Client, shop: Shop) -> None:
    await fill_cart(client, shop)
    order = created_order(await post_checkout(client, shop.token, pay_with(PAYS)))

    await edit_product(client, shop.admin_token, shop.book["id"], {"title": "RENAMED", "price_cents": 1})
    await edit_product(client, shop.admin_token, shop.other_book["id"], {"is_active": False})

    assert await get_order(client, shop.token, order["id"]) == order
    assert (await my_orders(client, shop.token))["items"] == [order]
    assert (await all_orders(client, shop.admin_token))["items"] == [
        {**order, "user_email": shop.customer.email}
    ]


async def test_the_cart_can_be_filled_again_after_a_paid_order(client: Client, shop: Shop) -> None:
    await fill_cart(client, shop)
    first = created_order(await post_checkout(client, shop.token, pay_with(PAYS)))

    await add_to_cart(client, shop.token, shop.book["id"], 1)
    second = created_order(await post_checkout(client, shop.token, pay_with(PAYS)))

    assert second["id"] != first["id"]
    assert snapshots(second) == [(shop.book["id"], "THE FIRST BOOK", 1250, 1)]
    assert await stocks(client, shop) == (7, 2)


# --- pending -------------------------------------------------------------------------------------

PENDING_BODIES: list[tuple[str, Any]] = [
    ("no body", None),
    ("empty object", {}),
    ("authentication required", pay_with(AUTHENTICATION_REQUIRED)),
]


@pytest.mark.parametrize("body", [body for _, body in PENDING_BODIES], ids=[n for n, _ in PENDING_BODIES])
async def test_without_a_card_or_with_one_needing_action_the_order_is_pending(
    client: Client, shop: Shop, body: Any
) -> None:
    await fill_cart(client, shop)

    order = created_order(await post_checkout(client, shop.token, body))

    assert order["status"] == "PENDING"
    assert CLIENT_SECRET.fullmatch(order["payment_client_secret"]), order
    assert snapshots(order) == [
        (shop.book["id"], "THE FIRST BOOK", 1250, 2),
        (shop.other_book["id"], "THE SECOND BOOK", 399, 3),
    ]
    assert await stocks(client, shop) == (8, 2)
    assert await view_cart(client, shop.token) == EMPTY_CART


async def test_the_client_secret_is_shown_to_the_owner_only(client: Client, shop: Shop) -> None:
    await fill_cart(client, shop)
    order = created_order(await post_checkout(client, shop.token, {}))

    stored = await get_order(client, shop.token, order["id"])

    assert stored == order  # a client that reloads during 3-D Secure can still complete the payment
    assert (await my_orders(client, shop.token))["items"] == [stored]
    assert (await all_orders(client, shop.admin_token))["items"] == [
        {**stored, "payment_client_secret": None, "user_email": shop.customer.email}
    ]


async def test_each_pending_order_has_its_own_client_secret(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"])
    first = created_order(await post_checkout(client, shop.token, {}))
    await add_to_cart(client, shop.token, shop.book["id"])
    second = created_order(await post_checkout(client, shop.token, {}))

    assert first["payment_client_secret"] != second["payment_client_secret"]
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8


# --- declined ------------------------------------------------------------------------------------


@pytest.mark.parametrize("card", [*DECLINING_CARDS, "tok_visa"])  # Stripe refuses an unknown method
async def test_a_declined_card_is_402_with_a_failed_order(client: Client, shop: Shop, card: str) -> None:
    await fill_cart(client, shop)
    cart = await view_cart(client, shop.token)

    body = assert_problem(await post_checkout(client, shop.token, pay_with(card)), 402, "payment_declined")

    assert isinstance(body["order_id"], int), body
    order = await get_order(client, shop.token, body["order_id"])
    assert order["status"] == "FAILED"
    assert order["payment_client_secret"] is None
    assert snapshots(order) == [
        (shop.book["id"], "THE FIRST BOOK", 1250, 2),
        (shop.other_book["id"], "THE SECOND BOOK", 399, 3),
    ]
    assert await stocks(client, shop) == (10, 5)
    assert await view_cart(client, shop.token) == cart
    assert [item["id"] for item in (await my_orders(client, shop.token))["items"]] == [body["order_id"]]


async def test_after_a_decline_the_kept_cart_can_be_paid(client: Client, shop: Shop) -> None:
    await fill_cart(client, shop)
    declined = assert_problem(
        await post_checkout(client, shop.token, pay_with(DECLINING_CARDS[0])), 402, "payment_declined"
    )

    order = created_order(await post_checkout(client, shop.token, pay_with(PAYS)))

    assert order["status"] == "PAID"
    assert order["id"] != declined["order_id"]
    assert await stocks(client, shop) == (8, 2)
    assert await view_cart(client, shop.token) == EMPTY_CART
    statuses = {o["id"]: o["status"] for o in (await my_orders(client, shop.token))["items"]}
    assert statuses == {order["id"]: "PAID", declined["order_id"]: "FAILED"}


async def test_another_customers_purchase_can_leave_my_line_short(client: Client, shop: Shop) -> None:
    other = await signup_and_login(client, "other@example.com")
    await add_to_cart(client, shop.token, shop.other_book["id"], 3)
    await add_to_cart(client, other.access_token, shop.other_book["id"], 4)
    created_order(await post_checkout(client, other.access_token, pay_with(PAYS)))

    cart = await view_cart(client, shop.token)
    assert cart["items"][0]["available"] is False
    assert_problem(await post_checkout(client, shop.token, pay_with(PAYS)), 409, "insufficient_stock")
    assert await view_cart(client, shop.token) == cart
    assert await stocks(client, shop) == (10, 1)
