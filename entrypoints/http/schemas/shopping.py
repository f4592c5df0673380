from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from application.cart import CartView
from application.checkout import PAYMENT_METHOD_MAX_LENGTH
from application.idempotent_checkout import IDEMPOTENCY_KEY_MAX_LENGTH
from application.queries import Page
from domain.ordering import FailureReason, Order, OrderStatus
from domain.shipping import CITY_MAX, LINE_MAX, NAME_MAX, PHONE_MAX, POSTAL_CODE_MAX, Address
from domain.values import MAX_INT32
from entrypoints.http.parameters import MAX_ID
from entrypoints.http.schemas.fulfilment import FulfilmentResponse
from entrypoints.http.schemas.refunds import RefundResponse

ProductId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=MAX_INT32)]


class CartItemResponse(msgspec.Struct, kw_only=True):
    product_id: int
    title: str
    price_cents: int
    quantity: int
    line_total_cents: int
    available: bool


class AddressResponse(msgspec.Struct, kw_only=True):
    name: str
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str
    phone: str | None

    @classmethod
    def of(cls, address: Address | None) -> AddressResponse | None:
        if address is None:
            return None
        return cls(
            name=address.name,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            postal_code=address.postal_code,
            country=address.country,
            phone=address.phone,
        )


class CartResponse(msgspec.Struct, kw_only=True):
    items: list[CartItemResponse]
    total_cents: int
    updated_at: datetime | None
    shipping_address: AddressResponse | None
    shipping_cents: Annotated[
        int | None,
        msgspec.Meta(
            description="Shipping to the address at today's rates (SHIPPING_RATES, "
            "FREE_SHIPPING_OVER_CENTS); null without an address, or when its country is no longer served."
        ),
    ]
    grand_total_cents: Annotated[
        int | None, msgspec.Meta(description="`total_cents` + `shipping_cents`; null when shipping is.")
    ]

    @classmethod
    def of(cls, view: CartView) -> CartResponse:
        return cls(
            items=[
                CartItemResponse(
                    product_id=line.product_id,
                    title=line.title,
                    price_cents=line.price_cents,
                    quantity=line.quantity,
                    line_total_cents=line.line_total_cents,
                    available=line.available,
                )
                for line in view.lines
            ],
            total_cents=view.total_cents,
            updated_at=view.updated_at,
            shipping_address=AddressResponse.of(view.shipping_address),
            shipping_cents=view.shipping_cents,
            grand_total_cents=view.grand_total_cents,
        )


class AddToCartRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    product_id: ProductId
    quantity: Quantity = 1


class RemoveFromCartRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Without `quantity` the line goes; with it the line shrinks, and goes at zero."""

    product_id: ProductId
    quantity: Quantity | msgspec.UnsetType = msgspec.UNSET


class CheckoutRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The whole body is optional. Without a payment method the order stays PENDING and the client
    completes the payment with `payment_client_secret`."""

    payment_method_id: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=PAYMENT_METHOD_MAX_LENGTH)] | msgspec.UnsetType
    ) = msgspec.UNSET


class AddressRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Text is trimmed; control and invisible formatting characters are refused; a blank `line2` or
    `phone` is stored as null."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX)]
    line1: Annotated[str, msgspec.Meta(min_length=1, max_length=LINE_MAX)]
    line2: Annotated[str, msgspec.Meta(max_length=LINE_MAX)] | None = None
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=CITY_MAX)]
    postal_code: Annotated[str, msgspec.Meta(min_length=1, max_length=POSTAL_CODE_MAX)]
    country: Annotated[
        str,
        msgspec.Meta(
            pattern="^[A-Z]{2}$",
            description="ISO 3166-1 alpha-2 code, upper case (an unassigned code is refused).",
            examples=["GB"],
        ),
    ]
    phone: Annotated[str, msgspec.Meta(max_length=PHONE_MAX)] | None = None

    def to_address(self) -> Address:
        return Address(
            name=self.name,
            line1=self.line1,
            line2=self.line2,
            city=self.city,
            postal_code=self.postal_code,
            country=self.country,
            phone=self.phone,
        )


IdempotencyKey = Annotated[str, msgspec.Meta(min_length=1, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)]


class OrderItemResponse(msgspec.Struct, kw_only=True):
    product_id: int | None
    title_snapshot: str
    price_snapshot: int
    quantity: int


class OrderResponse(msgspec.Struct, kw_only=True):
    id: int
    user_id: int
    status: OrderStatus
    total_amount_cents: int
    currency: str
    created_at: datetime
    items: list[OrderItemResponse]
    payment_client_secret: Annotated[
        str | None,
        msgspec.Meta(
            description="What the customer's client needs to complete the payment (3-D Secure): "
            "shown to the order's owner only, while the order is PENDING; null otherwise."
        ),
    ] = None
    refunded_cents: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            description="How much of what was paid has been given back, in cents. A payment that "
            "succeeds after the order FAILED (expired, cancelled, declined) is refunded in full.",
        ),
    ]
    shipping_address: Annotated[
        AddressResponse | None,
        msgspec.Meta(description="Where it goes, as at checkout; null for orders placed before shipping."),
    ] = None
    shipping_cents: Annotated[
        int, msgspec.Meta(ge=0, description="Shipping as charged at checkout; part of total_amount_cents.")
    ] = 0
    fulfilment: FulfilmentResponse
    refunds: Annotated[
        list[RefundResponse],
        msgspec.Meta(description="Every refund asked for or made outside the shop, oldest first."),
    ]
    failure_reason: Annotated[
        FailureReason | None,
        msgspec.Meta(
            description="Why the order FAILED (on every FAILED order; null otherwise): `declined` (the "
            "card was refused), `payment_unavailable` (the provider could not be reached at checkout), "
            "`expired` (not paid in time), `cancelled` (by the customer)."
        ),
    ] = None

    @classmethod
    def of(cls, order: Order, client_secret: str | None = None) -> OrderResponse:
        if order.id is None:
            raise ValueError("an unsaved order has no public form")
        return cls(
            id=order.id,
            user_id=order.user_id,
            status=order.status,
            total_amount_cents=order.total_amount_cents,
            currency=order.currency,
            created_at=order.created_at,
            items=[
                OrderItemResponse(
                    product_id=item.product_id,
                    title_snapshot=item.title_snapshot,
                    price_snapshot=item.price_snapshot,
                    quantity=item.quantity,
                )
                for item in order.items
            ],
            payment_client_secret=client_secret,
            refunded_cents=order.refunded_cents,
            shipping_address=AddressResponse.of(order.shipping_address),
            shipping_cents=order.shipping_cents,
            fulfilment=FulfilmentResponse.of(order.fulfilment),
            refunds=[RefundResponse.of(refund) for refund in order.refunds],
            failure_reason=order.failure_reason,
        )


class PayForOrderRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    payment_method_id: Annotated[str, msgspec.Meta(min_length=1, max_length=PAYMENT_METHOD_MAX_LENGTH)]


class OrderPage(msgspec.Struct, kw_only=True):
    items: list[OrderResponse]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[Order], *, for_owner: bool = False) -> OrderPage:
        """for_owner: the page of the orders' owner, who is shown their PENDING orders' client secrets."""
        return cls(
            items=[
                OrderResponse.of(order, order.client_secret_for_owner if for_owner else None)
                for order in page.items
            ],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )


class WebhookReceipt(msgspec.Struct, kw_only=True):
    received: bool
    outcome: str
