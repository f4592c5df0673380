"""Login and signup when the password-hashing queue is full: 503 with Retry-After, at once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.security.argon2_hasher import Argon2PasswordHasher, HashingQueue
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.http.conftest import PASSWORD, assert_problem

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
async def full_queue(database_url: str) -> AsyncIterator[tuple[AsyncTestClient[Litestar], threading.Event]]:
    """A shop whose hashing queue (one thread, one place) is taken by two long jobs until the gate
    opens: what a login storm leaves behind."""
    queue = HashingQueue(threads=1, waiting=1)
    container = build_container(make_settings(database_url))
    container.password_hasher.override(
        providers.Object(Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, queue=queue))
    )
    gate = threading.Event()
    async with AsyncTestClient(app=create_app(container)) as client:
        storm = [asyncio.ensure_future(queue.run(gate.wait)) for _ in range(2)]
        await asyncio.sleep(0.05)
        try:
            yield client, gate
        finally:
            gate.set()
            await asyncio.gather(*storm)
    queue.close()


@pytest.mark.parametrize("path", ["/auth/login", "/auth/signup"])
async def test_a_full_hashing_queue_answers_503_with_retry_after_at_once(
    full_queue: tuple[AsyncTestClient[Litestar], threading.Event], path: str
) -> None:
    client, _ = full_queue

    started = time.perf_counter()
    response = await client.post(path, json={"email": "ann@example.com", "password": PASSWORD})
    elapsed = time.perf_counter() - started

    assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["retry-after"]) >= 1
    assert elapsed < 0.5


async def test_once_the_queue_drains_signup_and_login_work_again(
    full_queue: tuple[AsyncTestClient[Litestar], threading.Event],
) -> None:
    client, gate = full_queue
    gate.set()
    await asyncio.sleep(0.05)

    signed_up = await client.post("/auth/signup", json={"email": "ann@example.com", "password": PASSWORD})
    logged_in = await client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD})

    assert (signed_up.status_code, logged_in.status_code) == (201, 200)
