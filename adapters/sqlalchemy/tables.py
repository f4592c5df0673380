"""The schema. Alembic migrations must agree with it; a test proves they do.

Constraints are the last line of defence, not the mechanism: the repositories keep the rules with
conditional updates and locks, and the CHECKs below catch any code path that forgets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on PostgreSQL (timestamptz) and on SQLite
    (which stores text and forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Id = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY auto-increments (it is 64-bit too)."""


def _created_at() -> Column[datetime]:
    return Column("created_at", UtcDateTime(), nullable=False)


users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("is_active", Boolean(), nullable=False),
    _created_at(),
    Column("session_version", Integer(), nullable=False, server_default="0"),
    Column("email_verified", Boolean(), nullable=False, server_default=false()),
    CheckConstraint("role IN ('USER', 'ADMIN')", name="role"),
    CheckConstraint("email = lower(email)", name="email_lower_case"),
    Index(None, "email", unique=True),
    Index(None, "is_active", "id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Index(None, "token_hash", unique=True),
    Index(None, "user_id"),
)

products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("series", String(16), nullable=False),
    Column("author", String(200), nullable=False),
    Column("price_cents", Integer(), nullable=False),
    Column("stock", Integer(), nullable=False),
    Column("is_active", Boolean(), nullable=False),
    _created_at(),
    # What search compares, written by the repository from domain.search (title_text, product_text):
    # stored, so that a search reads them instead of working them out on every row it looks at.
    Column("search_title", Text(), nullable=False),
    Column("search_text", Text(), nullable=False),
    CheckConstraint("series IN ('HP', 'NARNIA')", name="series"),
    CheckConstraint("price_cents >= 0", name="price_cents_not_negative"),
    CheckConstraint("stock >= 0", name="stock_not_negative"),
    Index(None, "is_active", "id"),
    Index(None, "series", "id"),
    Index(None, "price_cents", "id"),
    Index(None, "created_at", "id"),
    Index(None, "title", "id"),
)

product_counts = Table(
    "product_counts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("series", String(16), nullable=False),
    Column("in_stock", Boolean(), nullable=False),
    Column("active", BigInteger(), nullable=False),
    Index(None, "series", "in_stock"),
)
"""How many active products each (series, stock > 0) holds: the sum of `active` over its rows.
Kept by triggers on products (alembic 0007), never written by the application except to fold the
rows: see adapters.sqlalchemy.product_counts."""

# Search: every word is a `search_text LIKE '%word%'` (and `search_title` for the ranking); the
# author filter of /products is a `lower(author) LIKE '%text%'`. Trigram GIN indexes answer those on
# PostgreSQL; SQLite, the embedded default, scans (its catalogues are small).
ONLY_ON = "only_on"
"""Key of Index.info naming the one dialect an index exists on (see `exists_on`)."""


def _postgresql_only(index: Index) -> None:
    index.info[ONLY_ON] = "postgresql"
    index.ddl_if(dialect="postgresql")


def exists_on(dialect: str) -> Callable[..., bool]:
    """Alembic's include_object for comparing this schema with a database of `dialect`: an index made
    for another dialect only is not expected there."""

    def include(obj: object, _name: str | None, type_: str, reflected: bool, _compare_to: object) -> bool:
        return reflected or type_ != "index" or obj.info.get(ONLY_ON, dialect) == dialect  # type: ignore[attr-defined]

    return include


_postgresql_only(
    Index(
        "ix_products_author_trgm",
        func.lower(products.c.author).label("lower_author"),
        postgresql_using="gin",
        postgresql_ops={"lower_author": "gin_trgm_ops"},
    )
)
for _column in (products.c.search_title, products.c.search_text):
    _postgresql_only(
        Index(
            f"ix_products_{_column.name}_trgm",
            _column,
            postgresql_using="gin",
            postgresql_ops={_column.name: "gin_trgm_ops"},
        )
    )

search_words = Table(
    "search_words",
    metadata,
    Column("word", Text(), primary_key=True),
)
"""The catalogue's vocabulary: every word of every product's search_text, kept for near matches of
misspelt words. Only ever added to. On PostgreSQL a trigram GiST index answers pg_trgm's `%` (the
planner prices a GIN one for `%` above reading the whole table, and reads it: measured 55 ms a word
at 100,000 words, against 4 ms through GiST)."""
_postgresql_only(
    Index(
        "ix_search_words_word_trgm",
        search_words.c.word,
        postgresql_using="gist",
        postgresql_ops={"word": "gist_trgm_ops"},
    )
)

carts = Table(
    "carts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index(None, "user_id", unique=True),
    Column("shipping_address", Text(), nullable=True),
)

cart_items = Table(
    "cart_items",
    metadata,
    Column("id", Id, primary_key=True),
    Column("cart_id", Id, ForeignKey("carts.id", ondelete="CASCADE"), nullable=False),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer(), nullable=False),
    CheckConstraint("quantity >= 1", name="quantity_positive"),
    UniqueConstraint("cart_id", "product_id"),
    Index(None, "product_id"),
)

