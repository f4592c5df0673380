"""The shop's background jobs, on procrastinate: delivering the outbox, the relay that hands it
over, the expiry of unpaid orders and, on PostgreSQL, the recovery of jobs a dead worker held.

`bookshop worker` runs them (PostgreSQL: on as many hosts as you like, each job once; periodic
jobs deferred once per tick whatever the number of workers). With the embedded SQLite store,
`bookshop serve` runs them in its own process (InProcessJobs, from the app's lifespan): see
adapters.jobs.engine for why nothing is lost by keeping that queue in memory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import procrastinate

from adapters.jobs.engine import (
    DELIVER_MESSAGE,
    EXPIRE_PENDING_ORDERS,
    QUEUE,
    RELAY_OUTBOX,
    RETRY_STALLED_JOBS,
)
from application.outbox import QueueUnavailable
from entrypoints.container import Container
from entrypoints.settings import AppEnv

logger = logging.getLogger("bookshop.jobs")

SHUTDOWN_GRACEFUL_SECONDS = 20.0
"""On SIGTERM or Ctrl-C: no new job is taken; those running get this long to finish."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """When the periodic jobs run (cron, with an optional sixth column for seconds)."""

    expire_pending_orders: str = "* * * * *"
    """Every minute: an unpaid order is failed at most a minute after PENDING_ORDER_TTL_SECONDS."""
    relay_outbox: str = "*/15 * * * * *"
    retry_stalled_jobs: str = "* * * * *"
    poll_seconds: float = 1.0
    """How often a worker looks for jobs due (retries scheduled for later) besides being woken by
    new ones."""


class ShopJobs:
    """The shop's tasks registered on the container's procrastinate app, and a worker to run them."""

    def __init__(self, container: Container, schedule: Schedule | None = None) -> None:
        self._container = container
        self._schedule = schedule or Schedule()
        self.app: procrastinate.App = container.job_app()
        self._settings = container.settings()
        if DELIVER_MESSAGE not in self.app.tasks:
            self._register()

    def _register(self) -> None:
        app, container, schedule = self.app, self._container, self._schedule

        @app.task(name=DELIVER_MESSAGE, queue=QUEUE)
        async def deliver_message(message_id: str) -> None:
            await container.deliver_message()(message_id)

        @app.periodic(cron=schedule.relay_outbox)
        @app.task(name=RELAY_OUTBOX, queue=QUEUE, queueing_lock=RELAY_OUTBOX)
        async def relay_outbox(timestamp: int) -> None:  # noqa: ARG001 - the tick, procrastinate's
            await container.relay_due_messages()()

        @app.periodic(cron=schedule.expire_pending_orders)
        @app.task(name=EXPIRE_PENDING_ORDERS, queue=QUEUE, queueing_lock=EXPIRE_PENDING_ORDERS)
        async def expire_pending_orders(timestamp: int) -> None:  # noqa: ARG001 - the tick, procrastinate's
            expired = await container.expire_pending_orders()()
            if expired:
                logger.info("%s pending orders expired", expired)

        if not self._embedded:

            @app.periodic(cron=schedule.retry_stalled_jobs)
            @app.task(name=RETRY_STALLED_JOBS, queue=QUEUE, queueing_lock=RETRY_STALLED_JOBS)
            async def retry_stalled_jobs(timestamp: int) -> None:  # noqa: ARG001 - the tick, procrastinate's
                """procrastinate does not retry by itself the jobs of a worker that died (killed,
                host lost): those whose worker stopped sending heartbeats are retried here. Every
                job of the shop may run twice safely (a delivery claims its message first)."""
                for job in await app.job_manager.get_stalled_jobs():
                    logger.warning("retrying job %s (%s): its worker stopped", job.id, job.task_name)
                    try:
                        await app.job_manager.retry_job(job)
                    except procrastinate.exceptions.UniqueViolation:
                        # The same job waits already (its queueing lock): this copy is not needed.
                        assert job.id is not None
                        await app.job_manager.finish_job_by_id_async(
                            job.id, status=procrastinate.jobs.Status.FAILED, delete_job=True
                        )

    @property
    def _embedded(self) -> bool:
        return not self._settings.database_url.startswith("postgresql")

    async def run_worker(self, *, install_signal_handlers: bool, name: str = "bookshop") -> None:
        """Work until stopped (a signal when install_signal_handlers, else cancelling the task).
        The app must be open. The relay runs once first, so the messages that were waiting when
        the last worker stopped go out now rather than at its first tick."""
        try:
            await self._container.relay_due_messages()()
        except QueueUnavailable as unavailable:
            logger.warning("the outbox could not be relayed at start: %s", unavailable)
        await self.app.run_worker_async(
            queues=[QUEUE],
            name=name,
            concurrency=self._settings.worker_concurrency,
            # The embedded queue lives in memory: nothing to look back at, keep nothing.
            delete_jobs="always" if self._embedded else "successful",
            install_signal_handlers=install_signal_handlers,
            shutdown_graceful_timeout=SHUTDOWN_GRACEFUL_SECONDS,
            fetch_job_polling_interval=self._schedule.poll_seconds,
        )


class InProcessJobs:
    """The worker inside `bookshop serve` (the app's lifespan starts and stops it)."""

    def __init__(self, jobs: ShopJobs) -> None:
        self._jobs = jobs
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._jobs.app.open_async()
        self._task = asyncio.create_task(
            self._jobs.run_worker(install_signal_handlers=False, name="in-process")
        )

    async def stop(self) -> None:
        """The jobs running get SHUTDOWN_GRACEFUL_SECONDS to finish; none is started meanwhile."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._jobs.app.close_async()


async def run_worker(container: Container, schedule: Schedule | None = None) -> None:
    """`bookshop worker`: the jobs until SIGTERM or Ctrl-C (procrastinate's own handlers: the first
    signal stops taking jobs and lets the running ones finish)."""
    jobs = ShopJobs(container, schedule)
    async with jobs.app.open_async():
        await jobs.run_worker(install_signal_handlers=True, name="worker")


@contextlib.asynccontextmanager
async def jobs_while_serving(container: Container) -> AsyncIterator[None]:
    """What `bookshop serve` does about jobs: runs them (RUN_JOBS_IN_PROCESS, see Settings), or, on
    PostgreSQL, only hands new messages to the engine for `bookshop worker` to run. A database out
    of reach at start delays nothing but the hand-over (the worker's relay finds the messages)."""
    settings = container.settings()
    if settings.runs_jobs_in_process:
        in_process = InProcessJobs(ShopJobs(container))
        await in_process.start()
        try:
            yield
        finally:
            await in_process.stop()
        return
    if not settings.database_url.startswith("postgresql") or settings.app_env is AppEnv.TEST:
        yield
        return
    app = container.job_app()
    try:
        await app.open_async()
    except (procrastinate.exceptions.ProcrastinateException, OSError) as unreachable:
        logger.warning(
            "the job engine is out of reach; messages are left to the worker's relay: %s", unreachable
        )
        yield
        return
    try:
        yield
    finally:
        await app.close_async()
