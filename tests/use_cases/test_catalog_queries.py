"""The read side means the same on every store: filters, orders, pages and search."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.memory.catalogue_version import MemoryCatalogueVersion
from adapters.memory.queries import MemoryCatalogQueries, MemoryUserQueries
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from application.ports import UnitOfWorkFactory
from application.queries import Page, PageRequest, ProductFilters, ProductSort, SearchTerms
from application.shop_window import StoredShopWindow
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


# Every product is found by its title, its author and its series' name; with BOOKS:
#   0 harry potter and the philosophers stone j k rowling harry potter
#   1 harry potter and the chamber of secrets j k rowling harry potter
#   2 the lion the witch and the wardrobe c s lewis the chronicles of narnia
#   3 prince caspian c s lewis the chronicles of narnia
#   4 the stone table potter fan club the chronicles of narnia
#   6 100 magicbooks 🦁 ünïcode äuthor harry potter
#   7 the last battle c s lewis the chronicles of narnia
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("potter stone", [0, 4]),  # the title holds both words; then the one that needs its author
        ("POTTER", [0, 1, 4, 6]),  # titles first; then the author, then the series' name
        ("stone", [0, 4]),
        ("lewis caspian", [3]),
        ("narnia", [2, 3, 4, 7]),  # no title says "narnia": the series' name does
        ("chronicles", [2, 3, 4, 7]),
        ("harry potter", [0, 1, 6]),
        ("narnia stone", [4]),
        ("potter narnia", [4]),  # "Potter Fan Club" wrote a Narnia book
        ("philosophers stone", [0]),
        ("philosopher's stone", [0]),
        ("philosopher\u2019s stone", [0]),  # the typographic apostrophe
        ("PHILOSOPHER`S", [0]),
        ("lion, witch!", [2]),
        ("magic_book's", [6]),
        ("magic book", [6]),
        ("🦁", [6]),
        ("ünïcode", [6]),
        ("ÜNÏCODE ÄUTHOR", [6]),
        ("withdrawn", []),
        ("potter  dragon", []),
        # punctuation is no word, and never a wildcard: on its own it finds nothing
        ("%", []),
        ("_", []),
        ("\\", []),
        ("' % _ \u2019", []),
        ("100%", [6]),
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

    assert _titles(narnia) == [BOOKS[n][0] for n in (2, 4, 7, 3)]  # "prince caspian": its series' name
    assert second.total == 6
    assert _titles(second) == [BOOKS[n][0] for n in (2, 4)]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 7])
async def test_search_pages_walk_the_ranking_once_across_title_and_other_matches(
    backend: Backend, limit: int
) -> None:
    """Titles holding every word fill the first pages, the other matches the next ones: whatever the
    page size, the pages join into the whole ranking, each with the same exact total."""
    await _seed(backend.uow)
    terms = SearchTerms.parse("the")
    whole = _titles(await backend.catalog.search_products(terms, EVERYTHING))
    assert whole == [BOOKS[n][0] for n in (0, 1, 2, 4, 7, 3)]

    walked: list[str] = []
    for offset in range(0, 9, limit):
        page = await backend.catalog.search_products(terms, PageRequest(limit=limit, offset=offset))
        walked += _titles(page)
        assert page.total == len(whole), offset

    assert walked == whole


async def test_search_totals_past_the_title_matches(backend: Backend) -> None:
    """A page that starts among the other matches, or past every match, still knows the total."""
    await _seed(backend.uow)
    terms = SearchTerms.parse("potter")

    others = await backend.catalog.search_products(terms, PageRequest(limit=1, offset=3))
    past = await backend.catalog.search_products(terms, PageRequest(limit=5, offset=9))

    assert (_titles(others), others.total) == ([BOOKS[6][0]], 4)
    assert (past.items, past.total) == ([], 4)


@pytest.mark.parametrize(
    ("query", "expected", "fuzzy"),
    [
        ("potterr", [0, 1, 4, 6], True),  # read as "potter"
        ("narnya", [2, 3, 4, 7], True),  # read as "narnia": the series' name
        ("harry potterr stone", [0], True),
        ("chronicals caspain", [3], True),
        ("lion wardrobr", [2], True),
        ("wardrob lion", [2], False),  # a part of a word is found as typed
        ("potter", [0, 1, 4, 6], False),  # found as typed: no near matches
        ("qqqq", [], False),  # nothing near it
        ("potter qqqq", [], False),
        ("%", [], False),
    ],
)
async def test_a_misspelt_word_offers_near_matches_on_a_fuzzy_page(
    backend: Backend, query: str, expected: list[int], fuzzy: bool
) -> None:
    await _seed(backend.uow)

    page = await StoredShopWindow(backend.catalog).search_on_sale(SearchTerms.parse(query), EVERYTHING)

    assert _titles(page) == [BOOKS[n][0] for n in expected]
    assert page.total == len(expected)
    assert page.fuzzy is fuzzy


async def test_near_matches_keep_the_series_filter_and_the_pages(backend: Backend) -> None:
    await _seed(backend.uow)
    window = StoredShopWindow(backend.catalog)

    narnia = await window.search_on_sale(SearchTerms.parse("potterr"), EVERYTHING, series=Series.NARNIA)
    second = await window.search_on_sale(SearchTerms.parse("potterr"), PageRequest(limit=2, offset=2))

    assert (_titles(narnia), narnia.total, narnia.fuzzy) == ([BOOKS[4][0]], 1, True)
    assert (_titles(second), second.total, second.fuzzy) == ([BOOKS[4][0], BOOKS[6][0]], 4, True)


async def test_near_words_come_from_the_catalogue_most_similar_first(backend: Backend) -> None:
    await _seed(backend.uow)

    near = await backend.catalog.near_words(["potterr", "narnya", "stonr", "qqqq", "potter"])

    assert near == {
        "potterr": ["potter"],
        "narnya": ["narnia"],
        "stonr": ["stone"],
        "qqqq": [],
        "potter": ["potter"],
    }


async def test_a_renamed_product_is_found_by_its_new_words_only(backend: Backend) -> None:
    ids = await _seed(backend.uow)
    async with backend.uow() as tx:
        product = await tx.products.get(ids["prince caspian"])
        assert product is not None
        product.revise(title="Prince Caspian: The Return to Narnia", author="Clive Staples")
        await tx.products.update_details(product)
        await tx.commit()

    found = await backend.catalog.search_products(SearchTerms.parse("return clive"), EVERYTHING)
    gone = await backend.catalog.search_products(SearchTerms.parse("lewis caspian"), EVERYTHING)
    moved = await backend.catalog.search_products(SearchTerms.parse("narnia"), EVERYTHING)

    assert _titles(found) == ["Prince Caspian: The Return to Narnia"]
    assert gone.items == []
    assert _titles(moved)[0] == "Prince Caspian: The Return to Narnia"  # its title holds "narnia" now


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


PUNCTUATED = "abcdehiklnoprstwy ÉéÜüß%_'\u2019\\-.,:!?&🦁"
WORDS = st.text(alphabet=st.sampled_from(PUNCTUATED + "\u02bc\u00b4`"), min_size=1, max_size=12)
TEXTS = st.text(alphabet=st.sampled_from(PUNCTUATED), min_size=1, max_size=30).filter(str.strip)
NEW_BOOKS = st.lists(st.tuples(TEXTS, TEXTS, st.sampled_from(Series)), max_size=2)


@pytest.fixture
async def reference() -> Backend:
    """The same catalogue in memory, where search is SearchTerms' rule evaluated in Python."""
    store = MemoryStore()
    await _seed(lambda: MemoryUnitOfWork(store))
    return Backend(
        lambda: MemoryUnitOfWork(store),
        MemoryCatalogQueries(store),
        MemoryUserQueries(store),
        MemoryCatalogueVersion(store),
    )


