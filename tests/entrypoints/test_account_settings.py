"""PASSWORD_RESET_TTL_SECONDS and REQUIRE_VERIFIED_EMAIL, as the contract sets them."""

from __future__ import annotations

import pytest

from entrypoints.settings import ConfigurationError, Settings

STRONG = "s" * 32


def test_reset_links_work_30_minutes_and_verification_is_not_required_by_default() -> None:
    settings = Settings.from_mapping({"JWT_SECRET": STRONG})

    assert settings.password_reset_ttl_seconds == 1800
    assert settings.require_verified_email is False


def test_both_are_read_from_the_environment() -> None:
    settings = Settings.from_mapping(
        {"JWT_SECRET": STRONG, "PASSWORD_RESET_TTL_SECONDS": "3600", "REQUIRE_VERIFIED_EMAIL": "true"}
    )

    assert (settings.password_reset_ttl_seconds, settings.require_verified_email) == (3600, True)


@pytest.mark.parametrize(
    ("name", "value"), [("PASSWORD_RESET_TTL_SECONDS", "0"), ("REQUIRE_VERIFIED_EMAIL", "perhaps")]
)
def test_bad_values_are_named_in_the_error(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_mapping({"JWT_SECRET": STRONG, name: value})
