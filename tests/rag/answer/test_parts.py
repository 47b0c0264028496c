"""Two-part questions: where they split, and how the parts' picks merge (pure logic)."""

from __future__ import annotations

import pytest

from index.types import Sentence
from rag.answer.draft import Candidate, Draft
from rag.answer.parts import merge_parts
from rag.answer.question import split_parts


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "How long have the two sides been in talks, and what set the talks in motion?",
            ["How long have the two sides been in talks", "what set the talks in motion?"],
        ),
        (
            "Using both articles: how did Beijing respond, and what did carmakers then face?",
            ["Using both articles: how did Beijing respond", "Using both articles: what did carmakers then face?"],
        ),
        (
            "Give me the timeline: in which month did the controls start, and when did the crisis erupt?",
            [
                "Give me the timeline: in which month did the controls start",
                "Give me the timeline: when did the crisis erupt?",
            ],
        ),
        (
            "What year does REEx give, and in which month did the shockwaves intensify?",
            ["What year does REEx give", "in which month did the shockwaves intensify?"],
        ),
        # One question with a trailing attribution, a leading frame, or a subordinate "where" clause.
        ("What did the Dutch government sever, according to REEx?", None),
        ("According to REEx, what does the tone of the reporting lean toward?", None),
        ("Where the SCMP describes a deal as near, how does REEx judge it?", None),
        # The second "part" asks nothing of its own.
        ("Is the EU abandoning its plans while softening its tone? What do both articles say?", None),
        ("According to REEx, what will annual licences buy Europe, and what will they not?", None),
    ],
)
def test_split_parts(question: str, parts: list[str] | None) -> None:
    assert split_parts(question) == (parts or [question])


def _cand(start: int, score: float = 0.5) -> Candidate:
    return Candidate(Sentence("d", start, start + 5, "x" * 5, False), score, 0.0, score, 1)


def test_each_part_contributes_its_best_sentence() -> None:
    a, b, c = _cand(0), _cand(10), _cand(20)
    whole = Draft((a,), ranked=(a, c, b))
    got = merge_parts(whole, [Draft((a,), ranked=(a,)), Draft((b,), ranked=(b, a))], max_sentences=2)
    assert got.chosen == (a, b)


def test_a_part_pick_outside_the_whole_questions_context_is_not_taken() -> None:
    a, b, far = _cand(0), _cand(10), _cand(99)
    whole = Draft((a,), ranked=(a, b))
    got = merge_parts(whole, [Draft((a,), ranked=(a,)), Draft((far,), ranked=(far, b))], max_sentences=2, context=2)
    assert got.chosen == (a, b)  # the part's first pick is off-topic for the whole; its next one is in


def test_the_whole_question_decides_whether_to_answer() -> None:
    whole = Draft(reason="the documents never mention chief executive")
    assert merge_parts(whole, [Draft((_cand(0),), ranked=(_cand(0),))], max_sentences=2).abstained
