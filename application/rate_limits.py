"""Slowing down password guessing, sign-up floods and password-reset spam."""

from __future__ import annotations

import logging

from application.errors import CounterUnavailable, TooManyAttempts
from application.ports import AttemptCounter

WINDOW_SECONDS = 60
logger = logging.getLogger("bookshop.rate_limits")


class LimitAuthAttempts:
    """A client (an IP address) gets `per_minute` attempts per rolling minute: at no moment have
    more than `per_minute` of its attempts been let through in the 60 seconds before. Past that,
    it is refused and told when its oldest attempt leaves the window. 0 turns the limit off.

    Nothing here is specific to one route: every route that takes this limit (login, signup, and
    the password-reset routes) draws on the client's one allowance under `scope`; another scope
    is another allowance.

    The limit never fails open. When the shared counter (Redis) cannot answer, or not promptly,
    the attempt is counted by `fallback`, this process's own memory: each process then enforces
    the limit on its own, which is weaker across workers but never absent. The port makes the
    shared counter give up within a fraction of a second, so a hung Redis adds no seconds to a
    login."""

    def __init__(
        self, counter: AttemptCounter, fallback: AttemptCounter, per_minute: int, *, scope: str = "auth"
    ) -> None:
        self._counter = counter
        self._fallback = fallback
        self._per_minute = per_minute
        self._scope = scope

    async def __call__(self, client: str) -> None:
        if self._per_minute == 0:
            return
        key = f"{self._scope}:{client}"
        try:
            decision = await self._counter.hit(key, self._per_minute, WINDOW_SECONDS)
        except CounterUnavailable:
            decision = await self._fallback.hit(key, self._per_minute, WINDOW_SECONDS)
        if not decision.allowed:
            raise TooManyAttempts(decision.retry_after_seconds)
