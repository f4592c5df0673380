from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import lost_the_database

PROBE_TIMEOUT_SECONDS = 2.0


class SqlDatabaseProbe:
    """`SELECT 1` on a pooled connection, within `timeout_seconds` all told (the engine's own
    limits bound each wait; this bounds their sum, so /health always answers quickly)."""

    def __init__(self, engine: AsyncEngine, timeout_seconds: float = PROBE_TIMEOUT_SECONDS) -> None:
        self._engine = engine
        self._timeout = timeout_seconds

    async def is_up(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                async with self._engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as error:
            if isinstance(error, SQLAlchemyError) or lost_the_database(error):
                return False
            raise
        return True
