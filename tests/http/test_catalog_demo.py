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


async def _search(client: Client, q: str) -> Json:
    return await get_page(client, "/products/search", {"q": q, "limit": 100})


def _titles(page: Json) -> list[str]:
    return [item["title"] for item in page["items"]]


async def test_the_series_names_find_every_book_of_the_series(client: Client, container: Container) -> None:
    """The contract's examples, on the demo catalogue: "narnia" finds the seven Narnia books, "harry
    potter" the seven Potter books; "chronicles" too is a word of the Narnia series' name."""
    seed(client, container)
    books = await shop_window(client)
    narnia = sorted(p["id"] for p in books if p["series"] == "NARNIA")
    potter = sorted(p["id"] for p in books if p["series"] == "HP")

    for q, expected in [
        ("narnia", narnia),
        ("Narnia", narnia),
        ("the chronicles of narnia", narnia),
        ("chronicles", narnia),
        ("harry potter", potter),
        ("potter", potter),
    ]:
        page = await _search(client, q)
        assert sorted(item["id"] for item in page["items"]) == expected, q
        assert (page["total"], page["fuzzy"]) == (7, False), q


async def test_punctuation_does_not_matter_on_the_demo_catalogue(
    client: Client, container: Container
) -> None:
    seed(client, container)

    for q in ("philosophers stone", "philosopher's stone", "philosopher\u2019s stone", "PHILOSOPHER\u2019S"):
        page = await _search(client, q)
        assert _titles(page) == ["Harry Potter and the Philosopher's Stone"], q
        assert page["fuzzy"] is False
    assert _titles(await _search(client, "half blood prince")) == ["Harry Potter and the Half-Blood Prince"]
    assert _titles(await _search(client, "lion witch wardrobe")) == ["The Lion, the Witch and the Wardrobe"]


async def test_titles_holding_every_word_rank_first(client: Client, container: Container) -> None:
    """ "the prince": the Half-Blood Prince's title holds both words; Prince Caspian's holds "prince",
    and "the" only through its series' name (The Chronicles of Narnia)."""
    seed(client, container)

    page = await _search(client, "the prince")

    assert _titles(page) == ["Harry Potter and the Half-Blood Prince", "Prince Caspian"]


async def test_a_misspelt_word_offers_near_matches_flagged_fuzzy(
    client: Client, container: Container
) -> None:
    seed(client, container)
    books = await shop_window(client)

    potterr = await _search(client, "potterr")
    narnya = await _search(client, "narnya")
    stone = await _search(client, "philosofers stone")

    assert {item["series"] for item in potterr["items"]} == {"HP"}
    assert (potterr["total"], potterr["fuzzy"]) == (7, True)
    assert {item["series"] for item in narnya["items"]} == {"NARNIA"}
    assert (narnya["total"], narnya["fuzzy"]) == (7, True)
    assert (_titles(stone), stone["fuzzy"]) == (["Harry Potter and the Philosopher's Stone"], True)
    assert len(books) == 14


async def test_a_page_is_fuzzy_only_when_it_offers_near_matches(client: Client, container: Container) -> None:
    seed(client, container)

    for q in ("lewis", "potter stone", "qqqqq", "%", "potter qqqqq"):
        page = await _search(client, q)
        assert page["fuzzy"] is False, q
    assert (await _search(client, "qqqqq"))["total"] == 0


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
