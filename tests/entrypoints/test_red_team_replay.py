"""The red team's reproductions, replayed as they were made: a black-box client (httpx) against
`bookshop serve` running as a process of its own, on SQLite and on PostgreSQL, each database set up
by the real commands (`db upgrade` from an empty database, `seed-demo`, `create-admin`). One server
per backend serves the whole module; the rate limit without Redis gets a second server, and the
production settings need none (the command must refuse to start).

Each test is one finding of the hardening issue: its name says what was found, its assertions what
a client now gets instead. Every test uses customers and books of its own, so the tests sharing a
server do not depend on one another."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import httpx
import pytest

from entrypoints.settings import DEVELOPMENT_WEBHOOK_SECRET
from tests.conftest import SQL_BACKENDS
from tests.databases import recreate_postgres_schema, sqlite_url
from tests.entrypoints.servers import bookshop, bookshop_ok, serving
from tests.http.catalog_helpers import Json, book
from tests.http.conftest import (
    Session,
    access_claims,
    assert_problem,
    bearer,
    craft_token,
    error_fields,
    log_in,
    signup_and_login,
)
from tests.http.shopping_helpers import (
    HOME,
    PAYMENT_FAILED,
    SUCCEEDED,
    checked_order,
    created_order,
    payment_intent_of,
)
from tests.outages import free_port
from tests.payments.signing import payment_intent_event, signed

JWT_SECRET = "red-team-replay-secret-0123456789abcdefghijklm"
ADMIN = ("staff@example.com", "the staff member's own password")
CATALOG_CACHE_SECONDS = "5"
"""Long enough for a page to be served from the cache for the whole module."""
REFUSAL_SECONDS = 20
"""`bookshop serve` refusing its settings exits at once; one that starts serving never exits."""
LOGIN_SECONDS = 1.0
"""A login without Redis answers in well under this (the red team saw seconds per login)."""
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"
YEAR_SECONDS = 365 * 24 * 3600
FULLWIDTH_FULL = "\uff26\uff35\uff4c\uff4c@example.com"
"""`full@example.com` in fullwidth letters, two of them upper case."""


@dataclass(frozen=True)
class Shop:
    url: str
    admin: dict[str, str]
    """The staff member's Authorization header."""


def _env(database_url: str, **settings: str) -> dict[str, str]:
    """The server's environment: the settings the findings depend on are set here, whatever the
    calling shell (or a `.env` file) says. STRIPE_WEBHOOK_SECRET empty is the development default."""
    return {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": JWT_SECRET,
        "AUTH_RATE_LIMIT": "0",
        "REDIS_URL": "",
        "PAYMENT_PROVIDER": "",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_WEBHOOK_SECRET": "",
        **settings,
    }


def _open_the_shop(database_url: str) -> None:
    """What an operator runs on an empty database before the first `bookshop serve`."""
    env = _env(database_url)
    bookshop_ok(env, "db", "upgrade")
    bookshop_ok(env, "seed-demo")
    bookshop_ok(env, "create-admin", ADMIN[0], "--password", ADMIN[1])


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = sqlite_url(tmp_path_factory.mktemp("red-team-sqlite") / "bookshop.db")
    _open_the_shop(url)
    return url


@pytest.fixture(scope="module", params=SQL_BACKENDS)
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    if request.param == "sqlite":
        database_url: str = request.getfixturevalue("sqlite_database")
    else:
        database_url = request.getfixturevalue("postgres_url")
        asyncio.run(recreate_postgres_schema(database_url))  # `db upgrade` migrates it from nothing
        _open_the_shop(database_url)
    log = tmp_path_factory.mktemp(f"red-team-{request.param}") / "server.log"
    with serving(_env(database_url, CATALOG_CACHE_SECONDS=CATALOG_CACHE_SECONDS), log) as server:
        staff = httpx.post(
            f"{server.url}/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}, timeout=30
        )
        assert staff.status_code == 200, staff.text
        yield Shop(url=server.url, admin=bearer(staff.json()["access_token"]))


@pytest.fixture
async def http(shop: Shop) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=shop.url, timeout=30) as client:
        yield client


# --- a shop's worth of steps, as a client takes them ----------------------------------------------


