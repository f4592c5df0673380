"""The shop window read straight from the catalogue: products on sale, as stored now. Not cached
itself: a cache in front of it (the public routes' page cache) keeps its answers per catalogue
version."""

from __future__ import annotations

from dataclasses import replace

from application.product_search import search_with_near_matches
from application.queries import (
    CatalogQueries,
    Page,
    PageRequest,
    ProductFilters,
    ProductSort,
    SearchTerms,
)
from domain.catalog import Product, Series


class StoredShopWindow:
    """A ShopWindow over CatalogQueries: whatever a visitor filters on, only products on sale."""

    def __init__(self, catalog: CatalogQueries) -> None:
        self._catalog = catalog

    async def products_on_sale(
        self, filters: ProductFilters, sort: ProductSort, page: PageRequest
    ) -> Page[Product]:
        return await self._catalog.list_products(replace(filters, is_active=True), sort, page)

    async def search_on_sale(
        self, terms: SearchTerms, page: PageRequest, *, series: Series | None = None
    ) -> Page[Product]:
        return await search_with_near_matches(self._catalog, terms, page, series=series)

    async def product_on_sale(self, product_id: int) -> Product | None:
        return await self._catalog.get_active_product(product_id)
