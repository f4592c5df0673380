"""The words of a refusal come from the declared types, never from msgspec's own messages, and
they agree with msgspec's verdict: a value is explained as wrong exactly when msgspec refuses it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entrypoints.http.bodies import StrictBody
from entrypoints.http.field_errors import MAX_ERRORS, InvalidField, InvalidInput, explain, explain_object
from entrypoints.http.schemas.accounts import UpdateUserRequest
from entrypoints.http.schemas.catalog import CreateProductRequest, StockChangeRequest, UpdateProductRequest
from entrypoints.http.schemas.identity import LoginRequest, RefreshTokenRequest, SignupRequest
from entrypoints.http.schemas.shopping import AddToCartRequest, CheckoutRequest, RemoveFromCartRequest

REQUEST_SCHEMAS: list[type[msgspec.Struct]] = [
    SignupRequest,
    LoginRequest,
    RefreshTokenRequest,
    AddToCartRequest,
    RemoveFromCartRequest,
    CheckoutRequest,
    CreateProductRequest,
    UpdateProductRequest,
    StockChangeRequest,
    UpdateUserRequest,
]


class Line(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    product_id: Annotated[int, msgspec.Meta(ge=1)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1


class Address(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    country: Annotated[str, msgspec.Meta(min_length=2, max_length=2)]
    lines: Annotated[list[Annotated[str, msgspec.Meta(max_length=5)]], msgspec.Meta(max_length=2)] = []


class Order(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A nested body of the kind the shop will take (arrays of objects, objects in objects)."""

    items: Annotated[list[Line], msgspec.Meta(min_length=1)]
    shipping: Address | None = None
    note: str | msgspec.UnsetType = msgspec.UNSET
    mode: Literal["fast", "cheap"] = "cheap"


def refusal(model: type[msgspec.Struct], body: bytes) -> list[InvalidField]:
    with pytest.raises(InvalidInput) as refused:
        StrictBody[model](None).decode_bytes(body)  # type: ignore[valid-type, arg-type]
    return refused.value.errors


def test_a_nested_body_names_the_path_of_every_problem() -> None:
    body = (
        b'{"items": [{"product_id": 1}, {"quantity": 0}, {"product_id": "2", "price": 1}],'
        b' "shipping": {"country": "France", "lines": ["ok", "too long", 3], "zip": 1},'
        b' "mode": "slow", "extra": true}'
    )

    assert refusal(Order, body) == [
        ("items[1].product_id", "is required"),
        ("items[1].quantity", "must be at least 1"),
        ("items[2].product_id", "must be an integer"),
        ("items[2].price", "is not a field of this object; expected one of: product_id, quantity"),
        ("shipping.country", "must be at most 2 characters"),
        ("shipping.lines", "must have at most 2 items"),
        ("shipping.lines[1]", "must be at most 5 characters"),
        ("shipping.lines[2]", "must be a string"),
        ("shipping.zip", "is not a field of this object; expected one of: country, lines"),
        ("mode", "must be one of: cheap, fast"),
        ("extra", "is not a field of this request; expected one of: items, shipping, note, mode"),
    ]


def test_nested_containers_of_the_wrong_kind_are_named() -> None:
    assert refusal(Order, b'{"items": {"product_id": 1}, "shipping": []}') == [
        ("items", "must be an array"),
        ("shipping", "must be a JSON object"),
    ]
    assert refusal(Order, b'{"items": [], "note": null}') == [
        ("items", "must not be empty"),
        ("note", "must be a string"),
    ]
    assert refusal(Order, b'{"items": [7]}') == [("items[0]", "must be a JSON object")]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (b"", [("body", "is required")]),
        (b"  \n", [("body", "is required")]),
        (b"[]", [("body", "must be a JSON object")]),
        (b"null", [("body", "must be a JSON object")]),
        (b'"text"', [("body", "must be a JSON object")]),
        (b'{"items": [', [("body", "must be valid JSON")]),
        (b'{"items": [] ', [("body", "must be valid JSON")]),
        (b'{"note": "caf\xc3"}', [("body", "must be valid UTF-8")]),
        (b'{"n\xffote": 1}', [("body", "must be valid UTF-8")]),
    ],
)
def test_a_body_that_is_not_a_json_object_is_named_body(body: bytes, errors: list[tuple[str, str]]) -> None:
    assert refusal(Order, body) == errors


def test_a_json_error_after_a_type_error_is_still_a_json_error() -> None:
    """msgspec stops at the first wrong type; the body is looked at again as a whole."""
    assert refusal(AddToCartRequest, b'{"product_id": "1", ') == [("body", "must be valid JSON")]


def test_no_more_than_max_errors_are_reported() -> None:
    body = msgspec.json.encode({f"unknown_{n}": n for n in range(500)})

    errors = refusal(AddToCartRequest, body)

    assert len(errors) == MAX_ERRORS
    assert errors[0] == ("product_id", "is required")


