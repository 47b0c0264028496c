"""The one copy of the pipeline's English: function-word classes, the alternation helper, the stemmer."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from index.lang import (
    AUXILIARIES,
    DETERMINERS,
    MODALS,
    PERSONAL_PRONOUNS,
    STOPWORDS,
    WH_WORDS,
    alternation,
    fold_accents,
    is_stopword,
    stem,
)
from index.text import content_terms

_WORD = st.text(alphabet="abcdefghij'.", min_size=1, max_size=6)


@given(st.frozensets(_WORD, min_size=1, max_size=12))
def test_alternation_matches_each_word_whole(words: frozenset[str]) -> None:
    # Longest first: with "wh" before "who", re.match would stop after "wh" on "who".
    pattern = re.compile(rf"(?:{alternation(words)})")
    for w in words:
        m = pattern.match(w)
        assert m is not None and m.group(0) == w


@given(st.frozensets(_WORD, min_size=1, max_size=12), _WORD)
def test_alternation_matches_nothing_else_whole(words: frozenset[str], other: str) -> None:
    assert bool(re.fullmatch(rf"(?:{alternation(words)})", other)) == (other in words)


def test_function_words_are_stop_words() -> None:
    # A question's grammar words must never become the terms it is matched on.
    for cls in (WH_WORDS, AUXILIARIES, MODALS, DETERMINERS, PERSONAL_PRONOUNS):
        assert cls <= STOPWORDS, sorted(cls - STOPWORDS)


def test_function_word_classes_do_not_overlap() -> None:
    classes = [WH_WORDS, AUXILIARIES, MODALS, DETERMINERS, PERSONAL_PRONOUNS]
    for i, a in enumerate(classes):
        for b in classes[i + 1 :]:
            assert not a & b


def test_stem_folds_british_and_american_spellings() -> None:
    assert stem("licence") == stem("license") == stem("licences")
    assert stem("organise") == stem("organize")
    assert stem("China's") == stem("China")


def test_stem_folds_accents() -> None:
    # People type names without their accents; the documents keep them.
    assert stem("Möngke") == stem("Mongke")
    assert stem("Maizière") == stem("Maiziere")
    assert fold_accents("Zürich") == "Zurich" and fold_accents("plain") == "plain"


def test_a_contracted_stop_word_is_a_stop_word_and_a_possessive_name_is_not() -> None:
    for w in ("I'm", "they've", "We're", "she'd", "you’ll", "that's", "the"):
        assert is_stopword(w), w
    for w in ("Beijing's", "EU’s", "licence", "o'clock"):
        assert not is_stopword(w), w
    # Else "If I'm holding ..." asks about a name "I'm" that no document holds, and is refused.
    assert content_terms("If I'm holding one of Beijing's permits, can I ship?") == [
        "holding",
        "Beijing's",
        "permits",
        "ship",
    ]
