"""Calls to Redis on a request's path: bounded in time, and skipped while Redis is known to be out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

T = TypeVar("T")
logger = logging.getLogger("bookshop.redis")


class RedisUnavailable(Exception):
    """Redis did not answer in time, failed, or is being left alone after a recent failure."""


class RedisGuard:
    """Each call gets `time_limit` seconds. After a call fails, Redis is not called at all for
    `cooldown` seconds (a circuit breaker): every call meanwhile fails at once. Then one call at
    a time tries it again; the first success closes the breaker. So a hung Redis costs one request
    `time_limit` per `cooldown`, and the others nothing."""

    def __init__(
        self, *, time_limit: float, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._time_limit = time_limit
        self._cooldown = cooldown
        self._clock = clock
        self._open_until: float | None = None
        self._trying = False

    @property
    def is_open(self) -> bool:
        """True while Redis is left alone after a failure (or being tried again)."""
        return self._open_until is not None

    async def call(self, command: Callable[[], Awaitable[T]]) -> T:
        trial = self._admit()
        try:
            async with asyncio.timeout(self._time_limit):
                result = await command()
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            raise RedisUnavailable() from error
        except BaseException:
            if trial:
                self._trying = False  # cancelled mid-trial: let the next call try
            raise
        self._succeeded()
        return result

    def _admit(self) -> bool:
        """Whether this call is the trial after a cooldown; raises while the breaker is open."""
        if self._open_until is None:
            return False
        if self._trying or self._clock() < self._open_until:
            raise RedisUnavailable()
        self._trying = True
        return True

    def _failed(self, error: BaseException) -> None:
        if self._open_until is None:
            logger.warning(
                "Redis did not answer within %.2f s (%r); leaving it alone for %.0f s",
                self._time_limit,
                error,
                self._cooldown,
            )
        self._open_until = self._clock() + self._cooldown
        self._trying = False

    def _succeeded(self) -> None:
        if self._open_until is not None:
            logger.warning("Redis answers again")
        self._open_until = None
        self._trying = False
