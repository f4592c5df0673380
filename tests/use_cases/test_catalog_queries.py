"""The read side means the same on every store: filters, orders, pages and search."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.queries import MemoryCatalogQueries
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from application.ports import UnitOfWorkFactory
from application.queries import PageRequest, ProductFilters, ProductSort, SearchTerms
from domain.catalog import Product, Series
from domain.errors import InvalidValue
from domain.identity import User
from tests.conftest import Backend

START = datetime(2026, 11, 1, tzinfo=UTC)

# (title, series, author, price, stock, active); created one hour apart in this order.
BOOKS = [
    ("harry potter and the philosopher's stone", Series.HP, "J. K. Rowling", 899, 40, True),
    ("harry potter and the chamber of secrets", Series.HP, "J. K. Rowling", 899, 0, True),
    ("the lion, the witch and the wardrobe", Series.NARNIA, "C. S. Lewis", 799, 10, True),
    ("prince caspian", Series.NARNIA, "C. S. Lewis", 799, 3, True),
    ("the stone table", Series.NARNIA, "Potter Fan Club", 1299, 1, True),
    ("a withdrawn potter book", Series.HP, "J. K. Rowling", 100, 9, False),
    ("100% magic_book's \\ 🦁", Series.HP, "Ünïcode Äuthor", 500, 2, True),
    ("the last battle", Series.NARNIA, "C. S. Lewis", 1299, 0, True),
]


async def _seed(uow: UnitOfWorkFactory) -> dict[str, int]:
    ids: dict[str, int] = {}
    async with uow() as tx:
        for n, (title, series, author, price, stock, active) in enumerate(BOOKS):
            product = await tx.products.add(
                Product(
                    title=title,
                    series=series,
                    author=author,
                    price_cents=price,
                    stock=stock,
                    is_active=active,
                    created_at=START + timedelta(hours=n),
                )
            )
            ids[title] = product.id or 0
        await tx.commit()
    return ids


def _titles(page: object) -> list[str]:
    return [p.title for p in page.items]  # type: ignore[attr-defined]


ON_SALE = ProductFilters(is_active=True)
EVERYTHING = PageRequest(limit=100)


async def test_the_shop_window_shows_only_products_on_sale(backend: Backend) -> None:
    await _seed(backend.uow)

    page = await backend.catalog.list_products(ON_SALE, ProductSort.ID, EVERYTHING)

    assert "a withdrawn potter book" not in _titles(page)
    assert page.total == 7


async def test_the_back_office_sees_everything(backend: Backend) -> None:
    await _seed(backend.uow)

    everything = await backend.catalog.list_products(ProductFilters(), ProductSort.ID, EVERYTHING)
    withdrawn = await backend.catalog.list_products(
        ProductFilters(is_active=False), ProductSort.ID, EVERYTHING
    )

    assert everything.total == 8
    assert _titles(withdrawn) == ["a withdrawn potter book"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (replace(ON_SALE, series=Series.NARNIA), [2, 3, 4, 7]),
        (replace(ON_SALE, author="LEWIS"), [2, 3, 7]),
        (replace(ON_SALE, author="%"), []),
        (replace(ON_SALE, author="äuth"), [6]),
        (replace(ON_SALE, min_price_cents=899), [0, 1, 4, 7]),
        (replace(ON_SALE, max_price_cents=799), [2, 3, 6]),
        (replace(ON_SALE, min_price_cents=799, max_price_cents=899), [0, 1, 2, 3]),
        (replace(ON_SALE, in_stock=False), [1, 7]),
        (replace(ON_SALE, in_stock=True, series=Series.HP), [0, 6]),
    ],
)
async def test_filters(backend: Backend, filters: ProductFilters, expected: list[int]) -> None:
    await _seed(backend.uow)

    page = await backend.catalog.list_products(filters, ProductSort.ID, EVERYTHING)

    assert _titles(page) == [BOOKS[n][0] for n in expected]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (ProductSort.ID, [0, 1, 2, 3, 4, 6, 7]),
        (ProductSort.PRICE, [6, 2, 3, 0, 1, 4, 7]),
        (ProductSort.PRICE_DESCENDING, [4, 7, 0, 1, 2, 3, 6]),
        (ProductSort.CREATED, [0, 1, 2, 3, 4, 6, 7]),
        (ProductSort.CREATED_DESCENDING, [7, 6, 4, 3, 2, 1, 0]),
        (ProductSort.TITLE, [6, 1, 0, 3, 7, 2, 4]),
    ],
)
async def test_orders_are_total_with_ties_broken_by_id(
    backend: Backend, sort: ProductSort, expected: list[int]
) -> None:
    await _seed(backend.uow)

    page = await backend.catalog.list_products(ON_SALE, sort, EVERYTHING)

    assert _titles(page) == [BOOKS[n][0] for n in expected]


@pytest.mark.parametrize("sort", list(ProductSort))
async def test_pages_walk_the_list_once_without_overlap(backend: Backend, sort: ProductSort) -> None:
    await _seed(backend.uow)
    whole = _titles(await backend.catalog.list_products(ON_SALE, sort, EVERYTHING))

    walked: list[str] = []
    totals = set()
    for offset in range(0, 9, 3):
        page = await backend.catalog.list_products(ON_SALE, sort, PageRequest(limit=3, offset=offset))
        walked += _titles(page)
        totals.add(page.total)

    assert walked == whole
    assert totals == {7}


async def test_a_page_past_the_end_is_empty_but_knows_the_total(backend: Backend) -> None:
    await _seed(backend.uow)

    page = await backend.catalog.list_products(ON_SALE, ProductSort.ID, PageRequest(limit=5, offset=50))

    assert page.items == []
    assert (page.total, page.limit, page.offset) == (7, 5, 50)


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (101, 0), (20, -1)])
def test_page_bounds(limit: int, offset: int) -> None:
    with pytest.raises(InvalidValue):
        PageRequest(limit=limit, offset=offset)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("potter stone", [0, 4]),  # the title holds both words; then the one that needs its author
        ("POTTER", [0, 1, 4]),
        ("stone", [0, 4]),
        ("lewis caspian", [3]),
        ("%", [6]),
        ("_", [6]),
        ("'s", [0, 6]),
        ("\\", [6]),
        ("🦁", [6]),
        ("ünïcode", [6]),
        ("withdrawn", []),
        ("potter  dragon", []),
    ],
)
async def test_search_finds_every_word_and_ranks_title_matches_first(
    backend: Backend, query: str, expected: list[int]
) -> None:
    await _seed(backend.uow)

    page = await backend.catalog.search_products(SearchTerms.parse(query), EVERYTHING)

    assert _titles(page) == [BOOKS[n][0] for n in expected]
    assert page.total == len(expected)


async def test_search_within_a_series_and_by_page(backend: Backend) -> None:
    await _seed(backend.uow)
    terms = SearchTerms.parse("the")

    narnia = await backend.catalog.search_products(terms, EVERYTHING, series=Series.NARNIA)
    second = await backend.catalog.search_products(terms, PageRequest(limit=2, offset=2))

    assert _titles(narnia) == [BOOKS[n][0] for n in (2, 4, 7)]
    assert second.total == 5
    assert len(second.items) == 2


@pytest.mark.parametrize("query", ["", "   ", "x" * 101])
def test_search_terms_are_one_to_a_hundred_characters(query: str) -> None:
    with pytest.raises(InvalidValue):
        SearchTerms.parse(query)


async def test_a_withdrawn_product_is_not_shown_alone(backend: Backend) -> None:
    ids = await _seed(backend.uow)

    assert await backend.catalog.get_active_product(ids["a withdrawn potter book"]) is None
    shown = await backend.catalog.get_active_product(ids["prince caspian"])
    assert shown is not None
    assert shown.title == "prince caspian"


async def test_users_are_listed_by_id_and_filtered_by_activity(backend: Backend) -> None:
    async with backend.uow() as tx:
        for n in range(5):
            await tx.users.add(
                User.register(f"user{n}@example.com", "hash", START) if n != 3 else _inactive(n)
            )
        await tx.commit()

    everyone = await backend.users.list_users(PageRequest(limit=2, offset=2))
    inactive = await backend.users.list_users(EVERYTHING, is_active=False)

    assert [u.email for u in everyone.items] == ["user2@example.com", "user3@example.com"]
    assert everyone.total == 5
    assert [u.email for u in inactive.items] == ["user3@example.com"]


def _inactive(n: int) -> User:
    user = User.register(f"user{n}@example.com", "hash", START)
    user.is_active = False
    return user


WORDS = st.text(
    alphabet=st.sampled_from("abcdehiklnoprstwy %_'\\🦁ÜüïÄä.,"),
    min_size=1,
    max_size=12,
)


@pytest.fixture
async def reference() -> MemoryCatalogQueries:
    """The same catalogue in memory, where search is SearchTerms' rule evaluated in Python."""
    store = MemoryStore()
    await _seed(lambda: MemoryUnitOfWork(store))
    return MemoryCatalogQueries(store)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=WORDS)
async def test_every_store_searches_exactly_like_the_rule(
    backend: Backend, reference: MemoryCatalogQueries, query: str
) -> None:
    """Result for result and in order, every store agrees with the rule, whatever is typed."""
    if (await backend.catalog.list_products(ProductFilters(), ProductSort.ID, EVERYTHING)).total == 0:
        await _seed(backend.uow)
    try:
        terms = SearchTerms.parse(query)
    except InvalidValue:
        return

    found = await backend.catalog.search_products(terms, EVERYTHING)
    expected = await reference.search_products(terms, EVERYTHING)

    assert _titles(found) == _titles(expected)
    assert all(terms.matches(product) for product in found.items)
