"""POST /auth/password, /auth/password-reset(/confirm), /auth/verify-email(/resend) as a client
meets them: codes, bodies, the email in the outbox, sessions ended, and REQUIRE_VERIFIED_EMAIL."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from application.outbox import StoredMessage
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import make_settings
from tests.fakes import FrozenClock
from tests.http.catalog_helpers import book as book_body
from tests.http.catalog_helpers import create_product, make_admin
from tests.http.conftest import (
    PASSWORD,
    assert_problem,
    bearer,
    in_app_loop,
    log_in,
    refused_before_any_store,
    sign_up,
    signup_and_login,
)
from tests.http.shopping_helpers import add_to_cart

Client = AsyncTestClient[Litestar]
NEW = "a much better passphrase"
PAIR_KEYS = {"access_token", "refresh_token", "token_type", "expires_in"}


def outbox(client: Client, container: Container, kind: str, recipient: str) -> list[StoredMessage]:
    async def read() -> list[StoredMessage]:
        async with container.unit_of_work() as tx:
            ids = await tx.outbox.due(container.clock().now().replace(year=2100), 1000)
            found = [await tx.outbox.get(message_id) for message_id in ids]
        return [m for m in found if m is not None and m.kind == kind and m.recipient == recipient]

    return in_app_loop(client, read)


def token_of(client: Client, container: Container, kind: str, recipient: str) -> str:
    [message] = outbox(client, container, kind, recipient)
    token = message.context["token"]
    assert isinstance(token, str)
    return token


async def me(client: Client, access_token: str) -> Any:
    return await client.get("/auth/me", headers=bearer(access_token))


# --- POST /auth/password ------------------------------------------------------------------------


async def test_changing_the_password_answers_a_new_pair_and_ends_the_other_sessions(client: Client) -> None:
    laptop = await signup_and_login(client, "ann@example.com")
    phone = await log_in(client, "ann@example.com")

    response = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=bearer(str(phone["access_token"])),
    )

    assert response.status_code == 200, response.text
    pair = response.json()
    assert set(pair) == PAIR_KEYS
    assert (await me(client, pair["access_token"])).status_code == 200
    for access_token, refresh_token in [
        (laptop.access_token, laptop.refresh_token),
        (phone["access_token"], phone["refresh_token"]),
    ]:
        assert_problem(await me(client, str(access_token)), 401, "unauthorized")
        refused = await client.post("/auth/refresh", json={"refresh_token": refresh_token})
        assert_problem(refused, 401, "invalid_refresh_token")
    assert_problem(
        await client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
    assert (
        await client.post("/auth/login", json={"email": "ann@example.com", "password": NEW})
    ).status_code == 200


async def test_a_wrong_current_password_is_invalid_credentials_and_changes_nothing(client: Client) -> None:
    ann = await signup_and_login(client, "ann@example.com")

    response = await client.post(
        "/auth/password",
        json={"current_password": "not my password", "new_password": NEW},
        headers=bearer(ann.access_token),
    )

    assert_problem(response, 401, "invalid_credentials")
    assert (await me(client, ann.access_token)).status_code == 200


@refused_before_any_store
@pytest.mark.parametrize(
    "body",
    [
        {"current_password": PASSWORD, "new_password": "short"},
        {"current_password": PASSWORD},
        {"current_password": PASSWORD, "new_password": NEW, "role": "ADMIN"},
    ],
)
async def test_a_bad_password_change_body_is_a_validation_error(client: Client, body: dict[str, str]) -> None:
    ann = await signup_and_login(client, "ann@example.com")

    response = await client.post("/auth/password", json=body, headers=bearer(ann.access_token))

    assert_problem(response, 400, "validation_error")


@refused_before_any_store
async def test_changing_the_password_needs_a_token(client: Client) -> None:
    response = await client.post("/auth/password", json={"current_password": PASSWORD, "new_password": NEW})

    assert_problem(response, 401, "unauthorized")


# --- POST /auth/password-reset and /confirm ------------------------------------------------------


async def test_a_reset_is_202_for_everyone_and_emails_a_token_only_to_an_active_account(
    client: Client, container: Container
) -> None:
    await sign_up(client, "ann@example.com")

    answers = [
        await client.post("/auth/password-reset", json={"email": email})
        for email in ("ann@example.com", "nobody@example.com")
    ]

    for answer in answers:
        assert answer.status_code == 202, answer.text
        assert answer.json() == {"status": "accepted"}
    assert answers[0].headers.get("content-type") == answers[1].headers.get("content-type")
    [message] = outbox(client, container, "password_reset", "ann@example.com")
    assert set(message.context) == {"email", "token", "valid_minutes"}
    assert message.context["valid_minutes"] == 30
    assert outbox(client, container, "password_reset", "nobody@example.com") == []


async def test_the_reset_token_works_once_and_ends_every_session(
    client: Client, container: Container
) -> None:
    ann = await signup_and_login(client, "ann@example.com")
    await client.post("/auth/password-reset", json={"email": "ann@example.com"})
    token = token_of(client, container, "password_reset", "ann@example.com")

    confirmed = await client.post("/auth/password-reset/confirm", json={"token": token, "new_password": NEW})

    assert confirmed.status_code == 204, confirmed.text
    assert_problem(await me(client, ann.access_token), 401, "unauthorized")
    refused = await client.post("/auth/refresh", json={"refresh_token": ann.refresh_token})
    assert_problem(refused, 401, "invalid_refresh_token")
    pair = await log_in(client, "ann@example.com", NEW)
    assert (await me(client, str(pair["access_token"]))).json()["email_verified"] is True
    again = await client.post("/auth/password-reset/confirm", json={"token": token, "new_password": PASSWORD})
    assert_problem(again, 400, "invalid_token")
    await log_in(client, "ann@example.com", NEW)


async def test_an_unknown_reset_token_is_invalid_token(client: Client) -> None:
    response = await client.post(
        "/auth/password-reset/confirm", json={"token": "made-up", "new_password": NEW}
    )

    assert_problem(response, 400, "invalid_token")


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def container(settings: Settings, frozen: FrozenClock) -> Container:
    built = build_container(settings)
    built.clock.override(providers.Object(frozen))
    return built


async def test_an_expired_reset_token_is_invalid_token(
    client: Client, container: Container, frozen: FrozenClock
) -> None:
    await sign_up(client, "ann@example.com")
    await client.post("/auth/password-reset", json={"email": "ann@example.com"})
    token = token_of(client, container, "password_reset", "ann@example.com")

    frozen.advance(1800)

    response = await client.post("/auth/password-reset/confirm", json={"token": token, "new_password": NEW})
    assert_problem(response, 400, "invalid_token")
    await log_in(client, "ann@example.com", PASSWORD)


async def test_reset_requests_draw_on_the_login_allowance(database_url: str) -> None:
    app = create_app(build_container(make_settings(database_url, auth_rate_limit=3)))
    async with AsyncTestClient(app=app) as limited:
        for _ in range(3):
            response = await limited.post("/auth/password-reset", json={"email": "ann@example.com"})
            assert response.status_code == 202

        refused = await limited.post("/auth/password-reset/confirm", json={"token": "x", "new_password": NEW})

    assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) >= 1


# --- POST /auth/verify-email and /resend ---------------------------------------------------------


async def test_the_welcome_email_verifies_the_address_once(client: Client, container: Container) -> None:
    ann = await signup_and_login(client, "ann@example.com")
    assert (await me(client, ann.access_token)).json()["email_verified"] is False
    token = token_of(client, container, "welcome", "ann@example.com")

    verified = await client.post("/auth/verify-email", json={"token": token})

    assert verified.status_code == 204, verified.text
    assert (await me(client, ann.access_token)).json()["email_verified"] is True
    assert_problem(await client.post("/auth/verify-email", json={"token": token}), 400, "invalid_token")


async def test_an_unknown_verification_token_is_invalid_token(client: Client) -> None:
    assert_problem(await client.post("/auth/verify-email", json={"token": "made-up"}), 400, "invalid_token")


async def test_resending_is_202_and_emails_a_token_that_verifies(
    client: Client, container: Container
) -> None:
    ann = await signup_and_login(client, "ann@example.com")

    resent = await client.post("/auth/verify-email/resend", headers=bearer(ann.access_token))

    assert resent.status_code == 202, resent.text
    token = token_of(client, container, "verify_email", "ann@example.com")
    assert (await client.post("/auth/verify-email", json={"token": token})).status_code == 204
    assert (
        await client.post("/auth/verify-email/resend", headers=bearer(ann.access_token))
    ).status_code == 202
    assert len(outbox(client, container, "verify_email", "ann@example.com")) == 1, "verified: no more links"


@refused_before_any_store
async def test_resending_needs_a_token(client: Client) -> None:
    assert_problem(await client.post("/auth/verify-email/resend"), 401, "unauthorized")


# --- REQUIRE_VERIFIED_EMAIL ------------------------------------------------------------------------


async def test_with_verification_required_an_unverified_customer_cannot_check_out(database_url: str) -> None:
    container = build_container(make_settings(database_url, require_verified_email=True))
    async with AsyncTestClient(app=create_app(container)) as client:
        admin = await make_admin(client, container)
        product = await create_product(client, admin.access_token, book_body("PRINCE CASPIAN", stock=4))
        ann = await signup_and_login(client, "ann@example.com")
        await add_to_cart(client, ann.access_token, product["id"], 2)

        refused = await client.post("/checkout", headers=bearer(ann.access_token))

        body = assert_problem(refused, 403, "forbidden")
        assert "verify" in body["detail"]
        token = token_of(client, container, "welcome", "ann@example.com")
        assert (await client.post("/auth/verify-email", json={"token": token})).status_code == 204
        bought = await client.post("/checkout", headers=bearer(ann.access_token))
        assert bought.status_code == 201, bought.text
