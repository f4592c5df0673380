"""`bookshop serve` starts quickly and gives its workers time: uvicorn's supervisor kills a worker
that has not answered its health check within `timeout_worker_healthcheck`, and a spawned worker
imports the command-line module again before it can answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from entrypoints import cli
from entrypoints.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["alembic", "litestar", "sqlalchemy", "stripe", "redis", "entrypoints.container", "entrypoints.http"]


def test_the_command_line_module_imports_nothing_heavy() -> None:
    """What a worker imports before its first health-check answer: about 0.2 s, not 2 s."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, entrypoints.cli; print(' '.join(sys.modules))"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()

    assert [name for name in loaded if name.split(".")[0] in HEAVY or name in HEAVY] == []


def test_serve_hands_uvicorn_the_health_check_timeout_and_the_bounded_protocol(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append({"app": app, **options}))
    settings = Settings.from_mapping(
        {"DATABASE_URL": "sqlite:///unused.db", "WORKER_HEALTHCHECK_TIMEOUT_SECONDS": "45", "JWT_SECRET": "x"}
    )

    assert cli._serve(cli._parser().parse_args(["serve", "--workers", "2"]), settings) == 0

    [options] = calls
    assert options["timeout_worker_healthcheck"] == 45
    assert options["http"] == "entrypoints.server_protocol:BoundedHttpToolsProtocol"
    assert options["workers"] == 2
