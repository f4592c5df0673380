"""The real `bookshop` command, for tests that meet the shop as an operator does: its chores run to
their end in a process of their own, and `bookshop serve` as a subprocess on a free port, handed
over once its /health answers 200 and stopped (SIGTERM) afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

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


@dataclass(frozen=True)
class Server:
    """A server of several workers, and what its access log says about who served what."""

    url: str
    log: Path

    def pids_that_served(self, path: str | None = None, *, request_ids: str | None = None) -> set[int]:
        """The workers that answered `path`, or the requests whose X-Request-ID starts with
        `request_ids`."""
        pids = set()
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") != "bookshop.access":
                    continue
                if path is not None and entry.get("path") != path:
                    continue
                if request_ids is not None and not str(entry.get("request_id")).startswith(request_ids):
                    continue
                pids.add(int(entry["pid"]))
        return pids


def until_both_workers_answer(server: Server) -> None:
    """`wait-ready` returns when one worker answers; the other may still be starting, and until it
    accepts, every connection lands on the first (a test of two workers would then test one)."""
    deadline = time.monotonic() + 60
    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=10) as client:
        while len(server.pids_that_served("/health")) < 2:
            assert time.monotonic() < deadline, "the second worker never answered /health"
            client.get(f"{server.url}/health").raise_for_status()
            time.sleep(0.05)
