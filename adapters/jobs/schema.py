"""procrastinate's tables on PostgreSQL, applied once by `bookshop db upgrade`."""

from __future__ import annotations

import psycopg
from procrastinate import schema
from sqlalchemy import make_url

MARKER = "procrastinate_jobs"


async def install_job_schema(database_url: str) -> bool:
    """Apply procrastinate's schema unless its tables are there. True when it was applied.

    One transaction, under an advisory lock, so two hosts upgrading at once apply it once.
    Upgrading procrastinate to a version whose schema changed means applying its migration files
    (see the README): this only creates the schema where there is none."""
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(conninfo) as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('bookshop.job_schema'))")
        found = await (await conn.execute("SELECT to_regclass(%s)", (MARKER,))).fetchone()
        if found is not None and found[0] is not None:
            return False
        await conn.execute(schema.SchemaManager.get_schema())
    return True
