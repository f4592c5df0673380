"""product_counts: the number of active products per (series, in stock), kept by triggers

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01 21:00:00.000000

The first page of `/products` tells its exact `total`: counting ~95,000 active rows each time cost
~10 ms on PostgreSQL. Triggers on products keep the count instead, in the same transaction as the
change, so it is exactly as current as the rows a reader sees (see adapters.sqlalchemy.product_counts).
They fire only when a product's being counted or its key changes: created or deleted while active,
activated or withdrawn, moved to another series, its stock becoming 0 or leaving 0. A checkout that
leaves stock on the shelf does not touch the count.

- PostgreSQL: each change appends a row holding +1 or -1 (an INSERT takes no lock another writer
  waits for: concurrent checkouts emptying shelves never queue or deadlock on a counter row); the
  reader adds them up and folds them into one row per key when they pile up.
- SQLite: one row per key, updated in place (SQLite serializes writers anyway).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPDATE_CHANGES_THE_COUNT = (
    "OLD.is_active <> NEW.is_active OR (NEW.is_active AND "
    "(OLD.series <> NEW.series OR (OLD.stock > 0) <> (NEW.stock > 0)))"
)

_POSTGRES = [
    """
    CREATE FUNCTION count_active_products() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.is_active THEN
        INSERT INTO product_counts (series, in_stock, active) VALUES (OLD.series, OLD.stock > 0, -1);
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.is_active THEN
        INSERT INTO product_counts (series, in_stock, active) VALUES (NEW.series, NEW.stock > 0, 1);
      END IF;
      RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION forget_product_counts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM product_counts;
      RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER products_count_insert AFTER INSERT ON products "
    "FOR EACH ROW WHEN (NEW.is_active) EXECUTE FUNCTION count_active_products()",
    "CREATE TRIGGER products_count_delete AFTER DELETE ON products "
    "FOR EACH ROW WHEN (OLD.is_active) EXECUTE FUNCTION count_active_products()",
    "CREATE TRIGGER products_count_update AFTER UPDATE OF is_active, series, stock ON products "
    f"FOR EACH ROW WHEN ({_UPDATE_CHANGES_THE_COUNT}) EXECUTE FUNCTION count_active_products()",
    "CREATE TRIGGER products_count_truncate AFTER TRUNCATE ON products "
    "FOR EACH STATEMENT EXECUTE FUNCTION forget_product_counts()",
]


def _sqlite_add(row: str, delta: str) -> str:
    """Statements of a SQLite trigger body adding `delta` to the key of `row` (OLD or NEW) when that
    row is active, creating the key's row when missing."""
    key = f"series = {row}.series AND in_stock = ({row}.stock > 0)"
    return (
        f"INSERT INTO product_counts (series, in_stock, active) SELECT {row}.series, {row}.stock > 0, 0 "  # noqa: S608 - OLD or NEW, 1 or -1
        f"WHERE {row}.is_active AND NOT EXISTS (SELECT 1 FROM product_counts WHERE {key}); "
        f"UPDATE product_counts SET active = active + {delta} WHERE {row}.is_active AND {key};"
    )


_SQLITE = [
    "CREATE TRIGGER products_count_insert AFTER INSERT ON products WHEN NEW.is_active "
    f"BEGIN {_sqlite_add('NEW', '1')} END",
    "CREATE TRIGGER products_count_delete AFTER DELETE ON products WHEN OLD.is_active "
    f"BEGIN {_sqlite_add('OLD', '-1')} END",
    "CREATE TRIGGER products_count_update AFTER UPDATE OF is_active, series, stock ON products "
    f"WHEN {_UPDATE_CHANGES_THE_COUNT} BEGIN {_sqlite_add('OLD', '-1')} {_sqlite_add('NEW', '1')} END",
]

_BACKFILL = (
    "INSERT INTO product_counts (series, in_stock, active) "
    "SELECT series, stock > 0, count(*) FROM products WHERE is_active GROUP BY series, stock > 0"
)


def upgrade() -> None:
    op.create_table(
        "product_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("in_stock", sa.Boolean(), nullable=False),
        sa.Column("active", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_counts")),
    )
    op.create_index(op.f("ix_product_counts_series_in_stock"), "product_counts", ["series", "in_stock"])
    # Triggers first, then the backfill, in one transaction: on PostgreSQL creating a trigger locks
    # out writers of products until the commit, so no product changes between the two.
    statements = _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        op.execute(statement)
    op.execute(_BACKFILL)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger in ("insert", "delete", "update", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS products_count_{trigger}" + (" ON products" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION count_active_products()")
        op.execute("DROP FUNCTION forget_product_counts()")
    op.drop_index(op.f("ix_product_counts_series_in_stock"), table_name="product_counts")
    op.drop_table("product_counts")
