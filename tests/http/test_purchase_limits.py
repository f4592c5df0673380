"""The caps over HTTP: a line above MAX_QUANTITY_PER_LINE is 400 validation_error naming
`quantity` (on /cart/add and at checkout), and a customer already holding
MAX_PENDING_ORDERS_PER_USER unpaid orders gets 409 too_many_pending_orders. Nothing changes."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.http.catalog_helpers import Client, Json, book, create_product
from tests.http.conftest import assert_problem, bearer, error_fields
from tests.http.shopping_helpers import (
    PAYS,
    Shop,
    add_to_cart,
    all_orders,
    buy,
    lines,
    open_shop,
    pay_with,
    post_add,
    post_checkout,
    stock_of,
    view_cart,
)


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


@pytest.fixture
async def big_shelf(client: Client, shop: Shop) -> Json:
    return await create_product(client, shop.admin_token, book("A BOOK IN BULK", price_cents=100, stock=100))


@pytest.mark.parametrize(("first", "then"), [(None, 11), (7, 4), (10, 1)])
async def test_adding_beyond_ten_of_a_book_is_a_validation_error_and_the_cart_is_unchanged(
    client: Client, shop: Shop, big_shelf: Json, first: int | None, then: int
) -> None:
    if first is not None:
        await add_to_cart(client, shop.token, big_shelf["id"], first)
    before = await view_cart(client, shop.token)

    response = await post_add(client, shop.token, {"product_id": big_shelf["id"], "quantity": then})

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == ["quantity"]
    assert "at most 10" in body["errors"][0]["message"]
    assert await view_cart(client, shop.token) == before


async def test_ten_of_a_book_is_fine(client: Client, shop: Shop, big_shelf: Json) -> None:
    await add_to_cart(client, shop.token, big_shelf["id"], 6)
    cart = await add_to_cart(client, shop.token, big_shelf["id"], 4)

    assert lines(cart)[big_shelf["id"]]["quantity"] == 10


async def test_a_third_unpaid_order_is_too_many_pending_orders_and_nothing_changes(
    client: Client, shop: Shop, big_shelf: Json
) -> None:
    for _ in range(2):
        order = await buy(client, shop.token, big_shelf["id"], 10, payment_method_id=None)
        assert order["status"] == "PENDING"
    await add_to_cart(client, shop.token, big_shelf["id"], 10)
    cart = await view_cart(client, shop.token)

    for payment in [{}, pay_with(PAYS)]:
        response = await post_checkout(client, shop.token, payment, key=f"third-{len(payment)}")
        body = assert_problem(response, 409, "too_many_pending_orders")
        assert "2 unpaid orders" in body["detail"]

    assert (await all_orders(client, shop.admin_token))["total"] == 2
    assert await stock_of(client, shop.admin_token, big_shelf["id"]) == 80
    assert await view_cart(client, shop.token) == cart


async def test_a_line_above_a_cap_lowered_since_it_was_added_is_refused_at_checkout(
    client: Client, shop: Shop, big_shelf: Json, database_url: str
) -> None:
    """Another deployment of the same database, with MAX_QUANTITY_PER_LINE=20, took the line."""
    generous = create_app(build_container(make_settings(database_url, max_quantity_per_line=20)))
    async with AsyncTestClient(app=generous, base_url="http://testserver.local") as before:
        added = await before.post(
            "/cart/add", json={"product_id": big_shelf["id"], "quantity": 15}, headers=bearer(shop.token)
        )
        assert added.status_code == 200, added.text

    response = await post_checkout(client, shop.token, pay_with(PAYS))

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == ["quantity"]
    assert (await all_orders(client, shop.admin_token))["total"] == 0
    assert await stock_of(client, shop.admin_token, big_shelf["id"]) == 100
    assert lines(await view_cart(client, shop.token))[big_shelf["id"]]["quantity"] == 15
