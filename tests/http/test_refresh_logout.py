"""POST /auth/refresh (rotation, reuse detection) and POST /auth/logout."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from application.ports import UnitOfWork
from domain.identity import RefreshToken
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.http.conftest import (
    assert_problem,
    bearer,
    change_user,
    concurrently,
    in_app_loop,
    log_in,
    media_type,
    refused_before_any_store,
    sign_up,
    signup_and_login,
)

PAIR_KEYS = {"access_token", "refresh_token", "token_type", "expires_in"}


@pytest.fixture
async def no_grace_client(database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """REFRESH_REUSE_GRACE_SECONDS=0: any reuse, however soon, is taken as theft."""
    app = create_app(build_container(make_settings(database_url, refresh_reuse_grace_seconds=0)))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


async def refresh(client: AsyncTestClient[Litestar], refresh_token: str) -> Response:
    return await client.post("/auth/refresh", json={"refresh_token": refresh_token})


async def logout(client: AsyncTestClient[Litestar], refresh_token: str) -> Response:
    return await client.post("/auth/logout", json={"refresh_token": refresh_token})


async def store_expired_refresh_token(
    client: AsyncTestClient[Litestar], container: Container, user_id: int, raw_token: str
) -> None:
    now = datetime.now(UTC)
    token = RefreshToken(
        user_id=user_id,
        token_hash=hashlib.sha256(raw_token.encode()).hexdigest(),
        issued_at=now - timedelta(days=15),
        expires_at=now - timedelta(seconds=1),
    )

    async def store() -> None:
        uow: UnitOfWork = container.unit_of_work()
        async with uow:
            await uow.refresh_tokens.add(token)
            await uow.commit()

    in_app_loop(client, store)


# --- refresh -------------------------------------------------------------------------------------


async def test_refresh_answers_200_with_a_new_pair(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await refresh(client, session.refresh_token)

    assert response.status_code == 200
    assert media_type(response) == "application/json"
    pair = response.json()
    assert set(pair) == PAIR_KEYS
    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] == 900
    assert pair["refresh_token"] != session.refresh_token
    assert pair["access_token"] != session.access_token
    me = await client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == session.user_id


async def test_the_new_refresh_token_can_be_rotated_again(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    token = session.refresh_token
    for _ in range(3):
        response = await refresh(client, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]


async def test_the_rotated_refresh_token_is_refused(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")
    assert (await refresh(client, session.refresh_token)).status_code == 200

    response = await refresh(client, session.refresh_token)

    assert_problem(response, 401, "invalid_refresh_token")


async def test_reusing_a_revoked_token_revokes_every_refresh_token_of_the_user(
    no_grace_client: AsyncTestClient[Litestar],
) -> None:
    client = no_grace_client
    session = await signup_and_login(client, "ann@example.com")
    other_device = await log_in(client, "ann@example.com")
    bob = await signup_and_login(client, "bob@example.com")
    rotated = await refresh(client, session.refresh_token)
    assert rotated.status_code == 200

    reuse = await refresh(client, session.refresh_token)

    assert_problem(reuse, 401, "invalid_refresh_token")
    assert_problem(await refresh(client, rotated.json()["refresh_token"]), 401, "invalid_refresh_token")
    assert_problem(await refresh(client, other_device["refresh_token"]), 401, "invalid_refresh_token")
    assert (await refresh(client, bob.refresh_token)).status_code == 200  # other users keep theirs
    await log_in(client, "ann@example.com")  # the victim can sign in again


async def test_of_concurrent_refreshes_of_one_token_exactly_one_succeeds(
    client: AsyncTestClient[Litestar],
) -> None:
    session = await signup_and_login(client, "ann@example.com")

    responses = await concurrently(client, "/auth/refresh", [{"refresh_token": session.refresh_token}] * 5)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 401, 401, 401, 401]
    for response in responses:
        if response.status_code == 401:
            assert_problem(response, 401, "invalid_refresh_token")
    # The late tabs are not thieves: the winner's new pair stays valid.
    (winner,) = [response.json() for response in responses if response.status_code == 200]
    assert (await client.get("/auth/me", headers=bearer(winner["access_token"]))).status_code == 200
    assert (await refresh(client, winner["refresh_token"])).status_code == 200


async def test_a_rotated_token_presented_again_at_once_leaves_the_family_valid(
    client: AsyncTestClient[Litestar],
) -> None:
    """Within REFRESH_REUSE_GRACE_SECONDS (10 by default) of its rotation."""
    session = await signup_and_login(client, "ann@example.com")
    other_device = await log_in(client, "ann@example.com")
    rotated = await refresh(client, session.refresh_token)

    late = await refresh(client, session.refresh_token)

    assert_problem(late, 401, "invalid_refresh_token")
    assert (await refresh(client, rotated.json()["refresh_token"])).status_code == 200
    assert (await refresh(client, other_device["refresh_token"])).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["unknown", "x" * 43, "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", "x" * 512],
    ids=["word", "token-shaped", "jwt-shaped", "longest"],
)
async def test_an_unknown_refresh_token_is_refused(client: AsyncTestClient[Litestar], token: str) -> None:
    await signup_and_login(client, "ann@example.com")

    response = await refresh(client, token)

    assert_problem(response, 401, "invalid_refresh_token")


async def test_an_access_token_is_not_a_refresh_token(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await refresh(client, session.access_token)

    assert_problem(response, 401, "invalid_refresh_token")


async def test_an_expired_refresh_token_is_refused(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    session = await signup_and_login(client, "ann@example.com")
    await store_expired_refresh_token(client, container, session.user_id, "an-expired-refresh-token")

    response = await refresh(client, "an-expired-refresh-token")

    assert_problem(response, 401, "invalid_refresh_token")
    assert (await refresh(client, session.refresh_token)).status_code == 200


async def test_an_inactive_user_cannot_refresh(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    session = await signup_and_login(client, "ann@example.com")
    await change_user(client, container, session.user_id, is_active=False)

    response = await refresh(client, session.refresh_token)

    assert_problem(response, 403, "account_inactive")


@pytest.mark.parametrize(
    "body",
    [{}, {"refresh_token": ""}, {"refresh_token": 1}, {"refresh_token": None}, {"token": "x"}],
    ids=["missing", "empty", "number", "null", "unknown-field"],
)
@refused_before_any_store
async def test_a_bad_refresh_body_is_a_validation_error(
    shared_client: AsyncTestClient[Litestar], body: dict[str, object]
) -> None:
    response = await shared_client.post("/auth/refresh", json=body)

    assert_problem(response, 400, "validation_error")


async def test_an_extra_field_next_to_the_refresh_token_is_refused(
    client: AsyncTestClient[Litestar],
) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await client.post(
        "/auth/refresh", json={"refresh_token": session.refresh_token, "user_id": session.user_id}
    )

    assert_problem(response, 400, "validation_error")
    assert (await refresh(client, session.refresh_token)).status_code == 200  # not consumed


# --- logout --------------------------------------------------------------------------------------


async def test_logout_answers_204_with_an_empty_body(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await logout(client, session.refresh_token)

    assert response.status_code == 204
    assert response.content == b""


async def test_logging_out_twice_is_fine(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    first = await logout(client, session.refresh_token)
    second = await logout(client, session.refresh_token)

    assert first.status_code == 204
    assert second.status_code == 204
    assert second.content == b""


async def test_a_logged_out_refresh_token_cannot_refresh(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")
    assert (await logout(client, session.refresh_token)).status_code == 204

    response = await refresh(client, session.refresh_token)

    assert_problem(response, 401, "invalid_refresh_token")


async def test_logout_ends_only_that_session(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")
    other_device = await log_in(client, "ann@example.com")

    assert (await logout(client, session.refresh_token)).status_code == 204

    assert (await refresh(client, other_device["refresh_token"])).status_code == 200


async def test_logout_with_an_unknown_token_is_refused(client: AsyncTestClient[Litestar]) -> None:
    await signup_and_login(client, "ann@example.com")

    response = await logout(client, "not-a-token-we-issued")

    assert_problem(response, 401, "invalid_refresh_token")


async def test_logout_with_an_expired_token_is_refused(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    user = await sign_up(client, "ann@example.com")
    await store_expired_refresh_token(client, container, user["id"], "an-expired-refresh-token")

    response = await logout(client, "an-expired-refresh-token")

    assert_problem(response, 401, "invalid_refresh_token")


@pytest.mark.parametrize(
    "body",
    [{}, {"refresh_token": ""}, {"refresh_token": 1}, {"refresh_token": "x", "all": True}],
    ids=["missing", "empty", "number", "unknown-field"],
)
@refused_before_any_store
async def test_a_bad_logout_body_is_a_validation_error(
    shared_client: AsyncTestClient[Litestar], body: dict[str, object]
) -> None:
    response = await shared_client.post("/auth/logout", json=body)

    assert_problem(response, 400, "validation_error")
