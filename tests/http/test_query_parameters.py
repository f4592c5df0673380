"""Query strings: a parameter a route does not take is 400 on every route (a typo such as
`?seris=HP` must not silently answer everything), and nothing the client chose beyond the
route's validated parameters reaches the page cache: not a junk query string, not a header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.caching.versioned_cache import VersionedCache
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.http.page_cache import StoredPage
from tests.conftest import make_settings
from tests.http.catalog_helpers import Client, book, create_product, make_admin
from tests.http.conftest import (
    PROBLEM_JSON,
    assert_problem,
    bearer,
    error_fields,
    refused_before_any_store,
    signup_and_login,
)
from tests.http.test_openapi import openapi

ROUTES_AS_CUSTOMER = [
    ("GET", "/products"),
    ("GET", "/products/search?q=stone"),
    ("GET", "/products/1"),
    ("GET", "/cart"),
    ("POST", "/cart/add"),
    ("POST", "/checkout"),
    ("GET", "/orders/me"),
    ("GET", "/orders/1"),
    ("GET", "/auth/me"),
    ("GET", "/health"),
]
ROUTES_AS_ADMIN = [
    ("GET", "/admin/products"),
    ("GET", "/admin/orders"),
    ("GET", "/admin/users"),
    ("PATCH", "/admin/products/1/stock"),
]
DOCUMENTED_QUERY = {
    ("/products", "get"): {
        "series",
        "author",
        "min_price_cents",
        "max_price_cents",
        "in_stock",
        "sort",
        "limit",
        "offset",
    },
    ("/products/search", "get"): {"q", "series", "limit", "offset"},
    ("/orders/me", "get"): {"status", "limit", "offset"},
    ("/admin/products", "get"): {
        "series",
        "author",
        "min_price_cents",
        "max_price_cents",
        "in_stock",
        "is_active",
        "sort",
        "limit",
        "offset",
    },
    ("/admin/orders", "get"): {"status", "user_id", "fulfilment_status", "limit", "offset"},
    ("/admin/users", "get"): {"is_active", "email", "limit", "offset"},
}


def with_query(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


@pytest.mark.parametrize(("method", "path"), ROUTES_AS_CUSTOMER + ROUTES_AS_ADMIN)
@refused_before_any_store
async def test_an_unknown_query_parameter_is_a_validation_error_naming_it(
    client: Client, container: Container, method: str, path: str
) -> None:
    admin = await make_admin(client, container)

    response = await client.request(
        method, with_query(path, "seris=HP"), json={}, headers=bearer(admin.access_token)
    )

    assert error_fields(assert_problem(response, 400, "validation_error")) == ["seris"]


async def test_every_unknown_name_is_reported_and_the_known_ones_are_not(client: Client) -> None:
    response = await client.get("/products?series=HP&seris=HP&limit=5&Limit=5")

    assert sorted(error_fields(assert_problem(response, 400, "validation_error"))) == ["Limit", "seris"]


async def test_options_answers_whatever_the_query_a_preflight_carries(client: Client) -> None:
    for path in ("/products?seris=HP", "/orders/me?status=PAID&x=1", "/admin/users?junk=1"):
        response = await client.options(path)

        assert response.status_code == 204, (path, response.text)


async def test_without_a_token_a_private_route_still_answers_401_first(client: Client) -> None:
    assert_problem(await client.get("/cart?seris=HP"), 401, "unauthorized")


async def test_known_parameters_still_work_and_invalid_values_name_their_parameter(client: Client) -> None:
    session = await signup_and_login(client, "ann@example.com")

    assert (await client.get("/products?series=HP&limit=5.0&in_stock=TRUE")).json()["limit"] == 5
    assert (
        await client.get("/orders/me?status=PAID", headers=bearer(session.access_token))
    ).status_code == 200
    for query, field in [("limit=0", "limit"), ("limit=abc", "limit"), ("series=XX", "series")]:
        response = await client.get(f"/products?{query}")
        assert error_fields(assert_problem(response, 400, "validation_error")) == [field]
    missing = await client.get("/products/search")
    assert error_fields(assert_problem(missing, 400, "validation_error")) == ["q"]


@pytest.mark.parametrize(("path", "method"), list(DOCUMENTED_QUERY))
async def test_the_schema_documents_exactly_the_query_parameters_a_route_takes(
    client: Client, path: str, method: str
) -> None:
    document = await openapi(client)

    parameters = document["paths"][path][method].get("parameters", [])

    assert {p["name"] for p in parameters if p["in"] == "query"} == DOCUMENTED_QUERY[path, method]


async def test_every_operation_documents_its_400(client: Client) -> None:
    document = await openapi(client)

    for path, operations in document["paths"].items():
        if path.startswith("/schema"):
            continue
        for method, operation in operations.items():
            assert "400" in operation["responses"], f"{method.upper()} {path}"
            assert PROBLEM_JSON in operation["responses"]["400"].get("content", {}), f"{method} {path}"


# --- the page cache ------------------------------------------------------------------------------


@pytest.fixture
async def cached(database_url: str) -> AsyncIterator[tuple[AsyncTestClient[Litestar], Container]]:
    container = build_container(make_settings(database_url, catalog_cache_seconds=60))
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client, container


def page_store(container: Container) -> VersionedCache[str, StoredPage]:
    store = container.catalogue_pages()
    assert isinstance(store, VersionedCache)
    return store


@pytest.mark.backends("sqlite")
async def test_options_of_a_cached_route_with_any_query_is_answered_and_never_stored(
    cached: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = cached

    answers = [await client.options(path) for path in ("/products?seris=HP", "/products/search?q=x&y=1")]

    assert [answer.status_code for answer in answers] == [204, 204]
    assert page_store(container).entry_count == 0


@pytest.mark.backends("sqlite")
async def test_each_client_gets_its_own_request_id_from_a_cached_page(
    cached: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = cached
    admin = await make_admin(client, container)
    product = await create_product(client, admin.access_token, book("CACHED"))

    for path in ["/products", f"/products/{product['id']}", "/products/search?q=cached"]:
        answers = [await client.get(path, headers={"X-Request-ID": f"client-{n}"}) for n in range(3)]

        for n, answer in enumerate(answers):
            assert answer.status_code == 200, answer.text
            assert answer.headers.get_list("x-request-id") == [f"client-{n}"], path


def junk_query(n: int) -> tuple[str, dict[str, Any]]:
    """The n-th of a thousand distinct query strings: refused ones, and other spellings of a few
    valid queries (`5.000`, `TrUe`, `3e0` are 5, true and 3 to the route)."""
    true = "".join(c.upper() if n >> i & 1 else c for i, c in enumerate("true"))
    queries: list[tuple[str, dict[str, Any]]] = [
        ("/products", {f"junk{n}": "x" * 100}),
        ("/products", {"series": "HP", "limit": "5." + "0" * n}),
        ("/products", {"series": "HP", "limit": "5", "in_stock": true}),
        ("/products", {"offset": f"-{n + 1}"}),
        ("/products/search", {"q": "stone", "q2": n}),
        ("/products/search", {"q": "stone", "limit": f"{n % 9 + 1}e0"}),
    ]
    return queries[n % 6]


@pytest.mark.backends("sqlite")
async def test_junk_query_strings_never_grow_the_page_cache(
    cached: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = cached
    assert (await client.get("/products?series=HP&limit=5")).status_code == 200
    assert (await client.get("/products/search?q=stone")).status_code == 200
    store = page_store(container)
    entries = store.entry_count
    assert entries == 2

    statuses = [
        (await client.get(path, params=params)).status_code for path, params in map(junk_query, range(1000))
    ]

    assert statuses.count(200) == 500  # the other spellings were answered...
    assert statuses.count(400) == 500
    assert store.entry_count <= entries + 1 + 9  # ...from one entry per validated query: in_stock, limit 1..9
