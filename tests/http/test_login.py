"""POST /auth/login."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.container import Container
from tests.conftest import TEST_JWT_SECRET
from tests.http.conftest import (
    PASSWORD,
    assert_problem,
    bearer,
    change_user,
    error_fields,
    log_in,
    media_type,
    refused_before_any_store,
    sign_up,
)

PAIR_KEYS = {"access_token", "refresh_token", "token_type", "expires_in"}


async def test_login_answers_200_with_a_bearer_token_pair(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client, "ann@example.com")

    response = await client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD})

    assert response.status_code == 200
    assert media_type(response) == "application/json"
    pair = response.json()
    assert set(pair) == PAIR_KEYS
    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] == 900
    assert isinstance(pair["access_token"], str)
    assert isinstance(pair["refresh_token"], str)
    assert pair["access_token"] != pair["refresh_token"]


async def test_the_access_token_is_an_hs256_jwt_with_the_contract_claims(
    client: AsyncTestClient[Litestar],
) -> None:
    user = await sign_up(client, "ann@example.com")

    pair = await log_in(client, "ann@example.com")

    assert jwt.get_unverified_header(pair["access_token"])["alg"] == "HS256"
    claims = jwt.decode(pair["access_token"], TEST_JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(user["id"])
    assert claims["role"] == "USER"
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 900
    assert isinstance(claims["jti"], str)
    assert claims["jti"]


async def test_the_refresh_token_is_an_opaque_string_of_at_least_256_bits(
    client: AsyncTestClient[Litestar],
) -> None:
    await sign_up(client, "ann@example.com")

    first = await log_in(client, "ann@example.com")
    second = await log_in(client, "ann@example.com")

    for pair in (first, second):
        refresh_token = pair["refresh_token"]
        assert len(refresh_token) >= 43  # 32 bytes in base64url
        assert refresh_token.count(".") != 2  # not a JWT
    assert first["refresh_token"] != second["refresh_token"]
    assert first["access_token"] != second["access_token"]


async def test_the_access_token_opens_auth_me(client: AsyncTestClient[Litestar]) -> None:
    user = await sign_up(client, "ann@example.com")
    pair = await log_in(client, "ann@example.com")

    response = await client.get("/auth/me", headers=bearer(pair["access_token"]))

    assert response.status_code == 200
    assert response.json() == user


async def test_login_accepts_the_email_in_any_case_and_padded(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client, "ann@example.com")

    response = await client.post("/auth/login", json={"email": "  ANN@Example.com ", "password": PASSWORD})

    assert response.status_code == 200


async def test_login_accepts_the_email_typed_in_fullwidth_characters(
    client: AsyncTestClient[Litestar],
) -> None:
    await sign_up(client, "ann@example.com")

    response = await client.post(
        "/auth/login", json={"email": "\uff41\uff4e\uff4e@example.com", "password": PASSWORD}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "email",
    [
        "ann\u202e@example.com",
        "\u202eann@example.com",
        "ann@example.com\u2069",
        "a\u200bnn@example.com",
        "ann@exa\ufeffmple.com",
        "ann\x9b@example.com",
    ],
    ids=["rtl-override", "rtl-override-first", "pop-isolate-last", "zero-width", "bom", "c1"],
)
async def test_an_email_with_an_invisible_character_is_invalid_credentials_not_a_500(
    client: AsyncTestClient[Litestar], email: str
) -> None:
    await sign_up(client, "ann@example.com")

    response = await client.post("/auth/login", json={"email": email, "password": PASSWORD})

    assert_problem(response, 401, "invalid_credentials")


async def test_unknown_email_and_wrong_password_get_the_same_answer(
    client: AsyncTestClient[Litestar],
) -> None:
    await sign_up(client, "ann@example.com")

    unknown = await client.post("/auth/login", json={"email": "bob@example.com", "password": PASSWORD})
    wrong = await client.post("/auth/login", json={"email": "ann@example.com", "password": "wrong password"})
    wrong_case = await client.post(
        "/auth/login", json={"email": "ann@example.com", "password": PASSWORD.upper()}
    )
    not_an_email = await client.post("/auth/login", json={"email": "not-an-email", "password": PASSWORD})

    first = assert_problem(unknown, 401, "invalid_credentials")
    for response in (wrong, wrong_case, not_an_email):
        assert assert_problem(response, 401, "invalid_credentials") == first
        assert response.content == unknown.content


async def test_an_email_with_a_nul_character_is_invalid_credentials_not_a_500(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.post(
        "/auth/login", json={"email": "ann\x00smith@example.com", "password": PASSWORD}
    )

    assert_problem(response, 401, "invalid_credentials")


async def test_an_inactive_user_with_the_right_password_is_told_the_account_is_inactive(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    user = await sign_up(client, "ann@example.com")
    await change_user(client, container, user["id"], is_active=False)

    response = await client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD})

    assert_problem(response, 403, "account_inactive")


async def test_an_inactive_user_with_a_wrong_password_gets_invalid_credentials(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    user = await sign_up(client, "ann@example.com")
    await change_user(client, container, user["id"], is_active=False)

    wrong = await client.post("/auth/login", json={"email": "ann@example.com", "password": "wrong password"})
    unknown = await client.post("/auth/login", json={"email": "bob@example.com", "password": PASSWORD})

    assert_problem(wrong, 401, "invalid_credentials")
    assert wrong.content == unknown.content


async def test_a_reactivated_user_can_log_in_again(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    user = await sign_up(client, "ann@example.com")
    await change_user(client, container, user["id"], is_active=False)
    await change_user(client, container, user["id"], is_active=True)

    await log_in(client, "ann@example.com")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ann@example.com", "password": PASSWORD, "role": "ADMIN"}, "role"),
        ({"email": "ann@example.com", "password": PASSWORD, "remember_me": True}, "remember_me"),
        ({"email": "ann@example.com", "password": 12345678}, "password"),
        ({"email": None, "password": PASSWORD}, "email"),
        ({"email": "ann@example.com", "password": "x" * 1025}, "password"),
    ],
)
@refused_before_any_store
async def test_a_bad_login_body_is_a_validation_error_on_that_field(
    client: AsyncTestClient[Litestar], body: dict[str, Any], field: str
) -> None:
    await sign_up(client, "ann@example.com")

    response = await client.post("/auth/login", json=body)

    problem = assert_problem(response, 400, "validation_error")
    assert field in error_fields(problem)


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"null", b'{"email": "ann@example.com"}'])
@refused_before_any_store
async def test_a_login_body_that_is_not_a_login_object_is_a_validation_error(
    shared_client: AsyncTestClient[Litestar], content: bytes
) -> None:
    response = await shared_client.post(
        "/auth/login", content=content, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400, "validation_error")
