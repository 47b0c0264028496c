"""Word tokens of any script, compound parts and one-slip spelling matches (pure logic)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.text import as_typed, compound_parts, content_terms, one_edit_apart, slip_of, words

_LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüé", min_size=2, max_size=12)


def test_a_word_with_accents_is_one_word() -> None:
    assert words("Möngke Khan met Maizière in Zürich.") == ["Möngke", "Khan", "met", "Maizière", "in", "Zürich"]
    assert words("Ελλάδα and Россия") == ["Ελλάδα", "and", "Россия"]


def test_numbers_compounds_and_clitics_stay_whole() -> None:
    assert words("Nexperia's al-Qaeda 3.5% EU–China it’s") == ["Nexperia's", "al-Qaeda", "3.5%", "EU–China", "it's"]


def test_a_clitic_after_a_compound_stays_on_it() -> None:
    # Before, "al-Qaeda's" was "al-Qaeda" and a stray "s", unlike "Nexperia's".
    assert words("al-Qaeda's leader and Kent-Brown’s speech") == [
        "al-Qaeda's",
        "leader",
        "and",
        "Kent-Brown's",
        "speech",
    ]
    assert content_terms("EU–China's talks") == ["EU–China's", "EU", "China's", "talks"]


@given(st.lists(_LETTERS, min_size=1, max_size=4), st.sampled_from(["", "'s", "’s", "'t"]))
def test_a_compound_with_or_without_a_clitic_is_one_word(parts: list[str], clitic: str) -> None:
    compound = "-".join(parts) + clitic
    assert words(f"({compound}) x") == [compound.replace("’", "'"), "x"]


def test_compound_parts() -> None:
    assert compound_parts("Saint-Clair-sur-Epte") == ["Saint-Clair-sur-Epte", "Saint", "Clair", "sur", "Epte"]
    assert compound_parts("EU–China") == ["EU–China", "EU", "China"]
    assert compound_parts("licence") == ["licence"]
    assert content_terms("the treaty of Saint-Clair-sur-Epte") == [
        "treaty",
        "Saint-Clair-sur-Epte",
        "Saint",
        "Clair",
        "sur",
        "Epte",
    ]


@given(_LETTERS, st.integers(min_value=0, max_value=20), st.sampled_from("abcxyzö"))
def test_any_one_slip_is_one_edit(word: str, at: int, letter: str) -> None:
    i = at % len(word)
    slips = {
        word[:i] + word[i + 1 :],  # deleted
        word[:i] + letter + word[i:],  # inserted
        word[:i] + letter + word[i + 1 :],  # replaced
    }
    if i + 1 < len(word):
        slips.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])  # neighbours swapped
    for slip in slips - {word}:
        assert one_edit_apart(word, slip) and one_edit_apart(slip, word), slip


@given(_LETTERS, _LETTERS)
def test_one_edit_apart_is_symmetric_and_never_holds_for_equal_or_distant_words(a: str, b: str) -> None:
    assert one_edit_apart(a, b) == one_edit_apart(b, a)
    assert not one_edit_apart(a, a)
    if abs(len(a) - len(b)) > 1:
        assert not one_edit_apart(a, b)


def test_two_slips_are_not_one() -> None:
    assert not one_edit_apart("september", "septmbre")
    assert not one_edit_apart("abcd", "badc")


def test_a_typing_slip_finds_the_word_in_the_passages() -> None:
    passages = ["The campaign ended in September.", "Bismarck met the Kilbrandon commission."]
    assert slip_of("campaigh", passages) == "campaign"
    assert slip_of("Septmber", passages) == "September"
    assert slip_of("Bismark", passages) == "Bismarck"
    assert slip_of("Kllbrandon", passages) == "Kilbrandon"
    assert slip_of("elections", passages) is None  # nothing one slip away
    assert slip_of("ende", passages) is None  # too short to tell a slip from another word


def test_terms_as_typed_join_their_neighbours() -> None:
    q = "Is the commentator accusing the Hong Kong paper, or Tesla’s board?"
    assert as_typed(q, ["Kong", "Tesla's", "Hong"]) == ["Hong Kong", "Tesla’s"]
    assert as_typed(q, ["paper", "Clair"]) == ["paper", "Clair"]  # a term not typed whole comes last


@given(st.lists(_LETTERS, min_size=1, max_size=6, unique=True), st.data())
def test_terms_as_typed_keep_every_term_in_order(ws: list[str], data: st.DataObject) -> None:
    text = " ".join(ws)
    assert as_typed(text, ws) == [text]
    some = data.draw(st.lists(st.sampled_from(ws), unique=True))
    phrases = as_typed(text, some)
    assert all(p in text for p in phrases)
    assert " ".join(phrases).split() == [w for w in ws if w in some]
