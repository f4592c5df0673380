"""The order emails as the customer reads them: each template, in plain text and HTML, names the
order and what the email is about (the amount, the carrier and tracking number), with money in the
order's currency, links from SHOP_URL, and what the customer typed escaped in the HTML."""

from __future__ import annotations

import pytest

from adapters.email.templates import JinjaMessageRenderer, format_money
from application.order_messages import order_failed, order_paid, order_shipped, refund_issued
from application.outbox import OutboxMessage, RenderedMessage
from domain.fulfilment import Shipment
from domain.ordering import FailureReason, Order, OrderItem, OrderStatus
from domain.refunds import Refund, RefundStatus, RestockLine
from domain.shipping import Address
from tests.unit.builders import NOW

RENDERER = JinjaMessageRenderer("https://shop.example.com/")
ADDRESS = Address(
    name="Ann <Reader>",
    line1="1 High Street",
    line2="Flat 2",
    city="Oxford",
    postal_code="OX1 1AA",
    country="GB",
)


def _order(status: OrderStatus = OrderStatus.PAID, reason: FailureReason | None = None) -> Order:
    return Order(
        id=4217,
        user_id=1,
        currency="usd",
        items=(
            OrderItem(product_id=7, title_snapshot="The Horse & His Boy", price_snapshot=899, quantity=2),
            OrderItem(product_id=9, title_snapshot="Prince Caspian", price_snapshot=1250, quantity=1),
        ),
        created_at=NOW,
        status=status,
        failure_reason=reason,
        shipping_address=ADDRESS,
        shipping_cents=499,
    )


def _render(message: OutboxMessage) -> RenderedMessage:
    return RENDERER.render(message.kind, message.context)


def _both(rendered: RenderedMessage) -> tuple[str, str]:
    assert rendered.html is not None
    return rendered.text, rendered.html


def test_the_confirmation_names_the_order_its_lines_address_shipping_and_total() -> None:
    rendered = _render(order_paid(_order(), "ann@example.com"))

    text, html = _both(rendered)
    assert rendered.subject == "Your Bookshop order 4217 is confirmed"
    assert "order 4217" in text
    assert "2 x The Horse & His Boy ($8.99 each): $17.98" in text
    assert "1 x Prince Caspian ($12.50 each): $12.50" in text
    assert "Shipping: $4.99" in text
    assert "Total paid: $35.47" in text
    for part in ("Ann <Reader>", "Flat 2", "OX1 1AA"):
        assert part in text
    assert "https://shop.example.com/orders/4217" in text
    assert "<strong>4217</strong>" in html
    assert "The Horse &amp; His Boy" in html
    assert "Ann &lt;Reader&gt;" in html
    assert "$35.47" in html
    assert 'href="https://shop.example.com/orders/4217"' in html


def test_the_shipping_email_names_the_carrier_and_tracking_number() -> None:
    order = _order()
    order.ship(Shipment("Royal Mail", "RM123456789GB"), NOW)

    rendered = _render(order_shipped(order, "ann@example.com"))

    text, html = _both(rendered)
    assert "4217" in rendered.subject
    for part in (text, html):
        assert "4217" in part
        assert "Royal Mail" in part
        assert "RM123456789GB" in part
        assert "https://shop.example.com/orders/4217" in part


@pytest.mark.parametrize(
    ("reason", "subject", "says"),
    [
        (FailureReason.EXPIRED, "Your Bookshop order 4217 was not paid in time", "was not paid in time"),
        (FailureReason.CANCELLED, "Your Bookshop order 4217 was cancelled", "was cancelled, as you asked"),
    ],
)
def test_the_failure_email_says_why_the_order_failed(reason: FailureReason, subject: str, says: str) -> None:
    rendered = _render(order_failed(_order(OrderStatus.FAILED, reason), "ann@example.com"))

    text, html = _both(rendered)
    assert rendered.subject == subject
    for part in (text, html):
        assert "4217" in part
        assert says in part
        assert "Nothing was charged" in part


def test_the_refund_email_names_the_amount_what_is_left_and_what_was_restocked() -> None:
    order = _order()
    order.record_refund(1000, NOW)
    refund = Refund(
        id=31,
        order_id=4217,
        amount_cents=1000,
        created_at=NOW,
        status=RefundStatus.SUCCEEDED,
        restocked=(RestockLine(product_id=7, quantity=1),),
    )

    rendered = _render(refund_issued(order, refund, "ann@example.com"))

    text, html = _both(rendered)
    assert rendered.subject == "A refund of $10.00 on your Bookshop order 4217"
    assert "We refunded $10.00 on your order 4217" in text
    assert "So far $10.00 of its $35.47 has been refunded." in text
    assert "1 x The Horse & His Boy" in text
    assert "<strong>$10.00</strong>" in html
    assert "<strong>4217</strong>" in html
    assert "1 \N{MULTIPLICATION SIGN} The Horse &amp; His Boy" in html


def test_a_full_refund_says_so_and_one_without_restock_lists_nothing() -> None:
    order = _order()
    order.record_refund(order.total_amount_cents, NOW)
    refund = Refund(id=32, order_id=4217, amount_cents=3547, created_at=NOW, status=RefundStatus.SUCCEEDED)

    text, html = _both(_render(refund_issued(order, refund, "ann@example.com")))

    assert "refunded in full ($35.47)" in text
    assert "Returned with this refund" not in text
    assert "refunded in full ($35.47)" in html


@pytest.mark.parametrize(
    ("cents", "currency", "written"),
    [
        (3547, "usd", "$35.47"),
        (5, "gbp", "£0.05"),
        (123456, "eur", "€1,234.56"),
        (1234, "chf", "12.34 CHF"),
        (1234, "jpy", "1,234 JPY"),
    ],
)
def test_money_is_written_in_the_orders_currency(cents: int, currency: str, written: str) -> None:
    assert format_money(cents, currency) == written
