"""POST /webhooks/stripe settles PENDING orders: each event once, PAID and FAILED final, in any order."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from entrypoints.container import Container
from tests.http.catalog_helpers import Client, Json
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
    payment_provider,
    stock_of,
)
from tests.payments.signing import payment_intent_event


@dataclass(frozen=True, slots=True)
class Pending:
    shop: Shop
    order: Json
    intent: str

    @property
    def order_id(self) -> int:
        return int(self.order["id"])


@pytest.fixture
async def pending(client: Client, container: Container) -> Pending:
    """A PENDING order for 3 of the first book (stock 10 → 7), paid by nobody yet."""
    shop = await open_shop(client, container)
    order = await buy(client, shop.token, shop.book["id"], 3, payment_method_id=None)
    assert order["status"] == "PENDING"
    return Pending(shop, order, payment_intent_of(order["payment_client_secret"]))


async def status_of(client: Client, pending: Pending) -> str:
    return str((await get_order(client, pending.shop.token, pending.order_id))["status"])


async def stock(client: Client, pending: Pending) -> int:
    return await stock_of(client, pending.shop.admin_token, pending.shop.book["id"])


def acknowledged(response_status: int, body: Json) -> None:
    assert response_status == 200, body
    assert body.get("received") is True, body


async def send(
    client: Client,
    container: Container,
    pending: Pending,
    event_type: str,
    *,
    event_id: str | None = None,
    with_order_id: bool = True,
) -> None:
    payload = event_for(
        event_type,
        pending.intent,
        pending.order_id if with_order_id else None,
        event_id,
        amount_cents=pending.order["total_amount_cents"],
    )
    response = await deliver(client, container, payload)
    acknowledged(response.status_code, response.json())


# --- settling ------------------------------------------------------------------------------------


async def test_succeeded_pays_the_order(client: Client, container: Container, pending: Pending) -> None:
    await send(client, container, pending, SUCCEEDED)

    order = await get_order(client, pending.shop.token, pending.order_id)
    assert order == {**pending.order, "status": "PAID", "payment_client_secret": None}
    assert await stock(client, pending) == 7


async def test_payment_failed_fails_the_order_and_restores_the_stock(
    client: Client, container: Container, pending: Pending
) -> None:
    await send(client, container, pending, PAYMENT_FAILED)

    order = await get_order(client, pending.shop.token, pending.order_id)
    assert order == {
        **pending.order,
        "status": "FAILED",
        "payment_client_secret": None,
        "failure_reason": "declined",
    }
    assert await stock(client, pending) == 10


@pytest.mark.parametrize(("event_type", "status"), [(SUCCEEDED, "PAID"), (PAYMENT_FAILED, "FAILED")])
async def test_an_event_without_metadata_finds_the_order_by_its_payment_intent(
    client: Client, container: Container, pending: Pending, event_type: str, status: str
) -> None:
    await send(client, container, pending, event_type, with_order_id=False)

    assert await status_of(client, pending) == status
    assert await stock(client, pending) == (7 if status == "PAID" else 10)


# --- once, and final -----------------------------------------------------------------------------


async def test_a_redelivered_failure_restores_the_stock_once(
    client: Client, container: Container, pending: Pending
) -> None:
    for _ in range(3):
        await send(client, container, pending, PAYMENT_FAILED, event_id="evt_failed_once")

    assert await status_of(client, pending) == "FAILED"
    assert await stock(client, pending) == 10


async def test_a_redelivered_success_is_acknowledged(
    client: Client, container: Container, pending: Pending
) -> None:
    for _ in range(2):
        await send(client, container, pending, SUCCEEDED, event_id="evt_paid_once")

    assert await status_of(client, pending) == "PAID"
    assert await stock(client, pending) == 7


async def test_a_second_failure_event_restores_nothing_more(
    client: Client, container: Container, pending: Pending
) -> None:
    await send(client, container, pending, PAYMENT_FAILED)
    await send(client, container, pending, PAYMENT_FAILED)

    assert await status_of(client, pending) == "FAILED"
    assert await stock(client, pending) == 10


async def test_paid_is_final(client: Client, container: Container, pending: Pending) -> None:
    await send(client, container, pending, SUCCEEDED)

    await send(client, container, pending, PAYMENT_FAILED)

    assert await status_of(client, pending) == "PAID"
    assert await stock(client, pending) == 7


async def test_failed_is_final(client: Client, container: Container, pending: Pending) -> None:
    await send(client, container, pending, PAYMENT_FAILED)

    await send(client, container, pending, SUCCEEDED)

    assert await status_of(client, pending) == "FAILED"
    assert await stock(client, pending) == 10


async def test_events_for_a_paid_checkout_change_nothing(client: Client, container: Container) -> None:
    shop = await open_shop(client, container)
    order = await buy(client, shop.token, shop.book["id"], 2)
    assert order["status"] == "PAID"

    payload = event_for(PAYMENT_FAILED, "pi_test_unrelated", order["id"])
    acknowledged((response := await deliver(client, container, payload)).status_code, response.json())

    assert (await get_order(client, shop.token, order["id"]))["status"] == "PAID"
    assert await stock_of(client, shop.admin_token, shop.book["id"]) == 8


# --- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("paid", [(1, "usd"), (3749, "usd"), (3750, "eur")], ids=repr)
async def test_a_success_for_another_amount_or_currency_does_not_pay_the_order(
    client: Client,
    container: Container,
    pending: Pending,
    caplog: pytest.LogCaptureFixture,
    paid: tuple[int, str],
) -> None:
    assert pending.order["total_amount_cents"] == 3750
    amount, currency = paid
    payload = payment_intent_event(
        SUCCEEDED,
        payment_intent_id=pending.intent,
        order_id=str(pending.order_id),
        amount=amount,
        currency=currency,
    )

    with caplog.at_level(logging.ERROR, logger="bookshop.payments"):
        response = await deliver(client, container, payload)

    acknowledged(response.status_code, response.json())
    assert response.json()["outcome"] == "amount_mismatch"
    assert await status_of(client, pending) == "PENDING"
    assert await stock(client, pending) == 7
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(f"order {pending.order_id}" in message for message in errors), errors


async def test_a_success_after_the_order_failed_is_refunded_in_full(
    client: Client, container: Container, pending: Pending
) -> None:
    await send(client, container, pending, PAYMENT_FAILED)
    late = event_for(SUCCEEDED, pending.intent, pending.order_id, "evt_late", amount_cents=3750)

    first = await deliver(client, container, late)
    again = await deliver(client, container, late)

    assert first.json() == {"received": True, "outcome": "refunded"}
    assert again.json() == {"received": True, "outcome": "duplicate"}
    order = await get_order(client, pending.shop.token, pending.order_id)
    assert (order["status"], order["refunded_cents"]) == ("FAILED", 3750)
    [refund] = payment_provider(container).refunds
    assert (refund.payment_intent_id, refund.amount_cents) == (pending.intent, 3750)
    assert await stock(client, pending) == 10


async def test_a_paid_order_shows_nothing_refunded(
    client: Client, container: Container, pending: Pending
) -> None:
    await send(client, container, pending, SUCCEEDED)

    assert (await get_order(client, pending.shop.token, pending.order_id))["refunded_cents"] == 0
    assert payment_provider(container).refunds == []


# --- ignored -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_type",
    ["payment_intent.created", "payment_intent.canceled", "charge.succeeded", "customer.created"],
)
async def test_other_event_types_are_ignored(
    client: Client, container: Container, pending: Pending, event_type: str
) -> None:
    await send(client, container, pending, event_type)

    assert await status_of(client, pending) == "PENDING"
    assert await stock(client, pending) == 7


@pytest.mark.parametrize("event_type", [SUCCEEDED, PAYMENT_FAILED])
async def test_an_event_for_an_unknown_order_is_acknowledged(
    client: Client, container: Container, pending: Pending, event_type: str
) -> None:
    payload = payment_intent_event(event_type, payment_intent_id="pi_test_nobody", order_id=str(10_000))

    response = await deliver(client, container, payload)

    acknowledged(response.status_code, response.json())
    assert await status_of(client, pending) == "PENDING"
    assert await stock(client, pending) == 7


async def test_an_event_with_neither_order_nor_intent_is_acknowledged(
    client: Client, container: Container, pending: Pending
) -> None:
    payload = payment_intent_event(SUCCEEDED, payment_intent_id="pi_test_nobody", order_id=None)

    response = await deliver(client, container, payload)

    acknowledged(response.status_code, response.json())
    assert await status_of(client, pending) == "PENDING"
