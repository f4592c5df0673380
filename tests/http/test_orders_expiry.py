"""`bookshop orders expire-pending`, through its use case on the app's own store: PENDING orders older
than PENDING_ORDER_TTL_SECONDS are failed and their stock returned; nothing else moves."""

from __future__ import annotations

import asyncio

import pytest

from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.conftest import make_settings
from tests.http.catalog_helpers import Client
from tests.http.conftest import assert_problem, in_app_loop
from tests.http.shopping_helpers import (
    DECLINING_CARDS,
    PAYMENT_FAILED,
    SUCCEEDED,
    Shop,
    add_to_cart,
    buy,
    created_order,
    deliver,
    event_for,
    get_order,
    open_shop,
    pay_with,
    payment_intent_of,
    post_checkout,
    stock_of,
)

TTL_SECONDS = 1
OLD_ENOUGH = TTL_SECONDS + 0.2


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The app with one second to pay: orders become old enough to expire within the test."""
    return make_settings(database_url, pending_order_ttl_seconds=TTL_SECONDS)


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


def expire(client: Client, container: Container) -> int:
    return in_app_loop(client, container.expire_pending_orders())


async def status_of(client: Client, shop: Shop, order_id: int) -> str:
    return str((await get_order(client, shop.token, order_id))["status"])


async def test_an_old_pending_order_fails_and_its_stock_returns(
    client: Client, container: Container, shop: Shop
) -> None:
    pending = await buy(client, shop.token, shop.book["id"], 3, payment_method_id=None)
    await asyncio.sleep(OLD_ENOUGH)

    assert expire(client, container) == 1

    order = await get_order(client, shop.token, pending["id"])
    assert order == {
        **pending,
        "status": "FAILED",
        "payment_client_secret": None,
        "failure_reason": "expired",
    }
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10


async def test_only_old_pending_orders_move(client: Client, container: Container, shop: Shop) -> None:
    paid = await buy(client, shop.token, shop.book["id"], 1)
    await add_to_cart(client, shop.token, shop.other_book["id"], 2)
    declined = assert_problem(
        await post_checkout(client, shop.token, pay_with(DECLINING_CARDS[0])), 402, "payment_declined"
    )
    old = created_order(await post_checkout(client, shop.token, {}))  # the cart kept after the decline
    assert old["items"][0]["quantity"] == 2
    await asyncio.sleep(OLD_ENOUGH)
    young = await buy(client, shop.token, shop.book["id"], 4, payment_method_id=None)

    assert expire(client, container) == 1

    assert await status_of(client, shop, paid["id"]) == "PAID"
    assert await status_of(client, shop, declined["order_id"]) == "FAILED"
    assert await status_of(client, shop, old["id"]) == "FAILED"
    assert await status_of(client, shop, young["id"]) == "PENDING"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10 - 1 - 4
    assert await stock_of(client, shop.admin_token, shop.other_book["id"]) == 5


async def test_expiring_again_returns_the_stock_once(
    client: Client, container: Container, shop: Shop
) -> None:
    pending = await buy(client, shop.token, shop.book["id"], 3, payment_method_id=None)
    await asyncio.sleep(OLD_ENOUGH)

    assert expire(client, container) == 1
    assert expire(client, container) == 0

    assert await status_of(client, shop, pending["id"]) == "FAILED"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10


async def test_an_order_settled_by_the_webhook_does_not_expire(
    client: Client, container: Container, shop: Shop
) -> None:
    pending = await buy(client, shop.token, shop.book["id"], 3, payment_method_id=None)
    intent = payment_intent_of(pending["payment_client_secret"])
    assert (
        await deliver(
            client,
            container,
            event_for(SUCCEEDED, intent, pending["id"], amount_cents=pending["total_amount_cents"]),
        )
    ).status_code == 200
    await asyncio.sleep(OLD_ENOUGH)

    assert expire(client, container) == 0

    assert await status_of(client, shop, pending["id"]) == "PAID"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 7


async def test_a_late_failure_after_expiry_changes_nothing_and_a_late_success_is_refunded(
    client: Client, container: Container, shop: Shop
) -> None:
    pending = await buy(client, shop.token, shop.book["id"], 3, payment_method_id=None)
    intent = payment_intent_of(pending["payment_client_secret"])
    await asyncio.sleep(OLD_ENOUGH)
    assert expire(client, container) == 1
    outcomes = []

    for event_type in (PAYMENT_FAILED, SUCCEEDED):
        response = await deliver(
            client,
            container,
            event_for(event_type, intent, pending["id"], amount_cents=pending["total_amount_cents"]),
        )
        assert response.status_code == 200, response.text
        outcomes.append(response.json()["outcome"])

    assert outcomes == ["already_final", "refunded"]
    order = await get_order(client, shop.token, pending["id"])
    assert (order["status"], order["refunded_cents"]) == ("FAILED", pending["total_amount_cents"])
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10
