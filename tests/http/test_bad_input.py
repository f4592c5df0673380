"""Bodies no client should send: never a 500, always the contract's 400 validation_error."""

from __future__ import annotations

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, make_admin
from tests.http.conftest import assert_problem, bearer

JSON_ROUTES = [
    ("POST", "/auth/signup"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("POST", "/cart/add"),
    ("POST", "/cart/remove"),
    ("POST", "/checkout"),
    ("POST", "/admin/products"),
    ("PATCH", "/admin/products/1"),
    ("PATCH", "/admin/products/1/stock"),
    ("PATCH", "/admin/users/1"),
]
NOT_UTF8 = {
    "in a value": b'{"email": "ann\xff@example.com", "password": "correct horse battery"}',
    "in a key": b'{"ema\xffil": "ann@example.com"}',
    "cut short": b'{"title": "\xc3"}',
    "a surrogate": b'{"title": "\xed\xa0\x80"}',
}


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("content", NOT_UTF8.values(), ids=NOT_UTF8.keys())
async def test_invalid_utf8_inside_json_is_a_validation_error(
    client: Client, container: Container, method: str, path: str, content: bytes
) -> None:
    admin = await make_admin(client, container)

    response = await client.request(
        method,
        path,
        content=content,
        headers={**bearer(admin.access_token), "Content-Type": "application/json"},
    )

    assert_problem(response, 400, "validation_error")


async def test_the_problem_says_the_body_is_not_utf8(client: Client) -> None:
    response = await client.post(
        "/auth/signup", content=NOT_UTF8["in a value"], headers={"Content-Type": "application/json"}
    )

    assert "utf-8" in assert_problem(response, 400, "validation_error")["detail"].lower()
