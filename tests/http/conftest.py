"""Helpers for the HTTP tests: accounts, sessions, crafted tokens and problem-detail checks."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
import pytest
from httpx import AsyncClient, Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.testing.transport import TestClientTransport

from application.ports import UnitOfWork
from domain.identity import Role
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from tests.conftest import TEST_JWT_SECRET, make_settings

PROBLEM_JSON = "application/problem+json"
PASSWORD = "correct horse battery staple"
UNREACHABLE_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
T = TypeVar("T")

refused_before_any_store = pytest.mark.refused_before_any_store
"""For a request the HTTP layer refuses before any use case runs (a body, query or path that fails
validation; a missing or malformed Authorization header): no store can change the answer, so the
test runs on SQLite alone, and one that asks for nothing but `client` shares its module's app
(see `client` in tests/conftest.py). What does reach a store (a value at its bounds, a NUL or
control character, a token whose user is looked up) runs on SQLite and PostgreSQL, and the
use-case tests run every rule on every store."""


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    email: str
    access_token: str
    refresh_token: str


def media_type(response: Response) -> str:
    content_type: str = response.headers.get("content-type", "")
    return content_type.partition(";")[0].strip().lower()


def assert_problem(response: Response, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and the contract's code."""
    assert response.status_code == status, response.text
    assert media_type(response) == PROBLEM_JSON, response.headers
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    for key in ("type", "title", "detail", "code"):
        assert isinstance(body[key], str), body
        assert body[key], body
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    errors = body.get("errors")
    assert isinstance(errors, list), body
    assert errors, body
    for error in errors:
        assert isinstance(error.get("field"), str), body
        assert isinstance(error.get("message"), str), body
    return [str(error["field"]) for error in errors]


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def sign_up(client: AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/auth/signup", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


async def log_in(client: AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


async def signup_and_login(client: AsyncClient, email: str, password: str = PASSWORD) -> Session:
    """Through any client: the app in process (AsyncTestClient) or a running server."""
    user = await sign_up(client, email, password)
    pair = await log_in(client, email, password)
    return Session(
        user_id=int(user["id"]),
        email=str(user["email"]),
        access_token=str(pair["access_token"]),
        refresh_token=str(pair["refresh_token"]),
    )


def in_app_loop(client: AsyncTestClient[Litestar], function: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on the event loop that serves the app.

    Litestar's AsyncTestClient runs the app on its own loop in a portal thread, and the app's
    connection pool belongs to that loop: reaching the database from the test's loop would hand
    asyncpg connections to the wrong loop. (The test's loop waits meanwhile, as it does for
    every request.)"""
    return client.blocking_portal.call(function)


async def change_user(
    client: AsyncTestClient[Litestar],
    container: Container,
    user_id: int,
    *,
    is_active: bool | None = None,
    role: Role | None = None,
) -> None:
    """Edit a user behind the API's back, through the app's own unit of work."""

    async def change() -> None:
        uow: UnitOfWork = container.unit_of_work()
        async with uow:
            user = await uow.users.get(user_id)
            assert user is not None
            if is_active is not None:
                user.is_active = is_active
            if role is not None:
                user.role = role
            await uow.users.update(user)
            await uow.commit()

    in_app_loop(client, change)


async def concurrently(
    client: AsyncTestClient[Litestar], path: str, bodies: list[dict[str, Any]]
) -> list[Response]:
    """POST the bodies at the same moment. `asyncio.gather` over the client would not do: each
    request blocks the test's loop until it is answered. Here each request waits in a thread of
    its own, so the app serves them all at once on its loop."""
    transport = TestClientTransport(client=client, raise_server_exceptions=False)
    requests = [client.build_request("POST", path, json=body) for body in bodies]
    responses = await asyncio.gather(
        *(asyncio.to_thread(transport.handle_request, request) for request in requests)
    )
    for response in responses:
        response.read()
    return list(responses)


def access_claims(user_id: int | str, **overrides: Any) -> dict[str, Any]:
    """Claims of a valid access token; an override of None drops the claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": "USER",
        "type": "access",
        "iat": now,
        "exp": now + 900,
        "jti": "0123456789abcdef0123456789abcdef",
        "sv": 0,
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def craft_token(claims: dict[str, Any], *, secret: str = TEST_JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def _b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any], *, alg: str = "none") -> str:
    """An `alg: none` JWT: header and payload, empty signature."""
    return f"{_b64url({'alg': alg, 'typ': 'JWT'})}.{_b64url(claims)}."


@pytest.fixture
async def unreachable_client() -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An app whose database cannot be reached. It takes no `database_url`, so its tests run once."""
    app = create_app(build_container(make_settings(UNREACHABLE_DATABASE_URL)))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client