def test_an_unknown_name_is_cut_to_a_hundred_characters() -> None:
    body = msgspec.json.encode({"product_id": 1, "x" * 5000: 1})

    [(field, _)] = refusal(AddToCartRequest, body)

    assert field == "x" * 100


@pytest.mark.parametrize(
    ("value", "annotation", "message"),
    [
        ("12", int, "must be an integer"),
        (1.5, int, "must be an integer"),
        (True, int, "must be an integer"),
        ("x", float, "must be a number"),
        (1, str, "must be a string"),
        ("yes", bool, "must be true or false"),
        (-1, Annotated[int, msgspec.Meta(ge=0)], "must be at least 0"),
        (0, Annotated[int, msgspec.Meta(gt=0)], "must be greater than 0"),
        (11, Annotated[int, msgspec.Meta(le=10)], "must be at most 10"),
        (10, Annotated[int, msgspec.Meta(lt=10)], "must be less than 10"),
        (7, Annotated[int, msgspec.Meta(multiple_of=5)], "must be a multiple of 5"),
        ("", Annotated[str, msgspec.Meta(min_length=1)], "must not be empty"),
        ("short", Annotated[str, msgspec.Meta(min_length=8)], "must be at least 8 characters"),
        ("toolong", Annotated[str, msgspec.Meta(max_length=1)], "must be at most 1 character"),
        ("abc", Annotated[str, msgspec.Meta(pattern="^[0-9]+$")], "must match the pattern ^[0-9]+$"),
        ("now", Line, "must be a JSON object"),
        ({"a": 1}, Annotated[dict[str, int], msgspec.Meta(max_length=0)], "must have at most 0 entries"),
        (1.5, int | str | None, "must be an integer or a string"),
        ([], int | None, "must be an integer"),
        ("2026-11-24", Annotated[Any, msgspec.Meta()], None),
    ],
)
def test_each_kind_of_refusal_has_its_words(value: Any, annotation: Any, message: str | None) -> None:
    expected = [] if message is None else [InvalidField("x", message)]

    assert explain(value, annotation, "x", strict=True) == expected


def test_a_date_time_must_carry_a_time_zone_when_its_type_says_so() -> None:
    aware = Annotated[datetime, msgspec.Meta(tz=True)]

    assert explain("2026-11-24T06:30:00", aware, "at", strict=True) == [
        InvalidField("at", "must include a time zone, such as Z or +00:00")
    ]
    assert explain("yesterday", aware, "at", strict=True) == [
        InvalidField("at", "must be a date and time such as 2026-11-24T06:30:00Z")
    ]


def test_strings_from_a_query_or_a_path_are_read_as_litestar_reads_them() -> None:
    limit = Annotated[int, msgspec.Meta(ge=1, le=100)]

    assert explain("5", limit, "limit", strict=False) == []
    assert explain("5", limit, "limit", strict=True) == [InvalidField("limit", "must be an integer")]
    assert explain("500", limit, "limit", strict=False) == [InvalidField("limit", "must be at most 100")]
    assert explain("TRUE", bool | None, "in_stock", strict=False) == []


# --- the explanation agrees with msgspec on every request schema -----------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=12),
    st.integers(min_value=-(2**31) - 2, max_value=2**31 + 2),
    st.integers(min_value=2**53 - 2, max_value=2**53 + 2),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "HP", "NARNIA", "USER", "ADMIN", "hp", "12", "a@b.example", "pm_card_visa"]),
    st.text(max_size=10),
    st.text(min_size=195, max_size=260),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
)


@st.composite
def bodies(draw: st.DrawFn, schema: type[msgspec.Struct]) -> Any:
    """Mostly objects with the schema's own field names (so that every rule is reached), now and
    then a stranger, and now and then not an object at all."""
    names = [field.encode_name for field in msgspec.structs.fields(schema)]
    if draw(st.integers(0, 9)) == 0:
        return draw(values)
    keys = draw(
        st.lists(st.sampled_from([*names, "id", "role", "stock"]), unique=True, max_size=len(names) + 1)
    )
    return {key: draw(values) for key in keys}


@pytest.mark.parametrize("schema", REQUEST_SCHEMAS, ids=lambda schema: schema.__name__)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_body_is_explained_as_wrong_exactly_when_msgspec_refuses_it(
    schema: type[msgspec.Struct], data: st.DataObject
) -> None:
    body = data.draw(bodies(schema))
    encoded = msgspec.json.encode(body)
    try:
        msgspec.json.decode(encoded, type=schema)
    except msgspec.ValidationError:
        accepted = False
    else:
        accepted = True

    errors = explain_object(msgspec.json.decode(encoded), schema, strict=True)

    assert (errors == []) == accepted, (body, errors)
    names = {field.encode_name for field in msgspec.structs.fields(schema)}
    for field, message in errors:
        assert field == "body" or field in names or field in body, (body, field)
        assert "`" not in message
        assert "Expected" not in message
