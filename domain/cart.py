"""The shopping cart: one per user, a quantity per product, checked against the shelf when it changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.catalog import Product
from domain.errors import InvalidValue, NotInCart
from domain.limits import PurchaseLimits
from domain.shipping import Address, ShippingRates
from domain.values import require_count


@dataclass(slots=True)
class CartItem:
    product_id: int
    quantity: int

    def __post_init__(self) -> None:
        require_count("quantity", self.quantity, minimum=1)


@dataclass(eq=False, slots=True, kw_only=True)
class Cart:
    """A user's cart. Items are keyed by product, so a product appears on one line at most."""

    user_id: int
    items: dict[int, CartItem] = field(default_factory=dict)
    updated_at: datetime | None = None
    id: int | None = None
    shipping_address: Address | None = None
    """Where its order is to go; checkout refuses a cart without one. It stays when the lines go."""

    @property
    def is_empty(self) -> bool:
        return not self.items

    def quantity_of(self, product_id: int) -> int:
        item = self.items.get(product_id)
        return item.quantity if item else 0

    def add(self, product: Product, quantity: int, now: datetime, limits: PurchaseLimits) -> None:
        """Add to the product's line. Refuses a line above the per-line cap, a product no longer
        sold, or more than the shelf holds."""
        if product.id is None:
            raise InvalidValue("product_id", "the product has not been stored yet")
        require_count("quantity", quantity, minimum=1)
        wanted = self.quantity_of(product.id) + quantity
        limits.ensure_line_allowed(product.id, wanted)
        product.ensure_can_supply(wanted)
        self.items[product.id] = CartItem(product.id, wanted)
        self.updated_at = now

    def remove(self, product_id: int, quantity: int | None, now: datetime) -> None:
        """Without a quantity the line goes; with one it shrinks, and goes at zero."""
        item = self.items.get(product_id)
        if item is None:
            raise NotInCart(product_id)
        if quantity is not None:
            require_count("quantity", quantity, minimum=1)
        if quantity is None or quantity >= item.quantity:
            del self.items[product_id]
        else:
            item.quantity -= quantity
        self.updated_at = now

    def ensure_within(self, limits: PurchaseLimits) -> None:
        """Every line within the per-line cap: a line can exceed it when the cap was lowered since,
        or when a failed payment put its lines back on top of new ones (see put_back)."""
        for line in self.lines_by_product_id():
            limits.ensure_line_allowed(line.product_id, line.quantity)

    def take_all(self) -> list[CartItem]:
        """Empty the cart into an order: a cart is ordered once, however many checkouts race."""
        lines = self.lines_by_product_id()
        self.items.clear()
        return lines

    def put_back(self, product_id: int, quantity: int) -> None:
        """Return a line an order took, after its payment failed. Added to whatever the customer put
        in since; not checked against stock (the cart shows what can no longer be bought)."""
        require_count("quantity", quantity, minimum=1)
        self.items[product_id] = CartItem(product_id, self.quantity_of(product_id) + quantity)

    def lines_by_product_id(self) -> list[CartItem]:
        """Lines in ascending product id: the order in which stock rows are locked, so that buyers
        never deadlock."""
        return [self.items[pid] for pid in sorted(self.items)]

    def ship_to(self, address: Address, rates: ShippingRates, now: datetime) -> None:
        """Replace the shipping address; refused, with the cart unchanged, for a country not served."""
        rates.ensure_serves(address.country)
        self.shipping_address = address
        self.updated_at = now
