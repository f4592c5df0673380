"""The shop as operators run it: `bookshop serve --workers 2` on PostgreSQL (and Redis), hit from
many connections at once. Both workers must serve, and share what must be shared."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from tests.entrypoints.servers import bookshop_ok, serving

REDIS_URL = os.environ.get("TEST_REDIS_URL")
ADMIN = ("staff@example.com", "staff password")
ROUNDS = 5
pytestmark = pytest.mark.backends("postgres")


@dataclass(frozen=True)
class Server:
    url: str
    log: Path

    def pids_that_served(self, path: str) -> set[int]:
        pids = set()
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "bookshop.access" and entry.get("path") == path:
                    pids.add(int(entry["pid"]))
        return pids


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "production",
        "PAYMENT_PROVIDER": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": "workers-test-secret-0123456789abcdefghijklmnop",
        **extra,
    }


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Iterator[Any]:
    with ExitStack() as servers:
        numbers = itertools.count()

        def start(**settings: str) -> Server:
            env = _env(database_url, **settings)
            bookshop_ok(env, "create-admin", ADMIN[0], "--password", ADMIN[1])
            running = servers.enter_context(serving(env, tmp_path / f"server-{next(numbers)}.log", workers=2))
            server = Server(url=running.url, log=running.log)
            _until_both_workers_answer(server)
            return server

        yield start


def _until_both_workers_answer(server: Server) -> None:
    """`wait-ready` returns when one worker answers; the other may still be starting, and until it
    accepts, every connection lands on the first (a test of two workers would then test one)."""
    deadline = time.monotonic() + 60
    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=10) as client:
        while len(server.pids_that_served("/health")) < 2:
            assert time.monotonic() < deadline, "the second worker never answered /health"
            client.get(f"{server.url}/health").raise_for_status()
            time.sleep(0.05)


@pytest.fixture
async def fresh_connections() -> AsyncIterator[httpx.AsyncClient]:
    """No keep-alive: every request opens its own connection, so the kernel spreads them over the
    workers, as a load balancer would."""
    limits = httpx.Limits(max_keepalive_connections=0, max_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        yield client


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
    admin = await _log_in(http, server, *ADMIN)
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
    admin = await _log_in(http, server, *ADMIN)
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


async def _log_in(http: httpx.AsyncClient, server: Server, email: str, password: str) -> dict[str, str]:
    response = await http.post(f"{server.url}/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _buyer(http: httpx.AsyncClient, server: Server, n: str, product_id: int) -> dict[str, str]:
    email, password = f"buyer{n}@example.com", "correct horse battery"
    signed_up = await http.post(f"{server.url}/auth/signup", json={"email": email, "password": password})
    assert signed_up.status_code == 201, signed_up.text
    headers = await _log_in(http, server, email, password)
    added = await http.post(f"{server.url}/cart/add", json={"product_id": product_id}, headers=headers)
    assert added.status_code == 200, added.text
    return headers
