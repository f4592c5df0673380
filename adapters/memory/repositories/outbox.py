"""The outbox in memory: the unit of work holds the store's lock, so each claim is atomic."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.memory.store import Tables
from application.outbox import MessageStatus, OutboxMessage, StoredMessage


class MemoryOutbox:
    def __init__(self, tables: Tables) -> None:
        self._messages = tables.outbox
        self.recorded: list[str] = []

    async def add(self, message: OutboxMessage, now: datetime) -> StoredMessage | None:
        stored = StoredMessage.record(message, now)
        if any(m.key == stored.key for m in self._messages.values()):
            return None
        self._messages[stored.id] = stored
        self.recorded.append(stored.id)
        return stored

    async def get(self, message_id: str) -> StoredMessage | None:
        return self._messages.get(message_id)

    async def find(self, key: str) -> StoredMessage | None:
        return next((m for m in self._messages.values() if m.key == key), None)

    async def due(self, now: datetime, limit: int) -> list[str]:
        due = [m for m in self._messages.values() if self._takeable(m, now, now)]
        due.sort(key=lambda m: (m.next_attempt_at, m.id))
        return [m.id for m in due[:limit]]

    async def claim(
        self, message_id: str, *, now: datetime, due_by: datetime, lease_until: datetime
    ) -> StoredMessage | None:
        message = self._messages.get(message_id)
        if message is None or not self._takeable(message, now, due_by):
            return None
        claimed = replace(message, attempts=message.attempts + 1, claimed_until=lease_until)
        self._messages[message_id] = claimed
        return claimed

    async def mark_sent(self, message_id: str, attempt: int, now: datetime) -> bool:
        return self._release(message_id, attempt, status=MessageStatus.SENT, sent_at=now, context={})

    async def mark_failed(self, message_id: str, attempt: int, error: str, retry_at: datetime | None) -> bool:
        if retry_at is None:
            return self._release(message_id, attempt, status=MessageStatus.DEAD, last_error=error, context={})
        return self._release(message_id, attempt, next_attempt_at=retry_at, last_error=error)

    def _release(self, message_id: str, attempt: int, **changes: object) -> bool:
        message = self._messages.get(message_id)
        if message is None or message.status is not MessageStatus.PENDING or message.attempts != attempt:
            return False
        self._messages[message_id] = replace(message, claimed_until=None, **changes)  # type: ignore[arg-type]
        return True

    @staticmethod
    def _takeable(message: StoredMessage, now: datetime, due_by: datetime) -> bool:
        return (
            message.status is MessageStatus.PENDING
            and message.next_attempt_at <= due_by
            and (message.claimed_until is None or message.claimed_until <= now)
        )
