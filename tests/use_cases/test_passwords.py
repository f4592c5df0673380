"""Changing a password, and resetting a forgotten one from the emailed link, on every store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.security.jwt_tokens import JwtTokenService
from application.account_tokens import hash_account_token
from application.errors import InvalidAccountToken, InvalidCredentials, InvalidRefreshToken
from application.own_account import SessionIssuer
from application.passwords import ChangePassword, RequestPasswordReset, ResetPassword
from application.ports import UnitOfWorkFactory
from domain.account_tokens import TokenPurpose
from domain.errors import InvalidValue, SessionEnded
from tests.fakes import FrozenClock, RecordingHasher
from tests.use_cases.account_mail import mail_to, token_in
from tests.use_cases.conftest import REFRESH_TTL, Identity, deactivate, edit_user

OLD = "correct horse battery"
NEW = "a much better passphrase"
RESET_TTL = timedelta(minutes=30)


@pytest.fixture
def change_password(
    uow: UnitOfWorkFactory, hasher: RecordingHasher, tokens: JwtTokenService, clock: FrozenClock
) -> ChangePassword:
    return ChangePassword(uow, hasher, SessionIssuer(tokens, clock, REFRESH_TTL), clock)


@pytest.fixture
def request_reset(uow: UnitOfWorkFactory, clock: FrozenClock) -> RequestPasswordReset:
    return RequestPasswordReset(uow, clock, RESET_TTL, answer_after=timedelta(0))


@pytest.fixture
def reset(uow: UnitOfWorkFactory, hasher: RecordingHasher, clock: FrozenClock) -> ResetPassword:
    return ResetPassword(uow, hasher, clock)


async def test_changing_the_password_ends_every_other_session_and_opens_a_new_one(
    identity: Identity, change_password: ChangePassword
) -> None:
    user = await identity.sign_up("ann@example.com", OLD)
    laptop = await identity.log_in("ann@example.com", OLD)
    phone = await identity.log_in("ann@example.com", OLD)

    pair = await change_password(await identity.authenticate(phone.access_token), OLD, NEW)

    for old in (laptop, phone):
        with pytest.raises(SessionEnded):
            await identity.authenticate(old.access_token)
        with pytest.raises(InvalidRefreshToken):
            await identity.refresh(old.refresh_token)
    assert (await identity.authenticate(pair.access_token)).id == user.id
    await identity.refresh(pair.refresh_token)
    with pytest.raises(InvalidCredentials):
        await identity.log_in("ann@example.com", OLD)
    await identity.log_in("ann@example.com", NEW)


async def test_a_wrong_current_password_changes_nothing(
    identity: Identity, change_password: ChangePassword
) -> None:
    await identity.sign_up("ann@example.com", OLD)
    session = await identity.log_in("ann@example.com", OLD)

    with pytest.raises(InvalidCredentials):
        await change_password(await identity.authenticate(session.access_token), "not my password", NEW)

    await identity.authenticate(session.access_token)
    await identity.log_in("ann@example.com", OLD)


async def test_a_new_password_follows_the_signup_policy(
    identity: Identity, change_password: ChangePassword
) -> None:
    await identity.sign_up("ann@example.com", OLD)
    session = await identity.log_in("ann@example.com", OLD)

    with pytest.raises(InvalidValue) as refused:
        await change_password(await identity.authenticate(session.access_token), OLD, "short")

    assert refused.value.field == "new_password"


async def test_a_reset_request_records_one_email_with_a_token_that_is_stored_only_as_its_hash(
    identity: Identity, request_reset: RequestPasswordReset, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    user = await identity.sign_up("ann@example.com", OLD)

    await request_reset("  Ann@Example.com ")

    [message] = await mail_to(uow, clock, "ann@example.com", "password_reset")
    token = message.context["token"]
    assert isinstance(token, str)
    assert len(token) >= 43, "at least 256 bits, base64url"
    assert message.context == {"email": "ann@example.com", "token": token, "valid_minutes": 30}
    async with uow() as tx:
        assert await tx.account_tokens.use(token, TokenPurpose.PASSWORD_RESET, clock.now()) is None
        used = await tx.account_tokens.use(
            hash_account_token(token), TokenPurpose.PASSWORD_RESET, clock.now()
        )
    assert used is not None
    assert used.user_id == user.id


@pytest.mark.parametrize("outcome", ["sent", "given up"])
async def test_once_its_email_is_sent_or_given_up_the_shop_keeps_no_copy_of_the_token(
    identity: Identity,
    request_reset: RequestPasswordReset,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
    outcome: str,
) -> None:
    await identity.sign_up("ann@example.com", OLD)
    await request_reset("ann@example.com")
    [message] = await mail_to(uow, clock, "ann@example.com", "password_reset")
    now = clock.now()

    async with uow() as tx:
        claimed = await tx.outbox.claim(
            message.id, now=now, due_by=now, lease_until=now + timedelta(minutes=1)
        )
        assert claimed is not None
        assert claimed.context["token"]
        if outcome == "sent":
            assert await tx.outbox.mark_sent(message.id, claimed.attempts, now)
        else:
            assert await tx.outbox.mark_failed(message.id, claimed.attempts, "550 no such user", None)
        await tx.commit()
    async with uow() as tx:
        kept = await tx.outbox.get(message.id)

    assert kept is not None
    assert kept.context == {}


@pytest.mark.parametrize("email", ["nobody@example.com", "gone@example.com", "not an address"])
async def test_a_reset_request_for_no_active_account_records_nothing_and_answers_the_same(
    identity: Identity,
    request_reset: RequestPasswordReset,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
    email: str,
) -> None:
    gone = await identity.sign_up("gone@example.com", OLD)
    await edit_user(uow, gone.id, deactivate)

    await request_reset(email)

    async with uow() as tx:
        kinds = [
            message.kind
            for message_id in await tx.outbox.due(clock.now(), 100)
            if (message := await tx.outbox.get(message_id)) is not None
        ]
    assert "password_reset" not in kinds


async def test_the_reset_token_sets_the_password_once_and_ends_every_session(
    identity: Identity,
    request_reset: RequestPasswordReset,
    reset: ResetPassword,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
) -> None:
    await identity.sign_up("ann@example.com", OLD)
    session = await identity.log_in("ann@example.com", OLD)
    await request_reset("ann@example.com")
    token = await token_in(uow, clock, "ann@example.com", "password_reset")

    await reset(token, NEW)

    with pytest.raises(SessionEnded):
        await identity.authenticate(session.access_token)
    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(session.refresh_token)
    with pytest.raises(InvalidCredentials):
        await identity.log_in("ann@example.com", OLD)
    pair = await identity.log_in("ann@example.com", NEW)
    assert (await identity.authenticate(pair.access_token)).email_verified, "the link proved the address"
    with pytest.raises(InvalidAccountToken):
        await reset(token, "yet another passphrase")
    await identity.log_in("ann@example.com", NEW)


async def test_a_reset_token_expires(
    identity: Identity,
    request_reset: RequestPasswordReset,
    reset: ResetPassword,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
) -> None:
    await identity.sign_up("ann@example.com", OLD)
    await request_reset("ann@example.com")
    token = await token_in(uow, clock, "ann@example.com", "password_reset")

    clock.advance(RESET_TTL.total_seconds())

    with pytest.raises(InvalidAccountToken):
        await reset(token, NEW)
    await identity.log_in("ann@example.com", OLD)


async def test_unknown_tokens_and_verification_tokens_do_not_reset(
    identity: Identity, reset: ResetPassword, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    await identity.sign_up("ann@example.com", OLD)
    verification = await token_in(uow, clock, "ann@example.com", "welcome")

    for token in ("made-up", verification):
        with pytest.raises(InvalidAccountToken):
            await reset(token, NEW)
    await identity.log_in("ann@example.com", OLD)


async def test_older_reset_links_die_once_the_password_was_reset(
    identity: Identity,
    request_reset: RequestPasswordReset,
    reset: ResetPassword,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
) -> None:
    await identity.sign_up("ann@example.com", OLD)
    await request_reset("ann@example.com")
    await request_reset("ann@example.com")
    first, second = [
        m.context["token"] for m in await mail_to(uow, clock, "ann@example.com", "password_reset")
    ]
    assert isinstance(first, str)
    assert isinstance(second, str)

    await reset(first, NEW)

    with pytest.raises(InvalidAccountToken):
        await reset(second, "the attacker's passphrase")
    await identity.log_in("ann@example.com", NEW)


async def test_a_reset_link_does_nothing_once_the_password_was_changed(
    identity: Identity,
    request_reset: RequestPasswordReset,
    reset: ResetPassword,
    change_password: ChangePassword,
    uow: UnitOfWorkFactory,
) -> None:
    await identity.sign_up("ann@example.com", OLD)
    await request_reset("ann@example.com")
    clock = FrozenClock()
    token = await token_in(uow, clock, "ann@example.com", "password_reset")
    session = await identity.log_in("ann@example.com", OLD)
    await change_password(await identity.authenticate(session.access_token), OLD, NEW)

    with pytest.raises(InvalidAccountToken):
        await reset(token, "the attacker's passphrase")
    await identity.log_in("ann@example.com", NEW)


async def test_a_reset_link_does_nothing_for_an_account_deactivated_since(
    identity: Identity,
    request_reset: RequestPasswordReset,
    reset: ResetPassword,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
) -> None:
    user = await identity.sign_up("ann@example.com", OLD)
    await request_reset("ann@example.com")
    token = await token_in(uow, clock, "ann@example.com", "password_reset")
    await edit_user(uow, user.id, deactivate)

    with pytest.raises(InvalidAccountToken):
        await reset(token, NEW)
