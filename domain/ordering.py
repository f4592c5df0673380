"""Orders: what was bought, at which price, and whether it was paid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.cart import Cart
from domain.catalog import Product
from domain.errors import CartEmpty, InvalidTransition, InvalidValue, ProductUnavailable
from domain.values import require_count, require_text, require_utc

MAX_ORDER_TOTAL_CENTS = 9_223_372_036_854_775_807


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self is not OrderStatus.PENDING


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

    def __post_init__(self) -> None:
        if not self.items:
            raise InvalidValue("items", "an order holds at least one item")
        self.items = tuple(self.items)
        self.currency = require_text("currency", self.currency, max_length=3).lower()
        require_utc("created_at", self.created_at)
        if self.total_amount_cents > MAX_ORDER_TOTAL_CENTS:
            raise InvalidValue("total_amount_cents", "the order total is too large")
        if isinstance(self.refunded_cents, bool) or not 0 <= self.refunded_cents <= self.total_amount_cents:
            raise InvalidValue("refunded_cents", "must be 0 to the order's total")

    @classmethod
    def place(
        cls,
        user_id: int,
        cart: Cart,
        products: Mapping[int, Product],
        currency: str,
        now: datetime,
    ) -> Order:
        """A PENDING order holding the cart at today's prices. Refuses an empty cart, a product no
        longer sold and a line the shelf cannot fill; it does not move stock itself."""
        if cart.is_empty:
            raise CartEmpty()
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
        return cls(user_id=user_id, currency=currency, items=tuple(items), created_at=now, updated_at=now)

    @property
    def total_amount_cents(self) -> int:
        """Always the sum of the snapshots: there is no other total to drift from."""
        return sum(item.line_total_cents for item in self.items)

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

    def mark_paid(self, now: datetime) -> None:
        self._move_to(OrderStatus.PAID, now)

    def mark_failed(self, now: datetime) -> None:
        self._move_to(OrderStatus.FAILED, now)

    def _move_to(self, target: OrderStatus, now: datetime) -> None:
        if self.status is not OrderStatus.PENDING:
            raise InvalidTransition(self.status.value, target.value)
        self.status = target
        self.updated_at = now
