"""How the catalogue is searched: what text a book is found by, how typed words and that text are
compared, and how near a misspelt word is to a word of the catalogue. The one statement of these
rules; stores that search in SQL keep the text they compare as this module writes it
(ProductRepository) and compare it as `holds_every_word` does."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from domain.catalog import Series

SERIES_NAMES: dict[Series, str] = {
    Series.HP: "Harry Potter",
    Series.NARNIA: "The Chronicles of Narnia",
}
"""The series' names a shopper may type: "narnia" and "chronicles" find every Narnia book."""

_APOSTROPHE_LIKE = frozenset("\u02b9\u02bc\u0060\u00b4")
"""Letters and symbols typed for an apostrophe (U+02B9, U+02BC, the grave and the acute accent):
ignored like the punctuation they stand for."""


def _ignored(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] == "P" or category == "Cf" or character in _APOSTROPHE_LIKE


def searchable(text: str) -> str:
    """Text as search compares it: compatibility forms folded (NFKC: "ﬁ" is "fi", full-width letters
    are letters), case folded, punctuation and invisible formatting characters removed, not replaced
    ("Philosopher's" and "philosopher\u2019s" both read "philosophers", "Half-Blood" reads "halfblood"),
    words separated by single spaces."""
    folded = unicodedata.normalize("NFKC", _without_ignored(text)).casefold()
    return " ".join(_without_ignored(folded).split())


def _without_ignored(text: str) -> str:
    """Twice: before NFKC, which spells some of them with a space (the acute accent is a space and a
    combining accent), and after it, which may spell a symbol with punctuation ("…" is "...")."""
    return "".join(c for c in text if not _ignored(c))


def search_words(text: str) -> tuple[str, ...]:
    """The words of what a shopper typed, each once, in the order typed. Punctuation alone is no word."""
    return tuple(dict.fromkeys(searchable(text).split()))


def title_text(title: str) -> str:
    """What "the title holds every word" is checked against."""
    return searchable(title)


def product_text(title: str, author: str, series: Series) -> str:
    """What every word is looked for in: the title, the author and the series' name. A typed word
    holds no space, so it can never match across two of them."""
    return " ".join((searchable(title), searchable(author), searchable(SERIES_NAMES[series])))


def vocabulary(text: str) -> set[str]:
    """The words a product's product_text adds to the catalogue's vocabulary, which near words are
    taken from: all of them up to VOCABULARY_WORD_MAX_LENGTH characters (no one types a longer one)."""
    return {word for word in text.split() if len(word) <= VOCABULARY_WORD_MAX_LENGTH}


def holds_every_word(text: str, words: Sequence[Iterable[str]]) -> bool:
    """Each word (given as the spellings any of which will do) is part of `text`; no words, no match.
    A substring test: "potter" is held by "harry potter" and by "potters"."""
    return bool(words) and all(any(spelling in text for spelling in spellings) for spellings in words)


# Near words: trigram similarity, as PostgreSQL's pg_trgm computes it, so that a store may ask
# pg_trgm's similarity() and `%` (indexed) and find what this module would.

NEAR_WORD_SIMILARITY = 0.3
"""How similar a catalogue word must be to a typed word to be offered for it (pg_trgm's default)."""
NEAR_WORDS_PER_WORD = 3
"""At most this many near words are tried for each typed word, the most similar first."""
VOCABULARY_WORD_MAX_LENGTH = 100


def trigrams(word: str) -> frozenset[str]:
    """pg_trgm's trigrams: the text is split into runs of letters and digits, each run padded with two
    spaces before and one after, and every three consecutive characters of it taken."""
    found: set[str] = set()
    for run in "".join(c if c.isalnum() else " " for c in word.lower()).split():
        padded = f"  {run} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(found)


def similarity(first: str, second: str) -> float:
    """pg_trgm's similarity(): the trigrams both share over the trigrams either has (0 to 1)."""
    a, b = trigrams(first), trigrams(second)
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def near_words(word: str, vocabulary: Iterable[str], *, limit: int = NEAR_WORDS_PER_WORD) -> list[str]:
    """The words of `vocabulary` at least NEAR_WORD_SIMILARITY similar to `word`: the most similar
    first, ties in alphabetical order, at most `limit` of them."""
    scored = ((similarity(word, candidate), candidate) for candidate in vocabulary)
    near = sorted((-score, candidate) for score, candidate in scored if score >= NEAR_WORD_SIMILARITY)
    return [candidate for _, candidate in near[:limit]]
