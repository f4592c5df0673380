"""Orders nobody paid for in time, settled with what the payment provider knows.

No database lock is held while the provider is asked: the candidates are listed, the provider
asked, then each order is locked and settled only if nobody else did meanwhile (a webhook and the
expiry may race for one order: it settles exactly once)."""

from __future__ import annotations

import logging
from datetime import timedelta

from application.order_settlement import settle_order
from application.ports import Clock, IntentState, PaymentIntentStatus, PaymentProvider, UnitOfWorkFactory
from domain.ordering import FailureReason, Order, OrderStatus, PaymentOutcome

EXPIRY_BATCH = 100
logger = logging.getLogger("bookshop.payments")


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
                outcome = await self._ask_provider(order)
                settled = outcome is not PaymentOutcome.AWAITED and await self._settle(order, outcome)
                if settled and outcome is PaymentOutcome.REFUSED:
                    expired += 1
            if len(candidates) < self._batch_size:
                return expired
            after_id = candidates[-1].id or 0

    async def _ask_provider(self, order: Order) -> PaymentOutcome:
        if order.payment_intent_id is None:
            # The charge never started, or its answer was lost before it named an intent. A
            # success the provider reports later is refunded (SettlePayment): never kept unseen.
            return PaymentOutcome.REFUSED
        status = await self._provider.status(order.payment_intent_id)
        if status.state is IntentState.OPEN:
            status = await self._provider.cancel(order.payment_intent_id)
        return _outcome(order, status)

    async def _settle(self, candidate: Order, outcome: PaymentOutcome) -> bool:
        """False when the order was settled by someone else since it was listed."""
        assert candidate.id is not None
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get(candidate.id, for_update=True)
            if order is None or order.status is not OrderStatus.PENDING:
                return False
            await settle_order(uow, order, outcome, now, FailureReason.EXPIRED)
            await uow.orders.update_status(order)
            await uow.commit()
        logger.info("order %s, unpaid in time, settled as %s", order.id, order.status.value)
        return True


def _outcome(order: Order, status: PaymentIntentStatus) -> PaymentOutcome:
    if status.state is IntentState.SUCCEEDED:
        if order.accepts_payment(status.amount_cents, status.currency):
            return PaymentOutcome.RECEIVED
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
        return PaymentOutcome.AWAITED
    if status.state in {IntentState.CANCELED, IntentState.MISSING}:
        return PaymentOutcome.REFUSED
    logger.warning(
        "order %s left PENDING: its payment intent %s is %s", order.id, order.payment_intent_id, status.state
    )
    return PaymentOutcome.AWAITED
