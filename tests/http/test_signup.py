"""POST /auth/signup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.http.conftest import (
    PASSWORD,
    assert_problem,
    concurrently,
    error_fields,
    media_type,
    refused_before_any_store,
    sign_up,
)

USER_KEYS = {"id", "email", "role", "is_active", "email_verified", "created_at"}


async def assert_cannot_log_in(client: AsyncTestClient[Litestar], email: str, password: str) -> None:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert_problem(response, 401, "invalid_credentials")


async def test_signup_answers_201_with_the_new_active_user(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/auth/signup", json={"email": "ann@example.com", "password": PASSWORD})

    assert response.status_code == 201
    assert media_type(response) == "application/json"
    user = response.json()
    assert set(user) == USER_KEYS
    assert isinstance(user["id"], int)
    assert user["email"] == "ann@example.com"
    assert user["role"] == "USER"
    assert user["is_active"] is True
    created_at = datetime.fromisoformat(user["created_at"].replace("Z", "+00:00"))
    assert created_at.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - created_at).total_seconds()) < 60


async def test_signup_never_shows_a_hash_or_the_password(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/auth/signup", json={"email": "ann@example.com", "password": PASSWORD})

    assert response.status_code == 201
    text = response.text.lower()
    assert "hash" not in text
    assert "argon2" not in text
    assert PASSWORD not in response.text


async def test_signup_trims_and_lower_cases_the_email(client: AsyncTestClient[Litestar]) -> None:
    user = await sign_up(client, "  Ann.Smith@Example.COM \t")

    assert user["email"] == "ann.smith@example.com"
    login = await client.post("/auth/login", json={"email": "ann.smith@example.com", "password": PASSWORD})
    assert login.status_code == 200


async def test_each_signup_gets_its_own_id(client: AsyncTestClient[Litestar]) -> None:
    ann = await sign_up(client, "ann@example.com")
    bob = await sign_up(client, "bob@example.com")

    assert ann["id"] != bob["id"]


@pytest.mark.parametrize("again", ["ann@example.com", "ANN@Example.com", "  Ann@EXAMPLE.com  "])
async def test_an_email_that_exists_in_any_case_is_taken(
    client: AsyncTestClient[Litestar], again: str
) -> None:
    await sign_up(client, "ann@example.com")

    response = await client.post("/auth/signup", json={"email": again, "password": "another password"})

    assert_problem(response, 409, "email_taken")
    await assert_cannot_log_in(client, "ann@example.com", "another password")


async def test_concurrent_signups_with_one_email_create_one_account(
    client: AsyncTestClient[Litestar],
) -> None:
    emails = ["ann@example.com", "ANN@example.com", "Ann@Example.com", " ann@example.com", "aNN@example.com"]

    responses = await concurrently(
        client, "/auth/signup", [{"email": email, "password": PASSWORD} for email in emails]
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409, 409, 409, 409]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "email_taken")


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "ann@",
        "@example.com",
        "ann@example",
        "ann smith@example.com",
        "ann@@example.com",
        "",
        "   ",
        "a" * 243 + "@example.com",  # 255 characters
    ],
)
async def test_a_bad_email_is_a_validation_error_on_email(
    client: AsyncTestClient[Litestar], email: str
) -> None:
    response = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})

    body = assert_problem(response, 400, "validation_error")
    assert "email" in error_fields(body)


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x1f", "\x7f"], ids=["nul", "soh", "us", "del"])
async def test_an_email_with_a_control_character_is_a_validation_error_not_a_500(
    client: AsyncTestClient[Litestar], control: str
) -> None:
    response = await client.post(
        "/auth/signup", json={"email": f"ann{control}smith@example.com", "password": PASSWORD}
    )

    body = assert_problem(response, 400, "validation_error")
    assert "email" in error_fields(body)


FULLWIDTH_ANN = "\uff21\uff4e\uff4e@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.\uff43\uff4f\uff4d"
"""Ann@example.com in fullwidth letters: the same mailbox once NFKC-normalised."""

INVISIBLE = {
    "rtl-override": "\u202e",
    "ltr-override": "\u202d",
    "rtl-isolate": "\u2067",
    "pop-isolate": "\u2069",
    "zero-width-space": "\u200b",
    "zero-width-joiner": "\u200d",
    "rtl-mark": "\u200f",
    "arabic-letter-mark": "\u061c",
    "byte-order-mark": "\ufeff",
    "c1-control": "\x9b",
}


async def test_a_fullwidth_email_is_the_same_address_normalised(client: AsyncTestClient[Litestar]) -> None:
    user = await sign_up(client, FULLWIDTH_ANN)

    assert user["email"] == "ann@example.com"
    login = await client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
    assert login.status_code == 200


async def test_a_fullwidth_copy_of_a_taken_email_is_taken(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client, "ann@example.com")

    response = await client.post(
        "/auth/signup", json={"email": FULLWIDTH_ANN, "password": "another password"}
    )

    assert_problem(response, 409, "email_taken")


@pytest.mark.parametrize("invisible", list(INVISIBLE.values()), ids=list(INVISIBLE))
async def test_an_email_with_a_bidirectional_or_invisible_character_is_a_validation_error(
    client: AsyncTestClient[Litestar], invisible: str
) -> None:
    response = await client.post(
        "/auth/signup", json={"email": f"ann{invisible}@example.com", "password": PASSWORD}
    )

    body = assert_problem(response, 400, "validation_error")
    assert "email" in error_fields(body)
    await assert_cannot_log_in(client, f"ann{invisible}@example.com", PASSWORD)


async def test_an_email_of_254_characters_is_accepted(client: AsyncTestClient[Litestar]) -> None:
    email = "a" * 242 + "@example.com"
    assert len(email) == 254

    user = await sign_up(client, email)

    assert user["email"] == email


@pytest.mark.parametrize("password", ["", "x", "1234567", "x" * 129, "é" * 129])
@refused_before_any_store
async def test_a_password_too_short_or_too_long_is_a_validation_error_on_password(
    shared_client: AsyncTestClient[Litestar], password: str
) -> None:
    response = await shared_client.post(
        "/auth/signup", json={"email": "ann@example.com", "password": password}
    )

    body = assert_problem(response, 400, "validation_error")
    assert "password" in error_fields(body)
    await assert_cannot_log_in(shared_client, "ann@example.com", password)


@pytest.mark.parametrize("password", ["12345678", "x" * 128, "é" * 128, "        "])
async def test_a_password_of_8_to_128_characters_is_accepted(
    client: AsyncTestClient[Litestar], password: str
) -> None:
    await sign_up(client, "ann@example.com", password)

    response = await client.post("/auth/login", json={"email": "ann@example.com", "password": password})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "ADMIN"),
        ("is_active", False),
        ("id", 1),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("password_hash", "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"),
    ],
)
@refused_before_any_store
async def test_an_unknown_field_is_refused_and_creates_no_account(
    shared_client: AsyncTestClient[Litestar], field: str, value: object
) -> None:
    body = {"email": "ann@example.com", "password": PASSWORD, field: value}

    response = await shared_client.post("/auth/signup", json=body)

    problem = assert_problem(response, 400, "validation_error")
    assert field in error_fields(problem)
    await assert_cannot_log_in(shared_client, "ann@example.com", PASSWORD)


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b'{"email": "ann@example.com", "password": ',
        b"{'email': 'ann@example.com'}",
        b'{"email": "ann@example.com", "password": "correct horse battery staple"} trailing',
        b"not json at all",
        b"\xff\xfe\x00",
        b"[]",
        b'[{"email": "ann@example.com", "password": "correct horse battery staple"}]',
        b"null",
        b'"ann@example.com"',
        b"42",
        b"",
    ],
    ids=[
        "unclosed",
        "truncated",
        "single-quotes",
        "trailing-garbage",
        "text",
        "not-utf8",
        "empty-array",
        "array",
        "null",
        "string",
        "number",
        "empty",
    ],
)
@refused_before_any_store
async def test_a_body_that_is_not_a_json_object_is_a_validation_error(
    shared_client: AsyncTestClient[Litestar], content: bytes
) -> None:
    response = await shared_client.post(
        "/auth/signup", content=content, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400, "validation_error")
    await assert_cannot_log_in(shared_client, "ann@example.com", PASSWORD)


@refused_before_any_store
async def test_no_body_at_all_is_a_validation_error(shared_client: AsyncTestClient[Litestar]) -> None:
    response = await shared_client.post("/auth/signup")

    assert_problem(response, 400, "validation_error")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": 1, "password": PASSWORD}, "email"),
        ({"email": None, "password": PASSWORD}, "email"),
        ({"email": ["ann@example.com"], "password": PASSWORD}, "email"),
        ({"email": "ann@example.com", "password": 12345678}, "password"),
        ({"email": "ann@example.com", "password": True}, "password"),
        ({"email": "ann@example.com", "password": {"value": PASSWORD}}, "password"),
    ],
)
@refused_before_any_store
async def test_a_wrong_type_is_a_validation_error_on_that_field(
    shared_client: AsyncTestClient[Litestar], body: dict[str, Any], field: str
) -> None:
    response = await shared_client.post("/auth/signup", json=body)

    problem = assert_problem(response, 400, "validation_error")
    assert field in error_fields(problem)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "ann@example.com"}, "password"),
    ],
)
@refused_before_any_store
async def test_a_missing_field_is_a_validation_error_naming_that_field(
    shared_client: AsyncTestClient[Litestar], body: dict[str, Any], field: str
) -> None:
    response = await shared_client.post("/auth/signup", json=body)

    problem = assert_problem(response, 400, "validation_error")
    assert field in error_fields(problem)
