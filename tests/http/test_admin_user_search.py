"""GET /admin/users?email=: accounts by part of their email, any case, wildcards literal."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, get_page, make_admin
from tests.http.conftest import (
    Session,
    assert_problem,
    bearer,
    error_fields,
    refused_before_any_store,
    sign_up,
)


@pytest.fixture
async def admin(client: Client, container: Container) -> Session:
    return await make_admin(client, container)


async def emails(client: Client, admin: Session, **params: Any) -> list[str]:
    page = await get_page(client, "/admin/users", params, bearer(admin.access_token))
    assert page["total"] == len(page["items"])
    return [user["email"] for user in page["items"]]


async def test_users_are_found_by_part_of_their_email(client: Client, admin: Session) -> None:
    for email in ("Ann_Lee@example.com", "annxlee@example.com", "100%@example.org"):
        await sign_up(client, email)

    assert await emails(client, admin, email="ANN_") == ["ann_lee@example.com"]
    assert await emails(client, admin, email="ann") == ["ann_lee@example.com", "annxlee@example.com"]
    assert await emails(client, admin, email="0%@") == ["100%@example.org"]
    assert await emails(client, admin, email="%") == ["100%@example.org"]
    assert await emails(client, admin, email="example.org", is_active="false") == []
    assert await emails(client, admin, email="nobody") == []


async def test_a_nul_in_the_email_filter_is_a_validation_error(client: Client, admin: Session) -> None:
    response = await client.get("/admin/users", params={"email": "a\x00"}, headers=bearer(admin.access_token))

    assert error_fields(assert_problem(response, 400, "validation_error")) == ["email"]


@pytest.mark.parametrize("email", ["", "a" * 255], ids=len)
@refused_before_any_store
async def test_an_email_filter_out_of_bounds_is_a_validation_error(
    client: Client, admin: Session, email: str
) -> None:
    response = await client.get("/admin/users", params={"email": email}, headers=bearer(admin.access_token))

    assert "email" in error_fields(assert_problem(response, 400, "validation_error"))
