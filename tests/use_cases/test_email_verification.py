"""Verifying an address from the emailed link, asking for another, and checkout asking for a
verified address when the shop says so (REQUIRE_VERIFIED_EMAIL), on every store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.checkout import Checkout
from application.email_verification import ResendVerificationEmail, VerifyEmail
from application.errors import InvalidAccountToken
from application.ports import UnitOfWorkFactory
from domain.errors import EmailNotVerified
from tests.fakes import FrozenClock
from tests.unit.builders import FREE_SHIPPING, LIMITS
from tests.use_cases.account_mail import mail_to, token_in
from tests.use_cases.conftest import Identity, Shop, deactivate, edit_user

PASSWORD = "correct horse battery"


@pytest.fixture
def verify(uow: UnitOfWorkFactory, clock: FrozenClock) -> VerifyEmail:
    return VerifyEmail(uow, clock)


@pytest.fixture
def resend(uow: UnitOfWorkFactory, clock: FrozenClock) -> ResendVerificationEmail:
    return ResendVerificationEmail(uow, clock)


async def test_a_new_account_is_unverified_until_the_token_of_its_welcome_email_is_used_once(
    identity: Identity, verify: VerifyEmail, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    assert not user.email_verified
    token = await token_in(uow, clock, "ann@example.com", "welcome")

    verified = await verify(token)

    assert (verified.id, verified.email_verified) == (user.id, True)
    session = await identity.log_in("ann@example.com", PASSWORD)
    assert (await identity.authenticate(session.access_token)).email_verified
    with pytest.raises(InvalidAccountToken):
        await verify(token)


async def test_a_verification_token_expires_after_48_hours(
    identity: Identity, verify: VerifyEmail, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    token = await token_in(uow, clock, "ann@example.com", "welcome")

    clock.advance(timedelta(hours=48).total_seconds())

    with pytest.raises(InvalidAccountToken):
        await verify(token)


async def test_verifying_ends_no_session(
    identity: Identity, verify: VerifyEmail, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    session = await identity.log_in("ann@example.com", PASSWORD)

    await verify(await token_in(uow, clock, "ann@example.com", "welcome"))

    await identity.authenticate(session.access_token)
    await identity.refresh(session.refresh_token)


async def test_unknown_tokens_verify_nothing(identity: Identity, verify: VerifyEmail) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)

    with pytest.raises(InvalidAccountToken):
        await verify("made-up")


async def test_a_resent_link_verifies_and_earlier_ones_still_work_until_used(
    identity: Identity,
    verify: VerifyEmail,
    resend: ResendVerificationEmail,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    assert user.id is not None
    first = await token_in(uow, clock, "ann@example.com", "welcome")

    assert await resend(user.id)

    [message] = await mail_to(uow, clock, "ann@example.com", "verify_email")
    second = message.context["token"]
    assert isinstance(second, str)
    assert second != first
    assert message.context == {"email": "ann@example.com", "token": second}
    assert (await verify(second)).email_verified
    assert not await resend(user.id), "an address already verified gets no more links"
    assert len(await mail_to(uow, clock, "ann@example.com", "verify_email")) == 1


async def test_a_verification_link_does_nothing_for_an_account_deactivated_since(
    identity: Identity, verify: VerifyEmail, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    token = await token_in(uow, clock, "ann@example.com", "welcome")
    await edit_user(uow, user.id, deactivate)

    with pytest.raises(InvalidAccountToken):
        await verify(token)


async def test_with_verification_required_checkout_refuses_an_unverified_customer_and_changes_nothing(
    shop: Shop, identity: Identity, verify: VerifyEmail, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    checkout = Checkout(
        uow,
        BuiltInTestPaymentProvider(),
        clock,
        "usd",
        LIMITS,
        shipping=FREE_SHIPPING,
        require_verified_email=True,
    )
    user = await identity.sign_up("ann@example.com", PASSWORD)
    assert user.id is not None
    book = await shop.book("Prince Caspian", stock=3)
    await shop.add_to_cart(user.id, book, 2)

    with pytest.raises(EmailNotVerified):
        await checkout(user.id)

    assert await shop.stock_of(book) == 3
    assert await shop.orders_of(user.id) == []
    await verify(await token_in(uow, clock, "ann@example.com", "welcome"))
    result = await checkout(user.id)
    assert result.order.user_id == user.id
    assert await shop.stock_of(book) == 1


async def test_without_the_setting_an_unverified_customer_checks_out(shop: Shop) -> None:
    user_id = await shop.customer()
    book = await shop.book("The Silver Chair")
    await shop.add_to_cart(user_id, book)

    result = await shop.checkout(user_id, None)

    assert result.order.user_id == user_id
