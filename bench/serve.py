"""Serve one of the bench's own apps exactly as `bookshop serve` serves the shop.

    python bench/serve.py bench.floor_app:create_app --workers 2 --port 8401

The same uvicorn call as `entrypoints.cli._serve` (the same HTTP protocol class, workers, no access
log, no server header, the same graceful shutdown), so that the bare endpoint, the database floor,
the peer and the shop differ only in the application. If the shop moves to another server, this
file moves with it."""

from __future__ import annotations

import argparse

import uvicorn

from entrypoints.cli import GRACEFUL_SHUTDOWN_SECONDS, HTTP_PROTOCOL

WORKER_HEALTHCHECK_TIMEOUT_SECONDS = 30
"""The shop's default WORKER_HEALTHCHECK_TIMEOUT_SECONDS."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("app", help="import string of an app factory, e.g. bench.bare_app:create_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        args.app,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        http=HTTP_PROTOCOL,
        server_header=False,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT_SECONDS,
    )


if __name__ == "__main__":
    main()
