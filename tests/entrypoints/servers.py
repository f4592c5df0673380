"""The real `bookshop` command, for tests that meet the shop as an operator does: its chores run to
their end in a process of their own, and `bookshop serve` as a subprocess on a free port, handed
over once its /health answers 200 and stopped (SIGTERM) afterwards."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.outages import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 60
"""How long a server may take to answer /health: a shared CI machine can be slow to import."""


def bookshop(env: Mapping[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run one `bookshop` command to its end (the caller checks how it ended); a command still
    running after `timeout` seconds is killed and raises subprocess.TimeoutExpired."""
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "entrypoints.cli", *args],
        cwd=PROJECT_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def bookshop_ok(env: Mapping[str, str], *args: str) -> str:
    """Run one `bookshop` command that must succeed; what it printed."""
    done = bookshop(env, *args)
    assert done.returncode == 0, f"bookshop {' '.join(args)} ended {done.returncode}: {done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class RunningServer:
    port: int
    log: Path
    """What the server printed (stdout and stderr)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(env: Mapping[str, str], log: Path, *, workers: int = 1) -> Iterator[RunningServer]:
    """`bookshop serve` with this environment, ready to answer."""
    port = free_port()
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "entrypoints.cli", *command],
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        server = RunningServer(port=port, log=log)
        wait = ["wait-ready", f"{server.url}/health", "--timeout", str(READY_SECONDS)]
        ready = bookshop(env, *wait, timeout=READY_SECONDS + 30)
        assert ready.returncode == 0, log.read_text()
        yield server
    finally:
        process.terminate()
        process.wait(timeout=40)
