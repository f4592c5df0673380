"""Alembic environment: runs migrations over the app's own async engine (so SQLite gets the same
pragmas and locking as at run time). The URL is set by `bookshop db upgrade`, or read from the
environment like the app reads it."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from sqlalchemy.engine import Connection

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.tables import exists_on, metadata
from alembic import context
from entrypoints.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _enforce_foreign_keys(connection, on=False)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=sqlite,
        compare_type=True,
        include_object=exists_on(connection.dialect.name),
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _refuse_broken_references(connection)
    finally:
        if sqlite:
            _enforce_foreign_keys(connection, on=True)


def _enforce_foreign_keys(connection: Connection, *, on: bool) -> None:
    """SQLite alters a table in batch mode by copying it and dropping the old one, which its foreign
    keys refuse (or cascade) once other tables point at rows: Alembic's documented way is to
    migrate with them off. The pragma is ignored inside a transaction (and the engine opens every
    one with BEGIN), so it goes to the driver's connection between transactions."""
    if connection.in_transaction():
        connection.commit()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _refuse_broken_references(connection: Connection) -> None:
    """With the foreign keys off, a migration must not have left a row pointing nowhere."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows whose references are broken: {broken[:5]}")


async def _run_online() -> None:
    engine = create_engine(_url(), pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    existing = config.attributes.get("connection")
    if existing is not None:
        _run(existing)
    else:
        asyncio.run(_run_online())
