"""Rolling-window attempt counting in this process's memory."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from application.ports import WindowDecision


class MemoryAttemptCounter:
    """Per-process counts: right for one worker; several workers each count on their own. Also
    the fallback of every process while the shared counter (Redis) is out of reach.

    Each key keeps the times of its allowed attempts in the last window (at most `limit` of them),
    on a monotonic clock, so a change of the wall clock moves no window. A key whose attempts have
    all left their window is forgotten, so idle clients cost nothing."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, *, sweep_every: int = 1024) -> None:
        self._allowed: dict[str, tuple[float, deque[float]]] = {}
        self._monotonic = monotonic
        self._sweep_every = sweep_every
        self._hits = 0

    async def hit(self, key: str, limit: int, window_seconds: int) -> WindowDecision:
        if limit < 1:
            raise ValueError("a limit allows at least one attempt")
        now = self._monotonic()
        self._sweep(now)
        _, times = self._allowed.get(key, (0.0, deque()))
        while times and times[0] <= now - window_seconds:
            times.popleft()
        if len(times) >= limit:
            return WindowDecision(
                allowed=False, retry_after_seconds=_whole_seconds(times[0] + window_seconds - now)
            )
        times.append(now)
        self._allowed[key] = (now + window_seconds, times)
        return WindowDecision(allowed=True)

    def _sweep(self, now: float) -> None:
        """Every `sweep_every` hits, forget the keys whose last attempt has left its window."""
        self._hits += 1
        if self._hits % self._sweep_every:
            return
        for key in [key for key, (quiet_from, _) in self._allowed.items() if quiet_from <= now]:
            del self._allowed[key]


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))
