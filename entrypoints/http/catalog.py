"""/products: the shop window. Public, and only ever shows products on sale."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from application.errors import NotFound
from application.queries import (
    DEFAULT_PAGE_SIZE,
    PageRequest,
    ProductFilters,
    ProductSort,
    SearchTerms,
    ShopWindow,
)
from entrypoints.http.dependencies import Inject
from entrypoints.http.page_cache import CACHED_PAGE
from entrypoints.http.parameters import (
    Author,
    Cents,
    Flag,
    Id,
    Limit,
    Offset,
    SeriesFilter,
    Sort,
)
from entrypoints.http.problems import problems
from entrypoints.http.schemas.catalog import ProductPage, ProductResponse
from entrypoints.http.security import PUBLIC


class CatalogController(Controller):
    """Public, read from the ShopWindow. With CATALOG_CACHE_SECONDS above 0 each worker keeps the
    pages as finished responses (entrypoints.http.page_cache), each served only while the
    catalogue version it was read under is current: a request that starts after a write's
    response never gets a page from before it."""

    path = "/products"
    tags = ["products"]
    opt = {PUBLIC: True}

    @get("/", responses=problems(400), opt={CACHED_PAGE: True})
    async def list_products(
        self,
        *,
        shop_window: Inject[ShopWindow],
        series: SeriesFilter = None,
        author: Author = None,
        min_price_cents: Cents = None,
        max_price_cents: Cents = None,
        in_stock: Flag = None,
        sort: Sort = ProductSort.ID,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> ProductPage:
        """Products on sale, filtered and sorted; ties are always broken by id."""
        filters = ProductFilters(
            series=series,
            author=author,
            min_price_cents=min_price_cents,
            max_price_cents=max_price_cents,
            in_stock=in_stock,
        )
        page = PageRequest(limit=limit, offset=offset)
        return ProductPage.of(await shop_window.products_on_sale(filters, sort, page))

    @get("/search", responses=problems(400), opt={CACHED_PAGE: True})
    async def search(
        self,
        shop_window: Inject[ShopWindow],
        q: Annotated[
            str,
            QueryParameter(
                max_length=1000,
                description="1 to 100 characters once trimmed. Every word must appear, in any case, "
                "in the title or the author. Titles holding every word rank first.",
            ),
        ],
        series: SeriesFilter = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> ProductPage:
        """Search the products on sale by title and author."""
        page = PageRequest(limit=limit, offset=offset)
        return ProductPage.of(await shop_window.search_on_sale(SearchTerms.parse(q), page, series=series))

    @get("/{product_id:int}", responses=problems(400, 404), opt={CACHED_PAGE: True})
    async def show(self, shop_window: Inject[ShopWindow], product_id: Id) -> ProductResponse:
        """One product on sale; a product withdrawn from sale is not found."""
        product = await shop_window.product_on_sale(product_id)
        if product is None:
            raise NotFound("product", product_id)
        return ProductResponse.of(product)
