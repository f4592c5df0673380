"""Request and response bodies as msgspec Structs. Requests forbid unknown fields: a client can never
set a field the route does not list (no mass assignment)."""

from __future__ import annotations

from typing import TypeVar

import msgspec

T = TypeVar("T")


def given(value: T | msgspec.UnsetType) -> T | None:
    """A field left out of a body, as the use cases spell it: None."""
    return None if isinstance(value, msgspec.UnsetType) else value
