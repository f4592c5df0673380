"""How fast the shop is, against the framework's ceiling, the database's floor and a peer, on this
machine, in one run.

    make bench                     # or: PYTHONPATH=. .venv/bin/python bench/run.py [--workers 2 ...]

One run: a scratch PostgreSQL database (--database-name, default bookshop_bench, dropped first) with
--products products (100,000) and its users; then five servers, each served the same way (bench/serve.py
mirrors `bookshop serve`: uvicorn, same workers) and driven by wrk with the same settings:

    bare        a bare Litestar endpoint returning a static 20-item list: the framework's ceiling
    floor       bare Litestar, the two catalogue routes as ONE raw asyncpg query each
    peer        FastAPI + SQLModel, the same two routes as a user would write them
    shop        `bookshop serve` with its default settings
    shop, caches off    the same with every cache turned off (CACHES_OFF)

Every figure has its ratio to bare, and on the catalogue routes to the floor and to the peer. The shop
alone also gets varied searches, carts, a checkout stream, reads during a checkout stream and the
freshness check (stale reads after writes, two workers). Results go to bench/results/<time>/
(results.json, results.md, the servers' logs), the table is printed, and the "Last run" sections of
bench/README.md and README.md are replaced by this run's (--keep-readmes leaves them alone).
bench/README.md tells what each server and scenario is and what bounds it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bench.freshness import Freshness, FreshnessCheck  # noqa: E402
from bench.report import Result, report  # noqa: E402
from bench.scratch import run_outside_transaction  # noqa: E402
from bench.seeding import (  # noqa: E402
    PASSWORD,
    Population,
    active_ids,
    audit_hot_products,
    free_connection_slots,
    reset_shopper_carts,
    seed,
    tokens,
)
from entrypoints.settings import normalize_database_url  # noqa: E402
from tests.databases import migrate  # noqa: E402

BENCH = ROOT / "bench"
LUA = BENCH / "lua"
PYTHON = ROOT / ".venv" / "bin" / "python"
SECRET = "bench-only-secret-0123456789abcdefghijklmnopqrstuvwxyz"

CACHES_OFF = {"CATALOG_CACHE_SECONDS": "0"}
"""Every cache of the shop turned off. The only place the bench names the shop's cache settings:
when they are renamed or new ones appear, change them here."""

SHOPPERS = 1_000
ORDERS_PER_SECOND_CAP = 500
"""Buyers are seeded for a checkout stream this fast; past it a stream runs out of buyers (its
extra requests are 409 cart_empty, and show as non-2xx)."""
RANDOM_IDS = 5_000
POPULAR_IDS = 100
SEARCHES = 2_000
STORM_CONNECTIONS = 16
"""Connections of the second wrk (logins, checkouts) while reads are measured."""
FRESHNESS_PRODUCTS = (1001, 1002, 1003)
"""Price, withdrawal and stock checks: books no other scenario buys (active: not a multiple of 20)."""
TITLE_WORDS = [
    "dragon",
    "wizard",
    "castle",
    "forest",
    "potion",
    "knight",
    "river",
    "shadow",
    "crown",
    "lantern",
]
TITLE_NOUNS = ["stone", "sword", "mirror", "gate", "song", "key", "storm", "tower", "map", "ring"]
AUTHOR_WORDS = ["lovelace", "cox", "carla", "potter", "moss", "ada", "brian", "dan", "eve"]
PREFIX_WORDS = ["tales", "chronicles", "secrets"]


@dataclass(frozen=True)
class Server:
    key: str
    label: str
    app: str | None
    """Import string of the app factory bench/serve.py serves; None: the shop, `bookshop serve`."""
    ready: str
    env: dict[str, str] = field(default_factory=dict)


BARE = Server("bare", "bare Litestar endpoint", "bench.bare_app:create_app", "/items")
FLOOR = Server("floor", "floor: Litestar + one asyncpg query", "bench.floor_app:create_app", "/products")
PEER = Server("peer", "peer: FastAPI + SQLModel", "bench.peer_app:create_app", "/products")
SHOP = Server("shop", "shop (default settings)", None, "/health")
SHOP_UNCACHED = Server("shop-uncached", "shop, every cache off", None, "/health", CACHES_OFF)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--database-name", default="bookshop_bench", help="the scratch database, dropped and made anew"
    )
    parser.add_argument("--products", type=int, default=100_000, help="catalogue size (default 100,000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of every server")
    parser.add_argument("--duration", type=int, default=15, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8401)
    parser.add_argument("--freshness-reads", type=int, default=400, help="reads after each write")
    parser.add_argument("--freshness-rounds", type=int, default=2, help="writes of each kind")
    parser.add_argument("--freshness-connections", type=int, default=40)
    parser.add_argument("--keep-readmes", action="store_true", help="do not write this run into the READMEs")
    options = parser.parse_args()
    if options.products <= max(FRESHNESS_PRODUCTS):
        parser.error(f"--products must be at least {max(FRESHNESS_PRODUCTS) + 1}")
    _ensure_tools()

    server = make_url(normalize_database_url(options.server_url))
    maintenance = server.render_as_string(hide_password=False)
    url = server.set(database=options.database_name).render_as_string(hide_password=False)
    work = BENCH / "results" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work.mkdir(parents=True)
    population = Population(
        shoppers=SHOPPERS,
        buyers_per_stream=math.ceil(ORDERS_PER_SECOND_CAP * (options.warmup + options.duration + 6)),
        streams=4,  # per shop: the checkout stream, and the one under the reads
        fresh_buyers=2 * options.freshness_rounds,
    )
    bench = Bench(options, url, work, population)

    name = options.database_name
    print(f"preparing {name}: {options.products:,} products, {population.admin_id:,} users")
    asyncio.run(run_outside_transaction(maintenance, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    asyncio.run(run_outside_transaction(maintenance, f"CREATE DATABASE {name}"))
    migrate(url)
    asyncio.run(seed(url, products=options.products, population=population))
    bench.write_request_files()
    remarks = _connection_slots(url, options)

    results: list[Result] = []
    freshness: list[FreshnessCheck] = []
    with bench.serve(BARE):
        results.append(bench.measure(BARE, "bare endpoint (20 static items)", "bare.txt", route="bare"))
    for peer in (FLOOR, PEER):
        with bench.serve(peer):
            results += bench.catalogue_routes(peer)
    for stream, shop in enumerate((SHOP, SHOP_UNCACHED)):
        asyncio.run(reset_shopper_carts(url, population))
        with bench.serve(shop):
            results += bench.shop_scenarios(shop, streams=(2 * stream, 2 * stream + 1))
            if options.workers >= 2:
                freshness += bench.freshness(shop, stream, workers=options.workers)
        if options.workers < 2:
            with bench.serve(shop, workers=2):
                freshness += bench.freshness(shop, stream, workers=2)
    report(results, freshness, options, work, remarks=remarks, write_readmes=not options.keep_readmes)


class Bench:
    def __init__(
        self, options: argparse.Namespace, database_url: str, work: Path, population: Population
    ) -> None:
        self.options = options
        self.database_url = database_url
        self.work = work
        self.population = population
        self.base = f"http://127.0.0.1:{options.port}"
        self.tokens = tokens(SECRET, population)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
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
    def serve(self, server: Server, *, workers: int | None = None) -> Iterator[None]:
        """`bookshop serve` for the shop; bench/serve.py (the same uvicorn call) for the others."""
        count = str(workers or self.options.workers)
        if server.app is None:
            command = [str(PYTHON), "-m", "entrypoints.cli", "serve"]
        else:
            command = [str(PYTHON), str(BENCH / "serve.py"), server.app]
        command += ["--workers", count, "--port", str(self.options.port)]
        env = {**self.env(), **server.env}
        with (self.work / f"{server.key}.log").open("ab") as output:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait = [
                str(PYTHON),
                "-m",
                "entrypoints.cli",
                "wait-ready",
                self.base + server.ready,
                "--timeout",
                "90",
            ]
            subprocess.run(wait, cwd=ROOT, env=self.env(), check=True, capture_output=True)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)

    def catalogue_routes(self, server: Server) -> list[Result]:
        """The two routes every server but bare has, measured the same way on each."""
        return [
            self.measure(
                server, f"GET /products/{{id}}, {self.random_ids:,} random ids", "product.txt", route="id"
            ),
            self.measure(server, "GET /products, first page with total", "products.txt", route="page"),
        ]

    def shop_scenarios(self, shop: Server, *, streams: tuple[int, int]) -> list[Result]:
        results = self.catalogue_routes(shop)
        for name, lines, method in [
            (f"GET /products/{{id}}, {POPULAR_IDS} popular ids", "product_popular.txt", "GET"),
            ("GET /products?series=NARNIA&sort=-price_cents", "products_narnia.txt", "GET"),
            (f"GET /products/search, {SEARCHES:,} varied queries", "search.txt", "GET"),
            ("GET /cart", "cart.txt", "GET"),
            ("POST /cart/add", "cart_add.txt", "POST"),
        ]:
            results.append(self.measure(shop, name, lines, method))
        results.append(self.checkout(shop, streams[0]))
        results.append(self.reads_during_checkouts(shop, streams[1], alone=results[0]))
        if shop is SHOP:
            results.append(self.measure(shop, "POST /auth/login (argon2id)", "login.txt", "POST"))
            results.append(self.products_under_login_storm(shop, alone=results[1]))
        return results

    @property
    def random_ids(self) -> int:
        return min(RANDOM_IDS, len(active_ids(self.options.products)))

    def write_request_files(self) -> None:
        rng = random.Random(13)  # noqa: S311 - a repeatable mix of requests, no secret
        active = active_ids(self.options.products)
        shoppers = range(1, SHOPPERS + 1)
        lines = {
            "bare.txt": ["/items"],
            "products.txt": ["/products"],
            "products_narnia.txt": ["/products?series=NARNIA&sort=-price_cents"],
            "search.txt": [
                f"/products/search?q={quote_plus(q)}" for q in varied_searches(rng, self.options.products)
            ],
            "product.txt": [f"/products/{n}" for n in rng.sample(active, self.random_ids)],
            "product_popular.txt": [f"/products/{n}" for n in rng.sample(active, POPULAR_IDS)],
            "cart.txt": [f"/cart\t{self.tokens[n]}\t" for n in shoppers],
            "cart_add.txt": [
                f'/cart/add\t{self.tokens[shoppers[n % SHOPPERS]]}\t{{"product_id": {rng.choice(active)}}}'
                for n in range(20_000)
            ],
            "login.txt": [
                f'/auth/login\t\t{{"email": "bench{n - 1}@example.com", "password": "{PASSWORD}"}}'
                for n in shoppers
            ],
        }
        for k in range(self.population.streams):
            lines[f"checkout-{k}.txt"] = [
                f'/checkout\t{self.tokens[n]}\t{{"payment_method_id": "pm_card_visa"}}'
                for n in self.population.stream(k)
            ]
        for name, content in lines.items():
            (self.work / name).write_text("\n".join(content) + "\n")

    def wrk(
        self, lines: str, method: str, duration: int, *, connections: int, threads: int
    ) -> dict[str, int]:
        command = [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
            "--timeout", "10s", "-s", str(LUA / "rotate.lua"), self.base,
            "--", str(self.work / lines), method, str(threads),
        ]  # fmt: skip
        output = subprocess.run(
            command, env={**os.environ, "BENCH_LUA": str(LUA)}, capture_output=True, text=True, check=True
        ).stdout
        return _parse_wrk(output)

    def background_wrk(self, lines: str, method: str, seconds: int) -> subprocess.Popen[str]:
        """A second load (logins, checkouts) on one wrk thread while something else is measured."""
        return subprocess.Popen(
            [
                "wrk", "-t1", f"-c{STORM_CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
                "-s", str(LUA / "rotate.lua"), self.base, "--", str(self.work / lines), method, "1",
            ],
            env={**os.environ, "BENCH_LUA": str(LUA)}, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def measure(
        self, server: Server, name: str, lines: str, method: str = "GET", *, route: str = "", note: str = ""
    ) -> Result:
        print(f"  {server.label}: {name} ...", flush=True)
        wrk = {"connections": self.options.connections, "threads": self.options.threads}
        self.wrk(lines, method, self.options.warmup, **wrk)
        raw = self.wrk(lines, method, self.options.duration, **wrk)
        return _result(name, server, raw, route=route, note=note)

    def checkout(self, shop: Server, stream: int) -> Result:
        """Distinct buyers (one cart each, over 20 hot books), measured cold: a warm-up would spend
        buyers. Then the shelf is audited: each book's stock plus what its orders hold is what it had."""
        name = "POST /checkout, distinct buyers (orders/s)"
        print(f"  {shop.label}: {name} ...", flush=True)
        paid_before, _ = asyncio.run(audit_hot_products(self.database_url))
        raw = self.wrk(
            f"checkout-{stream}.txt",
            "POST",
            self.options.duration,
            connections=self.options.connections,
            threads=self.options.threads,
        )
        paid, consistent = asyncio.run(audit_hot_products(self.database_url))
        note = f"{paid - paid_before} orders PAID; stock + sold = initial for every book: {consistent}"
        return _result(name, shop, raw, note=note)

    def reads_during_checkouts(self, shop: Server, stream: int, alone: Result) -> Result:
        """GET /products/{id} (the random ids) while a second wrk posts checkouts."""
        seconds = self.options.warmup + self.options.duration + 4
        paid_before, _ = asyncio.run(audit_hot_products(self.database_url))
        checkouts = self.background_wrk(f"checkout-{stream}.txt", "POST", seconds)
        time.sleep(2)
        measured = self.measure(
            shop, "GET /products/{id} during a checkout stream", "product.txt", route="id"
        )
        output, _ = checkouts.communicate(timeout=seconds + 60)
        stream_result = _parse_wrk(output)
        paid, consistent = asyncio.run(audit_hot_products(self.database_url))
        orders_per_second = stream_result["requests"] / (stream_result["duration_us"] / 1e6)
        measured.note = _joined(
            measured.note,
            f"p99 {measured.p99_ms} ms vs {alone.p99_ms} ms alone (x{measured.p99_ms / alone.p99_ms:.2f}); "
            f"meanwhile {orders_per_second:.0f} checkouts/s, {stream_result['non_2xx']} non-2xx, "
            f"{paid - paid_before} PAID, no oversell: {consistent}",
        )
        return measured

    def products_under_login_storm(self, shop: Server, alone: Result) -> Result:
        """GET /products measured while another wrk posts logins (argon2id)."""
        seconds = self.options.warmup + self.options.duration + 4
        storm = self.background_wrk("login.txt", "POST", seconds)
        time.sleep(2)
        measured = self.measure(shop, "GET /products during a login storm", "products.txt")
        output, _ = storm.communicate(timeout=seconds + 60)
        logins = _parse_wrk(output)
        measured.note = _joined(
            measured.note,
            f"p99 {measured.p99_ms} ms vs {alone.p99_ms} ms alone (x{measured.p99_ms / alone.p99_ms:.2f}); "
            f"meanwhile {logins['requests'] / (logins['duration_us'] / 1e6):.0f} logins/s, of which "
            f"{(logins['requests'] - logins['non_2xx']) / (logins['duration_us'] / 1e6):.0f}/s 2xx",
        )
        return measured

    def freshness(self, shop: Server, config: int, *, workers: int) -> list[FreshnessCheck]:
        print(f"  {shop.label}: freshness ...", flush=True)
        rounds = self.options.freshness_rounds
        check = Freshness(
            base=self.base,
            port=self.options.port,
            database_url=self.database_url,
            admin_token=self.tokens[self.population.admin_id],
            reads=self.options.freshness_reads,
            connections=self.options.freshness_connections,
            workers=workers,
        )
        buyers = list(self.population.fresh())[config * rounds : (config + 1) * rounds]
        return asyncio.run(
            check.run(
                shop.label,
                rounds=rounds,
                products=FRESHNESS_PRODUCTS,
                buyer_tokens=[self.tokens[n] for n in buyers],
            )
        )


