"""Helpers for the cart, checkout, orders and webhook HTTP tests: a small shop (an admin, a customer,
books), the contract's shapes of a cart and an order, and signed Stripe webhook deliveries."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from httpx import Response
from litestar.testing.transport import TestClientTransport

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json, admin_product, book, create_product, get_page, make_admin
from tests.http.conftest import Session, bearer, media_type, signup_and_login
from tests.payments.signing import payment_intent_event, signed

CART_KEYS = {"items", "total_cents", "updated_at", "shipping_address", "shipping_cents", "grand_total_cents"}
CART_ITEM_KEYS = {"product_id", "title", "price_cents", "quantity", "line_total_cents", "available"}
ORDER_KEYS = {
    "id",
    "user_id",
    "status",
    "total_amount_cents",
    "currency",
    "created_at",
    "items",
    "payment_client_secret",
    "refunded_cents",
    "shipping_address",
    "shipping_cents",
    "fulfilment",
    "refunds",
    "failure_reason",
}
FULFILMENT_KEYS = {"status", "carrier", "tracking_number", "shipped_at", "delivered_at"}
ORDER_ITEM_KEYS = {"product_id", "title_snapshot", "price_snapshot", "quantity"}
EMPTY_CART: Json = {
    "items": [],
    "total_cents": 0,
    "shipping_address": None,
    "shipping_cents": None,
    "grand_total_cents": None,
    "updated_at": None,
}
ADDRESS_KEYS = {"name", "line1", "line2", "city", "postal_code", "country", "phone"}
HOME: Json = {
    "name": "Ann Reader",
    "line1": "1 High Street",
    "line2": None,
    "city": "Oxford",
    "postal_code": "OX1 1AA",
    "country": "GB",
    "phone": None,
}
"""The address `add_to_cart` gives a cart that has none."""
CLIENT_SECRET = re.compile(r"^pi_\w+_secret_\w+$")

PAYS = "pm_card_visa"
VISA_DECLINED = "pm_card_visa_chargeDeclined"
INSUFFICIENT_FUNDS = "pm_card_chargeDeclinedInsufficientFunds"
AUTHENTICATION_REQUIRED = "pm_card_authenticationRequired"
DECLINING_CARDS = [VISA_DECLINED, INSUFFICIENT_FUNDS]

SUCCEEDED = "payment_intent.succeeded"
PAYMENT_FAILED = "payment_intent.payment_failed"


@dataclass(frozen=True, slots=True)
class Shop:
    """An admin, a customer and two books on the shelf (10 and 5 in stock)."""

    admin: Session
    customer: Session
    book: Json
    other_book: Json

    @property
    def admin_token(self) -> str:
        return self.admin.access_token

    @property
    def token(self) -> str:
        return self.customer.access_token


async def open_shop(client: Client, container: Container) -> Shop:
    admin = await make_admin(client, container)
    customer = await signup_and_login(client, "customer@example.com")
    first = await create_product(
        client, admin.access_token, book("THE FIRST BOOK", price_cents=1250, stock=10)
    )
    second = await create_product(
        client, admin.access_token, book("THE SECOND BOOK", price_cents=399, stock=5)
    )
    return Shop(admin=admin, customer=customer, book=first, other_book=second)


def utc(timestamp: object) -> datetime:
    """An ISO-8601 timestamp in UTC, as the contract writes them."""
    assert isinstance(timestamp, str), timestamp
    parsed = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0), timestamp
    return parsed


# --- cart ----------------------------------------------------------------------------------------


def checked_cart(response: Response) -> Json:
    """A 200 cart in the contract's shape, whose totals add up."""
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    cart: Json = response.json()
    assert set(cart) == CART_KEYS, cart
    for line in cart["items"]:
        assert set(line) == CART_ITEM_KEYS, cart
        assert line["line_total_cents"] == line["price_cents"] * line["quantity"], cart
        assert isinstance(line["available"], bool), cart
    assert cart["total_cents"] == sum(line["line_total_cents"] for line in cart["items"]), cart
    if cart["shipping_address"] is None:
        assert (cart["shipping_cents"], cart["grand_total_cents"]) == (None, None), cart
    else:
        assert set(cart["shipping_address"]) == ADDRESS_KEYS, cart
    if cart["shipping_cents"] is None:
        assert cart["grand_total_cents"] is None, cart
    else:
        assert cart["grand_total_cents"] == cart["total_cents"] + cart["shipping_cents"], cart
    if cart["updated_at"] is not None:
        utc(cart["updated_at"])
    return cart


