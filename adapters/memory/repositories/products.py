"""Products, and their stock moved by Product's stock rule itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from adapters.memory.store import MemoryStore, Tables
from domain.catalog import Product, Series
from domain.errors import DomainError
from domain.search import product_text, vocabulary


class MemoryProductRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._products = tables.products
        self._search_words = tables.search_words
        self._store = store
        self.changed = False
        """A product was added or changed in this unit of work (its commit moves the catalogue
        version on)."""

    async def add(self, product: Product) -> Product:
        product.id = self._store.next_id("products")
        self._products[product.id] = replace(product)
        self._search_words.update(vocabulary(product_text(product.title, product.author, product.series)))
        self.changed = True
        return product

    async def get(self, product_id: int, *, for_update: bool = False) -> Product | None:
        product = self._products.get(product_id)
        return replace(product) if product else None

    async def find(self, title: str, series: Series) -> Product | None:
        found = [p for p in self._products.values() if p.title == title and p.series is series]
        return replace(min(found, key=lambda p: p.id or 0)) if found else None

    async def get_many(self, product_ids: Iterable[int]) -> dict[int, Product]:
        return {pid: replace(self._products[pid]) for pid in set(product_ids) if pid in self._products}

    async def update_details(self, product: Product) -> Product:
        if product.id is None or product.id not in self._products:
            raise LookupError(f"product {product.id} is not stored")
        stored = self._products[product.id]
        self._products[product.id] = replace(product, stock=stored.stock)
        self._search_words.update(vocabulary(product_text(product.title, product.author, product.series)))
        self.changed = True
        return replace(self._products[product.id])

    async def withdraw_stock(self, product_id: int, quantity: int) -> bool:
        return self._move(product_id, Product.withdraw, quantity) is not None

    async def return_stock(self, product_id: int, quantity: int) -> None:
        product = self._products.get(product_id)
        if product is not None:
            returned = replace(product)
            returned.replenish(quantity)
            self._products[product_id] = returned
            self.changed = True

    async def adjust_stock(self, product_id: int, delta: int) -> Product | None:
        return self._move(product_id, Product.adjust_stock, delta)

    async def set_stock(self, product_id: int, stock: int) -> Product | None:
        return self._move(product_id, Product.set_stock, stock)

    def _move(self, product_id: int, rule: Callable[[Product, int], None], amount: int) -> Product | None:
        """The stock rule itself (one of Product's stock methods) applied to the stored product, in one
        step (the unit of work holds the store): the product after the move, or None, and nothing
        changed, when the product is missing or the rule refuses."""
        stored = self._products.get(product_id)
        if stored is None:
            return None
        moved = replace(stored)
        try:
            rule(moved, amount)
        except DomainError:
            return None
        self._products[product_id] = moved
        self.changed = True
        return replace(moved)
