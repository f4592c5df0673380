"""Handlers get use cases and ports by type, from the container, built once at start-up.

A handler asks with a parameter `shop_window: Inject[ShopWindow]`: the annotation decides what it
gets, the container's `Provides[ShopWindow]` provider (entrypoints.provides). The parameter's name
must be the type's own name in snake case, so that a name never says one thing while the type says
another. The app refuses to start, never to serve, when a handler asks for a type nobody provides
or under a name that is not its type's.

Everything is built in the app's start-up, once; a request finds it ready. Each handler takes one
dependency at most: Litestar resolves several concurrently in an anyio task group, which cost a
fifth of a cached catalogue request (measured with py-spy), so query and path parameters are taken
directly (entrypoints.http.parameters).

A before_request hook takes its dependency from the same place (UsingDependency), not from a
second channel such as the app's state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, Generic, TypeAlias, TypeVar, cast

from litestar import Litestar, Request
from litestar.di import Dependency, Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.params import SkipValidationMarker
from litestar.routes import HTTPRoute

from entrypoints.provides import Provided, WiringError, dependency_name, unwrap

T = TypeVar("T")

Inject: TypeAlias = Annotated[T, Dependency(kind="named"), SkipValidationMarker()]
"""`name: Inject[SomeType]`: the handler is given what the container provides as SomeType. Litestar
does not check the value against the type on each request (an isinstance check against a Protocol
cost 3% of a product page, measured with py-spy): the container's values are checked once, at
start-up (Dependencies.build)."""


class Dependencies:
    """What handlers may ask for: every type the container provides, by type."""

    def __init__(self, provided: Mapping[type[Any], Provided]) -> None:
        self._provided = provided
        self._built: dict[type[Any], object] = {}

    def for_litestar(self) -> dict[str, Provide]:
        """Litestar's dependencies, under each type's one name."""
        return {entry.name: self._provide(entry) for entry in self._provided.values()}

    def build(self) -> None:
        """At start-up: build everything once, and check it is what its provider declared."""
        self._built = {kind: entry.check(entry.build()) for kind, entry in self._provided.items()}

    def check(self, app: Litestar) -> None:
        """Every parameter of every handler that asks for a dependency asks for a type provided,
        under that type's name, None allowed exactly when it may be None; every hook likewise."""
        for route in app.routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler in route.route_handlers:
                where = f"{handler.handler_name} ({', '.join(sorted(handler.paths))})"
                for name, field in handler.parsed_fn_signature.parameters.items():
                    if field.is_di_field:
                        self._check_parameter(where, name, field.annotation)
                hook = handler.resolve_before_request()
                if isinstance(hook, UsingDependency):
                    self._check_parameter(f"the before_request hook of {where}", hook.name, hook.kind)

    def _check_parameter(self, where: str, name: str, annotation: Any) -> None:
        try:
            kind, optional = unwrap(annotation)
        except WiringError as error:
            raise ImproperlyConfiguredException(f"{where}: {name}: {error}") from error
        entry = self._provided.get(kind)
        if entry is None:
            raise ImproperlyConfiguredException(
                f"{where} asks for {kind.__name__} ({name}), which the container does not provide"
            )
        if name != entry.name:
            raise ImproperlyConfiguredException(
                f"{where}: parameter {name} asks for a {kind.__name__}: name it {entry.name}"
            )
        if optional != entry.optional:
            maybe = "may be None" if entry.optional else "is never None"
            raise ImproperlyConfiguredException(f"{where}: {name}: a {kind.__name__} here {maybe}")

    def _provide(self, entry: Provided) -> Provide:
        def dependency() -> object:
            return self._built[entry.kind]

        return Provide(dependency, use_cache=True, sync_to_thread=False)


async def injected(request: Request[Any, Any, Any], kind: type[T]) -> T:
    """What the app provides as `kind`, from the route's own dependencies."""
    provide = request.route_handler.resolve_dependencies()[dependency_name(kind)]
    return cast("T", await provide())


class UsingDependency(Generic[T]):
    """A before_request hook that needs a dependency (hooks get no parameters but the request): it
    is handed what the app provides as `kind`, checked at start-up like a handler's parameter."""

    def __init__(self, kind: type[T], hook: Callable[[T, Request[Any, Any, Any]], Awaitable[None]]) -> None:
        self.kind = kind
        self.name = dependency_name(kind)
        self._hook = hook

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        await self._hook(await injected(request, self.kind), request)
