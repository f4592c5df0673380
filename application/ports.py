"""The ports: what the use cases need from the outside world, and the rules every adapter must keep.

Each port is a small Protocol named for the role it plays. Adapters (SQLAlchemy, in-memory, argon2,
JWT, Stripe) implement them; use cases only ever see these names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from application.idempotency import CheckoutOutcomeKind, IdempotencyRecord
from application.outbox import ContextValue, Email, OutboxMessage, RenderedMessage, StoredMessage
from domain.account_tokens import AccountToken, TokenPurpose
from domain.cart import Cart
from domain.catalog import Product, Series
from domain.identity import RefreshToken, Role, User
from domain.ordering import Order
from domain.refunds import Refund


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> User:
        """Store a new user and set its id. Raises EmailTaken when the email is already registered,
        also when another transaction registers it at the same moment."""
        ...

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        """With for_update, the user's row is locked until the transaction ends, so a sign-in or a
        refresh and a change of the account (password, role, state) happen one after the other."""
        ...

    async def get_by_email(self, email: str, *, for_update: bool = False) -> User | None:
        """Look up by the normalized email; for_update locks the row as get() does."""
        ...

    async def update(self, user: User) -> None:
        """Write role, activity, password hash and session_version back."""
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
    """Stock moves only through the four stock methods below, each the store's atomic copy of one of
    Product's stock methods (the stock rule: never below zero nor above MAX_INT32, nothing taken
    from a product off sale). Each refuses exactly when the Product method would, and then changes
    nothing, also under concurrent writers (a conditional UPDATE; a CHECK constraint behind it)."""

    async def add(self, product: Product) -> Product:
        """Store a new product and set its id."""
        ...

    async def get(self, product_id: int, *, for_update: bool = False) -> Product | None:
        """With for_update, the product's row is locked until the transaction ends: its stock cannot
        move meanwhile but through this transaction."""
        ...

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
        """Product.withdraw as one atomic step: True when taken; False, and nothing changed, when the
        product is missing or the rule refuses."""
        ...

    async def return_stock(self, product_id: int, quantity: int) -> None:
        """Product.replenish (an order failed) as one atomic step. A product that no longer exists is
        skipped."""
        ...

    async def adjust_stock(self, product_id: int, delta: int) -> Product | None:
        """Product.adjust_stock as one atomic step (so concurrent deltas all count): the product as it
        is after the change, or None, and nothing changed, when the product is missing or the rule
        refuses."""
        ...

    async def set_stock(self, product_id: int, stock: int) -> Product | None:
        """Product.set_stock as one atomic step: the product as it is after the change, or None, and
        nothing changed, when the product is missing or the rule refuses."""
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
        """Write status, payment intent id, refunded cents and updated_at back. Items never change."""
        ...

    async def count_pending(self, user_id: int) -> int:
        """How many PENDING orders the user holds. Checkout reads it after locking the user's cart,
        in the transaction that writes the new order: the cart lock serialises one user's
        checkouts, so each sees every order the ones before it placed (the cap on unpaid orders
        holds under concurrent checkouts)."""
        ...

    async def pending_before(self, cutoff: datetime, limit: int, after_id: int = 0) -> list[Order]:
        """Up to `limit` PENDING orders created before `cutoff` whose id is above `after_id`, by id.
        Nothing is locked (the caller asks the payment provider about them first, and must not hold
        a lock meanwhile): whoever settles one locks it with get(..., for_update=True) and checks that
        it is still PENDING."""
        ...

    async def update_fulfilment(self, order: Order) -> None:
        """Write the order's fulfilment (status, carrier, tracking number, shipped_at,
        delivered_at) and updated_at back. The caller holds the order's lock (get(...,
        for_update=True)), so two steps of one order's fulfilment happen one after the other."""
        ...


class IdempotencyKeyRepository(Protocol):
    """The records of checkouts sent with an Idempotency-Key (application.idempotency)."""

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


