"""GET /admin/orders: everyone's orders, newest first, filtered by status and customer; admins only."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, ids
from tests.http.conftest import (
    Session,
    assert_problem,
    bearer,
    error_fields,
    refused_before_any_store,
    signup_and_login,
)
from tests.http.shopping_helpers import (
    DECLINING_CARDS,
    Shop,
    add_to_cart,
    all_orders,
    buy,
    open_shop,
    pay_with,
    post_checkout,
)


class Orders:
    """Orders of two customers, oldest first."""

    def __init__(self, shop: Shop, other: Session) -> None:
        self.shop = shop
        self.other = other
        self.made: list[tuple[int, int, str]] = []  # (order id, user id, status)

    def ids(self, *, user_id: int | None = None, status: str | None = None) -> list[int]:
        """Ids matching the filters, newest first."""
        return [
            order_id
            for order_id, owner, made_status in reversed(self.made)
            if user_id in (None, owner) and status in (None, made_status)
        ]


@pytest.fixture
async def orders(client: Client, container: Container) -> Orders:
    shop = await open_shop(client, container)
    other = await signup_and_login(client, "other@example.com")
    made = Orders(shop, other)
    plan = [
        (shop.customer, "PAID"),
        (other, "PENDING"),
        (shop.customer, "FAILED"),
        (other, "PAID"),
        (shop.customer, "PENDING"),
        (other, "FAILED"),
    ]
    for session, status in plan:
        token = session.access_token
        if status == "FAILED":
            await add_to_cart(client, token, shop.book["id"])
            response = await post_checkout(client, token, pay_with(DECLINING_CARDS[1]))
            order_id = int(assert_problem(response, 402, "payment_declined")["order_id"])
            await client.post("/cart/remove", json={"product_id": shop.book["id"]}, headers=bearer(token))
        else:
            card = "pm_card_visa" if status == "PAID" else None
            order_id = int((await buy(client, token, shop.book["id"], 1, card))["id"])
        made.made.append((order_id, session.user_id, status))
    return made


async def test_an_admin_sees_every_order_newest_first(client: Client, orders: Orders) -> None:
    page = await all_orders(client, orders.shop.admin_token)

    assert ids(page["items"]) == orders.ids()
    assert (page["total"], page["limit"], page["offset"]) == (6, 20, 0)
    assert all(order["payment_client_secret"] is None for order in page["items"])
    assert {order["user_id"] for order in page["items"]} == {
        orders.shop.customer.user_id,
        orders.other.user_id,
    }


@pytest.mark.parametrize("status", ["PAID", "PENDING", "FAILED"])
async def test_filter_by_status(client: Client, orders: Orders, status: str) -> None:
    page = await all_orders(client, orders.shop.admin_token, {"status": status})

    assert ids(page["items"]) == orders.ids(status=status)
    assert page["total"] == 2


async def test_filter_by_customer(client: Client, orders: Orders) -> None:
    for session in (orders.shop.customer, orders.other):
        page = await all_orders(client, orders.shop.admin_token, {"user_id": session.user_id})

        assert ids(page["items"]) == orders.ids(user_id=session.user_id)
        assert page["total"] == 3
        assert {order["user_id"] for order in page["items"]} == {session.user_id}


async def test_filters_combine(client: Client, orders: Orders) -> None:
    user_id = orders.other.user_id
    page = await all_orders(client, orders.shop.admin_token, {"user_id": user_id, "status": "PAID"})

    assert ids(page["items"]) == orders.ids(user_id=user_id, status="PAID")
    assert page["total"] == 1


async def test_a_customer_without_orders_has_an_empty_page(client: Client, orders: Orders) -> None:
    page = await all_orders(client, orders.shop.admin_token, {"user_id": orders.shop.admin.user_id})

    assert (page["items"], page["total"]) == ([], 0)


async def test_admin_orders_are_paged(client: Client, orders: Orders) -> None:
    first = await all_orders(client, orders.shop.admin_token, {"limit": 4})
    second = await all_orders(client, orders.shop.admin_token, {"limit": 4, "offset": 4})

    assert ids(first["items"]) + ids(second["items"]) == orders.ids()
    assert (first["total"], second["total"]) == (6, 6)
    assert len(second["items"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "paid_out"}, "status"),
        ({"user_id": 0}, "user_id"),
        ({"user_id": "me"}, "user_id"),
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ],
    ids=repr,
)
@refused_before_any_store
async def test_a_bad_query_is_a_validation_error(
    client: Client, orders: Orders, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/admin/orders", params=params, headers=bearer(orders.shop.admin_token))

    assert field in error_fields(assert_problem(response, 400, "validation_error"))


async def test_a_customer_is_forbidden(client: Client, orders: Orders) -> None:
    response = await client.get("/admin/orders", headers=bearer(orders.shop.token))

    assert_problem(response, 403, "forbidden")


@refused_before_any_store
async def test_no_token_is_unauthorized(client: Client, orders: Orders) -> None:
    assert_problem(await client.get("/admin/orders"), 401, "unauthorized")
