"""Messages written from Jinja2 templates in adapters/email/templates/: for a kind `welcome`,
`welcome.subject.txt`, `welcome.txt` (plain text) and, optionally, `welcome.html` (escaped
automatically). Every template sees the message's context, `shop_url` and `link(path)`, which
builds an absolute link from SHOP_URL, and the filter `money(currency)`, which writes an amount in
cents (`{{ total_cents | money(currency) }}` → `$12.34`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import jinja2

from application.outbox import ContextValue, RenderedMessage, RenderingFailed

TEMPLATES = Path(__file__).parent / "templates"
KIND = re.compile(r"^[a-z][a-z0-9_]*$")


class JinjaMessageRenderer:
    def __init__(self, shop_url: str, folder: Path = TEMPLATES) -> None:
        self._shop_url = shop_url.rstrip("/")
        self._plain = _environment(folder, autoescape=False)
        self._html = _environment(folder, autoescape=True)
        for environment in (self._plain, self._html):
            environment.globals.update(shop_url=self._shop_url, link=self.link)
            environment.filters["money"] = format_money

    def link(self, path: str) -> str:
        return f"{self._shop_url}/{path.lstrip('/')}"

    def render(self, kind: str, context: Mapping[str, ContextValue]) -> RenderedMessage:
        if not KIND.match(kind):
            raise RenderingFailed(f"{kind!r} is not a message kind")
        try:
            subject = self._plain.get_template(f"{kind}.subject.txt").render(context)
            text = self._plain.get_template(f"{kind}.txt").render(context)
            try:
                html: str | None = self._html.get_template(f"{kind}.html").render(context)
            except jinja2.TemplateNotFound:
                html = None
        except jinja2.TemplateNotFound as missing:
            raise RenderingFailed(f"no template {missing.name} for messages of kind {kind!r}") from missing
        except jinja2.TemplateError as error:
            raise RenderingFailed(f"the {kind!r} templates cannot be written: {error}") from error
        return RenderedMessage(subject=" ".join(subject.split()), text=text, html=html)


SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
"""Currencies counted in whole units (the provider's "cents" of these are units)."""


def format_money(cents: int, currency: str) -> str:
    """`1234, "usd"` → `$12.34`; `1234, "chf"` → `12.34 CHF`; `1234, "jpy"` → `1,234 JPY`."""
    code = currency.lower()
    amount = f"{cents:,}" if code in ZERO_DECIMAL else f"{cents // 100:,}.{cents % 100:02d}"
    symbol = SYMBOLS.get(code)
    return f"{symbol}{amount}" if symbol else f"{amount} {code.upper()}"


def _environment(folder: Path, *, autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=autoescape,  # noqa: S701 - off only for the plain-text parts (subject, text)
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
