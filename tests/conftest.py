"""Shared fixtures. Every use-case and HTTP test runs once per store: in memory, on SQLite, and on
PostgreSQL when TEST_DATABASE_URL is set (CI sets it; an unreachable server is an error, not a skip).
Under pytest-xdist (`make test` runs `-n auto`) each worker has its own databases: see tests/databases.py."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.memory.catalogue_version import MemoryCatalogueVersion
from adapters.memory.queries import MemoryCatalogQueries, MemoryUserQueries
from adapters.memory.staff_orders import MemoryStaffOrderQueries
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.sqlalchemy.catalogue_version import sql_catalogue_version
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.queries import SqlCatalogQueries, SqlUserQueries
from adapters.sqlalchemy.staff_orders import SqlStaffOrderQueries
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.ports import CatalogueVersion, UnitOfWork, UnitOfWorkFactory
from application.queries import CatalogQueries, StaffOrderQueries, UserQueries
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import MEMORY_DATABASE_URL, AppEnv, Settings
from tests.databases import (
    MAX_WORKERS,
    POSTGRES_URL,
    PostgresCleaner,
    copy_sqlite,
    isolate_worker,
    migrate,
    recreate_postgres_schema,
    refuse_unless_disposable,
    sqlite_url,
    worker_redis_url,
)
from tests.unit.builders import FREE_SHIPPING

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"

SQL_BACKENDS = [
    "sqlite",
    *([pytest.param("postgres", marks=pytest.mark.postgres)] if POSTGRES_URL else []),
]
ALL_BACKENDS = ["memory", *SQL_BACKENDS]


def pytest_configure(config: pytest.Config) -> None:
    """Refuse, before any test runs, a database the suite must not wipe and a Redis database number
    that leaves no room for every worker; then point this worker's TEST_* variables at its own."""
    workers = config.getoption("numprocesses", None) or 0
    try:
        if POSTGRES_URL is not None:
            refuse_unless_disposable(POSTGRES_URL)
        if os.environ.get("TEST_REDIS_URL") and isinstance(workers, int) and workers > 1:
            worker_redis_url(os.environ["TEST_REDIS_URL"], f"gw{workers - 1}")
    except ValueError as refused:
        raise pytest.UsageError(str(refused)) from None
    isolate_worker()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: one worker per CPU this process may use, at most MAX_WORKERS (set
    PYTEST_XDIST_AUTO_NUM_WORKERS to choose another number)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist's own hook reads it
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "bookshop.db"
    migrate(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """This process's PostgreSQL database (created if missing), its schema recreated and migrated."""
    if POSTGRES_URL is None:
        pytest.skip("needs TEST_DATABASE_URL (CI sets it and refuses skips)")
    asyncio.run(recreate_postgres_schema(POSTGRES_URL))
    migrate(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_url: str) -> Iterator[PostgresCleaner]:
    cleaner = PostgresCleaner(postgres_url)
    yield cleaner
    cleaner.close()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database for the backend the test is parametrized with."""
    backend = getattr(request, "param", "sqlite")
    if backend == "memory":
        return MEMORY_DATABASE_URL
    if backend == "sqlite":
        return copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "bookshop.db")
    request.getfixturevalue("postgres_cleaner").clean()
    url: str = request.getfixturevalue("postgres_url")
    return url


@dataclass(frozen=True)
class Backend:
    """One store seen through every port: the write side and the read side share it."""

    uow: UnitOfWorkFactory
    catalog: CatalogQueries
    users: UserQueries
    version: CatalogueVersion
    staff_orders: StaffOrderQueries | None = None


@pytest.fixture
async def backend(database_url: str) -> AsyncIterator[Backend]:
    """A clean store: the same use-case test, every adapter."""
    if database_url == MEMORY_DATABASE_URL:
        store = MemoryStore()

        def memory() -> UnitOfWork:
            return MemoryUnitOfWork(store)

        yield Backend(
            memory,
            MemoryCatalogQueries(store),
            MemoryUserQueries(store),
            MemoryCatalogueVersion(store),
            MemoryStaffOrderQueries(store),
        )
        return
    engine = create_engine(database_url, pool_size=5)

    def sql() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    version = sql_catalogue_version(engine)
    try:
        yield Backend(
            sql, SqlCatalogQueries(engine), SqlUserQueries(engine), version, SqlStaffOrderQueries(engine)
        )
    finally:
        await version.close()
        await engine.dispose()


@pytest.fixture
def uow(backend: Backend) -> UnitOfWorkFactory:
    return backend.uow


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Production's defaults but for what tests need; the page cache is on, as in production, so
    every HTTP test that writes then reads goes through it. Shipping is free unless a test sets
    `shipping_rates` (the shipping tests do), so an order's total is its books' sum elsewhere."""
    values: dict[str, object] = {
        "app_env": AppEnv.TEST,
        "database_url": database_url,
        "jwt_secret": TEST_JWT_SECRET,
        "auth_rate_limit": 0,
        "db_pool_size": 5,
        "shipping_rates": FREE_SHIPPING,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def container(settings: Settings) -> Container:
    return build_container(settings)


@pytest.fixture
def app(container: Container) -> Litestar:
    return create_app(container)


@pytest.fixture(scope="module")
def shared_client(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AsyncTestClient[Litestar]]:
    """One app on SQLite for a whole module of tests that only read what every app answers alike
    (the OpenAPI document): building an app costs about 55 ms, most of an HTTP test's time.

    The test client serves the app from a thread of its own through a blocking portal, whatever
    event loop the test runs on, so it can outlive one test's loop; entering it needs no loop."""
    url = copy_sqlite(sqlite_template, tmp_path_factory.mktemp("shared") / "bookshop.db")
    client = AsyncTestClient(
        app=create_app(build_container(make_settings(url))), base_url="http://testserver.local"
    )
    asyncio.run(client.__aenter__())
    try:
        yield client
    finally:
        asyncio.run(client.__aexit__(None, None, None))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Use-case tests (they take `uow`) run on every store; HTTP and database tests (they take
    `database_url`) on SQLite and PostgreSQL, unless a `backends` or `refused_before_any_store` marker narrows
    it."""
    if "database_url" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    if metafunc.definition.get_closest_marker("refused_before_any_store") is not None:
        backends = [b for b in ALL_BACKENDS if _name(b) == "sqlite"]
    elif marker is not None:
        backends = [b for b in ALL_BACKENDS if _name(b) in marker.args]
    else:
        every_store = {"uow", "backend"} & set(metafunc.fixturenames)
        backends = ALL_BACKENDS if every_store else SQL_BACKENDS
    metafunc.parametrize("database_url", backends, indirect=True)


def _name(backend: object) -> str:
    return backend if isinstance(backend, str) else str(backend.values[0])  # type: ignore[attr-defined]
