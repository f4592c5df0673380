"""The `bookshop` command as an operator runs it: a real process, a real database file."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from entrypoints.container import build_container, close_container
from entrypoints.settings import Settings
from tests.databases import sqlite_url
from tests.unit.builders import ADDRESS

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _bookshop(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "entrypoints.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": sqlite_url(tmp_path / "var" / "shop.db"),
        "JWT_SECRET": "cli-test-secret-0123456789abcdefghijklmnop",
    }


def test_db_upgrade_creates_the_database_and_is_repeatable(env: dict[str, str], tmp_path: Path) -> None:
    first = _bookshop("db", "upgrade", env=env)
    second = _bookshop("db", "upgrade", env=env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "var" / "shop.db").is_file()


def test_create_admin_creates_then_promotes_idempotently(env: dict[str, str]) -> None:
    assert _bookshop("db", "upgrade", env=env).returncode == 0

    created = _bookshop("create-admin", "Staff@Example.com", "--password", "correct horse", env=env)
    again = _bookshop("create-admin", "staff@example.com", "--password", "correct horse", env=env)

    assert created.returncode == 0, created.stderr
    assert "created admin staff@example.com" in created.stdout
    assert again.returncode == 0, again.stderr
    assert (
        "staff@example.com (id 1) is already an active admin with this password; nothing changed"
        in again.stdout
    )


def test_create_admin_with_another_password_says_the_sessions_were_ended(env: dict[str, str]) -> None:
    assert _bookshop("db", "upgrade", env=env).returncode == 0
    signed_up = _bookshop("create-admin", "ann@example.com", "--password", "correct horse", env=env)
    assert signed_up.returncode == 0, signed_up.stderr
    other_password = _bookshop("create-admin", "ann@example.com", "--password", "another password", env=env)

    assert other_password.returncode == 0, other_password.stderr
    assert other_password.stdout.startswith("existing user ann@example.com (id 1) is now an active admin")
    assert "every earlier session of this account was ended" in other_password.stdout


def test_create_admin_prompts_for_the_password(env: dict[str, str]) -> None:
    assert _bookshop("db", "upgrade", env=env).returncode == 0

    prompted = _bookshop("create-admin", "staff@example.com", env=env, stdin="correct horse\ncorrect horse\n")
    mismatch = _bookshop("create-admin", "other@example.com", env=env, stdin="correct horse\ncorrect mouse\n")

    assert prompted.returncode == 0, prompted.stderr
    assert "created admin" in prompted.stdout
    assert mismatch.returncode == 2
    assert "passwords differ" in mismatch.stderr


def test_create_admin_explains_a_bad_password(env: dict[str, str]) -> None:
    assert _bookshop("db", "upgrade", env=env).returncode == 0

    refused = _bookshop("create-admin", "staff@example.com", "--password", "short", env=env)

    assert refused.returncode == 2
    assert "password" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_production_without_a_secret_refuses_to_start(env: dict[str, str]) -> None:
    env = {**env, "APP_ENV": "production", "JWT_SECRET": ""}

    refused = _bookshop("serve", env=env)

    assert refused.returncode == 2
    assert "JWT_SECRET" in refused.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_health_and_shuts_down_cleanly(env: dict[str, str]) -> None:
    assert _bookshop("db", "upgrade", env=env).returncode == 0
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/health")
        assert body == b'{"status":"ok","database":"ok"}'
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    # uvicorn finishes its graceful shutdown, then re-raises SIGTERM as its exit status.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "GET /health 200" in output  # the access line of the last request, queued, is written
    assert "Traceback" not in output


def _wait_for(url: str, timeout: float = 30.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a local URL we built
                body: bytes = response.read()
                return body
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_seed_demo_is_idempotent_as_a_command(env: dict[str, str]) -> None:
    assert _bookshop("db", "upgrade", env=env).returncode == 0

    seeded = _bookshop("seed-demo", env=env)
    reseeded = _bookshop("seed-demo", env=env)

    assert "14 books added, 0 already there" in seeded.stdout
    assert "0 books added, 14 already there" in reseeded.stdout


def test_expire_pending_fails_an_unpaid_order_and_restores_its_stock(env: dict[str, str]) -> None:
    env = {**env, "PENDING_ORDER_TTL_SECONDS": "1"}
    assert _bookshop("db", "upgrade", env=env).returncode == 0
    assert _bookshop("seed-demo", env=env).returncode == 0
    order_id = asyncio.run(_pending_order(env))

    time.sleep(1.2)
    expired = _bookshop("orders", "expire-pending", env=env)
    again = _bookshop("orders", "expire-pending", env=env)

    assert expired.returncode == 0, expired.stderr
    assert "1 pending orders expired" in expired.stdout
    assert "0 pending orders expired" in again.stdout
    status, stock = asyncio.run(_order_status_and_stock(env, order_id))
    assert (status, stock) == ("FAILED", 40)


async def _pending_order(env: dict[str, str]) -> int:
    """A customer checks out without a payment method: PENDING, 2 of the 40 first books reserved."""
    container = build_container(Settings.from_env(env, env_file=None))
    container.init_resources()
    try:
        user = await container.sign_up()("buyer@example.com", "correct horse")
        assert user.id is not None
        await container.add_to_cart()(user.id, 1, 2)
        await container.set_shipping_address()(user.id, ADDRESS)
        result = await container.idempotent_checkout()(user.id, None, None)
        assert result.order.status.value == "PENDING"
        return result.order.id or 0
    finally:
        await close_container(container)


async def _order_status_and_stock(env: dict[str, str], order_id: int) -> tuple[str, int]:
    container = build_container(Settings.from_env(env, env_file=None))
    try:
        async with container.unit_of_work() as uow:
            order = await uow.orders.get(order_id)
            product = await uow.products.get(1)
        assert order is not None
        assert product is not None
        return order.status.value, product.stock
    finally:
        await close_container(container)
