"""The records of checkouts sent with an Idempotency-Key: each key claimed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.on_conflict import insert
from adapters.sqlalchemy.tables import idempotency_keys
from application.idempotency import CheckoutOutcomeKind, IdempotencyRecord, IdempotencyState


class SqlIdempotencyKeyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(self, user_id: int, key: str, now: datetime) -> IdempotencyRecord | None:
        claimed = (
            await self._conn.execute(
                insert(self._conn, idempotency_keys)
                .values(user_id=user_id, key=key, state=IdempotencyState.IN_PROGRESS.value, created_at=now)
                .on_conflict_do_nothing(index_elements=[idempotency_keys.c.user_id, idempotency_keys.c.key])
                .returning(idempotency_keys.c.id)
            )
        ).first()
        if claimed is not None:
            return None
        row = (await self._conn.execute(select(idempotency_keys).where(*self._of(user_id, key)))).one()
        return IdempotencyRecord(
            user_id=row.user_id,
            key=row.key,
            state=IdempotencyState(row.state),
            created_at=row.created_at,
            order_id=row.order_id,
            outcome=CheckoutOutcomeKind(row.outcome) if row.outcome else None,
            client_secret=row.client_secret,
        )

    async def take_over(self, user_id: int, key: str, stale_before: datetime, now: datetime) -> bool:
        result = await self._conn.execute(
            update(idempotency_keys)
            .where(
                *self._of(user_id, key),
                idempotency_keys.c.state == IdempotencyState.IN_PROGRESS.value,
                idempotency_keys.c.order_id.is_(None),
                idempotency_keys.c.created_at < stale_before,
            )
            .values(created_at=now)
        )
        return result.rowcount == 1

    async def attach_order(self, user_id: int, key: str, order_id: int) -> None:
        await self._conn.execute(
            update(idempotency_keys).where(*self._of(user_id, key)).values(order_id=order_id)
        )

    async def complete(
        self, user_id: int, key: str, outcome: CheckoutOutcomeKind, client_secret: str | None
    ) -> None:
        await self._conn.execute(
            update(idempotency_keys)
            .where(*self._of(user_id, key))
            .values(
                state=IdempotencyState.COMPLETED.value, outcome=outcome.value, client_secret=client_secret
            )
        )

    async def release(self, user_id: int, key: str) -> None:
        await self._conn.execute(delete(idempotency_keys).where(*self._of(user_id, key)))

    @staticmethod
    def _of(user_id: int, key: str) -> tuple[Any, Any]:
        return idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key
