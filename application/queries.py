"""The read side: pages of products, search and user lists. Reads skip the aggregates: the adapters
answer them with one query each, and these ports say what the answers must be."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar, runtime_checkable

from domain.catalog import Product, Series
from domain.errors import InvalidValue
from domain.fulfilment import FulfilmentStatus
from domain.identity import EMAIL_MAX_LENGTH, User
from domain.ordering import Order, OrderStatus
from domain.search import holds_every_word, product_text, search_words, title_text
from domain.values import refuse_control_characters, require_token

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidValue("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
        if self.offset < 0:
            raise InvalidValue("offset", "must be at least 0")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    fuzzy: bool = False
    """Search only: the items match near spellings of the words typed, not the words themselves."""


class ProductSort(StrEnum):
    """Every order is total: ties are broken by id, so pages never overlap or skip."""

    ID = "id"
    TITLE = "title"
    PRICE = "price_cents"
    PRICE_DESCENDING = "-price_cents"
    CREATED = "created_at"
    CREATED_DESCENDING = "-created_at"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductFilters:
    series: Series | None = None
    author: str | None = None
    """Case-insensitive substring of the author; %, _ and \\ are literal characters."""
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    in_stock: bool | None = None
    is_active: bool | None = None
    """None: active and inactive alike (the back office). The shop window (ShopWindow) shows
    products on sale only, whatever this says."""

    def __post_init__(self) -> None:
        if self.author is not None:
            refuse_control_characters("author", self.author)


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a customer typed, as the words that must all be found (domain.search says how typed words
    and the catalogue's text compare). Each word comes as the spellings any of which will do: the
    word as typed and, when a search offers near matches, the catalogue's words near it."""

    words: tuple[str, ...]
    """The words as typed (normalised by domain.search)."""
    spellings: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, query: str) -> SearchTerms:
        """1 to SEARCH_MAX_LENGTH characters once trimmed. Text made of punctuation only is valid,
        and holds no word: such terms match nothing (a `%` is never a wildcard)."""
        text = refuse_control_characters("q", query).strip()
        if not 1 <= len(text) <= SEARCH_MAX_LENGTH:
            raise InvalidValue("q", f"must be 1 to {SEARCH_MAX_LENGTH} characters once trimmed")
        words = search_words(text)
        return cls(words=words, spellings=tuple((word,) for word in words))

    def with_near_words(self, near: Mapping[str, Sequence[str]]) -> SearchTerms:
        """These words, each also satisfied by the words `near` gives for it. A spelling that holds
        another one is left out: it could only match where that one does ("potter" for "potterr")."""
        return SearchTerms(
            words=self.words,
            spellings=tuple(_shortest((word, *near.get(word, ()))) for word in self.words),
        )

    def matches(self, product: Product) -> bool:
        """The rule every search result obeys: each word is in the title, the author or the series'
        name (domain.search.product_text)."""
        text = product_text(product.title, product.author, product.series)
        return holds_every_word(text, self.spellings)

    def all_in_title(self, product: Product) -> bool:
        return holds_every_word(title_text(product.title), self.spellings)


def _shortest(spellings: Sequence[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(spellings))
    return tuple(s for s in unique if not any(other != s and other in s for other in unique))


@runtime_checkable
class CatalogQueries(Protocol):
    """The catalogue as stored now, withdrawn products included: the back office's view, and what
    the shop window is read from. Never cached: every answer is read from the store."""

    async def list_products(
        self, filters: ProductFilters, sort: ProductSort, page: PageRequest
    ) -> Page[Product]: ...

    async def search_products(
        self, terms: SearchTerms, page: PageRequest, *, series: Series | None = None
    ) -> Page[Product]:
        """Active products that SearchTerms.matches. Products whose title alone holds every word
        (SearchTerms.all_in_title) come first; then by id. The total is exact. Never fuzzy: the
        terms say which spellings will do."""
        ...

    async def near_words(self, words: Sequence[str]) -> dict[str, list[str]]:
        """For each word, domain.search.near_words over the catalogue's vocabulary: the
        domain.search.vocabulary of every product as it was ever stored (withdrawn ones, and words a
        product no longer has, included: a word that finds nothing does no harm)."""
        ...

    async def get_active_product(self, product_id: int) -> Product | None: ...


@runtime_checkable
class ShopWindow(Protocol):
    """The public catalogue: what anybody may see, only products on sale. Its answers may be
    cached in front of it (the public routes keep their pages), but only while the catalogue
    version they were read under is current (see ports.CatalogueVersion): never an answer a
    completed write has made stale. It never decides what can be sold (carts and checkout read
    the store). Its own type, apart from CatalogQueries (the back office's, never cached), so that
    a route cannot take one for the other."""

    async def products_on_sale(
        self, filters: ProductFilters, sort: ProductSort, page: PageRequest
    ) -> Page[Product]: ...

    async def search_on_sale(
        self, terms: SearchTerms, page: PageRequest, *, series: Series | None = None
    ) -> Page[Product]:
        """As CatalogQueries.search_products; when nothing matches every word, near matches for
        misspelt words, on a page marked `fuzzy` (application.product_search)."""
        ...

    async def product_on_sale(self, product_id: int) -> Product | None: ...


@runtime_checkable
class OrderQueries(Protocol):
    async def list_orders(
        self, page: PageRequest, *, user_id: int | None = None, status: OrderStatus | None = None
    ) -> Page[Order]:
        """Orders newest first (ties by id, newest first), each with its items."""
        ...

    async def get_order(self, order_id: int) -> Order | None: ...


@runtime_checkable
class UserQueries(Protocol):
    async def list_users(
        self, page: PageRequest, *, is_active: bool | None = None, email: EmailPart | None = None
    ) -> Page[User]:
        """Users by id; with `email`, only those whose email holds it (EmailPart.matches)."""
        ...

    async def get_user(self, user_id: int) -> User | None:
        """The user as committed now (who is calling, on every authenticated request)."""
        ...


@dataclass(frozen=True, slots=True)
class EmailPart:
    """Part of an email, as staff type it to find an account: compared case-insensitively, as a
    substring; `%`, `_` and `\\` are literal characters, never wildcards."""

    text: str

    def __post_init__(self) -> None:
        text = require_token("email", self.text, max_length=EMAIL_MAX_LENGTH)
        object.__setattr__(self, "text", text.lower())

    def matches(self, email: str) -> bool:
        return self.text in email.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilters:
    user_id: int | None = None
    status: OrderStatus | None = None
    fulfilment_status: FulfilmentStatus | None = None

    def matches(self, order: Order) -> bool:
        return (
            (self.user_id is None or order.user_id == self.user_id)
            and (self.status is None or order.status is self.status)
            and (self.fulfilment_status is None or order.fulfilment.status is self.fulfilment_status)
        )


@dataclass(frozen=True, slots=True)
class CustomerOrder:
    """An order as staff see it: with the email of the customer who placed it."""

    order: Order
    user_email: str


@runtime_checkable
class StaffOrderQueries(Protocol):
    """Everyone's orders, for the back office."""

    async def list_customer_orders(self, filters: OrderFilters, page: PageRequest) -> Page[CustomerOrder]:
        """The orders OrderFilters.matches, newest first (ties by id, newest first), each with its
        items and its customer's email. The total is exact."""
        ...

    async def get_customer_order(self, order_id: int) -> CustomerOrder | None: ...
