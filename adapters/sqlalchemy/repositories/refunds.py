"""Refunds: written here, loaded with their order (adapters.sqlalchemy.rows.load_refunds)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.rows import restocked_to_json
from adapters.sqlalchemy.tables import refunds
from domain.refunds import Refund


class SqlRefundRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, refund: Refund) -> Refund:
        refund_id = (
            await self._conn.execute(
                refunds.insert()
                .values(
                    order_id=refund.order_id,
                    amount_cents=refund.amount_cents,
                    reason=refund.reason,
                    status=refund.status.value,
                    restocked=restocked_to_json(refund.restocked),
                    idempotency_key=refund.idempotency_key,
                    requested_by=refund.requested_by,
                    provider_refund_id=refund.provider_refund_id,
                    created_at=refund.created_at,
                    updated_at=refund.updated_at or refund.created_at,
                )
                .returning(refunds.c.id)
            )
        ).scalar_one()
        return replace(refund, id=refund_id)

    async def update(self, refund: Refund) -> None:
        await self._conn.execute(
            update(refunds)
            .where(refunds.c.id == refund.id)
            .values(
                status=refund.status.value,
                provider_refund_id=refund.provider_refund_id,
                updated_at=refund.updated_at,
            )
        )
