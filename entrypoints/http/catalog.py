"""/products: the shop window. Public, and only ever shows products on sale."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from application.errors import NotFound
from application.queries import CatalogQueries, Page, PageRequest, ProductFilters, ProductSort, SearchTerms
from domain.catalog import Product
from entrypoints.http.parameters import Id, SeriesFilter, Sort, page_request, product_filters
from entrypoints.http.problems import problems
from entrypoints.http.schemas.catalog import ProductPage, ProductResponse
from entrypoints.http.security import PUBLIC


def product_page(page: Page[Product]) -> ProductPage:
    return ProductPage(
        items=[ProductResponse.of(product) for product in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


class CatalogController(Controller):
    path = "/products"
    tags = ["products"]
    opt = {PUBLIC: True}
    dependencies = {
        "page": Provide(page_request, sync_to_thread=False),
        "filters": Provide(product_filters, sync_to_thread=False),
    }

    @get("/", responses=problems(400))
    async def list_products(
        self,
        catalog_queries: NamedDependency[CatalogQueries],
        page: NamedDependency[PageRequest],
        filters: NamedDependency[ProductFilters],
        sort: Sort = ProductSort.ID,
    ) -> ProductPage:
        """Products on sale, filtered and sorted; ties are always broken by id."""
        shown = replace(filters, is_active=True)
        return product_page(await catalog_queries.list_products(shown, sort, page))

    @get("/search", responses=problems(400))
    async def search(
        self,
        catalog_queries: NamedDependency[CatalogQueries],
        page: NamedDependency[PageRequest],
        q: Annotated[
            str,
            QueryParameter(
                max_length=1000,
                description="1 to 100 characters once trimmed. Every word must appear, in any case, "
                "in the title or the author. Titles holding every word rank first.",
            ),
        ],
        series: SeriesFilter = None,
    ) -> ProductPage:
        """Search the products on sale by title and author."""
        return product_page(await catalog_queries.search_products(SearchTerms.parse(q), page, series=series))

    @get("/{product_id:int}", responses=problems(400, 404))
    async def show(self, catalog_queries: NamedDependency[CatalogQueries], product_id: Id) -> ProductResponse:
        """One product on sale; a product withdrawn from sale is not found."""
        product = await catalog_queries.get_active_product(product_id)
        if product is None:
            raise NotFound("product", product_id)
        return ProductResponse.of(product)
