"""Statements that cannot run in a transaction (CREATE DATABASE, VACUUM), for the bench scripts."""

from __future__ import annotations

from adapters.sqlalchemy.engine import create_engine


async def run_outside_transaction(url: str, sql: str) -> None:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql(sql)
    await engine.dispose()
