"""Refresh tokens: each consumed once, by one conditional UPDATE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.rows import refresh_token_from_row
from adapters.sqlalchemy.tables import refresh_tokens
from domain.identity import RefreshToken


class SqlRefreshTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: RefreshToken) -> None:
        token.id = (
            await self._conn.execute(
                refresh_tokens.insert()
                .values(
                    user_id=token.user_id,
                    token_hash=token.token_hash,
                    issued_at=token.issued_at,
                    expires_at=token.expires_at,
                    revoked_at=token.revoked_at,
                )
                .returning(refresh_tokens.c.id)
            )
        ).scalar_one()

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = (
            await self._conn.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash))
        ).first()
        return refresh_token_from_row(row) if row else None

    async def consume(self, token_hash: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.token_hash == token_hash,
                refresh_tokens.c.revoked_at.is_(None),
                refresh_tokens.c.expires_at > now,
            )
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def revoke(self, token_hash: str, now: datetime) -> None:
        await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all_for_user(self, user_id: int, now: datetime) -> int:
        result = await self._conn.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.user_id == user_id,
                refresh_tokens.c.revoked_at.is_(None),
                refresh_tokens.c.expires_at > now,
            )
            .values(revoked_at=now)
        )
        return result.rowcount
