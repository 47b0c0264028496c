from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.aliases import Aliases
from rag.answer.question import question_terms

# A small alphabet, so generated names and questions share words, prefixes and boundaries often.
_CHARS = st.sampled_from(list("abAB1 -',&é") + ["the ", "and ", "says ", "according to "])
_TEXT = st.lists(_CHARS, max_size=14).map("".join)
_NAMES = st.lists(_TEXT.filter(lambda n: len(n) > 1), min_size=1, max_size=3)


@settings(max_examples=400, deadline=None)
@given(question=_TEXT, by_doc=st.dictionaries(st.sampled_from("pqrst"), _NAMES, max_size=5))
def test_narrowing_finds_what_the_full_scan_finds(question: str, by_doc: dict[str, list[str]]) -> None:
    plain = {d: set(names) for d, names in by_doc.items()}
    assert question_terms(question, Aliases(plain)) == question_terms(question, plain)


def test_named_in_keeps_only_documents_whose_names_start_with_a_question_word() -> None:
    aliases = Aliases({"p": {"South China Morning Post", "SCMP"}, "r": {"REEx"}, "x": {"Reuters"}})
    assert aliases.named_in("Does REEx agree with the SCMP?") == {"p": aliases["p"], "r": {"REEx"}}
    assert aliases.named_in("What does the south wind do?") == {"p": aliases["p"]}  # a candidate, not a match
    assert aliases.named_in("What is a licence?") == {}


def test_named_in_keeps_the_dict_order_and_names_without_a_leading_word() -> None:
    aliases = Aliases({"b": {"Beta"}, "odd": {" (odd) "}, "a": {"Alpha"}})
    assert list(aliases.named_in("alpha and beta")) == ["b", "odd", "a"]


def test_a_question_naming_a_source_still_finds_it_among_many_documents() -> None:
    many = {f"d{i}": {f"Publisher {i}", f"P{i}"} for i in range(5000)}
    many["r"] = {"REEx", "Rare Earth Exchanges"}
    qt = question_terms("According to Rare Earth Exchanges, what will licences buy?", Aliases(many))
    assert qt.sources == {"r"} and qt.attributed == {"r"}
