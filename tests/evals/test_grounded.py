"""``assert_grounded``'s checks on hand-made answers over a real file (the plugin tests run the real pipeline)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from evals.citations import source_loader
from evals.grounded import GroundingError, assert_grounded, grounding_problems
from rag.types import Answer, Citation

_TEXT = "Beijing grants three-month licences. Brussels wants a one-year licence instead."


def _support(premise: str, claim: str) -> bool:
    # The judge is injectable; a literal one keeps these tests about the checks, not the judge.
    return claim.rstrip(".") in premise


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    (tmp_path / "doc.md").write_text(_TEXT, encoding="utf-8")
    return tmp_path


def _answer(quote: str = "Beijing grants three-month licences.", **kw: object) -> Answer:
    start = _TEXT.find(quote)
    cite = Citation(id=1, source="doc.md", start=start, end=start + len(quote), quote=quote)
    return Answer(question="How long do licences last?", text=f"{quote} [1]", citations=(cite,), **kw)  # type: ignore[arg-type]


def test_a_grounded_answer_has_no_problems(root: Path) -> None:
    assert grounding_problems(_answer(), must=[["three-month", "three months"]], root=root, judge=_support) == []
    assert_grounded(_answer(), must=[["three-month"]], root=root, judge=_support)


def test_a_quote_that_does_not_re_read_is_named(root: Path) -> None:
    good = _answer()
    moved = dataclasses.replace(good.citations[0], start=good.citations[0].start + 1, end=good.citations[0].end + 1)
    problems = grounding_problems(dataclasses.replace(good, citations=(moved,)), root=root, judge=_support)
    assert any(p.startswith("citation [1] invalid") for p in problems)


def test_a_missing_group_and_an_unsupported_sentence_are_named(root: Path) -> None:
    answer = dataclasses.replace(_answer(), text="Licences last ten years. [1]")
    problems = grounding_problems(answer, must=[["ten-year"]], root=root, judge=_support)
    assert any(p.startswith("judge:") for p in problems)
    assert "missing: none of ['ten-year'] in the answer" in problems


def test_an_abstention_must_cite_nothing_and_owe_nothing(root: Path) -> None:
    answer = _answer(abstained=True, reason="not in the documents")
    problems = grounding_problems(answer, must=[["three-month"]], root=root, judge=_support)
    assert "abstained, yet has citations" in problems
    assert any("but the answer must contain" in p for p in problems)


def test_assert_grounded_shows_the_answer_and_every_failed_check(root: Path) -> None:
    with pytest.raises(GroundingError) as err:
        assert_grounded(_answer(), must=[["ten-year"]], root=root, judge=_support)
    message = str(err.value)
    assert "answer:   Beijing grants three-month licences. [1]" in message
    assert "[1] doc.md[0:36]" in message and "missing: none of ['ten-year']" in message


def test_source_loader_reads_relative_sources_under_root_and_absolute_ones_as_given(root: Path) -> None:
    load = source_loader(root)
    assert load("doc.md") == _TEXT == load(str(root / "doc.md"))
