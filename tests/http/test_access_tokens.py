"""GET /auth/me and the bearer access token every authenticated route relies on."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from domain.identity import Role
from entrypoints.container import Container
from tests.http.conftest import (
    Session,
    access_claims,
    assert_problem,
    bearer,
    change_user,
    craft_token,
    media_type,
    refused_before_any_store,
    signup_and_login,
    unsigned_token,
)

USER_KEYS = {"id", "email", "role", "is_active", "email_verified", "created_at"}


async def me(client: AsyncTestClient[Litestar], authorization: str | None) -> Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return await client.get("/auth/me", headers=headers)


def assert_unauthorized(response: Response) -> None:
    assert_problem(response, 401, "unauthorized")
    assert "bearer" in response.headers.get("www-authenticate", "").lower()


def hs512_same_secret(user_id: int) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyJWT may warn the secret is short for HS512
        return craft_token(access_claims(user_id), algorithm="HS512")


def tampered(session: Session) -> str:
    """A real token whose payload was swapped for one claiming ADMIN, signature untouched."""
    header, _, signature = session.access_token.split(".")
    forged = craft_token(access_claims(session.user_id, role="ADMIN"), secret="x" * 32)
    return f"{header}.{forged.split('.')[1]}.{signature}"


def expired(user_id: int) -> str:
    now = int(time.time())
    return craft_token(access_claims(user_id, iat=now - 1000, exp=now - 100))


BAD_TOKENS: dict[str, Callable[[Session], str]] = {
    "garbage": lambda _: "garbage",
    "three-garbage-parts": lambda _: "abc.def.ghi",
    "other-secret": lambda s: craft_token(access_claims(s.user_id), secret="another-secret-" + "x" * 40),
    "alg-none": lambda s: unsigned_token(access_claims(s.user_id)),
    "alg-None": lambda s: unsigned_token(access_claims(s.user_id), alg="None"),
    "alg-none-with-real-signature": lambda s: (
        unsigned_token(access_claims(s.user_id)) + s.access_token.split(".")[2]
    ),
    "hs512-same-secret": lambda s: hs512_same_secret(s.user_id),
    "hs384-same-secret": lambda s: craft_token(access_claims(s.user_id), algorithm="HS384"),
    "tampered-payload": tampered,
    "truncated-signature": lambda s: s.access_token[:-4],
    "no-exp": lambda s: craft_token(access_claims(s.user_id, exp=None)),
    "expired": lambda s: expired(s.user_id),
    "type-refresh": lambda s: craft_token(access_claims(s.user_id, type="refresh")),
    "no-type": lambda s: craft_token(access_claims(s.user_id, type=None)),
    "sub-not-a-number": lambda _: craft_token(access_claims("abc")),
    "sub-empty": lambda _: craft_token(access_claims("")),
    "sub-negative": lambda _: craft_token(access_claims("-1")),
    "sub-decimal": lambda _: craft_token(access_claims("1.0")),
    "sub-non-ascii-digit": lambda _: craft_token(access_claims("\u0661")),
    "sub-missing": lambda s: craft_token(access_claims(s.user_id, sub=None)),
    "sub-unknown-user": lambda s: craft_token(access_claims(s.user_id + 1000)),
    "sub-beyond-any-id": lambda _: craft_token(access_claims(str(2**63))),
    # Correctly signed, yet claims no clock can hold or of the wrong type (each was a 500 once).
    "exp-2**70": lambda s: craft_token(access_claims(s.user_id, exp=2**70)),
    "exp-in-year-10000": lambda s: craft_token(access_claims(s.user_id, exp=253_402_300_800)),
    "exp-a-string": lambda s: craft_token(access_claims(s.user_id, exp=str(int(time.time()) + 900))),
    "iat-a-string": lambda s: craft_token(access_claims(s.user_id, iat=str(int(time.time())))),
    "iat-minus-2**70": lambda s: craft_token(access_claims(s.user_id, iat=-(2**70))),
    "sv-missing": lambda s: craft_token(access_claims(s.user_id, sv=None)),
    "sv-a-string": lambda s: craft_token(access_claims(s.user_id, sv="0")),
    "sv-false": lambda s: craft_token(access_claims(s.user_id, sv=False)),
    "sv-another-version": lambda s: craft_token(access_claims(s.user_id, sv=1)),
    "sv-2**70": lambda s: craft_token(access_claims(s.user_id, sv=2**70)),
}


async def test_me_answers_200_with_the_caller(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "  Ann@Example.com")

    response = await me(client, f"Bearer {session.access_token}")

    assert response.status_code == 200
    assert media_type(response) == "application/json"
    user = response.json()
    assert set(user) == USER_KEYS
    assert user["id"] == session.user_id
    assert user["email"] == "ann@example.com"
    assert user["role"] == "USER"
    assert user["is_active"] is True


async def test_the_bearer_scheme_is_case_insensitive(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await me(client, f"bearer {session.access_token}")

    assert response.status_code == 200


async def test_me_shows_each_caller_their_own_account(client: AsyncTestClient[Litestar]) -> None:
    ann = await signup_and_login(client, "ann@example.com")
    bob = await signup_and_login(client, "bob@example.com")

    assert (await me(client, f"Bearer {ann.access_token}")).json()["email"] == "ann@example.com"
    assert (await me(client, f"Bearer {bob.access_token}")).json()["email"] == "bob@example.com"


async def test_a_crafted_valid_token_is_accepted(client: AsyncTestClient[Litestar]) -> None:
    """Guards the negative cases below: they fail for their one defect, not for the crafting."""
    session = await signup_and_login(client, "ann@example.com")

    response = await me(client, f"Bearer {craft_token(access_claims(session.user_id))}")

    assert response.status_code == 200


@refused_before_any_store
async def test_no_authorization_header_is_unauthorized(shared_client: AsyncTestClient[Litestar]) -> None:
    response = await me(shared_client, None)

    assert_unauthorized(response)


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Basic YW5uQGV4YW1wbGUuY29tOnBhc3N3b3Jk", "Token abc", "abc"],
    ids=["empty", "scheme-only", "scheme-and-space", "basic", "other-scheme", "no-scheme"],
)
@refused_before_any_store
async def test_a_malformed_authorization_header_is_unauthorized(
    client: AsyncTestClient[Litestar], authorization: str
) -> None:
    await signup_and_login(client, "ann@example.com")

    response = await me(client, authorization)

    assert_unauthorized(response)


@refused_before_any_store
async def test_a_valid_token_under_another_scheme_is_unauthorized(
    client: AsyncTestClient[Litestar],
) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await me(client, f"Basic {session.access_token}")

    assert_unauthorized(response)


@pytest.mark.parametrize("name", list(BAD_TOKENS))
async def test_a_bad_access_token_is_unauthorized(client: AsyncTestClient[Litestar], name: str) -> None:
    session = await signup_and_login(client, "ann@example.com")
    token = BAD_TOKENS[name](session)

    response = await me(client, f"Bearer {token}")

    assert_unauthorized(response)


async def test_a_token_valid_until_the_last_second_of_year_9999_is_accepted(
    client: AsyncTestClient[Litestar],
) -> None:
    """The edge of the range above: the last time a datetime holds is still a time."""
    session = await signup_and_login(client, "ann@example.com")

    response = await me(client, f"Bearer {craft_token(access_claims(session.user_id, exp=253_402_300_799))}")

    assert response.status_code == 200


async def test_a_refresh_token_is_not_an_access_token(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await me(client, f"Bearer {session.refresh_token}")

    assert_unauthorized(response)


async def test_an_inactive_user_with_a_live_access_token_is_refused(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    session = await signup_and_login(client, "ann@example.com")
    await change_user(client, container, session.user_id, is_active=False)

    response = await client.get("/auth/me", headers=bearer(session.access_token))

    assert_problem(response, 403, "account_inactive")


async def test_a_reactivated_user_is_let_in_again(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    session = await signup_and_login(client, "ann@example.com")
    await change_user(client, container, session.user_id, is_active=False)
    await change_user(client, container, session.user_id, is_active=True)

    response = await client.get("/auth/me", headers=bearer(session.access_token))

    assert response.status_code == 200


async def test_the_role_comes_from_the_database_not_the_token(
    client: AsyncTestClient[Litestar], container: Container
) -> None:
    session = await signup_and_login(client, "ann@example.com")

    await change_user(client, container, session.user_id, role=Role.ADMIN)
    promoted = await client.get("/auth/me", headers=bearer(session.access_token))
    await change_user(client, container, session.user_id, role=Role.USER)
    demoted = await client.get("/auth/me", headers=bearer(session.access_token))

    assert promoted.status_code == 200
    assert promoted.json()["role"] == "ADMIN"
    assert demoted.status_code == 200
    assert demoted.json()["role"] == "USER"


async def test_a_token_claiming_admin_does_not_make_a_user_admin(
    client: AsyncTestClient[Litestar],
) -> None:
    session = await signup_and_login(client, "ann@example.com")
    token = craft_token(access_claims(session.user_id, role="ADMIN"))

    response = await me(client, f"Bearer {token}")

    assert response.status_code == 200
    assert response.json()["role"] == "USER"
