"""why a FAILED order failed, and the client secret of a PENDING one

Orders FAILED before this revision get the most likely reason: `payment_unavailable` when no
payment intent was ever named for them (the provider could not be reached at checkout),
`declined` when they failed within a minute of being placed (the checkout's own answer, or a
card refused at once), and `expired` otherwise (failed later: almost always by the expiry of
unpaid orders; a late decline from a webhook is read as expired too).

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-20 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REASONS = "failure_reason IN ('declined', 'payment_unavailable', 'expired', 'cancelled')"
_BACKFILL = (
    "UPDATE orders SET failure_reason = CASE "
    "WHEN payment_intent_id IS NULL THEN 'payment_unavailable' "
    "WHEN {settled_at_once} THEN 'declined' "
    "ELSE 'expired' END "
    "WHERE status = 'FAILED'"
)
_SETTLED_AT_ONCE = {
    "postgresql": "updated_at - created_at <= interval '60 seconds'",
    "sqlite": "(julianday(updated_at) - julianday(created_at)) * 86400 <= 60",
}


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("failure_reason", sa.String(32), nullable=True))
        batch.add_column(sa.Column("payment_client_secret", sa.String(255), nullable=True))
    # Constant SQL: the dialect picks one of two fixed expressions.
    op.execute(_BACKFILL.format(settled_at_once=_SETTLED_AT_ONCE[op.get_bind().dialect.name]))
    with op.batch_alter_table("orders") as batch:
        batch.create_check_constraint(op.f("ck_orders_failure_reason"), _REASONS)
        batch.create_check_constraint(
            op.f("ck_orders_failure_reason_iff_failed"),
            "(status = 'FAILED') = (failure_reason IS NOT NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint(op.f("ck_orders_failure_reason_iff_failed"), type_="check")
        batch.drop_constraint(op.f("ck_orders_failure_reason"), type_="check")
        batch.drop_column("payment_client_secret")
        batch.drop_column("failure_reason")
