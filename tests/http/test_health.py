"""GET /health, and what the API answers when its database is down."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.http.conftest import access_claims, assert_problem, craft_token, media_type


async def test_health_is_ok_when_the_database_answers(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert media_type(response) == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_needs_no_token_and_ignores_a_bad_one(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health", headers={"Authorization": "Bearer garbage"})

    assert response.status_code == 200


async def test_health_is_503_when_the_database_cannot_be_reached(
    unreachable_client: AsyncTestClient[Litestar],
) -> None:
    response = await unreachable_client.get("/health")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "unavailable"
    assert body["status"] != "ok"


async def test_login_is_503_with_retry_after_when_the_database_cannot_be_reached(
    unreachable_client: AsyncTestClient[Litestar],
) -> None:
    response = await unreachable_client.post(
        "/auth/login", json={"email": "ann@example.com", "password": "correct horse"}
    )

    body = assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["retry-after"]) > 0
    for secret in ("postgres", "127.0.0.1", "asyncpg", "nowhere", "Traceback"):
        assert secret not in response.text
    assert "nowhere" not in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/auth/signup", {"email": "ann@example.com", "password": "correct horse"}),
        ("POST", "/auth/refresh", {"refresh_token": "some-refresh-token"}),
        ("POST", "/auth/logout", {"refresh_token": "some-refresh-token"}),
        ("GET", "/auth/me", None),
    ],
)
async def test_every_auth_route_is_503_not_500_when_the_database_cannot_be_reached(
    unreachable_client: AsyncTestClient[Litestar], method: str, path: str, body: dict[str, str] | None
) -> None:
    headers = {"Authorization": f"Bearer {craft_token(access_claims(1))}"}

    response = await unreachable_client.request(method, path, json=body, headers=headers)

    assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/products",
        "/products?series=NARNIA&sort=-price_cents",
        "/products/search?q=narnia",
        "/products/1",
        "/cart",
        "/orders/me",
        "/admin/products",
        "/admin/orders",
        "/admin/users",
    ],
)
async def test_every_read_is_503_not_500_when_the_database_cannot_be_reached(
    unreachable_client: AsyncTestClient[Litestar], path: str
) -> None:
    headers = {"Authorization": f"Bearer {craft_token(access_claims(1, role='ADMIN'))}"}

    response = await unreachable_client.get(path, headers=headers)

    assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["retry-after"]) > 0
