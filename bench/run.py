"""How fast the shop is, against the framework's own ceiling, on this machine.

    make bench                     # or: PYTHONPATH=. .venv/bin/python bench/run.py [--workers 2 ...]

One run: a scratch PostgreSQL database (bookshop_bench) with 100,000 products and 1,000 users; a bare
Litestar endpoint served exactly like the shop (uvicorn, same workers) as the ceiling; then every
scenario with wrk (Debian's), each after a warm-up, for a fixed time. Results go to
bench/results/<time>/results.json and results.md (with the servers' logs), and the Markdown table is
printed. bench/README.md tells what each scenario does and what bounds it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from adapters.security.argon2_hasher import Argon2PasswordHasher  # noqa: E402
from adapters.security.jwt_tokens import JwtTokenService  # noqa: E402
from adapters.sqlalchemy.engine import create_engine  # noqa: E402
from bench.scratch import run_outside_transaction  # noqa: E402
from domain.identity import Role, User  # noqa: E402
from entrypoints.settings import normalize_database_url  # noqa: E402
from tests.databases import migrate  # noqa: E402
from tests.db.test_search_plan import SEED  # noqa: E402

BENCH = ROOT / "bench"
LUA = BENCH / "lua"
PYTHON = ROOT / ".venv" / "bin" / "python"
DATABASE = "bookshop_bench"
SECRET = "bench-only-secret-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD = "bench password"
USERS = 1_000
BUYERS = 12_000
HOT_PRODUCTS = 20
HOT_STOCK = 1_000_000
SEARCHES = [
    "dragon",
    "wizard stone",
    "lantern mirror",
    "castle",
    "potion key",
    "shadow crown",
    "forest",
    "river map",
]


@dataclass
class Result:
    scenario: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    ratio_to_bare: float | None = None
    note: str = ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8401)
    options = parser.parse_args()
    _ensure_wrk()

    server = make_url(normalize_database_url(options.server_url))
    maintenance = server.render_as_string(hide_password=False)
    url = server.set(database=DATABASE).render_as_string(hide_password=False)
    work = BENCH / "results" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work.mkdir(parents=True)
    bench = Bench(options, url, work)

    print(f"preparing {DATABASE}: 100,000 products, {USERS:,} users, {BUYERS:,} buyers with a cart")
    asyncio.run(run_outside_transaction(maintenance, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    asyncio.run(run_outside_transaction(maintenance, f"CREATE DATABASE {DATABASE}"))
    migrate(url)
    asyncio.run(seed(url, products=100_000))
    bench.write_request_files(products=100_000)

    with bench.serve_bare():
        bare = bench.measure("bare Litestar endpoint (20 items)", "bare.txt", "GET", bare=True)
    results = [bare]
    with bench.serve_shop():
        for name, lines, method in [
            ("GET /products", "products.txt", "GET"),
            ("GET /products?series=NARNIA&sort=-price_cents", "products_narnia.txt", "GET"),
            ("GET /products/search", "search.txt", "GET"),
            ("GET /products/{id} (100 popular books)", "product_popular.txt", "GET"),
            ("GET /products/{id} (5,000 books: the database)", "product.txt", "GET"),
            ("GET /cart", "cart.txt", "GET"),
            ("POST /cart/add", "cart_add.txt", "POST"),
            ("POST /auth/login", "login.txt", "POST"),
        ]:
            results.append(bench.measure(name, lines, method))
        results.append(bench.checkout())
        results.append(bench.products_under_login_storm(alone=results[1]))
    scale = {100_000: bench.scale_scenarios("100,000")}
    asyncio.run(reseed_products(url, 1_000))
    bench.write_request_files(products=1_000)
    scale[1_000] = bench.scale_scenarios("1,000")
    for big, small in zip(scale[100_000], scale[1_000], strict=True):
        rate = big.requests_per_second / small.requests_per_second
        small.note = f"at 100,000 products: {rate:.2f}x this rate"
    results += scale[100_000] + scale[1_000]

    for result in results:
        result.ratio_to_bare = round(result.requests_per_second / bare.requests_per_second, 3)
    report(results, options, work)


class Bench:
    def __init__(self, options: argparse.Namespace, database_url: str, work: Path) -> None:
        self.options = options
        self.database_url = database_url
        self.work = work
        self.base = f"http://127.0.0.1:{options.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "APP_ENV": "production",
            "PAYMENT_PROVIDER": "test",
            "DATABASE_URL": self.database_url,
            "JWT_SECRET": SECRET,
            "AUTH_RATE_LIMIT": "0",
            "ACCESS_TOKEN_TTL_SECONDS": "7200",
            "REDIS_URL": "",
            "STRIPE_SECRET_KEY": "",
        }

    @contextmanager
    def serve_bare(self) -> Iterator[None]:
        command = [
            str(PYTHON), "-m", "uvicorn", "bench.bare_app:create_app", "--factory",
            "--workers", str(self.options.workers), "--port", str(self.options.port),
            "--no-access-log", "--no-server-header", "--log-level", "warning",
        ]  # fmt: skip
        with self._server(command, "bare.log", "/items"):
            yield

    @contextmanager
    def serve_shop(self, *, page_cache: bool = True) -> Iterator[None]:
        command = [
            str(PYTHON), "-m", "entrypoints.cli", "serve",
            "--workers", str(self.options.workers), "--port", str(self.options.port),
        ]  # fmt: skip
        env = {} if page_cache else {"CATALOG_CACHE_SECONDS": "0"}
        with self._server(command, "shop.log" if page_cache else "shop-uncached.log", "/health", env):
            yield

    def scale_scenarios(self, size: str) -> list[Result]:
        """The catalogue at one size: as served (pages cached for a second), and with the page
        cache off, so that every request reaches the database (totals are still reused for 5 s)."""
        results = []
        for page_cache, how in ((True, ""), (False, ", every page from the database")):
            with self.serve_shop(page_cache=page_cache):
                results.append(self.measure(f"GET /products ({size}{how})", "products.txt", "GET"))
                results.append(self.measure(f"GET /products/search ({size}{how})", "search.txt", "GET"))
        return results

    @contextmanager
    def _server(
        self, command: list[str], log: str, ready_path: str, env: dict[str, str] | None = None
    ) -> Iterator[None]:
        with (self.work / log).open("ab") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env={**self.env(), **(env or {})}, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            wait = [
                str(PYTHON),
                "-m",
                "entrypoints.cli",
                "wait-ready",
                self.base + ready_path,
                "--timeout",
                "60",
            ]
            subprocess.run(wait, cwd=ROOT, env=self.env(), check=True, capture_output=True)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)

    def write_request_files(self, *, products: int) -> None:
        tokens = _tokens(USERS + BUYERS)
        active = [n for n in range(1, products + 1) if n % 20 != 0]
        lines = {
            "bare.txt": ["/items"],
            "products.txt": ["/products"],
            "products_narnia.txt": ["/products?series=NARNIA&sort=-price_cents"],
            "search.txt": [f"/products/search?q={q.replace(' ', '+')}" for q in SEARCHES],
            "product.txt": [f"/products/{active[(n * 7919) % len(active)]}" for n in range(5_000)],
            "product_popular.txt": [f"/products/{active[(n * 7919) % len(active)]}" for n in range(100)],
            "cart.txt": [f"/cart\t{tokens[n]}\t" for n in range(USERS)],
            "cart_add.txt": [
                f'/cart/add\t{tokens[n % USERS]}\t{{"product_id": {active[(n * 104729) % len(active)]}}}'
                for n in range(20_000)
            ],
            "login.txt": [
                f'/auth/login\t\t{{"email": "bench{n}@example.com", "password": "{PASSWORD}"}}'
                for n in range(USERS)
            ],
            "checkout.txt": [
                f'/checkout\t{tokens[USERS + n]}\t{{"payment_method_id": "pm_card_visa"}}'
                for n in range(BUYERS)
            ],
        }
        for name, content in lines.items():
            (self.work / name).write_text("\n".join(content) + "\n")

    def wrk(
        self, lines: str, method: str, duration: int, connections: int, base: str | None = None
    ) -> dict[str, int]:
        command = [
            "wrk", f"-t{self.options.threads}", f"-c{connections}", f"-d{duration}s", "--latency",
            "--timeout", "10s", "-s", str(LUA / "rotate.lua"), base or self.base,
            "--", str(self.work / lines), method, str(self.options.threads),
        ]  # fmt: skip
        output = subprocess.run(
            command, env={**os.environ, "BENCH_LUA": str(LUA)}, capture_output=True, text=True, check=True
        ).stdout
        line = next(line for line in output.splitlines() if line.startswith("BENCH "))
        parsed: dict[str, int] = json.loads(line.removeprefix("BENCH "))
        return parsed

    def measure(self, name: str, lines: str, method: str, *, bare: bool = False, note: str = "") -> Result:
        print(f"  {name} ...", flush=True)
        self.wrk(lines, method, self.options.warmup, self.options.connections)
        raw = self.wrk(lines, method, self.options.duration, self.options.connections)
        return _result(name, raw, note)

    def checkout(self) -> Result:
        """Distinct buyers (one cart each, over 20 hot books), measured cold: a warm-up would spend
        buyers. Then the shelf is audited: each book's stock plus what its orders hold is what it had."""
        print("  POST /checkout ...", flush=True)
        raw = self.wrk("checkout.txt", "POST", self.options.duration, self.options.connections)
        audit = asyncio.run(_audit_hot_products(self.database_url))
        note = f"{audit['paid']} PAID orders; stock + sold = initial for every book: {audit['consistent']}"
        return _result("POST /checkout (distinct buyers)", raw, note)

    def products_under_login_storm(self, alone: Result) -> Result:
        """GET /products measured while another wrk hammers POST /auth/login (argon2id)."""
        print("  GET /products during a login storm ...", flush=True)
        storm_seconds = self.options.duration + self.options.warmup + 4
        storm = subprocess.Popen(
            [
                "wrk", "-t1", "-c16", f"-d{storm_seconds}s", "--timeout", "10s",
                "-s", str(LUA / "rotate.lua"), self.base,
                "--", str(self.work / "login.txt"), "POST", "1",
            ],
            env={**os.environ, "BENCH_LUA": str(LUA)}, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(2)
        measured = self.measure("GET /products during a login storm", "products.txt", "GET")
        storm_output, _ = storm.communicate(timeout=storm_seconds + 30)
        logins = json.loads(next(x for x in storm_output.splitlines() if x.startswith("BENCH "))[6:])
        logins_per_second = logins["requests"] / (logins["duration_us"] / 1e6)
        measured.note = (
            f"p99 {measured.p99_ms} ms vs {alone.p99_ms} ms alone "
            f"(x{measured.p99_ms / alone.p99_ms:.2f}); {logins_per_second:.0f} logins/s meanwhile"
        )
        return measured


def _result(name: str, raw: dict[str, int], note: str) -> Result:
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout"))
    return Result(
        scenario=name,
        requests_per_second=round(raw["requests"] / seconds, 1),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        non_2xx=raw["non_2xx"],
        errors=errors,
        note=note,
    )


def _tokens(count: int) -> list[str]:
    """Access tokens signed with the server's secret: user n is id n + 1."""
    service = JwtTokenService(SECRET, access_token_ttl_seconds=7200)
    now = datetime.now(UTC)
    return [
        service.issue_access_token(
            User(id=n + 1, email="x@y.zz", password_hash="", created_at=now, role=Role.USER), now
        )
        for n in range(count)
    ]


async def seed(url: str, *, products: int) -> None:
    hasher = Argon2PasswordHasher()  # the production parameters: logins cost what they cost
    password_hash = await hasher.hash(PASSWORD)
    hasher.close()
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(SEED, {"size": products, "stock_floor": 10_000})
        await conn.execute(
            text("UPDATE products SET stock = :stock, is_active = true WHERE id <= :hot"),
            {"stock": HOT_STOCK, "hot": HOT_PRODUCTS},
        )
        await conn.execute(
            text(
                "INSERT INTO users (email, password_hash, role, is_active, created_at) "
                "SELECT 'bench' || (n - 1) || '@example.com', :hash, 'USER', true, now() "
                "FROM generate_series(1, :count) AS n"
            ),
            {"hash": password_hash, "count": USERS + BUYERS},
        )
        await conn.execute(text("INSERT INTO carts (user_id, updated_at) SELECT id, now() FROM users"))
        await conn.execute(
            text(
                "INSERT INTO cart_items (cart_id, product_id, quantity) "
                "SELECT c.id, 1 + (c.user_id % :hot), 1 FROM carts c WHERE c.user_id > :users"
            ),
            {"hot": HOT_PRODUCTS, "users": USERS},
        )
    await engine.dispose()
    await run_outside_transaction(url, "VACUUM ANALYZE")


async def reseed_products(url: str, products: int) -> None:
    """The same catalogue shape at another size (orders and carts go with the old products)."""
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE products RESTART IDENTITY CASCADE"))
        await conn.execute(SEED, {"size": products, "stock_floor": 10_000})
    await engine.dispose()
    await run_outside_transaction(url, "VACUUM ANALYZE")


async def _audit_hot_products(url: str) -> dict[str, object]:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT p.id, p.stock, COALESCE(SUM(i.quantity) FILTER (WHERE o.status <> 'FAILED'), 0) "
                    "FROM products p LEFT JOIN order_items i ON i.product_id = p.id "
                    "LEFT JOIN orders o ON o.id = i.order_id WHERE p.id <= :hot GROUP BY p.id, p.stock"
                ),
                {"hot": HOT_PRODUCTS},
            )
        ).all()
        paid = await conn.scalar(text("SELECT count(*) FROM orders WHERE status = 'PAID'"))
    await engine.dispose()
    consistent = all(stock + sold == HOT_STOCK and stock >= 0 for _, stock, sold in rows)
    return {"paid": paid, "consistent": consistent}


def report(results: list[Result], options: argparse.Namespace, work: Path) -> None:
    machine = (
        f"{os.cpu_count()} CPUs; {options.workers} workers, wrk -t{options.threads} -c{options.connections}"
    )
    header = (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, {options.duration} s per scenario "
        f"after {options.warmup} s of warm-up; PostgreSQL on the same machine.\n\n"
        "| scenario | req/s | p50 ms | p99 ms | ratio to bare | non-2xx | errors | note |\n"
        "|---|---:|---:|---:|---:|---:|---:|---|\n"
    )
    rows = "".join(
        f"| {r.scenario} | {r.requests_per_second:,.0f} | {r.p50_ms} | {r.p99_ms} | {r.ratio_to_bare:.2f} "
        f"| {r.non_2xx} | {r.errors} | {r.note} |\n"
        for r in results
    )
    (work / "results.md").write_text(header + rows)
    (work / "results.json").write_text(
        json.dumps({"options": vars(options), "results": [asdict(r) for r in results]}, indent=2)
    )
    print("\n" + header + rows)
    print(f"written to {work.relative_to(ROOT)}/results.md and results.json")


def _ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        return
    sys.exit("wrk is needed: sudo apt-get install wrk")


if __name__ == "__main__":
    main()
