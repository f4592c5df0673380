"""Read-your-writes through the page cache: a request that starts after a write's response never
gets a page from before it. Two apps over one database stand for two workers, each with its own
page cache: every write goes through one, every read to the other (tests/entrypoints/
test_read_your_writes.py does the same through real servers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import String, cast, insert, literal, select, update

from adapters.sqlalchemy.tables import UtcDateTime, products
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import TEST_JWT_SECRET, make_settings
from tests.http.catalog_helpers import book, create_product, create_products, get_page, ids, make_admin
from tests.http.conftest import Session, assert_problem, bearer, in_app_loop, signup_and_login
from tests.http.shopping_helpers import add_to_cart, edit_product, pay_with, post_checkout, set_stock

pytestmark = pytest.mark.backends("sqlite", "postgres")
KEPT_SECONDS = 3600
"""Far longer than any test: only a catalogue write can end a page here."""
Client = AsyncTestClient[Litestar]


@dataclass(frozen=True)
class Workers:
    writer: Client
    reader: Client
    reader_container: Container
    admin: Session


@pytest.fixture
async def workers(database_url: str) -> AsyncIterator[Workers]:
    containers = [
        build_container(make_settings(database_url, catalog_cache_seconds=KEPT_SECONDS)) for _ in "ab"
    ]
    async with (
        AsyncTestClient(app=create_app(containers[0])) as writer,
        AsyncTestClient(app=create_app(containers[1])) as reader,
    ):
        admin = await make_admin(writer, containers[0])
        yield Workers(writer=writer, reader=reader, reader_container=containers[1], admin=admin)


async def product(client: Client, product_id: int) -> dict[str, Any]:
    response = await client.get(f"/products/{product_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def listed(client: Client, product_id: int, **params: Any) -> list[dict[str, Any]]:
    page = await get_page(client, "/products", {"limit": 100, **params})
    return [item for item in page["items"] if item["id"] == product_id]


async def found_by_search(client: Client, q: str) -> list[int]:
    return ids((await get_page(client, "/products/search", {"q": q}))["items"])


async def test_a_price_change_shows_on_every_page_of_the_other_worker_at_once(workers: Workers) -> None:
    reader, token = workers.reader, workers.admin.access_token
    made = await create_product(workers.writer, token, book("PRINCE CASPIAN", price_cents=899))
    before = [await product(reader, made["id"]) for _ in range(2)]
    before_listed = await listed(reader, made["id"])
    before_found = (await get_page(reader, "/products/search", {"q": "caspian"}))["items"]

    await edit_product(workers.writer, token, made["id"], {"price_cents": 999})

    assert [p["price_cents"] for p in before + before_listed + before_found] == [899] * 4
    assert (await product(reader, made["id"]))["price_cents"] == 999
    assert [p["price_cents"] for p in await listed(reader, made["id"])] == [999]
    assert [
        p["price_cents"] for p in (await get_page(reader, "/products/search", {"q": "caspian"}))["items"]
    ] == [999]


async def test_a_withdrawn_product_is_gone_from_the_other_worker_at_once_and_back_when_restored(
    workers: Workers,
) -> None:
    reader, token = workers.reader, workers.admin.access_token
    made = await create_product(workers.writer, token, book("THE SILVER CHAIR"))
    await product(reader, made["id"])
    assert await found_by_search(reader, "silver") == [made["id"]]

    await edit_product(workers.writer, token, made["id"], {"is_active": False})
    gone = await reader.get(f"/products/{made['id']}")
    gone_from_lists = (await listed(reader, made["id"]), await found_by_search(reader, "silver"))
    await edit_product(workers.writer, token, made["id"], {"is_active": True})

    assert_problem(gone, 404, "not_found")
    assert gone_from_lists == ([], [])
    assert (await product(reader, made["id"]))["is_active"] is True
    assert await found_by_search(reader, "silver") == [made["id"]]


async def test_every_stock_movement_shows_on_the_other_worker_at_once(workers: Workers) -> None:
    writer, reader, token = workers.writer, workers.reader, workers.admin.access_token
    made = await create_product(writer, token, book("THE LAST BATTLE", stock=5))
    buyer = await signup_and_login(writer, "buyer@example.com")
    seen = [(await product(reader, made["id"]))["stock"]]

    await set_stock(writer, token, made["id"], 9)
    seen.append((await product(reader, made["id"]))["stock"])
    adjusted = await writer.patch(
        f"/admin/products/{made['id']}/stock", json={"delta": -2}, headers=bearer(token)
    )
    assert adjusted.status_code == 200, adjusted.text
    seen.append((await product(reader, made["id"]))["stock"])
    await add_to_cart(writer, buyer.access_token, made["id"], 3)
    paid = await post_checkout(writer, buyer.access_token, pay_with("pm_card_visa"))
    assert paid.status_code == 201, paid.text
    seen.append((await product(reader, made["id"]))["stock"])
    seen.append((await listed(reader, made["id"], in_stock=True))[0]["stock"])

    assert seen == [5, 9, 7, 4, 4]


async def test_pages_after_new_products_never_overlap_and_agree_with_the_total(workers: Workers) -> None:
    writer, reader, token = workers.writer, workers.reader, workers.admin.access_token
    await create_products(writer, token, [book(f"OLD {n}") for n in range(5)])
    for sort in ("id", "-created_at"):  # every page of both orders kept by the reader
        await walk_all(reader, sort)

    await create_products(writer, token, [book(f"NEW {n}") for n in range(5)])
    admin_view = await get_page(writer, "/admin/products", {"limit": 100}, bearer(token))

    for sort in ("id", "-created_at"):
        totals, seen = await walk_all(reader, sort)
        assert totals == {10}, sort
        assert sorted(seen) == sorted(ids(admin_view["items"])), sort  # each once: no overlap, none missed


async def walk_all(client: Client, sort: str) -> tuple[set[int], list[int]]:
    totals, seen = set(), []
    for offset in range(0, 12, 3):
        page = await get_page(client, "/products", {"sort": sort, "limit": 3, "offset": offset})
        totals.add(page["total"])
        seen += ids(page["items"])
    return totals, seen


async def test_a_page_is_kept_until_the_catalogue_changes(workers: Workers) -> None:
    """The cache does keep pages (so the tests above prove something): a change made behind the
    shop's back, which does not move the catalogue version, is not seen until a write through
    the shop does; and any such write ends every page."""
    reader, token = workers.reader, workers.admin.access_token
    first, other = await create_products(workers.writer, token, [book("KEPT"), book("OTHER")])
    await product(reader, first["id"])

    async def behind_the_shops_back() -> None:
        engine = workers.reader_container.engine()
        async with engine.begin() as conn:
            await conn.execute(update(products).where(products.c.id == first["id"]).values(price_cents=1))

    in_app_loop(reader, behind_the_shops_back)
    kept = await product(reader, first["id"])
    await set_stock(workers.writer, token, other["id"], 7)  # a write to another product

    assert kept["price_cents"] == 500
    assert (await product(reader, first["id"]))["price_cents"] == 1


async def test_carts_and_checkout_never_see_a_cached_price(workers: Workers) -> None:
    reader, token = workers.reader, workers.admin.access_token
    made = await create_product(workers.writer, token, book("PRICED", price_cents=899, stock=5))
    await product(reader, made["id"])  # now kept at 899
    await edit_product(workers.writer, token, made["id"], {"price_cents": 1299})
    buyer = await signup_and_login(reader, "buyer@example.com")

    cart = await add_to_cart(reader, buyer.access_token, made["id"])
    order = await post_checkout(reader, buyer.access_token, pay_with("pm_card_visa"))

    assert cart["items"][0]["price_cents"] == 1299
    assert order.json()["total_amount_cents"] == 1299


async def test_different_queries_are_different_pages(workers: Workers) -> None:
    reader, token = workers.reader, workers.admin.access_token
    harry = await create_product(workers.writer, token, book("HARRY ONE", series="HP", price_cents=500))
    narnia_one = await create_product(
        workers.writer, token, book("NARNIA ONE", series="NARNIA", price_cents=900)
    )

    hp = await get_page(reader, "/products", {"series": "HP"})
    narnia = await get_page(reader, "/products", {"series": "NARNIA"})
    found = await get_page(reader, "/products/search", {"q": "narnia"})
    cheapest = await get_page(reader, "/products", {"sort": "price_cents", "limit": 1})
    dearest = await get_page(reader, "/products", {"limit": 1, "sort": "-price_cents"})
    one, other = await product(reader, harry["id"]), await product(reader, narnia_one["id"])

    assert [p["title"] for p in hp["items"]] == ["HARRY ONE"]
    assert [p["title"] for p in narnia["items"]] == ["NARNIA ONE"]
    assert [p["title"] for p in found["items"]] == ["NARNIA ONE"]
    assert [p["title"] for p in cheapest["items"] + dearest["items"]] == ["HARRY ONE", "NARNIA ONE"]
    assert (one["title"], other["title"]) == ("HARRY ONE", "NARNIA ONE")


async def test_an_options_request_never_becomes_the_page_a_get_receives(workers: Workers) -> None:
    reader = workers.reader
    made = await create_product(workers.writer, workers.admin.access_token, book("ASKED ABOUT"))

    options = await reader.options(f"/products/{made['id']}")
    page = await reader.get(f"/products/{made['id']}")
    listed_after = await reader.options("/products"), await reader.get("/products")

    assert options.status_code == 204
    assert (page.status_code, page.json()["title"]) == (200, "ASKED ABOUT")
    assert (listed_after[1].status_code, listed_after[1].json()["total"]) == (200, 1)


# --- totals with the page cache off ---------------------------------------------------------------

LARGE_CATALOGUE = 60_000
"""Enough books that counting them takes milliseconds (an earlier total cache kept such slow
counts for seconds, even with the page cache off)."""


async def test_with_the_page_cache_off_every_total_is_counted_on_a_large_catalogue(database_url: str) -> None:
    settings = Settings.from_mapping(
        {
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "JWT_SECRET": TEST_JWT_SECRET,
            "AUTH_RATE_LIMIT": "0",
            "CATALOG_CACHE_SECONDS": "0",
        }
    )
    container = build_container(settings)
    async with AsyncTestClient(app=create_app(container)) as client:
        in_app_loop(client, lambda: _shelve_fillers(container, LARGE_CATALOGUE))
        admin = await make_admin(client, container)
        before = [(await get_page(client, "/products", {"offset": n}))["total"] for n in (0, 20)]

        await create_products(client, admin.access_token, [book(f"NEW {n}") for n in range(5)])
        after = [(await get_page(client, "/products", {"offset": n}))["total"] for n in (0, 20)]

    assert before == [LARGE_CATALOGUE] * 2
    assert after == [LARGE_CATALOGUE + 5] * 2


async def _shelve_fillers(container: Container, count: int) -> None:
    """`count` books in one statement (a recursive CTE), straight into the table, with the text
    search compares as domain.search writes it for them ("FILLER 12" by NOBODY, a Narnia book)."""
    numbers = select(literal(1).label("n")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.n + 1).where(numbers.c.n < count))
    number = cast(numbers.c.n, String)
    rows = select(
        literal("FILLER ") + number,
        literal("NARNIA"),
        literal("NOBODY"),
        literal(100),
        literal(1),
        literal(True),
        literal(datetime.now(UTC), UtcDateTime()),
        literal("filler ") + number,
        literal("filler ") + number + literal(" nobody the chronicles of narnia"),
    )
    columns = [
        "title",
        "series",
        "author",
        "price_cents",
        "stock",
        "is_active",
        "created_at",
        "search_title",
        "search_text",
    ]
    async with container.engine().begin() as conn:
        await conn.execute(insert(products).from_select(columns, rows))
