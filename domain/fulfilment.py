"""Fulfilment: getting a paid order to its customer, apart from what became of the payment.

UNFULFILLED → SHIPPED (by a carrier, with a tracking number) → DELIVERED, each step once. Which
orders may be shipped at all is the order's rule (Order.ship): this module holds the steps."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidValue, OrderNotShippable
from domain.values import require_text, require_utc

CARRIER_MAX_LENGTH = 100
TRACKING_NUMBER_MAX_LENGTH = 100


class FulfilmentStatus(StrEnum):
    UNFULFILLED = "UNFULFILLED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"


def require_label(field: str, value: str, *, max_length: int) -> str:
    """One line of text shown to the customer as it is (a carrier's name, a tracking number; soon in
    an email): non-blank, trimmed, and without any control character, tabs and line breaks included."""
    text = require_text(field, value, max_length=max_length)
    if any(unicodedata.category(character) == "Cc" for character in text):
        raise InvalidValue(field, "must not contain control characters")
    return text


@dataclass(frozen=True, slots=True)
class Shipment:
    """How a parcel left: its carrier and tracking number, checked before any order is looked at."""

    carrier: str
    tracking_number: str

    def __post_init__(self) -> None:
        carrier = require_label("carrier", self.carrier, max_length=CARRIER_MAX_LENGTH)
        tracking = require_label(
            "tracking_number", self.tracking_number, max_length=TRACKING_NUMBER_MAX_LENGTH
        )
        object.__setattr__(self, "carrier", carrier)
        object.__setattr__(self, "tracking_number", tracking)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fulfilment:
    """Where an order's parcel is. Each status carries exactly its facts: a SHIPPED one its carrier,
    tracking number and time of shipping; a DELIVERED one the time of delivery as well."""

    status: FulfilmentStatus = FulfilmentStatus.UNFULFILLED
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    def __post_init__(self) -> None:
        shipped = self.status is not FulfilmentStatus.UNFULFILLED
        delivered = self.status is FulfilmentStatus.DELIVERED
        shipping_facts = (self.carrier, self.tracking_number, self.shipped_at)
        if any((fact is None) is shipped for fact in shipping_facts):
            raise InvalidValue("fulfilment", "carrier, tracking number and shipped_at go with shipping")
        if (self.delivered_at is None) is delivered:
            raise InvalidValue("fulfilment", "delivered_at goes with delivery")
        for moment, name in ((self.shipped_at, "shipped_at"), (self.delivered_at, "delivered_at")):
            if moment is not None:
                require_utc(name, moment)

    @property
    def is_shipped(self) -> bool:
        return self.status is not FulfilmentStatus.UNFULFILLED

    def shipped(self, order_id: int | None, shipment: Shipment, now: datetime) -> Fulfilment:
        """Handed to the shipment's carrier. Only once: a parcel already shipped (or delivered) is
        not shipped again."""
        if self.is_shipped:
            raise OrderNotShippable(order_id, f"it is already {self.status.value}")
        return replace(
            self,
            status=FulfilmentStatus.SHIPPED,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            shipped_at=now,
        )

    def delivered(self, order_id: int | None, now: datetime) -> Fulfilment:
        """The carrier delivered it. Only a SHIPPED parcel, once."""
        if self.status is not FulfilmentStatus.SHIPPED:
            raise OrderNotShippable(order_id, f"it is {self.status.value}, not SHIPPED", delivering=True)
        return replace(self, status=FulfilmentStatus.DELIVERED, delivered_at=now)


NOT_SHIPPED = Fulfilment()
"""Every order's fulfilment until it ships (frozen: one value serves them all)."""
