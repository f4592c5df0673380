"""The records of checkouts sent with an Idempotency-Key: each key claimed once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.memory.store import Tables
from application.idempotency import CheckoutOutcomeKind, IdempotencyRecord, IdempotencyState


class MemoryIdempotencyKeyRepository:
    def __init__(self, tables: Tables) -> None:
        self._records = tables.idempotency_keys

    async def claim(self, user_id: int, key: str, now: datetime) -> IdempotencyRecord | None:
        earlier = self._records.get((user_id, key))
        if earlier is not None:
            return replace(earlier)
        self._records[(user_id, key)] = IdempotencyRecord(
            user_id=user_id, key=key, state=IdempotencyState.IN_PROGRESS, created_at=now
        )
        return None

    async def take_over(self, user_id: int, key: str, stale_before: datetime, now: datetime) -> bool:
        record = self._records.get((user_id, key))
        if (
            record is None
            or record.state is not IdempotencyState.IN_PROGRESS
            or record.order_id is not None
            or record.created_at >= stale_before
        ):
            return False
        self._records[(user_id, key)] = replace(record, created_at=now)
        return True

    async def attach_order(self, user_id: int, key: str, order_id: int) -> None:
        self._records[(user_id, key)] = replace(self._records[(user_id, key)], order_id=order_id)

    async def complete(
        self, user_id: int, key: str, outcome: CheckoutOutcomeKind, client_secret: str | None
    ) -> None:
        self._records[(user_id, key)] = replace(
            self._records[(user_id, key)],
            state=IdempotencyState.COMPLETED,
            outcome=outcome,
            client_secret=client_secret,
        )

    async def release(self, user_id: int, key: str) -> None:
        self._records.pop((user_id, key), None)
