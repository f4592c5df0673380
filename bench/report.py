"""A run's figures as results.json and results.md, printed, and written into the READMEs' "Last run"
sections (between their markers), so that the tables there are always the latest run's."""

from __future__ import annotations

import argparse
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.freshness import FreshnessCheck

ROOT = Path(__file__).resolve().parent.parent
BENCH_README = ROOT / "bench" / "README.md"
README = ROOT / "README.md"
LAST_RUN = ("<!-- last-run: written by bench/run.py -->", "<!-- /last-run -->")
SERVER_ORDER = ["bare", "floor", "peer", "shop", "shop, every"]
"""Rows of one scenario in this order (matched on the start of the server's label)."""


@dataclass
class Result:
    scenario: str
    server: str
    route: str
    """"id" or "page" on the catalogue routes every server but bare answers; ratios to the floor and
    the peer are taken on the same route."""
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    ratio_to_bare: float | None = None
    ratio_to_floor: float | None = None
    ratio_to_peer: float | None = None
    note: str = ""


def report(
    results: list[Result],
    freshness: list[FreshnessCheck],
    options: argparse.Namespace,
    work: Path,
    *,
    remarks: list[str],
    write_readmes: bool,
) -> None:
    _ratios(results)
    results = _ordered(results)
    header = (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs shared by PostgreSQL, "
        f"the server and wrk; {options.products:,} products; {options.workers} workers per server; wrk "
        f"-t{options.threads} -c{options.connections}, {options.duration} s per scenario after "
        f"{options.warmup} s of warm-up. Ratios: to the bare endpoint; to the floor and to the peer on the "
        "same route (they have only the two catalogue routes, measured alone).\n"
    ) + "".join(f"\n**{remark}**\n" for remark in remarks)
    table = header + "\n" + results_table(results) + "\n" + freshness_table(freshness, options)
    (work / "results.md").write_text(table)
    (work / "results.json").write_text(
        json.dumps(
            {
                "options": vars(options),
                "results": [asdict(r) for r in results],
                "freshness": [asdict(f) for f in freshness],
            },
            indent=2,
        )
    )
    print("\n" + table)
    print(f"written to {work.relative_to(ROOT)}/results.md and results.json")
    if write_readmes:
        _replace_last_run(BENCH_README, table)
        _replace_last_run(README, header + "\n" + summary_table(results) + "\n" + freshness_line(freshness))
        print("written into the Last run sections of bench/README.md and README.md")


def results_table(results: list[Result]) -> str:
    rows = "".join(
        f"| {r.scenario} | {r.server} | {r.requests_per_second:,.0f} | {r.p50_ms} | {r.p99_ms} | {r.non_2xx} "
        f"| {r.errors} | {_ratio(r.ratio_to_bare)} | {_ratio(r.ratio_to_floor)} | {_ratio(r.ratio_to_peer)} "
        f"| {r.note} |\n"
        for r in results
    )
    return (
        "| scenario | server | req/s | p50 ms | p99 ms | non-2xx | errors "
        "| of bare | of floor | of peer | note |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n" + rows
    )


def freshness_table(checks: list[FreshnessCheck], options: argparse.Namespace) -> str:
    rows = "".join(
        f"| {c.server} | {c.check} | {c.writes} | {c.reads} | **{c.stale}** | {c.workers} |\n" for c in checks
    )
    return (
        f"Freshness: after each write's 2xx response, {options.freshness_reads} reads at once over "
        f"{options.freshness_connections} connections (the page read through all of them just before the "
        "write); a read that does not show the write is stale. Must be 0.\n\n"
        "| server | write | writes | reads | stale | workers holding the reads (fewest in a round) |\n"
        "|---|---|---:|---:|---:|---:|\n" + rows
    )


def summary_table(results: list[Result]) -> str:
    """The README's short form: each scenario's req/s per server, the shop's with its ratio to the
    floor on the catalogue routes."""
    columns = ["floor", "peer", "shop (default", "shop, every"]
    scenarios: dict[str, dict[str, Result]] = {}
    for r in results:
        for column in columns:
            if r.server.startswith(column):
                scenarios.setdefault(r.scenario, {})[column] = r

    def cell(r: Result | None) -> str:
        if r is None:
            return "—"
        notes = []
        if r.ratio_to_floor is not None and not r.server.startswith(("floor", "peer")):
            notes.append(f"{r.ratio_to_floor:.2f} of floor")
        if r.non_2xx:
            notes.append(f"{r.non_2xx:,} non-2xx")
        return f"{r.requests_per_second:,.0f}" + (f" ({'; '.join(notes)})" if notes else "")

    rows = "".join(
        f"| {name} | " + " | ".join(cell(by_server.get(c)) for c in columns) + " |\n"
        for name, by_server in scenarios.items()
    )
    bare = next((r for r in results if r.route == "bare"), None)
    bare_note = f"Bare endpoint: {bare.requests_per_second:,.0f} req/s.\n\n" if bare else ""
    return (
        bare_note
        + "| req/s | floor (Litestar + asyncpg) | peer (FastAPI + SQLModel) | shop | shop, caches off |\n"
        "|---|---:|---:|---:|---:|\n" + rows
    )


def freshness_line(checks: list[FreshnessCheck]) -> str:
    by_server: dict[str, list[FreshnessCheck]] = {}
    for c in checks:
        by_server.setdefault(c.server, []).append(c)
    parts = [
        f"{server}: **{sum(c.stale for c in cs):,}** stale of {sum(c.reads for c in cs):,}"
        for server, cs in by_server.items()
    ]
    return "Freshness (reads right after a write, two workers; must be 0): " + "; ".join(parts) + ".\n"


def _ratios(results: list[Result]) -> None:
    bare = next(r for r in results if r.route == "bare")
    same_route = {
        (who, r.route): r
        for r in results
        for who in ("floor", "peer")
        if r.server.startswith(who) and r.route
    }
    for r in results:
        r.ratio_to_bare = round(r.requests_per_second / bare.requests_per_second, 3)
        if floor := same_route.get(("floor", r.route)):
            r.ratio_to_floor = round(r.requests_per_second / floor.requests_per_second, 3)
        if peer := same_route.get(("peer", r.route)):
            r.ratio_to_peer = round(r.requests_per_second / peer.requests_per_second, 3)


def _ordered(results: list[Result]) -> list[Result]:
    """Rows grouped by scenario (in the order first measured), servers in SERVER_ORDER within one."""
    first_seen: dict[str, int] = {}
    for n, r in enumerate(results):
        first_seen.setdefault(r.scenario, n)

    def server_rank(r: Result) -> int:
        return max(n for n, prefix in enumerate(SERVER_ORDER) if r.server.startswith(prefix))

    return sorted(results, key=lambda r: (first_seen[r.scenario], server_rank(r)))


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _replace_last_run(readme: Path, content: str) -> None:
    start, end = LAST_RUN
    text = readme.read_text()
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        print(f"{readme.relative_to(ROOT)} has no {start} ... {end} section: left alone")
        return
    readme.write_text(pattern.sub(lambda _: f"{start}\n{content}{end}", text, count=1))
