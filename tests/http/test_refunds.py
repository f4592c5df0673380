"""POST /admin/orders/{id}/refunds, refunds in the order JSON, and refunds told by Stripe's webhooks."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client
from tests.http.conftest import assert_problem, bearer, error_fields, media_type
from tests.http.shopping_helpers import (
    Shop,
    buy,
    deliver,
    get_order,
    open_shop,
    payment_provider,
    stock_of,
    utc,
)
from tests.payments.signing import refund_event, refund_object, refunded_charge

REFUND_KEYS = {"id", "amount_cents", "reason", "status", "restocked", "created_at"}


async def post_refund(
    client: Client, token: str, order_id: int, body: Any = None, *, key: str | None = None
) -> Any:
    headers = bearer(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    path = f"/admin/orders/{order_id}/refunds"
    if body is None:
        return await client.post(path, headers=headers)
    return await client.post(path, json=body, headers=headers)


def checked_refund(refund: dict[str, Any]) -> dict[str, Any]:
    assert set(refund) == REFUND_KEYS, refund
    assert refund["status"] in {"PENDING", "SUCCEEDED", "FAILED"}, refund
    utc(refund["created_at"])
    return refund


def created_refund(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    assert media_type(response) == "application/json"
    return checked_refund(response.json())


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def test_a_refund_without_a_body_gives_back_the_whole_order(client: Client, shop: Shop) -> None:
    order = await buy(client, shop.token, shop.book["id"], 2)

    refund = created_refund(await post_refund(client, shop.admin_token, order["id"]))

    total = order["total_amount_cents"]
    assert (refund["amount_cents"], refund["status"], refund["reason"], refund["restocked"]) == (
        total,
        "SUCCEEDED",
        None,
        [],
    )
    seen = await get_order(client, shop.token, order["id"])
    assert seen["refunded_cents"] == total
    assert [checked_refund(r) for r in seen["refunds"]] == [refund]


async def test_a_partial_refund_with_restock_puts_units_back_and_leaves_the_rest(
    client: Client, container: Container, shop: Shop
) -> None:
    order = await buy(client, shop.token, shop.book["id"], 3)
    before = await stock_of(client, shop.admin_token, shop.book["id"])
    part = order["total_amount_cents"] // 3
    body = {
        "amount_cents": part,
        "reason": "one copy damaged",
        "restock": [{"product_id": shop.book["id"], "quantity": 1}],
    }

    refund = created_refund(await post_refund(client, shop.admin_token, order["id"], body))

    assert (refund["amount_cents"], refund["reason"], refund["restocked"]) == (
        part,
        "one copy damaged",
        [{"product_id": shop.book["id"], "quantity": 1}],
    )
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == before + 1
    assert (await get_order(client, shop.token, order["id"]))["refunded_cents"] == part
    [made] = payment_provider(container).refunds
    assert made.amount_cents == part


async def test_the_same_idempotency_key_answers_the_same_refund(
    client: Client, container: Container, shop: Shop
) -> None:
    order = await buy(client, shop.token, shop.book["id"])
    body = {"amount_cents": 100}

    first = created_refund(await post_refund(client, shop.admin_token, order["id"], body, key="refund-1"))
    again = created_refund(await post_refund(client, shop.admin_token, order["id"], body, key="refund-1"))

    assert again == first
    assert len(payment_provider(container).refunds) == 1
    assert (await get_order(client, shop.token, order["id"]))["refunded_cents"] == 100


async def test_more_than_is_left_is_refused(client: Client, shop: Shop) -> None:
    order = await buy(client, shop.token, shop.book["id"])
    total = order["total_amount_cents"]

    assert_problem(
        await post_refund(client, shop.admin_token, order["id"], {"amount_cents": total + 1}),
        409,
        "refund_exceeds_payment",
    )
    created_refund(await post_refund(client, shop.admin_token, order["id"]))
    assert_problem(await post_refund(client, shop.admin_token, order["id"]), 409, "refund_exceeds_payment")
    seen = await get_order(client, shop.token, order["id"])
    assert (seen["refunded_cents"], len(seen["refunds"])) == (total, 1)


async def test_an_unpaid_order_is_not_refundable(client: Client, shop: Shop) -> None:
    pending = await buy(client, shop.token, shop.book["id"], payment_method_id=None)

    assert_problem(await post_refund(client, shop.admin_token, pending["id"]), 409, "order_not_refundable")
    assert (await get_order(client, shop.token, pending["id"]))["refunds"] == []


async def test_restocking_more_than_the_order_holds_is_refused(client: Client, shop: Shop) -> None:
    order = await buy(client, shop.token, shop.book["id"], 1)
    body = {"restock": [{"product_id": shop.book["id"], "quantity": 2}]}

    problem = assert_problem(
        await post_refund(client, shop.admin_token, order["id"], body), 400, "validation_error"
    )

    assert error_fields(problem) == ["restock"]
    assert (await get_order(client, shop.token, order["id"]))["refunds"] == []


async def test_a_missing_order_is_not_found(client: Client, shop: Shop) -> None:
    assert_problem(await post_refund(client, shop.admin_token, 999_999), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"amount_cents": 0},
        {"amount_cents": "5"},
        {"reason": "x" * 501},
        {"restock": [{"product_id": 1}]},
        {"restock": [{"product_id": 1, "quantity": 0}]},
        {"refunded_cents": 5},
    ],
)
async def test_bad_bodies_are_refused(client: Client, shop: Shop, body: Any) -> None:
    order = await buy(client, shop.token, shop.book["id"])

    assert_problem(await post_refund(client, shop.admin_token, order["id"], body), 400, "validation_error")
    assert (await get_order(client, shop.token, order["id"]))["refunds"] == []


async def test_customers_cannot_refund(client: Client, shop: Shop) -> None:
    order = await buy(client, shop.token, shop.book["id"])

    assert_problem(await post_refund(client, shop.token, order["id"]), 403, "forbidden")
    assert_problem(await client.post(f"/admin/orders/{order['id']}/refunds"), 401, "unauthorized")


# --- refunds made outside the shop, told by Stripe ----------------------------------------------


async def test_a_dashboard_refund_told_by_charge_refunded_is_recorded_once(
    client: Client, container: Container, shop: Shop
) -> None:
    order = await buy(client, shop.token, shop.book["id"], 2)
    intent = order_intent(container, order["id"])
    outside = refund_object("re_dashboard_1", amount=500, payment_intent_id=intent)
    payload = refund_event("charge.refunded", refunded_charge(intent, order["total_amount_cents"], outside))

    first = await deliver(client, container, payload)
    again = await deliver(
        client, container, refund_event("refund.updated", outside)
    )  # another event about the same refund

    assert (first.status_code, first.json()["outcome"]) == (200, "refund_recorded")
    assert (again.status_code, again.json()["outcome"]) == (200, "refund_known")
    seen = await get_order(client, shop.token, order["id"])
    assert seen["refunded_cents"] == 500
    [refund] = seen["refunds"]
    assert (refund["amount_cents"], refund["status"], refund["restocked"]) == (500, "SUCCEEDED", [])


async def test_the_shops_own_refund_told_back_by_stripe_is_not_counted_twice(
    client: Client, container: Container, shop: Shop
) -> None:
    order = await buy(client, shop.token, shop.book["id"])
    refund = created_refund(await post_refund(client, shop.admin_token, order["id"], {"amount_cents": 300}))
    [made] = payment_provider(container).refunds
    intent = order_intent(container, order["id"])
    told = refund_object(
        made.id,
        amount=300,
        payment_intent_id=intent,
        metadata={"order_id": str(order["id"]), "refund_id": str(refund["id"])},
    )

    response = await deliver(
        client, container, refund_event("charge.refunded", refunded_charge(intent, 1250, told))
    )

    assert response.json()["outcome"] == "refund_known"
    assert (await get_order(client, shop.token, order["id"]))["refunded_cents"] == 300


def order_intent(container: Container, order_id: int) -> str:
    """The payment intent the built-in provider made for the order."""
    charge = payment_provider(container).charge_of_order(order_id)
    assert charge is not None
    return charge.id
