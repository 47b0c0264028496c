"""Re-ranking fused passages with the answer model's ranker before the top ``k`` are kept.

Reciprocal-rank fusion of dense and BM25 hits knows nothing of the question beyond its words and its
vector, so at scale a passage that answers can sit just below the cut while near-duplicates of the
question's topic fill the top. The learned ranker (``rag.answer.scorer``, ONNX; its int8 copy, since
only the order matters here: ``rag.answer.rank_export``) reads the question with each sentence and
knows which one answers; its calibrated fusion with the bi-encoder cosine (``rag.answer.calibration``,
fitted on held-out SQuAD articles) scores each sentence, and a passage scores as its best sentence.

Cost is per pair, so only the ``Calibration.top`` sentences nearest the question by cosine (over all
the fused passages) are read by the cross-encoder, as in the learned answerer; the others keep the
lowest selection logit read, since the cosine ranked them below every one of those.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from index.store import Store
from rag.answer.calibration import Calibration, load_calibration, logit
from rag.retrieval.memo import SentenceMemo
from rag.types import Passage

if TYPE_CHECKING:
    from rag.answer.scorer import CrossScorer

__all__ = ["PassageReranker"]


class PassageReranker:
    """Orders passages by P(their best sentence holds the answer); the model loads on first use."""

    def __init__(self, scorer: CrossScorer | None = None, calibration: Calibration | None = None) -> None:
        self._scorer, self._calibration = scorer, calibration
        self._lock = threading.Lock()

    def _parts(self) -> tuple[CrossScorer, Calibration]:
        with self._lock:
            if self._scorer is None:
                from rag.answer.scorer import passage_ranker

                self._scorer = passage_ranker()
            if self._calibration is None:
                self._calibration = load_calibration()
            return self._scorer, self._calibration

    def prepare(self) -> None:
        """Start loading the model on a background thread (``index.warm``), for an index that re-ranks."""
        from index.warm import warm_in_background

        warm_in_background(lambda: self._parts()[0].load(), type(self).__name__)

    def rerank(
        self, question: str, qvec: np.ndarray, passages: Sequence[Passage], store: Store | SentenceMemo, k: int
    ) -> list[Passage]:
        """The best ``k`` of ``passages`` for ``question``, re-ranked (ranks 1..k, score: P(holds the answer))."""
        if len(passages) <= 1:
            return list(passages)[:k]
        scorer, cal = self._parts()
        ids = list(dict.fromkeys(sid for p in passages for sid in p.chunk.sentence_ids))
        sents, vecs = store.sentences_for(ids)
        if len(sents) != len(ids):  # some were swept with their generation meanwhile: keep the fused order
            return [replace(p, rank=r + 1) for r, p in enumerate(passages[:k])]
        cos = {i: float(v @ qvec) for i, v in zip(ids, vecs)}
        text = {i: s.text for i, s in zip(ids, sents)}
        read = sorted(cos, key=lambda i: -cos[i])[: cal.top]
        sel = logit(scorer.score(question, [text[i] for i in read]).sel) if read else np.zeros(0)
        select = dict(zip(read, sel.tolist()))
        floor = min(select.values(), default=0.0)

        def z(p: Passage) -> float:
            own = [i for i in p.chunk.sentence_ids if i in cos]
            if not own:
                return -np.inf
            return max(cal.w_cosine * cos[i] + cal.w_select * select.get(i, floor) for i in own) + cal.bias

        scores = [z(p) for p in passages]
        order = sorted(range(len(passages)), key=lambda j: -scores[j])[:k]  # stable: fused order breaks ties
        return [
            replace(passages[j], score=float(1.0 / (1.0 + np.exp(-scores[j]))), rank=r + 1) for r, j in enumerate(order)
        ]
