"""The payment provider's events already handled: each recorded once."""

from __future__ import annotations

from datetime import datetime

from adapters.memory.store import Tables


class MemoryPaymentEventLog:
    def __init__(self, tables: Tables) -> None:
        self._events = tables.payment_events

    async def record(self, event_id: str, now: datetime) -> bool:
        if event_id in self._events:
            return False
        self._events[event_id] = now
        return True
