"""Small builders for the domain unit tests: valid entities with only the interesting fields overridden."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.catalog import Product, Series
from domain.identity import Role, User
from domain.limits import PurchaseLimits
from domain.shipping import Address, ShippingRates
from domain.values import MAX_INT32

NOW = datetime.now(UTC).replace(microsecond=0)
LIMITS = PurchaseLimits(max_quantity_per_line=10, max_pending_orders=2)
"""The contract's defaults (MAX_QUANTITY_PER_LINE, MAX_PENDING_ORDERS_PER_USER)."""
UNCAPPED = PurchaseLimits(max_quantity_per_line=MAX_INT32, max_pending_orders=MAX_INT32)
"""For tests about something other than the caps, whose quantities go above them."""
ADDRESS = Address(
    name="Ann Reader", line1="1 High Street", city="Oxford", postal_code="OX1 1AA", country="GB"
)
FREE_SHIPPING = ShippingRates(every_other_country=0)
"""For tests about something other than shipping: the order's total is its lines'."""


def make_product(**overrides: Any) -> Product:
    fields: dict[str, Any] = {
        "title": "Harry Potter and the Philosopher's Stone",
        "series": Series.HP,
        "author": "J. K. Rowling",
        "price_cents": 1299,
        "stock": 10,
        "created_at": NOW,
    }
    fields.update(overrides)
    return Product(**fields)


def make_user(*, id: int, role: Role = Role.USER, is_active: bool = True) -> User:
    return User(
        email=f"user{id}@example.com",
        password_hash="$argon2id$not-a-real-hash",
        created_at=NOW,
        role=role,
        is_active=is_active,
        id=id,
    )
