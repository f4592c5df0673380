"""Idempotency-Key on POST /checkout: the same key from the same user gets the same answer, never a
second charge or stock movement; keys are per user; refusals before any order are not remembered."""

from __future__ import annotations

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client
from tests.http.conftest import Session, assert_problem, bearer, signup_and_login
from tests.http.shopping_helpers import (
    AUTHENTICATION_REQUIRED,
    DECLINING_CARDS,
    EMPTY_CART,
    PAYS,
    SUCCEEDED,
    Shop,
    add_to_cart,
    all_orders,
    created_order,
    deliver,
    event_for,
    get_order,
    my_orders,
    open_shop,
    pay_with,
    payment_intent_of,
    payment_provider,
    post_checkout,
    post_each,
    set_stock,
    stock_of,
    view_cart,
)

KEY = "checkout-3f9a1c52-7e4b-4d1a-9c0e-5b2f8d6a1e77"


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def test_the_same_key_twice_is_the_same_paid_order(
    client: Client, container: Container, shop: Shop
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 3)

    first = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY))
    again = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY))

    assert first["status"] == "PAID"
    assert again == first
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 7
    assert (await my_orders(client, shop.token))["total"] == 1
    assert payment_provider(container).charge_count == 1


async def test_the_same_key_replays_a_pending_order_with_its_client_secret(
    client: Client, container: Container, shop: Shop
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)

    first = created_order(await post_checkout(client, shop.token, {}, key=KEY))
    again = created_order(await post_checkout(client, shop.token, {}, key=KEY))

    assert first["status"] == "PENDING"
    assert again == first
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8
    assert (await my_orders(client, shop.token))["total"] == 1
    assert payment_provider(container).charge_count == 1


async def test_the_key_decides_not_the_body(client: Client, container: Container, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    first = created_order(await post_checkout(client, shop.token, pay_with(AUTHENTICATION_REQUIRED), key=KEY))

    again = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY))

    assert again["id"] == first["id"]
    assert again["status"] == "PENDING"
    assert payment_provider(container).charge_count == 1


@pytest.mark.parametrize("card", DECLINING_CARDS)
async def test_the_same_key_after_a_decline_is_402_again_with_the_same_order(
    client: Client, container: Container, shop: Shop, card: str
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 4)

    first = assert_problem(
        await post_checkout(client, shop.token, pay_with(card), key=KEY), 402, "payment_declined"
    )
    again = assert_problem(
        await post_checkout(client, shop.token, pay_with(card), key=KEY), 402, "payment_declined"
    )

    assert again["order_id"] == first["order_id"]
    assert (await get_order(client, shop.token, first["order_id"]))["status"] == "FAILED"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10
    assert (await my_orders(client, shop.token))["total"] == 1
    assert payment_provider(container).charge_count == 1
    assert len((await view_cart(client, shop.token))["items"]) == 1


async def test_a_declined_key_is_not_retried_with_a_good_card(
    client: Client, container: Container, shop: Shop
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 4)
    first = assert_problem(
        await post_checkout(client, shop.token, pay_with(DECLINING_CARDS[0]), key=KEY),
        402,
        "payment_declined",
    )

    again = assert_problem(
        await post_checkout(client, shop.token, pay_with(PAYS), key=KEY), 402, "payment_declined"
    )
    paid = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY + "-retry"))

    assert again["order_id"] == first["order_id"]
    assert paid["status"] == "PAID"
    assert paid["id"] != first["order_id"]
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 6


async def test_another_key_is_another_checkout(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 1)
    created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY))

    response = await post_checkout(client, shop.token, pay_with(PAYS), key=KEY + "-2")

    assert_problem(response, 409, "cart_empty")
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 9


async def test_keys_are_per_user(client: Client, container: Container, shop: Shop) -> None:
    other = await signup_and_login(client, "other@example.com")
    await add_to_cart(client, shop.token, shop.book["id"], 1)
    await add_to_cart(client, other.access_token, shop.book["id"], 2)

    mine = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY))
    theirs = created_order(await post_checkout(client, other.access_token, pay_with(PAYS), key=KEY))

    assert theirs["id"] != mine["id"]
    assert theirs["user_id"] == other.user_id
    assert theirs["items"][0]["quantity"] == 2
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 7
    assert (await all_orders(client, shop.admin_token))["total"] == 2
    assert payment_provider(container).charge_count == 2


