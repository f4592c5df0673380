"""GET /orders/me and GET /orders/{id}: a customer's own orders, newest first; anyone else's is not found."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json, ids
from tests.http.conftest import (
    assert_problem,
    bearer,
    change_user,
    error_fields,
    refused_before_any_store,
    signup_and_login,
)
from tests.http.shopping_helpers import (
    DECLINING_CARDS,
    Shop,
    add_to_cart,
    buy,
    get_order,
    my_orders,
    open_shop,
    pay_with,
    post_checkout,
)


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def decline(client: Client, token: str, product_id: int) -> int:
    await add_to_cart(client, token, product_id, 1)
    response = await post_checkout(client, token, pay_with(DECLINING_CARDS[0]))
    order_id: int = assert_problem(response, 402, "payment_declined")["order_id"]
    await client.post("/cart/remove", json={"product_id": product_id}, headers=bearer(token))
    return order_id


@pytest.fixture
async def history(client: Client, shop: Shop) -> dict[str, list[int]]:
    """The customer's orders, oldest first: PAID, PENDING, FAILED, PAID, PENDING."""
    made: dict[str, list[int]] = {"PAID": [], "PENDING": [], "FAILED": [], "all": []}
    for status in ["PAID", "PENDING", "FAILED", "PAID", "PENDING"]:
        if status == "FAILED":
            order_id = await decline(client, shop.token, shop.book["id"])
        else:
            card = "pm_card_visa" if status == "PAID" else None
            order_id = (await buy(client, shop.token, shop.book["id"], 1, card))["id"]
        made[status].append(order_id)
        made["all"].append(order_id)
    return made


async def test_a_new_customer_has_no_orders(client: Client, shop: Shop) -> None:
    assert await my_orders(client, shop.token) == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_my_orders_are_newest_first(client: Client, shop: Shop, history: dict[str, list[int]]) -> None:
    page = await my_orders(client, shop.token)

    assert ids(page["items"]) == history["all"][::-1]
    assert page["total"] == 5
    assert [order["status"] for order in page["items"]] == ["PENDING", "PAID", "FAILED", "PENDING", "PAID"]
    assert all(order["user_id"] == shop.customer.user_id for order in page["items"])
    secrets = [order["payment_client_secret"] is not None for order in page["items"]]
    assert secrets == [True, False, False, True, False]  # the owner's PENDING orders carry theirs


async def test_the_list_shows_each_order_as_it_is(
    client: Client, shop: Shop, history: dict[str, list[int]]
) -> None:
    page = await my_orders(client, shop.token)

    for order in page["items"]:
        assert await get_order(client, shop.token, order["id"]) == order


@pytest.mark.parametrize("status", ["PAID", "PENDING", "FAILED"])
async def test_my_orders_filter_by_status(
    client: Client, shop: Shop, history: dict[str, list[int]], status: str
) -> None:
    page = await my_orders(client, shop.token, {"status": status})

    assert ids(page["items"]) == history[status][::-1]
    assert page["total"] == len(history[status])
    assert {order["status"] for order in page["items"]} == {status}


PAGES = [
    (2, 0, slice(0, 2)),
    (2, 2, slice(2, 4)),
    (2, 4, slice(4, 5)),
    (2, 6, slice(6, 6)),
    (100, 0, slice(0, 5)),
]


@pytest.mark.parametrize("window", PAGES, ids=lambda w: f"limit={w[0]},offset={w[1]}")
async def test_my_orders_are_paged(
    client: Client, shop: Shop, history: dict[str, list[int]], window: tuple[int, int, slice]
) -> None:
    limit, offset, expected = window
    page = await my_orders(client, shop.token, {"limit": limit, "offset": offset})

    assert ids(page["items"]) == history["all"][::-1][expected]
    assert (page["total"], page["limit"], page["offset"]) == (5, limit, offset)


async def test_paging_with_a_filter_counts_the_filtered_orders(
    client: Client, shop: Shop, history: dict[str, list[int]]
) -> None:
    page = await my_orders(client, shop.token, {"status": "PAID", "limit": 1, "offset": 1})

    assert ids(page["items"]) == [history["PAID"][0]]
    assert page["total"] == 2


BAD_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"limit": -1}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"offset": -1}, "offset"),
    ({"offset": "x"}, "offset"),
    ({"status": "SHIPPED"}, "status"),
    ({"status": ""}, "status"),
]


@pytest.mark.parametrize(("params", "field"), BAD_QUERIES, ids=repr)
@refused_before_any_store
async def test_a_bad_query_is_a_validation_error(
    client: Client, shop: Shop, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/orders/me", params=params, headers=bearer(shop.token))

    assert field in error_fields(assert_problem(response, 400, "validation_error"))


async def test_only_my_orders_are_listed(client: Client, shop: Shop, history: dict[str, list[int]]) -> None:
    other = await signup_and_login(client, "other@example.com")
    theirs = await buy(client, other.access_token, shop.book["id"])

    assert ids((await my_orders(client, other.access_token))["items"]) == [theirs["id"]]
    assert theirs["id"] not in ids((await my_orders(client, shop.token))["items"])
    assert (await my_orders(client, shop.token))["total"] == 5


# --- one order -----------------------------------------------------------------------------------


async def test_my_order_is_shown(client: Client, shop: Shop) -> None:
    order = await buy(client, shop.token, shop.book["id"], 2)

    assert await get_order(client, shop.token, order["id"]) == order


async def test_another_users_order_is_not_found(client: Client, shop: Shop) -> None:
    other = await signup_and_login(client, "other@example.com")
    theirs = await buy(client, other.access_token, shop.book["id"])

    response = await client.get(f"/orders/{theirs['id']}", headers=bearer(shop.token))

    assert_problem(response, 404, "not_found")


async def test_an_admin_sees_only_their_own_orders_here(client: Client, shop: Shop) -> None:
    mine = await buy(client, shop.token, shop.book["id"])

    response = await client.get(f"/orders/{mine['id']}", headers=bearer(shop.admin_token))

    assert_problem(response, 404, "not_found")
    assert (await my_orders(client, shop.admin_token))["total"] == 0


async def test_a_missing_order_is_not_found(client: Client, shop: Shop) -> None:
    order = await buy(client, shop.token, shop.book["id"])

    response = await client.get(f"/orders/{order['id'] + 1000}", headers=bearer(shop.token))

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("order_id", ["0", "-1", str(2**53)])
@refused_before_any_store
async def test_an_id_out_of_range_is_a_validation_error(client: Client, shop: Shop, order_id: str) -> None:
    response = await client.get(f"/orders/{order_id}", headers=bearer(shop.token))

    assert_problem(response, 400, "validation_error")


# --- who may look --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/orders/me", "/orders/1"])
@refused_before_any_store
async def test_no_token_is_unauthorized(client: Client, shop: Shop, path: str) -> None:
    await buy(client, shop.token, shop.book["id"])

    assert_problem(await client.get(path), 401, "unauthorized")


@pytest.mark.parametrize("path", ["/orders/me", "/orders/{order}"])
async def test_a_deactivated_user_is_refused_and_their_orders_stay(
    client: Client, container: Container, shop: Shop, path: str
) -> None:
    order: Json = await buy(client, shop.token, shop.book["id"])
    await change_user(client, container, shop.customer.user_id, is_active=False)

    response = await client.get(path.format(order=order["id"]), headers=bearer(shop.token))

    assert_problem(response, 403, "account_inactive")
    await change_user(client, container, shop.customer.user_id, is_active=True)
    assert await get_order(client, shop.token, order["id"]) == order
