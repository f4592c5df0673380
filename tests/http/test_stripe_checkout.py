"""The whole app configured for Stripe (STRIPE_SECRET_KEY, STRIPE_API_BASE), paying, expiring and
refunding through the real SDK against a local stand-in for Stripe's API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from application.expire_pending_orders import ExpirePendingOrders
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import PaymentProviderKind
from tests.conftest import make_settings
from tests.http.catalog_helpers import book, create_product, make_admin
from tests.http.conftest import bearer, in_app_loop, signup_and_login
from tests.http.shopping_helpers import HOME, PAYMENT_FAILED, SUCCEEDED, deliver, event_for
from tests.payments.fake_stripe import Behaviour, FakeStripe

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
async def shop(
    database_url: str, stripe: FakeStripe
) -> AsyncIterator[tuple[AsyncTestClient[Litestar], Container]]:
    container = build_container(
        make_settings(
            database_url,
            payment_provider=PaymentProviderKind.STRIPE,
            stripe_secret_key=stripe.api_key,
            stripe_api_base=stripe.url,
        )
    )
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client, container


async def _buyer_with_a_book(client: AsyncTestClient[Litestar], container: Container) -> tuple[str, int]:
    admin = await make_admin(client, container)
    product = await create_product(client, admin.access_token, book("STRIPED", price_cents=1299, stock=3))
    buyer = await signup_and_login(client, "buyer@example.com")
    response = await client.post(
        "/cart/add", json={"product_id": product["id"], "quantity": 2}, headers=bearer(buyer.access_token)
    )
    assert response.status_code == 200, response.text
    shipped = await client.put("/cart/shipping-address", json=HOME, headers=bearer(buyer.access_token))
    assert shipped.status_code == 200, shipped.text
    return buyer.access_token, int(product["id"])


async def test_a_card_payment_goes_through_stripe(
    shop: tuple[AsyncTestClient[Litestar], Container], stripe: FakeStripe
) -> None:
    client, container = shop
    token, _ = await _buyer_with_a_book(client, container)

    response = await client.post(
        "/checkout", json={"payment_method_id": "pm_card_visa"}, headers=bearer(token)
    )

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "PAID"
    [sent] = stripe.requests
    assert sent.params["amount"] == str(2 * 1299)
    assert sent.params["currency"] == "usd"
    assert sent.params["metadata[order_id]"] == str(order["id"])
    assert sent.idempotency_key == f"bookshop-order-{order['id']}"


async def test_a_card_stripe_declines_is_a_402_and_the_stock_comes_back(
    shop: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = shop
    token, product_id = await _buyer_with_a_book(client, container)

    response = await client.post(
        "/checkout", json={"payment_method_id": "pm_card_visa_chargeDeclined"}, headers=bearer(token)
    )

    assert response.status_code == 402, response.text
    assert response.json()["code"] == "payment_declined"
    order = await client.get(f"/orders/{response.json()['order_id']}", headers=bearer(token))
    assert order.json()["status"] == "FAILED"
    assert (await client.get(f"/products/{product_id}")).json()["stock"] == 3


async def test_stripe_answering_500_is_a_503_and_the_order_stays_pending(
    shop: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    """A 5xx may have charged: no stock or cart back (a retry would charge twice); the order waits
    for Stripe's word (webhook, or the expiry asking)."""
    client, container = shop
    token, product_id = await _buyer_with_a_book(client, container)

    response = await client.post(
        "/checkout", json={"payment_method_id": "pm_fake_serverError"}, headers=bearer(token)
    )

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "payment_unavailable"
    order = await client.get(f"/orders/{response.json()['order_id']}", headers=bearer(token))
    assert order.json()["status"] == "PENDING"
    assert (await client.get(f"/products/{product_id}")).json()["stock"] == 1
    assert (await client.get("/cart", headers=bearer(token))).json()["items"] == []


