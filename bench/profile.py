"""Where one worker of the shop spends its time on one scenario of the last `make bench` run.

    make bench                                        # once: the scratch database and request files
    PYTHONPATH=. .venv/bin/python bench/profile.py product      # GET /products/{id}, 5,000 ids
    PYTHONPATH=. .venv/bin/python bench/profile.py cart         # GET /cart
    PYTHONPATH=. .venv/bin/python bench/profile.py cart_add POST

It serves the shop as the bench does (`bookshop serve`, production settings, every cache off unless
--cached), with ONE worker, drives it with wrk from the last run's request file
(bench/results/<latest>/<scenario>.txt), samples it with py-spy for the measured seconds, and prints
the share of samples by where the innermost known frame is: the database driver (asyncpg),
SQLAlchemy (its pool and transactions), Litestar, the server (uvicorn, httptools), logging, asyncio,
and the shop's own layers. The raw stacks are kept next to the request file (<scenario>.folded) for
a flame graph (e.g. `inferno-flamegraph` or speedscope.app, which open them as they are).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import CACHES_OFF, LUA, PYTHON, SECRET  # noqa: E402
from entrypoints.settings import normalize_database_url  # noqa: E402

PLACES = (
    ("asyncpg/", "asyncpg (the driver: protocol, records)"),
    ("sqlalchemy/", "SQLAlchemy (pool checkout and checkin, transactions)"),
    ("msgspec", "msgspec (JSON)"),
    ("litestar/", "Litestar (routing, middleware stack, responses)"),
    ("uvicorn/", "uvicorn and httptools (the server)"),
    ("httptools", "uvicorn and httptools (the server)"),
    ("logging/", "logging (the access log: records, queue, JSON lines)"),
    ("entrypoints/logs.py", "logging (the access log: records, queue, JSON lines)"),
    ("asyncio/", "asyncio (scheduling)"),
    ("entrypoints/", "shop: entrypoints (middleware, handlers, schemas)"),
    ("adapters/", "shop: adapters (statements, row mapping)"),
    ("application/", "shop: application (use cases)"),
    ("domain/", "shop: domain (entities)"),
)

WAITING = "QueueListener.dequeue ("
"""The access log's writer thread waiting for a line: py-spy counts it as active, it costs nothing."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "scenario", help="a request file of the last run, without .txt: product, cart, cart_add …"
    )
    parser.add_argument("method", nargs="?", default="GET")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bookshop_bench")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8403)
    parser.add_argument("--cached", action="store_true", help="keep the shop's caches on (default: off)")
    options = parser.parse_args()
    for tool in ("wrk", "py-spy"):
        if not shutil.which(tool) and not (ROOT / ".venv" / "bin" / tool).exists():
            sys.exit(f"{tool} is needed: make bench installs py-spy; wrk comes from apt-get install wrk")
    runs = sorted((ROOT / "bench" / "results").glob("*/"))
    lines = runs[-1] / f"{options.scenario}.txt" if runs else None
    if lines is None or not lines.exists():
        sys.exit(f"no request file {options.scenario}.txt: run `make bench` first")
    folded = lines.with_suffix(".folded")
    base = f"http://127.0.0.1:{options.port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "production",
        "PAYMENT_PROVIDER": "test",
        "DATABASE_URL": normalize_database_url(options.database_url),
        "JWT_SECRET": SECRET,
        "AUTH_RATE_LIMIT": "0",
        "ACCESS_TOKEN_TTL_SECONDS": "7200",
        "REDIS_URL": "",
        "STRIPE_SECRET_KEY": "",
        "BENCH_LUA": str(LUA),
        **({} if options.cached else CACHES_OFF),
    }
    serve = [str(PYTHON), "-m", "entrypoints.cli", "serve", "--workers", "1", "--port", str(options.port)]
    server = subprocess.Popen(serve, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = [str(PYTHON), "-m", "entrypoints.cli", "wait-ready", base + "/health", "--timeout", "60"]
        subprocess.run(ready, cwd=ROOT, env=env, check=True, capture_output=True)
        wrk = ["wrk", "-t1", f"-c{options.connections}", "--latency", "-s", str(LUA / "rotate.lua")]
        args = [base, "--", str(lines), options.method, "1"]
        subprocess.run([*wrk, "-d3s", *args], env=env, check=True, capture_output=True)
        load = subprocess.Popen(
            [*wrk, f"-d{options.seconds + 2}s", *args], env=env, stdout=subprocess.PIPE, text=True
        )
        spy = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
        record = [spy, "record", "-p", str(server.pid), "--subprocesses", "-r", "200"]
        record += ["-d", str(options.seconds), "--format", "raw", "-o", str(folded)]
        subprocess.run(record, check=True, capture_output=True)
        output, _ = load.communicate()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    print(
        f"{options.scenario} ({options.method}), one worker: {rate.group(1) if rate else '?'} req/s, "
        f"p99 {p99.group(1) if p99 else '?'}; {'caches on' if options.cached else 'every cache off'}"
    )
    for place, share in shares(folded).most_common():
        print(f"  {share:5.1f}%  {place}")
    print(f"stacks: {folded}")


def shares(folded: Path) -> Counter[str]:
    """Percent of samples by the innermost frame that belongs to a known place."""
    counts: Counter[str] = Counter()
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")[1:]
        if frames and frames[-1].startswith(WAITING):
            continue
        counts[_place(frames)] += int(count)
    total = sum(counts.values()) or 1
    return Counter({place: 100 * n / total for place, n in counts.items()})


def _place(frames: list[str]) -> str:
    for frame in reversed(frames):
        path = frame.rpartition("(")[2]
        for key, place in PLACES:
            if key in path:
                return place
    return "no Python frame (native code, waiting for the GIL)"


if __name__ == "__main__":
    main()
