"""A customer cancels an order they have not paid for.

No database lock is held while the provider is asked: the order is read, its payment intent
cancelled at the provider, then the order is locked and settled in one transaction, only if it is
still PENDING (a webhook, the expiry or a payment may have settled it meanwhile: each order
settles exactly once)."""

from __future__ import annotations

import logging

from application.errors import NotFound, PaymentUnavailable
from application.order_settlement import settle_order
from application.ports import Clock, IntentState, PaymentIntentStatus, PaymentProvider, UnitOfWorkFactory
from domain.errors import OrderNotPending
from domain.ordering import FailureReason, Order, OrderStatus, PaymentOutcome

CANCELLED = "cancelled"
logger = logging.getLogger("bookshop.payments")


class CancelOrder:
    """A customer cancels one of their PENDING orders.

    - Someone else's order, or none, is not found; a PAID or FAILED one is not cancellable.
    - Its payment intent is cancelled at the provider first, so it can never charge; then the
      order is FAILED (`cancelled`) and its stock put back, in one transaction.
    - When the provider says the customer paid meanwhile, the order becomes PAID instead (and
      is answered so). When the provider cannot be asked, or the payment is being processed,
      nothing changes: PaymentUnavailable, or OrderNotPending.
    - An order settled by someone else while the provider was asked is answered as it stands.
    """

    def __init__(self, uow: UnitOfWorkFactory, provider: PaymentProvider, clock: Clock) -> None:
        self._uow = uow
        self._provider = provider
        self._clock = clock

    async def __call__(self, user_id: int, order_id: int) -> Order:
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None or order.user_id != user_id:
            raise NotFound("order", order_id)
        order.ensure_pending(CANCELLED)
        outcome = await self._cancel_at_provider(order)
        return await self._settle(order_id, outcome)

    async def _cancel_at_provider(self, order: Order) -> PaymentOutcome:
        if order.payment_intent_id is None:
            # The charge never named an intent: nothing to cancel. A success the provider reports
            # later is refunded (SettlePayment), never kept unseen.
            return PaymentOutcome.REFUSED
        status = await self._provider.cancel(order.payment_intent_id)
        return _outcome(order, status)

    async def _settle(self, order_id: int, outcome: PaymentOutcome) -> Order:
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get(order_id, for_update=True)
            if order is None:
                raise NotFound("order", order_id)
            if order.status is OrderStatus.PENDING:
                await settle_order(uow, order, outcome, now, FailureReason.CANCELLED)
                await uow.orders.update_status(order)
                await uow.commit()
        logger.info("order %s, cancelled by its customer, is %s", order_id, order.status.value)
        return order


def _outcome(order: Order, status: PaymentIntentStatus) -> PaymentOutcome:
    assert order.id is not None
    if status.state in {IntentState.CANCELED, IntentState.MISSING}:
        return PaymentOutcome.REFUSED
    if status.state is IntentState.SUCCEEDED and order.accepts_payment(status.amount_cents, status.currency):
        return PaymentOutcome.RECEIVED
    if status.state is IntentState.PROCESSING:
        raise OrderNotPending(order.id, "being paid", CANCELLED)
    if status.state is IntentState.SUCCEEDED:
        logger.error(
            "payment intent %s for order %s succeeded with %s %s, not the order's total: left PENDING",
            order.payment_intent_id,
            order.id,
            status.amount_cents,
            status.currency,
        )
    raise PaymentUnavailable(order.id)
