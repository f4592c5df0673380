"""POST /orders/{id}/cancel and POST /orders/{id}/pay: the customer's own PENDING orders only."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json
from tests.http.conftest import assert_problem, bearer, refused_before_any_store, signup_and_login
from tests.http.shopping_helpers import (
    AUTHENTICATION_REQUIRED,
    PAYS,
    VISA_DECLINED,
    Shop,
    add_to_cart,
    all_orders,
    buy,
    checked_order,
    get_order,
    open_shop,
    pay_with,
    payment_intent_of,
    payment_provider,
    post_checkout,
    stock_of,
)


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def cancel(client: Client, token: str, order_id: int) -> Response:
    return await client.post(f"/orders/{order_id}/cancel", headers=bearer(token))


async def pay(client: Client, token: str, order_id: int, body: Any, key: str | None = None) -> Response:
    headers = bearer(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(f"/orders/{order_id}/pay", json=body, headers=headers)


def answered(response: Response) -> Json:
    assert response.status_code == 200, response.text
    return checked_order(response.json())


async def pending(client: Client, shop: Shop) -> Json:
    """Two copies of the first book, awaiting 3-D Secure."""
    order = await buy(client, shop.token, shop.book["id"], 2, None)
    assert order["status"] == "PENDING"
    return order


async def test_a_cancelled_order_is_failed_as_cancelled_and_its_stock_is_back(
    client: Client, shop: Shop
) -> None:
    order = await pending(client, shop)

    cancelled = answered(await cancel(client, shop.token, order["id"]))

    assert cancelled == {
        **order,
        "status": "FAILED",
        "failure_reason": "cancelled",
        "payment_client_secret": None,
    }
    assert await get_order(client, shop.token, order["id"]) == cancelled
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 10


async def test_an_order_paid_before_the_cancel_reached_the_provider_is_answered_paid(
    client: Client, container: Container, shop: Shop
) -> None:
    order = await pending(client, shop)
    payment_provider(container).confirm(payment_intent_of(order["payment_client_secret"]))

    answer = answered(await cancel(client, shop.token, order["id"]))

    assert (answer["status"], answer["failure_reason"]) == ("PAID", None)
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8


async def test_paid_and_failed_orders_are_neither_cancelled_nor_paid_again(
    client: Client, shop: Shop
) -> None:
    paid = await buy(client, shop.token, shop.book["id"], 1)
    await add_to_cart(client, shop.token, shop.other_book["id"], 1)
    declined = assert_problem(
        await post_checkout(client, shop.token, pay_with(VISA_DECLINED)), 402, "payment_declined"
    )

    for order_id in (paid["id"], declined["order_id"]):
        assert_problem(await cancel(client, shop.token, order_id), 409, "order_not_cancellable")
        assert_problem(await pay(client, shop.token, order_id, pay_with(PAYS)), 409, "order_not_cancellable")

    assert (await get_order(client, shop.token, declined["order_id"]))["failure_reason"] == "declined"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 9


async def test_someone_elses_order_and_a_missing_one_are_not_found(client: Client, shop: Shop) -> None:
    order = await pending(client, shop)
    bob = await signup_and_login(client, "bob@example.com")

    for token, order_id in [(bob.access_token, order["id"]), (shop.token, 999)]:
        assert_problem(await cancel(client, token, order_id), 404, "not_found")
        assert_problem(await pay(client, token, order_id, pay_with(PAYS)), 404, "not_found")
    assert_problem(
        await client.get(f"/orders/{order['id']}", headers=bearer(bob.access_token)), 404, "not_found"
    )

    assert (await get_order(client, shop.token, order["id"]))["status"] == "PENDING"


async def test_only_the_owner_sees_the_client_secret_of_a_pending_order(client: Client, shop: Shop) -> None:
    order = await pending(client, shop)

    mine = await get_order(client, shop.token, order["id"])
    [seen_by_staff] = (await all_orders(client, shop.admin_token))["items"]

    assert mine["payment_client_secret"] == order["payment_client_secret"] is not None
    assert seen_by_staff["payment_client_secret"] is None


async def test_paying_again_pays_the_order_through_its_one_payment_intent(
    client: Client, container: Container, shop: Shop
) -> None:
    order = await pending(client, shop)
    charges = payment_provider(container).charge_count

    paid = answered(await pay(client, shop.token, order["id"], pay_with(PAYS)))

    assert paid == {**order, "status": "PAID", "payment_client_secret": None}
    assert payment_provider(container).charge_count == charges  # the same intent, confirmed
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8


async def test_a_declined_new_attempt_is_402_and_the_order_stays_pending_with_its_stock(
    client: Client, shop: Shop
) -> None:
    order = await pending(client, shop)

    declined = assert_problem(
        await pay(client, shop.token, order["id"], pay_with(VISA_DECLINED)), 402, "payment_declined"
    )

    assert declined["order_id"] == order["id"]
    assert await get_order(client, shop.token, order["id"]) == order
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8
    assert answered(await pay(client, shop.token, order["id"], pay_with(PAYS)))["status"] == "PAID"


async def test_a_new_attempt_needing_3d_secure_answers_pending_with_the_client_secret(
    client: Client, shop: Shop
) -> None:
    order = await pending(client, shop)

    answer = answered(await pay(client, shop.token, order["id"], pay_with(AUTHENTICATION_REQUIRED)))

    assert answer == order  # still PENDING, with the intent's client secret


async def test_the_same_idempotency_key_answers_the_same_and_charges_once(
    client: Client, container: Container, shop: Shop
) -> None:
    order = await pending(client, shop)

    first = answered(await pay(client, shop.token, order["id"], pay_with(PAYS), key="pay-1"))
    again = answered(await pay(client, shop.token, order["id"], pay_with(PAYS), key="pay-1"))

    assert first == again
    assert first["status"] == "PAID"
    assert payment_provider(container).charge_count == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"payment_method_id": ""}, {"payment_method_id": PAYS, "amount_cents": 1}, {"payment_method_id": 7}],
)
@refused_before_any_store
async def test_a_malformed_body_is_400(client: Client, shop: Shop, body: Json) -> None:
    assert_problem(await pay(client, shop.token, 1, body), 400, "validation_error")
