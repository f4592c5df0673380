"""Walking every page of GET /products (and of the back office's list): no overlap, no gap."""

from __future__ import annotations

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import (
    SORTS,
    Client,
    Json,
    book,
    create_products,
    get_page,
    ids,
    in_order,
    make_admin,
    set_active,
    walk,
)
from tests.http.conftest import Session, bearer

TITLES = ["LION", "WITCH", "WARDROBE", "CASPIAN", "VOYAGE", "CHAIR", "HORSE", "NEPHEW", "BATTLE"]
PRICES = [799, 899, 999, 1199]
LIMIT = 7


@pytest.fixture
async def admin(client: Client, container: Container) -> Session:
    return await make_admin(client, container)


@pytest.fixture
async def catalogue(client: Client, admin: Session) -> list[Json]:
    """28 products, 3 of them withdrawn: 25 on sale. Titles and prices repeat, so ties are everywhere."""
    bodies = [
        book(
            TITLES[n % len(TITLES)],
            series="HP" if n % 3 else "NARNIA",
            price_cents=PRICES[n % len(PRICES)],
            stock=n % 4,
        )
        for n in range(28)
    ]
    made = await create_products(client, admin.access_token, bodies)
    for product in (made[0], made[13], made[27]):
        await set_active(client, admin.access_token, product["id"], False)
    on_sale = (await get_page(client, "/products", {"limit": 100}))["items"]
    assert len(on_sale) == 25
    return list(on_sale)


@pytest.mark.parametrize("sort", SORTS)
async def test_walking_every_page_lists_each_product_on_sale_once_in_order(
    client: Client, catalogue: list[Json], sort: str
) -> None:
    pages = await walk(client, "/products", {"sort": sort}, LIMIT)

    assert len(pages) == 4
    assert {page["total"] for page in pages} == {25}
    walked = [item for page in pages for item in page["items"]]
    assert len(walked) == 25
    assert len(set(ids(walked))) == 25, "pages overlap"
    assert set(ids(walked)) == set(ids(catalogue)), "pages skip or invent products"
    assert walked == in_order(catalogue, sort)


@pytest.mark.parametrize("sort", ["title", "-price_cents"])
async def test_walking_a_filtered_list_keeps_the_filtered_total(
    client: Client, catalogue: list[Json], sort: str
) -> None:
    hp = [item for item in catalogue if item["series"] == "HP"]

    pages = await walk(client, "/products", {"sort": sort, "series": "HP"}, LIMIT)

    assert {page["total"] for page in pages} == {len(hp)}
    assert [item for page in pages for item in page["items"]] == in_order(hp, sort)


@pytest.mark.parametrize("sort", SORTS)
async def test_walking_the_back_office_list_includes_the_withdrawn(
    client: Client, admin: Session, catalogue: list[Json], sort: str
) -> None:
    everything = (await get_page(client, "/admin/products", {"limit": 100}, bearer(admin.access_token)))[
        "items"
    ]
    assert len(everything) == 28

    walked: list[Json] = []
    offset = 0
    while offset < 28:
        page = await get_page(
            client,
            "/admin/products",
            {"sort": sort, "limit": LIMIT, "offset": offset},
            bearer(admin.access_token),
        )
        assert page["total"] == 28
        walked += page["items"]
        offset += LIMIT

    assert walked == in_order(everything, sort)
