"""The composition root: settings → adapters → use cases, built in one place.

The HTTP app and the CLI both take a Container, so tests and other entrypoints swap adapters
(memory or SQLAlchemy store, test or Stripe payments) here, without touching the core."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import procrastinate
from dependency_injector import containers, providers
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.caching.version_reads import SharedVersionReads
from adapters.caching.versioned_cache import VersionedCache
from adapters.email.file_mailer import FileMailer
from adapters.email.memory_mailer import MemoryMailer
from adapters.email.smtp_mailer import SmtpMailer, SmtpServer
from adapters.email.templates import JinjaMessageRenderer
from adapters.jobs.engine import EmbeddedConnector, postgres_connector
from adapters.jobs.queue import ProcrastinateDeliveryQueue
from adapters.memory.attempt_counter import MemoryAttemptCounter
from adapters.memory.catalogue_version import MemoryCatalogueVersion
from adapters.memory.probe import MemoryDatabaseProbe
from adapters.memory.queries import MemoryCatalogQueries, MemoryOrderQueries, MemoryUserQueries
from adapters.memory.staff_orders import MemoryStaffOrderQueries
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from adapters.payments.stripe_provider import StripePaymentProvider
from adapters.payments.stripe_webhooks import StripeWebhookVerifier
from adapters.redis.attempt_counter import RedisAttemptCounter
from adapters.redis.guard import RedisGuard
from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.jwt_tokens import JwtTokenService
from adapters.sqlalchemy.catalogue_version import sql_catalogue_version
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.probe import PROBE_TIMEOUT_SECONDS, SqlDatabaseProbe
from adapters.sqlalchemy.queries import SqlCatalogQueries, SqlOrderQueries, SqlUserQueries
from adapters.sqlalchemy.staff_orders import SqlStaffOrderQueries
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from adapters.system_clock import SystemClock
from application.cancel_order import CancelOrder
from application.cart import AddToCart, RemoveFromCart, SetShippingAddress, ViewCart
from application.catalog import ChangeStock, CreateProduct, UpdateProduct
from application.checkout import Checkout
from application.deliver_messages import DeliverMessage, HandOverAfterCommit, RelayDueMessages
from application.demo_catalogue import LoadDemoCatalogue
from application.email_verification import ResendVerificationEmail, VerifyEmail
from application.expire_pending_orders import ExpirePendingOrders
from application.fulfilment import DeliverOrder, ShipOrder
from application.idempotent_checkout import IdempotentCheckout
from application.outbox import RetryPolicy
from application.own_account import (
    Authenticate,
    LogIn,
    LogOut,
    RefreshSession,
    SessionIssuer,
    SignUp,
)
from application.passwords import ChangePassword, RequestPasswordReset, ResetPassword
from application.pay_for_order import PayForOrder
from application.ports import CacheProbe, CatalogueVersion, DatabaseProbe, PaymentProvider, WebhookVerifier
from application.queries import CatalogQueries, OrderQueries, ShopWindow, StaffOrderQueries, UserQueries
from application.rate_limits import LimitAuthAttempts
from application.refund_order import RefundOrder
from application.settle_payment import SettlePayment
from application.shop_window import StoredShopWindow
from application.staff_accounts import ChangeUserAccess, CreateAdmin
from domain.limits import PurchaseLimits
from entrypoints.http.page_cache import PAGE_CACHE_BYTES, StoredPage
from entrypoints.provides import Provides
from entrypoints.settings import AppEnv, PaymentProviderKind, Settings

RATE_LIMIT_REDIS_TIME_LIMIT_SECONDS = 0.25
"""How long a login waits for Redis before the rate limit counts in the process's memory."""
REDIS_COOLDOWN_SECONDS = 5.0
"""How long Redis is left alone after it failed or did not answer in time (a circuit breaker)."""


def _store_kind(settings: Settings) -> str:
    return "memory" if settings.uses_memory_store else "sqlalchemy"


def _counter_kind(settings: Settings) -> str:
    return "redis" if settings.redis_url else "memory"


