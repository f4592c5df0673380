"""The red team's reproduction, as an operator meets it: a running `bookshop serve` (one worker) on
SQLite and on PostgreSQL, and the real `bookshop create-admin` run from another process against
an account somebody signed up for first."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.entrypoints.servers import bookshop, serving

EMAIL = "newhire@example.com"
SQUATTER_PASSWORD = "whoever signed up first"
STAFF_PASSWORD = "the staff member's own password"


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": "sessions-live-test-secret-0123456789abcdefghijk",
        "AUTH_RATE_LIMIT": "0",
    }


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with serving(env, tmp_path / "server.log") as running:
        yield running.url


def test_create_admin_on_an_existing_account_ends_the_sessions_it_had(
    env: dict[str, str], server: str
) -> None:
    with httpx.Client(base_url=server, timeout=30) as http:
        signed_up = http.post("/auth/signup", json={"email": EMAIL, "password": SQUATTER_PASSWORD})
        assert signed_up.status_code == 201, signed_up.text
        squatter = http.post("/auth/login", json={"email": EMAIL, "password": SQUATTER_PASSWORD}).json()
        old_access = {"Authorization": f"Bearer {squatter['access_token']}"}
        assert http.get("/admin/users", headers=old_access).status_code == 403

        promoted = bookshop(env, "create-admin", EMAIL, "--password", STAFF_PASSWORD)

        assert promoted.returncode == 0, promoted.stderr
        assert f"existing user {EMAIL}" in promoted.stdout
        assert "session" in promoted.stdout
        assert "ended" in promoted.stdout
        for path in ("/admin/users", "/auth/me"):
            refused = http.get(path, headers=old_access)
            assert refused.status_code == 401, refused.text
            assert refused.json()["code"] == "unauthorized"
        refreshed = http.post("/auth/refresh", json={"refresh_token": squatter["refresh_token"]})
        assert refreshed.status_code == 401, refreshed.text
        assert refreshed.json()["code"] == "invalid_refresh_token"
        old_password = http.post("/auth/login", json={"email": EMAIL, "password": SQUATTER_PASSWORD})
        assert old_password.status_code == 401
        staff = http.post("/auth/login", json={"email": EMAIL, "password": STAFF_PASSWORD}).json()
        staff_access = {"Authorization": f"Bearer {staff['access_token']}"}
        assert http.get("/admin/users", headers=staff_access).status_code == 200

        again = bookshop(env, "create-admin", EMAIL, "--password", STAFF_PASSWORD)

        assert again.returncode == 0, again.stderr
        assert "nothing changed" in again.stdout
        assert http.get("/admin/users", headers=staff_access).status_code == 200
        assert http.post("/auth/refresh", json={"refresh_token": staff["refresh_token"]}).status_code == 200
