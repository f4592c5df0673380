"""The reset and verification emails: the one token they need, in a link built from SHOP_URL."""

from __future__ import annotations

import pytest

from adapters.email.templates import JinjaMessageRenderer
from application.outbox import ContextValue

TOKEN = "Zq3-_token_of_256_bits_in_base64url_0123456789ab"


@pytest.mark.parametrize(
    ("kind", "context", "path", "subject"),
    [
        (
            "password_reset",
            {"email": "ann@example.com", "token": TOKEN, "valid_minutes": 30},
            "/reset-password?token=",
            "Reset your Bookshop password",
        ),
        (
            "verify_email",
            {"email": "ann@example.com", "token": TOKEN},
            "/verify-email?token=",
            "Confirm your Bookshop email address",
        ),
        (
            "welcome",
            {"email": "ann@example.com", "token": TOKEN},
            "/verify-email?token=",
            "Welcome to the Bookshop",
        ),
    ],
)
def test_each_account_email_links_to_the_shop_with_its_token(
    kind: str, context: dict[str, ContextValue], path: str, subject: str
) -> None:
    rendered = JinjaMessageRenderer("https://shop.example.com/").render(kind, context)

    link = f"https://shop.example.com{path}{TOKEN}"
    assert rendered.subject == subject
    assert link in rendered.text
    assert rendered.html is not None
    assert f'href="{link}"' in rendered.html


def test_the_reset_email_says_how_long_the_link_works() -> None:
    rendered = JinjaMessageRenderer("http://shop.test").render(
        "password_reset", {"email": "ann@example.com", "token": TOKEN, "valid_minutes": 30}
    )

    assert "for 30 minutes" in rendered.text
