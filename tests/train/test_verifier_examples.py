"""Verifier examples: what the ranker would read, labelled from SQuAD's paragraph-level answerability."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.answer.verifier import EVIDENCE, evidence_text
from tests.train.test_squad_pairs import _embed, _file
from train.squad_pairs import load_squad, split_articles
from train.verifier import make_examples


def _rank_by_year(question: str, sentences: Sequence[str]) -> np.ndarray:
    # A stand-in ranker: sentences with a digit first (the mill questions ask for years).
    return np.asarray([float(any(ch.isdigit() for ch in s)) for s in sentences])


def test_one_example_per_question_plus_a_near_miss_per_answerable_one(tmp_path: Path) -> None:
    train = split_articles(load_squad(_file(tmp_path)))["train"]
    ex = make_examples(train, _embed, _rank_by_year)
    by = {e.qid: e for e in ex}
    assert set(by) == {"a", "a/away", "b", "d", "d/away"}
    assert all(e.sel == -1 for e in ex)  # answerability only: the selection loss is masked
    assert by["a"].ans == 1 and "1901" in by["a"].sentence  # the evidence holds the gold sentence
    assert by["b"].ans == 0  # unanswerable: whatever the evidence
    assert by["a/away"].ans == 0 and "1901" not in by["a/away"].sentence  # other paragraphs only
    assert by["a"].sentence.count(". ") + 1 <= EVIDENCE + 1


def test_evidence_text_joins_and_normalises_whitespace() -> None:
    assert evidence_text(["Line one\n of text.", "Two."]) == "Line one of text. Two."
