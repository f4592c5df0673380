"""/cart, /checkout and /orders: buying, for signed-in customers."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import HeaderParameter, JSONBody

from application.cancel_order import CancelOrder
from application.cart import AddToCart, RemoveFromCart, SetShippingAddress, ViewCart
from application.errors import NotFound
from application.idempotent_checkout import IdempotentCheckout
from application.pay_for_order import PayForOrder
from application.queries import DEFAULT_PAGE_SIZE, OrderQueries, PageRequest
from entrypoints.http.bodies import OptionalStrictBody, StrictBody
from entrypoints.http.dependencies import Inject
from entrypoints.http.openapi import BEARER, OptionalBodyOperation
from entrypoints.http.parameters import Id, Limit, Offset, StatusFilter
from entrypoints.http.problems import problems
from entrypoints.http.schemas import given
from entrypoints.http.schemas.shopping import (
    AddressRequest,
    AddToCartRequest,
    CartResponse,
    CheckoutRequest,
    IdempotencyKey,
    OrderPage,
    OrderResponse,
    PayForOrderRequest,
    RemoveFromCartRequest,
)
from entrypoints.http.security import Caller, caller_id

SIGNED_IN = (401, 403)


class CartController(Controller):
    path = "/cart"
    tags = ["cart"]
    security = BEARER

    @get("/", responses=problems(*SIGNED_IN))
    async def show(self, request: Caller, view_cart: Inject[ViewCart]) -> CartResponse:
        """The caller's cart at today's prices; `available` is false for a line that can no longer
        be bought as it is."""
        return CartResponse.of(await view_cart(caller_id(request)))

    @post(
        "/add",
        status_code=200,
        dto=StrictBody[AddToCartRequest],
        responses=problems(400, *SIGNED_IN, 404, 409),
    )
    async def add(
        self, request: Caller, data: JSONBody[AddToCartRequest], add_to_cart: Inject[AddToCart]
    ) -> CartResponse:
        """Add to a product's line; never above the stock (409, cart unchanged), nor above
        MAX_QUANTITY_PER_LINE (default 10) on the line (400 naming `quantity`, cart unchanged)."""
        return CartResponse.of(await add_to_cart(caller_id(request), data.product_id, data.quantity))

    @post(
        "/remove",
        status_code=200,
        dto=StrictBody[RemoveFromCartRequest],
        responses=problems(400, *SIGNED_IN, 404),
    )
    async def remove(
        self,
        request: Caller,
        data: JSONBody[RemoveFromCartRequest],
        remove_from_cart: Inject[RemoveFromCart],
    ) -> CartResponse:
        """Take a line out, or some of it."""
        view = await remove_from_cart(caller_id(request), data.product_id, given(data.quantity))
        return CartResponse.of(view)

    @put(
        "/shipping-address",
        operation_id="setShippingAddress",
        status_code=200,
        dto=StrictBody[AddressRequest],
        responses=problems(400, *SIGNED_IN, 409),
    )
    async def set_shipping_address(
        self,
        request: Caller,
        data: JSONBody[AddressRequest],
        set_shipping_address: Inject[SetShippingAddress],
    ) -> CartResponse:
        """Where the order is to go; replaces any earlier address. The cart then shows
        `shipping_cents` (SHIPPING_RATES, free from FREE_SHIPPING_OVER_CENTS) and
        `grand_total_cents`. A caller without a cart gets one holding only the address. A country
        the shop does not ship to: 409 `country_not_served`, the cart unchanged."""
        return CartResponse.of(await set_shipping_address(caller_id(request), data.to_address()))


class CheckoutController(Controller):
    path = "/checkout"
    tags = ["checkout"]
    security = BEARER

    @post(
        "/",
        status_code=201,
        dto=OptionalStrictBody[CheckoutRequest],
        operation_class=OptionalBodyOperation,
        responses=problems(400, 402, *SIGNED_IN, 409),
    )
    async def checkout(
        self,
        request: Caller,
        idempotent_checkout: Inject[IdempotentCheckout],
        data: JSONBody[CheckoutRequest | None] = None,
        idempotency_key: Annotated[
            IdempotencyKey | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="Send the same key again to get the same answer, never a second charge.",
            ),
        ] = None,
    ) -> OrderResponse:
        """Pay for the cart: 201 PAID, or 201 PENDING with `payment_client_secret` when the
        customer must act; 402 declined names the FAILED `order_id`. 503 `payment_unavailable`
        names the `order_id` too: FAILED (stock and cart back) when the provider could not be
        reached, or still PENDING (stock held, the cart emptied) when it may have charged — the
        shop learns the outcome from the provider, never charges twice. Refused with nothing
        changed: 409 `shipping_address_required` before the cart has an address (PUT
        /cart/shipping-address), 409 `country_not_served` when its country is no longer served,
        409 `too_many_pending_orders` while the caller holds MAX_PENDING_ORDERS_PER_USER
        (default 2) unpaid orders, 400 for a line above MAX_QUANTITY_PER_LINE (default 10)."""
        payment_method = None if data is None else given(data.payment_method_id)
        result = await idempotent_checkout(caller_id(request), payment_method, idempotency_key)
        return OrderResponse.of(result.order, result.client_secret)


class OrderController(Controller):
    path = "/orders"
    tags = ["orders"]
    security = BEARER

    @get("/me", responses=problems(400, *SIGNED_IN))
    async def mine(
        self,
        request: Caller,
        order_queries: Inject[OrderQueries],
        status: StatusFilter = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> OrderPage:
        """The caller's orders, newest first."""
        page = PageRequest(limit=limit, offset=offset)
        return OrderPage.of(
            await order_queries.list_orders(page, user_id=caller_id(request), status=status), for_owner=True
        )

    @get("/{order_id:int}", responses=problems(400, *SIGNED_IN, 404))
    async def show(self, request: Caller, order_id: Id, order_queries: Inject[OrderQueries]) -> OrderResponse:
        """One of the caller's orders; anyone else's is not found. A PENDING order carries its
        `payment_client_secret`, so a client that reloads can still complete the payment."""
        order = await order_queries.get_order(order_id)
        if order is None or order.user_id != caller_id(request):
            raise NotFound("order", order_id)
        return OrderResponse.of(order, order.client_secret_for_owner)

    @post(
        "/{order_id:int}/cancel",
        status_code=200,
        operation_id="cancelOrder",
        responses=problems(400, *SIGNED_IN, 404, 409),
    )
    async def cancel(self, request: Caller, order_id: Id, cancel_order: Inject[CancelOrder]) -> OrderResponse:
        """Cancel one of the caller's PENDING orders: its payment intent is cancelled at the payment
        provider first, then the order is FAILED with `failure_reason: "cancelled"` and its stock
        goes back on the shelf. If the customer's payment succeeded before the cancel reached the
        provider, the order is PAID instead, and the 200 answer says so (`status: "PAID"`); an order
        settled otherwise meanwhile (expired, a payment failed) is answered as it stands.
        409 `order_not_cancellable` for an order that is not PENDING, or whose payment the provider
        is processing right now; 503 `payment_unavailable` when the provider cannot be asked (the
        order is unchanged); anyone else's order is not found."""
        order = await cancel_order(caller_id(request), order_id)
        return OrderResponse.of(order, order.client_secret_for_owner)

    @post(
        "/{order_id:int}/pay",
        status_code=200,
        operation_id="payForOrder",
        dto=StrictBody[PayForOrderRequest],
        responses=problems(400, 402, *SIGNED_IN, 404, 409),
    )
    async def pay(
        self,
        request: Caller,
        order_id: Id,
        data: JSONBody[PayForOrderRequest],
        pay_for_order: Inject[PayForOrder],
        idempotency_key: Annotated[
            IdempotencyKey | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="Send the same key again to get the same answer, never a second charge.",
            ),
        ] = None,
    ) -> OrderResponse:
        """Pay again for one of the caller's PENDING orders (a card declined, 3-D Secure abandoned)
        with another payment method. The order's existing payment intent is confirmed with it — no
        second intent, so never a second charge. 200 PAID; 200 PENDING with
        `payment_client_secret` when the customer must act (3-D Secure); 402 `payment_declined`
        with `order_id`: the order stays PENDING with its stock, for another attempt; 503
        `payment_unavailable`: the order is unchanged. 409 `order_not_cancellable` for an order that
        is not PENDING; anyone else's order is not found."""
        order = await pay_for_order(caller_id(request), order_id, data.payment_method_id, idempotency_key)
        return OrderResponse.of(order, order.client_secret_for_owner)
