"""GET /products/search: every word in the title, the author or the series' name, punctuation not
significant, whole-title matches first; near matches, flagged fuzzy, for misspelt words."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import (
    Client,
    Json,
    book,
    create_products,
    expected_search,
    get_page,
    ids,
    make_admin,
    matches,
    set_active,
)
from tests.http.conftest import Session, assert_problem, error_fields, refused_before_any_store

LITERAL_TITLE = "100% Magic_Book's \\ 🦁"

SEARCH_BOOKS = [
    book("Harry Potter and the Philosopher's Stone", series="HP", author="J. K. Rowling"),  # 0
    book("Stone Soup", series="NARNIA", author="Potter Gardens"),  # 1: potter only in the author
    book("The Potter's Stone", series="HP", author="Anon"),  # 2: both words in the title
    book("Harry Potter and the Chamber of Secrets", series="HP", author="J. K. Rowling"),  # 3
    book("The Lion, the Witch and the Wardrobe", series="NARNIA", author="C. S. Lewis"),  # 4
    book(LITERAL_TITLE, series="NARNIA", author="Literal Author"),  # 5
    book("MagicXBook Volume", series="HP", author="Other Writer"),  # 6: what `_` as a wildcard would hit
    book("100 Magic Book", series="HP", author="Other Writer"),  # 7: what `%` as a wildcard would hit
    book("Stone of Potter", series="HP", author="Withdrawn"),  # 8: withdrawn from sale
]
WITHDRAWN = 8


@pytest.fixture
async def admin(client: Client, container: Container) -> Session:
    return await make_admin(client, container)


@pytest.fixture
async def catalogue(client: Client, admin: Session) -> list[Json]:
    made = await create_products(client, admin.access_token, SEARCH_BOOKS)
    made[WITHDRAWN] = await set_active(client, admin.access_token, made[WITHDRAWN]["id"], False)
    return made


async def search(client: Client, q: str, **params: Any) -> Json:
    return await get_page(client, "/products/search", {"q": q, **params})


async def found(client: Client, q: str, **params: Any) -> list[int]:
    page = await search(client, q, **params)
    assert page["total"] == len(page["items"])
    return ids(page["items"])


# --- the word rule and the ranking ---------------------------------------------------------------


async def test_every_word_may_be_anywhere_in_the_title(client: Client, catalogue: list[Json]) -> None:
    page = await search(client, "potter stone")

    titles = [item["title"] for item in page["items"]]
    assert "Harry Potter and the Philosopher's Stone" in titles
    assert page["limit"] == 20
    assert page["offset"] == 0


async def test_whole_title_matches_rank_first_then_by_id(client: Client, catalogue: list[Json]) -> None:
    hp_stone, stone_soup, potters_stone = (catalogue[n]["id"] for n in (0, 1, 2))

    result = await found(client, "potter stone")

    # Stone Soup has the lower id, but only its author holds "potter": it comes after both titles.
    assert result == [hp_stone, potters_stone, stone_soup]
    assert result == expected_search(catalogue, "potter stone")


async def test_a_word_found_only_in_the_author_counts(client: Client, catalogue: list[Json]) -> None:
    assert await found(client, "rowling") == [catalogue[0]["id"], catalogue[3]["id"]]
    assert await found(client, "rowling stone") == [catalogue[0]["id"]]
    assert await found(client, "lewis wardrobe") == [catalogue[4]["id"]]
    assert await found(client, "gardens soup") == [catalogue[1]["id"]]


async def test_every_word_must_be_found(client: Client, catalogue: list[Json]) -> None:
    assert await found(client, "rowling lewis") == []
    assert await found(client, "stone secrets") == []
    assert await found(client, "potter wardrobe") == []


async def test_a_word_found_only_in_the_series_name_counts(client: Client, catalogue: list[Json]) -> None:
    soup, lion, literal = (catalogue[n]["id"] for n in (1, 4, 5))

    assert await found(client, "narnia") == [soup, lion, literal]
    assert await found(client, "chronicles of narnia") == [soup, lion, literal]
    assert await found(client, "potter narnia") == [soup]  # Potter Gardens wrote a Narnia book
    assert await found(client, "harry potter") == expected_search(catalogue, "harry potter")
    assert catalogue[6]["id"] in await found(
        client, "harry potter"
    )  # an HP book, no word of it in title or author


@pytest.mark.parametrize("q", ["POTTER STONE", "Potter Stone", "pOtTeR sToNe", "STONE potter"])
async def test_words_match_in_any_case_and_any_order(client: Client, catalogue: list[Json], q: str) -> None:
    assert await found(client, q) == await found(client, "potter stone")


async def test_a_repeated_word_is_one_word(client: Client, catalogue: list[Json]) -> None:
    assert await found(client, "potter potter POTTER") == await found(client, "potter")


@pytest.mark.parametrize("q", ["  potter stone  ", "\tpotter stone\n", "potter   stone", "potter\tstone"])
async def test_q_is_trimmed_and_split_on_whitespace(client: Client, catalogue: list[Json], q: str) -> None:
    assert await found(client, q) == await found(client, "potter stone")


@pytest.mark.parametrize(
    "q", ["potter", "stone", "harry", "the", "o", "a", "potter's", "rowling", "100", "magic book", "er"]
)
async def test_results_follow_the_contract_rule_exactly(
    client: Client, catalogue: list[Json], q: str
) -> None:
    result = await found(client, q)

    assert result == expected_search(catalogue, q)
    by_id = {product["id"]: product for product in catalogue}
    assert all(matches(by_id[i], q) for i in result)


async def test_non_ascii_letters_match_in_any_case(client: Client, admin: Session) -> None:
    [emile] = await create_products(
        client, admin.access_token, [book("ÉMILE UND DIE DETEKTIVE", author="Erich Kästner")]
    )

    for q in ("ÉMILE", "émile", "Émile detektive", "KÄSTNER", "kästner"):
        assert await found(client, q) == [emile["id"]], q


# --- punctuation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "philosophers stone",
        "philosopher's stone",
        "Philosopher\u2019s Stone",  # the typographic apostrophe
        "PHILOSOPHER`S STONE",
        "philosopher's, stone!",
        "(philosopher's) stone?",
    ],
)
async def test_punctuation_is_not_significant(client: Client, catalogue: list[Json], q: str) -> None:
    assert await found(client, q) == [catalogue[0]["id"]]


async def test_punctuation_in_a_title_is_not_significant_either(
    client: Client, catalogue: list[Json]
) -> None:
    lion, literal, potters = (catalogue[n]["id"] for n in (4, 5, 2))

    assert await found(client, "lion the witch") == [lion]  # "The Lion, the Witch"
    assert await found(client, "potters stone") == [potters]  # "The Potter's Stone"
    assert await found(client, "magicbooks") == [literal]  # "Magic_Book's"
    assert await found(client, "magic_books") == [literal]


@pytest.mark.parametrize("q", ["%", "_", "'", "\\", "%%", "__", "_%", "' % _ \\ \u2019", "..."])
async def test_punctuation_alone_finds_nothing(client: Client, catalogue: list[Json], q: str) -> None:
    page = await search(client, q)

    assert (page["items"], page["total"], page["fuzzy"]) == ([], 0, False)


@pytest.mark.parametrize("q", ["🦁", "100%", "Magic_Book's", "% magic_book's \\ 🦁", LITERAL_TITLE, "k's"])
async def test_what_is_not_punctuation_still_finds_the_title_holding_it(
    client: Client, catalogue: list[Json], q: str
) -> None:
    literal = catalogue[5]["id"]

    result = await found(client, q)

    assert literal in result
    assert result == expected_search(catalogue, q)


@pytest.mark.parametrize("q", ["magic%book", "magic_book volume", "100_magic", "magic\\book", "m_gic"])
async def test_wildcards_never_stand_for_other_characters(
    client: Client, catalogue: list[Json], q: str
) -> None:
    """With `%` or `_` as a wildcard, "MagicXBook Volume" would be found as holding every word. It may
    only be offered as a near match, on a fuzzy page, when nothing holds every word."""
    page = await search(client, q)

    if page["fuzzy"]:
        assert expected_search(catalogue, q) == []
    else:
        assert ids(page["items"]) == expected_search(catalogue, q)
        assert catalogue[6]["id"] not in ids(page["items"])


async def test_an_apostrophe_is_no_wildcard_nor_a_way_into_the_query(
    client: Client, catalogue: list[Json]
) -> None:
    assert await found(client, "potter's") == [catalogue[2]["id"]]
    assert await found(client, "' or '1'='1") == []
    assert await found(client, "'; drop table products; --") == []
    assert await found(client, "potter") == expected_search(catalogue, "potter")


# --- what is shown -------------------------------------------------------------------------------


async def test_withdrawn_products_never_appear(client: Client, admin: Session, catalogue: list[Json]) -> None:
    withdrawn = catalogue[WITHDRAWN]["id"]
    assert withdrawn not in await found(client, "potter")
    assert await found(client, "withdrawn") == []

    await set_active(client, admin.access_token, withdrawn, True)
    assert withdrawn in await found(client, "potter")
    await set_active(client, admin.access_token, catalogue[0]["id"], False)
    assert catalogue[0]["id"] not in await found(client, "potter stone")


async def test_series_filter(client: Client, catalogue: list[Json]) -> None:
    assert await found(client, "potter", series="NARNIA") == [catalogue[1]["id"]]
    assert await found(client, "potter", series="HP") == expected_search(catalogue, "potter", "HP")
    assert await found(client, "lion", series="HP") == []


# --- near matches --------------------------------------------------------------------------------


async def test_a_misspelt_word_finds_near_matches_on_a_fuzzy_page(
    client: Client, catalogue: list[Json]
) -> None:
    page = await search(client, "potterr stone")

    assert page["fuzzy"] is True
    assert ids(page["items"]) == expected_search(catalogue, "potter stone")  # ranked the same way
    assert page["total"] == 3


async def test_an_exact_page_is_not_fuzzy(client: Client, catalogue: list[Json]) -> None:
    page = await search(client, "potter stone")

    assert page["fuzzy"] is False
    assert page["total"] == 3


async def test_nothing_near_is_an_empty_page_that_is_not_fuzzy(client: Client, catalogue: list[Json]) -> None:
    page = await search(client, "qqqqq zzzzz")

    assert (page["items"], page["total"], page["fuzzy"]) == ([], 0, False)


async def test_near_matches_keep_the_series_and_the_pages(client: Client, catalogue: list[Json]) -> None:
    narnia = await search(client, "potterr", series="NARNIA")
    second = await search(client, "potterr", limit=2, offset=2)
    whole = expected_search(catalogue, "potter")

    assert (ids(narnia["items"]), narnia["fuzzy"]) == ([catalogue[1]["id"]], True)
    assert (ids(second["items"]), second["total"], second["fuzzy"]) == (whole[2:4], len(whole), True)


async def test_near_matches_never_show_withdrawn_products(client: Client, catalogue: list[Json]) -> None:
    assert catalogue[WITHDRAWN]["id"] not in ids((await search(client, "potterr", limit=100))["items"])


@refused_before_any_store
async def test_an_unknown_series_is_a_validation_error(shared_client: Client) -> None:
    response = await shared_client.get("/products/search", params={"q": "potter", "series": "LOTR"})

    body = assert_problem(response, 400, "validation_error")
    assert "series" in error_fields(body)


async def test_search_pages(client: Client, catalogue: list[Json]) -> None:
    everything = expected_search(catalogue, "e")
    assert len(everything) >= 5

    first = await search(client, "e", limit=2)
    second = await search(client, "e", limit=2, offset=2)
    rest = await search(client, "e", limit=100, offset=4)

    for page in (first, second, rest):
        assert page["total"] == len(everything)
    assert (first["limit"], first["offset"], second["offset"], rest["offset"]) == (2, 0, 2, 4)
    assert ids(first["items"]) + ids(second["items"]) + ids(rest["items"]) == everything
    past = await search(client, "e", offset=50)
    assert past["items"] == []
    assert past["total"] == len(everything)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"offset": -1}, "offset")],
)
@refused_before_any_store
async def test_bad_paging_is_a_validation_error(
    shared_client: Client, params: dict[str, Any], field: str
) -> None:
    response = await shared_client.get("/products/search", params={"q": "potter", **params})

    body = assert_problem(response, 400, "validation_error")
    assert field in error_fields(body)


# --- the length of q -----------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", " ", "   ", "\t\n", "\u3000", " " * 1000])
@refused_before_any_store
async def test_an_empty_or_blank_q_is_a_validation_error(shared_client: Client, q: str) -> None:
    response = await shared_client.get("/products/search", params={"q": q})

    body = assert_problem(response, 400, "validation_error")
    assert "q" in error_fields(body)


@refused_before_any_store
async def test_a_missing_q_is_a_validation_error(shared_client: Client) -> None:
    body = assert_problem(await shared_client.get("/products/search"), 400, "validation_error")
    assert "q" in error_fields(body)


@pytest.mark.parametrize("q", ["x" * 101, " " + "x" * 101 + " ", "x " * 51, "🦁" * 101, "x" * 5000])
@refused_before_any_store
async def test_a_q_longer_than_100_characters_once_trimmed_is_a_validation_error(
    shared_client: Client, q: str
) -> None:
    response = await shared_client.get("/products/search", params={"q": q})

    body = assert_problem(response, 400, "validation_error")
    assert "q" in error_fields(body)


@pytest.mark.parametrize("q", ["x", "x" * 100, "   " + "x" * 100 + "   ", "🦁" * 100, "\n" + "x " * 50])
async def test_a_q_of_1_to_100_characters_once_trimmed_is_accepted(
    client: Client, catalogue: list[Json], q: str
) -> None:
    page = await search(client, q)

    assert ids(page["items"]) == expected_search(catalogue, q)


@pytest.mark.parametrize("q", ["\x00", "potter\x00", "\x00\x00 stone"])
async def test_a_nul_character_is_not_a_server_error(client: Client, catalogue: list[Json], q: str) -> None:
    response = await client.get("/products/search", params={"q": q})

    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert ids(response.json()["items"]) == expected_search(catalogue, q)
    else:
        assert_problem(response, 400, "validation_error")
