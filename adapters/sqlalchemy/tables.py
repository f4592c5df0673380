"""The schema. Alembic migrations must agree with it; a test proves they do.

Constraints are the last line of defence, not the mechanism: the repositories keep the rules with
conditional updates and locks, and the CHECKs below catch any code path that forgets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
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
    TypeDecorator,
    UniqueConstraint,
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

# Search: every word is a `lower(title) LIKE '%word%'` or the same on author. Trigram GIN indexes
# answer those on PostgreSQL; SQLite, the embedded default, scans (its catalogues are small).
for _column in (products.c.title, products.c.author):
    Index(
        f"ix_products_{_column.name}_trgm",
        func.lower(_column).label(f"lower_{_column.name}"),
        postgresql_using="gin",
        postgresql_ops={f"lower_{_column.name}": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")

carts = Table(
    "carts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index(None, "user_id", unique=True),
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

catalogue_version = Sequence("catalogue_version", metadata=metadata, cache=1)
"""PostgreSQL only (SQLite keeps the catalogue version in its file header): see
adapters.sqlalchemy.catalogue_version. CACHE 1, so that no session holds values back and
`last_value` is always the latest one handed out."""
