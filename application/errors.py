"""Refusals that belong to a use case rather than to an entity's own rules."""

from __future__ import annotations


class ApplicationError(Exception):
    """A use case refused the request."""


class NotFound(ApplicationError):
    def __init__(self, resource: str, identifier: object) -> None:
        super().__init__(f"{resource} {identifier} was not found")
        self.resource = resource
        self.identifier = identifier


class EmailTaken(ApplicationError):
    def __init__(self) -> None:
        super().__init__("an account with this email already exists")


class InvalidCredentials(ApplicationError):
    def __init__(self) -> None:
        super().__init__("the email or the password is wrong")


class InvalidRefreshToken(ApplicationError):
    def __init__(self) -> None:
        super().__init__("the refresh token is unknown, expired or revoked")


class InvalidAccessToken(ApplicationError):
    def __init__(
        self, reason: str = "the access token is missing, malformed, expired or tampered with"
    ) -> None:
        super().__init__(reason)


class Forbidden(ApplicationError):
    def __init__(self, reason: str = "this route is for shop staff only") -> None:
        super().__init__(reason)


class StoreUnavailable(ApplicationError):
    """The database could not be reached or timed out; nothing was written. Worth a retry later."""

    def __init__(self) -> None:
        super().__init__("the shop's database is unavailable; try again shortly")


class TooManyAttempts(ApplicationError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after_seconds} seconds")
        self.retry_after_seconds = retry_after_seconds


class CounterUnavailable(ApplicationError):
    """The shared attempt counter (Redis) could not be reached, or not in time."""

    def __init__(self) -> None:
        super().__init__("the attempt counter is unavailable")


class PasswordHashingBusy(ApplicationError):
    """Every place in this process's password-hashing queue is taken: answered at once (503 with
    Retry-After) rather than queued for seconds behind a login storm."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"the shop is busy signing people in; try again in {retry_after_seconds} seconds")
        self.retry_after_seconds = retry_after_seconds


class InvalidWebhook(ApplicationError):
    """A webhook whose signature is missing, wrong or stale, or whose payload is not an event."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the webhook was refused: {reason}")
        self.reason = reason


class IdempotencyKeyReused(ApplicationError):
    def __init__(self) -> None:
        super().__init__("a checkout with this Idempotency-Key is still running")


class PaymentDeclined(ApplicationError):
    """The card was refused. At checkout the order is kept as FAILED, its stock restored, the cart
    kept; paying an order again, the order stays PENDING with its stock, for another attempt."""

    def __init__(self, order_id: int, reason: str | None = None) -> None:
        super().__init__(f"the payment for order {order_id} was declined" + (f": {reason}" if reason else ""))
        self.order_id = order_id
        self.problem_extra = {"order_id": order_id}


class PaymentUnavailable(ApplicationError):
    """The payment provider could not be used. Nothing was charged (the order is FAILED) or it may
    have been (the order stays PENDING until the provider's webhook or the expiry settles it)."""

    def __init__(self, order_id: int) -> None:
        super().__init__(
            f"the payment provider could not take the payment for order {order_id}; try again later"
        )
        self.order_id = order_id
        self.problem_extra = {"order_id": order_id}


class RefundUnavailable(ApplicationError):
    """A payment that must be given back could not be refunded now (the provider was unreachable,
    answered with an error, or refused). Nothing is recorded as refunded; the provider's next
    delivery of the event tries again, with the same idempotency key."""

    def __init__(self, order_id: int) -> None:
        super().__init__(
            f"the refund of a late payment for order {order_id} could not be made; try again later"
        )
        self.order_id = order_id
        self.problem_extra = {"order_id": order_id}


class RefundNotMade(ApplicationError):
    """Staff asked for a refund the provider could not make now: unreachable or refusing for now
    (the refund is FAILED, nothing was given back), or no clear answer (it stays PENDING, holding
    its amount; the same Idempotency-Key again, or the provider's refund event, settles it)."""

    def __init__(self, order_id: int, refund_id: int, *, pending: bool) -> None:
        super().__init__(
            f"the payment provider gave no clear answer for refund {refund_id} of order {order_id}: it "
            "stays PENDING until the provider tells; send the same Idempotency-Key again to ask"
            if pending
            else f"the payment provider could not make refund {refund_id} of order {order_id}; nothing "
            "was refunded; try again later"
        )
        self.order_id = order_id
        self.refund_id = refund_id
        self.problem_extra = {"order_id": order_id, "refund_id": refund_id}


class RefundRefused(ApplicationError):
    """The provider refused the refund (e.g. the payment was already refunded in its dashboard):
    the refund is FAILED, nothing was given back."""

    def __init__(self, order_id: int, refund_id: int, reason: str | None = None) -> None:
        super().__init__(
            f"the payment provider refused refund {refund_id} of order {order_id}"
            + (f": {reason}" if reason else "")
        )
        self.order_id = order_id
        self.refund_id = refund_id
        self.problem_extra = {"order_id": order_id, "refund_id": refund_id}


class InvalidAccountToken(ApplicationError):
    """A password-reset or email-verification token that is unknown, already used or expired."""

    def __init__(self) -> None:
        super().__init__("this token is unknown, already used or expired")
