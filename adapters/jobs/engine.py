"""Procrastinate over the shop's own database.

PostgreSQL: the jobs live in procrastinate's tables next to the shop's (applied by `bookshop db
upgrade`), reached through psycopg 3 (procrastinate has no asyncpg connector); any number of
workers on any number of hosts, each job run once.

SQLite and memory://: procrastinate has no SQLite connector, so the jobs live in the memory of the
process that serves the API (EmbeddedConnector). Nothing is lost by that: what must survive is in
the shop's database (the outbox, the orders), and the periodic relay rebuilds the queue from it
after a restart."""

from __future__ import annotations

from typing import Any, Literal

from procrastinate import PsycopgConnector, testing
from sqlalchemy import make_url

DELIVER_MESSAGE = "bookshop.deliver_message"
RELAY_OUTBOX = "bookshop.relay_outbox"
EXPIRE_PENDING_ORDERS = "bookshop.expire_pending_orders"
RETRY_STALLED_JOBS = "bookshop.retry_stalled_jobs"
QUEUE = "bookshop"


def postgres_connector(database_url: str, *, pool_size: int, timeout_seconds: float) -> PsycopgConnector:
    """A psycopg pool on the database DATABASE_URL names (given in SQLAlchemy's spelling)."""
    url = make_url(database_url).set(drivername="postgresql")
    return PsycopgConnector(
        conninfo=url.render_as_string(hide_password=False),
        min_size=1,
        max_size=pool_size,
        timeout=timeout_seconds,
        kwargs={"connect_timeout": max(1, round(timeout_seconds))},
    )


class EmbeddedConnector(testing.InMemoryConnector):
    """procrastinate's in-memory connector, kept bounded for a long-running process: it does not
    log every query (the testing connector keeps them all, for assertions), and forgets a job's
    events with the job. Jobs are deleted when they end (the worker runs with delete_jobs)."""

    async def generic_execute(
        self, query: str, suffix: Literal["run", "one", "all"], **arguments: Any
    ) -> Any:
        return await getattr(self, f"{self.reverse_queries[query]}_{suffix}")(**arguments)

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        await super().finish_job_run(job_id, status, delete_job)
        if delete_job:
            self.events.pop(job_id, None)
