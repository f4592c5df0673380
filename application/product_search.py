"""Search that finds what shoppers type, misspelt words included."""

from __future__ import annotations

from dataclasses import replace

from application.queries import CatalogQueries, Page, PageRequest, SearchTerms
from domain.catalog import Product, Series


async def search_with_near_matches(
    catalog: CatalogQueries, terms: SearchTerms, page: PageRequest, *, series: Series | None = None
) -> Page[Product]:
    """Products holding every word, as CatalogQueries.search_products finds them. When none does,
    each word may also be one of the catalogue's words near it (domain.search.near_words: "potterr"
    is near "potter", "narnya" near "narnia"); if that finds products, they are the page, marked
    fuzzy, ranked by the same rule (titles holding every word first). Otherwise the empty page."""
    exact = await catalog.search_products(terms, page, series=series)
    if exact.total or not terms.words:
        return exact
    widened = terms.with_near_words(await catalog.near_words(terms.words))
    if widened == terms:
        return exact
    near = await catalog.search_products(widened, page, series=series)
    return replace(near, fuzzy=True) if near.total else exact
