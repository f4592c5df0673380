"""Slowing down password guessing and sign-up floods."""

from __future__ import annotations

import logging

from application.errors import CounterUnavailable, TooManyAttempts
from application.ports import AttemptCounter

WINDOW_SECONDS = 60
logger = logging.getLogger("bookshop.rate_limits")


class LimitAuthAttempts:
    """A client (an IP address) gets `per_minute` attempts at logging in or signing up per
    one-minute window; past that, it is told when to come back. 0 turns the limit off.

    If the shared counter cannot be reached, attempts are let through and the outage is logged:
    a broken Redis must not lock every customer out of the shop."""

    def __init__(self, counter: AttemptCounter, per_minute: int) -> None:
        self._counter = counter
        self._per_minute = per_minute

    async def __call__(self, client: str) -> None:
        if self._per_minute == 0:
            return
        try:
            count = await self._counter.hit(f"auth:{client}", WINDOW_SECONDS)
        except CounterUnavailable:
            logger.exception("auth rate limit not enforced: the attempt counter is unavailable")
            return
        if count.attempts > self._per_minute:
            raise TooManyAttempts(count.resets_in_seconds)
