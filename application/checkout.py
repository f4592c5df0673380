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

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from application.errors import NotFound, PaymentDeclined, PaymentUnavailable
from application.order_settlement import settle_order
from application.ports import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    Clock,
    PaymentProvider,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.stock import move_stock
from domain.catalog import Product
from domain.errors import CartEmpty
from domain.limits import PurchaseLimits
from domain.ordering import FailureReason, Order, OrderStatus, PaymentOutcome
from domain.shipping import DEFAULT_SHIPPING_RATES, ShippingRates
from domain.values import require_token

PAYMENT_METHOD_MAX_LENGTH = 255

OnReserved = Callable[[UnitOfWork, Order], Awaitable[None]]
"""Called in the reservation's transaction once the order is written, to record something with it."""

_PAYMENT_OUTCOMES = {
    ChargeOutcome.SUCCEEDED: PaymentOutcome.RECEIVED,
    ChargeOutcome.REQUIRES_ACTION: PaymentOutcome.AWAITED,
    # It may have been charged: like a payment awaiting the customer, the order stays PENDING with
    # its stock, and its lines do not go back to the cart (no double buy).
    ChargeOutcome.UNKNOWN: PaymentOutcome.AWAITED,
    ChargeOutcome.DECLINED: PaymentOutcome.REFUSED,
    ChargeOutcome.UNAVAILABLE: PaymentOutcome.REFUSED,
}
_FAILURE_REASONS = {ChargeOutcome.UNAVAILABLE: FailureReason.PAYMENT_UNAVAILABLE}
"""Why a refused charge fails the order: declined, unless the provider could not be reached."""


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: Order
    client_secret: str | None = None
    """Only for a PENDING order: what the client needs to complete the payment."""


def provider_idempotency_key(order_id: int) -> str:
    """One payment per order: whoever retries the charge of an order, the provider charges once."""
    return f"bookshop-order-{order_id}"


def check_payment_method(payment_method_id: str | None) -> None:
    if payment_method_id is not None:
        require_token("payment_method_id", payment_method_id, max_length=PAYMENT_METHOD_MAX_LENGTH)


class Checkout:
    """A customer pays for their cart.

    - Nothing changes (no order, no stock moved) when the cart is empty or has no shipping address,
      its country is no longer served, a product is no longer sold or out of stock, a line is above
      the per-line cap, the customer already holds the most unpaid orders allowed, or the account
      is inactive (or, with REQUIRE_VERIFIED_EMAIL, its address is not verified).
    - The order keeps the cart's address and today's shipping price; its total is the lines plus
      shipping, and that total is what the provider is asked to charge.
    - The cart is emptied into the order, so concurrent checkouts of one cart make one order.
    - A declined card or a provider unreachable before anything was sent leaves a FAILED order,
      the stock back, and the lines back in the cart; a provider that may have charged (no answer
      after sending, a 5xx) leaves the order PENDING, its stock held and its lines out of the cart,
      until the provider's webhook or the expiry (which asks the provider) settles it.
    - A charge that succeeds for an order settled FAILED meanwhile leaves it FAILED: the provider's
      webhook for that payment has it refunded (SettlePayment).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        provider: PaymentProvider,
        clock: Clock,
        currency: str,
        limits: PurchaseLimits,
        *,
        shipping: ShippingRates = DEFAULT_SHIPPING_RATES,
        require_verified_email: bool = False,
    ) -> None:
        self._require_verified_email = require_verified_email
        self._uow = uow
        self._provider = provider
        self._clock = clock
        self._currency = currency
        self._limits = limits
        self._shipping = shipping

    async def __call__(
        self, user_id: int, payment_method_id: str | None = None, *, on_reserved: OnReserved | None = None
    ) -> CheckoutResult:
        check_payment_method(payment_method_id)
        order = await self._reserve(user_id, on_reserved)
        charge = await self._charge(order, payment_method_id)
        order = await self._settle(order, charge)
        return _answer(order, charge)

    async def _reserve(self, user_id: int, on_reserved: OnReserved | None) -> Order:
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("user", user_id)
            user.ensure_may_check_out(require_verified_email=self._require_verified_email)
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
            order = Order.place(user_id, cart, products, self._currency, now, shipping=self._shipping)
            for line in cart.take_all():
                product = products[line.product_id]
                await move_stock(uow, product, Product.withdraw, uow.products.withdraw_stock, line.quantity)
            await uow.carts.save(cart)
            await uow.orders.add(order)
            if on_reserved is not None:
                await on_reserved(uow, order)
            await uow.commit()
        return order

    async def _charge(self, order: Order, payment_method_id: str | None) -> ChargeResult:
        assert order.id is not None
        return await self._provider.charge(
            ChargeRequest(
                order_id=order.id,
                amount_cents=order.total_amount_cents,
                currency=order.currency,
                payment_method_id=payment_method_id,
                idempotency_key=provider_idempotency_key(order.id),
            )
        )

    async def _settle(self, reserved: Order, charge: ChargeResult) -> Order:
        """Locks in the order every path takes them (cart, then order, then products), so a
        settlement and a concurrent checkout of the same customer never deadlock."""
        now = self._clock.now()
        outcome = _PAYMENT_OUTCOMES[charge.outcome]
        async with self._uow() as uow:
            cart = await uow.carts.get_for_update(reserved.user_id, now)
            order = await uow.orders.get(reserved.id or 0, for_update=True)
            if order is None:
                raise NotFound("order", reserved.id)
            order.link_payment(charge.payment_intent_id)
            reason = _FAILURE_REASONS.get(charge.outcome, FailureReason.DECLINED)
            await settle_order(uow, order, outcome, now, reason)
            if charge.outcome is ChargeOutcome.REQUIRES_ACTION:
                order.await_customer(charge.client_secret)
            if outcome is PaymentOutcome.REFUSED:
                for item in order.items:
                    if item.product_id is not None:
                        cart.put_back(item.product_id, item.quantity)
            await uow.orders.update_status(order)
            if cart.is_empty:
                await uow.carts.delete_for_user(order.user_id)
            else:
                await uow.carts.save(cart)
            await uow.commit()
        return order


def _answer(order: Order, charge: ChargeResult) -> CheckoutResult:
    assert order.id is not None
    if charge.outcome is ChargeOutcome.DECLINED:
        raise PaymentDeclined(order.id, charge.message)
    if charge.outcome in {ChargeOutcome.UNAVAILABLE, ChargeOutcome.UNKNOWN}:
        raise PaymentUnavailable(order.id)
    client_secret = charge.client_secret if order.status is OrderStatus.PENDING else None
    return CheckoutResult(order=order, client_secret=client_secret)
