"""Rules the domain refuses to break. Each error names the rule, never an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the operation."""


class InvalidValue(DomainError):
    """A value breaks an invariant of the entity it was meant for."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InsufficientStock(DomainError):
    def __init__(self, product_id: int, requested: int, available: int) -> None:
        super().__init__(
            f"product {product_id} has {available} in stock; {requested} requested"
            if requested > 0
            else f"product {product_id} has {available} in stock; the change would take it below zero"
        )
        self.product_id = product_id
        self.requested = requested
        self.available = available


class QuantityAboveLimit(InvalidValue):
    """A line above the per-line cap (see domain.limits): a malformed request, not a state conflict."""

    def __init__(self, product_id: int, quantity: int, limit: int) -> None:
        super().__init__(
            "quantity", f"at most {limit} of a product per order; product {product_id} would have {quantity}"
        )
        self.product_id = product_id
        self.quantity = quantity
        self.limit = limit


class TooManyPendingOrders(DomainError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"you already hold {limit} unpaid orders: pay for or cancel one before checking out again"
        )
        self.limit = limit


class ProductUnavailable(DomainError):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"product {product_id} is no longer sold")
        self.product_id = product_id


class NotInCart(DomainError):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"product {product_id} is not in the cart")
        self.product_id = product_id


class CartEmpty(DomainError):
    def __init__(self) -> None:
        super().__init__("the cart is empty")


class InvalidTransition(DomainError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"an order that is {current} cannot become {target}")
        self.current = current
        self.target = target


class AccountInactive(DomainError):
    def __init__(self) -> None:
        super().__init__("this account has been deactivated")


class SessionEnded(DomainError):
    """A session opened before the account's password, role or state changed."""

    def __init__(self) -> None:
        super().__init__("this session has ended: the account changed since it began; log in again")


class SelfLockout(DomainError):
    """An admin tried to deactivate or demote themself, which would lock the shop out of its back office."""

    def __init__(self, action: str) -> None:
        super().__init__(f"an admin cannot {action} themself")
        self.action = action


class OrderNotShippable(DomainError):
    """A step of fulfilment the order is not ready for: shipping one that is not PAID, was refunded
    in full or is already shipped; delivering one that is not SHIPPED."""

    def __init__(self, order_id: int | None, reason: str, *, delivering: bool = False) -> None:
        step = "delivered" if delivering else "shipped"
        super().__init__(f"order {order_id} cannot be {step}: {reason}")
        self.order_id = order_id
        self.reason = reason


class OrderNotPending(DomainError):
    """Cancelling an order, or paying for it again, once it is PAID or FAILED."""

    def __init__(self, order_id: int | None, status: str, action: str) -> None:
        super().__init__(f"order {order_id} is {status}: only a PENDING order can be {action}")
        self.order_id = order_id
        self.status = status
        self.action = action


class EmailNotVerified(DomainError):
    """The shop asks for a verified address (REQUIRE_VERIFIED_EMAIL) before this."""

    def __init__(self) -> None:
        super().__init__(
            "verify your email address before checking out: follow the link in the email the shop sent "
            "(POST /auth/verify-email/resend sends another)"
        )
