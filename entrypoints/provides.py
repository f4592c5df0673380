"""What the container hands out, by type: the one registration each use case and port needs.

A provider of the container annotated `name: Provides[SomeType]` declares that it hands out a
SomeType, under SomeType's own name in snake case (`sign_up: Provides[SignUp]`,
`shop_window: Provides[ShopWindow]`). Entrypoints ask for the type (an HTTP handler's parameter
annotation, see entrypoints.http.dependencies), never for a name spelt a second time elsewhere.
For mypy the annotation also types `container.sign_up()` as a SignUp."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T_co = TypeVar("T_co", covariant=True)
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


class Provides(Protocol[T_co]):
    """A container provider handing out a T_co (see the module docstring)."""

    def __call__(self) -> T_co: ...


class WiringError(Exception):
    """Something asks for what nobody provides, or under a name that is not its type's. Raised while
    the app or the command starts, never while it serves."""


@dataclass(frozen=True, slots=True)
class Provided:
    """One registration: a type, whether it may be None (nothing of that kind is configured), and
    the provider that builds it."""

    kind: type[Any]
    optional: bool
    build: Callable[[], object]

    @property
    def name(self) -> str:
        return dependency_name(self.kind)

    def check(self, instance: object) -> object:
        """The built instance is what was declared (a runtime-checkable port is checked by its methods)."""
        if instance is None and self.optional:
            return instance
        if not isinstance(instance, self.kind):
            raise WiringError(f"{self.name} was declared a {self.kind.__name__} but built {instance!r}")
        return instance


def dependency_name(kind: type[Any]) -> str:
    """The one name a type is handed out under: its class name in snake case (`LogIn` → `log_in`)."""
    return _WORD_START.sub("_", kind.__name__).lower()


def unwrap(annotation: Any) -> tuple[type[Any], bool]:
    """`SomeType` or `SomeType | None` → (SomeType, whether None is allowed)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = typing.get_args(annotation)
        if len(members) == 2 and type(None) in members:
            return unwrap(next(member for member in members if member is not type(None)))[0], True
        raise WiringError(f"{annotation} is not one type, or one type or None")
    if not isinstance(annotation, type):
        raise WiringError(f"{annotation!r} is not a type")
    return annotation, False


def provided(container_class: type[Any], container: object) -> Mapping[type[Any], Provided]:
    """Every `Provides[...]` provider of the container, by the type it hands out. Refuses a
    provider whose name is not its type's (so no type is provided twice)."""
    found: dict[type[Any], Provided] = {}
    for attribute, hint in typing.get_type_hints(container_class).items():
        if typing.get_origin(hint) is not Provides:
            continue
        kind, optional = unwrap(typing.get_args(hint)[0])
        registration = Provided(kind, optional, getattr(container, attribute))
        if attribute != registration.name:
            raise WiringError(
                f"the container's {attribute} provides a {kind.__name__}: name it {registration.name}"
            )
        found[kind] = registration
    return found
