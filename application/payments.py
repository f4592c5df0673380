"""Settling payments after the checkout request is over: provider webhooks, and the expiry of
orders nobody paid for."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from application.checkout import fail_and_restock
from application.ports import Clock, PaymentEvent, PaymentEventKind, UnitOfWork, UnitOfWorkFactory
from domain.ordering import Order

EXPIRY_BATCH = 100
logger = logging.getLogger("bookshop.payments")


class Settlement(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    """The event was handled before: nothing happens twice."""
    ALREADY_FINAL = "already_final"
    """PAID and FAILED are final: a late or contradicting event changes nothing."""
    IGNORED = "ignored"
    UNKNOWN_ORDER = "unknown_order"


class SettlePayment:
    """The provider tells how a payment ended.

    - Each event is handled once: its id is recorded in the same transaction as its effect.
    - payment_intent.succeeded → PAID; payment_intent.payment_failed → FAILED and the stock back.
    - Only a PENDING order moves; PAID and FAILED are final, whatever order events arrive in.
    - The order is found by the intent's metadata.order_id, else by the payment intent id; an
      event naming an order paid through another intent is ignored.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, event: PaymentEvent) -> Settlement:
        now = self._clock.now()
        async with self._uow() as uow:
            if not await uow.payment_events.record(event.event_id, now):
                return Settlement.DUPLICATE
            settlement = await self._apply(uow, event)
            await uow.commit()
        logger.info("payment event %s (%s): %s", event.event_id, event.kind.value, settlement.value)
        return settlement

    async def _apply(self, uow: UnitOfWork, event: PaymentEvent) -> Settlement:
        if event.kind is PaymentEventKind.OTHER:
            return Settlement.IGNORED
        order = await _find_order(uow, event)
        if order is None:
            return Settlement.UNKNOWN_ORDER
        if order.is_final:
            return Settlement.ALREADY_FINAL
        if order.payment_intent_id is None:
            order.payment_intent_id = event.payment_intent_id
        now = self._clock.now()
        if event.kind is PaymentEventKind.SUCCEEDED:
            order.mark_paid(now)
            settlement = Settlement.PAID
        else:
            await fail_and_restock(uow, order, now)
            settlement = Settlement.FAILED
        await uow.orders.update_status(order)
        return settlement


async def _find_order(uow: UnitOfWork, event: PaymentEvent) -> Order | None:
    order = await uow.orders.get(event.order_id, for_update=True) if event.order_id is not None else None
    if order is None and event.payment_intent_id is not None:
        order = await uow.orders.get_by_payment_intent(event.payment_intent_id)
    if order is None:
        return None
    intents = {order.payment_intent_id, event.payment_intent_id}
    if None not in intents and len(intents) > 1:
        logger.warning(
            "event for order %s names payment intent %s; ignored", order.id, event.payment_intent_id
        )
        return None
    return order


class ExpirePendingOrders:
    """Orders left PENDING longer than the time to pay are FAILED and their stock put back.

    Safe to run from cron on several hosts at once: each batch locks the orders it takes and
    skips those another host holds, and only PENDING orders move."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, time_to_pay: timedelta, batch_size: int = EXPIRY_BATCH
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._time_to_pay = time_to_pay
        self._batch_size = batch_size

    async def __call__(self) -> int:
        cutoff = self._clock.now() - self._time_to_pay
        expired = 0
        while True:
            async with self._uow() as uow:
                orders = await uow.orders.lock_pending_before(cutoff, self._batch_size)
                now = self._clock.now()
                for order in orders:
                    await fail_and_restock(uow, order, now)
                    await uow.orders.update_status(order)
                await uow.commit()
            expired += len(orders)
            if len(orders) < self._batch_size:
                return expired
