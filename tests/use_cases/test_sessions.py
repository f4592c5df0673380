"""Logging in, rotating and ending sessions, on every store."""

from __future__ import annotations

import pytest

from adapters.security.jwt_tokens import JwtTokenService
from application.errors import InvalidCredentials, InvalidRefreshToken
from application.ports import UnitOfWorkFactory
from domain.errors import AccountInactive
from tests.fakes import FrozenClock, RecordingHasher
from tests.use_cases.conftest import REFRESH_TTL, REUSE_GRACE, Identity, deactivate, edit_user

PASSWORD = "correct horse"


async def test_login_gives_a_pair_whose_access_token_names_the_user(
    identity: Identity, tokens: JwtTokenService
) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)

    pair = await identity.log_in("ANN@example.com ", PASSWORD)

    assert pair.token_type == "Bearer"
    assert pair.expires_in == 900
    assert tokens.read_access_token(pair.access_token).user_id == user.id
    assert len(pair.refresh_token) >= 43  # 32 random bytes, base64url


async def test_unknown_email_and_wrong_password_are_the_same_refusal_at_the_same_cost(
    identity: Identity, hasher: RecordingHasher
) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)

    before = hasher.verifications
    with pytest.raises(InvalidCredentials) as unknown:
        await identity.log_in("nobody@example.com", PASSWORD)
    cost_of_unknown = hasher.verifications - before

    before = hasher.verifications
    with pytest.raises(InvalidCredentials) as wrong:
        await identity.log_in("ann@example.com", "wrong password")
    cost_of_wrong = hasher.verifications - before

    assert str(unknown.value) == str(wrong.value)
    assert cost_of_unknown == cost_of_wrong == 1


async def test_a_malformed_email_is_just_invalid_credentials(identity: Identity) -> None:
    with pytest.raises(InvalidCredentials):
        await identity.log_in("not an email", PASSWORD)


async def test_a_deactivated_account_is_told_so_only_with_the_right_password(
    identity: Identity, uow: UnitOfWorkFactory
) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    await edit_user(uow, user.id, deactivate)

    with pytest.raises(InvalidCredentials):
        await identity.log_in("ann@example.com", "wrong password")
    with pytest.raises(AccountInactive):
        await identity.log_in("ann@example.com", PASSWORD)


async def test_refresh_rotates_the_token(identity: Identity, tokens: JwtTokenService) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    first = await identity.log_in("ann@example.com", PASSWORD)

    second = await identity.refresh(first.refresh_token)

    assert second.refresh_token != first.refresh_token
    assert tokens.read_access_token(second.access_token).user_id == user.id
    third = await identity.refresh(second.refresh_token)
    assert third.refresh_token not in {first.refresh_token, second.refresh_token}


async def test_reusing_a_revoked_token_ends_every_session_of_the_user(
    identity: Identity, clock: FrozenClock
) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    stolen = await identity.log_in("ann@example.com", PASSWORD)
    other_device = await identity.log_in("ann@example.com", PASSWORD)
    rotated = await identity.refresh(stolen.refresh_token)
    clock.advance(REUSE_GRACE.total_seconds())  # the grace period is over from this instant

    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(stolen.refresh_token)

    for survivor in (rotated, other_device):
        with pytest.raises(InvalidRefreshToken):
            await identity.refresh(survivor.refresh_token)


async def test_a_token_rotated_moments_ago_is_refused_but_the_family_stays_valid(
    identity: Identity, clock: FrozenClock
) -> None:
    """Two tabs refresh with one token: the late one is not a thief."""
    await identity.sign_up("ann@example.com", PASSWORD)
    first_tab = await identity.log_in("ann@example.com", PASSWORD)
    other_device = await identity.log_in("ann@example.com", PASSWORD)
    rotated = await identity.refresh(first_tab.refresh_token)
    clock.advance(REUSE_GRACE.total_seconds() - 1)

    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(first_tab.refresh_token)

    assert (await identity.refresh(rotated.refresh_token)).refresh_token
    assert (await identity.refresh(other_device.refresh_token)).refresh_token


async def test_a_logged_out_token_presented_again_past_the_grace_period_counts_as_reuse(
    identity: Identity, clock: FrozenClock
) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    laptop = await identity.log_in("ann@example.com", PASSWORD)
    phone = await identity.log_in("ann@example.com", PASSWORD)
    await identity.log_out(laptop.refresh_token)
    clock.advance(REUSE_GRACE.total_seconds() + 1)

    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(laptop.refresh_token)

    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(phone.refresh_token)


async def test_reuse_by_one_user_leaves_other_users_signed_in(identity: Identity, clock: FrozenClock) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    await identity.sign_up("bob@example.com", PASSWORD)
    ann = await identity.log_in("ann@example.com", PASSWORD)
    bob = await identity.log_in("bob@example.com", PASSWORD)
    await identity.refresh(ann.refresh_token)
    clock.advance(REUSE_GRACE.total_seconds())

    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(ann.refresh_token)

    assert (await identity.refresh(bob.refresh_token)).refresh_token


async def test_an_expired_refresh_token_is_refused(identity: Identity, clock: FrozenClock) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)

    clock.advance(REFRESH_TTL.total_seconds() + 1)

    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(pair.refresh_token)


async def test_a_token_just_before_expiry_still_works(identity: Identity, clock: FrozenClock) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)

    clock.advance(REFRESH_TTL.total_seconds() - 1)

    assert (await identity.refresh(pair.refresh_token)).refresh_token


async def test_an_unknown_refresh_token_is_refused(identity: Identity) -> None:
    with pytest.raises(InvalidRefreshToken):
        await identity.refresh("not-a-token-we-issued")


async def test_a_deactivated_account_cannot_refresh(identity: Identity, uow: UnitOfWorkFactory) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)
    await edit_user(uow, user.id, deactivate)

    with pytest.raises(AccountInactive):
        await identity.refresh(pair.refresh_token)


async def test_logout_revokes_the_token_and_is_idempotent(identity: Identity) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)

    await identity.log_out(pair.refresh_token)
    await identity.log_out(pair.refresh_token)

    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(pair.refresh_token)


async def test_logout_leaves_other_sessions_alone(identity: Identity) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    laptop = await identity.log_in("ann@example.com", PASSWORD)
    phone = await identity.log_in("ann@example.com", PASSWORD)

    await identity.log_out(laptop.refresh_token)

    assert (await identity.refresh(phone.refresh_token)).refresh_token


async def test_logout_with_an_unknown_or_expired_token_is_refused(
    identity: Identity, clock: FrozenClock
) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)
    with pytest.raises(InvalidRefreshToken):
        await identity.log_out("never-issued")

    clock.advance(REFRESH_TTL.total_seconds() + 1)

    with pytest.raises(InvalidRefreshToken):
        await identity.log_out(pair.refresh_token)
