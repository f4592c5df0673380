"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.types import ControllerRouterHandler

from entrypoints.container import Container, close_container
from entrypoints.http.admin import admin_router
from entrypoints.http.auth import AuthController
from entrypoints.http.catalog import CatalogController
from entrypoints.http.dependencies import Dependencies
from entrypoints.http.health import health
from entrypoints.http.openapi import openapi_config
from entrypoints.http.page_cache import CataloguePageCache
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.query_parameters import QueryModels, QueryValidationMiddleware
from entrypoints.http.request_context import RequestContextMiddleware
from entrypoints.http.security import BearerAuthMiddleware
from entrypoints.http.shopping import CartController, CheckoutController, OrderController
from entrypoints.http.webhooks import stripe_webhook
from entrypoints.jobs import jobs_while_serving
from entrypoints.logs import drain_access_log
from entrypoints.provides import provided

MAX_REQUEST_BODY_BYTES = 64 * 1024


ROUTES: Sequence[ControllerRouterHandler] = (
    AuthController,
    CatalogController,
    CartController,
    CheckoutController,
    OrderController,
    stripe_webhook,
    admin_router,
    health,
)


def create_app(container: Container, routes: Sequence[ControllerRouterHandler] = ROUTES) -> Litestar:
    """The app over a container. Refuses to start (ImproperlyConfiguredException) when a route asks
    for a dependency the container does not provide, or under another name than its type's."""
    dependencies = Dependencies(provided(Container, container))

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        container.init_resources()
        try:
            dependencies.build()
            async with jobs_while_serving(container):
                yield
        finally:
            await close_container(container)
            drain_access_log()

    query_models = QueryModels()
    middleware = [
        DefineMiddleware(BearerAuthMiddleware, authenticate=container.authenticate(), exclude=["^/schema"]),
        DefineMiddleware(QueryValidationMiddleware, models=query_models),
    ]
    if (pages := container.catalogue_pages()) is not None:
        middleware.append(DefineMiddleware(CataloguePageCache, pages=pages))
    app = Litestar(
        route_handlers=list(routes),
        dependencies=dependencies.for_litestar(),
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(_version()),
        lifespan=[lifespan],
        request_max_body_size=MAX_REQUEST_BODY_BYTES,
        return_dto=None,
        logging_config=None,  # logging is the entrypoint's to set up (entrypoints.logs), not the app's
        debug=False,
    )
    dependencies.check(app)
    query_models.load(app)
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    return app


def _version() -> str:
    try:
        return version("bookshop")
    except PackageNotFoundError:
        return "0.0.0"
