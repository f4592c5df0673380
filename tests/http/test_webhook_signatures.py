"""POST /webhooks/stripe refuses what Stripe did not sign: 400 validation_error, and nothing changes."""

from __future__ import annotations

import time

import pytest

from entrypoints.container import Container
from entrypoints.http.webhooks import MAX_WEBHOOK_BODY_BYTES
from tests.http.catalog_helpers import Client, Json
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
    def __init__(self, shop: Shop, order: Json) -> None:
        self.shop = shop
        self.order_id = int(order["id"])
        self.total = int(order["total_amount_cents"])
        self.intent = payment_intent_of(order["payment_client_secret"])

    def event(self, event_type: str = PAYMENT_FAILED, event_id: str | None = None, padding: int = 0) -> bytes:
        return event_for(
            event_type, self.intent, self.order_id, event_id, amount_cents=self.total, padding=padding
        )


@pytest.fixture
async def pending(client: Client, container: Container) -> Pending:
    shop = await open_shop(client, container)
    return Pending(shop, await buy(client, shop.token, shop.book["id"], 3, payment_method_id=None))


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


@pytest.mark.parametrize("ahead", [301, 365 * 24 * 3600])
async def test_a_signature_dated_in_the_future_is_refused(
    client: Client, container: Container, pending: Pending, ahead: int
) -> None:
    payload, signature = signed(
        pending.event(SUCCEEDED), webhook_secret(container), timestamp=int(time.time()) + ahead
    )

    assert_problem(await post_webhook(client, payload, signature), 400, "validation_error")
    await assert_unchanged(client, pending)


@pytest.mark.parametrize("skew", [-240, 240])
async def test_a_signature_within_the_tolerance_is_accepted(
    client: Client, container: Container, pending: Pending, skew: int
) -> None:
    payload, signature = signed(pending.event(), webhook_secret(container), timestamp=int(time.time()) + skew)

    assert (await post_webhook(client, payload, signature)).status_code == 200
    assert (await get_order(client, pending.shop.token, pending.order_id))["status"] == "FAILED"


async def test_an_event_over_64_kib_is_accepted(
    client: Client, container: Container, pending: Pending
) -> None:
    payload = pending.event(PAYMENT_FAILED, padding=400 * 1024)

    response = await deliver(client, container, payload)

    assert response.status_code == 200, response.text
    assert (await get_order(client, pending.shop.token, pending.order_id))["status"] == "FAILED"


@pytest.mark.parametrize(
    ("size", "status"), [(MAX_WEBHOOK_BODY_BYTES, 200), (MAX_WEBHOOK_BODY_BYTES + 1, 413)]
)
async def test_events_are_read_up_to_512_kib(
    client: Client, container: Container, pending: Pending, size: int, status: int
) -> None:
    payload = pending.event(PAYMENT_FAILED)
    payload = pending.event(PAYMENT_FAILED, padding=size - len(payload))
    assert len(payload) == size

    response = await deliver(client, container, payload)

    assert response.status_code == status, response.text
    if status == 413:
        assert_problem(response, 413, "payload_too_large")
        await assert_unchanged(client, pending)


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
