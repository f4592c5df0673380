"""session versions on users, refunded cents on orders

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("refunded_cents", sa.BigInteger(), server_default="0", nullable=False))
        batch.create_check_constraint(
            op.f("ck_orders_refunded_within_total"), "refunded_cents BETWEEN 0 AND total_amount_cents"
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint(op.f("ck_orders_refunded_within_total"), type_="check")
        batch.drop_column("refunded_cents")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
