"""The outbox in the shop's database: claims are one conditional UPDATE, so of concurrent claims
of one message exactly one gets the row."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.on_conflict import insert
from adapters.sqlalchemy.tables import outbox_messages
from application.outbox import MessageStatus, OutboxMessage, StoredMessage


class SqlOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.recorded: list[str] = []
        """Ids of the messages added in this transaction (handed to the engine after commit)."""

    async def add(self, message: OutboxMessage, now: datetime) -> StoredMessage | None:
        stored = StoredMessage.record(message, now)
        inserted = await self._conn.execute(
            insert(self._conn, outbox_messages)
            .values(
                id=stored.id,
                key=stored.key,
                kind=stored.kind,
                recipient=stored.recipient,
                context=json.dumps(dict(stored.context)),
                status=stored.status.value,
                attempts=0,
                next_attempt_at=stored.next_attempt_at,
                created_at=stored.created_at,
            )
            .on_conflict_do_nothing(index_elements=[outbox_messages.c.key])
            .returning(outbox_messages.c.id)
        )
        if inserted.first() is None:
            return None
        self.recorded.append(stored.id)
        return stored

    async def get(self, message_id: str) -> StoredMessage | None:
        row = (
            await self._conn.execute(select(outbox_messages).where(outbox_messages.c.id == message_id))
        ).first()
        return None if row is None else _message(row)

    async def find(self, key: str) -> StoredMessage | None:
        row = (await self._conn.execute(select(outbox_messages).where(outbox_messages.c.key == key))).first()
        return None if row is None else _message(row)

    async def due(self, now: datetime, limit: int) -> list[str]:
        rows = await self._conn.execute(
            select(outbox_messages.c.id)
            .where(
                outbox_messages.c.status == MessageStatus.PENDING.value,
                outbox_messages.c.next_attempt_at <= now,
                or_(outbox_messages.c.claimed_until.is_(None), outbox_messages.c.claimed_until <= now),
            )
            .order_by(outbox_messages.c.next_attempt_at, outbox_messages.c.id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def claim(
        self, message_id: str, *, now: datetime, due_by: datetime, lease_until: datetime
    ) -> StoredMessage | None:
        row = (
            await self._conn.execute(
                update(outbox_messages)
                .where(
                    outbox_messages.c.id == message_id,
                    outbox_messages.c.status == MessageStatus.PENDING.value,
                    outbox_messages.c.next_attempt_at <= due_by,
                    or_(outbox_messages.c.claimed_until.is_(None), outbox_messages.c.claimed_until <= now),
                )
                .values(attempts=outbox_messages.c.attempts + 1, claimed_until=lease_until)
                .returning(*outbox_messages.c)
            )
        ).first()
        return None if row is None else _message(row)

    async def mark_sent(self, message_id: str, attempt: int, now: datetime) -> bool:
        return await self._release(
            message_id,
            attempt,
            status=MessageStatus.SENT.value,
            sent_at=now,
            claimed_until=None,
            context="{}",
        )

    async def mark_failed(self, message_id: str, attempt: int, error: str, retry_at: datetime | None) -> bool:
        if retry_at is None:
            return await self._release(
                message_id,
                attempt,
                status=MessageStatus.DEAD.value,
                last_error=error,
                claimed_until=None,
                context="{}",
            )
        return await self._release(
            message_id, attempt, next_attempt_at=retry_at, last_error=error, claimed_until=None
        )

    async def _release(self, message_id: str, attempt: int, **values: Any) -> bool:
        result = await self._conn.execute(
            update(outbox_messages)
            .where(
                outbox_messages.c.id == message_id,
                outbox_messages.c.status == MessageStatus.PENDING.value,
                outbox_messages.c.attempts == attempt,
            )
            .values(**values)
        )
        return result.rowcount == 1


def _message(row: Any) -> StoredMessage:
    return StoredMessage(
        id=row.id,
        key=row.key,
        kind=row.kind,
        recipient=row.recipient,
        context=json.loads(row.context),
        status=MessageStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        claimed_until=row.claimed_until,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )
