"""The demo catalogue: the seven Harry Potter books and the seven Chronicles of Narnia."""

from __future__ import annotations

from dataclasses import dataclass

from application.catalog import NewProduct
from application.ports import Clock, UnitOfWorkFactory
from domain.catalog import Product, Series

ROWLING = "J. K. Rowling"
LEWIS = "C. S. Lewis"

DEMO_BOOKS: tuple[NewProduct, ...] = (
    NewProduct(
        title="Harry Potter and the Philosopher's Stone",
        series=Series.HP,
        author=ROWLING,
        price_cents=899,
        stock=40,
    ),
    NewProduct(
        title="Harry Potter and the Chamber of Secrets",
        series=Series.HP,
        author=ROWLING,
        price_cents=899,
        stock=35,
    ),
    NewProduct(
        title="Harry Potter and the Prisoner of Azkaban",
        series=Series.HP,
        author=ROWLING,
        price_cents=999,
        stock=30,
    ),
    NewProduct(
        title="Harry Potter and the Goblet of Fire",
        series=Series.HP,
        author=ROWLING,
        price_cents=1199,
        stock=25,
    ),
    NewProduct(
        title="Harry Potter and the Order of the Phoenix",
        series=Series.HP,
        author=ROWLING,
        price_cents=1299,
        stock=25,
    ),
    NewProduct(
        title="Harry Potter and the Half-Blood Prince",
        series=Series.HP,
        author=ROWLING,
        price_cents=1199,
        stock=20,
    ),
    NewProduct(
        title="Harry Potter and the Deathly Hallows",
        series=Series.HP,
        author=ROWLING,
        price_cents=1399,
        stock=20,
    ),
    NewProduct(
        title="The Lion, the Witch and the Wardrobe",
        series=Series.NARNIA,
        author=LEWIS,
        price_cents=799,
        stock=40,
    ),
    NewProduct(title="Prince Caspian", series=Series.NARNIA, author=LEWIS, price_cents=799, stock=30),
    NewProduct(
        title="The Voyage of the Dawn Treader", series=Series.NARNIA, author=LEWIS, price_cents=799, stock=30
    ),
    NewProduct(title="The Silver Chair", series=Series.NARNIA, author=LEWIS, price_cents=799, stock=25),
    NewProduct(title="The Horse and His Boy", series=Series.NARNIA, author=LEWIS, price_cents=799, stock=25),
    NewProduct(title="The Magician's Nephew", series=Series.NARNIA, author=LEWIS, price_cents=799, stock=30),
    NewProduct(title="The Last Battle", series=Series.NARNIA, author=LEWIS, price_cents=799, stock=20),
)


@dataclass(frozen=True, slots=True)
class SeedReport:
    added: int
    already_there: int


class LoadDemoCatalogue:
    """Fill an empty shop with the fourteen books. Idempotent: a book already in the catalogue
    (by title and series) is left exactly as staff left it, price and stock included."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self) -> SeedReport:
        added = 0
        async with self._uow() as uow:
            for book in DEMO_BOOKS:
                if await uow.products.find(book.title, book.series) is not None:
                    continue
                await uow.products.add(
                    Product(
                        title=book.title,
                        series=book.series,
                        author=book.author,
                        price_cents=book.price_cents,
                        stock=book.stock,
                        created_at=self._clock.now(),
                    )
                )
                added += 1
            await uow.commit()
        return SeedReport(added=added, already_there=len(DEMO_BOOKS) - added)
