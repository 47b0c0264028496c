"""Headline and section-heading questions: the pick logic with scripted scores, and the real pipeline."""

from __future__ import annotations

from index.types import Sentence
from rag.answer.draft import Candidate
from rag.answer.headings import asks_heading, pick_heading


def _c(doc: str, start: int, score: float, heading: bool = False, text: str = "x") -> Candidate:
    return Candidate(Sentence(doc, start, start + len(text), text, heading), score, 0.0, score, 1)


def test_which_questions_ask_for_a_heading() -> None:
    assert asks_heading("What is the headline of the Post article?")
    assert asks_heading("Under which section heading does REEx assess accuracy?")
    assert not asks_heading("What did the Post report about licences?")


def test_a_section_heading_is_chosen_by_the_section_under_it() -> None:
    first, second = _c("r", 0, 0.1, True, "Highlights"), _c("r", 100, 0.1, True, "Separating Facts")
    body = [_c("r", 50, 0.3), _c("r", 150, 0.9)]  # the question matches the second section's text
    assert pick_heading("Which heading covers accuracy?", [*body, first, second]) == second


def test_the_final_section_is_the_last_heading_and_a_quoted_heading_wins() -> None:
    first, last = _c("r", 0, 0.1, True, "Highlights"), _c("r", 100, 0.1, True, "Why It Matters")
    body = [_c("r", 50, 0.9)]
    assert asks_heading("What's the final section of the commentary called?")
    assert pick_heading("What's the final section of the commentary called?", [*body, first, last]) == last
    quoted = Candidate(Sentence("r", 100, 110, "Velvet Gloves", True), 0.6, 0.8, 0.6, 1)
    texts = [_c("r", 50, 0.5), _c("r", 150, 0.3)]  # the first section's text matches better...
    assert pick_heading("The subheading about velvet gloves?", [*texts, first, quoted]) == quoted  # ...not its name


def test_a_headline_is_a_documents_first_heading_and_a_named_source_narrows() -> None:
    post_title, post_sub = _c("p", 0, 0.2, True, "Softer words"), _c("p", 80, 0.9, True, "Sub")
    other = _c("r", 0, 0.95, True, "Highlights")
    got = pick_heading("What is the Post's headline?", [other, post_sub, post_title], frozenset({"p"}))
    assert got == post_title
    assert pick_heading("What is the headline?", [_c("p", 5, 0.5)]) is None  # no heading retrieved


def test_real_pipeline_answers_headline_questions_with_the_heading(assistant) -> None:
    ans = assistant.ask("What is the headline of the South China Morning Post article?")
    assert not ans.abstained and "Softer words, harder policy" in ans.text
    ans = assistant.ask("Which section heading of the REEx commentary introduces its assessment of accuracy?")
    assert not ans.abstained and "Separating Facts from Wishful Thinking" in ans.text
