"""Servers of two workers, started as operators start them, and clients that spread over them."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.entrypoints.servers import Server, bookshop_ok, serving, until_both_workers_answer

ADMIN = ("staff@example.com", "staff password")


def two_worker_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "production",
        "PAYMENT_PROVIDER": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": "workers-test-secret-0123456789abcdefghijklmnop",
        # No mail server here: the messages these servers record stay in the outbox.
        "RUN_JOBS_IN_PROCESS": "false",
        **extra,
    }


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """`serve(**settings)`: `bookshop serve --workers 2` over the test's database, with an admin
    (ADMIN), once both workers answer."""
    with ExitStack() as servers:
        numbers = itertools.count()

        def start(**settings: str) -> Server:
            env = two_worker_env(database_url, **settings)
            bookshop_ok(env, "create-admin", ADMIN[0], "--password", ADMIN[1])
            running = servers.enter_context(serving(env, tmp_path / f"server-{next(numbers)}.log", workers=2))
            server = Server(url=running.url, log=running.log)
            until_both_workers_answer(server)
            return server

        yield start


@pytest.fixture
async def fresh_connections() -> AsyncIterator[httpx.AsyncClient]:
    """No keep-alive: every request opens its own connection, so the kernel spreads them over the
    workers, as a load balancer would."""
    limits = httpx.Limits(max_keepalive_connections=0, max_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        yield client


async def log_in(http: httpx.AsyncClient, server: Server, email: str, password: str) -> dict[str, str]:
    response = await http.post(f"{server.url}/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
