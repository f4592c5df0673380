"""POST /webhooks/stripe refuses what Stripe did not sign: 400 validation_error, and nothing changes."""

from __future__ import annotations

import time

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client
from tests.http.conftest import assert_problem
from tests.http.shopping_helpers import (
    PAYMENT_FAILED,
    SUCCEEDED,
    Shop,
    buy,
    deliver,
    event_for,
    get_order,
    open_shop,
    payment_intent_of,
    post_webhook,
    stock_of,
    webhook_secret,
)
from tests.payments.signing import signed, stripe_signature


class Pending:
    def __init__(self, shop: Shop, order_id: int, intent: str) -> None:
        self.shop = shop
        self.order_id = order_id
        self.intent = intent

    def event(self, event_type: str = PAYMENT_FAILED, event_id: str | None = None) -> bytes:
        return event_for(event_type, self.intent, self.order_id, event_id)


@pytest.fixture
async def pending(client: Client, container: Container) -> Pending:
    shop = await open_shop(client, container)
    order = await buy(client, shop.token, shop.book["id"], 3, payment_method_id=None)
    return Pending(shop, int(order["id"]), payment_intent_of(order["payment_client_secret"]))


async def assert_unchanged(client: Client, pending: Pending) -> None:
    assert (await get_order(client, pending.shop.token, pending.order_id))["status"] == "PENDING"
    assert await stock_of(client, pending.shop.admin_token, pending.shop.book["id"]) == 7


async def test_a_missing_signature_is_refused(client: Client, pending: Pending) -> None:
    response = await post_webhook(client, pending.event(), None)

    assert_problem(response, 400, "validation_error")
    await assert_unchanged(client, pending)


@pytest.mark.parametrize("event_type", [SUCCEEDED, PAYMENT_FAILED])
async def test_a_signature_with_another_secret_is_refused(
    client: Client, pending: Pending, event_type: str
) -> None:
    payload, signature = signed(pending.event(event_type), "whsec_someone_else")

    assert_problem(await post_webhook(client, payload, signature), 400, "validation_error")
    await assert_unchanged(client, pending)


async def test_a_tampered_body_is_refused(client: Client, container: Container, pending: Pending) -> None:
    _, signature = signed(pending.event(SUCCEEDED), webhook_secret(container))

    response = await post_webhook(client, pending.event(PAYMENT_FAILED), signature)

    assert_problem(response, 400, "validation_error")
    await assert_unchanged(client, pending)


@pytest.mark.parametrize("age", [301, 3600])
async def test_a_stale_signature_is_refused(
    client: Client, container: Container, pending: Pending, age: int
) -> None:
    payload, signature = signed(pending.event(), webhook_secret(container), timestamp=int(time.time()) - age)

    assert_problem(await post_webhook(client, payload, signature), 400, "validation_error")
    await assert_unchanged(client, pending)


async def test_a_signature_within_the_tolerance_is_accepted(
    client: Client, container: Container, pending: Pending
) -> None:
    payload, signature = signed(pending.event(), webhook_secret(container), timestamp=int(time.time()) - 240)

    assert (await post_webhook(client, payload, signature)).status_code == 200
    assert (await get_order(client, pending.shop.token, pending.order_id))["status"] == "FAILED"


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "t=abc,v1=def", "v1=0000", "t=1700000000", "t=1700000000,v0=abc"],
    ids=repr,
)
async def test_a_malformed_signature_header_is_refused(client: Client, pending: Pending, header: str) -> None:
    response = await post_webhook(client, pending.event(), header)

    assert_problem(response, 400, "validation_error")
    await assert_unchanged(client, pending)


@pytest.mark.parametrize(
    "payload", [b"", b"{", b"not json", b"[]", b'"text"', b"{}", b'{"id": "evt_1"}', b"\xff\xfe"], ids=repr
)
async def test_a_correctly_signed_body_that_is_not_an_event_is_refused(
    client: Client, container: Container, pending: Pending, payload: bytes
) -> None:
    body, signature = signed(payload, webhook_secret(container))

    assert_problem(await post_webhook(client, body, signature), 400, "validation_error")
    await assert_unchanged(client, pending)


async def test_a_refused_delivery_does_not_use_up_the_event_id(
    client: Client, container: Container, pending: Pending
) -> None:
    event = pending.event(PAYMENT_FAILED, event_id="evt_retried_after_refusal")
    stale = stripe_signature(event, webhook_secret(container), int(time.time()) - 600)
    assert_problem(await post_webhook(client, event, stale), 400, "validation_error")

    assert (await deliver(client, container, event)).status_code == 200

    assert (await get_order(client, pending.shop.token, pending.order_id))["status"] == "FAILED"
    assert await stock_of(client, pending.shop.admin_token, pending.shop.book["id"]) == 10
