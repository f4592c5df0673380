"""Helpers for the catalogue and back-office HTTP tests: admins, products made through the API,
page walks, and the contract's own statement of the order and search rules to compare against."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.testing.transport import TestClientTransport

from domain.identity import Role
from entrypoints.container import Container
from tests.http.conftest import Session, bearer, change_user, signup_and_login

Json = dict[str, Any]
Client = AsyncTestClient[Litestar]

PRODUCT_KEYS = {"id", "title", "series", "author", "price_cents", "stock", "is_active", "created_at"}
PAGE_KEYS = {"items", "total", "limit", "offset"}
SEARCH_PAGE_KEYS = PAGE_KEYS | {"fuzzy"}
USER_KEYS = {"id", "email", "role", "is_active", "email_verified", "created_at"}
SORTS = ["id", "title", "price_cents", "-price_cents", "created_at", "-created_at"]


def book(
    title: str,
    *,
    series: str = "HP",
    author: str = "SOME AUTHOR",
    price_cents: int = 500,
    stock: int | None = 3,
) -> Json:
    """A POST /admin/products body; stock None leaves it out (the default, 0, applies)."""
    body: Json = {"title": title, "series": series, "author": author, "price_cents": price_cents}
    if stock is not None:
        body["stock"] = stock
    return body


async def make_admin(client: Client, container: Container, email: str = "admin@example.com") -> Session:
    """A signed-up user promoted to ADMIN behind the API's back (the role is read on every request)."""
    session = await signup_and_login(client, email)
    await change_user(client, container, session.user_id, role=Role.ADMIN)
    return session


async def create_product(client: Client, admin_token: str, body: Json) -> Json:
    response = await client.post("/admin/products", json=body, headers=bearer(admin_token))
    assert response.status_code == 201, response.text
    product: Json = response.json()
    return product


async def create_products(client: Client, admin_token: str, bodies: Iterable[Json]) -> list[Json]:
    return [await create_product(client, admin_token, body) for body in bodies]


async def set_active(client: Client, admin_token: str, product_id: int, active: bool) -> Json:
    response = await client.patch(
        f"/admin/products/{product_id}", json={"is_active": active}, headers=bearer(admin_token)
    )
    assert response.status_code == 200, response.text
    product: Json = response.json()
    assert product["is_active"] is active
    return product


async def get_page(
    client: Client, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Json:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: Json = response.json()
    assert set(page) == (SEARCH_PAGE_KEYS if path.endswith("/search") else PAGE_KEYS), page
    return page


async def admin_product(client: Client, admin_token: str, product_id: int) -> Json:
    """A product as the back office sees it, whatever its state (GET /admin/products has no by-id route)."""
    page = await get_page(client, "/admin/products", {"limit": 100}, bearer(admin_token))
    found: list[Json] = [item for item in page["items"] if item["id"] == product_id]
    assert len(found) == 1, page
    return found[0]


def ids(items: Iterable[Json]) -> list[int]:
    return [int(item["id"]) for item in items]


def created_at(product: Json) -> datetime:
    return datetime.fromisoformat(str(product["created_at"]).replace("Z", "+00:00"))


def sort_key(sort: str) -> Callable[[Json], Any]:
    field = sort.removeprefix("-")
    if field == "created_at":
        return created_at
    return lambda product: product[field]


def in_order(products: Iterable[Json], sort: str) -> list[Json]:
    """The contract's order: by the sort key, ascending or descending, ties always by id ascending.
    (Python's sort is stable, also with reverse=True, so sorting by id first breaks the ties.)"""
    by_id = sorted(products, key=lambda product: int(product["id"]))
    return sorted(by_id, key=sort_key(sort), reverse=sort.startswith("-"))


SERIES_NAMES = {"HP": "Harry Potter", "NARNIA": "The Chronicles of Narnia"}
"""The series' names the contract says a shopper may type."""


def plain(text: str) -> str:
    """The contract's comparison: any case, punctuation not significant (removed, so that
    "philosopher's" reads "philosophers"; the apostrophe-like accents and letters too)."""
    folded = unicodedata.normalize("NFKC", "".join(c for c in text if not _punctuation(c))).casefold()
    return " ".join("".join(c for c in folded if not _punctuation(c)).split())


def _punctuation(c: str) -> bool:
    return unicodedata.category(c)[0] == "P" or unicodedata.category(c) == "Cf" or c in "\u02b9\u02bc`\u00b4"


def search_words(q: str) -> list[str]:
    return plain(q).split()


def matches(product: Json, q: str) -> bool:
    """The contract's search rule: every word is in the title, the author or the series' name."""
    words = search_words(q)
    text = (
        " ".join(plain(product[key]) for key in ("title", "author"))
        + " "
        + plain(SERIES_NAMES[product["series"]])
    )
    return bool(words) and all(word in text for word in words)


def title_holds_all(product: Json, q: str) -> bool:
    title = plain(str(product["title"]))
    return all(word in title for word in search_words(q))


def expected_search(products: Iterable[Json], q: str, series: str | None = None) -> list[int]:
    """Ids the search must answer, in order: active matches, whole-title matches first, then by id."""
    found = [
        product
        for product in products
        if product["is_active"] and matches(product, q) and series in (None, product["series"])
    ]
    found.sort(key=lambda product: (not title_holds_all(product, q), int(product["id"])))
    return ids(found)


async def walk(client: Client, path: str, params: dict[str, Any], limit: int) -> list[Json]:
    """Every page of a list, in order; each must carry the same total and echo limit and offset."""
    pages: list[Json] = []
    offset = 0
    while True:
        page = await get_page(client, path, {**params, "limit": limit, "offset": offset})
        assert page["limit"] == limit
        assert page["offset"] == offset
        assert len(page["items"]) <= limit
        pages.append(page)
        offset += limit
        if offset >= page["total"]:
            break
    totals = {page["total"] for page in pages}
    assert len(totals) == 1, totals
    for page in pages[:-1]:
        assert len(page["items"]) == limit
    return pages


async def concurrent_requests(
    client: Client, method: str, path: str, bodies: list[Json], headers: dict[str, str]
) -> list[Response]:
    """Send the requests at the same moment, each from a thread of its own (as `concurrently` does
    for POST), so the app serves them all at once on its loop."""
    transport = TestClientTransport(client=client, raise_server_exceptions=False)
    requests = [client.build_request(method, path, json=body, headers=headers) for body in bodies]
    responses = await asyncio.gather(
        *(asyncio.to_thread(transport.handle_request, request) for request in requests)
    )
    for response in responses:
        response.read()
    return list(responses)
