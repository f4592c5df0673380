from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import AppEnv, ConfigurationError, PaymentProviderKind, Settings

STRONG = "s" * 32


def test_production_refuses_to_start_without_a_jwt_secret() -> None:
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        Settings.from_mapping({"APP_ENV": "production", "DATABASE_URL": "postgresql://db/shop"})


def test_production_refuses_a_short_jwt_secret() -> None:
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        Settings.from_mapping({"APP_ENV": "production", "JWT_SECRET": "s" * 31})


def test_production_accepts_a_32_byte_secret() -> None:
    settings = Settings.from_mapping(
        {"APP_ENV": "production", "JWT_SECRET": STRONG, "PAYMENT_PROVIDER": "test"}
    )

    assert settings.is_production
    assert settings.jwt_secret == STRONG


def test_development_without_a_secret_keeps_one_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    first = Settings.from_mapping({})
    second = Settings.from_mapping({})

    assert first.app_env is AppEnv.DEVELOPMENT
    assert len(first.jwt_secret) >= 32
    assert first.jwt_secret == second.jwt_secret  # every worker and restart signs alike
    assert (tmp_path / "var" / "dev-jwt-secret").stat().st_mode & 0o077 == 0


def test_defaults_follow_the_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    settings = Settings.from_mapping({"JWT_SECRET": STRONG})

    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'bookshop.db'}"
    assert settings.access_token_ttl_seconds == 900
    assert settings.refresh_token_ttl_seconds == 14 * 24 * 3600
    assert settings.auth_rate_limit == 20
    assert settings.currency == "usd"
    assert settings.pending_order_ttl_seconds == 900
    assert settings.max_pending_orders_per_user == 2
    assert settings.max_quantity_per_line == 10
    assert settings.refresh_reuse_grace_seconds == 10
    assert settings.stripe_webhook_secret == "whsec_test_secret"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///shop.db", "sqlite+aiosqlite:///shop.db"),
    ],
)
def test_database_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert Settings.from_mapping({"JWT_SECRET": STRONG, "DATABASE_URL": given}).database_url == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCESS_TOKEN_TTL_SECONDS", "soon"),
        ("ACCESS_TOKEN_TTL_SECONDS", "0"),
        ("AUTH_RATE_LIMIT", "-1"),
        ("CURRENCY", "dollars"),
        ("APP_ENV", "staging"),
        ("DATABASE_URL", "mysql://h/db"),
    ],
)
def test_bad_values_are_named_in_the_error(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_mapping({"JWT_SECRET": STRONG, name: value})


def test_the_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("JWT_SECRET=from-the-file-0123456789abcdefghijkl\nCURRENCY=eur\n")

    settings = Settings.from_env({"CURRENCY": "gbp"}, env_file=env_file)

    assert settings.jwt_secret == "from-the-file-0123456789abcdefghijkl"
    assert settings.currency == "gbp"


def test_the_example_env_file_lists_every_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    names = {line.split("=", 1)[0].lstrip("# ") for line in example.splitlines() if "=" in line}

    assert {
        "DATABASE_URL",
        "JWT_SECRET",
        "ACCESS_TOKEN_TTL_SECONDS",
        "REFRESH_TOKEN_TTL_SECONDS",
        "AUTH_RATE_LIMIT",
        "REDIS_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "CURRENCY",
        "PENDING_ORDER_TTL_SECONDS",
        "APP_ENV",
    } <= names


PRODUCTION = {"APP_ENV": "production", "JWT_SECRET": STRONG}


def test_production_refuses_the_test_payment_provider_by_default() -> None:
    with pytest.raises(ConfigurationError, match="STRIPE_SECRET_KEY") as refused:
        Settings.from_mapping(PRODUCTION)

    assert "PAYMENT_PROVIDER=test" in str(refused.value)


@pytest.mark.parametrize("webhook_secret", [None, "whsec_test_secret"])
def test_production_refuses_stripe_with_the_public_development_webhook_secret(
    webhook_secret: str | None,
) -> None:
    values = {**PRODUCTION, "STRIPE_SECRET_KEY": "sk_live_x"}
    if webhook_secret is not None:
        values["STRIPE_WEBHOOK_SECRET"] = webhook_secret

    with pytest.raises(ConfigurationError, match="STRIPE_WEBHOOK_SECRET"):
        Settings.from_mapping(values)


def test_production_runs_stripe_with_a_real_webhook_secret() -> None:
    settings = Settings.from_mapping(
        {**PRODUCTION, "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_real"}
    )

    assert settings.payment_provider is PaymentProviderKind.STRIPE


def test_production_runs_the_test_provider_only_when_asked_explicitly() -> None:
    settings = Settings.from_mapping({**PRODUCTION, "PAYMENT_PROVIDER": "test"})

    assert settings.payment_provider is PaymentProviderKind.TEST
    assert settings.stripe_webhook_secret == "whsec_test_secret"


def test_stripe_chosen_explicitly_needs_a_key() -> None:
    with pytest.raises(ConfigurationError, match="STRIPE_SECRET_KEY"):
        Settings.from_mapping({"PAYMENT_PROVIDER": "stripe", "JWT_SECRET": STRONG})


def test_an_unknown_payment_provider_is_named() -> None:
    with pytest.raises(ConfigurationError, match="PAYMENT_PROVIDER"):
        Settings.from_mapping({"PAYMENT_PROVIDER": "paypal", "JWT_SECRET": STRONG})


@pytest.mark.parametrize("raw", ["0", "-1", "soon", "inf", "nan"])
def test_timeouts_must_be_positive_numbers(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="DB_TIMEOUT_SECONDS"):
        Settings.from_mapping({"DB_TIMEOUT_SECONDS": raw, "JWT_SECRET": STRONG})


def test_shipping_defaults_to_499_everywhere_and_never_free() -> None:
    rates = Settings.from_mapping({"JWT_SECRET": STRONG}).shipping_rates

    assert (rates.price_for("GB", 0), rates.price_for("JP", 10**9), rates.free_over_cents) == (499, 499, None)


def test_shipping_rates_and_the_free_threshold_are_read() -> None:
    rates = Settings.from_mapping(
        {"JWT_SECRET": STRONG, "SHIPPING_RATES": "GB:399,IE:599,*:999", "FREE_SHIPPING_OVER_CENTS": "5000"}
    ).shipping_rates

    assert (rates.price_for("GB", 4999), rates.price_for("IE", 1), rates.price_for("FR", 1)) == (
        399,
        599,
        999,
    )
    assert rates.price_for("FR", 5000) == 0


def test_a_free_threshold_applies_to_the_default_rates_too() -> None:
    rates = Settings.from_mapping({"JWT_SECRET": STRONG, "FREE_SHIPPING_OVER_CENTS": "3000"}).shipping_rates

    assert (rates.price_for("GB", 2999), rates.price_for("GB", 3000)) == (499, 0)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("SHIPPING_RATES", "GB=399", "not COUNTRY:CENTS"),
        ("SHIPPING_RATES", "GB:-1", "not COUNTRY:CENTS"),
        ("SHIPPING_RATES", "UK:399", "'UK' is not an ISO 3166-1 alpha-2 country code"),
        ("SHIPPING_RATES", "GB:399,GB:499", "gives GB twice"),
        ("SHIPPING_RATES", ",", "names no country"),
        ("FREE_SHIPPING_OVER_CENTS", "0", "at least 1"),
        ("FREE_SHIPPING_OVER_CENTS", "lots", "whole number"),
    ],
)
def test_bad_shipping_settings_refuse_to_start(name: str, raw: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{name}.*{message}"):
        Settings.from_mapping({"JWT_SECRET": STRONG, name: raw})
