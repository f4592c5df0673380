"""Handlers get use cases and ports by type: a route asking for what nobody provides, or under a name
that is not its type's, stops the app from starting; everything is built once, at start-up."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import containers, providers
from litestar import Litestar, Request, get
from litestar.exceptions import ImproperlyConfiguredException
from litestar.testing import AsyncTestClient

from application.cart import ViewCart
from application.own_account import SessionIssuer
from application.ports import CacheProbe, PaymentProvider
from application.queries import CatalogQueries, ShopWindow
from entrypoints.container import Container, build_container, close_container
from entrypoints.http.app import ROUTES, create_app
from entrypoints.http.dependencies import Inject, UsingDependency
from entrypoints.http.security import PUBLIC
from entrypoints.provides import Provides, WiringError, provided
from tests.conftest import make_settings
from tests.http.conftest import bearer, signup_and_login

pytestmark = pytest.mark.backends("sqlite")


@get("/unprovided", opt={PUBLIC: True})
async def asks_for_what_nobody_provides(payment_provider: Inject[PaymentProvider]) -> None:
    """The container builds a payment provider, but hands it to no route."""


@get("/misnamed", opt={PUBLIC: True})
async def names_one_thing_and_asks_for_another(catalog_queries: Inject[ShopWindow]) -> None:
    """The name says the back office's catalogue, the type the cached shop window."""


@get("/renamed", opt={PUBLIC: True})
async def asks_under_another_name(stored_catalog_queries: Inject[CatalogQueries]) -> None:
    """The right type under a name of its own."""


@get("/not-optional", opt={PUBLIC: True})
async def forgets_it_may_be_none(cache_probe: Inject[CacheProbe]) -> None:
    """Without Redis there is no cache probe."""


async def _uses(sessions: SessionIssuer, request: Request[Any, Any, Any]) -> None:
    """A hook drawing on what the container builds but hands to nobody."""


@get("/hooked", opt={PUBLIC: True}, before_request=UsingDependency(SessionIssuer, _uses))
async def hooked() -> None:
    """Its hook needs a session issuer."""


@pytest.mark.parametrize(
    ("route", "refusal"),
    [
        (asks_for_what_nobody_provides, "payment_provider"),
        (names_one_thing_and_asks_for_another, "catalog_queries asks for a ShopWindow: name it shop_window"),
        (asks_under_another_name, "stored_catalog_queries"),
        (forgets_it_may_be_none, "a CacheProbe here may be None"),
        (hooked, "SessionIssuer"),
    ],
    ids=["unprovided", "name-and-type-disagree", "renamed", "optional", "hook"],
)
def test_a_route_asking_for_what_it_cannot_get_stops_the_app_from_starting(
    container: Container, route: Any, refusal: str
) -> None:
    with pytest.raises(ImproperlyConfiguredException, match=refusal):
        create_app(container, [*ROUTES, route])


def test_every_route_of_the_shop_gets_what_it_asks_for(container: Container) -> None:
    create_app(container)


def test_a_provider_named_otherwise_than_its_type_is_refused() -> None:
    class Misnamed(containers.DeclarativeContainer):
        cart: Provides[ViewCart] = providers.Object(None)

    with pytest.raises(WiringError, match="name it view_cart"):
        provided(Misnamed, Misnamed())


async def test_the_shop_window_and_the_back_office_catalogue_are_different_things(database_url: str) -> None:
    """The public catalogue and the back office's are different types, and neither can stand in
    for the other (only the public routes' pages are ever cached)."""
    container = build_container(make_settings(database_url, catalog_cache_seconds=2))
    try:
        window, catalog = container.shop_window(), container.catalog_queries()
    finally:
        await close_container(container)

    assert isinstance(window, ShopWindow)
    assert not isinstance(window, CatalogQueries)
    assert isinstance(catalog, CatalogQueries)
    assert not isinstance(catalog, ShopWindow)


async def test_what_routes_get_is_built_once_at_start_up(container: Container) -> None:
    built: list[ViewCart] = []

    def view_cart() -> ViewCart:
        built.append(ViewCart(container.unit_of_work))
        return built[-1]

    container.view_cart.override(providers.Factory(view_cart))  # type: ignore[attr-defined]
    app: Litestar = create_app(container)
    assert built == []
    async with AsyncTestClient(app=app) as client:
        assert len(built) == 1
        session = await signup_and_login(client, "ann@example.com")
        for _ in range(3):
            assert (await client.get("/cart", headers=bearer(session.access_token))).status_code == 200

    assert len(built) == 1