async def test_a_refusal_before_any_order_is_not_remembered(client: Client, shop: Shop) -> None:
    assert_problem(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY), 409, "cart_empty")

    await add_to_cart(client, shop.token, shop.book["id"], 2)
    order = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY))

    assert order["status"] == "PAID"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8


async def test_an_insufficient_stock_refusal_is_not_remembered(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 5)
    await set_stock(client, shop.admin_token, shop.book["id"], 4)
    assert_problem(
        await post_checkout(client, shop.token, pay_with(PAYS), key=KEY), 409, "insufficient_stock"
    )

    await set_stock(client, shop.admin_token, shop.book["id"], 5)
    order = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY))

    assert order["status"] == "PAID"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 0


async def test_a_validation_error_is_not_remembered(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 1)
    assert_problem(
        await post_checkout(client, shop.token, {"payment_method_id": 1}, key=KEY), 400, "validation_error"
    )

    order = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=KEY))

    assert order["status"] == "PAID"


@pytest.mark.parametrize("key", ["k", "k" * 255])
async def test_keys_of_1_to_255_characters_are_accepted(client: Client, shop: Shop, key: str) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 1)

    first = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=key))
    again = created_order(await post_checkout(client, shop.token, pay_with(PAYS), key=key))

    assert again["id"] == first["id"]


@pytest.mark.parametrize("key", ["", "k" * 256, "k" * 1000], ids=["empty", "256", "1000"])
async def test_a_key_empty_or_longer_than_255_is_refused(
    client: Client, container: Container, shop: Shop, key: str
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 1)

    response = await post_checkout(client, shop.token, pay_with(PAYS), key=key)

    assert_problem(response, 400, "validation_error")
    assert (await all_orders(client, shop.admin_token))["total"] == 0
    assert payment_provider(container).charge_count == 0
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10


# --- concurrency ---------------------------------------------------------------------------------


def checkout_request(session: Session, key: str | None) -> tuple[str, dict[str, str], object]:
    headers = bearer(session.access_token)
    if key is not None:
        headers["Idempotency-Key"] = key
    return ("/checkout", headers, pay_with(PAYS))


async def test_concurrent_requests_with_one_key_make_one_order(
    client: Client, container: Container, shop: Shop
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)

    responses = await post_each(client, [checkout_request(shop.customer, KEY)] * 6)

    created = [response for response in responses if response.status_code == 201]
    assert created, [response.text for response in responses]
    assert len({response.json()["id"] for response in created}) == 1
    for response in responses:
        if response.status_code != 201:
            assert_problem(response, 409, "idempotency_key_reused")
    orders = await all_orders(client, shop.admin_token)
    assert [order["id"] for order in orders["items"]] == [created[0].json()["id"]]
    assert orders["items"][0]["status"] == "PAID"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8
    assert payment_provider(container).charge_count == 1
    assert await view_cart(client, shop.token) == EMPTY_CART


async def test_concurrent_checkouts_never_sell_more_than_the_stock(
    client: Client, container: Container, shop: Shop
) -> None:
    await set_stock(client, shop.admin_token, shop.book["id"], 3)
    buyers = [await signup_and_login(client, f"buyer{n}@example.com") for n in range(5)]
    for buyer in buyers:
        await add_to_cart(client, buyer.access_token, shop.book["id"], 1)

    responses = await post_each(client, [checkout_request(buyer, None) for buyer in buyers])

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 3 + [409] * 2, [response.text for response in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "insufficient_stock")
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 0
    assert (await all_orders(client, shop.admin_token, {"status": "PAID"}))["total"] == 3
    assert (await all_orders(client, shop.admin_token))["total"] == 3
    assert payment_provider(container).charge_count == 3


async def test_a_replay_after_the_webhook_names_the_same_order(
    client: Client, container: Container, shop: Shop
) -> None:
    await add_to_cart(client, shop.token, shop.book["id"], 2)
    first = created_order(await post_checkout(client, shop.token, {}, key=KEY))
    intent = payment_intent_of(first["payment_client_secret"])
    assert (
        await deliver(
            client,
            container,
            event_for(SUCCEEDED, intent, first["id"], amount_cents=first["total_amount_cents"]),
        )
    ).status_code == 200

    again = created_order(await post_checkout(client, shop.token, {}, key=KEY))

    assert again["id"] == first["id"]
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8
    assert payment_provider(container).charge_count == 1