def lines(cart: Json) -> dict[int, Json]:
    """The cart's lines by product id (the contract does not order them)."""
    found = {int(line["product_id"]): line for line in cart["items"]}
    assert len(found) == len(cart["items"]), cart
    return found


async def view_cart(client: Client, token: str) -> Json:
    return checked_cart(await client.get("/cart", headers=bearer(token)))


async def post_add(client: Client, token: str, body: Any) -> Response:
    return await client.post("/cart/add", json=body, headers=bearer(token))


async def post_remove(client: Client, token: str, body: Any) -> Response:
    return await client.post("/cart/remove", json=body, headers=bearer(token))


async def add_to_cart(client: Client, token: str, product_id: int, quantity: int | None = None) -> Json:
    """Add, then give the cart the HOME address when it has none, so that a checkout can follow
    (the shipping tests call post_add and put_shipping_address themselves)."""
    body: Json = {"product_id": product_id}
    if quantity is not None:
        body["quantity"] = quantity
    cart = checked_cart(await post_add(client, token, body))
    if cart["shipping_address"] is not None:
        return cart
    return checked_cart(await put_shipping_address(client, token, HOME))


async def put_shipping_address(client: Client, token: str, body: Any) -> Response:
    return await client.put("/cart/shipping-address", json=body, headers=bearer(token))


# --- products, as the back office sees and changes them -------------------------------------------


async def stock_of(client: Client, admin_token: str, product_id: int) -> int:
    return int((await admin_product(client, admin_token, product_id))["stock"])


async def set_stock(client: Client, admin_token: str, product_id: int, stock: int) -> None:
    response = await client.patch(
        f"/admin/products/{product_id}/stock", json={"stock": stock}, headers=bearer(admin_token)
    )
    assert response.status_code == 200, response.text


async def edit_product(client: Client, admin_token: str, product_id: int, changes: Json) -> None:
    response = await client.patch(f"/admin/products/{product_id}", json=changes, headers=bearer(admin_token))
    assert response.status_code == 200, response.text


# --- checkout and orders -------------------------------------------------------------------------


