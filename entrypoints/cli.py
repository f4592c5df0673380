"""The `bookshop` command: serve the API, migrate the database, and the staff chores.

Imports only what parsing the command line needs; each command imports the rest itself. This is
what keeps `serve` quick to start: uvicorn's workers are spawned processes that import this module
again before they answer the supervisor's first health check, so alembic, the container and the
app (about 2 s of imports on an idle machine, several times that under load) are loaded by the
worker only once it answers, while it builds the app."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from entrypoints.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from entrypoints.container import Container

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HTTP_PROTOCOL = "entrypoints.server_protocol:BoundedHttpToolsProtocol"
"""uvicorn's httptools protocol, with request heads bounded in size and in time (see there)."""
GRACEFUL_SHUTDOWN_SECONDS = 30
"""On SIGTERM: stop accepting, finish the requests in flight (up to this long), then exit."""
T = TypeVar("T")


class CommandError(Exception):
    """A chore could not be done; the message is for the operator."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        result: int = args.handler(args, settings)
    except (ConfigurationError, CommandError) as error:
        print(f"bookshop: {error}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bookshop", description="Bookshop API: serve it and run its chores."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(handler=_serve)

    ready = commands.add_parser("wait-ready", help="wait until GET /health answers 200")
    ready.add_argument("url", nargs="?", default="http://127.0.0.1:8000/health")
    ready.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    ready.set_defaults(handler=_wait_ready)

    database = commands.add_parser("db", help="database chores").add_subparsers(
        required=True, metavar="ACTION"
    )
    upgrade = database.add_parser("upgrade", help="apply the Alembic migrations to DATABASE_URL")
    upgrade.set_defaults(handler=_db_upgrade)

    orders = commands.add_parser("orders", help="order chores").add_subparsers(
        required=True, metavar="ACTION"
    )
    expire = orders.add_parser(
        "expire-pending",
        help="fail PENDING orders older than PENDING_ORDER_TTL_SECONDS and restore their stock",
    )
    expire.set_defaults(handler=_expire_pending)

    worker = commands.add_parser(
        "worker",
        help="run the background jobs (emails, expiry of unpaid orders) until SIGTERM or Ctrl-C",
    )
    worker.set_defaults(handler=_worker)

    seed = commands.add_parser("seed-demo", help="load the demo catalogue (idempotent)")
    seed.set_defaults(handler=_seed_demo)

    admin = commands.add_parser("create-admin", help="create an admin, or promote an existing user")
    admin.add_argument("email")
    admin.add_argument("--password", help="prompted for when not given")
    admin.set_defaults(handler=_create_admin)
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    if settings.uses_memory_store and args.workers > 1:
        raise CommandError("the in-memory store lives in one process: use one worker or a real database")
    import uvicorn  # noqa: PLC0415 - see the module docstring

    from entrypoints.logs import logging_config  # noqa: PLC0415

    uvicorn.run(
        "entrypoints.http.asgi:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        http=HTTP_PROTOCOL,
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        access_log=False,
        log_config=logging_config(json_lines=settings.is_production),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_worker_healthcheck=settings.worker_healthcheck_timeout_seconds,
    )
    return 0


def _wait_ready(args: argparse.Namespace, _: Settings) -> int:
    """Poll the health route until it answers 200: for start-up scripts, CI and benchmarks."""
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            with urllib.request.urlopen(args.url, timeout=2) as response:  # noqa: S310 - an operator's URL
                if response.status == 200:
                    print(f"ready: {args.url}")
                    return 0
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise CommandError(f"{args.url} did not answer 200 within {args.timeout:g} s")
        time.sleep(0.2)


def _db_upgrade(_: argparse.Namespace, settings: Settings) -> int:
    from alembic import command  # noqa: PLC0415 - see the module docstring
    from alembic.config import Config  # noqa: PLC0415

    if settings.uses_memory_store:
        raise CommandError("memory:// has nothing to migrate")
    _ensure_sqlite_directory(settings.database_url)
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.upgrade(config, "head")
    print("database is at the latest migration")
    if settings.database_url.startswith("postgresql"):
        from adapters.jobs.schema import install_job_schema  # noqa: PLC0415

        applied = asyncio.run(install_job_schema(settings.database_url))
        print("job engine schema applied" if applied else "job engine schema is there")
    return 0


def _worker(_: argparse.Namespace, settings: Settings) -> int:
    """The jobs, in the foreground. With PostgreSQL, as many as you like, on any host; with SQLite,
    for a shop whose `serve` does not run them (RUN_JOBS_IN_PROCESS=false)."""
    if settings.uses_memory_store:
        raise CommandError("memory:// lives in one process: `bookshop serve` runs its jobs itself")
    import logging.config  # noqa: PLC0415 - see the module docstring

    from entrypoints.jobs import run_worker  # noqa: PLC0415
    from entrypoints.logs import logging_config  # noqa: PLC0415

    logging.config.dictConfig(logging_config(json_lines=settings.is_production))
    _run(settings, run_worker)
    print("worker stopped")
    return 0


def _create_admin(args: argparse.Namespace, settings: Settings) -> int:
    password = args.password
    if password is None:
        password = getpass.getpass("Password for the admin: ")
        if password != getpass.getpass("Repeat the password: "):
            raise CommandError("the passwords differ")

    async def create(container: Container) -> str:
        account = await container.create_admin()(args.email, password)
        who = f"{account.user.email} (id {account.user.id})"
        if account.created:
            return f"created admin {who}"
        if account.sessions_ended:
            return (
                f"existing user {who} is now an active admin with the given password; every earlier"
                " session of this account was ended (refresh tokens revoked, access tokens refused):"
                " log in again with this password"
            )
        return f"{who} is already an active admin with this password; nothing changed"

    print(_run(settings, create))
    return 0


def _seed_demo(_: argparse.Namespace, settings: Settings) -> int:
    async def seed(container: Container) -> str:
        report = await container.load_demo_catalogue()()
        return f"demo catalogue: {report.added} books added, {report.already_there} already there"

    print(_run(settings, seed))
    return 0


def _expire_pending(_: argparse.Namespace, settings: Settings) -> int:
    async def expire(container: Container) -> str:
        expired = await container.expire_pending_orders()()
        return f"{expired} pending orders expired"

    print(_run(settings, expire))
    return 0


def _run(settings: Settings, chore: Callable[[Container], Awaitable[T]]) -> T:
    """Run one async chore with a container, and close what it opened."""

    from domain.errors import DomainError  # noqa: PLC0415 - see the module docstring
    from entrypoints.container import build_container, close_container  # noqa: PLC0415

    async def run() -> T:
        container = build_container(settings)
        container.init_resources()
        try:
            return await chore(container)
        except DomainError as error:
            raise CommandError(str(error)) from error
        finally:
            await close_container(container)

    return asyncio.run(run())


def _ensure_sqlite_directory(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:":
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    sys.exit(main())
