"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware

from entrypoints.container import Container, close_container
from entrypoints.http.admin import admin_router
from entrypoints.http.auth import AuthController
from entrypoints.http.catalog import CatalogController
from entrypoints.http.health import health
from entrypoints.http.openapi import openapi_config
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.query_parameters import QueryModels, QueryValidationMiddleware
from entrypoints.http.request_context import RequestContextMiddleware
from entrypoints.http.response_cache import (
    RESPONSE_CACHE_STORE,
    BoundedMemoryStore,
    ShieldCachedResponses,
    response_cache_config,
)
from entrypoints.http.security import AUTH_ATTEMPT_LIMITER, BearerAuthMiddleware
from entrypoints.http.shopping import CartController, CheckoutController, OrderController
from entrypoints.http.webhooks import stripe_webhook

MAX_REQUEST_BODY_BYTES = 64 * 1024
T = TypeVar("T")


def _provide(provider: Callable[[], T]) -> Provide:
    """Hand a container-built object to handlers through Litestar's own DI."""

    def dependency() -> T:
        return provider()

    return Provide(dependency, sync_to_thread=False)


def _use_cases(container: Container) -> dict[str, Provide]:
    return {
        "sign_up": _provide(container.sign_up),
        "log_in": _provide(container.log_in),
        "refresh_session": _provide(container.refresh_session),
        "log_out": _provide(container.log_out),
        "database_probe": _provide(container.database_probe),
        "cache_probe": _provide(container.cache_probe),
        "catalog_queries": _provide(container.catalog_queries),
        "stored_catalog_queries": _provide(container.stored_catalog_queries),
        "user_queries": _provide(container.user_queries),
        "create_product": _provide(container.create_product),
        "update_product": _provide(container.update_product),
        "change_stock": _provide(container.change_stock),
        "change_user_access": _provide(container.change_user_access),
        "order_queries": _provide(container.order_queries),
        "view_cart": _provide(container.view_cart),
        "add_to_cart": _provide(container.add_to_cart),
        "remove_from_cart": _provide(container.remove_from_cart),
        "idempotent_checkout": _provide(container.idempotent_checkout),
        "webhook_verifier": _provide(container.webhook_verifier),
        "settle_payment": _provide(container.settle_payment),
    }


def create_app(container: Container) -> Litestar:
    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        container.init_resources()
        try:
            yield
        finally:
            await close_container(container)

    query_models = QueryModels()
    app = Litestar(
        route_handlers=[
            AuthController,
            CatalogController,
            CartController,
            CheckoutController,
            OrderController,
            stripe_webhook,
            admin_router,
            health,
        ],
        dependencies=_use_cases(container),
        middleware=[
            DefineMiddleware(
                BearerAuthMiddleware, authenticate=container.authenticate(), exclude=["^/schema"]
            ),
            DefineMiddleware(QueryValidationMiddleware, models=query_models),
            ShieldCachedResponses,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(_version()),
        lifespan=[lifespan],
        state=State({AUTH_ATTEMPT_LIMITER: container.limit_auth_attempts()}),
        request_max_body_size=MAX_REQUEST_BODY_BYTES,
        response_cache_config=response_cache_config(container.settings().catalog_cache_seconds),
        stores={RESPONSE_CACHE_STORE: BoundedMemoryStore()},
        return_dto=None,
        logging_config=None,  # logging is the entrypoint's to set up (entrypoints.logs), not the app's
        debug=False,
    )
    query_models.load(app)
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    return app


def _version() -> str:
    try:
        return version("bookshop")
    except PackageNotFoundError:
        return "0.0.0"
