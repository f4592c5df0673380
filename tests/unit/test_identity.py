from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import AccountInactive, InvalidValue, SelfLockout, SessionEnded
from domain.identity import (
    EMAIL_MAX_LENGTH,
    RefreshToken,
    Role,
    User,
    check_password_policy,
    normalize_email,
)
from tests.unit.builders import NOW, make_user

DOMAIN = "@example.com"

# --- normalize_email -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Reader@Example.COM \n", "ann.reader@example.com"),
        ("\tBOB+books@Mail.Example.ORG", "bob+books@mail.example.org"),
    ],
)
def test_an_email_is_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann@@example.com",
        "ann@exa@mple.com",
        "ann smith@example.com",
        "ann@example..com",
        "ann@.example.com",
        "ann@example.com.",
    ],
)
def test_what_is_not_an_address_is_refused_on_the_email_field(raw: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        normalize_email(raw)

    assert refused.value.field == "email"


def test_an_address_of_exactly_254_characters_is_accepted() -> None:
    email = "a" * (EMAIL_MAX_LENGTH - len(DOMAIN)) + DOMAIN
    assert len(email) == 254

    assert normalize_email(email) == email


def test_an_address_of_255_characters_is_refused() -> None:
    email = "a" * (EMAIL_MAX_LENGTH + 1 - len(DOMAIN)) + DOMAIN

    with pytest.raises(InvalidValue) as refused:
        normalize_email(email)

    assert refused.value.field == "email"


def test_the_length_limit_applies_after_trimming() -> None:
    email = "a" * (EMAIL_MAX_LENGTH - len(DOMAIN)) + DOMAIN

    assert normalize_email(f"   {email}   ") == email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "\uff41\uff4e\uff4e\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d",
            "ann@example.com",
        ),
        ("\uff21nn@Example.com", "ann@example.com"),
        ("ann@\u212bngstr\u00f6m.se", "ann@\u00e5ngstr\u00f6m.se"),  # the Angstrom sign is the letter
        ("\ufb01ona@example.com", "fiona@example.com"),  # the ligature is two letters
        ("\u3000ann@example.com\u3000", "ann@example.com"),  # an ideographic space is trimmed too
    ],
)
def test_an_email_is_nfkc_normalised_so_look_alikes_are_one_address(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "invisible",
    [
        "\u202a",  # left-to-right embedding
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",  # right-to-left override: "moc.elpmaxe@nna" reads as "ann@example.com"
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200b",  # zero width space
        "\u200c",
        "\u200d",
        "\u200e",
        "\u200f",
        "\u061c",  # Arabic letter mark
        "\ufeff",  # zero width no-break space (byte order mark)
        "\u00ad",  # soft hyphen
        "\u2060",  # word joiner
        "\x9b",  # a C1 control
    ],
    ids=lambda c: f"U+{ord(c):04X}",
)
@pytest.mark.parametrize("where", ["start", "local", "domain", "end"])
def test_an_email_holding_a_control_or_formatting_character_is_refused(invisible: str, where: str) -> None:
    raw = {
        "start": f"{invisible}ann@example.com",
        "local": f"an{invisible}n@example.com",
        "domain": f"ann@exam{invisible}ple.com",
        "end": f"ann@example.com{invisible}",
    }[where]

    with pytest.raises(InvalidValue) as refused:
        normalize_email(raw)

    assert refused.value.field == "email"


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(InvalidValue):
        normalize_email("ann\ud800@example.com")


_local_parts = st.text(min_size=1, max_size=30)
_labels = st.text(min_size=1, max_size=15)
_emails = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda local, labels: f"{local}@{'.'.join(labels)}",
        _local_parts,
        st.lists(_labels, min_size=2, max_size=3),
    ),
    st.builds(
        lambda local, label, tld: f"{local}@{label}.{tld}",
        _local_parts,
        _labels,
        st.sampled_from(["com", "\uff23\uff2f\uff2d", "org", "\u00e9", "\ufb01", "\u202ecom", "co\u200bm"]),
    ),
)


@settings(max_examples=1000, deadline=None)
@given(_emails)
def test_a_normalised_email_holds_no_control_or_format_character_and_is_already_normal(raw: str) -> None:
    try:
        email = normalize_email(raw)
    except InvalidValue:
        return  # refused, as it may be: the property is about what is accepted

    assert not [c for c in email if unicodedata.category(c) in {"Cc", "Cf", "Cs"}]
    assert normalize_email(email) == email
    assert email == unicodedata.normalize("NFKC", email) == email.lower() == email.strip()
    assert len(email) <= EMAIL_MAX_LENGTH


