"""Orders: what was bought, at which price, and whether it was paid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.cart import Cart
from domain.catalog import Product
from domain.errors import (
    CartEmpty,
    InvalidTransition,
    InvalidValue,
    OrderNotPending,
    OrderNotShippable,
    ProductUnavailable,
)
from domain.fulfilment import NOT_SHIPPED, Fulfilment, Shipment
from domain.refunds import (
    OrderNotRefundable,
    Refund,
    RefundExceedsPayment,
    RefundStatus,
    RestockLine,
    check_restock,
    merged,
    restockable,
)
from domain.shipping import Address, ShippingAddressRequired, ShippingRates
from domain.values import require_count, require_text, require_utc

MAX_ORDER_TOTAL_CENTS = 9_223_372_036_854_775_807


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self is not OrderStatus.PENDING


class PaymentOutcome(StrEnum):
    """What became of the money for an order, as far as the shop can tell (from the charge's answer,
    the provider's webhook, or the payment intent's state)."""

    RECEIVED = "received"
    """The provider received the order's total, in its currency."""
    REFUSED = "refused"
    """No money will come through this payment: declined, cancelled, never sent, or given up on."""
    AWAITED = "awaited"
    """Neither yet: the customer must act, or the provider may have charged and only it can tell."""


class FailureReason(StrEnum):
    """Why an order FAILED: every FAILED order has one."""

    DECLINED = "declined"
    """The card was refused (at checkout, or the provider's payment_failed event)."""
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    """The provider could not be reached at checkout: nothing was charged."""
    EXPIRED = "expired"
    """Nobody paid in time."""
    CANCELLED = "cancelled"
    """The customer cancelled it."""

    @property
    def is_emailed(self) -> bool:
        """Whether the customer is emailed that their order failed: when it expired or was
        cancelled. A decline or an unreachable provider was answered at once (402, 503, or the
        provider's own page during 3-D Secure): the customer already knows."""
        return self in {FailureReason.EXPIRED, FailureReason.CANCELLED}


