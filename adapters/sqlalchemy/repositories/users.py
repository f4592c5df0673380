"""Users: one account per email, also under concurrent sign-ups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.driver import USER_BY_ID
from adapters.sqlalchemy.in_transaction import DriverInTransaction
from adapters.sqlalchemy.on_conflict import insert
from adapters.sqlalchemy.rows import user_from_columns, user_from_row
from adapters.sqlalchemy.tables import users
from application.errors import EmailTaken
from domain.identity import User

_LOCKED_USER = USER_BY_ID + " FOR UPDATE"


class SqlUserRepository:
    def __init__(self, conn: AsyncConnection, lean: DriverInTransaction | None = None) -> None:
        self._conn = conn
        self._lean = lean

    async def add(self, user: User) -> User:
        statement = (
            insert(self._conn, users)
            .values(
                email=user.email,
                password_hash=user.password_hash,
                role=user.role.value,
                is_active=user.is_active,
                session_version=user.session_version,
                created_at=user.created_at,
                email_verified=user.email_verified,
            )
            .on_conflict_do_nothing(index_elements=[users.c.email])
            .returning(users.c.id)
        )
        user_id = (await self._conn.execute(statement)).scalar_one_or_none()
        if user_id is None:
            raise EmailTaken()
        user.id = user_id
        return user

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        if self._lean is not None:
            record = await self._lean.fetchrow(_LOCKED_USER if for_update else USER_BY_ID, user_id)
            return user_from_columns(record) if record else None
        return await self._one(select(users).where(users.c.id == user_id), for_update)

    async def get_by_email(self, email: str, *, for_update: bool = False) -> User | None:
        return await self._one(select(users).where(users.c.email == email), for_update)

    async def _one(self, query: Select[Any], for_update: bool) -> User | None:
        # On SQLite FOR UPDATE is dropped: there every writing transaction holds the database's
        # write lock from its start (BEGIN IMMEDIATE), which serializes them all the more.
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return user_from_row(row) if row else None

    async def update(self, user: User) -> None:
        await self._conn.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(
                role=user.role.value,
                is_active=user.is_active,
                password_hash=user.password_hash,
                session_version=user.session_version,
                email_verified=user.email_verified,
            )
        )
