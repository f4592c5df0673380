"""fulfilment of orders: status, carrier, tracking number, shipped and delivered times

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

Fulfilment is apart from the payment's status (domain.fulfilment). Orders already there read as
UNFULFILLED (the column's server default). An index on (fulfilment_status, created_at, id) serves
the back office's list filtered by fulfilment, newest first, as the one on status does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FULFILMENT_FACTS = (
    "fulfilment_status = 'UNFULFILLED' OR (status = 'PAID' AND carrier IS NOT NULL "
    "AND tracking_number IS NOT NULL AND shipped_at IS NOT NULL)"
)


COLUMNS = ("fulfilment_status", "carrier", "tracking_number", "shipped_at", "delivered_at")
STATUSES = "fulfilment_status IN ('UNFULFILLED', 'SHIPPED', 'DELIVERED')"
INDEX = "ix_orders_fulfilment_status_created_at_id"


def upgrade() -> None:
    # No batch mode: on SQLite it would copy orders into a new table and drop the old one, which
    # foreign keys refuse once orders have items. SQLite adds columns in place, each CHECK going
    # with a column (it may name others); PostgreSQL adds the table's constraints.
    if op.get_bind().dialect.name == "sqlite":
        for column in (
            f"fulfilment_status VARCHAR(16) DEFAULT 'UNFULFILLED' NOT NULL "
            f"CONSTRAINT ck_orders_fulfilment_status CHECK ({STATUSES})",
            "carrier VARCHAR(100)",
            "tracking_number VARCHAR(100)",
            "delivered_at DATETIME",
            f"shipped_at DATETIME CONSTRAINT ck_orders_fulfilment_facts CHECK ({FULFILMENT_FACTS})",
        ):
            op.execute(f"ALTER TABLE orders ADD COLUMN {column}")
    else:
        op.add_column(
            "orders",
            sa.Column("fulfilment_status", sa.String(16), server_default="UNFULFILLED", nullable=False),
        )
        op.add_column("orders", sa.Column("carrier", sa.String(100), nullable=True))
        op.add_column("orders", sa.Column("tracking_number", sa.String(100), nullable=True))
        op.add_column("orders", sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column("orders", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        op.create_check_constraint(op.f("ck_orders_fulfilment_status"), "orders", STATUSES)
        op.create_check_constraint(op.f("ck_orders_fulfilment_facts"), "orders", FULFILMENT_FACTS)
    op.create_index(op.f(INDEX), "orders", ["fulfilment_status", "created_at", "id"])


def downgrade() -> None:
    op.drop_index(op.f(INDEX), table_name="orders")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_orders_fulfilment_facts"), "orders", type_="check")
        op.drop_constraint(op.f("ck_orders_fulfilment_status"), "orders", type_="check")
    # On SQLite (3.35+, in place) each column goes with its own CHECK: shipped_at's names the others.
    for column in ("shipped_at", "delivered_at", "tracking_number", "carrier", "fulfilment_status"):
        op.drop_column("orders", column)
