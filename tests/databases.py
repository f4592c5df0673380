"""Fresh, migrated databases for tests: SQLite files, the PostgreSQL at TEST_DATABASE_URL and the
Redis at TEST_REDIS_URL.

The suite wipes the PostgreSQL database it is given, so it refuses one whose name does not say
"test". Under pytest-xdist no two workers share anything: worker `gw0` works in `<name>_gw0`
(created if missing) and in Redis database N, worker `gw1` in `<name>_gw1` and N + 1, and so on,
where N is TEST_REDIS_URL's number. `isolate_worker` points the worker's own TEST_DATABASE_URL and
TEST_REDIS_URL there, so a test that reads them, and every server a test starts, lands there too.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from alembic import command
from alembic.config import Config
from sqlalchemy import delete, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.tables import metadata
from entrypoints.settings import normalize_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
"""`gw0`, `gw1` … in a pytest-xdist worker; None in a serial run."""
MAX_WORKERS = 8
"""`-n auto` starts at most this many workers: each takes a Redis database, and Redis has 16."""
REDIS_DATABASES = 16
BULK_ROWS = 1000
"""A table holding at least this many rows after a test is truncated rather than deleted from."""


def worker_postgres_url(url: str, worker: str | None) -> str:
    """`.../bookshop_test` → `.../bookshop_test_gw0` in worker gw0; unchanged in a serial run."""
    parsed = make_url(normalize_database_url(url))
    if worker is None or (parsed.database or "").endswith(f"_{worker}"):
        return parsed.render_as_string(hide_password=False)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def worker_redis_url(url: str, worker: str | None) -> str:
    """`redis://host/8` → database 8 + K in worker gwK; unchanged in a serial run."""
    if worker is None:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = base + int(worker.removeprefix("gw"))
    if number >= REDIS_DATABASES:
        raise ValueError(
            f"TEST_REDIS_URL selects Redis database {base}, so worker {worker} would use {number}, past "
            f"Redis's {REDIS_DATABASES}: pick a number that leaves one database per worker (8 leaves "
            f"{MAX_WORKERS}), or start fewer workers (-n)"
        )
    return urlunsplit(parts._replace(path=f"/{number}"))


POSTGRES_URL = (
    worker_postgres_url(os.environ["TEST_DATABASE_URL"], WORKER)
    if os.environ.get("TEST_DATABASE_URL")
    else None
)
REDIS_URL = (
    worker_redis_url(os.environ["TEST_REDIS_URL"], WORKER) if os.environ.get("TEST_REDIS_URL") else None
)


def isolate_worker() -> None:
    """Point this process's TEST_DATABASE_URL and TEST_REDIS_URL at its worker's own."""
    if POSTGRES_URL is not None:
        os.environ["TEST_DATABASE_URL"] = POSTGRES_URL
    if REDIS_URL is not None:
        os.environ["TEST_REDIS_URL"] = REDIS_URL


def refuse_unless_disposable(url: str) -> None:
    """The suite drops the schema of the database it runs on: never let it near one that is not
    meant for tests."""
    name = make_url(url).database or ""
    if "test" not in name:
        raise ValueError(
            f"TEST_DATABASE_URL names the database {name!r}, and the suite wipes the database it runs "
            "on: give it one of its own whose name says test (e.g. bookshop_test)"
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


async def create_postgres_database(url: str) -> None:
    """Create the database `url` names, through the server's `postgres` maintenance database, unless
    it exists. Tests commit without waiting for the disk (`synchronous_commit` off, this database
    only): what other transactions see is the same, only a server crash could lose the last ones."""
    target = make_url(url)
    maintenance = create_async_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with maintenance.connect() as conn:
            name = conn.dialect.identifier_preparer.quote(target.database or "")
            if not await _database_exists(conn, target):
                try:
                    await conn.execute(text(f"CREATE DATABASE {name}"))
                except ProgrammingError:  # created meanwhile by another run
                    if not await _database_exists(conn, target):
                        raise
            await conn.execute(text(f"ALTER DATABASE {name} SET synchronous_commit = off"))
    finally:
        await maintenance.dispose()


async def _database_exists(conn: AsyncConnection, url: URL) -> bool:
    found = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database})
    return found is not None


async def recreate_postgres_schema(url: str) -> None:
    """An empty schema in the database `url` names, created if missing."""
    refuse_unless_disposable(url)
    await create_postgres_database(url)
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


class PostgresCleaner:
    """Empties the PostgreSQL test database between tests, so each starts from a clean shop with ids
    from 1, as a `TRUNCATE ... RESTART IDENTITY` of every table would, but some twenty times
    faster (measured on a busy 2-core machine: 10 to 50 ms against 200 to 280 ms a test). One
    connection kept for the session; one query finds the tables that hold rows and the sequences
    that were used; only those tables are emptied with DELETE (TRUNCATE, whose fixed cost per table
    is high, only when one grew large) and only those sequences restarted."""

    def __init__(self, url: str) -> None:
        refuse_unless_disposable(url)
        # Its own event loop, kept for the session, so the connection outlives each test's loop; no
        # statement cache, because some tests drop and re-create the schema under it.
        self._runner = asyncio.Runner(loop_factory=asyncio.new_event_loop)
        self._engine: AsyncEngine = create_async_engine(
            make_url(url).update_query_dict({"prepared_statement_cache_size": "0"}),
            pool_size=1,
            max_overflow=0,
            connect_args={"statement_cache_size": 0},
        )

    def clean(self) -> None:
        self._runner.run(self._clean())

    def close(self) -> None:
        self._runner.run(self._engine.dispose())
        self._runner.close()

    async def _clean(self) -> None:
        async with self._engine.begin() as conn:
            used = (await conn.execute(_USED)).all()
            tables = [
                t
                for t in _CHILDREN_FIRST
                if any(kind == "table" and name == t.name for kind, name, _ in used)
            ]
            if any(rows >= BULK_ROWS for kind, _, rows in used if kind == "table"):
                await conn.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} CASCADE"))
            else:
                for table in tables:
                    await conn.execute(delete(table))
            for kind, name, _ in used:
                if kind == "sequence":
                    await conn.execute(
                        text("SELECT setval(CAST(:name AS regclass), 1, false)"), {"name": name}
                    )


_CHILDREN_FIRST = list(reversed(metadata.sorted_tables))
"""The order DELETE needs: a row goes before the rows it references."""
_COUNTS = " UNION ALL ".join(
    f"SELECT '{t.name}', (SELECT count(*) FROM (SELECT FROM {t.name} LIMIT {BULK_ROWS}) AS r)"  # noqa: S608 - our own table names
    for t in _CHILDREN_FIRST
)
_USED = text(
    f"SELECT 'table', * FROM ({_COUNTS}) AS counts(name, rows) WHERE rows > 0 UNION ALL "  # noqa: S608 - as above
    "SELECT 'sequence', format('%I.%I', schemaname, sequencename), 0 FROM pg_sequences "
    "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)
"""The tables that hold rows (counted up to BULK_ROWS) and the sequences that have handed out a
value: what a test left behind, in one round trip."""


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
