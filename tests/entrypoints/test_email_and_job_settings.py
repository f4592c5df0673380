"""The email and job settings: development writes files, tests keep messages in memory, production
sends over SMTP and refuses anything that would silently send nothing."""

from __future__ import annotations

import pytest

from entrypoints.settings import ConfigurationError, EmailBackend, JobsInProcess, Settings

STRONG = "s" * 32
PRODUCTION = {"APP_ENV": "production", "JWT_SECRET": STRONG, "PAYMENT_PROVIDER": "test"}


@pytest.mark.parametrize(
    ("app_env", "backend"),
    [("development", EmailBackend.FILE), ("test", EmailBackend.MEMORY), ("production", EmailBackend.SMTP)],
)
def test_each_environment_has_its_email_backend(app_env: str, backend: EmailBackend) -> None:
    settings = Settings.from_mapping({**PRODUCTION, "APP_ENV": app_env})

    assert settings.email_backend is backend


@pytest.mark.parametrize("backend", ["file", "memory"])
def test_production_refuses_a_backend_that_sends_nothing(backend: str) -> None:
    with pytest.raises(ConfigurationError, match=f"EMAIL_BACKEND={backend}") as refused:
        Settings.from_mapping({**PRODUCTION, "EMAIL_BACKEND": backend})

    assert "EMAIL_BACKEND=smtp" in str(refused.value)
    assert "SMTP_HOST" in str(refused.value)


def test_smtp_settings_are_read_and_starttls_is_on_once_there_is_a_password() -> None:
    settings = Settings.from_mapping(
        {
            **PRODUCTION,
            "EMAIL_BACKEND": "SMTP",
            "SMTP_HOST": "mail.example.com",
            "SMTP_PORT": "587",
            "SMTP_USERNAME": "shop",
            "SMTP_PASSWORD": "secret",
            "EMAIL_FROM": "Bookshop <orders@example.com>",
            "SHOP_URL": "https://shop.example.com/",
        }
    )

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_username) == (
        "mail.example.com",
        587,
        "shop",
    )
    assert settings.smtp_starttls is True
    assert settings.email_from == "Bookshop <orders@example.com>"
    assert settings.shop_url == "https://shop.example.com"


def test_starttls_can_be_turned_off_explicitly_and_is_off_without_a_password() -> None:
    assert Settings.from_mapping({"APP_ENV": "test"}).smtp_starttls is False
    assert (
        Settings.from_mapping(
            {"APP_ENV": "test", "SMTP_USERNAME": "u", "SMTP_STARTTLS": "false"}
        ).smtp_starttls
        is False
    )
    assert Settings.from_mapping({"APP_ENV": "test", "SMTP_STARTTLS": "true"}).smtp_starttls is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EMAIL_BACKEND", "carrier-pigeon"),
        ("SMTP_STARTTLS", "maybe"),
        ("SMTP_PORT", "smtp"),
        ("SHOP_URL", "shop.example.com"),
        ("RUN_JOBS_IN_PROCESS", "sometimes"),
        ("OUTBOX_MAX_ATTEMPTS", "0"),
        ("OUTBOX_RETRY_SECONDS", "-1"),
    ],
)
def test_a_value_that_makes_no_sense_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_mapping({"APP_ENV": "test", name: value})


@pytest.mark.parametrize(
    ("app_env", "url", "setting", "in_process"),
    [
        ("development", "sqlite:///var/shop.db", None, True),
        ("development", "memory://", None, True),
        ("production", "sqlite:///var/shop.db", None, True),
        ("development", "postgresql://db/shop", None, False),
        ("production", "postgresql://db/shop", None, False),
        ("test", "sqlite:///var/shop.db", None, False),
        ("production", "postgresql://db/shop", "true", True),
        ("development", "sqlite:///var/shop.db", "false", False),
    ],
)
def test_serve_runs_the_jobs_itself_with_the_embedded_store_unless_told(
    app_env: str, url: str, setting: str | None, in_process: bool
) -> None:
    values = {**PRODUCTION, "APP_ENV": app_env, "DATABASE_URL": url}
    if setting is not None:
        values["RUN_JOBS_IN_PROCESS"] = setting

    settings = Settings.from_mapping(values)

    assert settings.runs_jobs_in_process is in_process
    assert settings.run_jobs_in_process is JobsInProcess(setting or "auto")
