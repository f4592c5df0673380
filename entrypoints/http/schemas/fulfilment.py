from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.fulfilment import CARRIER_MAX_LENGTH, TRACKING_NUMBER_MAX_LENGTH, Fulfilment, FulfilmentStatus

_ONE_LINE = "Trimmed; not blank; no control characters (tabs and line breaks included)."


class FulfilmentResponse(msgspec.Struct, kw_only=True):
    """Where the order's parcel is, apart from its payment `status`: UNFULFILLED, then SHIPPED
    (carrier, tracking number, shipped_at), then DELIVERED (delivered_at); null until set."""

    status: FulfilmentStatus
    carrier: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, fulfilment: Fulfilment) -> FulfilmentResponse:
        return cls(
            status=fulfilment.status,
            carrier=fulfilment.carrier,
            tracking_number=fulfilment.tracking_number,
            shipped_at=fulfilment.shipped_at,
            delivered_at=fulfilment.delivered_at,
        )


class ShipOrderRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    carrier: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=CARRIER_MAX_LENGTH,
            description=f"Who carries the parcel. {_ONE_LINE}",
            examples=["DHL"],
        ),
    ]
    tracking_number: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=TRACKING_NUMBER_MAX_LENGTH,
            description=f"The carrier's tracking number. {_ONE_LINE}",
            examples=["JD014600006281234567"],
        ),
    ]


class DeliverOrderRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Nothing to say: the route takes no body, or an empty object."""
