"""The delivery queue of the use cases, on procrastinate: one waiting delivery per message at most
(a queueing lock named after the message)."""

from __future__ import annotations

from datetime import datetime

import procrastinate
import psycopg
import psycopg_pool
from procrastinate import exceptions

from adapters.jobs.engine import DELIVER_MESSAGE, QUEUE
from application.outbox import QueueUnavailable


class ProcrastinateDeliveryQueue:
    def __init__(self, app: procrastinate.App) -> None:
        self._app = app

    async def deliver(self, message_id: str, *, at: datetime | None = None) -> None:
        deferrer = self._app.configure_task(
            DELIVER_MESSAGE, queue=QUEUE, queueing_lock=f"outbox:{message_id}", schedule_at=at
        )
        try:
            await deferrer.defer_async(message_id=message_id)
        except exceptions.AlreadyEnqueued:
            return
        except (exceptions.ProcrastinateException, psycopg.Error, psycopg_pool.PoolTimeout, OSError) as error:
            raise QueueUnavailable(str(error) or type(error).__name__) from error
