"""The shop as operators run it: `bookshop serve --workers 2` on PostgreSQL (and Redis), hit from
many connections at once. Both workers must serve, and share what must be shared."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

import httpx
import pytest
from redis import Redis

from tests.entrypoints.conftest import ADMIN, log_in
from tests.entrypoints.servers import Server
from tests.http.shopping_helpers import HOME

REDIS_URL = os.environ.get("TEST_REDIS_URL")
ROUNDS = 5
pytestmark = pytest.mark.backends("postgres")


@pytest.mark.redis
@pytest.mark.skipif(REDIS_URL is None, reason="needs TEST_REDIS_URL (CI sets it and refuses skips)")
async def test_two_workers_share_the_auth_rate_limit_through_redis(
    serve: Any, fresh_connections: httpx.AsyncClient
) -> None:
    assert REDIS_URL is not None
    Redis.from_url(REDIS_URL).delete("bookshop:rate:auth:127.0.0.1")  # a window left by an earlier run
    server: Server = serve(REDIS_URL=REDIS_URL, AUTH_RATE_LIMIT="5")
    statuses: Counter[int] = Counter()

    # Bursts until both workers have answered: the kernel alone decides which one accepts a
    # connection, and a single short burst may all land on one.
    while len(server.pids_that_served("/auth/login")) < 2 and statuses.total() < 200:
        answers = await asyncio.gather(
            *(
                fresh_connections.post(
                    f"{server.url}/auth/login", json={"email": "x@example.com", "password": "guess"}
                )
                for _ in range(20)
            )
        )
        statuses.update(a.status_code for a in answers)

    assert len(server.pids_that_served("/auth/login")) == 2
    assert statuses[401] == 5  # one budget of 5 a minute, however the attempts were spread
    assert statuses[429] == statuses.total() - 5


async def test_thirty_buyers_through_two_workers_buy_exactly_the_five_books(
    serve: Any, fresh_connections: httpx.AsyncClient
) -> None:
    # Thirty sign-ups and logins at once: more than the password-hashing queue takes by default.
    server: Server = serve(AUTH_RATE_LIMIT="0", PASSWORD_HASH_QUEUE="64")
    http = fresh_connections
    admin = await log_in(http, server, *ADMIN)
    rounds = 0

    # Rounds until both workers have taken checkouts: a worker that wakes first may accept a whole
    # burst of connections by itself, and then the round proved nothing about two processes.
    while len(server.pids_that_served("/checkout")) < 2 and rounds < ROUNDS:
        rounds += 1
        created = await http.post(
            f"{server.url}/admin/products",
            json={
                "title": f"The Last Battle, printing {rounds}",
                "series": "NARNIA",
                "author": "C. S. Lewis",
                "price_cents": 799,
                "stock": 5,
            },
            headers=admin,
        )
        product_id = created.json()["id"]
        buyers = await asyncio.gather(*(_buyer(http, server, f"{rounds}.{n}", product_id) for n in range(30)))

        answers = await asyncio.gather(
            *(
                http.post(f"{server.url}/checkout", json={"payment_method_id": "pm_card_visa"}, headers=b)
                for b in buyers
            )
        )

        assert Counter(a.status_code for a in answers) == {201: 5, 409: 25}
        assert {a.json()["code"] for a in answers if a.status_code == 409} == {"insufficient_stock"}
        assert {a.json()["status"] for a in answers if a.status_code == 201} == {"PAID"}
        stock = await http.get(f"{server.url}/admin/products", params={"limit": 100}, headers=admin)
        assert [p["stock"] for p in stock.json()["items"] if p["id"] == product_id] == [0]

    paid = await http.get(f"{server.url}/admin/orders", params={"status": "PAID"}, headers=admin)
    assert paid.json()["total"] == 5 * rounds
    assert len(server.pids_that_served("/checkout")) == 2


async def test_fifty_deliveries_through_two_workers_all_count(
    serve: Any, fresh_connections: httpx.AsyncClient
) -> None:
    server: Server = serve(AUTH_RATE_LIMIT="0")
    http = fresh_connections
    admin = await log_in(http, server, *ADMIN)
    product = (
        await http.post(
            f"{server.url}/admin/products",
            json={"title": "Prince Caspian", "series": "NARNIA", "author": "C. S. Lewis", "price_cents": 799},
            headers=admin,
        )
    ).json()
    path = f"/admin/products/{product['id']}/stock"
    rounds = 0

    while len(server.pids_that_served(path)) < 2 and rounds < ROUNDS:  # as above: both workers
        rounds += 1
        answers = await asyncio.gather(
            *(http.patch(f"{server.url}{path}", json={"delta": 1}, headers=admin) for _ in range(50))
        )

        assert {a.status_code for a in answers} == {200}
        assert max(a.json()["stock"] for a in answers) == 50 * rounds

    assert len(server.pids_that_served(path)) == 2


async def _buyer(http: httpx.AsyncClient, server: Server, n: str, product_id: int) -> dict[str, str]:
    email, password = f"buyer{n}@example.com", "correct horse battery"
    signed_up = await http.post(f"{server.url}/auth/signup", json={"email": email, "password": password})
    assert signed_up.status_code == 201, signed_up.text
    headers = await log_in(http, server, email, password)
    added = await http.post(f"{server.url}/cart/add", json={"product_id": product_id}, headers=headers)
    assert added.status_code == 200, added.text
    shipped = await http.put(f"{server.url}/cart/shipping-address", json=HOME, headers=headers)
    assert shipped.status_code == 200, shipped.text
    return headers
