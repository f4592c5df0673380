"""The password hasher's bounded queue: when it is full, a hash is refused at once, not queued."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest

from adapters.security.argon2_hasher import Argon2PasswordHasher, HashingQueue
from application.errors import PasswordHashingBusy


@pytest.fixture
async def held() -> AsyncIterator[tuple[HashingQueue, threading.Event]]:
    """A queue of one thread and two places, the thread busy until the gate opens."""
    queue = HashingQueue(threads=1, waiting=2)
    gate = threading.Event()
    holder = asyncio.ensure_future(queue.run(gate.wait))
    yield queue, gate
    gate.set()
    await holder
    queue.close()


async def test_a_full_queue_refuses_at_once_and_says_when_to_come_back(
    held: tuple[HashingQueue, threading.Event],
) -> None:
    queue, gate = held
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, queue=queue)
    waiting = [asyncio.ensure_future(hasher.hash("correct horse")) for _ in range(2)]
    await asyncio.sleep(0.05)

    started = time.perf_counter()
    with pytest.raises(PasswordHashingBusy) as refused:
        await hasher.verify("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "guess")
    elapsed = time.perf_counter() - started
    gate.set()
    hashes = await asyncio.gather(*waiting)

    assert elapsed < 0.05
    assert refused.value.retry_after_seconds >= 1
    assert all(await asyncio.gather(*(hasher.verify(h, "correct horse") for h in hashes)))


async def test_a_place_frees_when_its_hash_is_done(held: tuple[HashingQueue, threading.Event]) -> None:
    queue, gate = held
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, queue=queue)
    first = asyncio.ensure_future(hasher.hash("one"))
    second = asyncio.ensure_future(hasher.hash("two"))
    await asyncio.sleep(0.05)
    with pytest.raises(PasswordHashingBusy):
        await hasher.hash("three")

    gate.set()
    await asyncio.gather(first, second)

    assert await hasher.hash("three")


async def test_a_caller_that_gives_up_frees_a_waiting_place_but_not_a_running_one() -> None:
    """The thread goes on with a job whose caller left; a job still waiting is simply dropped."""
    queue = HashingQueue(threads=1, waiting=1)
    gate = threading.Event()
    running = asyncio.ensure_future(queue.run(gate.wait))
    await asyncio.sleep(0.05)
    waiting = asyncio.ensure_future(queue.run(gate.wait))
    await asyncio.sleep(0.05)

    running.cancel()
    await asyncio.sleep(0.05)
    with pytest.raises(PasswordHashingBusy):
        await queue.run(gate.wait)
    waiting.cancel()
    await asyncio.sleep(0.05)
    accepted = asyncio.ensure_future(queue.run(gate.wait))
    await asyncio.sleep(0.05)
    gate.set()

    assert await accepted
    queue.close()


async def test_no_bound_queues_everything() -> None:
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

    hashes = await asyncio.gather(*(hasher.hash(f"password {n}") for n in range(40)))

    assert len(set(hashes)) == 40
    hasher.close()
