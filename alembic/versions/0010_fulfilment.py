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
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("fulfilment_status", sa.String(16), server_default="UNFULFILLED", nullable=False)
        )
        batch.add_column(sa.Column("carrier", sa.String(100), nullable=True))
        batch.add_column(sa.Column("tracking_number", sa.String(100), nullable=True))
        batch.add_column(sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(op.f("ck_orders_fulfilment_status"), STATUSES)
        batch.create_check_constraint(op.f("ck_orders_fulfilment_facts"), FULFILMENT_FACTS)
        batch.create_index(op.f(INDEX), ["fulfilment_status", "created_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index(op.f(INDEX))
        batch.drop_constraint(op.f("ck_orders_fulfilment_facts"), type_="check")
        batch.drop_constraint(op.f("ck_orders_fulfilment_status"), type_="check")
        for column in COLUMNS:
            batch.drop_column(column)
