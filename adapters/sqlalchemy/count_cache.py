"""Totals of product pages, remembered briefly when they are expensive to count."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class CountCache:
    """Counting the 95,000 products of a large catalogue takes about 10 ms on PostgreSQL, twenty
    times the page itself, on every request for a first page. A total whose count took longer
    than `slow_after_seconds` is reused for `ttl_seconds` for the same filters, so on a large
    catalogue a total can be up to that old while the items are always fresh. Counts that are
    cheap (small catalogues, narrow filters) are never cached and stay exact. ttl 0 turns it off."""

    def __init__(
        self,
        ttl_seconds: float,
        *,
        slow_after_seconds: float = 0.002,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._slow_after = slow_after_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._totals: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def get(self, key: Hashable) -> int | None:
        entry = self._totals.get(key)
        if entry is None:
            return None
        expires, total = entry
        if expires <= self._clock():
            del self._totals[key]
            return None
        return total

    def put(self, key: Hashable, total: int, cost_seconds: float) -> None:
        if not self.enabled or cost_seconds < self._slow_after:
            return
        self._totals[key] = (self._clock() + self._ttl, total)
        self._totals.move_to_end(key)
        while len(self._totals) > self._max_entries:
            self._totals.popitem(last=False)