def _redis(settings: Settings) -> Redis:
    """No command waits longer than CACHE_TIMEOUT_SECONDS, and none is retried: redis-py would
    otherwise retry three times with back-off, many times that bound on a hung Redis."""
    if settings.redis_url is None:
        raise ValueError("REDIS_URL is not set")
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.cache_timeout_seconds,
        socket_connect_timeout=settings.cache_timeout_seconds,
        retry=Retry(NoBackoff(), 0),
    )


def _redis_guard(settings: Settings) -> RedisGuard:
    return RedisGuard(
        time_limit=min(RATE_LIMIT_REDIS_TIME_LIMIT_SECONDS, settings.cache_timeout_seconds),
        cooldown=REDIS_COOLDOWN_SECONDS,
    )


def _catalogue_pages(version: CatalogueVersion, settings: Settings) -> VersionedCache[str, StoredPage] | None:
    """The public catalogue's pages, each kept only while the catalogue version it was read under
    is current, and at most CATALOG_CACHE_SECONDS; None when that is 0 (no page is kept)."""
    if settings.catalog_cache_seconds <= 0:
        return None
    return VersionedCache(
        SharedVersionReads(version),
        max_age=settings.catalog_cache_seconds,
        capacity=PAGE_CACHE_BYTES,
        weigh=StoredPage.weight,
        keep=StoredPage.worth_keeping,
        wait_at_most=settings.db_timeout_seconds,
    )


def _engine(settings: Settings) -> AsyncEngine:
    return create_engine(
        settings.database_url, pool_size=settings.db_pool_size, timeout_seconds=settings.db_timeout_seconds
    )


def _database_probe(engine: AsyncEngine, settings: Settings) -> SqlDatabaseProbe:
    return SqlDatabaseProbe(engine, min(PROBE_TIMEOUT_SECONDS, settings.db_timeout_seconds))


def _password_hasher(settings: Settings) -> Iterator[Argon2PasswordHasher]:
    # Tests hash thousands of passwords; the cheapest argon2id there keeps them fast. Everywhere
    # else argon2-cffi's defaults (RFC 9106's low-memory profile) apply.
    if settings.app_env is AppEnv.TEST:
        hasher = Argon2PasswordHasher(
            time_cost=1, memory_cost=8, parallelism=1, waiting=settings.password_hash_queue
        )
    else:
        hasher = Argon2PasswordHasher(waiting=settings.password_hash_queue)
    yield hasher
    hasher.close()


def _refresh_ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.refresh_token_ttl_seconds)


def _refresh_reuse_grace(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.refresh_reuse_grace_seconds)


def _time_to_pay(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.pending_order_ttl_seconds)


def _purchase_limits(settings: Settings) -> PurchaseLimits:
    return PurchaseLimits(
        max_quantity_per_line=settings.max_quantity_per_line,
        max_pending_orders=settings.max_pending_orders_per_user,
    )


def _payment_provider(settings: Settings) -> PaymentProvider:
    """Stripe, or the built-in provider that behaves like Stripe's test mode (see Settings)."""
    if settings.payment_provider is PaymentProviderKind.STRIPE:
        if not settings.stripe_secret_key:
            raise ValueError("the Stripe provider needs STRIPE_SECRET_KEY")
        return StripePaymentProvider(
            settings.stripe_secret_key,
            api_base=settings.stripe_api_base,
            timeout_seconds=settings.payment_timeout_seconds,
        )
    return BuiltInTestPaymentProvider()


def _password_reset_ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.password_reset_ttl_seconds)


def _uses_postgres(settings: Settings) -> bool:
    return settings.database_url.startswith("postgresql")


def _job_app(settings: Settings) -> procrastinate.App:
    """procrastinate on the shop's PostgreSQL, or in this process's memory (adapters.jobs.engine)."""
    if _uses_postgres(settings):
        connector: procrastinate.BaseConnector = postgres_connector(
            settings.database_url,
            pool_size=settings.worker_concurrency + 2,
            timeout_seconds=settings.db_timeout_seconds,
        )
    else:
        connector = EmbeddedConnector()
    return procrastinate.App(connector=connector)


