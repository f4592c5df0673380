"""What the API answers when its database hangs or is starting up: 503 within the time limit."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.http.conftest import access_claims, assert_problem, craft_token
from tests.outages import postgres_starting_up, silent_listener

TIME_LIMIT = 0.5
ROUTES = [
    ("GET", "/cart", None),
    ("GET", "/products", None),
    ("GET", "/products/search?q=narnia", None),
    ("GET", "/products/1", None),
    ("POST", "/auth/login", {"email": "ann@example.com", "password": "correct horse"}),
    ("POST", "/auth/signup", {"email": "ann@example.com", "password": "correct horse"}),
]


@pytest.fixture
def shop_on() -> Callable[[int], AbstractAsyncContextManager[AsyncTestClient[Litestar]]]:
    """A shop whose DATABASE_URL points at a local port, with a short database time limit, and
    its catalogue caches on (as in production)."""

    @asynccontextmanager
    async def start(port: int) -> AsyncIterator[AsyncTestClient[Litestar]]:
        settings = make_settings(
            f"postgresql+asyncpg://postgres@127.0.0.1:{port}/bookshop",
            db_timeout_seconds=TIME_LIMIT,
            catalog_cache_seconds=1,
        )
        app = create_app(build_container(settings))
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            yield client

    return start


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_a_database_that_never_answers_is_503_within_the_time_limit(
    shop_on: Callable[[int], AbstractAsyncContextManager[AsyncTestClient[Litestar]]],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    headers = {"Authorization": f"Bearer {craft_token(access_claims(1))}"}
    with silent_listener() as port:
        async with shop_on(port) as client:
            started = time.perf_counter()
            response = await client.request(method, path, json=body, headers=headers)
            elapsed = time.perf_counter() - started

    assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["retry-after"]) > 0
    assert elapsed < TIME_LIMIT + 0.5


async def test_health_answers_503_within_the_time_limit_when_the_database_never_answers(
    shop_on: Callable[[int], AbstractAsyncContextManager[AsyncTestClient[Litestar]]],
) -> None:
    with silent_listener() as port:
        async with shop_on(port) as client:
            started = time.perf_counter()
            response = await client.get("/health")
            elapsed = time.perf_counter() - started

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert elapsed < TIME_LIMIT + 0.5


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_a_database_starting_up_is_503_not_500(
    shop_on: Callable[[int], AbstractAsyncContextManager[AsyncTestClient[Litestar]]],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    """PostgreSQL refuses connections with 57P03 (CannotConnectNowError) while it starts or shuts down."""
    headers = {"Authorization": f"Bearer {craft_token(access_claims(1))}"}
    with postgres_starting_up() as port:
        async with shop_on(port) as client:
            response = await client.request(method, path, json=body, headers=headers)
            health = await client.get("/health")

    assert_problem(response, 503, "service_unavailable")
    assert "starting" not in response.text
    assert health.status_code == 503
