"""The ports: what the use cases need from the outside world, and the rules every adapter must keep.

Each port is a small Protocol named for the role it plays. Adapters (SQLAlchemy, in-memory, argon2,
JWT, Stripe) implement them; use cases only ever see these names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from domain.cart import Cart
from domain.catalog import Product, Series
from domain.identity import RefreshToken, Role, User
from domain.ordering import Order


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> User:
        """Store a new user and set its id. Raises EmailTaken when the email is already registered,
        also when another transaction registers it at the same moment."""
        ...

    async def get(self, user_id: int) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None:
        """Look up by the normalized (lower-case) email."""
        ...

    async def update(self, user: User) -> None:
        """Write role, activity and password hash back."""
        ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def consume(self, token_hash: str, now: datetime) -> bool:
        """Revoke the token if it is live (not revoked, not expired), as one atomic step.

        True only for the one caller that revoked it: of ten concurrent refreshes of one token,
        exactly one gets True."""
        ...

    async def revoke(self, token_hash: str, now: datetime) -> None:
        """Revoke the token if it is not revoked yet; revoking twice changes nothing."""
        ...

    async def revoke_all_for_user(self, user_id: int, now: datetime) -> int:
        """Revoke every live token of the user; returns how many were revoked."""
        ...


class ProductRepository(Protocol):
    async def add(self, product: Product) -> Product:
        """Store a new product and set its id."""
        ...

    async def get(self, product_id: int) -> Product | None: ...

    async def find(self, title: str, series: Series) -> Product | None:
        """The first product with exactly this title in this series, if any."""
        ...

    async def get_many(self, product_ids: Iterable[int]) -> dict[int, Product]:
        """The products that exist among product_ids, keyed by id, in one round trip."""
        ...

    async def update_details(self, product: Product) -> Product:
        """Write title, series, author, price and is_active back, and return the product as stored.
        Never stock: a concurrent stock change must not be lost to a stale copy."""
        ...

    async def withdraw_stock(self, product_id: int, quantity: int) -> bool:
        """Take quantity off the shelf if the product is active and holds at least that much, as one
        atomic step (a conditional UPDATE); False, and nothing changed, otherwise."""
        ...

    async def return_stock(self, product_id: int, quantity: int) -> None:
        """Put quantity back on the shelf (an order failed). A product that no longer exists is skipped."""
        ...

    async def adjust_stock(self, product_id: int, delta: int) -> Product | None:
        """Move stock by delta as one atomic step, never below zero nor above MAX_INT32. The product
        as it is after the change, or None (nothing changed) when the product is missing or the
        result would be out of bounds."""
        ...

    async def set_stock(self, product_id: int, stock: int) -> Product | None:
        """Set stock to an absolute value; None when the product is missing."""
        ...


class CartRepository(Protocol):
    async def get_for_user(self, user_id: int) -> Cart | None: ...

    async def get_for_update(self, user_id: int, now: datetime) -> Cart:
        """The user's cart, created empty if there is none, locked until the transaction ends, so two
        concurrent changes to one cart happen one after the other."""
        ...

    async def save(self, cart: Cart) -> None:
        """Write the cart's lines back: new lines added, changed ones updated, removed ones deleted."""
        ...

    async def delete_for_user(self, user_id: int) -> None: ...


class OrderRepository(Protocol):
    async def add(self, order: Order) -> Order:
        """Store a new order with its items and set its id."""
        ...

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        """With for_update, the order is locked until the transaction ends, so two settlements of
        one order happen one after the other."""
        ...

    async def get_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        """The order paid through this payment intent, locked like get(..., for_update=True)."""
        ...

    async def update_status(self, order: Order) -> None:
        """Write status, payment intent id and updated_at back. Items never change."""
        ...

    async def count_pending(self, user_id: int) -> int:
        """How many PENDING orders the user holds. Checkout reads it after locking the user's cart,
        in the transaction that writes the new order: the cart lock serialises one user's
        checkouts, so each sees every order the ones before it placed (the cap on unpaid orders
        holds under concurrent checkouts)."""
        ...

    async def lock_pending_before(self, cutoff: datetime, limit: int) -> list[Order]:
        """Up to `limit` PENDING orders created before `cutoff`, oldest first, each locked until the
        transaction ends. Orders another transaction holds are skipped (not waited for), so several
        hosts expiring at once share the work instead of queueing on it."""
        ...


