from __future__ import annotations

import math
import time
from collections.abc import Callable

from application.ports import WindowCount


class MemoryAttemptCounter:
    """Per-process counts: right for one worker; several workers each count on their own."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._monotonic = monotonic

    async def hit(self, key: str, window_seconds: int) -> WindowCount:
        now = self._monotonic()
        self._forget_closed_windows(now)
        closes_at, attempts = self._windows.get(key, (now + window_seconds, 0))
        attempts += 1
        self._windows[key] = (closes_at, attempts)
        return WindowCount(attempts=attempts, resets_in_seconds=max(1, math.ceil(closes_at - now)))

    def _forget_closed_windows(self, now: float) -> None:
        closed = [key for key, (closes_at, _) in self._windows.items() if closes_at <= now]
        for key in closed:
            del self._windows[key]
