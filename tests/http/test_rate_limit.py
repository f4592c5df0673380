"""The auth rate limit as a client meets it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings

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