async def _shelve(http: httpx.AsyncClient, shop: Shop, title: str, *, stock: int, price_cents: int) -> int:
    response = await http.post(
        "/admin/products", json=book(title, stock=stock, price_cents=price_cents), headers=shop.admin
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _stock_of(http: httpx.AsyncClient, shop: Shop, product_id: int) -> int:
    page = (await http.get("/admin/products", params={"limit": 100}, headers=shop.admin)).json()
    [stock] = [item["stock"] for item in page["items"] if item["id"] == product_id]
    return int(stock)


async def _add(http: httpx.AsyncClient, customer: Session, product_id: int, quantity: int) -> httpx.Response:
    """Add to the cart; once it is added, the cart ships to HOME (checkout needs an address)."""
    added = await http.post(
        "/cart/add",
        json={"product_id": product_id, "quantity": quantity},
        headers=bearer(customer.access_token),
    )
    if added.status_code == 200:
        shipped = await http.put("/cart/shipping-address", json=HOME, headers=bearer(customer.access_token))
        assert shipped.status_code == 200, shipped.text
    return added


async def _cart(http: httpx.AsyncClient, customer: Session) -> Json:
    response = await http.get("/cart", headers=bearer(customer.access_token))
    assert response.status_code == 200, response.text
    cart: Json = response.json()
    return cart


async def _checkout(http: httpx.AsyncClient, customer: Session, body: Json) -> httpx.Response:
    return await http.post("/checkout", json=body, headers=bearer(customer.access_token))


async def _order(http: httpx.AsyncClient, customer: Session, order_id: int) -> Json:
    response = await http.get(f"/orders/{order_id}", headers=bearer(customer.access_token))
    assert response.status_code == 200, response.text
    return checked_order(response.json())


@dataclass(frozen=True)
class Unpaid:
    """A customer's PENDING order (checked out without a card) of two copies of a book of its own,
    waiting for the payment provider's webhook."""

    customer: Session
    order_id: int
    total: int
    intent: str
    product_id: int

    def event(self, event_type: str, *, amount: int | None = None) -> bytes:
        return payment_intent_event(
            event_type,
            payment_intent_id=self.intent,
            order_id=str(self.order_id),
            amount=self.total if amount is None else amount,
        )


async def _unpaid_order(http: httpx.AsyncClient, shop: Shop, name: str) -> Unpaid:
    customer = await signup_and_login(http, f"{name}@example.com")
    product_id = await _shelve(http, shop, name, stock=10, price_cents=1250)
    assert (await _add(http, customer, product_id, 2)).status_code == 200
    order = created_order(await _checkout(http, customer, {}))
    # The server runs with the default SHIPPING_RATES, *:499.
    assert (order["status"], order["total_amount_cents"], order["shipping_cents"]) == ("PENDING", 2999, 499)
    intent = payment_intent_of(order["payment_client_secret"])
    return Unpaid(customer, int(order["id"]), 2999, intent, product_id)


async def _deliver(
    http: httpx.AsyncClient, payload: bytes, *, timestamp: int | None = None
) -> httpx.Response:
    """The event as Stripe would post it, signed with the development webhook secret."""
    body, signature = signed(payload, DEVELOPMENT_WEBHOOK_SECRET, timestamp=timestamp)
    return await http.post(
        "/webhooks/stripe",
        content=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )


def _receipt(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


# --- production settings -------------------------------------------------------------------------


def _serve_in_production(tmp_path: Path, **settings: str) -> CompletedProcess[str]:
    env = _env(sqlite_url(tmp_path / "bookshop.db"), APP_ENV="production", **settings)
    return bookshop(env, "serve", "--port", str(free_port()), timeout=REFUSAL_SECONDS)


def test_production_without_a_stripe_key_refuses_to_start(tmp_path: Path) -> None:
    refused = _serve_in_production(tmp_path)

    assert refused.returncode != 0
    assert "STRIPE_SECRET_KEY" in refused.stderr
    assert "PAYMENT_PROVIDER" in refused.stderr


def test_production_with_the_public_webhook_secret_refuses_to_start(tmp_path: Path) -> None:
    refused = _serve_in_production(
        tmp_path, STRIPE_SECRET_KEY="sk_test_red_team", STRIPE_WEBHOOK_SECRET=DEVELOPMENT_WEBHOOK_SECRET
    )

    assert refused.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET" in refused.stderr


# --- payments ------------------------------------------------------------------------------------


async def test_a_payment_method_that_is_not_pm_is_declined(shop: Shop, http: httpx.AsyncClient) -> None:
    customer = await signup_and_login(http, "tok-visa@example.com")
    product_id = await _shelve(http, shop, "PAID WITH A TOKEN", stock=5, price_cents=999)
    assert (await _add(http, customer, product_id, 1)).status_code == 200

    response = await _checkout(http, customer, {"payment_method_id": "tok_visa"})

    body = assert_problem(response, 402, "payment_declined")
    assert (await _order(http, customer, body["order_id"]))["status"] == "FAILED"
    assert await _stock_of(http, shop, product_id) == 5


async def test_a_cart_line_above_the_cap_is_a_validation_error_naming_quantity(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    customer = await signup_and_login(http, "hoarder-of-one-book@example.com")
    product_id = await _shelve(http, shop, "HOARDED BY THE LINE", stock=100, price_cents=100)

    at_once = await _add(http, customer, product_id, 11)
    assert (await _add(http, customer, product_id, 10)).status_code == 200
    one_more = await _add(http, customer, product_id, 1)

    for refused in (at_once, one_more):
        assert error_fields(assert_problem(refused, 400, "validation_error")) == ["quantity"]
    assert [line["quantity"] for line in (await _cart(http, customer))["items"]] == [10]


async def test_a_third_unpaid_order_is_too_many_pending_orders_and_changes_nothing(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    customer = await signup_and_login(http, "hoarder-of-orders@example.com")
    product_id = await _shelve(http, shop, "HOARDED BY UNPAID ORDERS", stock=100, price_cents=100)
    for _ in range(2):
        assert (await _add(http, customer, product_id, 10)).status_code == 200
        assert created_order(await _checkout(http, customer, {}))["status"] == "PENDING"
    assert (await _add(http, customer, product_id, 10)).status_code == 200
    cart = await _cart(http, customer)

    response = await _checkout(http, customer, {})

    assert_problem(response, 409, "too_many_pending_orders")
    assert await _stock_of(http, shop, product_id) == 80
    orders = await http.get("/orders/me", headers=bearer(customer.access_token))
    assert orders.json()["total"] == 2
    assert await _cart(http, customer) == cart


async def test_a_success_for_another_amount_does_not_pay_the_order(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    unpaid = await _unpaid_order(http, shop, "paid-one-cent")

    response = await _deliver(http, unpaid.event(SUCCEEDED, amount=1))

    assert _receipt(response) == {"received": True, "outcome": "amount_mismatch"}
    assert (await _order(http, unpaid.customer, unpaid.order_id))["status"] == "PENDING"


async def test_a_webhook_signed_a_year_ahead_is_refused(shop: Shop, http: httpx.AsyncClient) -> None:
    unpaid = await _unpaid_order(http, shop, "paid-next-year")
    event = unpaid.event(SUCCEEDED)

    ahead = await _deliver(http, event, timestamp=int(time.time()) + YEAR_SECONDS)

    assert_problem(ahead, 400, "validation_error")
    assert (await _order(http, unpaid.customer, unpaid.order_id))["status"] == "PENDING"
    # The same event signed now pays the order: only its date was refused.
    assert _receipt(await _deliver(http, event)) == {"received": True, "outcome": "paid"}


async def test_a_large_webhook_is_read_while_other_routes_keep_their_body_limit(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    event = payment_intent_event("customer.created", order_id=None, padding=300 * 1024)
    signup = b'{"email": "big@example.com", "password": "' + b"p" * 100 * 1024 + b'"}'

    webhook = await _deliver(http, event)
    too_large = await http.post("/auth/signup", content=signup, headers={"Content-Type": "application/json"})

    assert len(event) > 300 * 1024
    assert _receipt(webhook) == {"received": True, "outcome": "ignored"}
    assert_problem(too_large, 413, "payload_too_large")


async def test_a_payment_that_succeeds_for_a_failed_order_is_refunded_in_full(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    unpaid = await _unpaid_order(http, shop, "paid-too-late")
    assert _receipt(await _deliver(http, unpaid.event(PAYMENT_FAILED)))["outcome"] == "failed"

    response = await _deliver(http, unpaid.event(SUCCEEDED))

    assert _receipt(response) == {"received": True, "outcome": "refunded"}
    order = await _order(http, unpaid.customer, unpaid.order_id)
    assert (order["status"], order["refunded_cents"]) == ("FAILED", unpaid.total)
    assert await _stock_of(http, shop, unpaid.product_id) == 10


# --- sessions and tokens -------------------------------------------------------------------------


async def test_two_refreshes_of_one_token_at_once_keep_the_session_alive(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    customer = await signup_and_login(http, "two-tabs@example.com")
    body = {"refresh_token": customer.refresh_token}

    answers = await asyncio.gather(*(http.post("/auth/refresh", json=body) for _ in range(2)))

    assert sorted(answer.status_code for answer in answers) == [200, 401]
    [winner] = [answer.json() for answer in answers if answer.status_code == 200]
    [late] = [answer for answer in answers if answer.status_code == 401]
    assert_problem(late, 401, "invalid_refresh_token")
    assert (await http.get("/auth/me", headers=bearer(winner["access_token"]))).status_code == 200
    again = await http.post("/auth/refresh", json={"refresh_token": winner["refresh_token"]})
    assert again.status_code == 200, again.text


async def test_a_signed_access_token_with_a_huge_or_mistyped_exp_is_401_not_500(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    customer = await signup_and_login(http, "forged-exp@example.com")
    honest = craft_token(access_claims(customer.user_id), secret=JWT_SECRET)
    assert (await http.get("/auth/me", headers=bearer(honest))).status_code == 200  # the server's secret

    for exp in (2**70, str(int(time.time()) + 900)):
        token = craft_token(access_claims(customer.user_id, exp=exp), secret=JWT_SECRET)
        assert_problem(await http.get("/auth/me", headers=bearer(token)), 401, "unauthorized")


# --- input ---------------------------------------------------------------------------------------


async def test_invalid_utf8_inside_a_json_string_is_a_validation_error(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    body = b'{"email": "ann\xff@example.com", "password": "correct horse battery"}'

    response = await http.post("/auth/login", content=body, headers={"Content-Type": "application/json"})

    assert_problem(response, 400, "validation_error")


async def test_an_unknown_query_parameter_is_a_validation_error_naming_it(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    response = await http.get("/products", params={"seris": "HP"})

    assert error_fields(assert_problem(response, 400, "validation_error")) == ["seris"]


async def test_a_cached_page_gives_each_client_its_own_request_id(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    ids = ["red-team-first", "red-team-second"]

    answers = [await http.get("/products?series=NARNIA", headers={"X-Request-ID": id_}) for id_ in ids]
    unnamed = await http.get("/products?series=NARNIA")

    assert [answer.status_code for answer in [*answers, unnamed]] == [200, 200, 200]
    assert [answer.headers.get_list("x-request-id") for answer in answers] == [[id_] for id_ in ids]
    assert unnamed.headers["x-request-id"] not in ids
    assert answers[0].json() == answers[1].json() == unnamed.json()
    assert answers[0].json()["total"] == 7


async def test_a_fullwidth_email_is_stored_as_lower_case_ascii(shop: Shop, http: httpx.AsyncClient) -> None:
    session = await signup_and_login(http, FULLWIDTH_FULL)

    assert session.email == "full@example.com"
    await log_in(http, "full@example.com")


async def test_an_email_holding_a_right_to_left_override_is_refused(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    spoof = "staff\u202emoc.elpmaxe@evil.example"  # shown right to left after "staff": looks like ours

    response = await http.post("/auth/signup", json={"email": spoof, "password": "correct horse battery"})

    assert error_fields(assert_problem(response, 400, "validation_error")) == ["email"]


# --- the rate limit without Redis ----------------------------------------------------------------


@pytest.fixture
def shop_without_redis(sqlite_database: str, tmp_path: Path) -> Iterator[str]:
    """A second server on the SQLite shop, its Redis a closed port, three auth attempts a minute."""
    env = _env(sqlite_database, REDIS_URL=UNREACHABLE_REDIS_URL, AUTH_RATE_LIMIT="3")
    with serving(env, tmp_path / "server.log") as server:
        yield server.url


async def test_with_redis_unreachable_the_rate_limit_still_bites_at_once_and_health_says_degraded(
    shop_without_redis: str,
) -> None:
    timed: list[tuple[httpx.Response, float]] = []
    async with httpx.AsyncClient(base_url=shop_without_redis, timeout=30) as http:
        for _ in range(4):
            started = time.perf_counter()
            answer = await http.post(
                "/auth/login", json={"email": "guesser@example.com", "password": "guess"}
            )
            timed.append((answer, time.perf_counter() - started))
        health = await http.get("/health")

    answers = [answer for answer, _ in timed]
    for wrong in answers[:3]:
        assert_problem(wrong, 401, "invalid_credentials")
    assert_problem(answers[3], 429, "rate_limited")
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60
    assert max(seconds for _, seconds in timed) < LOGIN_SECONDS, timed
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}
