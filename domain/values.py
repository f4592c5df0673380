"""Checks shared by every entity: whole cents, counts and bounded text."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from domain.errors import InvalidValue

E = TypeVar("E", bound=StrEnum)

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")

MAX_INT32 = 2_147_483_647
"""Prices, stock and quantities are stored as 32-bit integers; larger values are refused, not truncated."""


def require_count(field: str, value: int, *, minimum: int = 0) -> int:
    """A whole number in [minimum, MAX_INT32]. Booleans are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(field, "must be a whole number")
    if value < minimum:
        raise InvalidValue(field, f"must be at least {minimum}")
    if value > MAX_INT32:
        raise InvalidValue(field, f"must be at most {MAX_INT32}")
    return value


def refuse_control_characters(field: str, value: str) -> str:
    """Text a person typed has no control characters other than whitespace (which is trimmed, and
    separates search words): no NUL, no escape. PostgreSQL cannot even store NUL, and SQLite would
    cut a LIKE pattern short at it."""
    if _CONTROL.search(value) is not None:
        raise InvalidValue(field, "must not contain control characters")
    return value


def require_text(field: str, value: str, *, max_length: int) -> str:
    """Non-blank text of at most max_length characters, trimmed, without control characters."""
    text = refuse_control_characters(field, value).strip()
    if not text:
        raise InvalidValue(field, "must not be blank")
    if len(text) > max_length:
        raise InvalidValue(field, f"must be at most {max_length} characters")
    return text


def require_token(field: str, value: str, *, max_length: int) -> str:
    """An identifier a client sends to be used as it is (a payment method, an idempotency key): 1 to
    max_length characters, untrimmed, without control characters."""
    if not 1 <= len(value) <= max_length:
        raise InvalidValue(field, f"must be 1 to {max_length} characters")
    return refuse_control_characters(field, value)


def require_utc(field: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(field, "must be a timezone-aware timestamp")
    return value


def require_choice(field: str, choices: type[E], value: str) -> E:
    """One of an enumeration's values, refused as InvalidValue (not a bare ValueError) otherwise."""
    try:
        return choices(value)
    except ValueError:
        raise InvalidValue(field, f"must be one of {', '.join(choice.value for choice in choices)}") from None