class RefundRepository(Protocol):
    """An order's refunds are loaded with it (Order.refunds, oldest first) by the order repository
    and the order queries; they are written here, under the order's lock."""

    async def add(self, refund: Refund) -> Refund:
        """Store a new refund and return it with its id. A provider refund id is stored once (a
        unique constraint backs Order.record_refund_made_outside), as is an idempotency key per
        order and person."""
        ...

    async def update(self, refund: Refund) -> None:
        """Write status, provider refund id and updated_at back."""
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
    @property
    def refunds(self) -> RefundRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def account_tokens(self) -> AccountTokenRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make the writes durable. When they changed the catalogue (a product added or edited, any
        stock move), the CatalogueVersion has moved on by the time this returns, and only after
        the writes became visible to other transactions."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class CatalogueVersion(Protocol):
    """A number that every committed change to the catalogue moves on (the unit of work moves it:
    see UnitOfWork.commit), shared by every worker and host that share the store.

    It moves only once the change is visible, so a catalogue read that starts after `current()`
    returned v sees every change that moved the version up to v: an answer read that way stays
    current for as long as the version is still v, and may be served from a cache until then.
    Values are only ever compared for equality (a store that is reset may start again lower)."""

    async def current(self) -> int:
        """The version as a read started after this call found it. StoreUnavailable when it cannot
        be read (the caller then has no way to know a cached answer is current)."""
        ...


class PasswordHasher(Protocol):
    """Slow, salted password hashing. Every method runs off the event loop, in a bounded queue:
    when the queue is full, a call raises PasswordHashingBusy at once instead of waiting its turn
    for seconds (a login storm must not make every login, and the CPU, wait)."""

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
    session_version: int
    """The user's session_version when the token was issued: a token of an earlier version is
    refused (the password, role or account state changed since)."""


class TokenService(Protocol):
    @property
    def access_token_ttl_seconds(self) -> int: ...

    def issue_access_token(self, user: User, now: datetime) -> str:
        """A signed, short-lived access token carrying the user's id, role and session_version."""
        ...

    def read_access_token(self, token: str) -> AccessClaims:
        """The claims of a valid access token. Raises InvalidAccessToken for anything else: bad
        signature, another algorithm, no or past expiry, a token that is not an access token, or a
        claim of the wrong type or out of range (a numeric string, a time past year 9999, a
        session version that is not a whole number) — never another exception."""
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
    """Nothing was charged: the provider could not be reached before anything was sent
    (connection refused, DNS), or refused the request outright (bad key, rate limit)."""
    UNKNOWN = "unknown"
    """The request may have reached the provider (a timeout after sending, a 5xx answer): it may
    have charged. Only the provider can tell (its webhook, or `status`)."""


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    order_id: int
    amount_cents: int
    currency: str
    payment_method_id: str | None
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class PayAgainRequest:
    payment_intent_id: str
    payment_method_id: str
    idempotency_key: str
    """One per attempt, and never the checkout's (the provider would replay that first answer)."""
    order_id: int


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
          A payment method the provider does not know is DECLINED too.
        - Without one: REQUIRES_ACTION with a client secret, for the client to confirm.
        - Sending the same idempotency_key again must never charge twice.
        - Never raises for a provider failure: UNAVAILABLE when nothing can have been charged
          (unreachable before sending, refused outright), UNKNOWN when it may have been (a timeout
          after the request was sent, a 5xx answer).
        - Never takes longer than the adapter's time limit (15 s by default).
        Client secrets keep Stripe's format `<payment_intent_id>_secret_<random>`."""
        ...

    async def status(self, payment_intent_id: str) -> PaymentIntentStatus:
        """What became of a payment intent, as the provider knows it now. Read-only.

        Never raises for a provider failure: UNKNOWN when the provider could not be asked
        (unreachable, an error answer, no answer in time); MISSING when it knows no such intent."""
        ...

    async def cancel(self, payment_intent_id: str) -> PaymentIntentStatus:
        """Cancel an intent that has not succeeded, so that it never charges; cancelling twice is
        harmless. Returns the intent's state afterwards: CANCELED, or SUCCEEDED / PROCESSING when it
        was too late to cancel it (the customer paid meanwhile). Never raises for a provider
        failure: UNKNOWN."""
        ...

    async def pay_again(self, request: PayAgainRequest) -> ChargeResult:
        """Confirm an existing payment intent (one that has not succeeded) with another payment
        method: the customer's new attempt to pay for an order, never a second intent, so never a
        second charge. Answers like `charge` (SUCCEEDED, DECLINED — the intent stays open for a
        further attempt —, REQUIRES_ACTION with a client secret, UNAVAILABLE, UNKNOWN). Sending the
        same idempotency_key again returns the first result. An intent that already succeeded is
        SUCCEEDED; one cancelled or unknown to the provider is DECLINED."""
        ...

    async def refund(self, request: RefundRequest) -> RefundResult:
        """Give `amount_cents` of a succeeded payment intent back, once per idempotency key: sending
        the same key again returns the first result and never refunds twice. The provider itself
        never refunds more than the payment received (ALREADY_REFUNDED when nothing is left).

        Never raises for a provider failure: UNAVAILABLE when nothing can have been refunded,
        UNKNOWN when it may have been (retry with the same key to find out)."""
        ...


