"""What the LLM is shown of a passage: every sentence the selector chose, within the passage's share."""

from __future__ import annotations

from index.types import Sentence
from rag.answer.llm_prompt import _shown

LONG = "The EU and China are close to agreeing on a one-year licence, " + "with conditions attached, " * 8 + "it says."
SHORT = "Currently, only three-month licences are available."
AFTER = "This would end months of talks that began in April, as both sides said on Monday evening."


def _sents() -> list[Sentence]:
    out, at = [], 0
    for text in (LONG, SHORT, AFTER):
        out.append(Sentence("d", at, at + len(text), text, False))
        at += len(text) + 1
    return out


def test_both_chosen_sentences_are_shown_when_they_fit() -> None:
    s = _sents()
    shown = _shown(s, len(LONG) + len(SHORT) + 1, [("d", s[1].start), ("d", s[0].start)])
    assert shown == f"{LONG} {SHORT}"


def test_chosen_sentences_that_do_not_fit_are_each_shown_the_short_one_whole() -> None:
    s = _sents()
    budget = 200
    shown = _shown(s, budget, [("d", s[1].start), ("d", s[0].start)])  # the short one ranked first
    assert len(shown) <= budget
    assert shown.endswith(SHORT) and shown.startswith("The EU and China are close to agreeing on a one-year licence")


def test_one_chosen_sentence_grows_into_its_neighbours() -> None:
    s = _sents()
    shown = _shown(s, len(SHORT) + len(AFTER) + 1, [("d", s[1].start)])
    assert shown == f"{SHORT} {AFTER}"
