"""Why the client's input does not fit what a route declares, in words a person can act on.

Each explanation is read off the declared type itself (`msgspec.inspect`: the bounds of
`Annotated[..., Meta(...)]`, an enum's members, a Struct's fields and their names on the wire) and
off the value the client sent. No library's error text is ever parsed, so an upgrade of msgspec or
Litestar that rewords its messages cannot change a field name or a message in a problem's
`errors[]`; and every problem of the input is named at once, not only the first one msgspec met.

Explaining is for the error path only: callers validate with msgspec first (its verdict is the
one that counts) and ask here for the words once it has refused."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from typing import Any, Literal, NamedTuple
from uuid import UUID

import msgspec
import msgspec.inspect as mi
from litestar.exceptions import ValidationException

MAX_ERRORS = 20
"""A 64 KiB body can hold thousands of wrong keys: this many are named, not all."""
MAX_NAME_LENGTH = 100
"""An unknown name is echoed back cut to this length."""
BODY = "body"
"""The `field` of an error about the body as a whole: missing, not JSON, not an object."""

IS_REQUIRED = "is required"
IS_NOT_VALID = "is not valid"


class InvalidField(NamedTuple):
    field: str
    """Where: `title`, `items[0].product_id`, `limit`, `Idempotency-Key`, or `body`."""
    message: str
    """Said of the field: `is required`, `must be an integer`, `must be at most 200 characters`."""


class InvalidInput(ValidationException):
    """Input refused with every reason already explained; problem details show `errors` as they are."""

    def __init__(self, errors: list[InvalidField], detail: str | None = None) -> None:
        self.errors = errors
        super().__init__(
            detail=detail or _summary(errors),
            extra=[{"key": error.field, "message": error.message} for error in errors],
        )


def _summary(errors: list[InvalidField]) -> str:
    if len(errors) > 1:
        return f"the request has {len(errors)} problems, each named in `errors`"
    if not errors:
        return "the request is not valid"
    field, message = errors[0]
    return f"the body {message}" if field == BODY else f"{field} {message}"


def explain(value: Any, annotation: Any, field: str, *, strict: bool) -> list[InvalidField]:
    """Why `value` does not fit `annotation` (nothing when it does, as far as the declared type
    says). `strict` reads values as a JSON body is read; otherwise as Litestar reads the strings
    of a path, a query string or a header (`"5"` is an integer, `"TRUE"` is true)."""
    return list(islice(_explain(value, _info(annotation), field, strict), MAX_ERRORS))


def explain_object(value: Any, struct: type[msgspec.Struct], *, strict: bool) -> list[InvalidField]:
    """`explain` for a whole body or query: its fields are named bare (`title`, `items[0].id`),
    and a body that is not an object is `body`."""
    return explain(value, struct, "", strict=strict)


def _info(annotation: Any) -> mi.Type:
    try:
        return _cached_info(annotation)
    except TypeError:  # an annotation that cannot be hashed (a Meta holding a dict, say)
        return mi.type_info(annotation)


@lru_cache(maxsize=512)
def _cached_info(annotation: Any) -> mi.Type:
    return mi.type_info(annotation)


def _explain(value: Any, info: mi.Type, path: str, strict: bool) -> Iterator[InvalidField]:
    while isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.AnyType):
        return
    if isinstance(info, mi.UnionType):
        yield from _explain_union(value, info, path, strict)
    elif isinstance(info, mi.StructType | mi.TypedDictType | mi.DataclassType):
        yield from _explain_fields(value, info, path, strict)
    elif isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        yield from _explain_items(value, info, path, strict)
    elif isinstance(info, mi.DictType):
        yield from _explain_entries(value, info, path, strict)
    else:
        yield from _explain_value(value, info, path, strict)


def _explain_union(value: Any, info: mi.UnionType, path: str, strict: bool) -> Iterator[InvalidField]:
    if any(_fits(value, member, strict) for member in info.types):
        return
    candidates = [t for t in info.types if not isinstance(t, mi.NoneType)] or list(info.types)
    if len(candidates) == 1:
        yield from _explain(value, candidates[0], path, strict)
    else:
        nouns = dict.fromkeys(_noun(member) for member in candidates)
        yield InvalidField(path or BODY, f"must be {' or '.join(nouns)}")


def _fits(value: Any, info: mi.Type, strict: bool) -> bool:
    return next(_explain(value, info, "", strict), None) is None


def _explain_fields(
    value: Any, info: mi.StructType | mi.TypedDictType | mi.DataclassType, path: str, strict: bool
) -> Iterator[InvalidField]:
    if not isinstance(value, Mapping):
        yield InvalidField(path or BODY, "must be a JSON object")
        return
    for field in info.fields:
        where = _join(path, field.encode_name)
        if field.encode_name in value:
            yield from _explain(value[field.encode_name], field.type, where, strict)
        elif field.required:
            yield InvalidField(where, IS_REQUIRED)
    if isinstance(info, mi.StructType) and info.forbid_unknown_fields:
        names = [field.encode_name for field in info.fields]
        known = {*names, info.tag_field}
        expected = f"expected one of: {', '.join(names)}" if names else "it takes none"
        owner = "this object" if path else "this request"
        for key in value:
            if key not in known:
                where = _join(path, str(key)[:MAX_NAME_LENGTH])
                yield InvalidField(where, f"is not a field of {owner}; {expected}")


def _explain_items(
    value: Any,
    info: mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType,
    path: str,
    strict: bool,
) -> Iterator[InvalidField]:
    if not isinstance(value, list):
        yield InvalidField(path or BODY, "must be an array")
        return
    if (length := _length(len(value), info.min_length, info.max_length, "item", "have")) is not None:
        yield InvalidField(path or BODY, length)
    for index, item in enumerate(value):
        yield from _explain(item, info.item_type, f"{path or BODY}[{index}]", strict)


def _explain_entries(value: Any, info: mi.DictType, path: str, strict: bool) -> Iterator[InvalidField]:
    if not isinstance(value, Mapping):
        yield InvalidField(path or BODY, "must be a JSON object")
        return
    if (length := _length(len(value), info.min_length, info.max_length, "entry", "have")) is not None:
        yield InvalidField(path or BODY, length)
    for key, item in value.items():
        where = _join(path, str(key)[:MAX_NAME_LENGTH])
        for error in _explain(key, info.key_type, where, strict):
            yield InvalidField(where, f"(as a name) {error.message}")
        yield from _explain(item, info.value_type, where, strict)


def _explain_value(value: Any, info: mi.Type, path: str, strict: bool) -> Iterator[InvalidField]:
    base = _base_type(info)
    if base is _UNKNOWN:  # a kind no request declares today: msgspec's verdict stands without words
        return
    try:
        converted = msgspec.convert(value, base, strict=strict)
    except msgspec.ValidationError:
        yield InvalidField(path or BODY, f"must be {_noun(info)}")
        return
    if (message := _bound(info, converted)) is not None:
        yield InvalidField(path or BODY, message)


_UNKNOWN = object()
_BASE_TYPES: Mapping[type[mi.Type], Any] = {
    mi.IntType: int,
    mi.FloatType: float,
    mi.StrType: str,
    mi.BoolType: bool,
    mi.NoneType: None,
    mi.DateTimeType: datetime,
    mi.DateType: date,
    mi.TimeType: time,
    mi.TimeDeltaType: timedelta,
    mi.UUIDType: UUID,
    mi.DecimalType: Decimal,
    mi.BytesType: bytes,
}


def _base_type(info: mi.Type) -> Any:
    """The type without its bounds: what the value must be before its bounds are checked."""
    if isinstance(info, mi.EnumType):
        return info.cls
    if isinstance(info, mi.LiteralType):
        return Literal[info.values]
    return _BASE_TYPES.get(type(info), _UNKNOWN)


_NOUNS: Mapping[type[mi.Type], str] = {
    mi.IntType: "an integer",
    mi.FloatType: "a number",
    mi.StrType: "a string",
    mi.BoolType: "true or false",
    mi.NoneType: "null",
    mi.DateTimeType: "a date and time such as 2026-11-24T06:30:00Z",
    mi.DateType: "a date such as 2026-11-24",
    mi.TimeType: "a time such as 06:30:00",
    mi.TimeDeltaType: "a duration",
    mi.UUIDType: "a UUID",
    mi.DecimalType: "a decimal number",
    mi.BytesType: "base64-encoded bytes",
    mi.StructType: "a JSON object",
    mi.TypedDictType: "a JSON object",
    mi.DataclassType: "a JSON object",
    mi.DictType: "a JSON object",
    mi.ListType: "an array",
    mi.SetType: "an array",
    mi.FrozenSetType: "an array",
    mi.VarTupleType: "an array",
}


def _noun(info: mi.Type) -> str:
    while isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.EnumType):
        return "one of: " + ", ".join(str(member.value) for member in info.cls)
    if isinstance(info, mi.LiteralType):
        return "one of: " + ", ".join(sorted(str(value) for value in info.values))
    return _NOUNS.get(type(info), "a valid value")


def _bound(info: mi.Type, value: Any) -> str | None:
    """The first bound of the declared type that `value` (already of the right kind) breaks."""
    if isinstance(info, mi.IntType | mi.FloatType):
        return _number_bound(info, value)
    if isinstance(info, mi.StrType):
        return _string_bound(info, value)
    if isinstance(info, mi.BytesType):
        return _length(len(value), info.min_length, info.max_length, "byte", "be")
    if isinstance(info, mi.DateTimeType | mi.TimeType) and info.tz is not None:
        return _time_zone_bound(info.tz, value)
    return None


def _string_bound(info: mi.StrType, value: str) -> str | None:
    if (length := _length(len(value), info.min_length, info.max_length, "character", "be")) is not None:
        return length
    if info.pattern is not None and re.search(info.pattern, value) is None:
        return f"must match the pattern {info.pattern}"
    return None


def _time_zone_bound(required: bool, value: datetime | time) -> str | None:
    if required and value.tzinfo is None:
        return "must include a time zone, such as Z or +00:00"
    if not required and value.tzinfo is not None:
        return "must not include a time zone"
    return None


def _number_bound(info: mi.IntType | mi.FloatType, value: float) -> str | None:
    if info.ge is not None and value < info.ge:
        return f"must be at least {info.ge}"
    if info.gt is not None and value <= info.gt:
        return f"must be greater than {info.gt}"
    if info.le is not None and value > info.le:
        return f"must be at most {info.le}"
    if info.lt is not None and value >= info.lt:
        return f"must be less than {info.lt}"
    if info.multiple_of is not None and value % info.multiple_of:
        return f"must be a multiple of {info.multiple_of}"
    return None


def _length(length: int, least: int | None, most: int | None, unit: str, verb: str) -> str | None:
    if least is not None and length < least:
        return "must not be empty" if least == 1 else f"must {verb} at least {_count(least, unit)}"
    if most is not None and length > most:
        return f"must {verb} at most {_count(most, unit)}"
    return None


def _count(number: int, unit: str) -> str:
    if number == 1:
        return f"1 {unit}"
    return f"{number} {unit[:-1]}ies" if unit.endswith("y") else f"{number} {unit}s"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
