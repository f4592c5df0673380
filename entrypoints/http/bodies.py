"""Strict JSON request bodies.

Litestar converts bodies leniently (`"899"` would become 899, `0` would become false). The contract
wants wrong types refused, so bodies are decoded by msgspec's strict decoder straight into the
route's Struct, which also forbids unknown fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from litestar.dto import DTOConfig, MsgspecDTO
from litestar.exceptions import ClientException, ValidationException
from litestar.openapi.spec import Reference, Schema
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

T = TypeVar("T", bound=msgspec.Struct)


class StrictBody(MsgspecDTO[T], Generic[T]):
    config = DTOConfig(forbid_unknown_fields=True)

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
            return msgspec.json.decode(value, type=self.model_type)
        except msgspec.ValidationError as error:
            raise ValidationException(
                extra=[{"message": str(error), "key": "data", "source": "body"}]
            ) from error
        except msgspec.DecodeError as error:
            raise ClientException(f"the body is not valid JSON: {error}") from error
        except UnicodeDecodeError as error:
            # msgspec 0.22 raises this (not a DecodeError) for invalid UTF-8 inside a JSON string;
            # 0.23 reports it as a DecodeError.
            raise ClientException("the body is not valid UTF-8") from error


class OptionalStrictBody(StrictBody[T], Generic[T]):
    """A body the client may leave out entirely: no bytes at all decode as the empty Struct."""

    def decode_bytes(self, value: bytes) -> Any:
        if not value.strip():
            return self.model_type()
        return super().decode_bytes(value)
