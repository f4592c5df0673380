"""The running shop (`bookshop serve`) while its PostgreSQL hangs, stops and starts again.

The database is a cluster of the test's own (tests.outages.PostgresCluster): frozen with SIGSTOP,
stopped and started with pg_ctl. The shop runs with DB_TIMEOUT_SECONDS=1, so every request must
answer within about a second (503 while the database is not there) and 200 again as soon as it is
back, with no restart of the shop."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from entrypoints.container import build_container, close_container
from tests.conftest import make_settings
from tests.databases import migrate
from tests.entrypoints.servers import serving
from tests.outages import PostgresCluster

TIME_LIMIT = 1.0
SLACK = 0.8
"""What a request may take beyond the time limit: the request's own work and a busy machine."""
ADMIN = ("staff@example.com", "staff password")
pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Shop:
    url: str
    cluster: PostgresCluster
    log: Path


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    log = tmp_path_factory.mktemp("outages") / "server.log"
    with PostgresCluster() as cluster:
        migrate(cluster.url())
        asyncio.run(_stock_the_shop(cluster.url()))
        env = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": cluster.url(),
            "JWT_SECRET": "outages-test-secret-0123456789abcdefghijklmnop",
            "DB_TIMEOUT_SECONDS": str(TIME_LIMIT),
            "AUTH_RATE_LIMIT": "0",
        }
        env.pop("REDIS_URL", None)
        with serving(env, log) as running:
            yield Shop(url=running.url, cluster=cluster, log=log)


async def _stock_the_shop(database_url: str) -> None:
    """The demo catalogue and an admin, as `bookshop seed-demo` and `create-admin` would."""
    container = build_container(make_settings(database_url))
    container.init_resources()
    try:
        await container.load_demo_catalogue()()
        await container.create_admin()(*ADMIN)
    finally:
        await close_container(container)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@dataclass(frozen=True)
class Answer:
    route: str
    status: int
    seconds: float
    started: float


class Customer:
    """Calls the routes the red team found hanging: the cart, login, search, the catalogue. Each
    catalogue visit asks for a page of its own (another offset), which no cache holds yet."""

    def __init__(self, http: httpx.AsyncClient, shop: Shop, token: str) -> None:
        self._http = http
        self._shop = shop
        self._auth = {"Authorization": f"Bearer {token}"}

    async def visit(self, route: str) -> Answer:
        started = time.perf_counter()
        url = self._shop.url
        if route == "login":
            response = await self._http.post(
                f"{url}/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}
            )
        elif route == "cart":
            response = await self._http.get(f"{url}/cart", headers=self._auth)
        elif route in ("/products", "/products/search"):
            params: dict[str, str | int] = {"offset": next(PAGES)}
            if route.endswith("search"):
                params["q"] = "narnia"
            response = await self._http.get(f"{url}{route}", params=params)
        else:
            response = await self._http.get(f"{url}{route}")
        return Answer(route, response.status_code, time.perf_counter() - started, started)


PAGES = itertools.count()
"""Offsets never asked for before, across the tests of this module (they share one shop)."""
ROUTES = ["cart", "login", "/products/search", "/products", "/health"]


async def _customer(http: httpx.AsyncClient, shop: Shop) -> Customer:
    response = await http.post(f"{shop.url}/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 200, response.text
    return Customer(http, shop, response.json()["access_token"])


async def test_a_frozen_database_is_503_within_the_time_limit_and_200_again_once_it_thaws(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    customer = await _customer(http, shop)
    before = [await customer.visit(route) for route in [*ROUTES, "/products/1"]]

    shop.cluster.freeze()
    try:
        frozen = [await customer.visit(route) for route in [*ROUTES, *ROUTES]]
        cached = await customer.visit("/products/1")  # loaded just before: the page cache has it
    finally:
        shop.cluster.resume()
    thawed = [await customer.visit(route) for route in [*ROUTES, "/products/1"]]

    assert {a.status for a in before} == {200}, before
    assert {a.status for a in frozen} == {503}, frozen
    assert max(a.seconds for a in frozen) < TIME_LIMIT + SLACK, frozen
    # Kept, but not served: without the catalogue version nothing proves the page is current.
    assert cached.status == 503, cached
    assert cached.seconds < TIME_LIMIT + SLACK, cached
    assert {a.status for a in thawed} == {200}, thawed


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_while_the_database_stops_and_starts_again_requests_are_503_never_500_then_200(
    shop: Shop, http: httpx.AsyncClient, mode: str
) -> None:
    """Fast: PostgreSQL ends every session and shuts down. Immediate: it dies, and the start that
    follows recovers from a crash, refusing connections (57P03) until it is done."""
    customer = await _customer(http, shop)
    answers: list[Answer] = []
    running = True

    async def keep_visiting(route: str) -> None:
        while running:
            answers.append(await customer.visit(route))

    visitors = [asyncio.ensure_future(keep_visiting(route)) for route in ROUTES]
    try:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(shop.cluster.stop, mode)
        stopped_at = time.perf_counter()
        await asyncio.sleep(1.0)
        starting_at = time.perf_counter()
        await asyncio.to_thread(shop.cluster.start)
        back_at = time.perf_counter()
        await asyncio.sleep(1.5)
    finally:
        running = False
        await asyncio.gather(*visitors)

    while_down = [a for a in answers if stopped_at <= a.started and a.started + a.seconds <= starting_at]
    once_back = [a for a in answers if a.started >= back_at]
    assert {a.status for a in answers} <= {200, 503}, (
        sorted({a.status for a in answers}),
        shop.log.read_text(),
    )
    assert while_down, "no request was made while the database was down"
    assert {a.status for a in while_down} == {503}, [a for a in while_down if a.status != 503]
    assert max(a.seconds for a in answers) < TIME_LIMIT + SLACK, max(answers, key=lambda a: a.seconds)
    assert once_back, "no request was made after the database came back"
    assert {a.status for a in once_back} == {200}, [a for a in once_back if a.status != 200]


async def test_after_a_restart_nobody_saw_the_first_requests_are_200(
    shop: Shop, http: httpx.AsyncClient
) -> None:
    """The pool still holds connections the old server closed: none of them may fail a request."""
    customer = await _customer(http, shop)
    warm = await asyncio.gather(*(customer.visit(route) for route in [*ROUTES, *ROUTES]))

    await asyncio.to_thread(shop.cluster.stop, "fast")
    await asyncio.to_thread(shop.cluster.start)
    first = await asyncio.gather(*(customer.visit(route) for route in [*ROUTES, *ROUTES]))

    assert {a.status for a in warm} == {200}, warm
    assert {a.status for a in first} == {200}, first
