"""Strict JSON request bodies.

Litestar converts bodies leniently (`"899"` would become 899, `0` would become false). The contract
wants wrong types refused, so bodies are decoded by msgspec's strict decoder straight into the
route's Struct, which also forbids unknown fields.

A valid body costs one typed decode. Only a refused one is looked at again, as plain JSON held
against the Struct's declared fields, so that the 400 names every missing, unknown and invalid
field at once (`items[0].product_id` inside nested bodies) in words of our own
(see field_errors)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import msgspec
from litestar.dto import DTOConfig, MsgspecDTO
from litestar.openapi.spec import Reference, Schema
from litestar.typing import FieldDefinition

from entrypoints.http.field_errors import (
    BODY,
    IS_NOT_VALID,
    IS_REQUIRED,
    InvalidField,
    InvalidInput,
    explain_object,
)

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

T = TypeVar("T", bound=msgspec.Struct)
logger = logging.getLogger("bookshop.errors")


class StrictBody(MsgspecDTO[T], Generic[T]):
    config = DTOConfig(forbid_unknown_fields=True)
    _decoder: ClassVar[msgspec.json.Decoder[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("model_type")
        if isinstance(model, type) and issubclass(model, msgspec.Struct):
            cls._decoder = msgspec.json.Decoder(model)

    @classmethod
    def create_openapi_schema(
        cls,
        field_definition: FieldDefinition,
        handler_id: str,  # noqa: ARG003 - the signature Litestar calls
        schema_creator: SchemaCreator,
    ) -> Reference | Schema:
        """Document the route's own Struct, exactly as Litestar does without a DTO (its generated
        transfer model mangles optional constrained fields such as `Cents | UnsetType`)."""
        return schema_creator.for_field_definition(
            FieldDefinition.from_annotation(
                cls.model_type, kwarg_definition=field_definition.kwarg_definition
            )
        )

    def decode_bytes(self, value: bytes) -> Any:
        try:
            return self._decoder.decode(value)
        except (msgspec.DecodeError, UnicodeDecodeError) as error:  # ValidationError is a DecodeError
            return self.refused(value, error)

    def refused(self, value: bytes, error: Exception) -> Any:
        """What a body msgspec refused becomes: here, a 400 naming each problem."""
        raise refusal(value, self.model_type, error) from error


class OptionalStrictBody(StrictBody[T], Generic[T]):
    """A body the client may leave out entirely: no bytes at all decode as the empty Struct (Litestar
    hands an empty body to nobody; blank space, refused as JSON, is taken for none)."""

    def refused(self, value: bytes, error: Exception) -> Any:
        if value.isspace():
            return self.model_type()
        return super().refused(value, error)


def refusal(value: bytes, model: type[msgspec.Struct], error: Exception) -> InvalidInput:
    """Why msgspec refused this body (`error`), each problem named."""
    if not value.strip():
        return InvalidInput([InvalidField(BODY, IS_REQUIRED)])
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return InvalidInput([InvalidField(BODY, "must be valid UTF-8")])
    try:
        document = msgspec.json.decode(value)
    except msgspec.DecodeError as malformed:
        return InvalidInput(
            [InvalidField(BODY, "must be valid JSON")], detail=f"the body must be valid JSON ({malformed})"
        )
    errors = explain_object(document, model, strict=True)
    if not errors:
        # A rule msgspec keeps that the declared type does not show: say the body is refused
        # rather than guess why, and leave msgspec's own words in the log.
        logger.warning("a %s body was refused for a reason not explained: %s", model.__name__, error)
        errors = [InvalidField(BODY, IS_NOT_VALID)]
    return InvalidInput(errors)
