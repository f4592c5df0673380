"""End to end: a customer who checks out and pays receives a readable confirmation (the API, the
outbox, the delivery job, the templates and the mailer the app is built with: memory under test)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from adapters.email.compose import compose
from application.deliver_messages import Delivery
from application.outbox import Email, StoredMessage
from entrypoints.container import Container
from entrypoints.settings import EmailBackend, Settings
from tests.conftest import make_settings
from tests.http.catalog_helpers import Client
from tests.http.conftest import in_app_loop
from tests.http.shopping_helpers import buy, open_shop


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The app as under APP_ENV=test, with the memory mailer, whose emails the test reads."""
    return make_settings(database_url, email_backend=EmailBackend.MEMORY)


async def test_a_paid_checkout_sends_the_customer_a_readable_confirmation(
    client: Client, container: Container
) -> None:
    shop = await open_shop(client, container)
    order = await buy(client, shop.token, shop.book["id"], 2)
    assert order["status"] == "PAID"

    async def deliver() -> Delivery:
        async with container.unit_of_work() as tx:
            message: StoredMessage | None = await tx.outbox.find(f"order-paid:{order['id']}")
        assert message is not None
        return await container.deliver_message()(message.id)

    assert in_app_loop(client, deliver) is Delivery.SENT

    [email] = [e for e in container.memory_mailer().sent if "confirmed" in e.subject]
    assert email.recipient == "customer@example.com"
    assert email.subject == f"Your Bookshop order {order['id']} is confirmed"
    assert f"order {order['id']}" in email.text
    assert "2 x THE FIRST BOOK ($12.50 each): $25.00" in email.text
    assert (
        f"Total paid: ${order['total_amount_cents'] // 100}.{order['total_amount_cents'] % 100:02d}"
        in email.text
    )
    assert f"/orders/{order['id']}" in email.text
    assert email.html is not None
    assert "THE FIRST BOOK" in email.html
    parsed = _as_received(email)
    assert parsed["To"] == "customer@example.com"
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None
    assert "Total paid:" in text.get_content()


def _as_received(email: Email) -> EmailMessage:
    """The message as a mail program opens it: composed as the mailers do, then parsed back."""
    parsed = message_from_bytes(bytes(compose(email, "Bookshop <shop@bookshop.test>")), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed
