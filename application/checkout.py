"""Checkout: turning a cart into a paid order without ever losing money or stock.

Three steps, so that no database lock is held while the payment provider is called:
1. reserve — one transaction: the user is active, the cart is not empty, every product is on sale
   and in stock; stock is taken (a conditional UPDATE per product, in ascending id so concurrent
   buyers never deadlock) and a PENDING order is written with its snapshots;
2. charge — the provider, over the network, with an idempotency key derived from the order;
3. settle — one transaction: PAID (the cart goes), still PENDING (the customer must act; the cart
   goes), or FAILED (stock back on the shelf; the cart stays for a retry).
If the process dies between steps, the order is PENDING: the provider's webhook or
`ExpirePendingOrders` settles it, so nothing is lost and no stock leaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.errors import (
    IdempotencyKeyReused,
    NotFound,
    PaymentDeclined,
    PaymentUnavailable,
)
from application.ports import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    CheckoutOutcomeKind,
    Clock,
    IdempotencyRecord,
    IdempotencyState,
    PaymentProvider,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.stock import move_stock
from domain.catalog import Product
from domain.errors import CartEmpty, DomainError, InvalidValue
from domain.limits import PurchaseLimits
from domain.ordering import Order, OrderStatus
from domain.values import refuse_control_characters

IDEMPOTENCY_KEY_MAX_LENGTH = 255
PAYMENT_METHOD_MAX_LENGTH = 255
ABANDONED_AFTER = timedelta(minutes=2)
"""A checkout still in progress after this long was cut off (a crash, a lost connection)."""


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: Order
    client_secret: str | None = None
    """Only for a PENDING order: what the client needs to complete the payment."""


def provider_idempotency_key(order_id: int) -> str:
    """One payment per order: whoever retries the charge of an order, the provider charges once."""
    return f"bookshop-order-{order_id}"


async def fail_and_restock(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """FAILED, and every unit back on the shelf, in ascending product id (the order in which
    buyers take stock, so the two never deadlock). The caller writes the order's status."""
    order.mark_failed(now)
    for item in sorted(order.items, key=lambda i: i.product_id or 0):
        if item.product_id is not None:
            await uow.products.return_stock(item.product_id, item.quantity)


