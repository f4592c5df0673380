"""shipping address on carts and orders, shipping cents on orders

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

The address is one text column holding the address as JSON (adapters.sqlalchemy.rows writes and
reads it), not seven columns: it is a value, written and read whole, never searched or filtered
on by a field; the order keeps it as a snapshot that never changes. One column also keeps the
checkout's fixed SQL short. Orders placed before this migration keep no address (NULL) and
`shipping_cents` 0, so their total is still the sum of their lines.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("carts") as batch:
        batch.add_column(sa.Column("shipping_address", sa.Text(), nullable=True))
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_address", sa.Text(), nullable=True))
        batch.add_column(sa.Column("shipping_cents", sa.Integer(), server_default="0", nullable=False))
        batch.create_check_constraint(op.f("ck_orders_shipping_not_negative"), "shipping_cents >= 0")


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint(op.f("ck_orders_shipping_not_negative"), type_="check")
        batch.drop_column("shipping_cents")
        batch.drop_column("shipping_address")
    with op.batch_alter_table("carts") as batch:
        batch.drop_column("shipping_address")