async def post_checkout(
    client: Client, token: str, body: Any = None, *, key: str | None = None, raw: bytes | None = None
) -> Response:
    """POST /checkout; body None (and no raw bytes) sends no body at all."""
    headers = bearer(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    if raw is not None:
        return await client.post("/checkout", content=raw, headers=headers)
    if body is None:
        return await client.post("/checkout", headers=headers)
    return await client.post("/checkout", json=body, headers=headers)


def pay_with(payment_method_id: str) -> Json:
    return {"payment_method_id": payment_method_id}


def checked_order(order: Json) -> Json:
    """An order in the contract's shape whose total is the sum of its snapshots and its shipping."""
    assert set(order) == ORDER_KEYS, order
    assert order["status"] in {"PENDING", "PAID", "FAILED"}, order
    assert (order["failure_reason"] is not None) == (order["status"] == "FAILED"), order
    assert order["payment_client_secret"] is None or order["status"] == "PENDING", order
    assert order["items"], order
    for item in order["items"]:
        assert set(item) == ORDER_ITEM_KEYS, order
    assert set(order["fulfilment"]) == FULFILMENT_KEYS, order
    assert order["fulfilment"]["status"] in {"UNFULFILLED", "SHIPPED", "DELIVERED"}, order
    assert order["total_amount_cents"] == order["shipping_cents"] + sum(
        item["price_snapshot"] * item["quantity"] for item in order["items"]
    ), order
    assert order["shipping_address"] is None or set(order["shipping_address"]) == ADDRESS_KEYS, order
    utc(order["created_at"])
    return order


def created_order(response: Response) -> Json:
    assert response.status_code == 201, response.text
    assert media_type(response) == "application/json"
    return checked_order(response.json())


def snapshots(order: Json) -> list[tuple[int | None, str, int, int]]:
    """The order's items as (product_id, title, price, quantity), by product id."""
    return sorted(
        (
            (item["product_id"], item["title_snapshot"], item["price_snapshot"], item["quantity"])
            for item in order["items"]
        ),
        key=lambda item: item[0] or 0,
    )


async def buy(
    client: Client, token: str, product_id: int, quantity: int = 1, payment_method_id: str | None = PAYS
) -> Json:
    """Fill the cart with one line and check out: the 201 order (PAID, or PENDING without a card)."""
    await add_to_cart(client, token, product_id, quantity)
    body = {} if payment_method_id is None else pay_with(payment_method_id)
    return created_order(await post_checkout(client, token, body))


async def get_order(client: Client, token: str, order_id: int) -> Json:
    response = await client.get(f"/orders/{order_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return checked_order(response.json())


async def my_orders(client: Client, token: str, params: dict[str, Any] | None = None) -> Json:
    page = await get_page(client, "/orders/me", params, bearer(token))
    for order in page["items"]:
        checked_order(order)
    return page


async def all_orders(client: Client, admin_token: str, params: dict[str, Any] | None = None) -> Json:
    page = await get_page(client, "/admin/orders", params, bearer(admin_token))
    for order in page["items"]:
        checked_admin_order(order)
    return page


def checked_admin_order(order: Json) -> Json:
    """An order as /admin answers it: the contract's order, with its customer's `user_email`."""
    assert isinstance(order.get("user_email"), str), order
    checked_order({key: value for key, value in order.items() if key != "user_email"})
    return order


def payment_intent_of(client_secret: object) -> str:
    """Stripe's client secret is `<payment_intent_id>_secret_<random>`."""
    assert isinstance(client_secret, str), client_secret
    assert CLIENT_SECRET.fullmatch(client_secret), client_secret
    return client_secret.split("_secret_")[0]


def payment_provider(container: Container) -> BuiltInTestPaymentProvider:
    provider = container.payment_provider()
    assert isinstance(provider, BuiltInTestPaymentProvider)
    return provider


async def post_each(client: Client, requests: list[tuple[str, dict[str, str], Any]]) -> list[Response]:
    """POST (path, headers, JSON body) requests at the same moment, each from a thread of its own,
    so the app serves them all at once on its loop (see `concurrently`)."""
    transport = TestClientTransport(client=client, raise_server_exceptions=False)
    built = [
        client.build_request("POST", path, json=body, headers=headers) for path, headers, body in requests
    ]
    responses = await asyncio.gather(
        *(asyncio.to_thread(transport.handle_request, request) for request in built)
    )
    for response in responses:
        response.read()
    return list(responses)


# --- webhooks ------------------------------------------------------------------------------------


def webhook_secret(container: Container) -> str:
    secret: str = container.settings().stripe_webhook_secret
    return secret


async def post_webhook(client: Client, payload: bytes, signature: str | None) -> Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.post("/webhooks/stripe", content=payload, headers=headers)


def event_for(
    event_type: str,
    payment_intent_id: str,
    order_id: int | None,
    event_id: str | None = None,
    *,
    amount_cents: int = 1999,
    padding: int = 0,
) -> bytes:
    """A payment intent event body for `amount_cents` (a success pays an order only for its total);
    order_id None leaves metadata.order_id out."""
    return payment_intent_event(
        event_type,
        payment_intent_id=payment_intent_id,
        order_id=None if order_id is None else str(order_id),
        event_id=event_id,
        amount=amount_cents,
        padding=padding,
    )


async def deliver(client: Client, container: Container, payload: bytes) -> Response:
    """The event, signed now with the secret the app verifies against."""
    body, signature = signed(payload, webhook_secret(container))
    return await post_webhook(client, body, signature)
