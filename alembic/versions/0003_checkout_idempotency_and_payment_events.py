"""checkout idempotency keys and payment events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 11:17:31.890064
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_events",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_payment_events")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("client_secret", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('order', 'declined', 'unavailable')", name=op.f("ck_idempotency_keys_outcome")
        ),
        sa.CheckConstraint("state IN ('in_progress', 'completed')", name=op.f("ck_idempotency_keys_state")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_idempotency_keys_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotency_keys_user_id_key")),
    )
    op.create_index(op.f("ix_idempotency_keys_order_id"), "idempotency_keys", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_order_id"), table_name="idempotency_keys")

    op.drop_table("idempotency_keys")
    op.drop_table("payment_events")
