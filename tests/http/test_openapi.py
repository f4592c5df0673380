"""GET /schema/openapi.json documents the auth routes, their errors and their security."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.http.conftest import PROBLEM_JSON

AUTH_ROUTES: dict[tuple[str, str], set[int]] = {
    ("/auth/signup", "post"): {400, 409, 429},
    ("/auth/login", "post"): {400, 401, 403, 429},
    ("/auth/refresh", "post"): {400, 401, 403},
    ("/auth/logout", "post"): {400, 401},
    ("/auth/me", "get"): {401, 403},
}
SUCCESS = {
    ("/auth/signup", "post"): "201",
    ("/auth/login", "post"): "200",
    ("/auth/refresh", "post"): "200",
    ("/auth/logout", "post"): "204",
    ("/auth/me", "get"): "200",
}


@pytest.fixture
def client(shared_client: AsyncTestClient[Litestar]) -> AsyncTestClient[Litestar]:
    """The document is the same for every app and every store: one app serves the whole module."""
    return shared_client


async def openapi(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    assert path in document["paths"], sorted(document["paths"])
    assert method in document["paths"][path], document["paths"][path]
    found: dict[str, Any] = document["paths"][path][method]
    return found


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    assert ref.startswith("#/components/schemas/")
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


async def test_the_schema_is_openapi_3_1_and_needs_no_token(client: AsyncTestClient[Litestar]) -> None:
    document = await openapi(client)

    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"]


@pytest.mark.parametrize(("path", "method"), list(AUTH_ROUTES))
async def test_every_auth_route_is_documented_with_its_success_status(
    client: AsyncTestClient[Litestar], path: str, method: str
) -> None:
    document = await openapi(client)

    responses = operation(document, path, method)["responses"]

    assert SUCCESS[path, method] in responses


@pytest.mark.parametrize(("path", "method"), list(AUTH_ROUTES))
async def test_every_auth_route_documents_its_errors_as_problem_json(
    client: AsyncTestClient[Litestar], path: str, method: str
) -> None:
    document = await openapi(client)
    responses = operation(document, path, method)["responses"]

    for status in AUTH_ROUTES[path, method]:
        assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
        content = responses[str(status)].get("content", {})
        assert PROBLEM_JSON in content, f"{method.upper()} {path} {status}: {sorted(content)}"
        problem = resolve(document, content[PROBLEM_JSON]["schema"])
        assert {"type", "title", "status", "detail", "code"} <= set(problem["properties"])


@pytest.mark.parametrize(("path", "method"), list(AUTH_ROUTES))
async def test_every_auth_route_documents_503_when_the_database_is_down(
    client: AsyncTestClient[Litestar], path: str, method: str
) -> None:
    """Every auth route touches the database and answers 503 service_unavailable when it is down
    (see test_health.py), so the schema should say so."""
    document = await openapi(client)
    responses = operation(document, path, method)["responses"]

    assert "503" in responses, f"{method.upper()} {path} does not document 503"
    assert PROBLEM_JSON in responses["503"].get("content", {})


async def test_me_declares_bearer_security(client: AsyncTestClient[Litestar]) -> None:
    document = await openapi(client)

    requirements = operation(document, "/auth/me", "get").get("security", [])

    assert requirements
    scheme_names = {name for requirement in requirements for name in requirement}
    schemes = document["components"]["securitySchemes"]
    for name in scheme_names:
        assert schemes[name]["type"] == "http"
        assert schemes[name]["scheme"].lower() == "bearer"


@pytest.mark.parametrize(
    ("path", "method"),
    [("/auth/signup", "post"), ("/auth/login", "post"), ("/auth/refresh", "post"), ("/auth/logout", "post")],
)
async def test_public_auth_routes_declare_no_security(
    client: AsyncTestClient[Litestar], path: str, method: str
) -> None:
    document = await openapi(client)

    assert not operation(document, path, method).get("security")


async def test_the_user_schema_has_exactly_the_public_fields(client: AsyncTestClient[Litestar]) -> None:
    document = await openapi(client)
    content = operation(document, "/auth/me", "get")["responses"]["200"]["content"]

    user = resolve(document, content["application/json"]["schema"])

    assert set(user["properties"]) == {"id", "email", "role", "is_active", "email_verified", "created_at"}
    assert set(user["properties"]["role"]["enum"]) == {"USER", "ADMIN"}


async def test_health_documents_its_503(client: AsyncTestClient[Litestar]) -> None:
    document = await openapi(client)

    responses = operation(document, "/health", "get")["responses"]

    assert {"200", "503"} <= set(responses)


async def test_the_search_page_documents_its_fuzzy_flag_and_the_search_rules(
    client: AsyncTestClient[Litestar],
) -> None:
    document = await openapi(client)
    search = operation(document, "/products/search", "get")
    listing = operation(document, "/products", "get")

    page = resolve(document, search["responses"]["200"]["content"]["application/json"]["schema"])
    plain = resolve(document, listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert page["properties"]["fuzzy"]["type"] == "boolean"
    assert "near matches" in page["properties"]["fuzzy"]["description"]
    assert "fuzzy" not in plain["properties"]
    described = search["description"]
    for rule in ("series' name", "Punctuation does not count", '"fuzzy": true', "narnia"):
        assert rule in described, rule
