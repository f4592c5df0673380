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
from domain.search import NEAR_WORD_SIMILARITY, NEAR_WORDS_PER_WORD
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
from entrypoints.http.schemas.catalog import ProductPage, ProductResponse, SearchPage
from entrypoints.http.security import PUBLIC

SEARCH_RULES = (
    "Every word of `q` must appear, in any case, in the title, the author or the series' name "
    '("Harry Potter", "The Chronicles of Narnia"): "potter stone" finds "Harry Potter and the '
    'Philosopher\'s Stone", "narnia" every Narnia book. A word may be part of a longer one ("phil" finds '
    '"Philosopher"). Punctuation does not count, in `q` or in the books: "philosophers stone", '
    '"philosopher\'s stone" and "philosopher\u2019s stone" find the same book; `%`, `_` and `\'` are '
    "never wildcards, and a `q` made of punctuation only finds nothing. Products whose title alone "
    "holds every word come first, then the others; ties by id. `total` is exact.\n\n"
    "When no product holds every word, near matches are offered for misspelt words: each word may "
    f"then be one of the catalogue's words most like it (trigram similarity of at least "
    f"{NEAR_WORD_SIMILARITY}, the {NEAR_WORDS_PER_WORD} most similar): "
    '"potterr" finds the Harry Potter books, "narnya" the Narnia books. Such a page '
    'says `"fuzzy": true` and is ranked the same way; otherwise `fuzzy` is false.'
)


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

    @get("/search", responses=problems(400), opt={CACHED_PAGE: True}, description=SEARCH_RULES)
    async def search(
        self,
        shop_window: Inject[ShopWindow],
        q: Annotated[
            str,
            QueryParameter(
                max_length=1000,
                description="1 to 100 characters once trimmed. Every word must appear, in any case, in "
                "the title, the author or the series' name; punctuation does not count.",
            ),
        ],
        series: SeriesFilter = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> SearchPage:
        """Search the products on sale by title, author and series: the rules are SEARCH_RULES."""
        page = PageRequest(limit=limit, offset=offset)
        return SearchPage.of(await shop_window.search_on_sale(SearchTerms.parse(q), page, series=series))

    @get("/{product_id:int}", responses=problems(400, 404), opt={CACHED_PAGE: True})
    async def show(self, shop_window: Inject[ShopWindow], product_id: Id) -> ProductResponse:
        """One product on sale; a product withdrawn from sale is not found."""
        product = await shop_window.product_on_sale(product_id)
        if product is None:
            raise NotFound("product", product_id)
        return ProductResponse.of(product)
