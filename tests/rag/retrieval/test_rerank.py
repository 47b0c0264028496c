"""Passage re-ranking: the learned ranker's order over the fused passages, and when the facade applies it."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answer.calibration import load_calibration
from rag.answer.scorer import PairScores
from rag.retrieval.rerank import PassageReranker

QUESTION = "How long are Chinese rare-earth export licences valid at the moment?"


class _FavourOne:
    """A fake ranker that is sure of one sentence and doubts every other (logic test, no model)."""

    def __init__(self, favourite: str) -> None:
        self.favourite = favourite
        self.read: list[str] = []

    def score(self, question: str, sentences: list[str]) -> PairScores:
        self.read.extend(sentences)
        return PairScores(np.array([[8.0 if s == self.favourite else -8.0, 0.0] for s in sentences]))


@pytest.fixture(scope="module")
def fused(assistant):
    """Every passage of the seeds for QUESTION, in fused order (re-ranking is off in so small an index)."""
    qvec = assistant.embedder.embed([QUESTION])[0]
    return qvec, assistant.retrieve(QUESTION, k=20)


def test_small_index_keeps_the_fused_order(assistant, fused) -> None:
    _, passages = fused
    assert len(passages) < assistant.settings.rerank_min_chunks  # the seeds have 8 chunks
    top = assistant.retrieve(QUESTION)
    assert [p.chunk.id for p in top] == [p.chunk.id for p in passages[: assistant.settings.k]]


def test_the_sentence_the_ranker_trusts_lifts_its_passage(assistant, fused) -> None:
    qvec, passages = fused
    cal = load_calibration()
    ids = list(dict.fromkeys(i for p in passages for i in p.chunk.sentence_ids))
    sents, vecs = assistant.store.sentences_for(ids)
    read = set(np.array(ids)[np.argsort(-(vecs @ qvec), kind="stable")[: cal.top]])
    # The lowest-ranked passage (not the first) with a sentence the cosine pre-rank lets the ranker read.
    low = next(p for p in reversed(passages[1:]) if read & set(p.chunk.sentence_ids))
    favourite = next(s.text for i, s in zip(ids, sents) if i in read and i in low.chunk.sentence_ids)
    fake = _FavourOne(favourite)
    out = PassageReranker(fake, cal).rerank(QUESTION, qvec, passages, assistant.store, 3)  # type: ignore[arg-type]
    assert len(fake.read) == cal.top and favourite in fake.read
    assert out[0].chunk.id == low.chunk.id and low.rank > 1
    assert [p.rank for p in out] == [1, 2, 3]
    assert all(0.0 <= p.score <= 1.0 for p in out)
    assert [p.score for p in out] == sorted((p.score for p in out), reverse=True)


def test_real_ranker_orders_a_subset_of_the_fused_passages(assistant, fused) -> None:
    qvec, passages = fused
    out = PassageReranker().rerank(QUESTION, qvec, passages, assistant.store, 4)
    assert len(out) == 4 and {p.chunk.id for p in out} <= {p.chunk.id for p in passages}
    assert [p.score for p in out] == sorted((p.score for p in out), reverse=True)
    # The passage saying which licences are available now is among those kept.
    assert any("only three-month licences are available" in p.chunk.text for p in out)


def test_facade_reranks_when_the_index_is_large_enough(assistant) -> None:
    from rag import Assistant

    big = Assistant(assistant.settings, embedder=assistant.embedder, rerank_min_chunks=0)
    got = big.retrieve(QUESTION, k=3)
    assert [p.rank for p in got] == [1, 2, 3] and all(0.0 <= p.score <= 1.0 for p in got)
    off = Assistant(assistant.settings, embedder=assistant.embedder, rerank_min_chunks=0, rerank=0)
    assert [p.chunk.id for p in off.retrieve(QUESTION, k=3)] == [p.chunk.id for p in assistant.retrieve(QUESTION, k=3)]


def test_missing_model_is_a_clear_error_naming_the_fix(assistant, tmp_path, monkeypatch) -> None:
    import rag.retrieval.rerank as rerank
    from rag import Assistant
    from rag.errors import ModelMissingError

    real = rerank.load_calibration
    monkeypatch.setattr(rerank, "load_calibration", lambda: real(tmp_path / "answerer.json"))
    big = Assistant(assistant.settings, embedder=assistant.embedder, rerank_min_chunks=0)
    with pytest.raises(ModelMissingError, match="make train"):
        big.ask(QUESTION)


def test_a_build_that_makes_the_index_rerank_starts_loading_the_ranker(assistant, seeds_dir, tmp_path, monkeypatch):
    from rag import Assistant

    prepared: list[int] = []
    monkeypatch.setattr(PassageReranker, "prepare", lambda self: prepared.append(id(self)))
    small = Assistant(home=tmp_path / "home", docs=[seeds_dir], root=seeds_dir.parent, embedder=assistant.embedder)
    assert prepared == []  # the seeds' 8 chunks are below the default rerank_min_chunks
    grown = Assistant(small.settings, embedder=assistant.embedder, rerank_min_chunks=1)
    assert prepared == [id(grown._reranker)]  # opening an index that re-ranks
    grown.index(rebuild=True)
    assert prepared == [id(grown._reranker)] * 2  # and after a build of one
