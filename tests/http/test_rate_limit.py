"""The auth rate limit as a client meets it."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.http.conftest import assert_problem
from tests.outages import silent_listener

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
async def limited(database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(build_container(make_settings(database_url, auth_rate_limit=3)))
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_the_fourth_attempt_in_a_minute_is_refused_with_retry_after(
    limited: AsyncTestClient[Litestar],
) -> None:
    attempts = [
        await limited.post("/auth/login", json={"email": "ann@example.com", "password": "guess"})
        for _ in range(3)
    ]
    refused = await limited.post("/auth/login", json={"email": "ann@example.com", "password": "guess"})

    assert [r.status_code for r in attempts] == [401, 401, 401]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_signups_and_logins_share_the_allowance_and_bad_bodies_count(
    limited: AsyncTestClient[Litestar],
) -> None:
    signed_up = await limited.post(
        "/auth/signup", json={"email": "ann@example.com", "password": "correct horse"}
    )
    malformed = await limited.post(
        "/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    logged_in = await limited.post(
        "/auth/login", json={"email": "ann@example.com", "password": "correct horse"}
    )

    refused = await limited.post(
        "/auth/signup", json={"email": "bob@example.com", "password": "correct horse"}
    )

    assert [signed_up.status_code, malformed.status_code, logged_in.status_code] == [201, 400, 200]
    assert refused.status_code == 429


async def test_other_routes_are_not_limited(limited: AsyncTestClient[Litestar]) -> None:
    for _ in range(5):
        assert (await limited.get("/health")).status_code == 200
        assert (await limited.post("/auth/refresh", json={"refresh_token": "x"})).status_code == 401


@pytest.fixture
def limited_with_redis(
    database_url: str,
) -> Callable[[str], AbstractAsyncContextManager[AsyncTestClient[Litestar]]]:
    @asynccontextmanager
    async def start(redis_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
        app = create_app(build_container(make_settings(database_url, auth_rate_limit=3, redis_url=redis_url)))
        async with AsyncTestClient(app=app) as client:
            yield client

    return start


async def _wrong_logins(client: AsyncTestClient[Litestar], count: int) -> list[tuple[int, float]]:
    answers = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.post("/auth/login", json={"email": "ann@example.com", "password": "guess"})
        answers.append((response.status_code, time.perf_counter() - started))
    return answers


async def test_with_redis_down_the_limit_still_bites_and_health_says_the_cache_is_degraded(
    limited_with_redis: Callable[[str], AbstractAsyncContextManager[AsyncTestClient[Litestar]]],
) -> None:
    async with limited_with_redis("redis://127.0.0.1:1/0") as client:
        answers = await _wrong_logins(client, 25)
        refused = await client.post("/auth/login", json={"email": "ann@example.com", "password": "guess"})
        health = await client.get("/health")

    assert [status for status, _ in answers] == [401] * 3 + [429] * 22
    assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}


async def test_a_hung_redis_adds_no_seconds_to_a_login_and_the_limit_still_bites(
    limited_with_redis: Callable[[str], AbstractAsyncContextManager[AsyncTestClient[Litestar]]],
) -> None:
    with silent_listener() as port:
        async with limited_with_redis(f"redis://127.0.0.1:{port}/0") as client:
            answers = await _wrong_logins(client, 5)
            started = time.perf_counter()
            health = await client.get("/health")
            health_seconds = time.perf_counter() - started

    assert [status for status, _ in answers] == [401, 401, 401, 429, 429]
    assert max(seconds for _, seconds in answers) < 1.0
    assert health.json()["cache"] == "degraded"
    assert health_seconds < 1.0


@pytest.mark.redis
@pytest.mark.skipif(REDIS_URL is None, reason="needs TEST_REDIS_URL (CI sets it and refuses skips)")
async def test_with_redis_up_health_says_the_cache_is_ok(
    limited_with_redis: Callable[[str], AbstractAsyncContextManager[AsyncTestClient[Litestar]]],
) -> None:
    assert REDIS_URL is not None
    async with limited_with_redis(REDIS_URL) as client:
        health = await client.get("/health")

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "cache": "ok"}
