"""With CATALOG_CACHE_SECONDS set, public catalogue pages may be a few seconds old; the back office,
carts and checkout always see the truth."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.http.response_cache import BoundedMemoryStore
from tests.conftest import make_settings
from tests.http.catalog_helpers import book, create_product, make_admin
from tests.http.conftest import bearer, signup_and_login

pytestmark = pytest.mark.backends("sqlite")
SECONDS = 1


@pytest.fixture
async def cached(database_url: str) -> AsyncIterator[tuple[AsyncTestClient[Litestar], Container]]:
    container = build_container(make_settings(database_url, catalog_cache_seconds=SECONDS))
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client, container


async def test_a_product_page_may_lag_a_change_by_seconds_the_back_office_never(
    cached: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = cached
    admin = await make_admin(client, container)
    product = await create_product(client, admin.access_token, book("CACHED", price_cents=899))
    first = (await client.get(f"/products/{product['id']}")).json()

    await client.patch(
        f"/admin/products/{product['id']}", json={"price_cents": 999}, headers=bearer(admin.access_token)
    )
    meanwhile = (await client.get(f"/products/{product['id']}")).json()
    back_office = await client.get("/admin/products", headers=bearer(admin.access_token))
    seen, waited = [], 0.0
    while waited < 6 * SECONDS:  # a response second, a fresh second (+20%), one stale answer, a reload
        await asyncio.sleep(0.25)
        waited += 0.25
        seen.append((await client.get(f"/products/{product['id']}")).json()["price_cents"])
        if seen[-1] == 999:
            break

    assert (first["price_cents"], meanwhile["price_cents"]) == (899, 899)
    assert seen[-1] == 999, seen
    assert seen == sorted(seen)  # once the new price shows, the old one never comes back
    assert [p["price_cents"] for p in back_office.json()["items"]] == [999]


async def test_carts_and_checkout_never_see_a_cached_price(
    cached: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = cached
    admin = await make_admin(client, container)
    product = await create_product(client, admin.access_token, book("PRICED", price_cents=899, stock=5))
    await client.get(f"/products/{product['id']}")  # now remembered at 899
    await client.patch(
        f"/admin/products/{product['id']}", json={"price_cents": 1299}, headers=bearer(admin.access_token)
    )
    buyer = await signup_and_login(client, "buyer@example.com")

    cart = await client.post(
        "/cart/add", json={"product_id": product["id"]}, headers=bearer(buyer.access_token)
    )
    order = await client.post(
        "/checkout", json={"payment_method_id": "pm_card_visa"}, headers=bearer(buyer.access_token)
    )

    assert cart.json()["items"][0]["price_cents"] == 1299
    assert order.json()["total_amount_cents"] == 1299


async def test_different_queries_are_different_pages(
    cached: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = cached
    admin = await make_admin(client, container)
    harry = await create_product(client, admin.access_token, book("HARRY ONE", series="HP", price_cents=500))
    narnia_one = await create_product(
        client, admin.access_token, book("NARNIA ONE", series="NARNIA", price_cents=900)
    )

    hp = (await client.get("/products", params={"series": "HP"})).json()
    narnia = (await client.get("/products", params={"series": "NARNIA"})).json()
    found = (await client.get("/products/search", params={"q": "narnia"})).json()
    cheapest = (await client.get("/products", params={"sort": "price_cents", "limit": 1})).json()
    dearest = (await client.get("/products", params={"limit": 1, "sort": "-price_cents"})).json()
    one = (await client.get(f"/products/{harry['id']}")).json()
    other = (await client.get(f"/products/{narnia_one['id']}")).json()

    assert [p["title"] for p in hp["items"]] == ["HARRY ONE"]
    assert [p["title"] for p in narnia["items"]] == ["NARNIA ONE"]
    assert [p["title"] for p in found["items"]] == ["NARNIA ONE"]
    assert [p["title"] for p in cheapest["items"] + dearest["items"]] == ["HARRY ONE", "NARNIA ONE"]
    assert (one["title"], other["title"]) == ("HARRY ONE", "NARNIA ONE")


async def test_an_options_request_never_becomes_the_page_a_get_receives(
    cached: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = cached
    admin = await make_admin(client, container)
    product = await create_product(client, admin.access_token, book("ASKED ABOUT"))

    options = await client.options(f"/products/{product['id']}")
    page = await client.get(f"/products/{product['id']}")
    listed = await client.options("/products"), await client.get("/products")

    assert options.status_code == 204
    assert (page.status_code, page.json()["title"]) == (200, "ASKED ABOUT")
    assert (listed[1].status_code, listed[1].json()["total"]) == (200, 1)


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_response_store_forgets_expired_pages_and_keeps_a_bounded_number() -> None:
    clock = ManualClock()
    store = BoundedMemoryStore(max_entries=2, clock=clock)
    await store.set("a", b"1", expires_in=5)
    await store.set("b", b"2", expires_in=5)
    await store.set("c", b"3", expires_in=10)

    assert (await store.get("a"), await store.get("b"), await store.get("c")) == (None, b"2", b"3")
    clock.now = 6
    assert (await store.get("b"), await store.get("c")) == (None, b"3")
    assert await store.expires_in("c") == 4


async def test_the_response_store_keeps_a_bounded_number_of_bytes() -> None:
    store = BoundedMemoryStore(max_entries=100, clock=ManualClock(), max_bytes=100)
    await store.set("a", b"x" * 40)
    await store.set("b", b"x" * 40)
    await store.set("a", b"x" * 10)  # replacing an entry counts its new size only
    await store.set("c", b"x" * 50)  # 41 + 11 + 51 bytes: the oldest, b, goes

    assert (await store.get("a"), await store.get("b"), await store.get("c")) == (b"x" * 10, None, b"x" * 50)
    assert store.entry_count == 2
