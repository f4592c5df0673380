"""`bookshop seed-demo`'s use case, seen through the shop window."""

from __future__ import annotations

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json, book, create_product, get_page, make_admin
from tests.http.conftest import bearer, in_app_loop

ROWLING = "J. K. Rowling"
LEWIS = "C. S. Lewis"


def seed(client: Client, container: Container) -> None:
    in_app_loop(client, container.load_demo_catalogue())


async def shop_window(client: Client) -> list[Json]:
    page = await get_page(client, "/products", {"limit": 100})
    assert page["total"] == len(page["items"])
    return list(page["items"])


async def test_the_demo_catalogue_is_seven_potter_and_seven_narnia_books(
    client: Client, container: Container
) -> None:
    seed(client, container)

    products = await shop_window(client)

    assert len(products) == 14
    hp = [product for product in products if product["series"] == "HP"]
    narnia = [product for product in products if product["series"] == "NARNIA"]
    assert len(hp) == 7
    assert len(narnia) == 7
    assert {product["author"] for product in hp} == {ROWLING}
    assert {product["author"] for product in narnia} == {LEWIS}
    assert all(product["title"].startswith("Harry Potter and the ") for product in hp)
    titles = {product["title"] for product in products}
    assert len(titles) == 14
    assert {"Harry Potter and the Philosopher's Stone", "Harry Potter and the Deathly Hallows"} <= titles
    assert {"The Lion, the Witch and the Wardrobe", "The Last Battle", "Prince Caspian"} <= titles
    for product in products:
        assert product["is_active"] is True
        assert product["price_cents"] > 0
        assert product["stock"] > 0


async def test_the_demo_catalogue_is_searchable(client: Client, container: Container) -> None:
    seed(client, container)

    page = await get_page(client, "/products/search", {"q": "potter stone"})

    assert [item["title"] for item in page["items"]] == ["Harry Potter and the Philosopher's Stone"]
    assert (await get_page(client, "/products/search", {"q": "lewis"}))["total"] == 7


async def test_seeding_twice_still_gives_fourteen_books(client: Client, container: Container) -> None:
    seed(client, container)
    first = await shop_window(client)

    seed(client, container)

    assert await shop_window(client) == first


async def test_seeding_again_leaves_the_staffs_changes_and_books_alone(
    client: Client, container: Container
) -> None:
    seed(client, container)
    admin = await make_admin(client, container)
    stone = next(p for p in await shop_window(client) if p["title"].endswith("Philosopher's Stone"))

    changed = await client.patch(
        f"/admin/products/{stone['id']}", json={"price_cents": 1}, headers=bearer(admin.access_token)
    )
    assert changed.status_code == 200
    extra = await create_product(client, admin.access_token, book("NOT A DEMO BOOK"))

    seed(client, container)

    products = {product["id"]: product for product in await shop_window(client)}
    assert len(products) == 15
    assert products[stone["id"]]["price_cents"] == 1
    assert products[extra["id"]] == extra
