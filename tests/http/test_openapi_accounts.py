"""GET /schema/openapi.json documents the password and email-verification routes."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.http.test_openapi import openapi, operation

ROUTES = {
    "/auth/password": ("changePassword", "200", {400, 401, 403, 429, 503}, False),
    "/auth/password-reset": ("requestPasswordReset", "202", {400, 429, 503}, True),
    "/auth/password-reset/confirm": ("confirmPasswordReset", "204", {400, 429, 503}, True),
    "/auth/verify-email": ("verifyEmail", "204", {400, 503}, True),
    "/auth/verify-email/resend": ("resendVerificationEmail", "202", {400, 401, 403, 429, 503}, False),
}


@pytest.fixture
def client(shared_client: AsyncTestClient[Litestar]) -> AsyncTestClient[Litestar]:
    return shared_client


@pytest.mark.parametrize("path", list(ROUTES))
async def test_each_route_is_named_described_and_lists_its_answers(
    client: AsyncTestClient[Litestar], path: str
) -> None:
    operation_id, success, errors, public = ROUTES[path]

    found = operation(await openapi(client), path, "post")

    assert found["operationId"] == operation_id
    assert found["description"]
    assert set(found["responses"]) == {success, *map(str, errors)}
    for status in errors:
        assert "application/problem+json" in found["responses"][str(status)]["content"]
    assert (not found.get("security")) is public


async def test_the_reset_confirmation_body_bounds_the_new_password(
    client: AsyncTestClient[Litestar],
) -> None:
    document = await openapi(client)
    schemas = document["components"]["schemas"]

    body = next(s for name, s in schemas.items() if name.endswith("PasswordResetConfirmation"))
    assert body["properties"]["new_password"]["minLength"] == 8
    assert body["properties"]["new_password"]["maxLength"] == 128
    assert sorted(body["required"]) == ["new_password", "token"]
