"""POST /admin/products, PATCH /admin/products/{id} and GET /admin/products."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import Response

from entrypoints.container import Container
from tests.http.catalog_helpers import (
    PRODUCT_KEYS,
    SORTS,
    Client,
    Json,
    admin_product,
    book,
    create_product,
    create_products,
    created_at,
    get_page,
    ids,
    in_order,
    make_admin,
    set_active,
)
from tests.http.conftest import (
    Session,
    assert_problem,
    bearer,
    error_fields,
    media_type,
    refused_before_any_store,
)

MAX_INT32 = 2**31 - 1


@pytest.fixture
async def admin(client: Client, container: Container) -> Session:
    return await make_admin(client, container)


async def admin_list(client: Client, admin: Session, **params: Any) -> Json:
    return await get_page(client, "/admin/products", params, bearer(admin.access_token))


async def patch(client: Client, admin: Session, product_id: int, body: Any) -> Response:
    return await client.patch(f"/admin/products/{product_id}", json=body, headers=bearer(admin.access_token))


# --- POST /admin/products ------------------------------------------------------------------------


async def test_creating_a_product_answers_201_with_it_on_sale(client: Client, admin: Session) -> None:
    body = book("THE SILVER CHAIR", series="NARNIA", author="C. S. Lewis", price_cents=799, stock=25)

    response = await client.post("/admin/products", json=body, headers=bearer(admin.access_token))

    assert response.status_code == 201
    assert media_type(response) == "application/json"
    product = response.json()
    assert set(product) == PRODUCT_KEYS
    assert isinstance(product["id"], int)
    assert product["id"] >= 1
    assert {key: product[key] for key in body} == body
    assert product["is_active"] is True
    offset = created_at(product).utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 0
    assert abs((datetime.now(UTC) - created_at(product)).total_seconds()) < 60
    public = await client.get(f"/products/{product['id']}")
    assert public.status_code == 200
    assert public.json() == product


async def test_stock_defaults_to_zero(client: Client, admin: Session) -> None:
    product = await create_product(client, admin.access_token, book("NO STOCK", stock=None))

    assert product["stock"] == 0


async def test_each_product_gets_its_own_id(client: Client, admin: Session) -> None:
    made = await create_products(client, admin.access_token, [book("A"), book("A"), book("B")])

    assert len(set(ids(made))) == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": 42}, "title"),
        ({"author": ""}, "author"),
        ({"author": "x" * 201}, "author"),
        ({"author": " \t "}, "author"),
        ({"author": ["C. S. Lewis"]}, "author"),
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": 9.99}, "price_cents"),
        ({"price_cents": True}, "price_cents"),
        ({"price_cents": MAX_INT32 + 1}, "price_cents"),
        ({"stock": -1}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"stock": None}, "stock"),
        ({"stock": MAX_INT32 + 1}, "stock"),
        ({"series": "LOTR"}, "series"),
        ({"series": "hp"}, "series"),
        ({"series": None}, "series"),
    ],
)
@refused_before_any_store
async def test_an_out_of_bounds_field_is_a_validation_error_naming_it(
    client: Client, admin: Session, changes: Json, field: str
) -> None:
    response = await client.post(
        "/admin/products", json={**book("VALID"), **changes}, headers=bearer(admin.access_token)
    )

    body = assert_problem(response, 400, "validation_error")
    assert field in error_fields(body)
    assert (await admin_list(client, admin))["total"] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_cents": "899"}, "price_cents"),
        ({"stock": "5"}, "stock"),
    ],
    ids=repr,
)
@refused_before_any_store
async def test_a_number_sent_as_another_json_type_is_refused_not_coerced(
    client: Client, admin: Session, changes: Json, field: str
) -> None:
    """Wrong types are a validation error (contract, General): "899" is a string, not cents."""
    response = await client.post(
        "/admin/products", json={**book("VALID"), **changes}, headers=bearer(admin.access_token)
    )

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert (await admin_list(client, admin))["total"] == 0


@pytest.mark.parametrize("field", ["title", "series", "author", "price_cents"])
@refused_before_any_store
async def test_a_missing_required_field_is_a_validation_error_naming_it(
    client: Client, admin: Session, field: str
) -> None:
    body = book("VALID")
    del body[field]

    response = await client.post("/admin/products", json=body, headers=bearer(admin.access_token))

    assert field in error_fields(assert_problem(response, 400, "validation_error"))


async def test_the_bounds_themselves_are_accepted(client: Client, admin: Session) -> None:
    body = book("T" * 200, author="A" * 200, price_cents=0, stock=0)

    product = await create_product(client, admin.access_token, body)

    assert (product["title"], product["author"]) == ("T" * 200, "A" * 200)
    assert (product["price_cents"], product["stock"]) == (0, 0)
    assert (await create_product(client, admin.access_token, book("X", series="NARNIA")))[
        "series"
    ] == "NARNIA"


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", 7), ("is_active", False), ("created_at", "2020-01-01T00:00:00Z"), ("currency", "eur")],
)
@refused_before_any_store
async def test_an_unknown_field_is_refused_and_nothing_is_created(
    client: Client, admin: Session, field: str, value: object
) -> None:
    response = await client.post(
        "/admin/products", json={**book("SNEAKY"), field: value}, headers=bearer(admin.access_token)
    )

    body = assert_problem(response, 400, "validation_error")
    assert field in error_fields(body)
    assert (await admin_list(client, admin))["total"] == 0


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"null", b'"title"'], ids=repr)
@refused_before_any_store
async def test_a_body_that_is_not_a_json_object_is_a_validation_error(
    client: Client, admin: Session, content: bytes
) -> None:
    response = await client.post(
        "/admin/products",
        content=content,
        headers={**bearer(admin.access_token), "Content-Type": "application/json"},
    )

    assert_problem(response, 400, "validation_error")


@pytest.mark.parametrize("field", ["title", "author"])
async def test_a_nul_character_in_text_is_not_a_server_error(
    client: Client, admin: Session, field: str
) -> None:
    response = await client.post(
        "/admin/products", json={**book("VALID"), field: "bad\x00text"}, headers=bearer(admin.access_token)
    )

    assert response.status_code in (201, 400), response.text
    if response.status_code == 400:
        assert field in error_fields(assert_problem(response, 400, "validation_error"))


# --- PATCH /admin/products/{id} ------------------------------------------------------------------

ORIGINAL = book("ORIGINAL", series="HP", author="J. K. Rowling", price_cents=899, stock=12)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "RENAMED"},
        {"series": "NARNIA"},
        {"author": "C. S. Lewis"},
        {"price_cents": 0},
        {"price_cents": 1299, "title": "DEARER"},
        {"title": "ALL", "series": "NARNIA", "author": "Someone", "price_cents": 1},
        {},
    ],
    ids=repr,
)
async def test_a_patch_changes_what_it_names_and_leaves_the_rest(
    client: Client, admin: Session, changes: Json
) -> None:
    before = await create_product(client, admin.access_token, ORIGINAL)

    response = await patch(client, admin, before["id"], changes)

    assert response.status_code == 200, response.text
    after = response.json()
    assert after == {**before, **changes}
    assert await admin_product(client, admin.access_token, before["id"]) == after
    assert (await client.get(f"/products/{before['id']}")).json() == after


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "  "}, "title"),
        ({"title": None}, "title"),
        ({"author": ""}, "author"),
        ({"author": "x" * 201}, "author"),
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": "free"}, "price_cents"),
        ({"price_cents": 1.5}, "price_cents"),
        ({"series": "LOTR"}, "series"),
        ({"is_active": "no"}, "is_active"),
        ({"is_active": None}, "is_active"),
        ({"title": "FINE", "price_cents": -5}, "price_cents"),
        ({"price_cents": 100, "series": "LOTR"}, "series"),
    ],
)
@refused_before_any_store
async def test_a_bad_patch_is_a_validation_error_and_changes_nothing(
    client: Client, admin: Session, changes: Json, field: str
) -> None:
    before = await create_product(client, admin.access_token, ORIGINAL)

    response = await patch(client, admin, before["id"], changes)

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert await admin_product(client, admin.access_token, before["id"]) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"is_active": "false"}, "is_active"),
        ({"is_active": 0}, "is_active"),
        ({"price_cents": "1299"}, "price_cents"),
    ],
    ids=repr,
)
@refused_before_any_store
async def test_a_patch_value_of_the_wrong_json_type_is_refused_not_coerced(
    client: Client, admin: Session, changes: Json, field: str
) -> None:
    before = await create_product(client, admin.access_token, ORIGINAL)

    response = await patch(client, admin, before["id"], changes)

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert await admin_product(client, admin.access_token, before["id"]) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("stock", 0), ("stock", 99), ("id", 1234), ("created_at", "2020-01-01T00:00:00Z"), ("delta", 1)],
)
@refused_before_any_store
async def test_stock_and_other_unlisted_fields_are_refused_by_patch(
    client: Client, admin: Session, field: str, value: object
) -> None:
    before = await create_product(client, admin.access_token, ORIGINAL)

    response = await patch(client, admin, before["id"], {"title": "RENAMED", field: value})

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert await admin_product(client, admin.access_token, before["id"]) == before


async def test_a_patch_keeps_the_stock(client: Client, admin: Session) -> None:
    before = await create_product(client, admin.access_token, ORIGINAL)

    after = (await patch(client, admin, before["id"], {"price_cents": 1, "is_active": False})).json()

    assert after["stock"] == 12


async def test_patching_a_missing_product_is_not_found(client: Client, admin: Session) -> None:
    product = await create_product(client, admin.access_token, ORIGINAL)

    response = await patch(client, admin, product["id"] + 1000, {"title": "GHOST"})

    assert_problem(response, 404, "not_found")
    assert (await admin_list(client, admin))["items"] == [product]


@pytest.mark.parametrize("product_id", ["0", "-1"])
@refused_before_any_store
async def test_patching_an_id_below_one_is_a_validation_error(
    client: Client, admin: Session, product_id: str
) -> None:
    response = await client.patch(
        f"/admin/products/{product_id}", json={"title": "X"}, headers=bearer(admin.access_token)
    )

    assert_problem(response, 400, "validation_error")


# --- the soft delete -----------------------------------------------------------------------------


async def test_withdrawing_hides_the_product_from_every_public_route_but_not_the_back_office(
    client: Client, admin: Session
) -> None:
    kept, withdrawn = await create_products(
        client, admin.access_token, [book("POTTER KEPT"), book("POTTER WITHDRAWN")]
    )

    response = await patch(client, admin, withdrawn["id"], {"is_active": False})

    assert response.status_code == 200
    assert response.json() == {**withdrawn, "is_active": False}
    assert_problem(await client.get(f"/products/{withdrawn['id']}"), 404, "not_found")
    public = await get_page(client, "/products")
    assert ids(public["items"]) == [kept["id"]]
    assert public["total"] == 1
    found = await get_page(client, "/products/search", {"q": "potter"})
    assert ids(found["items"]) == [kept["id"]]
    assert found["total"] == 1
    back_office = await admin_list(client, admin)
    assert back_office["items"] == [kept, {**withdrawn, "is_active": False}]
    assert back_office["total"] == 2


async def test_withdrawing_twice_and_restoring_twice_are_harmless(client: Client, admin: Session) -> None:
    product = await create_product(client, admin.access_token, ORIGINAL)

    await set_active(client, admin.access_token, product["id"], False)
    await set_active(client, admin.access_token, product["id"], False)
    await set_active(client, admin.access_token, product["id"], True)
    restored = await set_active(client, admin.access_token, product["id"], True)

    assert restored == product
    assert (await client.get(f"/products/{product['id']}")).json() == product
    assert ids((await get_page(client, "/products/search", {"q": "original"}))["items"]) == [product["id"]]
    assert ids((await get_page(client, "/products"))["items"]) == [product["id"]]


async def test_a_withdrawn_product_can_still_be_revised(client: Client, admin: Session) -> None:
    product = await create_product(client, admin.access_token, ORIGINAL)
    await set_active(client, admin.access_token, product["id"], False)

    response = await patch(client, admin, product["id"], {"title": "REVISED"})

    assert response.json() == {**product, "title": "REVISED", "is_active": False}
    assert_problem(await client.get(f"/products/{product['id']}"), 404, "not_found")


# --- GET /admin/products -------------------------------------------------------------------------


@pytest.fixture
async def mixed(client: Client, admin: Session) -> list[Json]:
    """Six products, two withdrawn, with repeated titles and prices."""
    made = await create_products(
        client,
        admin.access_token,
        [
            book("DELTA", series="HP", author="J. K. Rowling", price_cents=500, stock=0),
            book("ALPHA", series="NARNIA", author="C. S. Lewis", price_cents=300, stock=2),
            book("CHARLIE", series="HP", author="J. K. Rowling", price_cents=500, stock=5),
            book("ALPHA", series="HP", author="Other", price_cents=100, stock=0),
            book("BRAVO", series="NARNIA", author="C. S. Lewis", price_cents=300, stock=1),
            book("ECHO", series="HP", author="J. K. Rowling", price_cents=900, stock=9),
        ],
    )
    made[2] = await set_active(client, admin.access_token, made[2]["id"], False)
    made[3] = await set_active(client, admin.access_token, made[3]["id"], False)
    return made


async def test_the_back_office_lists_every_product_by_id(
    client: Client, admin: Session, mixed: list[Json]
) -> None:
    page = await admin_list(client, admin)

    assert page == {"items": mixed, "total": 6, "limit": 20, "offset": 0}


@pytest.mark.parametrize(("flag", "active"), [("true", True), ("false", False)])
async def test_the_is_active_filter(
    client: Client, admin: Session, mixed: list[Json], flag: str, active: bool
) -> None:
    page = await admin_list(client, admin, is_active=flag)

    assert page["items"] == [product for product in mixed if product["is_active"] is active]
    assert page["total"] == len(page["items"])


@pytest.mark.parametrize(
    "params",
    [
        {"series": "HP"},
        {"series": "NARNIA"},
        {"author": "ROWLING"},
        {"author": "s. l"},
        {"min_price_cents": 300},
        {"max_price_cents": 300},
        {"min_price_cents": 300, "max_price_cents": 500},
        {"in_stock": "true"},
        {"in_stock": "false"},
        {"series": "HP", "is_active": "false"},
        {"author": "rowling", "in_stock": "true", "is_active": "true"},
    ],
    ids=repr,
)
async def test_the_public_filters_apply_to_the_back_office_list(
    client: Client, admin: Session, mixed: list[Json], params: dict[str, Any]
) -> None:
    def keep(product: Json) -> bool:
        checks = [
            params.get("series") in (None, product["series"]),
            str(params.get("author", "")).lower() in product["author"].lower(),
            product["price_cents"] >= params.get("min_price_cents", 0),
            product["price_cents"] <= params.get("max_price_cents", MAX_INT32),
            params.get("in_stock") in (None, "true" if product["stock"] > 0 else "false"),
            params.get("is_active") in (None, "true" if product["is_active"] else "false"),
        ]
        return all(checks)

    page = await admin_list(client, admin, **params)

    assert page["items"] == [product for product in mixed if keep(product)]
    assert page["total"] == len(page["items"])


@pytest.mark.parametrize("sort", SORTS)
async def test_the_public_sorts_apply_to_the_back_office_list(
    client: Client, admin: Session, mixed: list[Json], sort: str
) -> None:
    page = await admin_list(client, admin, sort=sort)

    assert page["items"] == in_order(mixed, sort)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "stock"}, "sort"),
        ({"is_active": "sometimes"}, "is_active"),
        ({"series": "LOTR"}, "series"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"min_price_cents": -1}, "min_price_cents"),
    ],
)
@refused_before_any_store
async def test_bad_query_parameters_are_validation_errors(
    client: Client, admin: Session, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/admin/products", params=params, headers=bearer(admin.access_token))

    assert field in error_fields(assert_problem(response, 400, "validation_error"))


async def test_the_back_office_list_pages(client: Client, admin: Session, mixed: list[Json]) -> None:
    page = await admin_list(client, admin, limit=4, offset=4)

    assert page == {"items": mixed[4:], "total": 6, "limit": 4, "offset": 4}
