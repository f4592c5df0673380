"""Query strings are checked before anything else reads them, the page cache included.

Litestar ignores query parameters a route does not declare, so `?seris=HP` would answer every
series, and the page cache would keep that answer under a key of the client's choosing. Here every
route refuses names it does not declare (400 validation_error naming each), and converts the ones it
does exactly as Litestar will (the route's own signature types, Litestar's lenient string
conversion), so the page cache keys on validated values only (see page_cache.page_key): a
query the route would refuse never reaches the cache, and two spellings of one query
(`limit=5.0&in_stock=TRUE`, `limit=5&in_stock=true`) are one entry.

A route reads only the query parameters its handler declares: one that read
`request.query_params` by itself would be refused the names it did not declare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Litestar
from litestar._parsers import parse_query_string
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from entrypoints.http.field_errors import (
    IS_NOT_VALID,
    MAX_NAME_LENGTH,
    InvalidField,
    InvalidInput,
    explain_object,
)

VALIDATED_QUERY = "bookshop.validated_query"
"""Key in the scope's state under which the route's validated query parameters are kept."""
MAX_NAMES_REPORTED = 10


@dataclass(frozen=True, slots=True)
class QueryModel:
    """What one route handler accepts in its query string."""

    names: frozenset[str]
    sequences: frozenset[str]
    struct: type[msgspec.Struct] | None
    """The declared parameters with the types and bounds Litestar validates them with."""

    def validate(self, pairs: tuple[tuple[str, str], ...]) -> msgspec.Struct | None:
        """The converted values, or InvalidInput naming each unknown, missing or invalid parameter.
        As Litestar reads them: a sequence parameter takes every value, any other the last one."""
        unknown = sorted({name for name, _ in pairs if name not in self.names})
        errors = [
            InvalidField(name[:MAX_NAME_LENGTH], self._not_taken()) for name in unknown[:MAX_NAMES_REPORTED]
        ]
        if self.struct is None:
            if errors:
                raise InvalidInput(errors)
            return None
        raw: dict[str, Any] = {}
        for name, value in pairs:
            if name in self.sequences:
                raw.setdefault(name, []).append(value)
            elif name in self.names:
                raw[name] = value
        if not errors:
            try:
                return msgspec.convert(raw, self.struct, strict=False, str_keys=True)
            except msgspec.ValidationError:
                pass
        errors += explain_object(raw, self.struct, strict=False)
        raise InvalidInput(errors or [InvalidField("query", IS_NOT_VALID)])

    def _not_taken(self) -> str:
        if self.struct is None:
            return "is not a parameter of this route; it takes none"
        taken = ", ".join(field.encode_name for field in msgspec.structs.fields(self.struct))
        return f"is not a parameter of this route; expected one of: {taken}"


NO_QUERY = QueryModel(names=frozenset(), sequences=frozenset(), struct=None)


class QueryModels:
    """The QueryModel of every route handler of an app, read from Litestar's own view of each
    handler (its kwargs model says which parameters come from the query; its signature model holds
    their types with the bounds already turned into msgspec constraints)."""

    def __init__(self) -> None:
        self._by_handler: dict[int, QueryModel] = {}

    def load(self, app: Litestar) -> None:
        for route in app.routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler, kwargs_model in route.route_handler_map.values():
                self._by_handler[id(handler)] = _model(
                    handler.signature_model, kwargs_model.expected_query_params
                )

    def of(self, handler: object) -> QueryModel:
        return self._by_handler.get(id(handler), NO_QUERY)


def _model(signature_model: type[msgspec.Struct], parameters: Any) -> QueryModel:
    if not parameters:
        return NO_QUERY
    aliases = {p.field_name: p.field_alias for p in parameters}
    fields = [
        (field.name, field.type, msgspec.NODEFAULT if field.required else field.default)
        for field in msgspec.structs.fields(signature_model)
        if field.name in aliases
    ]
    struct = msgspec.defstruct(
        f"{signature_model.__name__}Query",
        fields,
        rename=aliases,
        forbid_unknown_fields=True,
        kw_only=True,
        frozen=True,
    )
    return QueryModel(
        names=frozenset(aliases.values()),
        sequences=frozenset(p.field_alias for p in parameters if p.is_sequence),
        struct=struct,
    )


def _query_pairs(scope: Scope) -> tuple[tuple[str, str], ...]:
    """What `ASGIConnection.query_params` holds (Litestar's parse, kept in the scope, so the
    handler does not parse again), without building the MultiDict on a page cache hit's path."""
    state = ScopeState.from_scope(scope)
    if state.parsed_query is Empty:
        state.parsed_query = parse_query_string(scope.get("query_string", b""))
    pairs: tuple[tuple[str, str], ...] = state.parsed_query
    return pairs


class QueryValidationMiddleware:
    """Runs inside the route's middleware stack, outside the page cache: a refused query string
    is answered 400 before the cache is even asked. After authentication: a private route still
    answers 401 first."""

    def __init__(self, app: ASGIApp, models: QueryModels) -> None:
        self.app = app
        self._models = models

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # OPTIONS only lists a route's methods; as a CORS preflight it carries the query string
        # of the request it asks about, which is that request's to answer for.
        if scope["type"] == ScopeType.HTTP and scope["method"] != "OPTIONS":
            model = self._models.of(scope["route_handler"])
            if scope["query_string"] or model.struct is not None:
                scope["state"][VALIDATED_QUERY] = model.validate(_query_pairs(scope))
        await self.app(scope, receive, send)