class IntentState(StrEnum):
    SUCCEEDED = "succeeded"
    """The money was received."""
    OPEN = "open"
    """Waiting for a payment method, a confirmation or the customer (3-D Secure): can be cancelled."""
    PROCESSING = "processing"
    """The provider is still working on it (or holds the money uncaptured): neither paid nor failed yet."""
    CANCELED = "canceled"
    """It will never charge."""
    MISSING = "missing"
    """The provider knows no such intent: nothing was ever charged through it."""
    UNKNOWN = "unknown"
    """The provider could not be asked: decide nothing."""


@dataclass(frozen=True, slots=True)
class PaymentIntentStatus:
    state: IntentState
    amount_cents: int | None = None
    """For a SUCCEEDED intent, what it received; else what it is for. None when unknown."""
    currency: str | None = None
    """Lower case, like the order's."""


@dataclass(frozen=True, slots=True)
class RefundRequest:
    payment_intent_id: str
    amount_cents: int
    currency: str
    idempotency_key: str
    """Derived from what is being refunded (the payment intent for the automatic refund of a late
    payment, the refund's own id for a refund staff asked for), so that a retry refunds once."""
    order_id: int | None = None
    """Sent as the refund's metadata order_id, so the provider's refund events find the order."""
    refund_id: int | None = None
    """The shop's own refund id, sent as metadata refund_id, so its events are known as the shop's."""


class RefundOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"
    """Accepted: the money is on its way back, the bank has still to confirm."""
    ALREADY_REFUNDED = "already_refunded"
    """Nothing is left to refund on this payment: it was given back in full before."""
    REFUSED = "refused"
    """The provider refused this refund (more than is left, a payment that never succeeded, an
    invalid request): nothing was refunded, and asking again will not change that."""
    UNAVAILABLE = "unavailable"
    """The provider could not be reached or asked us to come back later: nothing was refunded."""
    UNKNOWN = "unknown"
    """The request may have reached the provider (a timeout after sending, a 5xx): it may have
    been refunded. Send the same request (same key) again to find out."""


@dataclass(frozen=True, slots=True)
class RefundResult:
    outcome: RefundOutcome
    refund_id: str | None = None
    message: str | None = None


class PaymentEventKind(StrEnum):
    SUCCEEDED = "payment_intent.succeeded"
    FAILED = "payment_intent.payment_failed"
    OTHER = "other"
    CHARGE_REFUNDED = "charge.refunded"
    """Money of a payment was given back: the event carries the charge's refunds."""
    REFUND_UPDATED = "refund.updated"
    """A refund changed state: the event carries that refund."""


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    """A refund as the provider tells it in an event."""

    refund_id: str
    amount_cents: int
    outcome: RefundOutcome
    """SUCCEEDED, PENDING (accepted, on its way), REFUSED (failed or canceled) or UNKNOWN."""
    payment_intent_id: str | None = None
    order_id: int | None = None
    """metadata.order_id, when present and a whole number."""
    shop_refund_id: int | None = None
    """metadata.refund_id: set on the refunds the shop itself asked for."""
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A provider's notification about a payment, already authenticated."""

    event_id: str
    kind: PaymentEventKind
    payment_intent_id: str | None = None
    order_id: int | None = None
    """From the payment intent's metadata.order_id, when present and a whole number."""
    amount_cents: int | None = None
    """What the payment intent received (or, failing that, its amount), in cents; None if absent."""
    currency: str | None = None
    """The payment intent's currency, lower case; None if absent."""
    refunds: tuple[ProviderRefund, ...] = ()
    """For CHARGE_REFUNDED, the charge's refunds; for REFUND_UPDATED, the refund."""


