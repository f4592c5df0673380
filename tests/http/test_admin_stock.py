"""PATCH /admin/products/{id}/stock: set it, or move it atomically, never below zero."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from entrypoints.container import Container
from tests.http.catalog_helpers import (
    Client,
    Json,
    admin_product,
    book,
    concurrent_requests,
    create_product,
    get_page,
    ids,
    make_admin,
    set_active,
)
from tests.http.conftest import (
    Session,
    assert_problem,
    bearer,
    error_fields,
    media_type,
    refused_before_any_store,
)

MAX_INT32 = 2**31 - 1


@pytest.fixture
async def admin(client: Client, container: Container) -> Session:
    return await make_admin(client, container)


@pytest.fixture
async def product(client: Client, admin: Session) -> Json:
    return await create_product(client, admin.access_token, book("STOCKED", price_cents=999, stock=10))


async def change_stock(client: Client, admin: Session, product_id: int, body: Any) -> Response:
    return await client.patch(
        f"/admin/products/{product_id}/stock", json=body, headers=bearer(admin.access_token)
    )


async def stock_of(client: Client, admin: Session, product_id: int) -> int:
    return int((await admin_product(client, admin.access_token, product_id))["stock"])


# --- set and adjust ------------------------------------------------------------------------------


@pytest.mark.parametrize("stock", [0, 1, 7, 10, 500, MAX_INT32])
async def test_stock_sets_the_stock(client: Client, admin: Session, product: Json, stock: int) -> None:
    response = await change_stock(client, admin, product["id"], {"stock": stock})

    assert response.status_code == 200
    assert media_type(response) == "application/json"
    assert response.json() == {**product, "stock": stock}
    assert await stock_of(client, admin, product["id"]) == stock
    assert (await client.get(f"/products/{product['id']}")).json()["stock"] == stock


@pytest.mark.parametrize(("delta", "after"), [(5, 15), (-3, 7), (-10, 0), (0, 10), (1, 11)])
async def test_delta_moves_the_stock(
    client: Client, admin: Session, product: Json, delta: int, after: int
) -> None:
    response = await change_stock(client, admin, product["id"], {"delta": delta})

    assert response.status_code == 200
    assert response.json() == {**product, "stock": after}
    assert await stock_of(client, admin, product["id"]) == after


@pytest.mark.parametrize("delta", [-11, -100, -MAX_INT32])
async def test_a_delta_below_zero_is_insufficient_stock_and_changes_nothing(
    client: Client, admin: Session, product: Json, delta: int
) -> None:
    response = await change_stock(client, admin, product["id"], {"delta": delta})

    assert_problem(response, 409, "insufficient_stock")
    assert await stock_of(client, admin, product["id"]) == 10


async def test_a_delta_past_the_largest_stock_is_refused_not_a_server_error(
    client: Client, admin: Session, product: Json
) -> None:
    await change_stock(client, admin, product["id"], {"stock": MAX_INT32})

    response = await change_stock(client, admin, product["id"], {"delta": 1})

    assert response.status_code in (400, 409), response.text
    assert await stock_of(client, admin, product["id"]) == MAX_INT32


async def test_the_stock_of_a_withdrawn_product_can_be_changed(
    client: Client, admin: Session, product: Json
) -> None:
    await set_active(client, admin.access_token, product["id"], False)

    response = await change_stock(client, admin, product["id"], {"delta": 2})

    assert response.status_code == 200
    assert response.json() == {**product, "stock": 12, "is_active": False}


async def test_in_stock_follows_stock_changes(client: Client, admin: Session, product: Json) -> None:
    await change_stock(client, admin, product["id"], {"stock": 0})
    assert ids((await get_page(client, "/products", {"in_stock": "false"}))["items"]) == [product["id"]]
    assert ids((await get_page(client, "/products", {"in_stock": "true"}))["items"]) == []

    await change_stock(client, admin, product["id"], {"delta": 1})
    assert ids((await get_page(client, "/products", {"in_stock": "true"}))["items"]) == [product["id"]]


# --- refused requests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{}, {"stock": 5, "delta": 1}, {"stock": 0, "delta": 0}],
    ids=["neither", "both", "both-zero"],
)
async def test_exactly_one_of_stock_or_delta_is_required(
    client: Client, admin: Session, product: Json, body: Json
) -> None:
    response = await change_stock(client, admin, product["id"], body)

    assert_problem(response, 400, "validation_error")
    assert await stock_of(client, admin, product["id"]) == 10


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stock": -1}, "stock"),
        ({"stock": -100}, "stock"),
        ({"stock": MAX_INT32 + 1}, "stock"),
        ({"stock": 2.5}, "stock"),
        ({"stock": None}, "stock"),
        ({"stock": "lots"}, "stock"),
        ({"delta": 1.5}, "delta"),
        ({"delta": None}, "delta"),
        ({"delta": MAX_INT32 + 1}, "delta"),
        ({"delta": -MAX_INT32 - 1}, "delta"),
        ({"delta": True}, "delta"),
        ({"quantity": 3}, "quantity"),
        ({"stock": 3, "price_cents": 1}, "price_cents"),
    ],
    ids=repr,
)
@refused_before_any_store
async def test_a_bad_value_is_a_validation_error_naming_the_field(
    client: Client, admin: Session, product: Json, body: Json, field: str
) -> None:
    response = await change_stock(client, admin, product["id"], body)

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert await stock_of(client, admin, product["id"]) == 10


@pytest.mark.parametrize(("body", "field"), [({"stock": "5"}, "stock"), ({"delta": "3"}, "delta")], ids=repr)
@refused_before_any_store
async def test_a_number_sent_as_a_string_is_refused_not_coerced(
    client: Client, admin: Session, product: Json, body: Json, field: str
) -> None:
    response = await change_stock(client, admin, product["id"], body)

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert await stock_of(client, admin, product["id"]) == 10


@pytest.mark.parametrize("body", [{"stock": 5}, {"delta": 1}, {"delta": -1}], ids=repr)
async def test_a_missing_product_is_not_found(
    client: Client, admin: Session, product: Json, body: Json
) -> None:
    response = await change_stock(client, admin, product["id"] + 1000, body)

    assert_problem(response, 404, "not_found")
    assert await stock_of(client, admin, product["id"]) == 10


@pytest.mark.parametrize("product_id", ["0", "-1"])
@refused_before_any_store
async def test_an_id_below_one_is_a_validation_error(client: Client, admin: Session, product_id: str) -> None:
    response = await client.patch(
        f"/admin/products/{product_id}/stock", json={"stock": 1}, headers=bearer(admin.access_token)
    )

    assert_problem(response, 400, "validation_error")


# --- concurrency ---------------------------------------------------------------------------------


async def test_concurrent_deltas_all_count(client: Client, admin: Session, product: Json) -> None:
    responses = await concurrent_requests(
        client,
        "PATCH",
        f"/admin/products/{product['id']}/stock",
        [{"delta": 1}] * 10,
        bearer(admin.access_token),
    )

    assert [response.status_code for response in responses] == [200] * 10, [r.text for r in responses]
    assert await stock_of(client, admin, product["id"]) == 20


async def test_concurrent_withdrawals_never_take_stock_below_zero(
    client: Client, admin: Session, product: Json
) -> None:
    await change_stock(client, admin, product["id"], {"stock": 5})

    responses = await concurrent_requests(
        client,
        "PATCH",
        f"/admin/products/{product['id']}/stock",
        [{"delta": -1}] * 8,
        bearer(admin.access_token),
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 5 + [409] * 3, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "insufficient_stock")
    assert await stock_of(client, admin, product["id"]) == 0