class Settled(StrEnum):
    """What a payment outcome did to an order (Order.settle)."""

    PAID = "paid"
    FAILED = "failed"
    """Its units are to go back on the shelf."""
    REFUND_DUE = "refund_due"
    """Money was received for an order already FAILED: it is never kept, the order's
    `late_payment_to_refund` is to be given back. The order itself is unchanged."""
    ALREADY_FINAL = "already_final"
    """PAID and FAILED are final: a late or contradicting outcome changes nothing."""
    AWAITING = "awaiting"
    """The order stays PENDING, its stock held, until the outcome is known."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderItem:
    """A line as it was sold. Frozen: what happens to the product later never reaches the order."""

    product_id: int | None
    title_snapshot: str
    price_snapshot: int
    quantity: int

    def __post_init__(self) -> None:
        require_count("price_snapshot", self.price_snapshot)
        require_count("quantity", self.quantity, minimum=1)

    @property
    def line_total_cents(self) -> int:
        return self.price_snapshot * self.quantity


@dataclass(eq=False, slots=True, kw_only=True)
class Order:
    user_id: int
    currency: str
    items: tuple[OrderItem, ...]
    created_at: datetime
    status: OrderStatus = OrderStatus.PENDING
    updated_at: datetime | None = None
    payment_intent_id: str | None = None
    refunded_cents: int = 0
    """How much of what was paid has been given back."""
    id: int | None = None
    shipping_address: Address | None = None
    """Where it goes, as the cart said at checkout; None only for orders placed before shipping."""
    shipping_cents: int = 0
    """What shipping cost at checkout; 0 for orders placed before shipping."""
    fulfilment: Fulfilment = NOT_SHIPPED
    """Where its parcel is (domain.fulfilment); UNFULFILLED until it ships."""
    refunds: tuple[Refund, ...] = ()
    """Every refund asked for or recorded on the order, oldest first (domain.refunds)."""
    failure_reason: FailureReason | None = None
    """Set exactly when the order is FAILED."""
    payment_client_secret: str | None = None
    """What the customer's client needs to complete the payment (3-D Secure), while PENDING."""

    def __post_init__(self) -> None:
        if not self.items:
            raise InvalidValue("items", "an order holds at least one item")
        self.items = tuple(self.items)
        self.currency = require_text("currency", self.currency, max_length=3).lower()
        require_utc("created_at", self.created_at)
        require_count("shipping_cents", self.shipping_cents)
        if self.total_amount_cents > MAX_ORDER_TOTAL_CENTS:
            raise InvalidValue("total_amount_cents", "the order total is too large")
        if isinstance(self.refunded_cents, bool) or not 0 <= self.refunded_cents <= self.total_amount_cents:
            raise InvalidValue("refunded_cents", "must be 0 to the order's total")
        if self.fulfilment.is_shipped and self.status is not OrderStatus.PAID:
            raise InvalidValue("fulfilment", "only a PAID order is ever shipped")
        if (self.failure_reason is None) is (self.status is OrderStatus.FAILED):
            raise InvalidValue("failure_reason", "every FAILED order has a failure reason, and only they")

    @classmethod
    def place(
        cls,
        user_id: int,
        cart: Cart,
        products: Mapping[int, Product],
        currency: str,
        now: datetime,
        *,
        shipping: ShippingRates,
    ) -> Order:
        """A PENDING order holding the cart at today's prices, shipped to the cart's address at
        today's rate. Refuses an empty cart, a cart without a shipping address, a country no longer
        served, a product no longer sold and a line the shelf cannot fill; it does not move stock
        itself."""
        if cart.is_empty:
            raise CartEmpty()
        if cart.shipping_address is None:
            raise ShippingAddressRequired()
        shipping.ensure_serves(cart.shipping_address.country)
        items = []
        for line in cart.lines_by_product_id():
            product = products.get(line.product_id)
            if product is None:
                raise ProductUnavailable(line.product_id)
            product.ensure_can_supply(line.quantity)
            items.append(
                OrderItem(
                    product_id=line.product_id,
                    title_snapshot=product.title,
                    price_snapshot=product.price_cents,
                    quantity=line.quantity,
                )
            )
        lines_total = sum(item.line_total_cents for item in items)
        return cls(
            user_id=user_id,
            currency=currency,
            items=tuple(items),
            created_at=now,
            updated_at=now,
            shipping_address=cart.shipping_address,
            shipping_cents=shipping.price_for(cart.shipping_address.country, lines_total),
        )

    @property
    def total_amount_cents(self) -> int:
        """Always the sum of the snapshots and the shipping: there is no other total to drift from."""
        return sum(item.line_total_cents for item in self.items) + self.shipping_cents

    @property
    def is_final(self) -> bool:
        return self.status.is_final

    def accepts_payment(self, amount_cents: int | None, currency: str | None) -> bool:
        """A payment settles the order only if it is exactly the order's total, in its currency:
        a signed event for one cent does not pay for a book."""
        return (
            amount_cents == self.total_amount_cents
            and currency is not None
            and currency.lower() == self.currency
        )

    @property
    def refundable_cents(self) -> int:
        """What is left to give back of the order's total."""
        return self.total_amount_cents - self.refunded_cents

    @property
    def late_payment_to_refund(self) -> int:
        """A payment that succeeds for an order already FAILED (expired, cancelled, declined and
        then paid after all) is never kept: it is all given back. What is left of it to refund;
        0 for an order that is not FAILED."""
        return self.refundable_cents if self.status is OrderStatus.FAILED else 0

    def record_refund(self, amount_cents: int, now: datetime) -> None:
        """The provider gave `amount_cents` back. Never more than was paid and not yet refunded;
        a PENDING order was paid nothing."""
        if self.status is OrderStatus.PENDING:
            raise InvalidTransition(self.status.value, "refunded")
        if not 1 <= amount_cents <= self.refundable_cents:
            raise InvalidValue("amount_cents", f"must be 1 to {self.refundable_cents}")
        self.refunded_cents += amount_cents
        self.updated_at = now

    def settle(self, outcome: PaymentOutcome, now: datetime, failure_reason: FailureReason) -> Settled:
        """THE rule of payments, for every path that learns what became of one (the checkout's
        charge, the provider's webhook, the expiry, the customer's cancel or new payment): only a
        PENDING order moves, to PAID when the money was received and to FAILED, for
        `failure_reason`, when it will not come; PAID and FAILED are final, so a late or
        contradicting outcome changes nothing; and money received for a FAILED order is never kept
        (REFUND_DUE). The caller puts a FAILED order's units back."""
        if self.status is OrderStatus.PENDING:
            if outcome is PaymentOutcome.RECEIVED:
                self.mark_paid(now)
                return Settled.PAID
            if outcome is PaymentOutcome.REFUSED:
                self.mark_failed(now, failure_reason)
                return Settled.FAILED
            return Settled.AWAITING
        if outcome is PaymentOutcome.RECEIVED and self.late_payment_to_refund:
            return Settled.REFUND_DUE
        return Settled.ALREADY_FINAL

    def link_payment(self, payment_intent_id: str | None) -> None:
        """The first payment intent named for the order is its payment; a later one never replaces it."""
        if self.payment_intent_id is None:
            self.payment_intent_id = payment_intent_id

    def mark_paid(self, now: datetime) -> None:
        self._move_to(OrderStatus.PAID, now)

    def mark_failed(self, now: datetime, reason: FailureReason) -> None:
        self._move_to(OrderStatus.FAILED, now)
        self.failure_reason = reason

    def _move_to(self, target: OrderStatus, now: datetime) -> None:
        if self.status is not OrderStatus.PENDING:
            raise InvalidTransition(self.status.value, target.value)
        self.status = target
        self.updated_at = now
        self.payment_client_secret = None  # a final order takes no payment

    @property
    def is_refunded_in_full(self) -> bool:
        return self.refunded_cents > 0 and self.refundable_cents == 0

    def ship(self, shipment: Shipment, now: datetime) -> None:
        """THE rule of shipping: only a PAID order that was not refunded in full leaves the shop,
        and only once (Fulfilment.shipped). Payment and fulfilment stay apart: the order stays PAID."""
        if self.status is not OrderStatus.PAID:
            raise OrderNotShippable(self.id, f"it is {self.status.value}, not PAID")
        if self.is_refunded_in_full:
            raise OrderNotShippable(self.id, "it was refunded in full")
        self.fulfilment = self.fulfilment.shipped(self.id, shipment, now)
        self.updated_at = now

    def deliver(self, now: datetime) -> None:
        """The carrier delivered a SHIPPED order (Fulfilment.delivered). A delivery is a fact: it is
        recorded even when the order was refunded while on its way."""
        self.fulfilment = self.fulfilment.delivered(self.id, now)
        self.updated_at = now

    # --- refunds (domain.refunds) -----------------------------------------------------------------

    @property
    def refund_held_cents(self) -> int:
        """What PENDING refunds hold: asked for, not yet answered by the provider."""
        return sum(r.amount_cents for r in self.refunds if r.status is RefundStatus.PENDING)

    @property
    def refund_left_cents(self) -> int:
        """What staff may still ask to give back: the total, less what was refunded and what
        PENDING refunds hold."""
        return max(self.refundable_cents - self.refund_held_cents, 0)

    def refund_asked_with(self, requested_by: int | None, idempotency_key: str | None) -> Refund | None:
        """The refund this person asked for with this Idempotency-Key before, if any."""
        return next((r for r in self.refunds if r.is_asked_again(requested_by, idempotency_key)), None)

    def refund_made_as(self, provider_refund_id: str) -> Refund | None:
        return next((r for r in self.refunds if r.provider_refund_id == provider_refund_id), None)

    def ask_refund(
        self,
        *,
        amount_cents: int | None,
        now: datetime,
        reason: str | None = None,
        restock: tuple[RestockLine, ...] = (),
        requested_by: int | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        """THE rule of refunds staff ask for: only a PAID order; never more than is left
        (`refund_left_cents`, which counts PENDING refunds, so refunds asked at once never add up
        to more than was paid); by default all that is left; units back on the shelf at most as
        many as the order holds of each product, counting earlier refunds' restocks. The refund is
        PENDING, holding its amount, until `settle_refund`."""
        if self.id is None:
            raise ValueError("an unsaved order cannot be refunded")
        if self.status is not OrderStatus.PAID:
            raise OrderNotRefundable(self.id, self.status.value)
        left = self.refund_left_cents
        if amount_cents is not None and (isinstance(amount_cents, bool) or amount_cents < 1):
            raise InvalidValue("amount_cents", "must be at least 1")
        amount = left if amount_cents is None else amount_cents
        if left == 0 or amount > left:
            raise RefundExceedsPayment(amount_cents, left)
        lines = merged(restock)
        check_restock(lines, restockable(self._units_by_product(), self.refunds))
        refund = Refund(
            order_id=self.id,
            amount_cents=amount,
            created_at=now,
            reason=reason,
            restocked=lines,
            requested_by=requested_by,
            idempotency_key=idempotency_key,
            updated_at=now,
        )
        self.refunds = (*self.refunds, refund)
        return refund

    def settle_refund(
        self, refund_id: int, status: RefundStatus, now: datetime, provider_refund_id: str | None = None
    ) -> Refund | None:
        """The provider's answer about one of the order's PENDING refunds: SUCCEEDED adds its amount
        to `refunded_cents` (the caller then puts its units back on the shelf), FAILED frees what
        it held. Only a PENDING refund moves: the refund as it is now, or None when the answer
        changes nothing (told before, or PENDING again)."""
        index, refund = next((n, r) for n, r in enumerate(self.refunds) if r.id == refund_id)
        if refund.status is not RefundStatus.PENDING or status is RefundStatus.PENDING:
            return None
        if status is RefundStatus.SUCCEEDED:
            self.refunded_cents += min(refund.amount_cents, self.refundable_cents)
        settled = refund.settled(status, now, provider_refund_id)
        self.refunds = (*self.refunds[:index], settled, *self.refunds[index + 1 :])
        self.updated_at = now
        return settled

    def record_refund_made_outside(
        self,
        *,
        amount_cents: int,
        now: datetime,
        provider_refund_id: str | None = None,
        reason: str | None = None,
    ) -> Refund | None:
        """The provider gave money back without staff asking through the shop (its dashboard, or
        the shop's automatic refund of a late payment): recorded SUCCEEDED, once per provider
        refund id, and never beyond what is left of the total. None when there is nothing to
        record (known already, or nothing left). A PENDING order was paid nothing."""
        if self.id is None:
            raise ValueError("an unsaved order cannot be refunded")
        if self.status is OrderStatus.PENDING:
            raise InvalidTransition(self.status.value, "refunded")
        if provider_refund_id is not None and self.refund_made_as(provider_refund_id) is not None:
            return None
        amount = min(amount_cents, self.refundable_cents)
        if amount < 1:
            return None
        self.record_refund(amount, now)
        refund = Refund(
            order_id=self.id,
            amount_cents=amount,
            created_at=now,
            status=RefundStatus.SUCCEEDED,
            reason=reason,
            provider_refund_id=provider_refund_id,
            updated_at=now,
        )
        self.refunds = (*self.refunds, refund)
        return refund

    def _units_by_product(self) -> dict[int, int]:
        units: dict[int, int] = {}
        for item in self.items:
            if item.product_id is not None:
                units[item.product_id] = units.get(item.product_id, 0) + item.quantity
        return units

    def ensure_pending(self, action: str) -> None:
        """Only a PENDING order can be cancelled or paid for again: PAID and FAILED are final."""
        if self.status is not OrderStatus.PENDING:
            raise OrderNotPending(self.id, self.status.value, action)

    def await_customer(self, client_secret: str | None) -> None:
        """The provider needs the customer to act (3-D Secure): keep what their client needs to
        complete the payment, so that a client that reloads can still do it. Only while PENDING."""
        if self.status is OrderStatus.PENDING and client_secret is not None:
            self.payment_client_secret = client_secret

    @property
    def client_secret_for_owner(self) -> str | None:
        """What the order's owner (and nobody else) is shown: the client secret while PENDING."""
        return self.payment_client_secret if self.status is OrderStatus.PENDING else None
