"""The exact problem a client gets for representative wrong requests, field names and words included.

These are what clients code against. They are built from the declared types, never from msgspec's
or Litestar's messages: if an upgrade of either changed one field name or one message here, these
tests say so."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest
from litestar import Litestar, get
from litestar.params import HeaderParameter, PathParameter
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from entrypoints.container import Container
from entrypoints.http.problems import EXCEPTION_HANDLERS
from tests.http.catalog_helpers import Client, Json, book, create_product, make_admin
from tests.http.conftest import assert_problem, bearer, refused_before_any_store

PRODUCT_FIELDS = "title, series, author, price_cents, stock"
PRODUCTS_QUERY = "series, author, min_price_cents, max_price_cents, in_stock, sort, limit, offset"


def problem(detail: str, *errors: tuple[str, str]) -> Json:
    return {
        "type": "urn:bookshop:problem:validation_error",
        "title": "Invalid request",
        "status": 400,
        "detail": detail,
        "code": "validation_error",
        "errors": [{"field": field, "message": message} for field, message in errors],
    }


SHAPES: list[tuple[str, str, Any, Json]] = [
    (
        "POST",
        "/admin/products",
        {"title": "X"},
        problem(
            "the request has 3 problems, each named in `errors`",
            ("series", "is required"),
            ("author", "is required"),
            ("price_cents", "is required"),
        ),
    ),
    (
        "POST",
        "/admin/products",
        {"title": "X" * 201, "series": "LOTR", "author": "", "price_cents": "899", "stock": -1, "id": 7},
        problem(
            "the request has 6 problems, each named in `errors`",
            ("title", "must be at most 200 characters"),
            ("series", "must be one of: HP, NARNIA"),
            ("author", "must not be empty"),
            ("price_cents", "must be an integer"),
            ("stock", "must be at least 0"),
            ("id", f"is not a field of this request; expected one of: {PRODUCT_FIELDS}"),
        ),
    ),
    (
        "POST",
        "/cart/add",
        {"product_id": 1.0, "quantity": 0, "price_cents": 1},
        problem(
            "the request has 3 problems, each named in `errors`",
            ("product_id", "must be an integer"),
            ("quantity", "must be at least 1"),
            ("price_cents", "is not a field of this request; expected one of: product_id, quantity"),
        ),
    ),
    (
        "POST",
        "/auth/signup",
        {"email": 5, "password": "short", "role": "ADMIN"},
        problem(
            "the request has 3 problems, each named in `errors`",
            ("email", "must be a string"),
            ("password", "must be at least 8 characters"),
            ("role", "is not a field of this request; expected one of: email, password"),
        ),
    ),
    (
        "PATCH",
        "/admin/users/1",
        {"role": "ROOT", "is_active": "yes"},
        problem(
            "the request has 2 problems, each named in `errors`",
            ("is_active", "must be true or false"),
            ("role", "must be one of: ADMIN, USER"),
        ),
    ),
    (
        "PATCH",
        "/admin/products/1/stock",
        {"delta": 1.5},
        problem("delta must be an integer", ("delta", "must be an integer")),
    ),
    (
        "POST",
        "/checkout",
        {"payment_method_id": ""},
        problem("payment_method_id must not be empty", ("payment_method_id", "must not be empty")),
    ),
    (
        "POST",
        "/checkout",
        b"[1]",
        problem("the body must be a JSON object", ("body", "must be a JSON object")),
    ),
    ("POST", "/auth/login", b"", problem("the body is required", ("body", "is required"))),
    ("POST", "/cart/remove", b"{}", problem("product_id is required", ("product_id", "is required"))),
    (
        "POST",
        "/auth/refresh",
        b"\xff",
        problem("the body must be valid UTF-8", ("body", "must be valid UTF-8")),
    ),
    (
        "GET",
        "/products?limit=0&offset=x&series=XX&seris=HP",
        None,
        problem(
            "the request has 4 problems, each named in `errors`",
            ("seris", f"is not a parameter of this route; expected one of: {PRODUCTS_QUERY}"),
            ("series", "must be one of: HP, NARNIA"),
            ("limit", "must be at least 1"),
            ("offset", "must be an integer"),
        ),
    ),
    (
        "GET",
        "/products/search?limit=101",
        None,
        problem(
            "the request has 2 problems, each named in `errors`",
            ("q", "is required"),
            ("limit", "must be at most 100"),
        ),
    ),
    (
        "GET",
        "/cart?page=2",
        None,
        problem(
            "page is not a parameter of this route; it takes none",
            ("page", "is not a parameter of this route; it takes none"),
        ),
    ),
    ("GET", "/orders/0", None, problem("order_id must be at least 1", ("order_id", "must be at least 1"))),
    (
        "GET",
        "/products/9007199254740992",
        None,
        problem(
            "product_id must be at most 9007199254740991", ("product_id", "must be at most 9007199254740991")
        ),
    ),
]


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{method} {path}" for method, path, _, _ in SHAPES])
async def test_a_refused_request_gets_exactly_this_problem(
    client: Client, container: Container, shape: tuple[str, str, Any, Json]
) -> None:
    method, path, body, expected = shape
    admin = await make_admin(client, container)
    await create_product(client, admin.access_token, book("Stocked"))
    headers = bearer(admin.access_token)
    if isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
        response = await client.request(method, path, content=body, headers=headers)
    else:
        response = await client.request(method, path, json=body, headers=headers)

    assert assert_problem(response, 400, "validation_error") == expected


@refused_before_any_store
async def test_invalid_json_names_the_body_and_says_where(shared_client: Client) -> None:
    response = await shared_client.post(
        "/auth/login", content=b'{"email": "a@b.example", ', headers={"Content-Type": "application/json"}
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [{"field": "body", "message": "must be valid JSON"}]
    assert body["detail"].startswith("the body must be valid JSON (")


# --- every missing field is named at once, on every route that has required fields ------------------

REQUIRED_FIELDS: dict[tuple[str, str], list[str]] = {
    ("POST", "/auth/signup"): ["email", "password"],
    ("POST", "/auth/login"): ["email", "password"],
    ("POST", "/auth/refresh"): ["refresh_token"],
    ("POST", "/auth/logout"): ["refresh_token"],
    ("POST", "/cart/add"): ["product_id"],
    ("POST", "/cart/remove"): ["product_id"],
    ("POST", "/admin/products"): ["title", "series", "author", "price_cents"],
    ("PUT", "/cart/shipping-address"): ["name", "line1", "city", "postal_code", "country"],
    ("POST", "/orders/1/pay"): ["payment_method_id"],
    ("POST", "/admin/orders/1/ship"): ["carrier", "tracking_number"],
    ("POST", "/auth/password"): ["current_password", "new_password"],
    ("POST", "/auth/password-reset"): ["email"],
    ("POST", "/auth/password-reset/confirm"): ["token", "new_password"],
    ("POST", "/auth/verify-email"): ["token"],
}


@pytest.mark.parametrize(("method", "path"), list(REQUIRED_FIELDS))
@refused_before_any_store
async def test_every_missing_field_is_named_at_once(
    client: Client, container: Container, method: str, path: str
) -> None:
    admin = await make_admin(client, container)

    response = await client.request(method, path, json={}, headers=bearer(admin.access_token))

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [
        {"field": field, "message": "is required"} for field in REQUIRED_FIELDS[method, path]
    ]


@refused_before_any_store
async def test_missing_and_unknown_fields_are_named_together(client: Client, container: Container) -> None:
    admin = await make_admin(client, container)

    response = await client.post(
        "/admin/products",
        json={"price_cents": 1, "name": "X", "is_active": True},
        headers=bearer(admin.access_token),
    )

    assert assert_problem(response, 400, "validation_error")["errors"] == [
        {"field": "title", "message": "is required"},
        {"field": "series", "message": "is required"},
        {"field": "author", "message": "is required"},
        {"field": "name", "message": f"is not a field of this request; expected one of: {PRODUCT_FIELDS}"},
        {
            "field": "is_active",
            "message": f"is not a field of this request; expected one of: {PRODUCT_FIELDS}",
        },
    ]


def test_the_table_lists_every_route_whose_body_has_required_fields(app: Litestar) -> None:
    """A new route with required body fields must join REQUIRED_FIELDS (and so be tested above)."""
    found: dict[tuple[str, str], list[str]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            dto = handler.resolve_data_dto()
            model = getattr(dto, "model_type", None)
            if isinstance(model, type) and issubclass(model, msgspec.Struct):
                required = [f.encode_name for f in msgspec.structs.fields(model) if f.required]
                if required:
                    path = route.path.replace("{product_id:int}", "1").replace("{user_id:int}", "1")
                    path = path.replace("{order_id:int}", "1")
                    found[method, path] = required

    assert found == REQUIRED_FIELDS


# --- Litestar's own refusals are read from its structured data, not its words -----------------------


@get("/things/{thing_id:int}", sync_to_thread=False)
def thing(
    thing_id: Annotated[int, PathParameter(ge=1, le=99)],
    token: Annotated[str, HeaderParameter(name="X-Token", min_length=3)],
) -> int:
    return thing_id


@pytest.fixture
async def bare_client() -> Any:
    app = Litestar([thing], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "headers", "errors"),
    [
        ("/things/1", {}, [("X-Token", "is required")]),
        ("/things/1", {"X-Token": "ab"}, [("X-Token", "must be at least 3 characters")]),
        ("/things/100", {"X-Token": "abc"}, [("thing_id", "must be at most 99")]),
        (
            "/things/0",
            {"X-Token": "a"},
            [("thing_id", "must be at least 1"), ("X-Token", "must be at least 3 characters")],
        ),
    ],
)
async def test_a_parameter_litestar_refuses_is_named_as_the_client_sent_it(
    bare_client: AsyncTestClient[Litestar], path: str, headers: dict[str, str], errors: list[tuple[str, str]]
) -> None:
    response = await bare_client.get(path, headers=headers)

    body = assert_problem(response, 400, "validation_error")
    assert sorted((e["field"], e["message"]) for e in body["errors"]) == sorted(errors)
