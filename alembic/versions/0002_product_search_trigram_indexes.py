"""trigram indexes for product search (PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

`GET /products/search` matches every word as a substring of lower(title) or lower(author). On
PostgreSQL, GIN trigram indexes on those expressions answer such LIKE '%word%' conditions without
reading the whole table. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may
create it. SQLite keeps its portable scan.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("title", "author")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_products_{column}_trgm",
            "products",
            [sa.text(f"lower({column}) gin_trgm_ops")],
            postgresql_using="gin",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_products_{column}_trgm", table_name="products")
