"""GET /products/{id}: one product on sale."""

from __future__ import annotations

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import PRODUCT_KEYS, Client, book, create_products, make_admin, set_active
from tests.http.conftest import Session, assert_problem, error_fields, media_type, refused_before_any_store


@pytest.fixture
async def admin(client: Client, container: Container) -> Session:
    return await make_admin(client, container)


async def test_a_product_on_sale_is_shown(client: Client, admin: Session) -> None:
    [created] = await create_products(
        client, admin.access_token, [book("PRINCE CASPIAN", series="NARNIA", author="C. S. Lewis", stock=2)]
    )

    response = await client.get(f"/products/{created['id']}")

    assert response.status_code == 200
    assert media_type(response) == "application/json"
    product = response.json()
    assert set(product) == PRODUCT_KEYS
    assert product == created


async def test_a_product_is_shown_without_a_token(client: Client, admin: Session) -> None:
    [created] = await create_products(client, admin.access_token, [book("A")])

    response = await client.get(f"/products/{created['id']}", headers={"Authorization": ""})

    assert response.status_code == 200


async def test_a_missing_product_is_not_found(client: Client, admin: Session) -> None:
    [created] = await create_products(client, admin.access_token, [book("A")])

    response = await client.get(f"/products/{created['id'] + 1000}")

    assert_problem(response, 404, "not_found")


async def test_a_withdrawn_product_is_not_found_until_restored(client: Client, admin: Session) -> None:
    [created] = await create_products(client, admin.access_token, [book("A")])
    await set_active(client, admin.access_token, created["id"], False)

    assert_problem(await client.get(f"/products/{created['id']}"), 404, "not_found")

    await set_active(client, admin.access_token, created["id"], True)
    response = await client.get(f"/products/{created['id']}")
    assert response.status_code == 200
    assert response.json()["is_active"] is True


@pytest.mark.parametrize("product_id", ["0", "-1", "-9999"])
@refused_before_any_store
async def test_an_id_below_one_is_a_validation_error(shared_client: Client, product_id: str) -> None:
    response = await shared_client.get(f"/products/{product_id}")

    body = assert_problem(response, 400, "validation_error")
    assert "product_id" in error_fields(body)


async def test_an_id_too_large_for_any_client_is_not_a_server_error(client: Client) -> None:
    response = await client.get(f"/products/{2**63}")

    assert response.status_code in (400, 404), response.text
    assert_problem(
        response, response.status_code, "validation_error" if response.status_code == 400 else "not_found"
    )
