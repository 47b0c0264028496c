"""The opt-in learned answerer: real index and real models; its citations are exact spans like any other,
its ranker finds the answer sentence, and its verifier's decision is what abstains."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from index.embed import default_embedder
from index.types import Sentence
from rag import Assistant
from rag.answer.calibration import load_calibration
from rag.answer.export import adapter_path
from rag.answer.learned import select_learned
from rag.answer.question import QuestionTerms
from rag.answer.scorer import CrossScorer

pytestmark = pytest.mark.skipif(not adapter_path().is_file(), reason="no trained adapter (run `make train`)")

QUESTIONS = [
    "Which chipmaker is at the centre of the feud?",
    "How long are the export licences valid today?",
    "What does REEx say annual licences buy?",
    "What is the price of neodymium per kilogram?",
]


def test_learned_answers_cite_exact_spans_and_abstentions_cite_nothing(tmp_path: Path, repo: Path) -> None:
    a = Assistant(home=tmp_path / "home", answerer="learned")
    for q in QUESTIONS:
        ans = a.ask(q)
        if ans.abstained:
            assert not ans.citations and ans.reason
            continue
        assert ans.citations
        for c in ans.citations:
            assert (repo / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote


def test_the_ranker_puts_the_answer_first_and_without_a_threshold_answers_with_it() -> None:
    texts = [
        "Brussels is in de-escalation mode, several official sources confirmed.",
        "The simmering feud over chipmaker Nexperia has added to the pressure on EU officials.",
        "European carmakers have struggled since April.",
    ]
    sents = [Sentence("d", i * 100, i * 100 + len(t), t) for i, t in enumerate(texts)]
    emb = default_embedder()
    q = "Which chipmaker is at the centre of the feud?"
    vecs = emb.embed([q, *texts])
    cands = [(s, v, 0) for s, v in zip(sents, vecs[1:])]
    terms = QuestionTerms((), (), frozenset())
    open_cal = replace(load_calibration(), answerable=0.0)
    draft = select_learned(q, terms, vecs[0], cands, CrossScorer(), 1, calibration=open_cal)
    assert not draft.abstained and "Nexperia" in draft.chosen[0].sentence.text
    strict = replace(load_calibration(), answerable=1.0)
    assert select_learned(q, terms, vecs[0], cands, CrossScorer(), 1, calibration=strict).abstained
