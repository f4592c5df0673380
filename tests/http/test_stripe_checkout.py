"""The whole app configured for Stripe (STRIPE_SECRET_KEY, STRIPE_API_BASE), paying through the
real SDK against a local stand-in for Stripe's PaymentIntents API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import PaymentProviderKind
from tests.conftest import make_settings
from tests.http.catalog_helpers import book, create_product, make_admin
from tests.http.conftest import bearer, signup_and_login
from tests.payments.fake_stripe import FakeStripe

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


async def test_stripe_answering_500_is_a_503_and_the_order_fails(
    shop: tuple[AsyncTestClient[Litestar], Container],
) -> None:
    client, container = shop
    token, product_id = await _buyer_with_a_book(client, container)

    response = await client.post(
        "/checkout", json={"payment_method_id": "pm_fake_serverError"}, headers=bearer(token)
    )

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "payment_unavailable"
    assert (await client.get(f"/products/{product_id}")).json()["stock"] == 3
    assert len((await client.get("/cart", headers=bearer(token))).json()["items"]) == 1
