"""Settling payments after the checkout request is over: provider webhooks, and the expiry of
orders nobody paid for.

Neither ever holds a database lock while it talks to the payment provider: it decides what to ask
(one short transaction, or none), asks, then locks the order and settles it if nobody else did
meanwhile (a webhook and the expiry may race for one order: it settles exactly once)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from application.checkout import fail_and_restock
from application.errors import RefundUnavailable
from application.ports import (
    Clock,
    IntentState,
    PaymentEvent,
    PaymentEventKind,
    PaymentIntentStatus,
    PaymentProvider,
    RefundOutcome,
    RefundRequest,
    UnitOfWork,
    UnitOfWorkFactory,
)
from domain.ordering import Order, OrderStatus

EXPIRY_BATCH = 100
logger = logging.getLogger("bookshop.payments")

_REFUND_DONE = frozenset({RefundOutcome.SUCCEEDED, RefundOutcome.PENDING, RefundOutcome.ALREADY_REFUNDED})
"""The provider took the refund (a PENDING one is on its way) or had nothing left to give back."""


class Settlement(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"
    """A payment for an order already FAILED was given back in full."""
    AMOUNT_MISMATCH = "amount_mismatch"
    """A success for another amount or currency than the order's total: not taken as payment."""
    DUPLICATE = "duplicate"
    """The event was handled before: nothing happens twice."""
    ALREADY_FINAL = "already_final"
    """PAID and FAILED are final: a late or contradicting event changes nothing."""
    IGNORED = "ignored"
    UNKNOWN_ORDER = "unknown_order"


def late_payment_refund_key(payment_intent_id: str) -> str:
    """One automatic refund per payment: however often its event is delivered, by however many
    workers at once, the provider refunds it once."""
    return f"bookshop-late-payment-refund-{payment_intent_id}"


@dataclass(frozen=True, slots=True)
class _RefundDue:
    """A payment succeeded for a FAILED order: it must be given back, outside any transaction."""

    order_id: int
    request: RefundRequest


class SettlePayment:
    """The provider tells how a payment ended.

    - Each event is handled once: its id is recorded in the same transaction as its effect.
    - payment_intent.succeeded → PAID, if its amount and currency are the order's total; else the
      order stays as it is and an ERROR log line names it. payment_intent.payment_failed → FAILED
      and the stock back.
    - Only a PENDING order moves; PAID and FAILED are final, whatever order events arrive in.
    - A payment that succeeds for a FAILED order is refunded in full through the provider, then
      recorded on the order (`refunded_cents`) together with the event id. The refund's idempotency
      key is derived from the payment intent, so a redelivery never refunds twice. If the refund
      cannot be made now, RefundUnavailable: the event is not recorded, the provider delivers it
      again, and the refund is retried.
    - The order is found by the intent's metadata.order_id, else by the payment intent id; an
      event naming an order paid through another intent is ignored.
    """

    def __init__(self, uow: UnitOfWorkFactory, provider: PaymentProvider, clock: Clock) -> None:
        self._uow = uow
        self._provider = provider
        self._clock = clock

    async def __call__(self, event: PaymentEvent) -> Settlement:
        settled = await self._settle(event)
        if isinstance(settled, _RefundDue):
            settled = await self._refund(event, settled)
        logger.info("payment event %s (%s): %s", event.event_id, event.kind.value, settled.value)
        return settled

    async def _settle(self, event: PaymentEvent) -> Settlement | _RefundDue:
        now = self._clock.now()
        async with self._uow() as uow:
            if not await uow.payment_events.record(event.event_id, now):
                return Settlement.DUPLICATE
            settled = await self._apply(uow, event)
            if isinstance(settled, _RefundDue):
                return settled  # rolled back: the event is recorded only once the refund is made
            await uow.commit()
        return settled

    async def _apply(self, uow: UnitOfWork, event: PaymentEvent) -> Settlement | _RefundDue:
        if event.kind is PaymentEventKind.OTHER:
            return Settlement.IGNORED
        order = await _find_order(uow, event)
        if order is None:
            return Settlement.UNKNOWN_ORDER
        if event.kind is PaymentEventKind.SUCCEEDED:
            return await self._succeeded(uow, order, event)
        if order.is_final:
            return Settlement.ALREADY_FINAL
        _adopt_intent(order, event.payment_intent_id)
        await fail_and_restock(uow, order, self._clock.now())
        await uow.orders.update_status(order)
        return Settlement.FAILED

    async def _succeeded(self, uow: UnitOfWork, order: Order, event: PaymentEvent) -> Settlement | _RefundDue:
        assert order.id is not None
        if not order.accepts_payment(event.amount_cents, event.currency):
            logger.error(
                "payment intent %s for order %s succeeded with %s %s, but the order's total is %s %s: "
                "not taken as payment",
                event.payment_intent_id,
                order.id,
                event.amount_cents,
                event.currency,
                order.total_amount_cents,
                order.currency,
            )
            return Settlement.AMOUNT_MISMATCH
        if order.late_payment_to_refund and event.payment_intent_id is not None:
            return _RefundDue(
                order.id,
                RefundRequest(
                    payment_intent_id=event.payment_intent_id,
                    amount_cents=order.late_payment_to_refund,
                    currency=order.currency,
                    idempotency_key=late_payment_refund_key(event.payment_intent_id),
                    order_id=order.id,
                ),
            )
        if order.is_final:
            return Settlement.ALREADY_FINAL
        _adopt_intent(order, event.payment_intent_id)
        order.mark_paid(self._clock.now())
        await uow.orders.update_status(order)
        return Settlement.PAID

    async def _refund(self, event: PaymentEvent, due: _RefundDue) -> Settlement:
        request = due.request
        logger.warning(
            "payment intent %s succeeded for order %s, which is FAILED: refunding %s %s in full",
            request.payment_intent_id,
            due.order_id,
            request.amount_cents,
            request.currency,
        )
        result = await self._provider.refund(request)
        if result.outcome not in _REFUND_DONE:
            logger.error(
                "the refund of payment intent %s (order %s) was not made: %s %s; the event will be retried",
                request.payment_intent_id,
                due.order_id,
                result.outcome.value,
                result.message or "",
            )
            raise RefundUnavailable(due.order_id)
        now = self._clock.now()
        async with self._uow() as uow:
            if not await uow.payment_events.record(event.event_id, now):
                return Settlement.DUPLICATE  # a concurrent delivery of this event recorded it
            order = await uow.orders.get(due.order_id, for_update=True)
            if order is None:
                raise LookupError(f"order {due.order_id} vanished")
            _adopt_intent(order, request.payment_intent_id)
            if order.refundable_cents:
                order.record_refund(min(request.amount_cents, order.refundable_cents), now)
            await uow.orders.update_status(order)
            await uow.commit()
        return Settlement.REFUNDED