class IdempotencyState(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class CheckoutOutcomeKind(StrEnum):
    ORDER = "order"
    DECLINED = "declined"
    UNAVAILABLE = "unavailable"


@dataclass(slots=True, kw_only=True)
class IdempotencyRecord:
    """What became of a checkout sent with an Idempotency-Key (keys are per user)."""

    user_id: int
    key: str
    state: IdempotencyState
    created_at: datetime
    order_id: int | None = None
    outcome: CheckoutOutcomeKind | None = None
    client_secret: str | None = None


class IdempotencyKeyRepository(Protocol):
    async def claim(self, user_id: int, key: str, now: datetime) -> IdempotencyRecord | None:
        """Record the key as in progress and return None, or, when the user already used it, return
        that record unchanged. Of concurrent claims of one key, exactly one gets None."""
        ...

    async def take_over(self, user_id: int, key: str, stale_before: datetime, now: datetime) -> bool:
        """Restart an abandoned claim: one still in progress, with no order, created before
        `stale_before`. True for the one caller that took it over."""
        ...

    async def attach_order(self, user_id: int, key: str, order_id: int) -> None: ...

    async def complete(
        self, user_id: int, key: str, outcome: CheckoutOutcomeKind, client_secret: str | None
    ) -> None: ...

    async def release(self, user_id: int, key: str) -> None:
        """Forget the key (the checkout was refused before anything happened)."""
        ...


class PaymentEventLog(Protocol):
    async def record(self, event_id: str, now: datetime) -> bool:
        """Note an event as handled; False when it already was (a redelivery)."""
        ...


class UnitOfWork(Protocol):
    """One transaction. `async with uow:` opens it; `await uow.commit()` makes its writes durable;
    leaving the block without committing rolls every write back."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
    @property
    def products(self) -> ProductRepository: ...
    @property
    def carts(self) -> CartRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def idempotency_keys(self) -> IdempotencyKeyRepository: ...
    @property
    def payment_events(self) -> PaymentEventLog: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class PasswordHasher(Protocol):
    """Slow, salted password hashing. Both methods run off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when password matches; False for a wrong password or a hash it cannot read."""
        ...

    async def verify_dummy(self, password: str) -> None:
        """Spend the time a real verification would, for an account that does not exist, so a
        login for an unknown email answers no faster than one with a wrong password."""
        ...


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    role: Role
    expires_at: datetime


class TokenService(Protocol):
    @property
    def access_token_ttl_seconds(self) -> int: ...

    def issue_access_token(self, user: User, now: datetime) -> str:
        """A signed, short-lived access token carrying the user's id and role."""
        ...

    def read_access_token(self, token: str) -> AccessClaims:
        """The claims of a valid access token. Raises InvalidAccessToken for anything else: bad
        signature, another algorithm, no or past expiry, or a token that is not an access token."""
        ...

    def new_refresh_token(self) -> str:
        """An opaque random token of at least 256 bits."""
        ...

    def hash_refresh_token(self, token: str) -> str:
        """The only form in which a refresh token is stored."""
        ...


class ChargeOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"
    UNAVAILABLE = "unavailable"
    """The provider could not be reached or answered with an error; nothing was charged."""
    UNKNOWN = "unknown"
    """The request may have reached the provider (a timeout after sending): it may have charged."""


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    order_id: int
    amount_cents: int
    currency: str
    payment_method_id: str | None
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class ChargeResult:
    outcome: ChargeOutcome
    payment_intent_id: str | None = None
    client_secret: str | None = None
    message: str | None = None


class PaymentProvider(Protocol):
    async def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge the amount once, as a payment intent carrying metadata order_id.

        - With a payment method: confirm it now. SUCCEEDED, DECLINED (the card was refused), or
          REQUIRES_ACTION (the customer must act, e.g. 3-D Secure) with a client secret.
        - Without one: REQUIRES_ACTION with a client secret, for the client to confirm.
        - Sending the same idempotency_key again must never charge twice.
        - Never raises for a provider failure: UNAVAILABLE when nothing can have been charged
          (unreachable, refused, an error answer), UNKNOWN when it may have been (a timeout after
          the request was sent).
        Client secrets keep Stripe's format `<payment_intent_id>_secret_<random>`."""
        ...


class PaymentEventKind(StrEnum):
    SUCCEEDED = "payment_intent.succeeded"
    FAILED = "payment_intent.payment_failed"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A provider's notification about a payment, already authenticated."""

    event_id: str
    kind: PaymentEventKind
    payment_intent_id: str | None = None
    order_id: int | None = None
    """From the payment intent's metadata.order_id, when present and a whole number."""


@runtime_checkable
class WebhookVerifier(Protocol):
    def verify(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """Check the signature header over the raw payload (Stripe's v1 scheme, 300 s tolerance)
        and read the event. Raises InvalidWebhook for a missing, malformed, wrong or stale
        signature, or a payload that is not an event."""
        ...


@runtime_checkable
class DatabaseProbe(Protocol):
    async def is_up(self) -> bool:
        """True when the store answers a trivial query within a couple of seconds."""
        ...


@dataclass(frozen=True, slots=True)
class WindowCount:
    attempts: int
    """Attempts in the current window, this one included."""
    resets_in_seconds: int
    """Seconds until the window closes and the count starts again (at least 1)."""


class AttemptCounter(Protocol):
    """Fixed-window counting for rate limits. Counting must be atomic: of N concurrent hits on one
    key, from any number of processes sharing the counter, each sees a distinct count."""

    async def hit(self, key: str, window_seconds: int) -> WindowCount: ...
