"""The judge's word-level helpers: tokens, numbers, dates and names, alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rag.grounding.judge_text import date_misses, entity_runs, is_negation, numbers, stems_match, tokens


def test_tokens_undo_ptb_and_keep_inner_punctuation() -> None:
    assert tokens("-LRB- L'Oreal paid 1,200 -RRB- ``yes''") == ["L'Oreal", "paid", "1,200", "yes"]


@given(st.integers(min_value=0, max_value=10**9))
def test_digits_with_thousands_separators_read_as_their_value(n: int) -> None:
    assert numbers([f"{n:,}"]) == {float(n)}


def test_number_words_ordinals_and_titles() -> None:
    assert numbers(["three", "26th", "1990s"]) == {3.0, 26.0, 1990.0}
    assert numbers(["the", "second"]) == {-2.0}  # ordinal words are kept apart, as negatives
    assert numbers(["in", "One"]) == set()  # a capitalised number word inside a sentence is a title
    assert numbers(["one"], claim=True) == set()  # "one of the founders" states no count


def test_a_date_misses_only_when_a_part_both_state_disagrees() -> None:
    premise = tokens("He was born on 2 May 1990 in Leeds.")
    assert date_misses(tokens("born in May 1990"), premise) == 0
    assert date_misses(tokens("born on 3 May 1990"), premise) == 1
    assert date_misses(tokens("born in June"), premise) == 1


def test_names_negations_and_stem_prefixes() -> None:
    assert entity_runs(tokens("The Bank of England met Mary Smith")) == [["Bank", "England"], ["Mary", "Smith"]]
    words = tokens("she turned down the offer and never returned")
    assert is_negation(words, words.index("turned")) and is_negation(words, words.index("never"))
    assert not is_negation(words, words.index("offer"))
    assert stems_match("govern", "governed") and not stems_match("gov", "govern")