def _connection_slots(url: str, options: argparse.Namespace) -> list[str]:
    """A warning when other programs hold so many of PostgreSQL's connections that the servers
    could be refused some: a server may hold one per request in flight (up to twice DB_POOL_SIZE
    per worker, in the shop), and the bench itself one."""
    free = asyncio.run(free_connection_slots(url))
    in_flight = max(options.connections + STORM_CONNECTIONS, options.freshness_connections)
    wanted = min(in_flight, options.workers * 2 * 20) + 1
    if free >= wanted:
        return []
    remark = (
        f"PostgreSQL had {free} connection slots free at the start (other programs held the rest); "
        f"the shop may want up to {wanted}: refused connections show as 5xx (non-2xx) and slow figures."
    )
    print("warning: " + remark)
    return [remark]


def varied_searches(rng: random.Random, products: int) -> list[str]:
    """Searches as shoppers type them, nearly all different (so no one page stays cached): one word
    (about a tenth of the catalogue), two title words (1%), a word and a fragment of a book's number
    (a few books), an author's word and a title word, a title's first word, words cut short."""
    kinds = [
        lambda: rng.choice(TITLE_WORDS + TITLE_NOUNS + AUTHOR_WORDS),
        lambda: f"{rng.choice(TITLE_WORDS)} {rng.choice(TITLE_NOUNS)}",
        lambda: f"{rng.choice(TITLE_WORDS + TITLE_NOUNS)} {rng.randint(1, products)}",
        lambda: f"{rng.choice(AUTHOR_WORDS)} {rng.choice(TITLE_WORDS + TITLE_NOUNS)}",
        lambda: f"{rng.choice(PREFIX_WORDS)} {rng.choice(TITLE_WORDS)} {rng.choice(TITLE_NOUNS)}",
        lambda: f"{rng.choice(TITLE_WORDS)[:4]} {rng.choice(TITLE_NOUNS)[:3]}",
    ]
    weights = [10, 15, 40, 15, 10, 10]
    found: dict[str, None] = {}
    for _ in range(100 * SEARCHES):
        if len(found) == SEARCHES:
            break
        found[rng.choices(kinds, weights)[0]()] = None
    queries = list(found)
    rng.shuffle(queries)
    return queries


def _parse_wrk(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    parsed: dict[str, int] = json.loads(line.removeprefix("BENCH "))
    return parsed


def _result(name: str, server: Server, raw: dict[str, int], *, route: str = "", note: str = "") -> Result:
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout"))
    if raw["non_2xx"]:
        note = _joined(f"2xx only: {(raw['requests'] - raw['non_2xx']) / seconds:,.0f}/s", note)
    return Result(
        scenario=name,
        server=server.label,
        route=route,
        requests_per_second=round(raw["requests"] / seconds, 1),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        non_2xx=raw["non_2xx"],
        errors=errors,
        note=note,
    )


def _joined(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _ensure_tools() -> None:
    missing = [name for name in ("fastapi", "sqlmodel") if importlib.util.find_spec(name) is None]
    if missing:
        sys.exit(
            f"the peer needs {', '.join(missing)}: make bench installs them (pip install -e '.[dev,bench]')"
        )
    if not shutil.which("ss"):
        sys.exit("ss is needed (iproute2): the freshness check reads which workers answered")
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        return
    sys.exit("wrk is needed: sudo apt-get install wrk")


if __name__ == "__main__":
    main()
