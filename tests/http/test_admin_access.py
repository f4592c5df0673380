"""Every /admin route: no token → 401 unauthorized, a customer's token → 403 forbidden, and nothing moves."""

from __future__ import annotations

import pytest
from httpx import Response

from domain.identity import Role
from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json, book, create_products, get_page, make_admin
from tests.http.conftest import (
    Session,
    assert_problem,
    bearer,
    change_user,
    refused_before_any_store,
    signup_and_login,
)

# (method, path, body); {product} and {user} are filled in with real ids.
ROUTES: list[tuple[str, str, Json | None]] = [
    ("POST", "/admin/products", book("SNEAKY")),
    ("GET", "/admin/products", None),
    ("PATCH", "/admin/products/{product}", {"title": "SNEAKY", "price_cents": 0}),
    ("PATCH", "/admin/products/{product}/stock", {"stock": 999}),
    ("GET", "/admin/users", None),
    ("PATCH", "/admin/users/{user}", {"role": "ADMIN"}),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]


class World:
    def __init__(self, admin: Session, customer: Session, product: Json) -> None:
        self.admin = admin
        self.customer = customer
        self.product = product

    def path(self, template: str) -> str:
        return template.format(product=self.product["id"], user=self.customer.user_id)


@pytest.fixture
async def world(client: Client, container: Container) -> World:
    admin = await make_admin(client, container)
    customer = await signup_and_login(client, "customer@example.com")
    [product] = await create_products(
        client, admin.access_token, [book("ORIGINAL", price_cents=700, stock=2)]
    )
    return World(admin, customer, product)


async def call(
    client: Client, method: str, path: str, body: Json | None, headers: dict[str, str] | None = None
) -> Response:
    return await client.request(method, path, json=body, headers=headers)


async def assert_nothing_changed(client: Client, world: World) -> None:
    admin = bearer(world.admin.access_token)
    products = await get_page(client, "/admin/products", None, admin)
    assert products["items"] == [world.product]
    users = await get_page(client, "/admin/users", None, admin)
    customer = next(user for user in users["items"] if user["id"] == world.customer.user_id)
    assert customer["role"] == "USER"
    assert customer["is_active"] is True


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
@refused_before_any_store
async def test_no_token_is_unauthorized(
    client: Client, world: World, method: str, path: str, body: Json | None
) -> None:
    response = await call(client, method, world.path(path), body)

    assert_problem(response, 401, "unauthorized")
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
    await assert_nothing_changed(client, world)


@pytest.mark.parametrize(
    "authorization", ["Bearer", "Bearer not-a-jwt", "Basic YWRtaW46YWRtaW4=", "Token abc"], ids=str
)
@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
async def test_a_bad_token_is_unauthorized(
    client: Client, world: World, route: tuple[str, str, Json | None], authorization: str
) -> None:
    method, path, body = route
    response = await call(client, method, world.path(path), body, {"Authorization": authorization})

    assert_problem(response, 401, "unauthorized")
    await assert_nothing_changed(client, world)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
async def test_a_customer_is_forbidden(
    client: Client, world: World, method: str, path: str, body: Json | None
) -> None:
    response = await call(client, method, world.path(path), body, bearer(world.customer.access_token))

    assert_problem(response, 403, "forbidden")
    await assert_nothing_changed(client, world)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
async def test_a_customer_is_forbidden_before_the_body_or_the_id_is_looked_at(
    client: Client, world: World, method: str, path: str, body: Json | None
) -> None:
    bad_path = path.format(product=999999, user=999999)
    bad_body = None if body is None else {"nonsense": True}

    response = await call(client, method, bad_path, bad_body, bearer(world.customer.access_token))

    assert_problem(response, 403, "forbidden")


async def test_a_deactivated_admin_is_told_the_account_is_inactive(
    client: Client, container: Container, world: World
) -> None:
    await change_user(client, container, world.admin.user_id, is_active=False)

    response = await client.get("/admin/products", headers=bearer(world.admin.access_token))

    assert_problem(response, 403, "account_inactive")


async def test_a_customer_promoted_behind_the_api_gets_in_on_the_next_request(
    client: Client, container: Container, world: World
) -> None:
    await change_user(client, container, world.customer.user_id, role=Role.ADMIN)

    response = await client.get("/admin/products", headers=bearer(world.customer.access_token))

    assert response.status_code == 200