FULFILMENT_FACTS = (
    "fulfilment_status = 'UNFULFILLED' OR (status = 'PAID' AND carrier IS NOT NULL "
    "AND tracking_number IS NOT NULL AND shipped_at IS NOT NULL)"
)
"""Only a PAID order is shipped, and a shipped one names its carrier, tracking number and time."""

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("total_amount_cents", BigInteger(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_intent_id", String(255), nullable=True),
    _created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("refunded_cents", BigInteger(), nullable=False, server_default="0"),
    CheckConstraint("status IN ('PENDING', 'PAID', 'FAILED')", name="status"),
    CheckConstraint("total_amount_cents >= 0", name="total_not_negative"),
    CheckConstraint("refunded_cents BETWEEN 0 AND total_amount_cents", name="refunded_within_total"),
    Index(None, "user_id", "created_at", "id"),
    Index(None, "status", "created_at", "id"),
    Index(None, "created_at", "id"),
    Index(None, "payment_intent_id", unique=True),
    Column("shipping_address", Text(), nullable=True),
    Column("shipping_cents", Integer(), nullable=False, server_default="0"),
    CheckConstraint("shipping_cents >= 0", name="shipping_not_negative"),
    # Fulfilment (domain.fulfilment), apart from the payment's status. Orders from before it read
    # as UNFULFILLED.
    Column("fulfilment_status", String(16), nullable=False, server_default="UNFULFILLED"),
    Column("carrier", String(100), nullable=True),
    Column("tracking_number", String(100), nullable=True),
    Column("shipped_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    CheckConstraint("fulfilment_status IN ('UNFULFILLED', 'SHIPPED', 'DELIVERED')", name="fulfilment_status"),
    CheckConstraint(FULFILMENT_FACTS, name="fulfilment_facts"),
    Index(None, "fulfilment_status", "created_at", "id"),
    Column("failure_reason", String(32), nullable=True),
    Column("payment_client_secret", String(255), nullable=True),
    CheckConstraint(
        "failure_reason IN ('declined', 'payment_unavailable', 'expired', 'cancelled')", name="failure_reason"
    ),
    CheckConstraint("(status = 'FAILED') = (failure_reason IS NOT NULL)", name="failure_reason_iff_failed"),
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Id, primary_key=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("product_id", Id, ForeignKey("products.id", ondelete="SET NULL"), nullable=True),
    Column("title_snapshot", String(200), nullable=False),
    Column("price_snapshot", Integer(), nullable=False),
    Column("quantity", Integer(), nullable=False),
    CheckConstraint("price_snapshot >= 0", name="price_snapshot_not_negative"),
    CheckConstraint("quantity >= 1", name="quantity_positive"),
    Index(None, "order_id"),
    Index(None, "product_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("client_secret", String(255), nullable=True),
    _created_at(),
    CheckConstraint("state IN ('in_progress', 'completed')", name="state"),
    CheckConstraint("outcome IN ('order', 'declined', 'unavailable')", name="outcome"),
    UniqueConstraint("user_id", "key"),
    Index(None, "order_id"),
)

payment_events = Table(
    "payment_events",
    metadata,
    Column("event_id", String(255), primary_key=True),
    Column("received_at", UtcDateTime(), nullable=False),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Id, primary_key=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("amount_cents", BigInteger(), nullable=False),
    Column("reason", String(500), nullable=True),
    Column("status", String(16), nullable=False),
    Column("restocked", JSON(), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("requested_by", Id, ForeignKey("users.id"), nullable=True),
    Column("provider_refund_id", String(255), nullable=True),
    _created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("amount_cents >= 1", name="amount_positive"),
    CheckConstraint("status IN ('PENDING', 'SUCCEEDED', 'FAILED')", name="status"),
    UniqueConstraint("order_id", "requested_by", "idempotency_key"),
    Index(None, "provider_refund_id", unique=True),
    Index(None, "requested_by"),
)
"""An order's refunds (domain.refunds), `restocked` as a JSON list of {product_id, quantity}."""

catalogue_version = Sequence("catalogue_version", metadata=metadata, cache=1)
"""PostgreSQL only (SQLite keeps the catalogue version in its file header): see
adapters.sqlalchemy.catalogue_version. CACHE 1, so that no session holds values back and
`last_value` is always the latest one handed out."""

outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("key", String(255), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("context", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    _created_at(),
    Column("sent_at", UtcDateTime(), nullable=True),
    CheckConstraint("status IN ('pending', 'sent', 'dead')", name="status"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    Index(None, "key", unique=True),
    Index(None, "status", "next_attempt_at"),
)
"""The transactional outbox (application.outbox): written in the transaction of the change that
causes a message, read by the job engine's deliveries."""

account_tokens = Table(
    "account_tokens",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False),
    _created_at(),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("session_version", Integer(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    CheckConstraint("purpose IN ('password_reset', 'email_verification')", name="purpose"),
    Index(None, "token_hash", unique=True),
    Index(None, "user_id"),
)
"""Password-reset and email-verification tokens (domain.account_tokens), by their SHA-256 only."""
