"""The payment provider's webhooks: how a payment ended, told after the checkout request is over.

No database lock is held while the provider is asked for a refund: the event is applied in one
short transaction, or, when a payment must be given back, the refund is made first and recorded
after (a webhook and the expiry may race for one order: it settles exactly once)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from application.errors import RefundUnavailable
from application.order_messages import record_refund_issued
from application.order_settlement import settle_order
from application.ports import (
    Clock,
    PaymentEvent,
    PaymentEventKind,
    PaymentProvider,
    RefundOutcome,
    RefundRequest,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.provider_refunds import record_provider_refunds
from domain.ordering import FailureReason, Order, PaymentOutcome, Settled

logger = logging.getLogger("bookshop.payments")

_REFUND_EVENTS = frozenset({PaymentEventKind.CHARGE_REFUNDED, PaymentEventKind.REFUND_UPDATED})

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
    REFUND_RECORDED = "refund_recorded"
    """A refund event changed an order: a refund made outside the shop recorded, or one of the
    shop's own settled (application.provider_refunds)."""
    REFUND_KNOWN = "refund_known"
    """A refund event that changes nothing: the refund is known as it is, or names no order."""


LATE_PAYMENT_REASON = "payment received after the order had failed"


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
      recorded on the order (`refunded_cents`, and a SUCCEEDED refund in `refunds`) together with
      the event id. The refund's idempotency
      key is derived from the payment intent, so a redelivery never refunds twice. If the refund
      cannot be made now, RefundUnavailable: the event is not recorded, the provider delivers it
      again, and the refund is retried.
    - charge.refunded and refund.updated record refunds made outside the shop, and settle the
      shop's own that were left PENDING, once each (application.provider_refunds).
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
            settled = (
                await _record_refunds(uow, event, now)
                if event.kind in _REFUND_EVENTS
                else await self._apply(uow, event)
            )
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
        assert order.id is not None
        received = event.kind is PaymentEventKind.SUCCEEDED
        if received and not order.accepts_payment(event.amount_cents, event.currency):
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
        outcome = PaymentOutcome.RECEIVED if received else PaymentOutcome.REFUSED
        settled = await settle_order(uow, order, outcome, self._clock.now(), FailureReason.DECLINED)
        if settled is Settled.REFUND_DUE and event.payment_intent_id is not None:
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
        if settled not in {Settled.PAID, Settled.FAILED}:
            return Settlement.ALREADY_FINAL
        order.link_payment(event.payment_intent_id)
        await uow.orders.update_status(order)
        return Settlement.PAID if settled is Settled.PAID else Settlement.FAILED

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
            order.link_payment(request.payment_intent_id)
            refund = order.record_refund_made_outside(
                amount_cents=request.amount_cents,
                now=now,
                provider_refund_id=result.refund_id,
                reason=LATE_PAYMENT_REASON,
            )
            if refund is not None:
                refund = await uow.refunds.add(refund)
                await record_refund_issued(uow, order, refund, now)
            await uow.orders.update_status(order)
            await uow.commit()
        return Settlement.REFUNDED


async def _record_refunds(uow: UnitOfWork, event: PaymentEvent, now: datetime) -> Settlement:
    changed = await record_provider_refunds(uow, event, now)
    return Settlement.REFUND_RECORDED if changed else Settlement.REFUND_KNOWN


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
