"""Configuration from the environment and an optional `.env` file (see `.env.example`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypedDict, TypeVar

from dotenv import dotenv_values

from domain.errors import InvalidValue
from domain.shipping import DEFAULT_SHIPPING_RATES, ShippingRates

MIN_PRODUCTION_SECRET_BYTES = 32
C = TypeVar("C", bound=StrEnum)
MEMORY_DATABASE_URL = "memory://"
"""DATABASE_URL that keeps everything in process memory: for tests and throw-away demos only."""


class ConfigurationError(Exception):
    """The configuration is unusable; the message says which variable and why."""


class AppEnv(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class PaymentProviderKind(StrEnum):
    STRIPE = "stripe"
    TEST = "test"


class EmailBackend(StrEnum):
    FILE = "file"
    SMTP = "smtp"
    MEMORY = "memory"


class JobsInProcess(StrEnum):
    AUTO = "auto"
    """In process with the embedded SQLite (or memory://) store, outside of tests; with PostgreSQL,
    `bookshop worker` runs them."""
    TRUE = "true"
    FALSE = "false"


DEVELOPMENT_WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 - the contract's public development default


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    app_env: AppEnv = AppEnv.DEVELOPMENT
    database_url: str
    jwt_secret: str
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    auth_rate_limit: int = 20
    redis_url: str | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str = DEVELOPMENT_WEBHOOK_SECRET
    stripe_api_base: str | None = None
    payment_provider: PaymentProviderKind = PaymentProviderKind.TEST
    """Stripe when STRIPE_SECRET_KEY is set, else the built-in test provider; PAYMENT_PROVIDER picks
    explicitly (and is the only way to run the test provider in production)."""
    currency: str = "usd"
    pending_order_ttl_seconds: int = 900
    max_pending_orders_per_user: int = 2
    max_quantity_per_line: int = 10
    refresh_reuse_grace_seconds: int = 10
    db_timeout_seconds: float = 5.0
    """Longest wait for the database: connecting, taking a pooled connection, one statement."""
    cache_timeout_seconds: float = 5.0
    """Longest wait for Redis on a request that needs it (the rate limit answers sooner, see
    application.rate_limits)."""
    payment_timeout_seconds: float = 15.0
    """Longest wait for the payment provider."""
    password_hash_queue: int = 8
    """Password hashes waiting per process; a login beyond that is answered 503 at once."""
    worker_healthcheck_timeout_seconds: int = 30
    """How long uvicorn's supervisor waits for a worker's health check before killing it."""
    db_pool_size: int = 20
    catalog_cache_seconds: int = 10
    """The longest each worker keeps a public catalogue page. A page is served only while no
    catalogue write has completed since it was read (see adapters.caching.versioned_cache), so this
    is not how stale a page may be: it only bounds how long one could be outdated if a process
    died between a write's commit and moving the catalogue version on. 0: no page is kept."""
    forwarded_allow_ips: str | None = None
    """Addresses of the load balancers whose X-Forwarded-For is trusted (uvicorn's setting); unset,
    the peer address is the client address, which is what the auth rate limit counts."""
    shipping_rates: ShippingRates = DEFAULT_SHIPPING_RATES
    """SHIPPING_RATES (flat price per order by country, `*` for every other) and
    FREE_SHIPPING_OVER_CENTS."""
    email_backend: EmailBackend = EmailBackend.FILE
    """`file` in development, `memory` under APP_ENV=test, `smtp` in production (which refuses
    the other two)."""
    email_from: str = "Bookshop <shop@localhost>"
    shop_url: str = "http://127.0.0.1:8000"
    """The shop as its customers reach it: links in emails start with it."""
    mail_dir: Path = Path("var/mail")
    """Where EMAIL_BACKEND=file writes one .eml per message."""
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    run_jobs_in_process: JobsInProcess = JobsInProcess.AUTO
    outbox_max_attempts: int = 8
    outbox_retry_seconds: float = 30.0
    """The wait after a message's first failed attempt; it doubles after each, up to an hour."""
    worker_concurrency: int = 4
    """Jobs one `bookshop worker` (or the in-process worker) runs at once."""
    password_reset_ttl_seconds: int = 1800
    """How long a password-reset link works."""
    require_verified_email: bool = False
    """Checkout refuses (403) a customer whose address is not verified."""

    @property
    def runs_jobs_in_process(self) -> bool:
        """Whether `bookshop serve` runs the background jobs itself (see JobsInProcess)."""
        if self.run_jobs_in_process is JobsInProcess.AUTO:
            return not self.database_url.startswith("postgresql") and self.app_env is not AppEnv.TEST
        return self.run_jobs_in_process is JobsInProcess.TRUE

    @property
    def uses_memory_store(self) -> bool:
        return self.database_url == MEMORY_DATABASE_URL

    @property
    def is_production(self) -> bool:
        return self.app_env is AppEnv.PRODUCTION

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Real environment variables win over the `.env` file."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Settings:
        reader = _Reader(values)
        app_env = reader.app_env()
        return cls(
            app_env=app_env,
            database_url=normalize_database_url(reader.text("DATABASE_URL") or default_database_url()),
            jwt_secret=_jwt_secret(reader.text("JWT_SECRET"), app_env),
            access_token_ttl_seconds=reader.integer("ACCESS_TOKEN_TTL_SECONDS", 900, minimum=1),
            refresh_token_ttl_seconds=reader.integer("REFRESH_TOKEN_TTL_SECONDS", 14 * 24 * 3600, minimum=1),
            auth_rate_limit=reader.integer("AUTH_RATE_LIMIT", 20, minimum=0),
            redis_url=reader.text("REDIS_URL"),
            stripe_secret_key=reader.text("STRIPE_SECRET_KEY"),
            stripe_webhook_secret=reader.text("STRIPE_WEBHOOK_SECRET") or DEVELOPMENT_WEBHOOK_SECRET,
            stripe_api_base=reader.text("STRIPE_API_BASE"),
            payment_provider=_payment_provider(reader, app_env),
            currency=_currency(reader.text("CURRENCY") or "usd"),
            pending_order_ttl_seconds=reader.integer("PENDING_ORDER_TTL_SECONDS", 900, minimum=1),
            max_pending_orders_per_user=reader.integer("MAX_PENDING_ORDERS_PER_USER", 2, minimum=1),
            max_quantity_per_line=reader.integer("MAX_QUANTITY_PER_LINE", 10, minimum=1),
            refresh_reuse_grace_seconds=reader.integer("REFRESH_REUSE_GRACE_SECONDS", 10, minimum=0),
            db_timeout_seconds=reader.seconds("DB_TIMEOUT_SECONDS", 5.0),
            cache_timeout_seconds=reader.seconds("CACHE_TIMEOUT_SECONDS", 5.0),
            payment_timeout_seconds=reader.seconds("PAYMENT_TIMEOUT_SECONDS", 15.0),
            password_hash_queue=reader.integer("PASSWORD_HASH_QUEUE", 8, minimum=1),
            worker_healthcheck_timeout_seconds=reader.integer(
                "WORKER_HEALTHCHECK_TIMEOUT_SECONDS", 30, minimum=1
            ),
            db_pool_size=reader.integer("DB_POOL_SIZE", 20, minimum=1),
            forwarded_allow_ips=reader.text("FORWARDED_ALLOW_IPS"),
            catalog_cache_seconds=reader.integer("CATALOG_CACHE_SECONDS", 10, minimum=0),
            shipping_rates=_shipping_rates(reader),
            **_email_settings(reader, app_env),
            run_jobs_in_process=reader.choice("RUN_JOBS_IN_PROCESS", JobsInProcess, JobsInProcess.AUTO),
            outbox_max_attempts=reader.integer("OUTBOX_MAX_ATTEMPTS", 8, minimum=1),
            outbox_retry_seconds=reader.seconds("OUTBOX_RETRY_SECONDS", 30.0),
            worker_concurrency=reader.integer("WORKER_CONCURRENCY", 4, minimum=1),
            password_reset_ttl_seconds=reader.integer("PASSWORD_RESET_TTL_SECONDS", 1800, minimum=60),
            require_verified_email=reader.boolean("REQUIRE_VERIFIED_EMAIL", False),
        )


class _Reader:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def text(self, name: str) -> str | None:
        value = self._values.get(name, "").strip()
        return value or None

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
        return value

    def seconds(self, name: str, default: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a number of seconds, got {raw!r}") from None
        if not 0 < value < float("inf"):
            raise ConfigurationError(f"{name} must be more than 0 seconds, got {raw!r}")
        return value

    def choice(self, name: str, choices: type[C], default: C) -> C:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return choices(raw.lower())
        except ValueError:
            allowed = ", ".join(choice.value for choice in choices)
            raise ConfigurationError(f"{name} must be one of {allowed}, got {raw!r}") from None

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigurationError(f"{name} must be true or false, got {raw!r}")

    def app_env(self) -> AppEnv:
        raw = (self.text("APP_ENV") or AppEnv.DEVELOPMENT.value).lower()
        try:
            return AppEnv(raw)
        except ValueError:
            choices = ", ".join(env.value for env in AppEnv)
            raise ConfigurationError(f"APP_ENV must be one of {choices}, got {raw!r}") from None


class _EmailValues(TypedDict):
    email_backend: EmailBackend
    email_from: str
    shop_url: str
    mail_dir: Path
    smtp_host: str
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    smtp_timeout_seconds: float


def _email_settings(reader: _Reader, app_env: AppEnv) -> _EmailValues:
    """Production sends over SMTP only (to SMTP_HOST, a local mail server by default): a message
    written to a file or kept in memory would silently never reach the customer."""
    default = {
        AppEnv.DEVELOPMENT: EmailBackend.FILE,
        AppEnv.TEST: EmailBackend.MEMORY,
        AppEnv.PRODUCTION: EmailBackend.SMTP,
    }[app_env]
    backend = reader.choice("EMAIL_BACKEND", EmailBackend, default)
    if app_env is AppEnv.PRODUCTION and backend is not EmailBackend.SMTP:
        raise ConfigurationError(
            f"EMAIL_BACKEND={backend.value} does not send anything, so production refuses it: set "
            "EMAIL_BACKEND=smtp with SMTP_HOST (and SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_STARTTLS)"
        )
    shop_url = (reader.text("SHOP_URL") or "http://127.0.0.1:8000").rstrip("/")
    if not shop_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"SHOP_URL must start with http:// or https://, got {shop_url!r}")
    username = reader.text("SMTP_USERNAME")
    return {
        "email_backend": backend,
        "email_from": reader.text("EMAIL_FROM") or "Bookshop <shop@localhost>",
        "shop_url": shop_url,
        "mail_dir": Path(reader.text("EMAIL_FILE_DIR") or "var/mail"),
        "smtp_host": reader.text("SMTP_HOST") or "localhost",
        "smtp_port": reader.integer("SMTP_PORT", 25, minimum=1),
        "smtp_username": username,
        "smtp_password": reader.text("SMTP_PASSWORD"),
        # A password is never sent in the clear unless the operator says so.
        "smtp_starttls": reader.boolean("SMTP_STARTTLS", username is not None),
        "smtp_timeout_seconds": reader.seconds("SMTP_TIMEOUT_SECONDS", 10.0),
    }


def _payment_provider(reader: _Reader, app_env: AppEnv) -> PaymentProviderKind:
    """Production never takes test payments by accident: without a Stripe key, or with the public
    development webhook secret, it refuses to start unless PAYMENT_PROVIDER=test says it is meant."""
    raw = reader.text("PAYMENT_PROVIDER")
    if raw is not None:
        try:
            chosen = PaymentProviderKind(raw.lower())
        except ValueError:
            choices = ", ".join(kind.value for kind in PaymentProviderKind)
            raise ConfigurationError(f"PAYMENT_PROVIDER must be one of {choices}, got {raw!r}") from None
    else:
        chosen = PaymentProviderKind.STRIPE if reader.text("STRIPE_SECRET_KEY") else PaymentProviderKind.TEST
    if chosen is PaymentProviderKind.STRIPE and not reader.text("STRIPE_SECRET_KEY"):
        raise ConfigurationError("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY")
    if app_env is not AppEnv.PRODUCTION or (raw is not None and chosen is PaymentProviderKind.TEST):
        return chosen
    if chosen is PaymentProviderKind.TEST:
        raise ConfigurationError(
            "STRIPE_SECRET_KEY is required in production (the built-in test provider takes test cards "
            "as paid); set PAYMENT_PROVIDER=test to run a demo shop on purpose"
        )
    if (reader.text("STRIPE_WEBHOOK_SECRET") or DEVELOPMENT_WEBHOOK_SECRET) == DEVELOPMENT_WEBHOOK_SECRET:
        raise ConfigurationError(
            "STRIPE_WEBHOOK_SECRET must be set to your endpoint's secret in production "
            "(the development default is public: anyone could forge payments)"
        )
    return chosen


def default_database_url() -> str:
    """An SQLite file under ./var/, the embedded default."""
    return f"sqlite+aiosqlite:///{Path.cwd() / 'var' / 'bookshop.db'}"


def normalize_database_url(url: str) -> str:
    """Accept the URLs operators usually have (postgres://, postgresql://, sqlite://) and pick the
    async driver this app runs on."""
    for prefix, async_prefix in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(prefix):
            return async_prefix + url[len(prefix) :]
    if url == MEMORY_DATABASE_URL or url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigurationError("DATABASE_URL must be a PostgreSQL or SQLite URL (or memory:// for tests)")


def _jwt_secret(secret: str | None, app_env: AppEnv) -> str:
    if app_env is AppEnv.PRODUCTION:
        if secret is None or len(secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
            raise ConfigurationError(
                f"JWT_SECRET must be set to at least {MIN_PRODUCTION_SECRET_BYTES} bytes in production"
            )
        return secret
    if secret is not None:
        return secret
    if app_env is AppEnv.TEST:
        return secrets.token_urlsafe(32)
    return _development_secret(Path.cwd() / "var" / "dev-jwt-secret")


def _development_secret(path: Path) -> str:
    """A random secret made once per checkout and kept under ./var/ (ignored by git), so tokens
    survive a restart and are shared by every worker, without a secret in the repository."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
        path.chmod(0o600)
    except FileExistsError:
        pass
    return path.read_text(encoding="utf-8").strip()


def _currency(code: str) -> str:
    code = code.strip().lower()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ConfigurationError(f"CURRENCY must be a three-letter ISO code, got {code!r}")
    return code


def _shipping_rates(reader: _Reader) -> ShippingRates:
    """SHIPPING_RATES such as `GB:399,IE:599,*:999` (default `*:499`); FREE_SHIPPING_OVER_CENTS unset
    means shipping is never free."""
    raw = reader.text("SHIPPING_RATES")
    free_over = reader.text("FREE_SHIPPING_OVER_CENTS")
    free_over_cents = None if free_over is None else reader.integer("FREE_SHIPPING_OVER_CENTS", 0, minimum=1)
    try:
        if raw is None:
            return ShippingRates(
                by_country=DEFAULT_SHIPPING_RATES.by_country,
                every_other_country=DEFAULT_SHIPPING_RATES.every_other_country,
                free_over_cents=free_over_cents,
            )
        return ShippingRates.parse(raw, free_over_cents=free_over_cents)
    except InvalidValue as error:
        raise ConfigurationError(f"{error.field}: {error.message}") from None
