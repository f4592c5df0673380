"""The job engine end to end: procrastinate's worker (in the test's process, as `bookshop serve`
runs it, or as two workers on PostgreSQL) delivering the outbox to a real SMTP server, and
expiring unpaid orders with no command run."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TypeVar

import pytest
from litestar.testing import AsyncTestClient
from procrastinate.jobs import Status

from adapters.email.memory_mailer import MemoryMailer
from adapters.jobs.engine import DELIVER_MESSAGE, QUEUE, RETRY_STALLED_JOBS
from adapters.jobs.schema import install_job_schema
from application.outbox import MessageStatus, OutboxMessage, StoredMessage
from domain.catalog import Product, Series
from domain.identity import User
from domain.ordering import OrderStatus
from entrypoints.container import Container, build_container, close_container
from entrypoints.http.app import create_app
from entrypoints.jobs import InProcessJobs, Schedule, ShopJobs
from entrypoints.settings import EmailBackend, JobsInProcess, Settings
from tests.conftest import make_settings
from tests.messaging import HANG, SmtpSink, smtp_sink
from tests.unit.builders import ADDRESS

T = TypeVar("T")
FAST = Schedule(
    expire_pending_orders="* * * * * *",
    relay_outbox="* * * * * *",
    retry_stalled_jobs="* * * * *",
    poll_seconds=0.05,
)
"""Every periodic job every second; due retries looked for every 50 ms."""
ENGINE_TABLES = (
    "procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers"
)


@pytest.fixture
async def engine_ready(database_url: str) -> None:
    """On PostgreSQL, procrastinate's schema (as `bookshop db upgrade` applies it) with no job left."""
    if not database_url.startswith("postgresql"):
        return
    await install_job_schema(database_url)
    assert not await install_job_schema(database_url)  # applied once, whoever asks again
    import psycopg  # noqa: PLC0415
    from sqlalchemy import make_url  # noqa: PLC0415

    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(f"TRUNCATE {ENGINE_TABLES} CASCADE")


def jobs_settings(database_url: str, sink: SmtpSink | None = None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "run_jobs_in_process": JobsInProcess.TRUE,
        "email_backend": EmailBackend.MEMORY,
        "outbox_retry_seconds": 0.05,
        "worker_concurrency": 4,
        "db_pool_size": 8,
    }
    if sink is not None:
        values |= {
            "email_backend": EmailBackend.SMTP,
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "smtp_timeout_seconds": 0.5,
        }
    return make_settings(database_url, **(values | overrides))


@asynccontextmanager
async def working(*containers: Container) -> AsyncIterator[None]:
    """Each container's worker running (one procrastinate worker each), stopped as SIGTERM would."""
    running = [InProcessJobs(ShopJobs(container, FAST)) for container in containers]
    for jobs in running:
        await jobs.start()
    try:
        yield
    finally:
        for jobs in running:
            await jobs.stop()
        for container in containers:
            await close_container(container)


async def until(check: Callable[[], Awaitable[T]], *, seconds: float = 15) -> T:
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


async def outbox(container: Container, message_id: str) -> StoredMessage:
    async with container.unit_of_work() as tx:
        message: StoredMessage | None = await tx.outbox.get(message_id)
    assert message is not None
    return message


async def welcome_of(container: Container, user: User) -> StoredMessage:
    async with container.unit_of_work() as tx:
        message: StoredMessage | None = await tx.outbox.find(f"welcome:{user.id}")
    assert message is not None
    return message


@pytest.fixture
def sink_refusing_twice() -> Iterator[SmtpSink]:
    with smtp_sink("451 4.3.0 try again later", "421 4.7.0 busy") as sink:
        yield sink


@pytest.mark.usefixtures("engine_ready")
async def test_a_message_refused_twice_then_accepted_is_received_once(
    database_url: str, sink_refusing_twice: SmtpSink
) -> None:
    container = build_container(jobs_settings(database_url, sink_refusing_twice))
    async with working(container):
        user = await container.sign_up()("ann@example.com", "correct horse battery")
        message = await welcome_of(container, user)
        await until(lambda: _status_is(container, message.id, MessageStatus.SENT))
        await asyncio.sleep(0.3)  # a duplicate would have come by now

        sent = await outbox(container, message.id)
    assert sink_refusing_twice.counts() == {f"<{message.id}@localhost>": 1}
    assert (sent.status, sent.attempts) == (MessageStatus.SENT, 3)


@pytest.mark.usefixtures("engine_ready")
async def test_a_server_that_times_out_gets_the_message_again_later(database_url: str) -> None:
    with smtp_sink(HANG, hang_seconds=2) as sink:
        container = build_container(jobs_settings(database_url, sink, smtp_timeout_seconds=0.3))
        async with working(container):
            user = await container.sign_up()("ann@example.com", "correct horse battery")
            message = await welcome_of(container, user)
            sent = await until(lambda: _status_is(container, message.id, MessageStatus.SENT))

    assert sent
    assert list(sink.counts().values()) == [1]
    assert (await _stored_after(container, message.id)).attempts == 2


