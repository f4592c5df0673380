"""refunds: money given back on orders, by staff or outside the shop

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-20 10:00:00.000000

Orders that existed before keep their `refunded_cents` as stored and have no refunds listed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", Id, nullable=False),
        sa.Column(
            "order_id",
            Id,
            sa.ForeignKey("orders.id", name=op.f("fk_refunds_order_id_orders")),
            nullable=False,
        ),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("restocked", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column(
            "requested_by",
            Id,
            sa.ForeignKey("users.id", name=op.f("fk_refunds_requested_by_users")),
            nullable=True,
        ),
        sa.Column("provider_refund_id", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents >= 1", name=op.f("ck_refunds_amount_positive")),
        sa.CheckConstraint("status IN ('PENDING', 'SUCCEEDED', 'FAILED')", name=op.f("ck_refunds_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint(
            "order_id",
            "requested_by",
            "idempotency_key",
            name=op.f("uq_refunds_order_id_requested_by_idempotency_key"),
        ),
    )
    op.create_index(op.f("ix_refunds_provider_refund_id"), "refunds", ["provider_refund_id"], unique=True)
    op.create_index(op.f("ix_refunds_requested_by"), "refunds", ["requested_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_refunds_requested_by"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_provider_refund_id"), table_name="refunds")
    op.drop_table("refunds")