# --- check_password_policy -------------------------------------------------------------------------


@pytest.mark.parametrize("length", [8, 9, 64, 127, 128])
def test_a_password_of_8_to_128_characters_is_accepted(length: int) -> None:
    check_password_policy("p" * length)  # no InvalidValue raised


@pytest.mark.parametrize("length", [0, 1, 7, 129, 500])
def test_a_password_outside_8_to_128_characters_is_refused(length: int) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_password_policy("p" * length)

    assert refused.value.field == "password"


# --- User ------------------------------------------------------------------------------------------


def test_a_registered_user_is_an_active_user_with_a_normalized_email() -> None:
    user = User.register("  Ann@Example.COM ", "$argon2id$hash", NOW)

    assert user.email == "ann@example.com"
    assert user.role is Role.USER
    assert not user.is_admin
    assert user.is_active
    assert user.password_hash == "$argon2id$hash"
    assert user.created_at == NOW
    assert user.id is None


def test_register_refuses_a_bad_email() -> None:
    with pytest.raises(InvalidValue) as refused:
        User.register("not-an-email", "$argon2id$hash", NOW)

    assert refused.value.field == "email"


def test_register_refuses_a_naive_timestamp() -> None:
    with pytest.raises(InvalidValue) as refused:
        User.register("ann@example.com", "$argon2id$hash", datetime(2026, 1, 1))

    assert refused.value.field == "created_at"


def test_promote_to_admin_makes_an_inactive_user_an_active_admin() -> None:
    user = make_user(id=1, is_active=False)

    user.promote_to_admin()

    assert user.role is Role.ADMIN
    assert user.is_admin
    assert user.is_active


def test_ensure_active_refuses_a_deactivated_account() -> None:
    active = make_user(id=1)
    inactive = make_user(id=2, is_active=False)

    active.ensure_active()
    with pytest.raises(AccountInactive):
        inactive.ensure_active()


def test_an_admin_cannot_demote_themself() -> None:
    admin = make_user(id=1, role=Role.ADMIN)

    with pytest.raises(SelfLockout) as refused:
        admin.change_role(Role.USER, by=admin)

    assert refused.value.action == "demote"
    assert admin.role is Role.ADMIN


def test_an_admin_may_keep_their_own_admin_role() -> None:
    admin = make_user(id=1, role=Role.ADMIN)

    admin.change_role(Role.ADMIN, by=admin)

    assert admin.role is Role.ADMIN


def test_an_admin_may_demote_another_admin() -> None:
    admin = make_user(id=1, role=Role.ADMIN)
    other = make_user(id=2, role=Role.ADMIN)

    other.change_role(Role.USER, by=admin)

    assert other.role is Role.USER
    assert admin.role is Role.ADMIN


def test_an_admin_may_promote_a_user() -> None:
    admin = make_user(id=1, role=Role.ADMIN)
    user = make_user(id=2)

    user.change_role(Role.ADMIN, by=admin)

    assert user.role is Role.ADMIN


def test_an_admin_cannot_deactivate_themself() -> None:
    admin = make_user(id=1, role=Role.ADMIN)

    with pytest.raises(SelfLockout) as refused:
        admin.set_active(False, by=admin)

    assert refused.value.action == "deactivate"
    assert admin.is_active


def test_an_admin_may_deactivate_and_reactivate_another_user() -> None:
    admin = make_user(id=1, role=Role.ADMIN)
    user = make_user(id=2)

    user.set_active(False, by=admin)
    assert not user.is_active

    user.set_active(True, by=admin)
    assert user.is_active
    assert admin.is_active


# --- the rule of sessions: any change of password, role or state ends them ---------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda user, admin: user.change_role(Role.ADMIN, by=admin),
        lambda user, admin: user.set_active(False, by=admin),
        lambda user, _: user.set_password_hash("$argon2id$another-hash"),
        lambda user, _: user.promote_to_admin(),
    ],
    ids=["role", "state", "password", "promotion"],
)
def test_every_change_of_password_role_or_state_ends_the_sessions(change: Any) -> None:
    admin = make_user(id=1, role=Role.ADMIN)
    user = make_user(id=2)

    ended = change(user, admin)

    assert ended is True
    assert user.session_version == 1
    with pytest.raises(SessionEnded):
        user.ensure_session_current(0)
    user.ensure_session_current(1)