@pytest.mark.usefixtures("engine_ready")
async def test_a_5xx_makes_the_message_dead_and_says_so_in_the_log(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_sink("550 5.1.1 no such user") as sink, caplog.at_level(logging.ERROR, "bookshop.messages"):
        container = build_container(jobs_settings(database_url, sink))
        async with working(container):
            user = await container.sign_up()("ann@example.com", "correct horse battery")
            message = await welcome_of(container, user)
            dead = await until(lambda: _status_is(container, message.id, MessageStatus.DEAD))

    assert dead
    assert sink.accepted == []
    assert f"message {message.id} (welcome) is dead" in caplog.text
    assert "550 5.1.1 no such user" in caplog.text


@pytest.mark.backends("postgres")
@pytest.mark.usefixtures("engine_ready")
async def test_two_workers_on_postgresql_never_send_one_message_twice(database_url: str) -> None:
    """Two workers (each its own procrastinate app and pool, as on two hosts); every message handed
    to the engine twice, so that both workers hold a job for it at once."""
    with smtp_sink() as sink:
        first = build_container(jobs_settings(database_url, sink))
        second = build_container(jobs_settings(database_url, sink))
        async with working(first, second):
            ids = []
            for n in range(40):
                async with first.unit_of_work() as tx:
                    stored = await tx.outbox.add(
                        OutboxMessage(
                            kind="welcome", recipient=f"reader{n}@example.com", context={"email": "x"}
                        ),
                        first.clock().now(),
                    )
                    await tx.commit()
                assert stored is not None
                ids.append(stored.id)
                # A second job for the same message, without the queueing lock that would merge it.
                await (
                    second.job_app()
                    .configure_task(DELIVER_MESSAGE, queue=QUEUE)
                    .defer_async(message_id=stored.id)
                )
            await until(lambda: _all_sent(first, ids), seconds=30)
            await asyncio.sleep(0.3)

    counts = sink.counts()
    assert sorted(counts) == sorted(f"<{i}@localhost>" for i in ids)
    assert set(counts.values()) == {1}


async def test_an_unpaid_order_expires_with_no_command_run(database_url: str, engine_ready: None) -> None:
    container = build_container(jobs_settings(database_url, pending_order_ttl_seconds=1))
    async with working(container):
        user = await container.sign_up()("ann@example.com", "correct horse battery")
        async with container.unit_of_work() as tx:
            book = await tx.products.add(
                Product(
                    title="The Silver Chair",
                    series=Series.NARNIA,
                    author="C. S. Lewis",
                    price_cents=899,
                    stock=5,
                    created_at=container.clock().now(),
                )
            )
            await tx.commit()
        await container.add_to_cart()(user.id or 0, book.id or 0, 2)
        await container.set_shipping_address()(user.id or 0, ADDRESS)
        order = (await container.idempotent_checkout()(user.id or 0)).order
        assert order is not None
        assert order.status is OrderStatus.PENDING

        async def failed() -> bool:
            async with container.unit_of_work() as tx:
                current = await tx.orders.get(order.id or 0)
            return current is not None and current.status is OrderStatus.FAILED

        assert await until(failed, seconds=10)


async def test_serve_runs_the_jobs_in_process_with_the_embedded_store(database_url: str) -> None:
    """What `make run` gives: the welcome email goes out with no worker started by hand."""
    container = build_container(jobs_settings(database_url))
    mailer = container.mailer()
    assert isinstance(mailer, MemoryMailer)
    async with AsyncTestClient(app=create_app(container), base_url="http://testserver.local") as client:
        response = await client.post(
            "/auth/signup", json={"email": "ann@example.com", "password": "correct horse battery"}
        )
        assert response.status_code == 201, response.text

        async def delivered() -> bool:
            return bool(mailer.sent)

        assert await until(delivered)
    assert [(e.recipient, e.subject) for e in mailer.sent] == [("ann@example.com", "Welcome to the Bookshop")]


async def _status_is(container: Container, message_id: str, status: MessageStatus) -> bool:
    return (await outbox(container, message_id)).status is status


async def _stored_after(container: Container, message_id: str) -> StoredMessage:
    settings = container.settings()
    fresh = build_container(settings)
    try:
        return await outbox(fresh, message_id)
    finally:
        await close_container(fresh)


async def _all_sent(container: Container, ids: list[str]) -> bool:
    return all([await _status_is(container, i, MessageStatus.SENT) for i in ids])


@pytest.mark.backends("postgres")
@pytest.mark.usefixtures("engine_ready")
async def test_a_job_held_by_a_worker_that_died_is_run_again(database_url: str) -> None:
    """A worker took a delivery and died (no more heartbeats): the periodic recovery puts the job
    back, and a live worker sends the message."""
    with smtp_sink() as sink:
        container = build_container(jobs_settings(database_url, sink))
        jobs = ShopJobs(container, FAST)
        async with jobs.app.open_async():
            user = await container.sign_up()("ann@example.com", "correct horse battery")
            message = await welcome_of(container, user)
            manager = jobs.app.job_manager
            dead_worker = await manager.register_worker()
            taken = await manager.fetch_job([QUEUE], dead_worker)
            assert taken is not None
            assert taken.task_name == DELIVER_MESSAGE
            await manager.unregister_worker(dead_worker)  # gone, as after a kill and the pruning

            await jobs.app.tasks[RETRY_STALLED_JOBS](timestamp=0)

            assert taken.id is not None
            assert await manager.get_job_status_async(taken.id) is Status.TODO

        async with working(container):
            assert await until(lambda: _status_is(container, message.id, MessageStatus.SENT))
    assert list(sink.counts().values()) == [1]
