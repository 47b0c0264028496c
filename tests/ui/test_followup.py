"""ui.followup: the documented rewrite rule for follow-up questions."""

from __future__ import annotations

import pytest

from ui.followup import content_words, is_followup, rewrite

PREV = "Why have EU officials toned down their public rhetoric on Beijing?"


@pytest.mark.parametrize(
    "question",
    [
        "and what did Beijing do after that?",
        "And Nexperia?",
        "What about the Dutch government?",
        "how about the licences?",
        "They said what exactly about it?",
        "Why?",
        "which one?",
        "what did China do then?",
        "Who controls it today?",
    ],
)
def test_followups_are_detected(question: str) -> None:
    assert is_followup(question)


@pytest.mark.parametrize(
    "question",
    [
        "What kind of company is Nexperia?",
        "Who won the 2022 football World Cup?",
        "   ",
        "Andorra has what rules?",
        "Why have EU officials toned down their public rhetoric on Beijing?",
        "What did the minister say about that long process in Brussels last year?",
    ],
)
def test_full_questions_are_not(question: str) -> None:
    assert not is_followup(question)


def test_content_words_drop_stop_and_question_words() -> None:
    assert content_words(PREV) == ["EU", "officials", "toned", "down", "public", "rhetoric", "Beijing"]
    assert len(content_words(" ".join(f"word{i}" for i in range(20)))) == 8


def test_rewrite_prepends_the_previous_questions_content_words() -> None:
    out = rewrite("and what did Beijing do after that?", PREV)
    assert out == "EU officials toned down public rhetoric — and what did Beijing do after that?"
    assert rewrite("What kind of company is Nexperia?", PREV) == "What kind of company is Nexperia?"
    assert rewrite("and Nexperia?", None) == "and Nexperia?"  # nothing to borrow at the start


def test_rewrite_never_pushes_a_question_over_the_limit() -> None:
    long_q = "and " + "x " * 995
    assert rewrite(long_q, PREV, max_chars=2000) == long_q
    assert rewrite("and why?", PREV, max_chars=10) == "and why?"