class Checkout:
    """A customer pays for their cart.

    - Nothing changes (no order, no stock moved) when the cart is empty, a product is no longer
      sold or out of stock, a line is above the per-line cap, the customer already holds the
      most unpaid orders allowed, or the account is inactive.
    - The cart is emptied into the order, so concurrent checkouts of one cart make one order.
    - A declined card or a provider unreachable before anything was sent leaves a FAILED order,
      the stock back, and the lines back in the cart; a provider that may have charged (no answer
      after sending, a 5xx) leaves the order PENDING, its stock held and its lines out of the cart,
      until the provider's webhook or the expiry (which asks the provider) settles it.
    - The same Idempotency-Key from the same user gets the first answer again (same order, same
      status), never a second charge or stock movement; while the first is running, 409.
      A refusal before any order exists is not remembered: the key can be used again.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        provider: PaymentProvider,
        clock: Clock,
        currency: str,
        limits: PurchaseLimits,
    ) -> None:
        self._uow = uow
        self._provider = provider
        self._clock = clock
        self._currency = currency
        self._limits = limits

    async def __call__(
        self, user_id: int, payment_method_id: str | None = None, idempotency_key: str | None = None
    ) -> CheckoutResult:
        if payment_method_id is not None:
            _check_text("payment_method_id", payment_method_id, PAYMENT_METHOD_MAX_LENGTH)
        if idempotency_key is None:
            return await self._checkout(user_id, payment_method_id, None)
        _check_text("Idempotency-Key", idempotency_key, IDEMPOTENCY_KEY_MAX_LENGTH)
        replay = await self._claim(user_id, idempotency_key)
        if replay is not None:
            return await self._replay(replay)
        return await self._checkout(user_id, payment_method_id, idempotency_key)

    async def _checkout(self, user_id: int, payment_method_id: str | None, key: str | None) -> CheckoutResult:
        try:
            order = await self._reserve(user_id, key)
        except (DomainError, NotFound):
            if key is not None:
                await self._release(user_id, key)
            raise
        assert order.id is not None
        charge = await self._provider.charge(
            ChargeRequest(
                order_id=order.id,
                amount_cents=order.total_amount_cents,
                currency=order.currency,
                payment_method_id=payment_method_id,
                idempotency_key=provider_idempotency_key(order.id),
            )
        )
        outcome, order = await self._settle(order.id, user_id, charge)
        client_secret = charge.client_secret if order.status is OrderStatus.PENDING else None
        if key is not None:
            async with self._uow() as uow:
                await uow.idempotency_keys.complete(user_id, key, outcome, client_secret)
                await uow.commit()
        return _answer(outcome, order, client_secret, charge.message)

    async def _reserve(self, user_id: int, key: str | None) -> Order:
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("user", user_id)
            user.ensure_active()
            # Locked, then emptied into the order: of concurrent checkouts of one cart (a double
            # click, two tabs), one gets the order and the others an empty cart.
            cart = await uow.carts.get_for_update(user_id, now)
            if cart.is_empty:
                raise CartEmpty()
            cart.ensure_within(self._limits)
            # Counted under the cart lock: this user's other checkouts wait for it, so none can
            # slip an order in between the count and this one.
            self._limits.ensure_may_place_order(await uow.orders.count_pending(user_id))
            products = await uow.products.get_many(cart.items)
            order = Order.place(user_id, cart, products, self._currency, now)
            for line in cart.take_all():
                product = products[line.product_id]
                await move_stock(uow, product, Product.withdraw, uow.products.withdraw_stock, line.quantity)
            await uow.carts.save(cart)
            await uow.orders.add(order)
            if key is not None and order.id is not None:
                await uow.idempotency_keys.attach_order(user_id, key, order.id)
            await uow.commit()
        return order

    async def _settle(
        self, order_id: int, user_id: int, charge: ChargeResult
    ) -> tuple[CheckoutOutcomeKind, Order]:
        """Locks in the order every path takes them (cart, then order, then products), so a
        settlement and a concurrent checkout of the same customer never deadlock."""
        now = self._clock.now()
        async with self._uow() as uow:
            cart = await uow.carts.get_for_update(user_id, now)
            order = await uow.orders.get(order_id, for_update=True)
            if order is None:
                raise NotFound("order", order_id)
            if order.payment_intent_id is None and charge.payment_intent_id is not None:
                order.payment_intent_id = charge.payment_intent_id
            pending = order.status is OrderStatus.PENDING
            if charge.outcome is ChargeOutcome.SUCCEEDED:
                if pending:
                    order.mark_paid(now)
                outcome = CheckoutOutcomeKind.ORDER
            elif charge.outcome is ChargeOutcome.REQUIRES_ACTION:
                outcome = CheckoutOutcomeKind.ORDER
            elif charge.outcome is ChargeOutcome.UNKNOWN:
                # It may have been charged: like a payment awaiting the customer, the order stays
                # PENDING with its stock, and its lines do not go back to the cart (no double buy).
                outcome = CheckoutOutcomeKind.UNAVAILABLE
            else:
                if pending:
                    await fail_and_restock(uow, order, now)
                for item in order.items:
                    if item.product_id is not None:
                        cart.put_back(item.product_id, item.quantity)
                declined = charge.outcome is ChargeOutcome.DECLINED
                outcome = CheckoutOutcomeKind.DECLINED if declined else CheckoutOutcomeKind.UNAVAILABLE
            await uow.orders.update_status(order)
            if cart.is_empty:
                await uow.carts.delete_for_user(user_id)
            else:
                await uow.carts.save(cart)
            await uow.commit()
        return outcome, order

    async def _claim(self, user_id: int, key: str) -> IdempotencyRecord | None:
        """None when this request owns the key now; else the record of the earlier request."""
        now = self._clock.now()
        async with self._uow() as uow:
            earlier = await uow.idempotency_keys.claim(user_id, key, now)
            if (
                earlier is not None
                and earlier.state is IdempotencyState.IN_PROGRESS
                and earlier.order_id is None
                and await uow.idempotency_keys.take_over(user_id, key, now - ABANDONED_AFTER, now)
            ):
                earlier = None
            await uow.commit()
        return earlier

    async def _replay(self, earlier: IdempotencyRecord) -> CheckoutResult:
        abandoned = earlier.created_at < self._clock.now() - ABANDONED_AFTER
        if earlier.state is IdempotencyState.IN_PROGRESS and not abandoned:
            raise IdempotencyKeyReused()
        if earlier.order_id is None:
            raise IdempotencyKeyReused()
        async with self._uow() as uow:
            order = await uow.orders.get(earlier.order_id)
        if order is None:
            raise NotFound("order", earlier.order_id)
        # An abandoned checkout answers with its order as it stands (the webhook or the expiry
        # settles it); a finished one answers as it first did.
        outcome = earlier.outcome or CheckoutOutcomeKind.ORDER
        client_secret = earlier.client_secret if order.status is OrderStatus.PENDING else None
        return _answer(outcome, order, client_secret, None)

    async def _release(self, user_id: int, key: str) -> None:
        async with self._uow() as uow:
            await uow.idempotency_keys.release(user_id, key)
            await uow.commit()


def _answer(
    outcome: CheckoutOutcomeKind, order: Order, client_secret: str | None, reason: str | None
) -> CheckoutResult:
    assert order.id is not None
    if outcome is CheckoutOutcomeKind.DECLINED:
        raise PaymentDeclined(order.id, reason)
    if outcome is CheckoutOutcomeKind.UNAVAILABLE:
        raise PaymentUnavailable(order.id)
    return CheckoutResult(order=order, client_secret=client_secret)


def _check_text(field: str, value: str, max_length: int) -> None:
    if not 1 <= len(value) <= max_length:
        raise InvalidValue(field, f"must be 1 to {max_length} characters")
    refuse_control_characters(field, value)
