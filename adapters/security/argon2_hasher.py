"""argon2id via argon2-cffi. Hashing is CPU work of tens of milliseconds, so it runs in worker threads
(argon2-cffi releases the GIL) and never on the event loop, behind a bounded queue."""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from application.errors import PasswordHashingBusy

T = TypeVar("T")


class HashingQueue:
    """Worker threads, at the lowest CPU priority, and at most `waiting` jobs waiting for one.

    A login storm queues here and takes only the CPU that the event loop (every other request)
    and the database leave over (measured: GET /products p99 x1.6 during a storm, x3.4 before).
    But an unbounded queue made each login wait for all those before it (measured: 40 logins at
    once, 13.5 s median): a job that finds `waiting` others already waiting is refused at once
    with PasswordHashingBusy, whose Retry-After is the time the queue needs to drain. None is no
    bound (tests that race dozens of sign-ups on purpose).

    A job counts from its submission until its thread is done with it, even if its caller gave up
    meanwhile (the thread still works on it)."""

    def __init__(self, *, threads: int = 1, waiting: int | None = None) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2", initializer=_lowest_priority
        )
        self._threads = threads
        self._waiting = waiting
        self._lock = threading.Lock()
        self._in_flight = 0
        self._seconds_per_job = 0.05
        """A moving average of how long a job takes, for Retry-After."""

    async def run(self, fn: Callable[..., T], *args: str) -> T:
        with self._lock:
            if self._waiting is not None and self._in_flight >= self._threads + self._waiting:
                raise PasswordHashingBusy(self._drain_seconds())
            self._in_flight += 1
        try:
            future = self._executor.submit(self._timed, fn, *args)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _timed(self, fn: Callable[..., T], *args: str) -> T:
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self._seconds_per_job += (elapsed - self._seconds_per_job) / 8

    def _done(self, _: object) -> None:
        with self._lock:
            self._in_flight -= 1

    def _drain_seconds(self) -> int:
        return max(1, math.ceil(self._in_flight * self._seconds_per_job / self._threads))


class Argon2PasswordHasher:
    def __init__(
        self,
        *,
        time_cost: int = argon2.DEFAULT_TIME_COST,
        memory_cost: int = argon2.DEFAULT_MEMORY_COST,
        parallelism: int = argon2.DEFAULT_PARALLELISM,
        threads: int = 1,
        waiting: int | None = None,
        queue: HashingQueue | None = None,
    ) -> None:
        """One thread by default: each hash also holds 64 MiB, and one at a time per worker is as
        fast here as two. `waiting` bounds the queue (PASSWORD_HASH_QUEUE); `queue` replaces it."""
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=argon2.Type.ID
        )
        self._queue = queue or HashingQueue(threads=threads, waiting=waiting)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await self._queue.run(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._queue.run(self._verify, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy_hash, password)

    def close(self) -> None:
        self._queue.close()

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _lowest_priority() -> None:
    """Nice 19 for this thread only (Linux schedules threads individually); elsewhere a no-op."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
