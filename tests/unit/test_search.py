"""domain.search: how typed words and a book's text compare, and how near a misspelt word is."""

from __future__ import annotations

import pytest

from application.queries import SearchTerms
from domain.catalog import Series
from domain.search import holds_every_word, near_words, product_text, search_words, searchable, similarity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Harry Potter and the Philosopher's Stone", "harry potter and the philosophers stone"),
        ("Philosopher\u2019s Stone", "philosophers stone"),  # the typographic apostrophe
        ("Philosopher\u00b4s  Stone", "philosophers stone"),  # an acute accent typed for one
        ("The Lion, the Witch and the Wardrobe", "the lion the witch and the wardrobe"),
        ("Half-Blood", "halfblood"),
        ("J. K. Rowling", "j k rowling"),
        ("ÉMILE Straße", "émile strasse"),
        ("\uff30\uff4f\uff54\uff54\uff45\uff52", "potter"),  # full-width letters
        ("soft\u00adhyphen", "softhyphen"),  # an invisible formatting character
        ("100% magic_book \\ 🦁 +1", "100 magicbook 🦁 +1"),  # symbols are not punctuation
        ("%_'\u2019 ...", ""),
    ],
)
def test_searchable_text_is_case_folded_without_punctuation(text: str, expected: str) -> None:
    assert searchable(text) == expected


def test_typed_words_are_each_kept_once_in_order_and_punctuation_is_no_word() -> None:
    assert search_words(" Potter's  POTTERS stone - & ") == ("potters", "stone")


def test_a_book_is_found_by_its_title_author_and_series_name() -> None:
    text = product_text("Prince Caspian", "C. S. Lewis", Series.NARNIA)

    assert text == "prince caspian c s lewis the chronicles of narnia"
    assert holds_every_word(text, [("narnia",), ("caspian",)])
    assert holds_every_word(text, [("caspain", "caspian")])  # any spelling of a word will do
    assert not holds_every_word(text, [("narnia",), ("potter",)])
    assert not holds_every_word(text, [])  # no word, no match: never everything


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [  # pg_trgm's similarity() of the same pairs
        ("potterr", "potter", 0.6666667),
        ("narnya", "narnia", 0.4),
        ("caspain", "caspian", 0.33333334),
        ("émile", "emile", 0.33333334),
        ("potter", "potter", 1.0),
        ("abc", "xyz", 0.0),
        ("%", "%", 0.0),
    ],
)
def test_similarity_is_pg_trgm_similarity(first: str, second: str, expected: float) -> None:
    assert similarity(first, second) == pytest.approx(expected, abs=1e-6)


def test_near_words_are_the_most_similar_first_ties_alphabetical_at_most_three() -> None:
    vocabulary = ["potters", "potter", "spotter", "pottery", "otter", "narnia", "potterr"]

    assert near_words("potterr", vocabulary) == ["potterr", "potter", "potters"]
    assert near_words("narnya", vocabulary) == ["narnia"]
    assert near_words("qqqq", vocabulary) == []


def test_near_spellings_that_hold_another_are_left_out() -> None:
    """Any text holding "potterr" or "potters" holds "potter": searching for it alone finds the same."""
    terms = SearchTerms.parse("potterr narnya").with_near_words(
        {"potterr": ["potter", "potters"], "narnya": ["narnia"]}
    )

    assert terms.words == ("potterr", "narnya")
    assert terms.spellings == (("potter",), ("narnya", "narnia"))