def _adopt_intent(order: Order, payment_intent_id: str | None) -> None:
    if order.payment_intent_id is None:
        order.payment_intent_id = payment_intent_id


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


class _Verdict(StrEnum):
    PAY = "pay"
    FAIL = "fail"


class ExpirePendingOrders:
    """Orders left PENDING longer than the time to pay are settled with what the provider knows.

    - The provider is asked first: an intent that in fact succeeded (for the order's total, in its
      currency) makes the order PAID; one still open is cancelled at the provider, then the order
      is FAILED and its stock put back; a cancelled or unknown intent, or an order that never got
      one, FAILED too. An intent still processing, or a provider that cannot be asked, leaves the
      order PENDING until a webhook or a later pass settles it.
    - No lock is held while the provider is asked: the candidates are listed, the provider asked,
      then each order is locked and settled only if it is still PENDING (a webhook may have settled
      it meanwhile), so each order settles exactly once, also with several hosts expiring at once.

    Returns how many orders this pass FAILED."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        provider: PaymentProvider,
        clock: Clock,
        time_to_pay: timedelta,
        batch_size: int = EXPIRY_BATCH,
    ) -> None:
        self._uow = uow
        self._provider = provider
        self._clock = clock
        self._time_to_pay = time_to_pay
        self._batch_size = batch_size

    async def __call__(self) -> int:
        cutoff = self._clock.now() - self._time_to_pay
        expired = 0
        after_id = 0
        while True:
            async with self._uow() as uow:
                candidates = await uow.orders.pending_before(cutoff, self._batch_size, after_id)
            for order in candidates:
                verdict = await self._ask_provider(order)
                settled = verdict is not None and await self._settle(order, verdict)
                if settled and verdict is _Verdict.FAIL:
                    expired += 1
            if len(candidates) < self._batch_size:
                return expired
            after_id = candidates[-1].id or 0

    async def _ask_provider(self, order: Order) -> _Verdict | None:
        if order.payment_intent_id is None:
            # The charge never started, or its answer was lost before it named an intent. A
            # success the provider reports later is refunded (SettlePayment): never kept unseen.
            return _Verdict.FAIL
        status = await self._provider.status(order.payment_intent_id)
        if status.state is IntentState.OPEN:
            status = await self._provider.cancel(order.payment_intent_id)
        return _verdict(order, status)

    async def _settle(self, candidate: Order, verdict: _Verdict) -> bool:
        """False when the order was settled by someone else since it was listed."""
        assert candidate.id is not None
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get(candidate.id, for_update=True)
            if order is None or order.status is not OrderStatus.PENDING:
                return False
            if verdict is _Verdict.PAY:
                order.mark_paid(now)
            else:
                await fail_and_restock(uow, order, now)
            await uow.orders.update_status(order)
            await uow.commit()
        logger.info("order %s, unpaid in time, settled as %s", order.id, order.status.value)
        return True


def _verdict(order: Order, status: PaymentIntentStatus) -> _Verdict | None:
    if status.state is IntentState.SUCCEEDED:
        if order.accepts_payment(status.amount_cents, status.currency):
            return _Verdict.PAY
        logger.error(
            "payment intent %s for order %s succeeded with %s %s, but the order's total is %s %s: "
            "left PENDING",
            order.payment_intent_id,
            order.id,
            status.amount_cents,
            status.currency,
            order.total_amount_cents,
            order.currency,
        )
        return None
    if status.state in {IntentState.CANCELED, IntentState.MISSING}:
        return _Verdict.FAIL
    logger.warning(
        "order %s left PENDING: its payment intent %s is %s", order.id, order.payment_intent_id, status.state
    )
    return None