def _hand_over(settings: Settings, queue: ProcrastinateDeliveryQueue) -> HandOverAfterCommit | None:
    """Messages go to the engine right after commit wherever a worker may take them: the shop's
    PostgreSQL, or this process when it runs the jobs. Otherwise the relay finds them."""
    if _uses_postgres(settings) or settings.runs_jobs_in_process:
        return HandOverAfterCommit(queue)
    return None


def _email_backend(settings: Settings) -> str:
    return settings.email_backend.value


def _smtp_server(settings: Settings) -> SmtpServer:
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        timeout_seconds=settings.smtp_timeout_seconds,
    )


def _retry_policy(settings: Settings) -> RetryPolicy:
    first_wait = timedelta(seconds=settings.outbox_retry_seconds)
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        first_wait=first_wait,
        max_wait=max(first_wait, timedelta(hours=1)),
        lease=timedelta(seconds=max(60.0, settings.smtp_timeout_seconds * 4)),
    )


class Container(containers.DeclarativeContainer):
    """Providers annotated `Provides[...]` are what entrypoints may ask for, by type (see
    entrypoints.provides): adding a use case is adding its provider here."""

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    engine = providers.Singleton(_engine, settings)
    memory_store = providers.Singleton(MemoryStore)
    job_app = providers.Singleton(_job_app, settings)
    delivery_queue = providers.Singleton(ProcrastinateDeliveryQueue, job_app)
    hand_over = providers.Singleton(_hand_over, settings, delivery_queue)
    unit_of_work = providers.Selector(
        providers.Callable(_store_kind, settings),
        sqlalchemy=providers.Factory(SqlUnitOfWork, engine, messages_committed=hand_over),
        memory=providers.Factory(MemoryUnitOfWork, memory_store, messages_committed=hand_over),
    )
    database_probe: Provides[DatabaseProbe] = providers.Selector(
        providers.Callable(_store_kind, settings),
        sqlalchemy=providers.Singleton(_database_probe, engine, settings),
        memory=providers.Singleton(MemoryDatabaseProbe),
    )
    redis = providers.Singleton(_redis, settings)
    redis_guard = providers.Singleton(_redis_guard, settings)
    memory_attempt_counter = providers.Singleton(MemoryAttemptCounter)
    redis_attempt_counter = providers.Singleton(RedisAttemptCounter, redis, redis_guard)
    attempt_counter = providers.Selector(
        providers.Callable(_counter_kind, settings),
        redis=redis_attempt_counter,
        memory=memory_attempt_counter,
    )
    cache_probe: Provides[CacheProbe | None] = providers.Selector(
        providers.Callable(_counter_kind, settings),
        redis=redis_attempt_counter,
        memory=providers.Object(None),
    )
    catalog_queries: Provides[CatalogQueries] = providers.Selector(
        providers.Callable(_store_kind, settings),
        sqlalchemy=providers.Singleton(SqlCatalogQueries, engine),
        memory=providers.Singleton(MemoryCatalogQueries, memory_store),
    )
    shop_window: Provides[ShopWindow] = providers.Singleton(StoredShopWindow, catalog_queries)
    catalogue_version = providers.Selector(
        providers.Callable(_store_kind, settings),
        sqlalchemy=providers.Singleton(sql_catalogue_version, engine),
        memory=providers.Singleton(MemoryCatalogueVersion, memory_store),
    )
    catalogue_pages = providers.Singleton(_catalogue_pages, catalogue_version, settings)
    order_queries: Provides[OrderQueries] = providers.Selector(
        providers.Callable(_store_kind, settings),
        sqlalchemy=providers.Singleton(SqlOrderQueries, engine),
        memory=providers.Singleton(MemoryOrderQueries, memory_store),
    )
    user_queries: Provides[UserQueries] = providers.Selector(
        providers.Callable(_store_kind, settings),
        sqlalchemy=providers.Singleton(SqlUserQueries, engine),
        memory=providers.Singleton(MemoryUserQueries, memory_store),
    )
    payment_provider = providers.Singleton(_payment_provider, settings)
    webhook_verifier: Provides[WebhookVerifier] = providers.Singleton(
        StripeWebhookVerifier, settings.provided.stripe_webhook_secret
    )
    password_hasher = providers.Resource(_password_hasher, settings)
    tokens = providers.Singleton(
        JwtTokenService,
        secret=settings.provided.jwt_secret,
        access_token_ttl_seconds=settings.provided.access_token_ttl_seconds,
    )
    sessions = providers.Singleton(
        SessionIssuer,
        tokens=tokens,
        clock=clock,
        refresh_token_ttl=providers.Callable(_refresh_ttl, settings),
    )

    sign_up: Provides[SignUp] = providers.Singleton(
        SignUp, uow=unit_of_work.provider, hasher=password_hasher, clock=clock
    )
    log_in: Provides[LogIn] = providers.Singleton(
        LogIn, uow=unit_of_work.provider, hasher=password_hasher, sessions=sessions
    )
    refresh_session: Provides[RefreshSession] = providers.Singleton(
        RefreshSession,
        uow=unit_of_work.provider,
        tokens=tokens,
        sessions=sessions,
        clock=clock,
        reuse_grace=providers.Callable(_refresh_reuse_grace, settings),
    )
    log_out: Provides[LogOut] = providers.Singleton(
        LogOut, uow=unit_of_work.provider, tokens=tokens, clock=clock
    )
    authenticate: Provides[Authenticate] = providers.Singleton(
        Authenticate, users=user_queries, tokens=tokens
    )
    create_admin: Provides[CreateAdmin] = providers.Singleton(
        CreateAdmin, uow=unit_of_work.provider, hasher=password_hasher, clock=clock
    )
    limit_auth_attempts: Provides[LimitAuthAttempts] = providers.Singleton(
        LimitAuthAttempts,
        counter=attempt_counter,
        fallback=memory_attempt_counter,
        per_minute=settings.provided.auth_rate_limit,
    )
    change_password: Provides[ChangePassword] = providers.Singleton(
        ChangePassword, uow=unit_of_work.provider, hasher=password_hasher, sessions=sessions, clock=clock
    )
    request_password_reset: Provides[RequestPasswordReset] = providers.Singleton(
        RequestPasswordReset,
        uow=unit_of_work.provider,
        clock=clock,
        ttl=providers.Callable(_password_reset_ttl, settings),
    )
    reset_password: Provides[ResetPassword] = providers.Singleton(
        ResetPassword, uow=unit_of_work.provider, hasher=password_hasher, clock=clock
    )
    verify_email: Provides[VerifyEmail] = providers.Singleton(
        VerifyEmail, uow=unit_of_work.provider, clock=clock
    )
    resend_verification_email: Provides[ResendVerificationEmail] = providers.Singleton(
        ResendVerificationEmail, uow=unit_of_work.provider, clock=clock
    )
    change_user_access: Provides[ChangeUserAccess] = providers.Singleton(
        ChangeUserAccess, uow=unit_of_work.provider, clock=clock
    )
    create_product: Provides[CreateProduct] = providers.Singleton(
        CreateProduct, uow=unit_of_work.provider, clock=clock
    )
    update_product: Provides[UpdateProduct] = providers.Singleton(UpdateProduct, uow=unit_of_work.provider)
    change_stock: Provides[ChangeStock] = providers.Singleton(ChangeStock, uow=unit_of_work.provider)
    load_demo_catalogue: Provides[LoadDemoCatalogue] = providers.Singleton(
        LoadDemoCatalogue, uow=unit_of_work.provider, clock=clock
    )
    view_cart: Provides[ViewCart] = providers.Singleton(
        ViewCart, uow=unit_of_work.provider, shipping=settings.provided.shipping_rates
    )
    purchase_limits = providers.Singleton(_purchase_limits, settings)
    add_to_cart: Provides[AddToCart] = providers.Singleton(
        AddToCart,
        uow=unit_of_work.provider,
        clock=clock,
        limits=purchase_limits,
        shipping=settings.provided.shipping_rates,
    )
    remove_from_cart: Provides[RemoveFromCart] = providers.Singleton(
        RemoveFromCart, uow=unit_of_work.provider, clock=clock, shipping=settings.provided.shipping_rates
    )
    checkout: Provides[Checkout] = providers.Singleton(
        Checkout,
        uow=unit_of_work.provider,
        provider=payment_provider,
        clock=clock,
        currency=settings.provided.currency,
        limits=purchase_limits,
        shipping=settings.provided.shipping_rates,
        require_verified_email=settings.provided.require_verified_email,
    )
    idempotent_checkout: Provides[IdempotentCheckout] = providers.Singleton(
        IdempotentCheckout, checkout=checkout, uow=unit_of_work.provider, clock=clock
    )
    settle_payment: Provides[SettlePayment] = providers.Singleton(
        SettlePayment, uow=unit_of_work.provider, provider=payment_provider, clock=clock
    )
    refund_order: Provides[RefundOrder] = providers.Singleton(
        RefundOrder, uow=unit_of_work.provider, provider=payment_provider, clock=clock
    )
    expire_pending_orders: Provides[ExpirePendingOrders] = providers.Singleton(
        ExpirePendingOrders,
        uow=unit_of_work.provider,
        provider=payment_provider,
        clock=clock,
        time_to_pay=providers.Callable(_time_to_pay, settings),
    )
    set_shipping_address: Provides[SetShippingAddress] = providers.Singleton(
        SetShippingAddress, uow=unit_of_work.provider, clock=clock, shipping=settings.provided.shipping_rates
    )
    staff_order_queries: Provides[StaffOrderQueries] = providers.Selector(
        providers.Callable(_store_kind, settings),
        sqlalchemy=providers.Singleton(SqlStaffOrderQueries, engine),
        memory=providers.Singleton(MemoryStaffOrderQueries, memory_store),
    )
    ship_order: Provides[ShipOrder] = providers.Singleton(ShipOrder, uow=unit_of_work.provider, clock=clock)
    deliver_order: Provides[DeliverOrder] = providers.Singleton(
        DeliverOrder, uow=unit_of_work.provider, clock=clock
    )
    cancel_order: Provides[CancelOrder] = providers.Singleton(
        CancelOrder, uow=unit_of_work.provider, provider=payment_provider, clock=clock
    )
    pay_for_order: Provides[PayForOrder] = providers.Singleton(
        PayForOrder, uow=unit_of_work.provider, provider=payment_provider, clock=clock
    )

    message_renderer = providers.Singleton(JinjaMessageRenderer, settings.provided.shop_url)
    memory_mailer = providers.Singleton(MemoryMailer)
    mailer = providers.Selector(
        providers.Callable(_email_backend, settings),
        file=providers.Singleton(FileMailer, settings.provided.mail_dir, settings.provided.email_from),
        smtp=providers.Singleton(
            SmtpMailer, providers.Callable(_smtp_server, settings), settings.provided.email_from
        ),
        memory=memory_mailer,
    )
    retry_policy = providers.Singleton(_retry_policy, settings)
    deliver_message: Provides[DeliverMessage] = providers.Singleton(
        DeliverMessage,
        uow=unit_of_work.provider,
        renderer=message_renderer,
        mailer=mailer,
        queue=delivery_queue,
        clock=clock,
        policy=retry_policy,
    )
    relay_due_messages: Provides[RelayDueMessages] = providers.Singleton(
        RelayDueMessages, uow=unit_of_work.provider, queue=delivery_queue, clock=clock
    )


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)


async def close_container(container: Container) -> None:
    """Release what the container opened: the connection pool, Redis and the hashing threads."""
    settings = container.settings()
    if not settings.uses_memory_store:
        await container.catalogue_version().close()
        await container.engine().dispose()
    if settings.redis_url:
        await container.redis().aclose()
    provider = container.payment_provider()
    if isinstance(provider, StripePaymentProvider):
        await provider.aclose()
    container.shutdown_resources()
