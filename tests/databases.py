"""Fresh, migrated databases for tests: SQLite files and the PostgreSQL at TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.tables import metadata
from entrypoints.settings import normalize_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = (
    normalize_database_url(os.environ["TEST_DATABASE_URL"]) if os.environ.get("TEST_DATABASE_URL") else None
)


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logging"] = False
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Run Alembic in a thread of its own: env.py drives its own event loop."""

    def run() -> None:
        command.upgrade(alembic_config(url), revision)

    if _loop_running():
        with ThreadPoolExecutor(1) as pool:
            pool.submit(run).result()
    else:
        run()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def copy_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return sqlite_url(target)


async def reset_postgres(url: str) -> None:
    """Empty every table and restart the ids, so each test starts from a clean shop."""
    names = ", ".join(table.name for table in metadata.sorted_tables)
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


async def recreate_postgres_schema(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
