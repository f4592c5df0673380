"""POST /admin/orders/{id}/ship and /deliver, GET /admin/orders/{id}: fulfilment apart from payment."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json, ids
from tests.http.conftest import assert_problem, bearer, error_fields, media_type, refused_before_any_store
from tests.http.shopping_helpers import (
    VISA_DECLINED,
    Shop,
    add_to_cart,
    all_orders,
    buy,
    checked_admin_order,
    checked_order,
    get_order,
    open_shop,
    pay_with,
    post_checkout,
    utc,
)

UNFULFILLED = {
    "status": "UNFULFILLED",
    "carrier": None,
    "tracking_number": None,
    "shipped_at": None,
    "delivered_at": None,
}
PARCEL = {"carrier": "DHL", "tracking_number": "JD014600006281234567"}


@pytest.fixture
async def shop(client: Client, container: Container) -> Shop:
    return await open_shop(client, container)


async def post_ship(client: Client, token: str, order_id: int, body: Any = PARCEL) -> Response:
    return await client.post(f"/admin/orders/{order_id}/ship", json=body, headers=bearer(token))


async def post_deliver(client: Client, token: str, order_id: int, body: Any = None) -> Response:
    if body is None:
        return await client.post(f"/admin/orders/{order_id}/deliver", headers=bearer(token))
    return await client.post(f"/admin/orders/{order_id}/deliver", json=body, headers=bearer(token))


def answered_order(response: Response) -> Json:
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    return checked_order(response.json())


async def admin_order(client: Client, shop: Shop, order_id: int) -> Json:
    response = await client.get(f"/admin/orders/{order_id}", headers=bearer(shop.admin_token))
    assert response.status_code == 200, response.text
    return checked_admin_order(response.json())


async def paid_order(client: Client, shop: Shop) -> int:
    return int((await buy(client, shop.token, shop.book["id"]))["id"])


async def test_a_new_order_is_unfulfilled(client: Client, shop: Shop) -> None:
    order = await buy(client, shop.token, shop.book["id"])

    assert order["fulfilment"] == UNFULFILLED
    assert (await get_order(client, shop.token, order["id"]))["fulfilment"] == UNFULFILLED


async def test_shipping_then_delivering_a_paid_order(client: Client, shop: Shop) -> None:
    order_id = await paid_order(client, shop)

    shipped = answered_order(
        await post_ship(client, shop.admin_token, order_id, {"carrier": " DHL ", "tracking_number": "JD01"})
    )
    delivered = answered_order(await post_deliver(client, shop.admin_token, order_id))

    assert shipped["status"] == "PAID"
    assert shipped["fulfilment"]["status"] == "SHIPPED"
    assert (shipped["fulfilment"]["carrier"], shipped["fulfilment"]["tracking_number"]) == ("DHL", "JD01")
    assert shipped["fulfilment"]["delivered_at"] is None
    shipped_at = utc(shipped["fulfilment"]["shipped_at"])
    assert delivered["fulfilment"]["status"] == "DELIVERED"
    assert delivered["fulfilment"]["shipped_at"] == shipped["fulfilment"]["shipped_at"]
    assert utc(delivered["fulfilment"]["delivered_at"]) >= shipped_at
    assert delivered["status"] == "PAID"
    mine = await get_order(client, shop.token, order_id)
    assert mine["fulfilment"] == delivered["fulfilment"]


async def test_an_admin_sees_any_order_with_its_customers_email(client: Client, shop: Shop) -> None:
    order_id = await paid_order(client, shop)
    await post_ship(client, shop.admin_token, order_id)

    seen = await admin_order(client, shop, order_id)

    assert seen["user_email"] == shop.customer.email
    assert seen["user_id"] == shop.customer.user_id
    assert seen["fulfilment"]["status"] == "SHIPPED"
    assert seen["payment_client_secret"] is None


async def test_a_pending_order_is_not_shippable(client: Client, shop: Shop) -> None:
    pending = await buy(client, shop.token, shop.book["id"], payment_method_id=None)

    body = assert_problem(
        await post_ship(client, shop.admin_token, pending["id"]), 409, "order_not_shippable"
    )

    assert "PENDING" in body["detail"]
    assert (await admin_order(client, shop, pending["id"]))["fulfilment"] == UNFULFILLED


async def test_a_failed_order_is_not_shippable(client: Client, shop: Shop) -> None:
    await add_to_cart(client, shop.token, shop.book["id"])
    declined = await post_checkout(client, shop.token, pay_with(VISA_DECLINED))
    order_id = int(assert_problem(declined, 402, "payment_declined")["order_id"])

    assert_problem(await post_ship(client, shop.admin_token, order_id), 409, "order_not_shippable")


async def test_an_order_ships_once_and_is_delivered_once(client: Client, shop: Shop) -> None:
    order_id = await paid_order(client, shop)
    assert_problem(await post_deliver(client, shop.admin_token, order_id), 409, "order_not_shippable")
    first = answered_order(await post_ship(client, shop.admin_token, order_id))

    again = await post_ship(client, shop.admin_token, order_id, {"carrier": "UPS", "tracking_number": "1Z"})
    assert_problem(again, 409, "order_not_shippable")
    answered_order(await post_deliver(client, shop.admin_token, order_id, {}))
    assert_problem(await post_deliver(client, shop.admin_token, order_id), 409, "order_not_shippable")

    assert (await admin_order(client, shop, order_id))["fulfilment"]["carrier"] == first["fulfilment"][
        "carrier"
    ]


async def test_a_missing_order_is_not_found(client: Client, shop: Shop) -> None:
    assert_problem(await post_ship(client, shop.admin_token, 999), 404, "not_found")
    assert_problem(await post_deliver(client, shop.admin_token, 999), 404, "not_found")
    missing = await client.get("/admin/orders/999", headers=bearer(shop.admin_token))
    assert_problem(missing, 404, "not_found")


async def test_a_customer_is_forbidden(client: Client, shop: Shop) -> None:
    order_id = await paid_order(client, shop)

    assert_problem(await post_ship(client, shop.token, order_id), 403, "forbidden")
    assert_problem(await post_deliver(client, shop.token, order_id), 403, "forbidden")
    own = await client.get(f"/admin/orders/{order_id}", headers=bearer(shop.token))
    assert_problem(own, 403, "forbidden")
    assert (await get_order(client, shop.token, order_id))["fulfilment"] == UNFULFILLED


@pytest.mark.parametrize(
    "request_line",
    [("POST", "/admin/orders/1/ship"), ("POST", "/admin/orders/1/deliver"), ("GET", "/admin/orders/1")],
    ids=repr,
)
@refused_before_any_store
async def test_no_token_is_unauthorized(client: Client, request_line: tuple[str, str]) -> None:
    method, path = request_line
    assert_problem(
        await client.request(method, path, json=PARCEL if "ship" in path else None), 401, "unauthorized"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"carrier": "DHL"}, "tracking_number"),
        ({"tracking_number": "1"}, "carrier"),
        ({**PARCEL, "status": "DELIVERED"}, "status"),
        ({**PARCEL, "carrier": ""}, "carrier"),
        ({**PARCEL, "carrier": "D" * 101}, "carrier"),
        ({**PARCEL, "tracking_number": "1" * 101}, "tracking_number"),
        ({**PARCEL, "tracking_number": 12345}, "tracking_number"),
        ([], "body"),
    ],
    ids=repr,
)
@refused_before_any_store
async def test_a_bad_shipment_is_a_validation_error(
    client: Client, shop: Shop, body: Any, field: str
) -> None:
    order_id = await paid_order(client, shop)

    response = await post_ship(client, shop.admin_token, order_id, body)

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert (await admin_order(client, shop, order_id))["fulfilment"] == UNFULFILLED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PARCEL, "carrier": "   "}, "carrier"),
        ({**PARCEL, "carrier": "DHL\r\nBcc: x@example.com"}, "carrier"),
        ({**PARCEL, "tracking_number": "JD\x0001"}, "tracking_number"),
        ({**PARCEL, "tracking_number": "JD\t01"}, "tracking_number"),
    ],
    ids=repr,
)
async def test_a_shipment_is_one_line_of_text(client: Client, shop: Shop, body: Json, field: str) -> None:
    order_id = await paid_order(client, shop)

    response = await post_ship(client, shop.admin_token, order_id, body)

    assert error_fields(assert_problem(response, 400, "validation_error")) == [field]
    assert (await admin_order(client, shop, order_id))["fulfilment"] == UNFULFILLED


@refused_before_any_store
async def test_deliver_takes_no_fields(client: Client, shop: Shop) -> None:
    order_id = await paid_order(client, shop)
    await post_ship(client, shop.admin_token, order_id)

    response = await post_deliver(
        client, shop.admin_token, order_id, {"delivered_at": "2026-01-01T00:00:00Z"}
    )

    assert "delivered_at" in error_fields(assert_problem(response, 400, "validation_error"))
    assert (await admin_order(client, shop, order_id))["fulfilment"]["status"] == "SHIPPED"


async def test_admin_orders_filter_by_fulfilment_and_carry_emails(client: Client, shop: Shop) -> None:
    made = [await paid_order(client, shop) for _ in range(3)]
    pending = await buy(client, shop.token, shop.other_book["id"], payment_method_id=None)
    await post_ship(client, shop.admin_token, made[0])
    await post_ship(client, shop.admin_token, made[2])
    await post_deliver(client, shop.admin_token, made[2])

    def of(params: dict[str, Any]) -> Any:
        return all_orders(client, shop.admin_token, params)

    assert ids((await of({"fulfilment_status": "SHIPPED"}))["items"]) == [made[0]]
    assert ids((await of({"fulfilment_status": "DELIVERED"}))["items"]) == [made[2]]
    unfulfilled = await of({"fulfilment_status": "UNFULFILLED"})
    assert ids(unfulfilled["items"]) == [pending["id"], made[1]]
    paid_waiting = await of({"fulfilment_status": "UNFULFILLED", "status": "PAID"})
    assert (ids(paid_waiting["items"]), paid_waiting["total"]) == ([made[1]], 1)
    everything = await of({"user_id": shop.customer.user_id})
    assert {order["user_email"] for order in everything["items"]} == {shop.customer.email}
    assert everything["total"] == 4


@pytest.mark.parametrize(
    "params", [{"fulfilment_status": "shipped"}, {"fulfilment_status": "LOST"}], ids=repr
)
@refused_before_any_store
async def test_an_unknown_fulfilment_status_is_a_validation_error(
    client: Client, shop: Shop, params: dict[str, Any]
) -> None:
    response = await client.get("/admin/orders", params=params, headers=bearer(shop.admin_token))

    assert "fulfilment_status" in error_fields(assert_problem(response, 400, "validation_error"))