async def _add(uow: UnitOfWorkFactory, books: list[tuple[str, str, Series]]) -> None:
    async with uow() as tx:
        for title, author, series in books:
            await tx.products.add(
                Product(title=title, series=series, author=author, price_cents=1, stock=1, created_at=START)
            )
        await tx.commit()


def _found(page: Page[Product]) -> list[tuple[str, str, Series]]:
    return [(p.title, p.author, p.series) for p in page.items]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(books=NEW_BOOKS, query=WORDS)
@example(books=[("The Philosopher\u2019s Stone!", "O'Brien-Smith", Series.HP)], query="philosophers")
@example(books=[("Spider-Man: Home", "A. N. Other", Series.NARNIA)], query="spiderman narnia")
@example(books=[("Straße", "x", Series.HP)], query="STRASSE")
async def test_every_store_searches_exactly_like_the_rule(
    backend: Backend, reference: Backend, books: list[tuple[str, str, Series]], query: str
) -> None:
    """Result for result and in order, total for total, every store agrees with the rule whatever is
    typed and whatever punctuation the titles and authors hold; near words and fuzzy pages too (on
    PostgreSQL, pg_trgm against domain.search's own trigram similarity)."""
    if (await backend.catalog.list_products(ProductFilters(), ProductSort.ID, EVERYTHING)).total == 0:
        await _seed(backend.uow)
    await _add(backend.uow, books)
    await _add(reference.uow, books)
    try:
        terms = SearchTerms.parse(query)
    except InvalidValue:
        return

    found = await backend.catalog.search_products(terms, EVERYTHING)
    expected = await reference.catalog.search_products(terms, EVERYTHING)
    assert _found(found) == _found(expected)
    assert found.total == expected.total
    assert all(terms.matches(product) for product in found.items)
    assert await backend.catalog.near_words(terms.words) == await reference.catalog.near_words(terms.words)
    fuzzy = await StoredShopWindow(backend.catalog).search_on_sale(terms, PageRequest(limit=3, offset=1))
    expected_fuzzy = await StoredShopWindow(reference.catalog).search_on_sale(
        terms, PageRequest(limit=3, offset=1)
    )
    assert (_found(fuzzy), fuzzy.total, fuzzy.fuzzy) == (
        _found(expected_fuzzy),
        expected_fuzzy.total,
        expected_fuzzy.fuzzy,
    )
