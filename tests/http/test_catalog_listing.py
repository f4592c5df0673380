"""GET /products: the page envelope, its bounds, the filters and every sort."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import (
    PRODUCT_KEYS,
    SORTS,
    Client,
    Json,
    book,
    create_products,
    created_at,
    get_page,
    ids,
    in_order,
    make_admin,
    set_active,
)
from tests.http.conftest import Session, assert_problem, error_fields, media_type, refused_before_any_store


@pytest.fixture
async def admin(client: Client, container: Container) -> Session:
    return await make_admin(client, container)


async def listed(client: Client, **params: Any) -> list[int]:
    return ids((await get_page(client, "/products", params))["items"])


# --- the page ------------------------------------------------------------------------------------


async def test_an_empty_catalogue_is_an_empty_page_with_the_defaults(client: Client) -> None:
    response = await client.get("/products")

    assert response.status_code == 200
    assert media_type(response) == "application/json"
    assert response.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_a_product_has_every_contract_field(client: Client, admin: Session) -> None:
    [created] = await create_products(
        client,
        admin.access_token,
        [book("LION", series="NARNIA", author="C. S. Lewis", price_cents=799, stock=4)],
    )

    page = await get_page(client, "/products")

    assert page["total"] == 1
    [item] = page["items"]
    assert set(item) == PRODUCT_KEYS
    assert item == created
    assert isinstance(item["id"], int)
    assert item["title"] == "LION"
    assert item["series"] == "NARNIA"
    assert item["author"] == "C. S. Lewis"
    assert item["price_cents"] == 799
    assert item["stock"] == 4
    assert item["is_active"] is True
    offset = created_at(item).utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 0


async def test_the_defaults_are_limit_20_and_offset_0(client: Client, admin: Session) -> None:
    made = await create_products(client, admin.access_token, [book(f"T{n:02}") for n in range(23)])

    page = await get_page(client, "/products")

    assert page["limit"] == 20
    assert page["offset"] == 0
    assert page["total"] == 23
    assert ids(page["items"]) == ids(made)[:20]


async def test_limit_and_offset_choose_the_slice(client: Client, admin: Session) -> None:
    made = ids(await create_products(client, admin.access_token, [book(f"T{n}") for n in range(5)]))

    page = await get_page(client, "/products", {"limit": 2, "offset": 1})

    assert page == {**page, "limit": 2, "offset": 1, "total": 5}
    assert ids(page["items"]) == made[1:3]
    last = await get_page(client, "/products", {"limit": 2, "offset": 4})
    assert ids(last["items"]) == made[4:]
    assert last["total"] == 5


async def test_an_offset_past_the_end_is_an_empty_page_with_the_real_total(
    client: Client, admin: Session
) -> None:
    await create_products(client, admin.access_token, [book(f"T{n}") for n in range(3)])

    page = await get_page(client, "/products", {"limit": 5, "offset": 10})

    assert page == {"items": [], "total": 3, "limit": 5, "offset": 10}


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_bounds_are_accepted(client: Client, admin: Session, limit: int) -> None:
    await create_products(client, admin.access_token, [book("A"), book("B")])

    page = await get_page(client, "/products", {"limit": limit})

    assert page["limit"] == limit
    assert len(page["items"]) == min(limit, 2)
    assert page["total"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "x"}, "offset"),
    ],
)
@refused_before_any_store
async def test_out_of_range_paging_is_a_validation_error_naming_the_field(
    shared_client: Client, params: dict[str, Any], field: str
) -> None:
    response = await shared_client.get("/products", params=params)

    body = assert_problem(response, 400, "validation_error")
    assert field in error_fields(body)


# --- only products on sale -----------------------------------------------------------------------


async def test_inactive_products_are_never_listed_nor_counted(client: Client, admin: Session) -> None:
    made = ids(await create_products(client, admin.access_token, [book(f"T{n}") for n in range(5)]))
    await set_active(client, admin.access_token, made[1], False)
    await set_active(client, admin.access_token, made[3], False)

    page = await get_page(client, "/products")
    assert ids(page["items"]) == [made[0], made[2], made[4]]
    assert page["total"] == 3
    assert all(item["is_active"] is True for item in page["items"])

    one = await get_page(client, "/products", {"limit": 1})
    assert one["total"] == 3

    for sort in SORTS:
        assert set(await listed(client, sort=sort)) == {made[0], made[2], made[4]}


async def test_an_is_active_query_cannot_reveal_inactive_products(client: Client, admin: Session) -> None:
    made = ids(await create_products(client, admin.access_token, [book("A"), book("B")]))
    await set_active(client, admin.access_token, made[0], False)

    response = await client.get("/products", params={"is_active": "false"})

    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert ids(response.json()["items"]) == [made[1]]
        assert response.json()["total"] == 1


# --- filters -------------------------------------------------------------------------------------


async def test_series_filter(client: Client, admin: Session) -> None:
    made = ids(
        await create_products(
            client,
            admin.access_token,
            [book("A", series="HP"), book("B", series="NARNIA"), book("C", series="HP")],
        )
    )

    hp = await get_page(client, "/products", {"series": "HP"})
    narnia = await get_page(client, "/products", {"series": "NARNIA"})

    assert ids(hp["items"]) == [made[0], made[2]]
    assert hp["total"] == 2
    assert ids(narnia["items"]) == [made[1]]
    assert narnia["total"] == 1


@pytest.mark.parametrize("series", ["hp", "Narnia", "LOTR", ""])
@refused_before_any_store
async def test_an_unknown_series_is_a_validation_error(shared_client: Client, series: str) -> None:
    response = await shared_client.get("/products", params={"series": series})

    body = assert_problem(response, 400, "validation_error")
    assert "series" in error_fields(body)


AUTHORS = ["J. K. Rowling", "C. S. Lewis", "ROWLING FAN CLUB", "100% Real", "A_B Writer", "AXB Writer"]


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("rowling", [0, 2]),
        ("ROWLING", [0, 2]),
        ("RoWlInG", [0, 2]),
        ("k. row", [0]),
        ("lewis", [1]),
        ("s. l", [1]),
        ("%", [3]),
        ("0% r", [3]),
        ("_", [4]),
        ("a_b", [4]),
        ("tolkien", []),
    ],
)
async def test_author_filter_is_a_case_insensitive_substring_with_literal_wildcards(
    client: Client, admin: Session, author: str, expected: list[int]
) -> None:
    made = ids(
        await create_products(
            client, admin.access_token, [book(f"T{n}", author=name) for n, name in enumerate(AUTHORS)]
        )
    )

    page = await get_page(client, "/products", {"author": author})

    assert ids(page["items"]) == [made[n] for n in expected]
    assert page["total"] == len(expected)


@pytest.mark.parametrize("author", ["\x00", "rowling\x00", "\x00lewis"])
async def test_a_nul_character_in_the_author_filter_is_neither_a_server_error_nor_a_wildcard(
    client: Client, admin: Session, author: str
) -> None:
    await create_products(
        client, admin.access_token, [book(f"T{n}", author=name) for n, name in enumerate(AUTHORS)]
    )

    response = await client.get("/products", params={"author": author})

    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert response.json()["items"] == []  # no author holds a NUL
    else:
        assert "author" in error_fields(assert_problem(response, 400, "validation_error"))


async def test_price_filters_are_inclusive(client: Client, admin: Session) -> None:
    prices = [0, 100, 250, 250, 999, 1000]
    made = ids(
        await create_products(
            client, admin.access_token, [book(f"T{n}", price_cents=p) for n, p in enumerate(prices)]
        )
    )

    def priced(low: int, high: int) -> list[int]:
        return [made[n] for n, price in enumerate(prices) if low <= price <= high]

    assert await listed(client, min_price_cents=250) == priced(250, 10**9)
    assert await listed(client, max_price_cents=250) == priced(0, 250)
    assert await listed(client, min_price_cents=100, max_price_cents=999) == priced(100, 999)
    assert await listed(client, min_price_cents=250, max_price_cents=250) == priced(250, 250)
    assert await listed(client, min_price_cents=0) == made
    assert await listed(client, max_price_cents=0) == [made[0]]
    assert await listed(client, min_price_cents=1001) == []
    assert await listed(client, min_price_cents=999, max_price_cents=100) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_price_cents": -1}, "min_price_cents"),
        ({"max_price_cents": -1}, "max_price_cents"),
        ({"min_price_cents": "cheap"}, "min_price_cents"),
        ({"max_price_cents": "1.99"}, "max_price_cents"),
        ({"in_stock": "maybe"}, "in_stock"),
    ],
)
@refused_before_any_store
async def test_a_bad_filter_value_is_a_validation_error_naming_it(
    shared_client: Client, params: dict[str, Any], field: str
) -> None:
    response = await shared_client.get("/products", params=params)

    body = assert_problem(response, 400, "validation_error")
    assert field in error_fields(body)


async def test_in_stock_filter(client: Client, admin: Session) -> None:
    made = ids(
        await create_products(
            client,
            admin.access_token,
            [book("A", stock=0), book("B", stock=1), book("C", stock=None), book("D", stock=50)],
        )
    )

    in_stock = await get_page(client, "/products", {"in_stock": "true"})
    sold_out = await get_page(client, "/products", {"in_stock": "false"})

    assert ids(in_stock["items"]) == [made[1], made[3]]
    assert in_stock["total"] == 2
    assert ids(sold_out["items"]) == [made[0], made[2]]
    assert sold_out["total"] == 2
    assert await listed(client) == made


async def test_filters_combine(client: Client, admin: Session) -> None:
    made = ids(
        await create_products(
            client,
            admin.access_token,
            [
                book("A", series="HP", author="J. K. Rowling", price_cents=899, stock=3),
                book("B", series="HP", author="J. K. Rowling", price_cents=1399, stock=3),
                book("C", series="HP", author="J. K. Rowling", price_cents=899, stock=0),
                book("D", series="NARNIA", author="C. S. Lewis", price_cents=899, stock=3),
                book("E", series="HP", author="Someone Else", price_cents=899, stock=3),
            ],
        )
    )

    page = await get_page(
        client,
        "/products",
        {"series": "HP", "author": "rowling", "max_price_cents": 1000, "in_stock": "true"},
    )

    assert ids(page["items"]) == [made[0]]
    assert page["total"] == 1


# --- sorts ---------------------------------------------------------------------------------------

SORT_BOOKS = [
    book("DELTA", price_cents=500),
    book("ALPHA", price_cents=300),
    book("CHARLIE", price_cents=500),
    book("ALPHA", price_cents=100),
    book("BRAVO", price_cents=300),
    book("ECHO", price_cents=500),
    book("BRAVO", price_cents=900),
    book("ALPHAB", price_cents=300),
]


@pytest.fixture
async def sort_catalogue(client: Client, admin: Session) -> list[Json]:
    """Titles and prices that repeat, so every tie has to be broken by id; one product inactive."""
    made = await create_products(client, admin.access_token, SORT_BOOKS)
    await set_active(client, admin.access_token, made[2]["id"], False)
    page = await get_page(client, "/products", {"limit": 100})
    assert len(page["items"]) == len(made) - 1
    return list(page["items"])


@pytest.mark.parametrize("sort", SORTS)
async def test_every_sort_is_total_with_ties_broken_by_id(
    client: Client, sort_catalogue: list[Json], sort: str
) -> None:
    page = await get_page(client, "/products", {"sort": sort, "limit": 100})

    assert page["items"] == in_order(sort_catalogue, sort)
    assert page["total"] == len(sort_catalogue)


async def test_the_default_sort_is_by_id(client: Client, sort_catalogue: list[Json]) -> None:
    page = await get_page(client, "/products")

    assert ids(page["items"]) == sorted(ids(sort_catalogue))


async def test_title_and_price_sorts_spelled_out(client: Client, sort_catalogue: list[Json]) -> None:
    by_id = {item["id"]: item for item in sort_catalogue}

    titles = [by_id[i]["title"] for i in await listed(client, sort="title")]
    prices = [by_id[i]["price_cents"] for i in await listed(client, sort="price_cents")]
    descending = [by_id[i]["price_cents"] for i in await listed(client, sort="-price_cents")]

    assert titles == ["ALPHA", "ALPHA", "ALPHAB", "BRAVO", "BRAVO", "DELTA", "ECHO"]
    assert prices == [100, 300, 300, 300, 500, 500, 900]
    assert descending == [900, 500, 500, 300, 300, 300, 100]
    for sort in ("price_cents", "-price_cents"):
        order = await listed(client, sort=sort)
        threes = [i for i in order if by_id[i]["price_cents"] == 300]
        assert threes == sorted(threes), f"{sort}: ties must go by id ascending"


async def test_sorts_apply_after_filters(client: Client, sort_catalogue: list[Json]) -> None:
    page = await get_page(client, "/products", {"sort": "-price_cents", "max_price_cents": 500})

    expected = in_order([item for item in sort_catalogue if item["price_cents"] <= 500], "-price_cents")
    assert page["items"] == expected


@pytest.mark.parametrize("sort", ["name", "-id", "-title", "price", "PRICE_CENTS", "created", "+id", ""])
@refused_before_any_store
async def test_an_unknown_sort_is_a_validation_error(shared_client: Client, sort: str) -> None:
    response = await shared_client.get("/products", params={"sort": sort})

    body = assert_problem(response, 400, "validation_error")
    assert "sort" in error_fields(body)