async def test_a_payment_method_stripe_does_not_know_is_declined(
    shop: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = shop
    token, product_id = await _buyer_with_a_book(client, container)

    response = await client.post("/checkout", json={"payment_method_id": "tok_visa"}, headers=bearer(token))

    assert response.status_code == 402, response.text
    assert response.json()["code"] == "payment_declined"
    assert (await client.get(f"/products/{product_id}")).json()["stock"] == 3


async def test_stripe_is_given_payment_timeout_seconds_and_no_longer(
    database_url: str, stripe: FakeStripe
) -> None:
    settings = make_settings(
        database_url,
        payment_provider=PaymentProviderKind.STRIPE,
        stripe_secret_key=stripe.api_key,
        stripe_api_base=stripe.url,
        payment_timeout_seconds=0.5,
    )
    container = build_container(settings)
    async with AsyncTestClient(app=create_app(container)) as client:
        token, product_id = await _buyer_with_a_book(client, container)
        started = time.monotonic()

        response = await client.post(
            "/checkout", json={"payment_method_id": "pm_fake_hang"}, headers=bearer(token)
        )

        assert time.monotonic() - started < 3  # the fake hangs for 10 s
        assert response.status_code == 503, response.text
        order = await client.get(f"/orders/{response.json()['order_id']}", headers=bearer(token))
        assert order.json()["status"] == "PENDING"  # sent, no answer: it may have charged
        assert (await client.get(f"/products/{product_id}")).json()["stock"] == 1


async def _pending_order(
    client: AsyncTestClient[Litestar], container: Container
) -> tuple[str, dict[str, Any]]:
    token, _ = await _buyer_with_a_book(client, container)
    response = await client.post("/checkout", headers=bearer(token))
    assert response.status_code == 201, response.text
    return token, response.json()


def _expire(client: AsyncTestClient[Litestar], container: Container) -> int:
    async def expire() -> int:
        return await ExpirePendingOrders(
            container.unit_of_work, container.payment_provider(), container.clock(), timedelta(0)
        )()

    return in_app_loop(client, expire)


async def test_expiry_asks_stripe_and_keeps_a_payment_that_went_through(
    shop: tuple[AsyncTestClient[Litestar], Container], stripe: FakeStripe
) -> None:
    client, container = shop
    token, order = await _pending_order(client, container)
    stripe.succeed(order["payment_client_secret"].split("_secret_")[0])

    assert _expire(client, container) == 0

    assert (await client.get(f"/orders/{order['id']}", headers=bearer(token))).json()["status"] == "PAID"


async def test_expiry_cancels_an_open_intent_at_stripe_then_fails_the_order(
    shop: tuple[AsyncTestClient[Litestar], Container], stripe: FakeStripe
) -> None:
    client, container = shop
    token, order = await _pending_order(client, container)
    intent = order["payment_client_secret"].split("_secret_")[0]

    assert _expire(client, container) == 1

    assert stripe.intents[intent]["status"] == "canceled"
    assert (await client.get(f"/orders/{order['id']}", headers=bearer(token))).json()["status"] == "FAILED"


async def test_a_late_payment_whose_refund_fails_is_refunded_when_stripe_delivers_it_again(
    shop: tuple[AsyncTestClient[Litestar], Container], stripe: FakeStripe
) -> None:
    client, container = shop
    token, order = await _pending_order(client, container)
    intent = order["payment_client_secret"].split("_secret_")[0]
    failed = event_for(PAYMENT_FAILED, intent, order["id"], amount_cents=order["total_amount_cents"])
    assert (await deliver(client, container, failed)).status_code == 200
    stripe.succeed(intent)  # the customer paid after all, on the same intent
    late = event_for(SUCCEEDED, intent, order["id"], "evt_late", amount_cents=order["total_amount_cents"])
    stripe.force = Behaviour.RATE_LIMITED

    refused = await deliver(client, container, late)

    assert refused.status_code == 503, refused.text
    assert (refused.json()["code"], refused.json()["order_id"]) == ("payment_unavailable", order["id"])
    assert stripe.refunds == []
    stripe.force = None

    redelivered = await deliver(client, container, late)

    assert redelivered.json() == {"received": True, "outcome": "refunded"}
    [refund] = stripe.refunds
    assert (refund["payment_intent"], refund["amount"]) == (intent, 2 * 1299)
    stored = (await client.get(f"/orders/{order['id']}", headers=bearer(token))).json()
    assert (stored["status"], stored["refunded_cents"]) == ("FAILED", 2 * 1299)
    assert (await deliver(client, container, late)).json()["outcome"] == "duplicate"
    assert len(stripe.refunds) == 1
