"""Password-reset and email-verification tokens: each used once, by one conditional UPDATE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.tables import account_tokens
from domain.account_tokens import AccountToken, TokenPurpose


class SqlAccountTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: AccountToken) -> None:
        token.id = (
            await self._conn.execute(
                account_tokens.insert()
                .values(
                    user_id=token.user_id,
                    purpose=token.purpose.value,
                    token_hash=token.token_hash,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                    session_version=token.session_version,
                    used_at=token.used_at,
                )
                .returning(account_tokens.c.id)
            )
        ).scalar_one()

    async def use(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> AccountToken | None:
        row = (
            await self._conn.execute(
                update(account_tokens)
                .where(
                    account_tokens.c.token_hash == token_hash,
                    account_tokens.c.purpose == purpose.value,
                    account_tokens.c.used_at.is_(None),
                    account_tokens.c.expires_at > now,
                )
                .values(used_at=now)
                .returning(*account_tokens.c)
            )
        ).first()
        if row is None:
            return None
        return AccountToken(
            id=row.id,
            user_id=row.user_id,
            purpose=TokenPurpose(row.purpose),
            token_hash=row.token_hash,
            created_at=row.created_at,
            expires_at=row.expires_at,
            session_version=row.session_version,
            used_at=row.used_at,
        )