@pytest.mark.parametrize(
    "same",
    [
        lambda user, admin: user.change_role(Role.USER, by=admin),
        lambda user, admin: user.set_active(True, by=admin),
        lambda user, _: user.set_password_hash(user.password_hash),
    ],
    ids=["role", "state", "password"],
)
def test_setting_what_is_already_there_ends_nothing(same: Any) -> None:
    admin = make_user(id=1, role=Role.ADMIN)
    user = make_user(id=2)

    assert same(user, admin) is False
    assert user.session_version == 0
    user.ensure_session_current(0)


def test_promoting_an_active_admin_ends_nothing() -> None:
    admin = make_user(id=1, role=Role.ADMIN)

    assert admin.promote_to_admin() is False
    assert admin.session_version == 0


def test_each_change_moves_the_version_again() -> None:
    admin = make_user(id=1, role=Role.ADMIN)
    user = make_user(id=2)

    user.set_active(False, by=admin)
    user.set_active(True, by=admin)

    assert user.session_version == 2
    with pytest.raises(SessionEnded):
        user.ensure_session_current(0)  # back to the old state, not to the old sessions


def test_a_refused_change_ends_nothing() -> None:
    admin = make_user(id=1, role=Role.ADMIN)

    with pytest.raises(SelfLockout):
        admin.set_active(False, by=admin)

    assert admin.session_version == 0


# --- RefreshToken ----------------------------------------------------------------------------------

TTL = timedelta(days=14)


def test_an_issued_token_lives_until_its_ttl_runs_out() -> None:
    token = RefreshToken.issue(7, "sha256-of-the-token", NOW, TTL)

    assert token.user_id == 7
    assert token.token_hash == "sha256-of-the-token"
    assert token.issued_at == NOW
    assert token.expires_at == NOW + TTL
    assert not token.is_revoked
    assert token.is_live(NOW)
    assert token.is_live(NOW + TTL - timedelta(microseconds=1))
    assert not token.is_expired(NOW + TTL - timedelta(microseconds=1))


def test_a_token_is_expired_from_the_instant_its_ttl_runs_out() -> None:
    token = RefreshToken.issue(7, "hash", NOW, TTL)

    assert token.is_expired(NOW + TTL)
    assert not token.is_live(NOW + TTL)
    assert token.is_expired(NOW + TTL + timedelta(seconds=1))


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-1)])
def test_a_token_needs_a_positive_ttl(ttl: timedelta) -> None:
    with pytest.raises(InvalidValue) as refused:
        RefreshToken.issue(7, "hash", NOW, ttl)

    assert refused.value.field == "ttl"


def test_a_revoked_token_is_no_longer_live_even_before_it_expires() -> None:
    token = RefreshToken.issue(7, "hash", NOW, TTL)
    revoked_at = NOW + timedelta(minutes=5)

    token.revoke(revoked_at)

    assert token.is_revoked
    assert token.revoked_at == revoked_at
    assert not token.is_expired(revoked_at)
    assert not token.is_live(revoked_at)


def test_reuse_within_the_grace_period_is_no_theft_and_after_it_is() -> None:
    grace = timedelta(seconds=10)
    token = RefreshToken.issue(7, "hash", NOW, TTL)
    token.revoke(NOW)

    assert not token.reuse_is_theft(NOW, grace)
    assert not token.reuse_is_theft(NOW + grace - timedelta(microseconds=1), grace)
    assert token.reuse_is_theft(NOW + grace, grace)
    assert token.reuse_is_theft(NOW, timedelta(0))


def test_a_token_that_is_not_revoked_is_no_reuse() -> None:
    token = RefreshToken.issue(7, "hash", NOW, TTL)

    assert not token.reuse_is_theft(NOW + TTL + timedelta(days=1), timedelta(0))


def test_revoking_twice_keeps_the_first_revocation_time() -> None:
    token = RefreshToken.issue(7, "hash", NOW, TTL)
    first = NOW + timedelta(minutes=5)

    token.revoke(first)
    token.revoke(first + timedelta(hours=1))

    assert token.revoked_at == first
    assert not token.is_live(first + timedelta(hours=1))