@runtime_checkable
class WebhookVerifier(Protocol):
    def verify(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """Check the signature header over the raw payload (Stripe's v1 scheme; its timestamp at
        most 300 s in the past or in the future) and read the event. Raises InvalidWebhook for a
        missing, malformed, wrong, stale or future signature, or a payload that is not an event."""
        ...


@runtime_checkable
class DatabaseProbe(Protocol):
    async def is_up(self) -> bool:
        """True when the store answers a trivial query within a couple of seconds."""
        ...


@dataclass(frozen=True, slots=True)
class WindowDecision:
    """What a rolling-window counter answered to one attempt."""

    allowed: bool
    """The attempt fitted in the window and was counted; a refused attempt is not counted."""
    retry_after_seconds: int = 0
    """When refused: whole seconds until the oldest counted attempt leaves the window, so that
    an attempt made then is allowed (at least 1). 0 when allowed."""


class AttemptCounter(Protocol):
    """Rolling-window counting for rate limits: an attempt on `key` is allowed when fewer than
    `limit` attempts were allowed on that key in the `window_seconds` before it. So no span of
    `window_seconds`, wherever it starts, ever holds more than `limit` allowed attempts (a fixed
    window lets twice the limit through across its boundary; this must not).

    Counting is atomic: of N concurrent hits on one key, from any number of processes sharing the
    counter, at most `limit` are allowed. A counter that cannot answer (its store is down, hung or
    slow) raises CounterUnavailable promptly, within a fraction of a second, never after seconds."""

    async def hit(self, key: str, limit: int, window_seconds: int) -> WindowDecision: ...


@runtime_checkable
class CacheProbe(Protocol):
    async def is_up(self) -> bool:
        """True when the shared cache (Redis) answers within its short time limit. False means
        what lives there is kept in each process's memory meanwhile (the rate limit counts per
        process); the shop still serves."""
        ...


class Outbox(Protocol):
    """The messages waiting to be sent (application.outbox), in the shop's own store: a message is
    added in the transaction of the change that causes it, so it exists exactly when that change
    was committed. Claims are atomic: of concurrent claims of one message, one wins."""

    async def add(self, message: OutboxMessage, now: datetime) -> StoredMessage | None:
        """Record the message, due now. None, and nothing recorded, when a message with the same
        key was recorded before."""
        ...

    async def get(self, message_id: str) -> StoredMessage | None: ...

    async def find(self, key: str) -> StoredMessage | None:
        """The message recorded with this key (OutboxMessage.key), if any."""
        ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Up to `limit` ids of PENDING messages whose next attempt is due and that nobody holds
        a live claim on, oldest first."""
        ...

    async def claim(
        self, message_id: str, *, now: datetime, due_by: datetime, lease_until: datetime
    ) -> StoredMessage | None:
        """Take the message for one delivery attempt: when it is PENDING, due by `due_by` and not
        claimed at `now` (no claim, or one that ran out), count the attempt and hold it until
        `lease_until`; return it as claimed. None when it is not there to take."""
        ...

    async def mark_sent(self, message_id: str, attempt: int, now: datetime) -> bool:
        """SENT, if the claim of attempt number `attempt` is still the latest. False otherwise (the
        claim ran out and another attempt took the message). A message that is SENT or DEAD keeps
        no context: it is never rendered again, and the context of a password reset or an email
        verification holds the one secret the shop otherwise keeps only as a hash, its token."""
        ...

    async def mark_failed(self, message_id: str, attempt: int, error: str, retry_at: datetime | None) -> bool:
        """Release the claim of attempt `attempt` after a failure: PENDING again, due at
        `retry_at`, or DEAD (its context dropped, as for SENT) when retry_at is None. False when
        that claim is no longer the latest."""
        ...


class MessageRenderer(Protocol):
    def render(self, kind: str, context: Mapping[str, ContextValue]) -> RenderedMessage:
        """Subject, plain text and HTML of a message of this kind. Raises RenderingFailed for a
        kind without templates or a context that does not fit them."""
        ...


class Mailer(Protocol):
    async def send(self, email: Email) -> None:
        """Hand the email over for delivery, within the adapter's time limit. Raises
        DeliveryFailed (permanent or not) when it was not accepted; never another exception."""
        ...


class DeliveryQueue(Protocol):
    """The job engine, seen from the use cases: it runs a delivery of an outbox message."""

    async def deliver(self, message_id: str, *, at: datetime | None = None) -> None:
        """Have the message delivered soon (or not before `at`). A delivery of it already waiting
        makes this a no-op. Raises QueueUnavailable when the engine cannot be reached."""
        ...


class AccountTokenRepository(Protocol):
    """Password-reset and email-verification tokens (domain.account_tokens), kept by hash only."""

    async def add(self, token: AccountToken) -> None:
        """Store a new token and set its id."""
        ...

    async def use(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> AccountToken | None:
        """Mark the token used if it is usable (AccountToken.is_usable), as one atomic step, and
        return it; None, and nothing changed, for an unknown, used or expired token. Of concurrent
        uses of one token, exactly one gets it."""
        ...
