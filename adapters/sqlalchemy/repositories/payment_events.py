"""The payment provider's events already handled: each recorded once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.on_conflict import insert
from adapters.sqlalchemy.tables import payment_events


class SqlPaymentEventLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, event_id: str, now: datetime) -> bool:
        inserted = await self._conn.execute(
            insert(self._conn, payment_events)
            .values(event_id=event_id, received_at=now)
            .on_conflict_do_nothing(index_elements=[payment_events.c.event_id])
            .returning(payment_events.c.event_id)
        )
        return inserted.first() is not None
