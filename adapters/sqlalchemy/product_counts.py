"""The total of a shop-window listing read from `product_counts` (kept by triggers, alembic 0007)
instead of counting the products, whenever the filters are only the series and being in stock.

The count rows change in the same transaction as the products, so a statement (or, on SQLite, a
read transaction) that reads the page and the total sees both as of one moment: the total is as
exact as a `count(*)` would be.

On PostgreSQL each change appends a +1 or -1 row (writers never wait on each other for it); the
first page and its total come in one round trip on the driver's connection, and the reader that
finds more than FOLD_ABOVE rows folds them into one per key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from adapters.sqlalchemy.driver import PRODUCT_COLUMNS
from adapters.sqlalchemy.rows import product_from_columns
from adapters.sqlalchemy.tables import product_counts
from application.queries import PageRequest, ProductFilters, ProductSort
from domain.catalog import Product

FOLD_ABOVE = 64
"""Rows of product_counts a reader tolerates before folding them (PostgreSQL)."""

FOLD = (
    "WITH turn AS (SELECT pg_try_advisory_xact_lock(7007) AS mine), "
    "gone AS (DELETE FROM product_counts WHERE (SELECT mine FROM turn) "
    "RETURNING series, in_stock, active) "
    "INSERT INTO product_counts (series, in_stock, active) "
    "SELECT series, in_stock, sum(active) FROM gone GROUP BY series, in_stock HAVING sum(active) <> 0"
)
"""One statement, its own transaction: the rows it deletes are exactly the ones it sums, whatever
writers commit meanwhile (their rows are not in its snapshot, and stay). One folder at a time."""

_ORDER_SQL: dict[ProductSort, str] = {
    ProductSort.ID: "id",
    ProductSort.TITLE: "title, id",
    ProductSort.PRICE: "price_cents, id",
    ProductSort.PRICE_DESCENDING: "price_cents DESC, id",
    ProductSort.CREATED: "created_at, id",
    ProductSort.CREATED_DESCENDING: "created_at DESC, id",
}


def is_counted(filters: ProductFilters) -> bool:
    """Active products, filtered at most by series and stock: what product_counts answers."""
    return (
        filters.is_active is True
        and not filters.author
        and filters.min_price_cents is None
        and filters.max_price_cents is None
    )


def total_statement(filters: ProductFilters) -> Select[Any]:
    """SQLAlchemy's form, for SQLite (and any connection already open)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.series is not None:
        conditions.append(product_counts.c.series == filters.series.value)
    if filters.in_stock is not None:
        conditions.append(product_counts.c.in_stock == filters.in_stock)
    return select(func.coalesce(func.sum(product_counts.c.active), 0)).where(*conditions)


class LeanListing:
    """The PostgreSQL statements of a counted listing, fixed text per shape (asyncpg prepares each
    once per connection): `$1` limit, `$2` offset, `$3` the series when filtered by it."""

    def __init__(self, filters: ProductFilters, sort: ProductSort) -> None:
        product_conditions = ["is_active"]
        count_conditions = ["true"]
        self.arguments: tuple[Any, ...] = ()
        if filters.series is not None:
            product_conditions.append("series = $3")
            count_conditions.append("series = $3")
            self.arguments = (filters.series.value,)
        if filters.in_stock is True:
            product_conditions.append("stock > 0")
            count_conditions.append("in_stock")
        elif filters.in_stock is False:
            product_conditions.append("stock = 0")
            count_conditions.append("NOT in_stock")
        counts = " AND ".join(count_conditions)
        self.page = (
            f"SELECT {PRODUCT_COLUMNS}, "  # noqa: S608 - fixed pieces only, the values are bound
            f"(SELECT coalesce(sum(active), 0) FROM product_counts WHERE {counts}) AS total, "
            "(SELECT count(*) FROM product_counts) AS pieces "
            f"FROM products WHERE {' AND '.join(product_conditions)} "
            f"ORDER BY {_ORDER_SQL[sort]} LIMIT $1 OFFSET $2"
        )
        self.total = (
            f"SELECT coalesce(sum(active), 0), (SELECT count(*) FROM product_counts) "  # noqa: S608
            f"FROM product_counts WHERE {counts.replace('$3', '$1')}"
        )


async def read_lean(driver: Any, listing: LeanListing, page: PageRequest) -> tuple[list[Product], int]:
    """The page and its total in one round trip; a second one only past the last page (no row to
    carry the total), a third when the count rows are due for folding."""
    records = await driver.fetch(listing.page, page.limit, page.offset, *listing.arguments)
    if records:
        total, pieces = records[0][8], records[0][9]
    else:
        total, pieces = await driver.fetchrow(listing.total, *listing.arguments)
    if pieces > FOLD_ABOVE:
        await driver.execute(FOLD)
    return [product_from_columns(record) for record in records], int(total)
