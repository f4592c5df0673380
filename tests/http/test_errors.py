"""Errors in general: every failure is a problem document, and no business error can become a 500."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import cast

from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.types import HTTPReceiveMessage, HTTPScope, Message

import adapters
import application
import domain
import entrypoints
from application.errors import ApplicationError
from domain.errors import DomainError
from entrypoints.http.app import MAX_REQUEST_BODY_BYTES
from entrypoints.http.problems import CORE_ERRORS
from tests.http.conftest import PROBLEM_JSON, assert_problem, bearer, in_app_loop, signup_and_login

CONTRACT_CODES = {
    "validation_error": 400,
    "unauthorized": 401,
    "invalid_credentials": 401,
    "invalid_refresh_token": 401,
    "account_inactive": 403,
    "forbidden": 403,
    "not_found": 404,
    "email_taken": 409,
    "insufficient_stock": 409,
    "product_unavailable": 409,
    "cart_empty": 409,
    "idempotency_key_reused": 409,
    "too_many_pending_orders": 409,
    "shipping_address_required": 409,
    "country_not_served": 409,
    "payment_declined": 402,
    "conflict": 409,
    "rate_limited": 429,
    "payment_unavailable": 503,
    "order_not_cancellable": 409,
    "service_unavailable": 503,  # the database is down (not in the table; 503 like its sibling)
    "order_not_refundable": 409,
    "refund_exceeds_payment": 409,
    "order_not_shippable": 409,
    "invalid_token": 400,
}


async def test_an_unknown_route_is_a_not_found_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/no/such/route")

    assert_problem(response, 404, "not_found")


async def test_an_unknown_route_is_not_found_with_a_token_too(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await client.get("/auth/nothing-here", headers=bearer(session.access_token))

    assert_problem(response, 404, "not_found")


async def test_a_wrong_method_is_405_with_allow(client: AsyncTestClient[Litestar]) -> None:
    session = await signup_and_login(client, "ann@example.com")

    response = await client.delete("/auth/me", headers=bearer(session.access_token))

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers.get("allow", "")


async def test_a_wrong_method_on_a_public_route_is_405(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/auth/login")

    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers.get("allow", "")


async def test_a_body_over_64_kib_is_413(client: AsyncTestClient[Litestar]) -> None:
    content = b'{"email": "ann@example.com", "password": "' + b"x" * MAX_REQUEST_BODY_BYTES + b'"}'

    response = await client.post(
        "/auth/signup", content=content, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 413, "payload_too_large")


async def test_a_body_of_exactly_64_kib_is_read(client: AsyncTestClient[Litestar]) -> None:
    head, tail = b'{"email": "ann@example.com", "password": "', b'"}'
    content = head + b"x" * (64 * 1024 - len(head) - len(tail)) + tail
    assert len(content) == 64 * 1024

    response = await client.post(
        "/auth/signup", content=content, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400, "validation_error")  # read and refused for its too-long password


async def test_a_chunked_body_over_64_kib_is_413(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    """No Content-Length to trust: the limit must hold while the body streams in."""
    chunks = [b"x" * 1024] * 70
    sent: list[Message] = []

    async def receive() -> HTTPReceiveMessage:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = cast(
        "HTTPScope",
        {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/auth/signup",
            "raw_path": b"/auth/signup",
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"testserver.local"),
                (b"content-type", b"application/json"),
                (b"transfer-encoding", b"chunked"),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver.local", 80),
            "state": {},
            "extensions": {},
        },
    )

    in_app_loop(client, lambda: app(scope, receive, send))

    start = next(message for message in sent if message["type"] == "http.response.start")
    assert start["status"] == 413
    headers = {bytes(k).decode().lower(): bytes(v).decode() for k, v in start["headers"]}
    assert headers["content-type"].startswith(PROBLEM_JSON)


async def test_every_problem_repeats_its_status_and_has_the_rfc_9457_members(
    client: AsyncTestClient[Litestar],
) -> None:
    await signup_and_login(client, "ann@example.com")
    responses = [
        await client.get("/nowhere"),
        await client.get("/auth/me"),
        await client.post("/auth/login", json={"email": "ann@example.com", "password": "nope-nope"}),
        await client.post("/auth/signup", json={"email": "ann@example.com", "password": "x"}),
        await client.post("/auth/signup", json={"email": "ann@example.com", "password": "long enough"}),
        await client.put("/auth/login"),
    ]

    for response in responses:
        assert response.status_code >= 400
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        body = response.json()
        assert {"type", "title", "status", "detail", "code"} <= body.keys()
        assert body["status"] == response.status_code
        assert "Traceback" not in response.text


def _import_everything(*packages: ModuleType) -> None:
    """Subclasses only exist once their module is imported: load every module of the project."""
    for package in packages:
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            importlib.import_module(module.name)


def _subclasses(root: type[Exception]) -> set[type[Exception]]:
    found: set[type[Exception]] = set()
    pending = list(root.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.add(cls)
            pending.extend(cls.__subclasses__())
    return found


def test_every_business_error_has_a_problem_mapping() -> None:
    _import_everything(domain, application, adapters, entrypoints)
    errors = _subclasses(DomainError) | _subclasses(ApplicationError)
    assert errors, "no business errors found"

    unmapped = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in errors
        if not any(base in CORE_ERRORS for base in cls.__mro__)
    )
    not_listed = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in errors if cls not in CORE_ERRORS)

    assert unmapped == [], "these errors would leave as a 500"
    assert not_listed == [], "map every business error explicitly in CORE_ERRORS"


def test_every_mapping_uses_a_contract_code_with_its_status() -> None:
    for error, (status, code) in CORE_ERRORS.items():
        assert code in CONTRACT_CODES, f"{error.__name__} maps to unknown code {code!r}"
        assert status == CONTRACT_CODES[code], f"{error.__name__}: {code} is {CONTRACT_CODES[code]}"


async def test_options_lists_the_methods_of_any_route_without_a_token(
    client: AsyncTestClient[Litestar],
) -> None:
    for path in ("/products", "/admin/users/1", "/admin/products/1/stock", "/cart"):
        response = await client.options(path)

        assert response.status_code == 204, (path, response.text)
        assert "OPTIONS" in response.headers["allow"]
