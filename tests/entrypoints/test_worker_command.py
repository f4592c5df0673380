"""`bookshop worker` as an operator runs it: it sends what was waiting in the outbox (here to the
file mailer, whose .eml a developer opens), and stops cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

from entrypoints.container import build_container, close_container
from tests.conftest import make_settings
from tests.entrypoints.servers import PROJECT_ROOT, bookshop_ok

STOP_SECONDS = 30


async def _sign_up(database_url: str) -> None:
    """An account, so a welcome message waits in the outbox; no worker runs yet."""
    container = build_container(make_settings(database_url))
    try:
        await container.sign_up()("ann@example.com", "correct horse battery")
    finally:
        await close_container(container)


def test_the_worker_sends_what_waited_and_stops_cleanly(database_url: str, tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": "worker-test-secret-0123456789abcdefghijklmnop",
        "REDIS_URL": "",
        "EMAIL_BACKEND": "file",
        "EMAIL_FILE_DIR": str(mail),
        "EMAIL_FROM": "Bookshop <shop@bookshop.test>",
    }
    upgraded = bookshop_ok(env, "db", "upgrade")
    if database_url.startswith("postgresql"):
        assert "job engine schema" in upgraded
    asyncio.run(_sign_up(database_url))
    # Ctrl-C on one store, SIGTERM (what a service manager sends) on the other.
    stop = signal.SIGINT if database_url.startswith("sqlite") else signal.SIGTERM

    output = tmp_path / "worker.log"
    with output.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "worker"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not list(mail.glob("*.eml")) and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.1)
            worker.send_signal(stop)
            code = worker.wait(timeout=STOP_SECONDS)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    printed = output.read_text()
    assert code == 0, printed
    assert "Traceback" not in printed
    assert "worker stopped" in printed
    [eml] = mail.glob("*.eml")
    parsed = message_from_bytes(eml.read_bytes())
    assert parsed["To"] == "ann@example.com"
    assert parsed["Subject"] == "Welcome to the Bookshop"
