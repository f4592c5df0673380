"""Every shop-window total is exact on every store, whatever happened to the products before:
creations, edits (series, withdrawn, restored), stock taken, given back, set and adjusted. On SQL
stores these totals come from counts kept by triggers, not from counting the products."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.ports import UnitOfWork
from application.queries import PageRequest, ProductFilters, ProductSort
from domain.catalog import Product, Series
from tests.conftest import Backend

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SERIES_FILTERS = [None, Series.HP, Series.NARNIA]
STOCK_FILTERS = [None, True, False]
MAX_PRODUCTS = 60
"""Fewer than a back-office page (100): the reference count reads them all in one."""

series = st.sampled_from(list(Series))
stock = st.integers(min_value=0, max_value=3)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), series, stock, st.booleans()),
        st.tuples(st.just("edit"), st.integers(0, 30), series, st.booleans()),
        st.tuples(st.just("withdraw"), st.integers(0, 30), st.integers(1, 3)),
        st.tuples(st.just("give back"), st.integers(0, 30), st.integers(1, 3)),
        st.tuples(st.just("set"), st.integers(0, 30), stock),
        st.tuples(st.just("adjust"), st.integers(0, 30), st.integers(-3, 3)),
    ),
    min_size=1,
    max_size=12,
)


async def _apply(tx: UnitOfWork, operation: tuple[object, ...], ids: list[int]) -> None:
    kind, *args = operation
    if kind == "create":
        if len(ids) >= MAX_PRODUCTS:
            return
        chosen_series, chosen_stock, active = args
        product = Product(
            title="a book",
            series=chosen_series,  # type: ignore[arg-type]
            author="an author",
            price_cents=100,
            stock=chosen_stock,  # type: ignore[arg-type]
            is_active=active,  # type: ignore[arg-type]
            created_at=NOW,
        )
        ids.append((await tx.products.add(product)).id or 0)
        return
    if not ids:
        return
    product_id = ids[int(args[0]) % len(ids)]  # type: ignore[call-overload]
    if kind == "edit":
        found = await tx.products.get(product_id, for_update=True)
        assert found is not None
        found.series, found.is_active = args[1], args[2]  # type: ignore[assignment]
        await tx.products.update_details(found)
    elif kind == "withdraw":
        await tx.products.withdraw_stock(product_id, int(args[1]))  # type: ignore[call-overload]
    elif kind == "give back":
        await tx.products.return_stock(product_id, int(args[1]))  # type: ignore[call-overload]
    elif kind == "set":
        await tx.products.set_stock(product_id, int(args[1]))  # type: ignore[call-overload]
    else:
        await tx.products.adjust_stock(product_id, int(args[1]))  # type: ignore[call-overload]


async def _counted(backend: Backend) -> Counter[tuple[Series, bool]]:
    """The active products per (series, in stock), counted from every product the back office sees."""
    everything = await backend.catalog.list_products(
        ProductFilters(), ProductSort.ID, PageRequest(limit=100, offset=0)
    )
    assert everything.total <= 100
    return Counter((p.series, p.stock > 0) for p in everything.items if p.is_active)


async def _assert_every_total_exact(backend: Backend) -> None:
    counted = await _counted(backend)
    for series_filter in SERIES_FILTERS:
        for stock_filter in STOCK_FILTERS:
            expected = sum(
                n
                for (s, in_stock), n in counted.items()
                if series_filter in (None, s) and stock_filter in (None, in_stock)
            )
            filters = ProductFilters(is_active=True, series=series_filter, in_stock=stock_filter)
            for offset in (0, expected + 5):  # a page with rows, and one past the end (no row)
                page = await backend.catalog.list_products(
                    filters, ProductSort.PRICE, PageRequest(limit=1, offset=offset)
                )
                assert page.total == expected, (series_filter, stock_filter, offset)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transactions=st.lists(operations, min_size=1, max_size=4), commit=st.lists(st.booleans()))
async def test_every_shop_window_total_is_the_count_of_what_is_on_sale(
    backend: Backend, transactions: list[list[tuple[object, ...]]], commit: list[bool]
) -> None:
    """Each example goes on from the products the ones before it left: rolled-back transactions
    included, which must leave the totals as they were."""
    ids = [
        p.id or 0
        for p in (
            await backend.catalog.list_products(ProductFilters(), ProductSort.ID, PageRequest(limit=100))
        ).items
    ]
    for n, transaction in enumerate(transactions):
        seen = list(ids)
        async with backend.uow() as tx:
            for operation in transaction:
                await _apply(tx, operation, seen)
            if commit[n] if n < len(commit) else True:
                await tx.commit()
                ids = seen

    await _assert_every_total_exact(backend)
